import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Batches are found with a cursor on the primary key (`row_number > last`), so the partial index of pending
 * rows, which every applied row had to update, is not needed.
 */
export class ImportRowsWithoutPendingIndex1763800005000 implements MigrationInterface {
  name = 'ImportRowsWithoutPendingIndex1763800005000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX import_rows_pending');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE INDEX import_rows_pending ON import_rows (session_id, row_number) WHERE outcome IS NULL',
    );
  }
}
