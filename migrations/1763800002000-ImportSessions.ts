import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Import sessions and their staged rows. Nothing here lives in process memory, so any instance can serve
 * any step of an import. `expired` is not stored: a `validated` session past `expires_at` is expired.
 */
export class ImportSessions1763800002000 implements MigrationInterface {
  name = 'ImportSessions1763800002000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE import_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id text NOT NULL,
        entity text NOT NULL,
        status text NOT NULL CHECK (status IN ('validated', 'confirming', 'completed')),
        file_name text,
        header jsonb NOT NULL,
        ignored_columns jsonb NOT NULL DEFAULT '[]',
        context jsonb NOT NULL DEFAULT '{}',
        dropped_rows jsonb NOT NULL DEFAULT '[]',
        total_rows integer NOT NULL DEFAULT 0,
        valid_rows integer NOT NULL DEFAULT 0,
        error_rows integer NOT NULL DEFAULT 0,
        warning_rows integer NOT NULL DEFAULT 0,
        ambiguous_rows integer NOT NULL DEFAULT 0,
        options jsonb,
        applied_rows integer NOT NULL DEFAULT 0,
        created_rows integer NOT NULL DEFAULT 0,
        updated_rows integer NOT NULL DEFAULT 0,
        skipped_rows integer NOT NULL DEFAULT 0,
        failed_rows integer NOT NULL DEFAULT 0,
        claim_token uuid,
        lease_until timestamptz,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        confirmed_at timestamptz,
        completed_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX import_sessions_expiry ON import_sessions (expires_at)`);
    await queryRunner.query(`
      CREATE TABLE import_rows (
        session_id uuid NOT NULL REFERENCES import_sessions (id) ON DELETE CASCADE,
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
      `CREATE INDEX import_rows_pending ON import_rows (session_id, row_number) WHERE outcome IS NULL`,
    );
    await queryRunner.query(`CREATE INDEX import_rows_key ON import_rows (session_id, match_key)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE import_rows');
    await queryRunner.query('DROP TABLE import_sessions');
  }
}
