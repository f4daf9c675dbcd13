import { INestApplication } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHash, randomUUID } from 'node:crypto';
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
  await createTokenUsers(dataSource);
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
  await createTokenUsers(dataSource);
}

/** The accounts that {@link tokenFor} signed tokens for: a token stands only while its account does. */
const tokenUsers = new Map<string, { role: Role; courierId: string | null }>();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A user id for a test's name of a user ('admin-1'): the same UUID for the same name. */
export function accountId(name: string | undefined): string {
  if (name === undefined) return randomUUID();
  if (UUID.test(name)) return name.toLowerCase();
  const hex = createHash('sha256').update(name).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Creates the accounts of every token {@link tokenFor} signed so far, with the role and courier of the last
 * token signed for each (their version and whether they are disabled are left as they are).
 * Called by {@link startTestApp} and {@link truncateAll}; a test that signs a token after those calls it too
 * (or uses {@link tokenIn}).
 */
export async function createTokenUsers(dataSource: DataSource): Promise<void> {
  // A courier account has a courier, an existing one, and no other account has one: the tokens that break
  // the rule are refused whatever the database holds, and get no account.
  const users = [...tokenUsers].filter(
    ([, u]) =>
      (u.role === Role.Courier) === (u.courierId !== null) &&
      (u.courierId === null || UUID.test(u.courierId)),
  );
  if (users.length === 0) return;
  await dataSource.query(
    `INSERT INTO users (id, email, password_hash, role, courier_id)
     SELECT u.id, u.id::text || '@token.invalid', '!', u.role, u.courier_id
     FROM unnest($1::uuid[], $2::text[], $3::uuid[]) AS u (id, role, courier_id)
     WHERE u.courier_id IS NULL OR EXISTS (SELECT 1 FROM couriers c WHERE c.id = u.courier_id)
     ON CONFLICT (id) DO UPDATE SET role = EXCLUDED.role, courier_id = EXCLUDED.courier_id`,
    [users.map(([id]) => id), users.map(([, u]) => u.role), users.map(([, u]) => u.courierId)],
  );
}

const jwt = new JwtService({});

/**
 * Signs a token as the service would, for the account of `options.id` (a name or a UUID; a new account when
 * absent), which {@link createTokenUsers} creates with the token's role and courier.
 */
export function tokenFor(
  role: Role,
  options: {
    id?: string;
    courierId?: string | null;
    secret?: string;
    expiresIn?: number;
    /** The account version the token is issued for (`ver`), 0 for a new account. */
    version?: number;
  } = {},
): string {
  const id = accountId(options.id);
  const courierId = options.courierId?.toLowerCase() ?? null;
  tokenUsers.set(id, { role, courierId });
  return jwt.sign(
    { role, courier_id: options.courierId ?? undefined, ver: options.version ?? 0 },
    {
      subject: id,
      issuer: LOCAL_ISSUER,
      audience: LOCAL_AUDIENCE,
      secret: options.secret ?? TEST_SECRET,
      expiresIn: options.expiresIn ?? 3600,
      algorithm: 'HS256',
    },
  );
}

/** {@link tokenFor}, with its account created now (for a token signed inside a test). */
export async function tokenIn(
  dataSource: DataSource,
  role: Role,
  options: Parameters<typeof tokenFor>[1] = {},
): Promise<string> {
  const token = tokenFor(role, options);
  await createTokenUsers(dataSource);
  return token;
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Creates the account of a user that cannot log in, for tokens signed with {@link tokenFor} and its id. */
export async function insertUser(
  dataSource: DataSource,
  id: string,
  role: Role,
  courierId?: string | null,
): Promise<void> {
  tokenUsers.set(accountId(id), { role, courierId: courierId?.toLowerCase() ?? null });
  await createTokenUsers(dataSource);
}
