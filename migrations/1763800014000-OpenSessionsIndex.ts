import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The validated sessions of a user, which the quota counts at every validate: found by an index of those
 * alone, not among every import of the user's history (which grows with each import until its retention).
 */
export class OpenSessionsIndex1763800014000 implements MigrationInterface {
  name = 'OpenSessionsIndex1763800014000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX import_sessions_open ON import_sessions (owner_id, expires_at)
       WHERE kind = 'session' AND status = 'validated'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX import_sessions_open');
  }
}
