/**
 * Load test (not in CI): `npm run test:load`.
 *
 * The built service runs as a child process on a PostgreSQL of its own (loopback only). For a bounded time,
 * CLIENTS concurrent clients upload ROWS-row customers files to validate, one after the other, each with
 * VATs of its own, while GET /api/health is timed and the service's memory is sampled. Then every
 * validated session is confirmed at once (async) and the rows written are checked against the rows sent.
 * Prints a summary; exits non-zero on any error.
 *
 * LOAD_CLIENTS (8), LOAD_SECONDS (120), LOAD_ROWS (100000) change the shape, e.g. for a quick smoke run.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  ADMIN,
  auth,
  customersCsv,
  postJson,
  serviceOn,
  TestDatabase,
  upload,
} from '../support/database-process';
import { ServiceProcess, sleep } from '../support/service-process';

const CLIENTS = Number(process.env.LOAD_CLIENTS ?? 8);
const SECONDS = Number(process.env.LOAD_SECONDS ?? 120);
const ROWS = Number(process.env.LOAD_ROWS ?? 100_000);
/** Hard limit for the confirm phase, so that the run always stops by itself. */
const CONFIRM_TIMEOUT_MS = 30 * 60_000;
/** No confirm applied a row for this long: they stopped. */
const STALL_MS = 90_000;

/** GET /api/health every 250 ms until stdin closes; one JSON line per probe: {ms, status}. */
const HEALTH_PROBE = `
let running = true;
process.stdin.on('end', () => (running = false));
process.stdin.resume();
(async () => {
  while (running) {
    const started = performance.now();
    let status;
    try {
      const response = await fetch(process.argv[1], { headers: { connection: 'close' } });
      await response.text();
      status = response.status;
    } catch (error) {
      status = String(error);
    }
    process.stdout.write(JSON.stringify({ ms: performance.now() - started, status }) + '\\n');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  process.exit(0);
})();
`;

const errors: string[] = [];
const fail = (what: string) => {
  errors.push(what);
  process.stderr.write(`error: ${what}\n`);
};

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** kB values of a /proc/<pid>/status line (VmRSS, VmHWM). */
function memoryKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

interface Validated {
  id: string;
  rows: number;
}

async function uploadPhase(service: ServiceProcess, token: string) {
  const deadline = Date.now() + SECONDS * 1000;
  const sessions: Validated[] = [];
  const latencies: number[] = [];
  let requests = 0;

  const client = async (c: number) => {
    for (let k = 0; Date.now() < deadline; k++) {
      const file = customersCsv(`L${c}X${k}V`, ROWS);
      const started = Date.now();
      requests++;
      try {
        const answer = await upload(service, token, '/api/customers/import/validate', file);
        latencies.push(Date.now() - started);
        if (answer.status !== 200) {
          fail(`validate answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
          continue;
        }
        const data = answer.body.data as { import_id: string; total_rows: number; valid_rows: number };
        if (data.total_rows !== ROWS || data.valid_rows !== ROWS) {
          fail(`validate counted ${data.total_rows} rows (${data.valid_rows} valid), expected ${ROWS}`);
        }
        sessions.push({ id: data.import_id, rows: data.valid_rows });
      } catch (error) {
        fail(`validate failed: ${String(error)}`);
      }
    }
  };

  const health: number[] = [];
  let rssPeak = 0;
  let probing = true;
  // Health is timed from a process of its own: this one is busy building and sending the files, and its
  // own lag must not count as the service's.
  const prober = spawn(process.execPath, ['-e', HEALTH_PROBE, `${service.url}/api/health`], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let pending = '';
  prober.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const { ms, status } = JSON.parse(line) as { ms: number; status: number | string };
      health.push(ms);
      if (status !== 200) fail(`health answered ${status} under load`);
    }
  });
  const proberExited = new Promise((resolve) => prober.once('exit', resolve));
  const probe = async () => {
    while (probing) {
      rssPeak = Math.max(rssPeak, memoryKb(service.pid!, 'VmRSS'));
      await sleep(250);
    }
    prober.stdin.end();
    await proberExited;
  };

  const started = Date.now();
  const sampler = probe();
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  const elapsed = (Date.now() - started) / 1000;
  probing = false;
  await sampler;
  return { sessions, latencies, requests, elapsed, health, rssPeak };
}

async function confirmPhase(service: ServiceProcess, token: string, sessions: Validated[]) {
  const started = Date.now();
  const answers = await Promise.all(
    sessions.map((s) =>
      postJson(service, token, '/api/customers/import/confirm', { import_id: s.id, async: true }).catch(
        (error: unknown) => ({ status: 0, body: String(error) }),
      ),
    ),
  );
  const pending = new Set<string>();
  answers.forEach((answer, i) => {
    if (answer.status === 202) pending.add(sessions[i].id);
    else fail(`confirm answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
  });
  let created = 0;
  let rssPeak = 0;
  const deadline = Date.now() + CONFIRM_TIMEOUT_MS;
  const applied = new Map<string, number>();
  let progressAt = Date.now();
  while (pending.size > 0 && Date.now() < deadline) {
    rssPeak = Math.max(rssPeak, memoryKb(service.pid!, 'VmRSS'));
    for (const id of [...pending]) {
      const read = await service.request(`/api/imports/${id}`, { headers: auth(token) });
      if (read.status !== 200) {
        fail(`GET /api/imports/${id} answered ${read.status}`);
        pending.delete(id);
        continue;
      }
      const data = read.body.data as {
        status: string;
        total_rows: number;
        progress: { applied_rows: number };
        result: { created: number; updated: number; skipped: number; failed: number } | null;
      };
      if (data.progress.applied_rows !== applied.get(id)) progressAt = Date.now();
      applied.set(id, data.progress.applied_rows);
      if (data.status !== 'completed') continue;
      pending.delete(id);
      const r = data.result!;
      created += r.created;
      if (r.created !== data.total_rows || r.updated + r.skipped + r.failed !== 0) {
        fail(`session ${id}: ${JSON.stringify(r)} for ${data.total_rows} rows`);
      }
    }
    // A confirm that stopped (and would wait for someone to confirm it again) must not hang the run.
    if (Date.now() - progressAt > STALL_MS) {
      fail(`${pending.size} confirms made no progress for ${STALL_MS / 1000} s (stopped half-way)`);
      break;
    }
    if (pending.size > 0) await sleep(1000);
  }
  if (pending.size > 0 && Date.now() >= deadline)
    fail(`${pending.size} confirms did not complete in ${CONFIRM_TIMEOUT_MS / 60_000} minutes`);
  return { created, elapsed: (Date.now() - started) / 1000, rssPeak };
}

async function main(): Promise<void> {
  const database = await TestDatabase.start();
  const service = await serviceOn(database, { LOG_LEVEL: 'warn' });
  let code = 1;
  try {
    await service.start();
    const token = await service.login(ADMIN.email, ADMIN.password);
    process.stdout.write(
      `load: ${CLIENTS} clients uploading ${ROWS}-row customers files to validate for ${SECONDS} s\n`,
    );
    const load = await uploadPhase(service, token);
    const sent = load.sessions.reduce((sum, s) => sum + s.rows, 0);
    process.stdout.write(`load: confirming ${load.sessions.length} sessions (${sent} rows) at once\n`);
    const confirmed = await confirmPhase(service, token, load.sessions);
    const [{ n: stored }] = await database.query<{ n: number }>(`SELECT count(*)::int AS n FROM customers`);
    const [{ n: distinct }] = await database.query<{ n: number }>(
      `SELECT count(DISTINCT vat_number)::int AS n FROM customers`,
    );
    if (confirmed.created !== sent) fail(`confirms created ${confirmed.created} rows, ${sent} were sent`);
    if (stored !== sent || distinct !== sent) {
      fail(`the customers table holds ${stored} rows (${distinct} VATs), ${sent} were sent`);
    }
    const peak = memoryKb(service.pid!, 'VmHWM');

    const lines = [
      '',
      'summary',
      `  validate    ${load.requests} requests by ${CLIENTS} clients in ${load.elapsed.toFixed(1)} s, ` +
        `${load.sessions.length} answered 200; ${sent} rows, ${(sent / load.elapsed).toFixed(0)} rows/s`,
      `              latency p50 ${(percentile(load.latencies, 50) / 1000).toFixed(1)} s, ` +
        `p99 ${(percentile(load.latencies, 99) / 1000).toFixed(1)} s`,
      `  health      ${load.health.length} probes under load: p50 ${percentile(load.health, 50).toFixed(1)} ms, ` +
        `p99 ${percentile(load.health, 99).toFixed(1)} ms, max ${Math.max(...load.health).toFixed(1)} ms`,
      `  confirm     ${load.sessions.length} sessions at once: ${confirmed.created} rows created in ` +
        `${confirmed.elapsed.toFixed(1)} s, ${(confirmed.created / confirmed.elapsed).toFixed(0)} rows/s`,
      `  database    ${stored} customers, ${distinct} distinct VATs (${sent} sent)`,
      `  memory      service RSS peak ${mb(peak)} (VmHWM); sampled max ${mb(load.rssPeak)} while validating, ` +
        `${mb(confirmed.rssPeak)} while confirming`,
      `  errors      ${errors.length}`,
      '',
    ];
    process.stdout.write(lines.join('\n'));
    if (errors.length > 0) {
      const logged = service.output.split('\n').filter((line) => /"level":(40|50|60)/.test(line));
      process.stderr.write(`service warnings and errors (last 10):\n${logged.slice(-10).join('\n')}\n`);
    }
    code = errors.length === 0 ? 0 : 1;
  } catch (error) {
    process.stderr.write(`load test failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.stderr.write(service.output.slice(-4000));
  } finally {
    await service.stop('SIGTERM').catch(() => service.stop('SIGKILL').catch(() => undefined));
    await database.dispose();
  }
  process.exit(code);
}

void main();
