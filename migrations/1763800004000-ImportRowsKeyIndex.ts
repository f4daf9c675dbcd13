import { MigrationInterface, QueryRunner } from 'typeorm';

/** Duplicate detection probes (session, key, row number): one index lookup per row, whatever the plan. */
export class ImportRowsKeyIndex1763800004000 implements MigrationInterface {
  name = 'ImportRowsKeyIndex1763800004000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX import_rows_key');
    await queryRunner.query(
      'CREATE INDEX import_rows_key ON import_rows (session_id, match_key, row_number)',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX import_rows_key');
    await queryRunner.query('CREATE INDEX import_rows_key ON import_rows (session_id, match_key)');
  }
}
