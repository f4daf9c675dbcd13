import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const MAIN = join(ROOT, 'dist', 'src', 'main.js');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === 'object' ? resolve(address.port) : reject(new Error()),
      );
    });
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The pid of the embedded postmaster of a data directory, while it runs. */
export function postmasterPid(dataDir: string): number | undefined {
  const file = join(dataDir, 'postgres', 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * A new, empty DATA_DIR in the temporary folder, opened (0755) as a checkout's `data` folder usually is. (A
 * private one works too: the service opens it to PostgreSQL's group; `embedded-database` tests that.)
 */
export function temporaryDataDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/** Stops a postmaster left running in a data directory (its service was killed), then deletes the directory. */
export async function removeDataDir(dataDir: string): Promise<void> {
  const pid = postmasterPid(dataDir);
  if (pid && isAlive(pid)) {
    process.kill(pid, 'SIGINT'); // fast shutdown
    for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(100);
  }
  rmSync(dataDir, { recursive: true, force: true });
}

/** The service run as `npm start` runs it (from `dist/`), as a child process. */
export class ServiceProcess {
  readonly url: string;
  private child?: ChildProcess;
  output = '';

  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  async start(timeoutMs = 60_000): Promise<void> {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first`);
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      LOG_LEVEL: 'warn',
      ...this.env,
    };
    env.PORT = String(this.port);
    if (!this.env.DATABASE_URL) delete env.DATABASE_URL;
    this.output = '';
    const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(`the service exited with ${child.exitCode}:\n${this.output}`);
      try {
        const response = await fetch(`${this.url}/api/health`, { headers: { connection: 'close' } });
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`the service did not become healthy in ${timeoutMs} ms:\n${this.output}`);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Sends a signal and waits for the process to exit; answers its exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    const timer = sleep(timeoutMs).then(() => 'timeout' as const);
    const result = await Promise.race([exited, timer]);
    if (result === 'timeout') {
      child.kill('SIGKILL');
      throw new Error(`the service did not exit within ${timeoutMs} ms after ${signal}`);
    }
    return result;
  }

  async request(path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
    const headers = new Headers(init.headers);
    headers.set('connection', 'close');
    const response = await fetch(`${this.url}${path}`, { ...init, headers });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: response.status, body };
  }

  async login(email: string, password: string): Promise<string> {
    const { status, body } = await this.request('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    if (status !== 200) throw new Error(`login failed: ${status} ${JSON.stringify(body)}`);
    return body.access_token as string;
  }
}
