import { MigrationInterface, QueryRunner } from 'typeorm';

const VALUE_COLUMNS = Array.from({ length: 16 }, (_, i) => `v${i + 1} text`).join(', ');

/**
 * Staged rows in plain columns instead of two `jsonb` documents each, and outcomes recorded only where they
 * cannot be derived.
 *
 * - `import_rows` holds a row's values in `v1…v16` (the definition's fields, in order), its original cells
 *   (`raw`) only when they differ from those values, the id a record created from it will get
 *   (`target_id`) and the existing record its key found at validate (`match_id`). Nothing is written to a
 *   staged row after its validate.
 * - `import_row_outcomes` holds the outcome of the rows a confirm updated or could not write. Every other
 *   outcome follows from the row's status and the confirm's options (API.md §4), once its batch is applied.
 * - A confirm applies a session in batches of `batch_size` rows by row number; `applied_batches` lists the
 *   batches written, each in the transaction that wrote it.
 *
 * Sessions staged before this migration are deleted with their rows: they are validated again.
 */
export class CompactImportRows1763800007000 implements MigrationInterface {
  name = 'CompactImportRows1763800007000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE import_rows');
    await queryRunner.query('DELETE FROM import_sessions');
    await queryRunner.query(`
      ALTER TABLE import_sessions
        ADD COLUMN fields jsonb NOT NULL DEFAULT '[]',
        ADD COLUMN cell_fields jsonb NOT NULL DEFAULT '[]',
        ADD COLUMN last_row integer NOT NULL DEFAULT 1,
        ADD COLUMN batch_size integer,
        ADD COLUMN applied_batches integer[] NOT NULL DEFAULT '{}'`);
    await queryRunner.query(`
      CREATE TABLE import_rows (
        session_id uuid NOT NULL,
        row_number integer NOT NULL,
        status text NOT NULL CHECK (status IN ('valid', 'warning', 'ambiguous', 'error')),
        match_key text,
        target_id uuid NOT NULL,
        match_id uuid,
        ${VALUE_COLUMNS},
        raw text[],
        errors jsonb,
        warnings jsonb,
        PRIMARY KEY (session_id, row_number)
      )`);
    await queryRunner.query(`
      CREATE TABLE import_row_outcomes (
        session_id uuid NOT NULL,
        row_number integer NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('updated', 'failed')),
        target_id uuid,
        error text,
        PRIMARY KEY (session_id, row_number)
      )`);
    // Nothing looks customers up by lower(company_name) (that index serves distributor names); and most
    // customers have no distributor, so only the ones that do are indexed.
    await queryRunner.query('DROP INDEX customers_name_key');
    await queryRunner.query('DROP INDEX customers_distributor');
    await queryRunner.query(
      'CREATE INDEX customers_distributor ON customers (distributor_id) WHERE distributor_id IS NOT NULL',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX customers_distributor');
    await queryRunner.query('CREATE INDEX customers_distributor ON customers (distributor_id)');
    await queryRunner.query('CREATE INDEX customers_name_key ON customers (lower(company_name))');
    await queryRunner.query('DROP TABLE import_row_outcomes');
    await queryRunner.query('DROP TABLE import_rows');
    await queryRunner.query('DELETE FROM import_sessions');
    await queryRunner.query(`
      ALTER TABLE import_sessions
        DROP COLUMN fields, DROP COLUMN cell_fields, DROP COLUMN last_row,
        DROP COLUMN batch_size, DROP COLUMN applied_batches`);
    await queryRunner.query(`
      CREATE TABLE import_rows (
        session_id uuid NOT NULL,
        row_number integer NOT NULL,
        status text NOT NULL CHECK (status IN ('valid', 'warning', 'ambiguous', 'error')),
        data jsonb NOT NULL,
        raw jsonb NOT NULL,
        errors jsonb,
        warnings jsonb,
        match_key text,
        outcome text CHECK (outcome IN ('created', 'updated', 'skipped', 'failed')),
        target_id uuid,
        reason text,
        error text,
        PRIMARY KEY (session_id, row_number)
      )`);
    await queryRunner.query(
      'CREATE INDEX import_rows_key ON import_rows (session_id, match_key, row_number)',
    );
  }
}
