import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Users can be disabled, and every token names the version of its user's account it was issued for: a change
 * of role or courier, disabling or deleting a user ends its tokens at once (README, Security).
 */
export class RevocableUsers1763800013000 implements MigrationInterface {
  name = 'RevocableUsers1763800013000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE users
        ADD COLUMN disabled_at timestamptz NULL,
        ADD COLUMN token_version integer NOT NULL DEFAULT 0`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE users DROP COLUMN token_version, DROP COLUMN disabled_at');
  }
}
