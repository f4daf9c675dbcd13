/**
 * `npm run bench:small [-- --seconds N --rounds R]`: many small imports at once. Starts the service as
 * `npm start` starts it, creates 16 couriers with one courier user each, and for a fixed time per phase
 * measures requests/s, p50, p99 and the service's peak RSS of: the REST create of one courier customer (the
 * baseline), the courier direct import of 1-row and 50-row files, and customers validate + confirm pairs
 * of 50-row files. The four phases run in turn, `R` rounds (3) of `N` seconds (10) each, so that the speed
 * of a shared machine, which drifts over minutes, is the same for a phase and the baseline it is compared
 * with: each ratio is the median of its rounds' ratios to the baseline of the same round. A few seconds of
 * every phase warm the service up first, unmeasured. Writes
 * bench/results/*-small.json. Every answer is checked; no timing is asserted.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CsvFile, customersFile } from './data';
import { Answer, ApiClient, WrongAnswer } from './http';
import { writeResults } from './report';
import { latencyStats, RssSampler } from './samplers';
import { ADMIN, ServiceUnderTest } from './service';

const CLIENTS = 16;
const RESULTS_DIR = join(__dirname, 'results');
const FILES_DIR = join(__dirname, 'data', 'small');
const out = (line = '') => process.stdout.write(`${line}\n`);
const option = (name: string, otherwise: number) => {
  const at = process.argv.indexOf(name);
  return (at >= 0 && Number(process.argv[at + 1])) || otherwise;
};
const seconds = option('--seconds', 10);
const rounds = option('--rounds', 3);
const WARM_UP_SECONDS = 3;

function expectStatus(what: string, answer: Answer, status: number): void {
  if (answer.status !== status) throw new WrongAnswer(`${what}: expected HTTP ${status}`, answer);
}

function csvFile(name: string, header: string, lines: string[]): CsvFile {
  mkdirSync(FILES_DIR, { recursive: true });
  const path = join(FILES_DIR, name);
  const text = `${header}\n${lines.join('\n')}\n`;
  writeFileSync(path, text);
  return { path, rows: lines.length, bytes: Buffer.byteLength(text), reused: false };
}

const courierLines = (client: number, rows: number) =>
  Array.from({ length: rows }, (_, i) => `C${client}-${i},First${i},Last${i},Branch ${client}`);

/** One phase of one round. */
interface PhaseRun {
  latencies: number[];
  failures: number;
  seconds: number;
  per_second: number;
  p99_ms: number | null;
  peak_rss_mb: number;
}

interface SmallResult {
  phase: string;
  requests: number;
  failures: number;
  /** Over all its rounds. */
  per_second: number;
  p50_ms: number | null;
  p99_ms: number | null;
  peak_rss_mb: number;
  /** Each round's requests/s and p99. */
  rounds: { per_second: number; p99_ms: number | null }[];
  /** The median of its rounds' ratios to the baseline of the same round. */
  ratio_to_rest?: number;
  p99_ratio_to_rest?: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const hundredths = (value: number) => Math.round(value * 100) / 100;

async function phase(
  rss: RssSampler,
  clients: ApiClient[],
  request: (api: ApiClient, client: number) => Promise<void>,
  duration = seconds,
): Promise<PhaseRun> {
  const latencies: number[] = [];
  let failures = 0;
  rss.reset();
  const started = performance.now();
  const until = started + duration * 1000;
  await Promise.all(
    clients.map(async (api, client) => {
      while (performance.now() < until) {
        const t = performance.now();
        try {
          await request(api, client);
          latencies.push(performance.now() - t);
        } catch (error) {
          failures += 1;
          if (failures === 1) out(error instanceof Error ? error.message : String(error));
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return {
    latencies,
    failures,
    seconds: elapsed,
    per_second: Math.round((latencies.length / elapsed) * 10) / 10,
    p99_ms: latencyStats(latencies, failures).p99_ms,
    peak_rss_mb: Math.round(rss.peakMb()),
  };
}

/** A phase over its rounds, with the median of its ratios to the baseline's rounds (`base`). */
function summary(name: string, runs: PhaseRun[], base?: PhaseRun[]): SmallResult {
  const latencies = runs.flatMap((run) => run.latencies);
  const failures = runs.reduce((sum, run) => sum + run.failures, 0);
  const stats = latencyStats(latencies, failures);
  const result: SmallResult = {
    phase: name,
    requests: latencies.length,
    failures,
    per_second: Math.round((latencies.length / runs.reduce((sum, run) => sum + run.seconds, 0)) * 10) / 10,
    p50_ms: stats.p50_ms,
    p99_ms: stats.p99_ms,
    peak_rss_mb: Math.max(...runs.map((run) => run.peak_rss_mb)),
    rounds: runs.map((run) => ({ per_second: run.per_second, p99_ms: run.p99_ms })),
  };
  if (base) {
    result.ratio_to_rest = hundredths(median(runs.map((run, i) => run.per_second / base[i].per_second)));
    const p99 = runs.flatMap((run, i) => (run.p99_ms && base[i].p99_ms ? [run.p99_ms / base[i].p99_ms] : []));
    if (p99.length > 0) result.p99_ratio_to_rest = hundredths(median(p99));
  }
  return result;
}

async function main(): Promise<void> {
  // Sixteen couriers log in at once: the login throttle is raised for this run only.
  process.env.LOGIN_THROTTLE_LIMIT = '1000';
  const startedAt = new Date();
  const service = await ServiceUnderTest.start(join(RESULTS_DIR, 'small-service.log'));
  const rss = new RssSampler(service.pid);
  const results: SmallResult[] = [];
  try {
    const admin = new ApiClient(service.url);
    await admin.login(ADMIN.email, ADMIN.password);
    const clients: ApiClient[] = [];
    const courierIds: string[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const courier = await admin.post('/api/couriers', { name: `Small Courier ${i}` });
      expectStatus('POST /api/couriers', courier, 201);
      const courierId = courier.body.data.id as string;
      const email = `small-courier-${i}@example.com`;
      const password = 'small-courier-password';
      const user = await admin.post('/api/users', {
        email,
        password,
        role: 'courier',
        courier_id: courierId,
      });
      expectStatus('POST /api/users', user, 201);
      const api = new ApiClient(service.url);
      await api.login(email, password);
      clients.push(api);
      courierIds.push(courierId);
    }
    const one = clients.map((_, c) =>
      csvFile(`courier-${c}-1.csv`, 'user_code,first_name,last_name,branch', courierLines(c, 1)),
    );
    const fifty = clients.map((_, c) =>
      csvFile(`courier-${c}-50.csv`, 'user_code,first_name,last_name,branch', courierLines(c, 50)),
    );
    // Each client its own 50 valid customers: a slice of the big bench's generated file.
    const source = readFileSync((await customersFile(CLIENTS * 50, 'main')).path, 'utf8').split('\n');
    const customers = clients.map((_, c) =>
      csvFile(`customers-${c}-50.csv`, source[0], source.slice(1 + c * 50, 1 + (c + 1) * 50)),
    );
    let counter = 0;

    const rest = async (api: ApiClient, c: number) => {
      counter += 1;
      const answer = await api.post(`/api/couriers/${courierIds[c]}/customers`, {
        user_code: `R${counter}`,
        first_name: 'Rest',
        last_name: 'Create',
      });
      expectStatus('REST create', answer, 201);
    };
    const courierImport = (files: CsvFile[]) => async (api: ApiClient, c: number) => {
      const answer = await api.upload('/api/courier-customers/import', files[c]);
      expectStatus('courier import', answer, 200);
      if (answer.body?.data?.processed !== files[c].rows)
        throw new WrongAnswer('courier import: processed', answer);
    };
    const pair = async (api: ApiClient, c: number) => {
      const validated = await api.upload('/api/customers/import/validate', customers[c]);
      expectStatus('validate', validated, 200);
      const importId = validated.body?.data?.import_id as string;
      const confirmed = await api.post('/api/customers/import/confirm', { import_id: importId });
      expectStatus('confirm', confirmed, 200);
    };
    const admins = clients.map(() => admin);
    const phases: [string, ApiClient[], (api: ApiClient, client: number) => Promise<void>][] = [
      ['REST create (baseline)', clients, rest],
      ['courier import, 1 row', clients, courierImport(one)],
      ['courier import, 50 rows', clients, courierImport(fifty)],
      ['customers validate + confirm, 50 rows (pairs)', admins, pair],
    ];
    // Not measured: the first requests of a fresh service run its code before it is compiled.
    for (const [, users, request] of phases) await phase(rss, users, request, WARM_UP_SECONDS);
    const runs: PhaseRun[][] = phases.map(() => []);
    for (let round = 1; round <= rounds; round++) {
      for (const [k, [name, users, request]] of phases.entries()) {
        const run = await phase(rss, users, request);
        runs[k].push(run);
        out(`round ${round}: ${name}: ${run.per_second}/s, p99 ${run.p99_ms} ms`);
      }
    }
    results.push(...phases.map(([name], k) => summary(name, runs[k], k === 0 ? undefined : runs[0])));
  } finally {
    rss.stop();
    await service.stop();
  }
  out(`${CLIENTS} clients, ${rounds} rounds of ${seconds} s a phase; ratios: the median of the rounds'`);
  out('| request | per second | p50 | p99 | peak RSS | ratio | p99 ratio |');
  out('|---|---|---|---|---|---|---|');
  for (const r of results) {
    out(
      `| ${r.phase} | ${r.per_second} | ${r.p50_ms} ms | ${r.p99_ms} ms | ${r.peak_rss_mb} MB | ${r.ratio_to_rest ?? 1}× | ${r.p99_ratio_to_rest ?? 1}× |`,
    );
  }
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  out(
    writeResults(join(RESULTS_DIR, `${stamp}-small`), {
      started_at: startedAt,
      clients: CLIENTS,
      seconds,
      rounds,
      results,
    }),
  );
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
