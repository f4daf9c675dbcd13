import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The customers of each courier (API.md §2): `user_code` is unique within a courier. The length caps are
 * those of `COURIER_CUSTOMER_LIMITS` (src/courier-customers/courier-customer.rules.ts), in characters.
 */
export class CourierCustomers1763800003000 implements MigrationInterface {
  name = 'CourierCustomers1763800003000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE courier_customers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        courier_id uuid NOT NULL REFERENCES couriers (id),
        user_code text NOT NULL CHECK (char_length(user_code) BETWEEN 1 AND 64),
        first_name text NOT NULL CHECK (char_length(first_name) BETWEEN 1 AND 255),
        last_name text NOT NULL CHECK (char_length(last_name) BETWEEN 1 AND 255),
        branch text CHECK (char_length(branch) <= 255),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT courier_customers_courier_user_code_unique UNIQUE (courier_id, user_code)
      )`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE courier_customers');
  }
}
