import { MigrationInterface, QueryRunner } from 'typeorm';

/** Users can be disabled, and every user's tokens can be ended at once by raising its token version. */
export class UserTokenVersion1763800013000 implements MigrationInterface {
  name = 'UserTokenVersion1763800013000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE users
        ADD COLUMN disabled boolean NOT NULL DEFAULT false,
        ADD COLUMN token_version integer NOT NULL DEFAULT 0`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE users DROP COLUMN token_version, DROP COLUMN disabled');
  }
}
