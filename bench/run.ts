/**
 * `npm run bench [-- --rows N]`: measures the import endpoints of the real service, started as `npm start`
 * starts it, over HTTP, against PostgreSQL's own COPY of the same files. Every answer is checked: a wrong
 * answer stops the run with exit code 1. No timing is asserted. See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  COPY_TABLE_SHAPE,
  CopyBaseline,
  CopyBaselines,
  CopyTiming,
  INDEXED_COPY_TABLE_SHAPE,
} from './copy-baseline';
import { courierFile, CsvFile, customersFile } from './data';
import { workbookFile } from './workbook-data';
import { Answer, ApiClient, WrongAnswer } from './http';
import { ONE_SHOT_MAX_ROWS, parseOptions } from './options';
import {
  describeHealth,
  describeTargets,
  describePhase,
  HealthResult,
  PhaseResult,
  resultsBase,
  table,
  writeResults,
} from './report';
import { latencyStats, LatencyProbe, mb, rssKb, RssSampler } from './samplers';
import { ADMIN, ROOT, SERVICE_LIMITS, ServiceUnderTest } from './service';

const RESULTS_DIR = join(__dirname, 'results');
const POLL_INTERVAL_MS = 100;
const ASYNC_DEADLINE_MS = 60 * 60_000;

const describeError = (error: unknown) =>
  error instanceof Error ? (error.stack ?? error.message) : JSON.stringify(error);
const out = (line = '') => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Fails unless the answer has the status and every expected counter. */
function expectAnswer(
  what: string,
  answer: Answer,
  status: number,
  actual: (body: any) => Record<string, unknown> | undefined,
  expected: Record<string, unknown>,
): void {
  if (answer.status !== status) throw new WrongAnswer(`${what}: expected HTTP ${status}`, answer);
  const values = typeof answer.body === 'object' && answer.body !== null ? actual(answer.body) : undefined;
  for (const [key, value] of Object.entries(expected)) {
    if (JSON.stringify(values?.[key]) !== JSON.stringify(value)) {
      throw new WrongAnswer(
        `${what}: expected ${key} = ${JSON.stringify(value)}, got ${JSON.stringify(values?.[key])}`,
        answer,
      );
    }
  }
}

interface Files {
  customers: CsvFile;
  /** The same customers as an `.xlsx` workbook. */
  workbook: CsvFile;
  /** The customers file with one field different on every row. */
  changed: CsvFile;
  couriers: CsvFile;
  oneShot: CsvFile;
}

interface Copies {
  customers: CopyBaselines;
  couriers: CopyBaselines;
  oneShot: CopyBaselines;
}

type PhaseOutcome = { answerBytes: number } | { skipped: string };

/** The measured phases, run in order against one service. */
class Phases {
  readonly results: PhaseResult[] = [];
  /** The imports the customers phases made, which the revert phases undo. */
  private createdImport = '';
  private overrideImport = '';
  readonly health: HealthResult[] = [];
  private readonly healthLatencies: number[] = [];
  private healthFailures = 0;

  constructor(
    private readonly service: ServiceUnderTest,
    private readonly api: ApiClient,
    private readonly rss: RssSampler,
  ) {}

  /** Runs one phase: wall time of `run`, peak RSS of the service meanwhile, ratio to the file's COPY. */
  private async measure(
    phase: string,
    rows: number,
    copy: CopyBaselines,
    run: () => Promise<PhaseOutcome>,
  ): Promise<PhaseResult> {
    this.service.assertRunning();
    this.rss.reset();
    const started = performance.now();
    const outcome = await run();
    const seconds = (performance.now() - started) / 1000;
    const peak = this.rss.peakMb();
    this.service.assertRunning();
    const result: PhaseResult =
      'skipped' in outcome
        ? {
            phase,
            rows,
            seconds: null,
            rows_per_s: null,
            peak_rss_mb: null,
            answer_bytes: null,
            ratio_to_copy: null,
            copy_of: null,
            ratio_to_indexed_copy: null,
            skipped: outcome.skipped,
          }
        : {
            phase,
            rows,
            seconds: round(seconds, 3),
            rows_per_s: round(rows / seconds, 0),
            peak_rss_mb: round(peak, 1),
            answer_bytes: outcome.answerBytes,
            ratio_to_copy: round(seconds / copy.bare.seconds, 2),
            copy_of: copy.bare.table,
            ratio_to_indexed_copy: round(seconds / copy.indexed.seconds, 2),
          };
    this.results.push(result);
    out(describePhase(result));
    return result;
  }

  /** A line adding up phases on the same file (validate + confirm). */
  private combine(phase: string, parts: PhaseResult[], copy: CopyBaselines): void {
    const seconds = parts.reduce((sum, p) => sum + (p.seconds ?? 0), 0);
    const result: PhaseResult = {
      phase,
      rows: parts[0].rows,
      seconds: round(seconds, 3),
      rows_per_s: round(parts[0].rows / seconds, 0),
      peak_rss_mb: Math.max(...parts.map((p) => p.peak_rss_mb ?? 0)),
      answer_bytes: parts.reduce((sum, p) => sum + (p.answer_bytes ?? 0), 0),
      ratio_to_copy: round(seconds / copy.bare.seconds, 2),
      copy_of: copy.bare.table,
      ratio_to_indexed_copy: round(seconds / copy.indexed.seconds, 2),
      combined: true,
    };
    this.results.push(result);
    out(describePhase(result));
  }

  /** Runs `run` while probing `GET /api/health` every 200 ms. */
  private async probingHealth<T>(during: string, run: () => Promise<T>): Promise<T> {
    const probe = new LatencyProbe(`${this.service.url}/api/health`);
    try {
      return await run();
    } finally {
      const stats = await probe.stop();
      this.healthLatencies.push(...probe.values);
      this.healthFailures += stats.failures;
      const health = { during, ...stats };
      this.health.push(health);
      out(`  ${describeHealth(health)}`);
    }
  }

  /** The statistics over every confirm phase. */
  overallHealth(): HealthResult {
    return { during: 'the confirm phases', ...latencyStats(this.healthLatencies, this.healthFailures) };
  }

  async customers(file: CsvFile, copy: CopyBaselines, workbook: CsvFile): Promise<void> {
    const rows = file.rows;
    let importId = '';
    const expected = {
      total_rows: rows,
      valid_rows: rows,
      warning_rows: 0,
      error_rows: 0,
      ambiguous_rows: 0,
    };
    const validate = await this.measure('customers validate', rows, copy, async () => {
      const answer = await this.api.upload('/api/customers/import/validate', file);
      expectAnswer('customers validate', answer, 200, (body) => body.data, expected);
      importId = answer.body.data.import_id as string;
      this.createdImport = importId;
      return { answerBytes: answer.bytes };
    });
    // The same rows as a workbook, validated while nothing is written yet (its session is left to expire).
    const fromWorkbook = await this.measure('customers validate (xlsx)', rows, copy, async () => {
      const answer = await this.api.upload('/api/customers/import/validate', workbook);
      expectAnswer('customers validate (xlsx)', answer, 200, (body) => body.data, expected);
      return { answerBytes: answer.bytes };
    });
    if (validate.seconds && fromWorkbook.seconds) {
      out(`  workbook validate / CSV validate: ${(fromWorkbook.seconds / validate.seconds).toFixed(2)}×`);
    }
    const confirm = await this.probingHealth('customers confirm (sync)', () =>
      this.measure('customers confirm (sync)', rows, copy, async () => {
        const answer = await this.api.post('/api/customers/import/confirm', { import_id: importId });
        expectAnswer('customers confirm (sync)', answer, 200, (body) => body.data, {
          created: rows,
          updated: 0,
          skipped: 0,
          failed: 0,
        });
        return { answerBytes: answer.bytes };
      }),
    );
    this.combine('customers validate + confirm (sync)', [validate, confirm], copy);
  }

  /**
   * A file whose every VAT exists now, so every row is a warning, confirmed with override: the same file again
   * (`identical`: nothing to write) or the one where every row changes one field (`changed`: every record
   * updated).
   */
  async customersAgain(file: CsvFile, copy: CopyBaselines, kind: 'identical' | 'changed'): Promise<void> {
    const rows = file.rows;
    const unchanged = kind === 'identical' ? rows : 0;
    const label = kind === 'identical' ? 'identical re-import' : 'one field changed';
    let importId = '';
    const validate = await this.measure(`customers re-validate (${label})`, rows, copy, async () => {
      const answer = await this.api.upload('/api/customers/import/validate', file);
      expectAnswer('customers re-validate', answer, 200, (body) => body.data, {
        total_rows: rows,
        valid_rows: 0,
        warning_rows: rows,
        unchanged_rows: unchanged,
        error_rows: 0,
        ambiguous_rows: 0,
      });
      importId = answer.body.data.import_id as string;
      return { answerBytes: answer.bytes };
    });
    const confirm = await this.probingHealth(`customers confirm (${label}, async)`, () =>
      this.measure(`customers confirm (${label}, async)`, rows, copy, async () => {
        const started = await this.api.post('/api/customers/import/confirm', {
          import_id: importId,
          override: true,
          async: true,
        });
        expectAnswer('customers confirm (async)', started, 202, (body) => body.data, { import_id: importId });
        if (kind === 'changed') this.overrideImport = importId;
        await this.waitCompleted(importId, rows, { updated: rows - unchanged, skipped: unchanged });
        return { answerBytes: started.bytes };
      }),
    );
    this.combine(`customers re-validate + confirm (${label})`, [validate, confirm], copy);
  }

  /**
   * Undo: first the override confirm (every record gets its before values back), then the first confirm
   * (every record it created is deleted), each a revert of the whole file.
   */
  async reverts(file: CsvFile, copy: CopyBaselines): Promise<void> {
    const rows = file.rows;
    const revert = (phase: string, importId: string, expected: Record<string, number>) =>
      this.probingHealth(phase, () =>
        this.measure(phase, rows, copy, async () => {
          const answer = await this.api.post(`/api/imports/${importId}/revert`, {});
          expectAnswer(phase, answer, 200, (body) => body.data, expected);
          return { answerBytes: answer.bytes };
        }),
      );
    await revert('customers revert (override confirm, all restored)', this.overrideImport, {
      reverted: 0,
      restored: rows,
      kept: 0,
    });
    await revert('customers revert (first confirm, all deleted)', this.createdImport, {
      reverted: rows,
      restored: 0,
      kept: 0,
    });
  }

  private async waitCompleted(
    importId: string,
    rows: number,
    expected: { updated: number; skipped: number },
  ): Promise<void> {
    const deadline = Date.now() + ASYNC_DEADLINE_MS;
    for (;;) {
      const answer = await this.api.get(`/api/imports/${importId}`);
      if (answer.status !== 200) throw new WrongAnswer('GET /api/imports/{id}: expected HTTP 200', answer);
      const session = answer.body?.data;
      if (session?.status === 'completed') {
        expectAnswer('async confirm result', answer, 200, (body) => body.data.result, {
          created: 0,
          updated: expected.updated,
          skipped: expected.skipped,
          failed: 0,
        });
        expectAnswer('async confirm progress', answer, 200, (body) => body.data.progress, {
          applied_rows: rows,
          total_rows: rows,
        });
        return;
      }
      if (session?.status !== 'confirming' && session?.status !== 'validated') {
        throw new WrongAnswer(
          `GET /api/imports/{id}: unexpected status ${JSON.stringify(session?.status)}`,
          answer,
        );
      }
      if (Date.now() > deadline) {
        throw new WrongAnswer(
          `the async confirm did not complete within ${ASYNC_DEADLINE_MS / 60_000} min`,
          answer,
        );
      }
      this.service.assertRunning();
      await sleep(POLL_INTERVAL_MS);
    }
  }

  /** The courier file, `new`: every code created; `again`: the same file, every customer unchanged. */
  async courier(file: CsvFile, copy: CopyBaselines, courierId: string, kind: 'new' | 'again'): Promise<void> {
    const rows = file.rows;
    const phase = kind === 'new' ? 'courier import (new codes)' : 'courier import (same file again)';
    await this.measure(phase, rows, copy, async () => {
      const answer = await this.api.upload('/api/courier-customers/import', file, {
        target_courier_id: courierId,
      });
      // The route is missing ("Cannot POST …", in the envelope); an unknown courier is §6's own body, and fails.
      if (answer.status === 404 && /^Cannot POST /.test(String(answer.body?.message))) {
        return { skipped: 'endpoint not available' };
      }
      expectAnswer('courier import', answer, 200, (body) => body, {
        status: 'success',
        message: `Successfully processed ${rows} records (Upsert complete).`,
      });
      expectAnswer('courier import', answer, 200, (body) => body.data, {
        processed: rows,
        created: kind === 'new' ? rows : 0,
        updated: 0,
        unchanged: kind === 'new' ? 0 : rows,
        skipped_rows: [],
      });
      return { answerBytes: answer.bytes };
    });
  }

  async oneShot(file: CsvFile, copy: CopyBaselines): Promise<void> {
    const rows = file.rows;
    // The JSON body carries the whole CSV as one string: this file is small (≤ ONE_SHOT_MAX_ROWS rows).
    const content = readFileSync(file.path, 'utf8');
    await this.measure('one-shot JSON import', rows, copy, async () => {
      const answer = await this.api.post('/api/customers/import', { content });
      expectAnswer('one-shot import', answer, 200, (body) => body, {
        count: rows,
        created: rows,
        updated: 0,
        errors: [],
      });
      return { answerBytes: answer.bytes };
    });
  }
}

function describeFile(label: string, file: CsvFile): string {
  return (
    `  ${label}: ${relative(ROOT, file.path)} (${file.rows.toLocaleString('en-US')} rows, ` +
    `${(file.bytes / 1024 / 1024).toFixed(1)} MB, ${Math.round(file.bytes / file.rows)} B/row, ` +
    `${file.reused ? 'reused' : 'generated'})`
  );
}

function describeCopies(label: string, copies: CopyBaselines): string {
  return `${describeCopy(label, copies.bare)}\n${describeCopy(`${label} (indexed)`, copies.indexed)}`;
}

function describeCopy(label: string, copy: CopyTiming): string {
  return (
    `  ${label}: ${copy.rows.toLocaleString('en-US')} rows in ${copy.seconds.toFixed(3)} s ` +
    `(${Math.round(copy.rows / copy.seconds).toLocaleString('en-US')} rows/s) into ${copy.table}`
  );
}

function commit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

let running: ServiceUnderTest | undefined;

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const startedAt = new Date();
  out(`Rowgate bench: ${options.rows.toLocaleString('en-US')} rows`);

  const files: Files = {
    customers: await customersFile(options.rows, 'main'),
    workbook: await workbookFile(await customersFile(options.rows, 'main')),
    changed: await customersFile(options.rows, 'changed'),
    couriers: await courierFile(options.rows),
    oneShot: await customersFile(Math.min(options.rows, ONE_SHOT_MAX_ROWS), 'one-shot'),
  };
  out('files:');
  out(describeFile('customers', files.customers));
  out(describeFile('customers as a workbook', files.workbook));
  out(describeFile('customers, one field changed', files.changed));
  out(describeFile('courier customers', files.couriers));
  out(describeFile('one-shot customers', files.oneShot));

  const booting = performance.now();
  const base = resultsBase(RESULTS_DIR, options.rows, startedAt);
  const service = await ServiceUnderTest.start(`${base}.service.log`);
  running = service;
  const startupSeconds = (performance.now() - booting) / 1000;
  out(
    `service: pid ${service.pid}, ${service.url}, DATA_DIR ${service.dataDir}, healthy after ${startupSeconds.toFixed(1)} s`,
  );

  let phases: Phases | undefined;
  let copies: Copies | undefined;
  let idleRssMb: number | null = null;
  let failure: unknown;
  const rss = new RssSampler(service.pid);
  try {
    const api = new ApiClient(service.url);
    await api.login(ADMIN.email, ADMIN.password);
    const courier = await api.post('/api/couriers', { name: 'Bench Couriers' });
    expectAnswer('POST /api/couriers', courier, 201, (body) => body.data, { name: 'Bench Couriers' });
    const courierId = courier.body.data.id as string;

    const baseline = await CopyBaseline.connect(service.databaseConfig());
    try {
      copies = {
        customers: await baseline.customers(files.customers),
        couriers: await baseline.courierCustomers(files.couriers, courierId),
        oneShot: await baseline.customers(files.oneShot),
      };
    } finally {
      await baseline.close();
    }
    out(`COPY baseline (${COPY_TABLE_SHAPE}; indexed: ${INDEXED_COPY_TABLE_SHAPE}):`);
    out(describeCopies('customers', copies.customers));
    out(describeCopies('courier customers', copies.couriers));
    out(describeCopies('one-shot customers', copies.oneShot));

    const idle = rssKb(service.pid);
    idleRssMb = idle === undefined ? null : round(mb(idle), 1);
    out(`service RSS before the phases: ${idleRssMb ?? '-'} MB`);
    out('phases:');
    phases = new Phases(service, api, rss);
    await phases.customers(files.customers, copies.customers, files.workbook);
    await phases.customersAgain(files.customers, copies.customers, 'identical');
    await phases.customersAgain(files.changed, copies.customers, 'changed');
    await phases.reverts(files.customers, copies.customers);
    await phases.courier(files.couriers, copies.couriers, courierId, 'new');
    await phases.courier(files.couriers, copies.couriers, courierId, 'again');
    await phases.oneShot(files.oneShot, copies.oneShot);
  } catch (error) {
    failure = error;
  } finally {
    rss.stop();
  }

  const exit = await service.stop();
  running = undefined;
  out(`service stopped (${exit}); ${service.dataDir} removed`);

  if (phases && phases.results.length > 0) {
    out();
    out(table(phases.results));
    out(describeTargets(phases.results));
    for (const health of phases.health) out(describeHealth(health));
    if (phases.health.length > 1) out(describeHealth(phases.overallHealth()));
  }
  if (failure !== undefined) {
    // A wrong answer is described by its message; anything else (a bug, a crash) by its stack too.
    process.stderr.write(
      `\nFAILED: ${failure instanceof WrongAnswer ? failure.message : describeError(failure)}\n`,
    );
    const log = service.output.toString().trim();
    if (log) {
      process.stderr.write(
        `\nthe service's output (last part; all of it in ${relative(ROOT, service.logPath)}):\n${log}\n`,
      );
    }
    process.exit(1);
  }
  if (!phases || !copies) throw new Error('no results');

  const path = writeResults(base, {
    started_at: startedAt.toISOString(),
    rows: options.rows,
    commit: commit(),
    node: process.version,
    host: {
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model ?? null,
      memory_mb: Math.round(totalmem() / 2 ** 20),
    },
    files,
    service: {
      startup_seconds: round(startupSeconds, 2),
      idle_rss_mb: idleRssMb,
      env: { LOG_LEVEL: 'warn', ...SERVICE_LIMITS },
      exit,
      log: relative(ROOT, service.logPath),
      log_lines: service.output.lines,
    },
    copy: { table_shape: COPY_TABLE_SHAPE, indexed_table_shape: INDEXED_COPY_TABLE_SHAPE, ...copies },
    phases: phases.results,
    health: [...phases.health, phases.overallHealth()],
  });
  out(`\nresults: ${relative(ROOT, path)}`);
  out(`service output: ${relative(ROOT, service.logPath)} (${service.output.lines} lines)`);
  process.exit(0);
}

/** Ctrl-C or SIGTERM: the service (and its PostgreSQL) is stopped and its data removed before exiting. */
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping the service\n`);
    const stopping = running?.stop() ?? Promise.resolve('');
    void stopping.finally(() => process.exit(130));
  });
}

main().catch(async (error: unknown) => {
  process.stderr.write(`\nFAILED: ${describeError(error)}\n`);
  await running?.stop().catch(() => undefined);
  process.exit(1);
});
