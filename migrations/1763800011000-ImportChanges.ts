import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What an update changes (API.md §11).
 *
 * - `import_rows.changes`: for a `warning` row, the fields whose staged value differs from the record it
 *   matched, `{field: {from, to}}`; null when nothing differs (the row is unchanged). Set by the same
 *   look-up that sets `match_id`, so no staged row is written twice.
 * - `import_sessions.unchanged_rows`: how many `warning` rows are unchanged.
 * - An outcome row may also say `created` (an upsert that found its record gone) or `skipped` (an upsert
 *   that found its record identical); a matched row without an outcome row was skipped as unchanged.
 */
export class ImportChanges1763800011000 implements MigrationInterface {
  name = 'ImportChanges1763800011000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE import_rows ADD COLUMN changes jsonb');
    await queryRunner.query(
      'ALTER TABLE import_sessions ADD COLUMN unchanged_rows integer NOT NULL DEFAULT 0',
    );
    await queryRunner.query(`
      ALTER TABLE import_row_outcomes DROP CONSTRAINT import_row_outcomes_outcome_check,
        ADD CONSTRAINT import_row_outcomes_outcome_check
          CHECK (outcome IN ('created', 'updated', 'skipped', 'failed'))`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM import_row_outcomes WHERE outcome IN ('created', 'skipped')`);
    await queryRunner.query(`
      ALTER TABLE import_row_outcomes DROP CONSTRAINT import_row_outcomes_outcome_check,
        ADD CONSTRAINT import_row_outcomes_outcome_check CHECK (outcome IN ('updated', 'failed'))`);
    await queryRunner.query('ALTER TABLE import_sessions DROP COLUMN unchanged_rows');
    await queryRunner.query('ALTER TABLE import_rows DROP COLUMN changes');
  }
}
