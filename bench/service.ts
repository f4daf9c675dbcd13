import { ChildProcess, spawn } from 'node:child_process';
import {
  chmodSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  WriteStream,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { ClientConfig } from 'pg';
import { EmbeddedDatabase } from '../src/database/embedded-database';

export const ROOT = join(__dirname, '..');
const MAIN = join(ROOT, 'dist', 'src', 'main.js');

export const ADMIN = { email: 'bench-admin@example.com', password: 'bench-admin-password' };

/** The limits the service runs with: large enough for any benchmark file. */
export const SERVICE_LIMITS = {
  IMPORT_MAX_FILE_SIZE: '512mb',
  IMPORT_MAX_ROWS: '2000000',
  IMPORT_SESSION_TTL: '2h',
  // Phases validate files of up to IMPORT_MAX_ROWS rows, some left unconfirmed.
  IMPORT_MAX_STAGED_ROWS: '100000000',
  IMPORT_MAX_OPEN_SESSIONS: '1000',
  // A token must outlive the longest run (the default is 1h).
  JWT_EXPIRES_IN: '12h',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Keeps the last `max` characters of the service's output, for the report of a failure. */
class OutputTail {
  private text = '';
  lines = 0;
  constructor(private readonly max = 64 * 1024) {}
  add(chunk: Buffer): void {
    const text = chunk.toString();
    this.lines += text.split('\n').length - 1;
    this.text = (this.text + text).slice(-this.max);
  }
  toString(): string {
    return this.text;
  }
}

/**
 * The service run exactly as `npm start` runs it (`node dist/src/main.js` from the repository root), with no
 * DATABASE_URL and a fresh temporary DATA_DIR, so that it starts its own embedded PostgreSQL.
 */
export class ServiceUnderTest {
  readonly url: string;
  readonly output = new OutputTail();
  private exit?: { code: number | null; signal: NodeJS.Signals | null };
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly dataDir: string,
    /** Where the embedded cluster lives: `<dataDir>/postgres`, or elsewhere when run as root (see below). */
    readonly clusterDir: string,
    /** Every line the service writes, kept in this file. */
    readonly logPath: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    const log: WriteStream = createWriteStream(logPath);
    const record = (chunk: Buffer) => {
      this.output.add(chunk);
      log.write(chunk);
    };
    child.stdout?.on('data', record);
    child.stderr?.on('data', record);
    child.once('close', () => log.end());
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
      }),
    );
  }

  /** Starts the service and waits until `GET /api/health` answers 200; its output goes to `logPath`. */
  static async start(
    logPath: string,
    timeoutMs = 120_000,
    /** Settings of this run over {@link SERVICE_LIMITS}. */
    settings: Record<string, string> = {},
  ): Promise<ServiceUnderTest> {
    if (!existsSync(MAIN)) throw new Error(`${relative(ROOT, MAIN)} is missing: run "npm run build" first`);
    const dataDir = mkdtempSync(join(tmpdir(), 'rowgate-bench-'));
    // Opened (0755) as a checkout's `data` folder usually is; the service would open a private one to
    // PostgreSQL's group itself.
    chmodSync(dataDir, 0o755);
    const clusterDir = new EmbeddedDatabase(dataDir, { log: () => undefined, warn: () => undefined })
      .clusterDir;
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      ...SERVICE_LIMITS,
      ...settings,
    };
    delete env.DATABASE_URL;
    const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    mkdirSync(dirname(logPath), { recursive: true });
    const service = new ServiceUnderTest(child, port, dataDir, clusterDir, logPath);
    try {
      await service.waitHealthy(timeoutMs);
    } catch (error) {
      await service.stop();
      throw error;
    }
    return service;
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('the service process has no pid');
    return this.child.pid;
  }

  /** Throws when the service process has exited. */
  assertRunning(): void {
    if (this.exit) {
      throw new Error(
        `the service exited (code ${this.exit.code}, signal ${this.exit.signal}):\n${this.output.toString()}`,
      );
    }
  }

  private async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      this.assertRunning();
      try {
        const response = await fetch(`${this.url}/api/health`);
        await response.arrayBuffer();
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`the service was not healthy within ${timeoutMs} ms:\n${this.output.toString()}`);
  }

  /** The embedded PostgreSQL, as the service's data directory describes it. */
  databaseConfig(): ClientConfig {
    const password = readFileSync(join(this.dataDir, 'postgres-password'), 'utf8').trim();
    // postmaster.pid: pid, data directory, start time, port, ...
    const port = Number(readFileSync(join(this.clusterDir, 'postmaster.pid'), 'utf8').split('\n')[3]);
    if (!Number.isInteger(port) || port <= 0) throw new Error(`no port in ${this.clusterDir}/postmaster.pid`);
    return { host: '127.0.0.1', port, user: 'postgres', password, database: EmbeddedDatabase.DATABASE };
  }

  /**
   * SIGTERM, then waits for the service (which stops its PostgreSQL) to exit; SIGKILL after the timeout, and
   * then the postmaster is stopped too. Removes the data directory. Answers the exit code (or the signal).
   */
  async stop(timeoutMs = 60_000): Promise<string> {
    if (!this.exit) {
      this.child.kill('SIGTERM');
      const timedOut = await Promise.race([this.exited.then(() => false), sleep(timeoutMs).then(() => true)]);
      if (timedOut) {
        this.child.kill('SIGKILL');
        await this.exited;
        await this.stopPostmaster();
      }
    }
    this.removeData();
    const exit = this.exit;
    return exit?.signal ? `signal ${exit.signal}` : `code ${exit?.code}`;
  }

  private async stopPostmaster(): Promise<void> {
    const file = join(this.clusterDir, 'postmaster.pid');
    if (!existsSync(file)) return;
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
    process.kill(pid, 'SIGINT'); // fast shutdown
    for (let i = 0; i < 300 && isAlive(pid); i++) await sleep(100);
  }

  private removeData(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
    // A cluster kept outside the data directory sits in a folder of its own, named after it.
    if (!this.clusterDir.startsWith(`${this.dataDir}/`)) {
      rmSync(dirname(this.clusterDir), { recursive: true, force: true });
    }
  }
}
