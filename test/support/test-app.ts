import { INestApplication } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app.factory';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../src/auth/jwt.strategy';
import { Role } from '../../src/auth/permissions';
import { AppConfig, loadConfig } from '../../src/config/config';
import { runMigrations } from '../../src/database/database-options';

export const TEST_SECRET = 'test-secret-that-is-long-enough-for-hs256-signing';

export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: the jest global setup did not run');
  return url;
}

export function testConfig(env: Record<string, string> = {}): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: join(__dirname, '..', '..', '.test-data', 'app'),
    DATABASE_URL: testDatabaseUrl(),
    JWT_SECRET: TEST_SECRET,
    ...env,
  });
}

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  dataSource: DataSource;
  http: ReturnType<INestApplication['getHttpServer']>;
  close(): Promise<void>;
}

/** The real application on the test PostgreSQL, with migrations applied. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const config = testConfig(env);
  await runMigrations(testDatabaseUrl());
  const app = await createApp(config, testDatabaseUrl());
  const dataSource = app.get(DataSource);
  return { app, config, dataSource, http: app.getHttpServer(), close: () => app.close() };
}

/** Empties every table the service owns (not the migrations table). */
export async function truncateAll(dataSource: DataSource): Promise<void> {
  const rows: { tablename: string }[] = await dataSource.query(
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations'`,
  );
  if (rows.length === 0) return;
  await dataSource.query(
    `TRUNCATE ${rows.map((r) => `"${r.tablename}"`).join(', ')} RESTART IDENTITY CASCADE`,
  );
}

const jwt = new JwtService({});

/**
 * Signs a token as the service would, for a user that need not exist: the service refuses it unless the
 * user is in the database with that role, courier and token version (see {@link userToken}).
 */
export function tokenFor(
  role: Role,
  options: { id?: string; courierId?: string | null; secret?: string; expiresIn?: number; ver?: number } = {},
): string {
  return jwt.sign(
    { role, courier_id: options.courierId ?? undefined, ver: options.ver ?? 0 },
    {
      subject: options.id ?? randomUUID(),
      issuer: LOCAL_ISSUER,
      audience: LOCAL_AUDIENCE,
      secret: options.secret ?? TEST_SECRET,
      expiresIn: options.expiresIn ?? 3600,
      algorithm: 'HS256',
    },
  );
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/**
 * Creates a user in the database (its courier must exist) and signs a token for it, so that tests need not
 * go through the login and its throttle.
 */
export async function userToken(
  dataSource: DataSource,
  role: Role,
  options: { id?: string; courierId?: string | null } = {},
): Promise<string> {
  const id = options.id ?? randomUUID();
  await insertUser(dataSource, id, role, options.courierId);
  return tokenFor(role, { id, courierId: options.courierId });
}

/** Inserts a user that cannot log in (no password hash matches), for tokens signed with {@link tokenFor}. */
export async function insertUser(
  dataSource: DataSource,
  id: string,
  role: Role,
  courierId?: string | null,
): Promise<void> {
  await dataSource.query(
    `INSERT INTO users (id, email, password_hash, role, courier_id) VALUES ($1, $2, 'not-a-hash', $3, $4)
     ON CONFLICT (id) DO NOTHING`,
    [id, `${id}@users.test`, role, courierId ?? null],
  );
}
