import { MigrationInterface, QueryRunner } from 'typeorm';

const organizationColumns = `
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_name text NOT NULL CHECK (char_length(company_name) BETWEEN 1 AND 255),
  description text CHECK (char_length(description) <= 500),
  vat_number text NOT NULL CHECK (char_length(vat_number) BETWEEN 1 AND 64),
  vat_key text GENERATED ALWAYS AS (lower(btrim(vat_number))) STORED,
  address text CHECK (char_length(address) <= 255),
  city text CHECK (char_length(city) <= 255),
  main_contact text CHECK (char_length(main_contact) <= 255),
  email text CHECK (char_length(email) <= 254),
  phone text,
  language text NOT NULL DEFAULT 'it' CHECK (language IN ('it', 'en')),
  notes text CHECK (char_length(notes) <= 1000),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  archived_at timestamptz`;

/** Customers and distributors (API.md §2). VATs are looked up by `vat_key`; names by lower(company_name). */
export class Directory1763800001000 implements MigrationInterface {
  name = 'Directory1763800001000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE distributors (${organizationColumns})`);
    await queryRunner.query(
      `CREATE TABLE customers (${organizationColumns},
        distributor_id uuid REFERENCES distributors (id))`,
    );
    for (const table of ['distributors', 'customers']) {
      await queryRunner.query(`CREATE INDEX ${table}_vat_key ON ${table} (vat_key)`);
      await queryRunner.query(`CREATE INDEX ${table}_name_key ON ${table} (lower(company_name))`);
      await queryRunner.query(`CREATE INDEX ${table}_created ON ${table} (created_at, id)`);
    }
    await queryRunner.query(`CREATE INDEX customers_distributor ON customers (distributor_id)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE customers');
    await queryRunner.query('DROP TABLE distributors');
  }
}
