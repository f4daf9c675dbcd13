import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Staged rows are only ever written together with their session (in the validate transaction) and deleted
 * together with it (one statement), so the foreign key, checked on every staged and applied row, goes.
 */
export class ImportRowsWithoutForeignKey1763800006000 implements MigrationInterface {
  name = 'ImportRowsWithoutForeignKey1763800006000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE import_rows DROP CONSTRAINT import_rows_session_id_fkey');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'DELETE FROM import_rows WHERE session_id NOT IN (SELECT id FROM import_sessions)',
    );
    await queryRunner.query(
      `ALTER TABLE import_rows ADD CONSTRAINT import_rows_session_id_fkey
       FOREIGN KEY (session_id) REFERENCES import_sessions (id) ON DELETE CASCADE`,
    );
  }
}
