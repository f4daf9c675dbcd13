import {
  ADMIN,
  auth,
  customersCsv,
  leaseLapsed,
  postJson,
  serviceOn,
  TestDatabase,
  upload,
  waitFor,
} from './support/database-process';
import { ServiceProcess } from './support/service-process';

/** Two service processes on one PostgreSQL: any instance serves any step of an import. */
describe('two instances on one database', () => {
  let database: TestDatabase;
  let a: ServiceProcess;
  let b: ServiceProcess;
  let token: string;

  beforeAll(async () => {
    database = await TestDatabase.start();
    const env = { IMPORT_BATCH_SIZE: '500', IMPORT_CONFIRM_LEASE: '3s' };
    a = await serviceOn(database, env);
    b = await serviceOn(database, env);
    // Both boot at once on an empty database: migrations and the first admin are created once.
    await Promise.all([a.start(), b.start()]);
    token = await a.login(ADMIN.email, ADMIN.password);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')].map((p) => p?.catch(() => undefined)));
    await database?.dispose();
  });

  const session = (service: ServiceProcess, id: string) =>
    service.request(`/api/imports/${id}`, { headers: auth(token) });

  it('booted both on one schema with one admin, and a token of A is accepted by B', async () => {
    expect(await database.count(`SELECT 1 FROM users`)).toBe(1);
    const applied = await database.count(`SELECT 1 FROM migrations`);
    expect(applied).toBeGreaterThan(0);
    expect(await database.count(`SELECT DISTINCT name FROM migrations`)).toBe(applied);
    const me = await b.request('/api/customers', { headers: auth(token) });
    expect(me.status).toBe(200);
  });

  it('validates on A and confirms on B; both read the completed session', async () => {
    const v = await upload(a, token, '/api/customers/import/validate', customersCsv('AB', 1200, 3));
    expect(v.status).toBe(200);
    expect(v.body.data).toMatchObject({ total_rows: 1203, valid_rows: 1200, error_rows: 3 });
    const id: string = v.body.data.import_id;

    const c = await postJson(b, token, '/api/customers/import/confirm', { import_id: id });
    expect(c.status).toBe(200);
    expect(c.body.data).toMatchObject({ created: 1200, updated: 0, skipped: 3, failed: 0 });
    expect(await database.count(`SELECT 1 FROM customers WHERE vat_number LIKE 'AB%'`)).toBe(1200);

    for (const service of [a, b]) {
      const read = await session(service, id);
      expect(read.status).toBe(200);
      expect(read.body.data).toMatchObject({
        import_id: id,
        status: 'completed',
        progress: { applied_rows: 1203, total_rows: 1203 },
        result: { created: 1200, updated: 0, skipped: 3, failed: 0 },
      });
    }
    const rows = await a.request(`/api/imports/${id}/rows?status=error&offset=0&limit=10`, {
      headers: auth(token),
    });
    expect(rows.body.data.total).toBe(3);
  });

  it('20 concurrent confirms of one session across A and B: exactly one 200, the rest 409', async () => {
    const v = await upload(b, token, '/api/customers/import/validate', customersCsv('TW', 3000));
    expect(v.status).toBe(200);
    const id: string = v.body.data.import_id;

    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        postJson(i % 2 === 0 ? a : b, token, '/api/customers/import/confirm', { import_id: id }),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const winner = answers.find((answer) => answer.status === 200)!;
    expect(winner.body.data).toMatchObject({ created: 3000, updated: 0, skipped: 0, failed: 0 });
    for (const loser of answers.filter((answer) => answer.status === 409)) {
      expect(loser.body).toEqual({
        code: 409,
        message: expect.stringMatching(/^this import session (is being|was already) confirmed$/),
        data: { import_id: id },
      });
    }
    expect(await database.count(`SELECT 1 FROM customers WHERE vat_number LIKE 'TW%'`)).toBe(3000);
    expect(
      await database.count(`SELECT DISTINCT vat_number FROM customers WHERE vat_number LIKE 'TW%'`),
    ).toBe(3000);
    for (const service of [a, b]) {
      expect((await session(service, id)).body.data).toMatchObject({
        status: 'completed',
        result: { created: 3000, updated: 0, skipped: 0, failed: 0 },
      });
    }
  });

  it('an async confirm on B shows its progress on A, and A refuses to confirm it meanwhile', async () => {
    const TOTAL = 20_000;
    const v = await upload(a, token, '/api/customers/import/validate', customersCsv('PG', TOTAL));
    expect(v.status).toBe(200);
    const id: string = v.body.data.import_id;

    const started = await postJson(b, token, '/api/customers/import/confirm', { import_id: id, async: true });
    expect(started.status).toBe(202);
    expect(started.body.data).toEqual({ import_id: id, status_url: `/api/imports/${id}` });

    const during = await postJson(a, token, '/api/customers/import/confirm', { import_id: id });
    expect(during.status).toBe(409);

    const seen: number[] = [];
    let last: { status: string; progress: { applied_rows: number; total_rows: number } } | undefined;
    await waitFor(
      'the async confirm to complete',
      async () => {
        const read = await session(seen.length % 2 === 0 ? a : b, id);
        last = read.body.data;
        seen.push(last!.progress.applied_rows);
        return last!.status === 'completed';
      },
      60_000,
      100,
    );
    // Progress only grows, and was seen part-way on the way to the end.
    expect([...seen].sort((x, y) => x - y)).toEqual(seen);
    expect(seen.some((n) => n > 0 && n < TOTAL)).toBe(true);
    expect(last).toMatchObject({
      status: 'completed',
      progress: { applied_rows: TOTAL, total_rows: TOTAL },
      result: { created: TOTAL, updated: 0, skipped: 0, failed: 0 },
    });
    expect(await database.count(`SELECT 1 FROM customers WHERE vat_number LIKE 'PG%'`)).toBe(TOTAL);
  });

  it('a confirm on B that dies with B is finished on A, each row once', async () => {
    const TOTAL = 20_000;
    const v = await upload(a, token, '/api/customers/import/validate', customersCsv('FO', TOTAL));
    expect(v.status).toBe(200);
    const id: string = v.body.data.import_id;
    const started = await postJson(b, token, '/api/customers/import/confirm', { import_id: id, async: true });
    expect(started.status).toBe(202);
    const written = () => database.count(`SELECT 1 FROM customers WHERE vat_number LIKE 'FO%'`);
    await waitFor('some rows to be applied', async () => (await written()) >= 1000, 60_000, 20);
    await b.stop('SIGKILL');
    const atKill = await written();
    expect(atKill).toBeLessThan(TOTAL);

    await leaseLapsed(database, id);
    const resumed = await postJson(a, token, '/api/customers/import/confirm', { import_id: id });
    expect(resumed.status).toBe(200);
    expect(resumed.body.data).toMatchObject({ created: TOTAL, updated: 0, skipped: 0, failed: 0 });
    expect(await written()).toBe(TOTAL);
    expect(
      await database.count(`SELECT DISTINCT vat_number FROM customers WHERE vat_number LIKE 'FO%'`),
    ).toBe(TOTAL);
    expect((await session(a, id)).body.data).toMatchObject({
      status: 'completed',
      progress: { applied_rows: TOTAL, total_rows: TOTAL },
    });
  });
});
