import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Import history, lineage and undo. A session row becomes the durable import record: the purge removes its
 * staged rows and keeps it (`expired` when it was never confirmed) until the history retention. Every
 * imported record carries the import that last wrote it (`import_id`, null for existing records); a confirm
 * keeps the values it replaced (`import_changes`) and the ids it created (`import_created`, one array per
 * batch), which a revert puts back and deletes.
 */
export class ImportHistory1763800010000 implements MigrationInterface {
  name = 'ImportHistory1763800010000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE import_sessions DROP CONSTRAINT import_sessions_status_check,
        ADD CONSTRAINT import_sessions_status_check CHECK (status IN
          ('validated', 'confirming', 'completed', 'expired', 'failed', 'reverting', 'reverted')),
        ADD COLUMN kind text NOT NULL DEFAULT 'session' CHECK (kind IN ('session', 'direct', 'one_shot')),
        ADD COLUMN file_size bigint,
        ADD COLUMN file_sha256 text,
        ADD COLUMN file_format text NOT NULL DEFAULT 'csv',
        ADD COLUMN rows_purged_at timestamptz,
        ADD COLUMN reverted_at timestamptz,
        ADD COLUMN revert_token uuid,
        ADD COLUMN revert_lease_until timestamptz,
        ADD COLUMN revert_counts jsonb`);
    await queryRunner.query(
      `CREATE INDEX import_sessions_history ON import_sessions (owner_id, created_at DESC)`,
    );
    for (const table of ['customers', 'distributors', 'courier_customers']) {
      await queryRunner.query(`ALTER TABLE ${table} ADD COLUMN import_id uuid`);
    }
    await queryRunner.query(`
      CREATE TABLE import_changes (
        import_id uuid NOT NULL,
        record_id uuid NOT NULL,
        row_number integer NOT NULL,
        before jsonb NOT NULL,
        PRIMARY KEY (import_id, record_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE import_created (
        import_id uuid NOT NULL,
        first_row integer NOT NULL,
        ids uuid[] NOT NULL,
        row_numbers integer[] NOT NULL,
        PRIMARY KEY (import_id, first_row)
      )`);
    await queryRunner.query(`
      CREATE TABLE import_revert_results (
        import_id uuid NOT NULL,
        record_id uuid NOT NULL,
        row_number integer NOT NULL,
        action text NOT NULL CHECK (action IN ('deleted', 'restored', 'kept')),
        reason text,
        PRIMARY KEY (import_id, record_id)
      )`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE import_revert_results');
    await queryRunner.query('DROP TABLE import_created');
    await queryRunner.query('DROP TABLE import_changes');
    for (const table of ['customers', 'distributors', 'courier_customers']) {
      await queryRunner.query(`ALTER TABLE ${table} DROP COLUMN import_id`);
    }
    await queryRunner.query(`DROP INDEX import_sessions_history`);
    await queryRunner.query(
      `DELETE FROM import_sessions WHERE status NOT IN ('validated', 'confirming', 'completed')`,
    );
    await queryRunner.query(`
      ALTER TABLE import_sessions DROP CONSTRAINT import_sessions_status_check,
        ADD CONSTRAINT import_sessions_status_check CHECK (status IN ('validated', 'confirming', 'completed')),
        DROP COLUMN kind, DROP COLUMN file_size, DROP COLUMN file_sha256, DROP COLUMN file_format,
        DROP COLUMN rows_purged_at, DROP COLUMN reverted_at, DROP COLUMN revert_token, DROP COLUMN revert_lease_until,
        DROP COLUMN revert_counts`);
  }
}
