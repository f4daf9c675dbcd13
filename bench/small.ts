/**
 * `npm run bench:small [-- --seconds N]`: many small imports at once. Starts the service as `npm start`
 * starts it, creates 16 couriers with one courier user each, and for a fixed time per phase measures
 * requests/s, p50, p99 and the service's peak RSS of: the REST create of one courier customer (the
 * baseline), the courier direct import of 1-row and 50-row files, and customers validate + confirm pairs
 * of 50-row files. Prints each phase's ratio to the baseline and writes bench/results/small-*.json.
 * Every answer is checked; no timing is asserted.
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
const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 15;

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

interface SmallResult {
  phase: string;
  requests: number;
  failures: number;
  per_second: number;
  p50_ms: number | null;
  p99_ms: number | null;
  peak_rss_mb: number;
  ratio_to_rest?: number;
  p99_ratio_to_rest?: number;
}

async function phase(
  name: string,
  rss: RssSampler,
  clients: ApiClient[],
  request: (api: ApiClient, client: number) => Promise<void>,
): Promise<SmallResult> {
  const latencies: number[] = [];
  let failures = 0;
  rss.reset();
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    clients.map(async (api, client) => {
      while (performance.now() < until) {
        const t = performance.now();
        try {
          await request(api, client);
          latencies.push(performance.now() - t);
        } catch (error) {
          failures += 1;
          if (failures === 1) out(`${name}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const stats = latencyStats(latencies, failures);
  return {
    phase: name,
    requests: latencies.length,
    failures,
    per_second: Math.round((latencies.length / elapsed) * 10) / 10,
    p50_ms: stats.p50_ms,
    p99_ms: stats.p99_ms,
    peak_rss_mb: Math.round(rss.peakMb()),
  };
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

    results.push(
      await phase('REST create (baseline)', rss, clients, async (api, c) => {
        counter += 1;
        const answer = await api.post(`/api/couriers/${courierIds[c]}/customers`, {
          user_code: `R${counter}`,
          first_name: 'Rest',
          last_name: 'Create',
        });
        expectStatus('REST create', answer, 201);
      }),
    );
    const courierImport = (files: CsvFile[]) => async (api: ApiClient, c: number) => {
      const answer = await api.upload('/api/courier-customers/import', files[c]);
      expectStatus('courier import', answer, 200);
      if (answer.body?.data?.processed !== files[c].rows)
        throw new WrongAnswer('courier import: processed', answer);
    };
    results.push(await phase('courier import, 1 row', rss, clients, courierImport(one)));
    results.push(await phase('courier import, 50 rows', rss, clients, courierImport(fifty)));
    results.push(
      await phase(
        'customers validate + confirm, 50 rows (pairs)',
        rss,
        clients.map(() => admin),
        async (api, c) => {
          const validated = await api.upload('/api/customers/import/validate', customers[c]);
          expectStatus('validate', validated, 200);
          const importId = validated.body?.data?.import_id as string;
          const confirmed = await api.post('/api/customers/import/confirm', { import_id: importId });
          expectStatus('confirm', confirmed, 200);
        },
      ),
    );
  } finally {
    rss.stop();
    await service.stop();
  }
  const base = results[0];
  for (const r of results.slice(1)) {
    r.ratio_to_rest = Math.round((r.per_second / base.per_second) * 100) / 100;
    if (r.p99_ms !== null && base.p99_ms)
      r.p99_ratio_to_rest = Math.round((r.p99_ms / base.p99_ms) * 100) / 100;
  }
  out(`${CLIENTS} clients, ${seconds} s a phase`);
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
      results,
    }),
  );
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
