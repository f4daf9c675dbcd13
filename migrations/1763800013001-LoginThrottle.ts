import { MigrationInterface, QueryRunner } from 'typeorm';

/** Login attempts per account and per client address, in one window each, shared by every instance. */
export class LoginThrottle1763800013001 implements MigrationInterface {
  name = 'LoginThrottle1763800013001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE login_throttle (
        key text PRIMARY KEY,
        attempts integer NOT NULL,
        window_start timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query('CREATE INDEX login_throttle_window_start ON login_throttle (window_start)');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE login_throttle');
  }
}
