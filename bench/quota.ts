/**
 * `npm run bench:quota`: what one account can make the database hold. Starts the service as `npm start`
 * starts it, with the default quotas, and has one courier account (1) validate 10,000-row files without
 * confirming them until it is refused, and (2) upload a 1,000,000-row file, closing the connection before the
 * answer. Prints, after each, the sessions and staged rows the database holds and its size, and the answers
 * seen. Writes bench/results/*-quota.json. No timing is asserted.
 */
import { join } from 'node:path';
import { Client } from 'pg';
import { courierFile } from './data';
import { ApiClient, WrongAnswer } from './http';
import { writeResults } from './report';
import { ADMIN, ServiceUnderTest } from './service';

const RESULTS_DIR = join(__dirname, 'results');
const out = (line = '') => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Held {
  sessions: number;
  staged_rows: number;
  database_mb: number;
}

async function held(db: Client): Promise<Held> {
  const { rows } = await db.query<Held>(
    `SELECT (SELECT count(*)::int FROM import_sessions WHERE status = 'validated') AS sessions,
            (SELECT count(*)::int FROM import_rows) AS staged_rows,
            round(pg_database_size(current_database()) / 1048576.0)::int AS database_mb`,
  );
  return rows[0];
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const small = await courierFile(10_000);
  const large = await courierFile(1_000_000);
  // The service's default quotas (the bench's other runs raise them).
  const service = await ServiceUnderTest.start(join(RESULTS_DIR, 'quota-service.log'), 120_000, {
    IMPORT_MAX_ROWS: '1000000',
    IMPORT_MAX_OPEN_SESSIONS: '10',
    IMPORT_MAX_STAGED_ROWS: '2000000',
  });
  const db = new Client(service.databaseConfig());
  await db.connect();
  const results: Record<string, unknown> = { started_at: startedAt };
  try {
    const admin = new ApiClient(service.url);
    await admin.login(ADMIN.email, ADMIN.password);
    const courier = await admin.post('/api/couriers', { name: 'Quota Courier' });
    const courierId = courier.body?.data?.id as string;
    const user = await admin.post('/api/users', {
      email: 'quota-courier@example.com',
      password: 'quota-courier-password',
      role: 'courier',
      courier_id: courierId,
    });
    if (user.status !== 201) throw new WrongAnswer('POST /api/users', user);
    const rider = new ApiClient(service.url);
    await rider.login('quota-courier@example.com', 'quota-courier-password');
    out(`at the start: ${JSON.stringify(await held(db))}`);

    // (1) Previews never confirmed, until refused.
    const answers: number[] = [];
    let refusal: { status: number; retry_after: string | null; message: unknown } | undefined;
    for (let i = 0; i < 30 && !refusal; i++) {
      const answer = await rider.upload('/api/courier-customers/import/validate', small);
      answers.push(answer.status);
      if (answer.status !== 200) {
        refusal = {
          status: answer.status,
          retry_after: answer.headers.get('retry-after'),
          message: answer.body?.message,
        };
      }
    }
    const afterPreviews = await held(db);
    out(`${answers.length} previews of ${small.rows} rows: answers ${answers.join(' ')}`);
    out(`  refused with ${JSON.stringify(refusal)}`);
    out(`  the database holds ${JSON.stringify(afterPreviews)}`);
    results.previews = { rows_each: small.rows, answers, refusal, held: afterPreviews };

    // (2) A large upload whose client leaves once the file is sent.
    const before = await held(db);
    const controller = new AbortController();
    const leaving = rider
      .upload(
        '/api/courier-customers/import',
        large,
        { target_courier_id: courierId },
        { signal: controller.signal, onSent: () => setTimeout(() => controller.abort(), 500) },
      )
      .then(
        (answer) => `answered HTTP ${answer.status}`,
        (error: unknown) => (error instanceof Error ? error.name : 'failed'),
      );
    out(`a ${large.rows}-row upload, the client gone 0.5 s after sending it: ${await leaving}`);
    await sleep(15_000);
    const afterLeaving = await held(db);
    const written = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM courier_customers`);
    out(
      `  15 s later the database holds ${JSON.stringify(afterLeaving)}, ${written.rows[0].n} courier customers`,
    );
    results.abandoned = { rows: large.rows, before, after: afterLeaving, written: written.rows[0].n };
  } finally {
    await db.end();
    await service.stop();
  }
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  out(writeResults(join(RESULTS_DIR, `${stamp}-quota`), results));
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
