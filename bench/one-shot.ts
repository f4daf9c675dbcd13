/**
 * `npm run bench:one-shot [-- --mb N]`: the one-shot JSON import of a large body (default 100 MiB of CSV
 * text in `content`), against the two-phase import (multipart validate + confirm) of a file of the same
 * size in the same run, as the baseline. Starts the service as `npm start` starts it; prints the wall time
 * and the service's peak RSS of each, and their ratios; writes bench/results/*-one-shot.json. The body is
 * streamed from disk by the client (chunked, no Content-Length). Every answer is checked; no timing is
 * asserted.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CsvFile, customersFile } from './data';
import { Answer, ApiClient, WrongAnswer } from './http';
import { writeResults } from './report';
import { RssSampler } from './samplers';
import { ADMIN, ServiceUnderTest } from './service';

const RESULTS_DIR = join(__dirname, 'results');
const out = (line = '') => process.stdout.write(`${line}\n`);

function expectAnswer(what: string, answer: Answer, ok: (body: any) => boolean): void {
  if (answer.status !== 200 || !ok(answer.body)) throw new WrongAnswer(what, answer);
}

interface OneShotResult {
  phase: string;
  rows: number;
  body_mb: number;
  seconds: number;
  peak_rss_mb: number;
}

/** A customers file of about `mb` MiB: its rows estimated from a small file of the same generator. */
async function fileOfSize(mb: number, kind: 'main' | 'one-shot'): Promise<CsvFile> {
  const sample = await customersFile(10_000, kind);
  const rows = Math.floor((mb * 1024 * 1024 * sample.rows) / sample.bytes);
  return customersFile(rows, kind);
}

async function measure(
  phase: string,
  file: CsvFile,
  rss: RssSampler,
  run: () => Promise<void>,
): Promise<OneShotResult> {
  rss.reset();
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  const result = {
    phase,
    rows: file.rows,
    body_mb: Math.round((file.bytes / 1024 / 1024) * 10) / 10,
    seconds: Math.round(seconds * 10) / 10,
    peak_rss_mb: Math.round(rss.peakMb()),
  };
  out(`${phase}: ${result.seconds} s, peak RSS ${result.peak_rss_mb} MB`);
  return result;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { mb: { type: 'string' } } });
  const mb = Number(values.mb ?? 100);
  if (!(mb > 0)) throw new Error('--mb must be a positive number of MiB');
  const startedAt = new Date();
  const twoPhase = await fileOfSize(mb, 'main');
  const oneShot = await fileOfSize(mb, 'one-shot');
  out(`files: ${twoPhase.rows} and ${oneShot.rows} rows, ${(oneShot.bytes / 1024 / 1024).toFixed(1)} MiB`);
  const service = await ServiceUnderTest.start(join(RESULTS_DIR, 'one-shot-service.log'));
  const rss = new RssSampler(service.pid);
  const results: OneShotResult[] = [];
  try {
    const admin = new ApiClient(service.url);
    await admin.login(ADMIN.email, ADMIN.password);
    out(`idle: peak RSS ${Math.round(rss.peakMb())} MB`);
    results.push(
      await measure('validate + confirm, multipart (baseline)', twoPhase, rss, async () => {
        const validated = await admin.upload('/api/customers/import/validate', twoPhase);
        expectAnswer('validate', validated, (b) => b.data?.valid_rows === twoPhase.rows);
        const confirmed = await admin.post('/api/customers/import/confirm', {
          import_id: validated.body.data.import_id,
        });
        expectAnswer('confirm', confirmed, (b) => b.data?.created === twoPhase.rows);
      }),
    );
    results.push(
      await measure('one-shot JSON import', oneShot, rss, async () => {
        let sent = 0;
        const answer = await admin.postContent('/api/customers/import', oneShot, () => {
          sent = performance.now();
          out(`  the body sent: peak RSS so far ${Math.round(rss.peakMb())} MB`);
        });
        expectAnswer('one-shot import', answer, (b) => b.count === oneShot.rows);
        out(`  the answer ${((performance.now() - sent) / 1000).toFixed(1)} s after the body was sent`);
      }),
    );
  } finally {
    rss.stop();
    await service.stop();
  }
  const [base, shot] = results;
  const ratios = {
    time: Math.round((shot.seconds / base.seconds) * 100) / 100,
    peak_rss: Math.round((shot.peak_rss_mb / base.peak_rss_mb) * 100) / 100,
  };
  out(`one-shot / baseline: time ${ratios.time}×, peak RSS ${ratios.peak_rss}×`);
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  out(writeResults(join(RESULTS_DIR, `${stamp}-one-shot`), { started_at: startedAt, mb, results, ratios }));
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
