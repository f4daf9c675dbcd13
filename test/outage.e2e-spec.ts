import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
import { isAlive, ServiceProcess, sleep } from './support/service-process';

const UNAVAILABLE = { code: 503, message: 'the database is unavailable, try again shortly', data: null };
const HEALTH_DOWN = {
  code: 503,
  message: 'database unavailable',
  data: { status: 'error', database: 'down' },
};

/**
 * PostgreSQL stops while the service runs (and while requests use it), then starts again on the same port
 * with the same data: requests cut off answer a clear 503, and the service recovers by itself.
 */
describe('the database goes away and comes back', () => {
  let database: TestDatabase;
  let service: ServiceProcess;
  let token: string;
  let courierId: string;
  /** Services started by a single test, stopped here too in case that test times out. */
  const others: ServiceProcess[] = [];

  beforeAll(async () => {
    database = await TestDatabase.start();
    service = await serviceOn(database, { IMPORT_BATCH_SIZE: '500', IMPORT_CONFIRM_LEASE: '2s' });
    await service.start();
    token = await service.login(ADMIN.email, ADMIN.password);
    const courier = await postJson(service, token, '/api/couriers', { name: 'Outage Courier' });
    courierId = courier.body.data.id;
  }, 120_000);

  afterAll(async () => {
    for (const other of others) await other.stop('SIGKILL').catch(() => undefined);
    await service?.stop('SIGKILL').catch(() => undefined);
    await database?.dispose();
  });

  /** True once a transaction of the service holds a write lock on the table (it is writing to it). */
  const writing = (table: string) => async () =>
    (await database.count(
      `SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
       WHERE c.relname = $1 AND l.mode = 'RowExclusiveLock' AND l.granted`,
      [table],
    )) > 0;

  const health = () => service.request('/api/health');

  async function restartDatabase(): Promise<void> {
    await database.start();
    // No restart of the service: it reconnects by itself.
    await waitFor('the service to see its database again', async () => (await health()).status === 200);
  }

  it('a validate cut off answers 503; the service answers 503 while down and recovers by itself', async () => {
    const pid = service.pid!;
    const cut = upload(service, token, '/api/customers/import/validate', customersCsv('OV', 100_000));
    await waitFor('the validate to stage rows', writing('import_rows'), 60_000, 20);
    await database.stop();

    const answer = await cut;
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual(UNAVAILABLE);

    const down = await health();
    expect(down.status).toBe(503);
    expect(down.body).toEqual(HEALTH_DOWN);
    const list = await service.request('/api/customers', { headers: auth(token) });
    expect(list.status).toBe(503);
    expect(list.body).toEqual(UNAVAILABLE);
    const login = await postJson(service, token, '/api/auth/login', ADMIN);
    expect(login.status).toBe(503);
    expect(login.body).toEqual(UNAVAILABLE);
    const validate = await upload(service, token, '/api/customers/import/validate', customersCsv('OD', 10));
    expect(validate.status).toBe(503);
    expect(validate.body).toEqual(UNAVAILABLE);
    // The courier import keeps its own error shape (API.md §6).
    const courier = await upload(service, token, '/api/courier-customers/import', 'h\r\nU1,Ada,Rossi\r\n', {
      target_courier_id: courierId,
    });
    expect(courier.status).toBe(503);
    expect(courier.body).toEqual({ status: 'error', message: UNAVAILABLE.message, errors: [] });

    await restartDatabase();
    expect(service.pid).toBe(pid);
    expect(isAlive(pid)).toBe(true);
    // Nothing of the cut-off validate was kept.
    expect(await database.count(`SELECT 1 FROM import_sessions`)).toBe(0);
    expect(await database.count(`SELECT 1 FROM import_rows`)).toBe(0);

    const after = await upload(service, token, '/api/customers/import/validate', customersCsv('OK', 20));
    expect(after.status).toBe(200);
    expect(after.body.data).toMatchObject({ total_rows: 20, valid_rows: 20 });
    expect((await service.login(ADMIN.email, ADMIN.password)).length).toBeGreaterThan(0);
  });

  it('a confirm cut off by the outage answers 503 and is finished by confirming again, each row once', async () => {
    const TOTAL = 30_000;
    const v = await upload(service, token, '/api/customers/import/validate', customersCsv('OC', TOTAL));
    expect(v.status).toBe(200);
    const id: string = v.body.data.import_id;

    const cut = postJson(service, token, '/api/customers/import/confirm', { import_id: id });
    await waitFor(
      'some rows to be applied',
      async () => (await database.count(`SELECT 1 FROM customers WHERE vat_number LIKE 'OC%'`)) >= 1000,
      60_000,
      20,
    );
    await database.stop();
    const answer = await cut;
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual(UNAVAILABLE);

    await restartDatabase();
    const applied = await database.count(`SELECT 1 FROM customers WHERE vat_number LIKE 'OC%'`);
    expect(applied).toBeGreaterThanOrEqual(1000);
    expect(applied).toBeLessThan(TOTAL);
    const halfway = await service.request(`/api/imports/${id}`, { headers: auth(token) });
    expect(halfway.body.data).toMatchObject({ status: 'confirming', result: null });
    expect(halfway.body.data.progress.applied_rows).toBe(applied);

    await leaseLapsed(database, id);
    const resumed = await postJson(service, token, '/api/customers/import/confirm', { import_id: id });
    expect(resumed.status).toBe(200);
    expect(resumed.body.data).toMatchObject({ created: TOTAL, updated: 0, skipped: 0, failed: 0 });
    expect(await database.count(`SELECT 1 FROM customers WHERE vat_number LIKE 'OC%'`)).toBe(TOTAL);
    expect(
      await database.count(`SELECT DISTINCT vat_number FROM customers WHERE vat_number LIKE 'OC%'`),
    ).toBe(TOTAL);
    const done = await service.request(`/api/imports/${id}`, { headers: auth(token) });
    expect(done.body.data).toMatchObject({
      status: 'completed',
      progress: { applied_rows: TOTAL, total_rows: TOTAL },
      result: { created: TOTAL, updated: 0, skipped: 0, failed: 0 },
    });
  });

  it('a confirm left waiting by a saturated connection pool goes on and completes', async () => {
    // Two connections, both held 7 s (longer than the pool's 5 s wait) by rows that a trigger slows down,
    // while a third confirm needs one for its next batch.
    await database.query(`
      CREATE FUNCTION test_slow() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.vat_number IN ('SLA0000001', 'SLB0000001') THEN PERFORM pg_sleep(7); END IF;
        RETURN NEW;
      END $$`);
    await database.query(
      `CREATE TRIGGER test_slow BEFORE INSERT ON customers FOR EACH ROW EXECUTE FUNCTION test_slow()`,
    );
    const busy = await serviceOn(database, { DATABASE_POOL_SIZE: '2', IMPORT_BATCH_SIZE: '100' });
    others.push(busy);
    try {
      await busy.start();
      const busyToken = await busy.login(ADMIN.email, ADMIN.password);
      const files = {
        PB: customersCsv('PB', 20_000),
        SLA: customersCsv('SLA', 5),
        SLB: customersCsv('SLB', 5),
      };
      const ids: Record<string, string> = {};
      for (const [prefix, file] of Object.entries(files)) {
        const v = await upload(busy, busyToken, '/api/customers/import/validate', file);
        expect(v.status).toBe(200);
        ids[prefix] = v.body.data.import_id;
      }
      for (const prefix of ['PB', 'SLA', 'SLB']) {
        const started = await postJson(busy, busyToken, '/api/customers/import/confirm', {
          import_id: ids[prefix],
          async: true,
        });
        expect(started.status).toBe(202);
      }
      for (const [prefix, id] of Object.entries(ids)) {
        await waitFor(
          `the ${prefix} confirm to complete`,
          async () => {
            const read = await busy.request(`/api/imports/${id}`, { headers: auth(busyToken) });
            return read.body.data.status === 'completed';
          },
          40_000,
          500,
        );
        const rows = prefix === 'PB' ? 20_000 : 5;
        const read = await busy.request(`/api/imports/${id}`, { headers: auth(busyToken) });
        expect(read.body.data.result).toEqual({ created: rows, updated: 0, skipped: 0, failed: 0 });
        expect(
          await database.count(`SELECT DISTINCT vat_number FROM customers WHERE vat_number LIKE $1`, [
            `${prefix}0%`,
          ]),
        ).toBe(rows);
      }
    } finally {
      await busy.stop('SIGKILL').catch(() => undefined);
      await database.query(`DROP TRIGGER IF EXISTS test_slow ON customers`);
    }
  }, 90_000);

  it('health tells a busy service from a database that is down', async () => {
    // A stand-in for CPU-bound work (parsing big uploads): on SIGUSR2 every turn of the service's event loop
    // stalls 2.1 s, longer than the health check's 2 s timeout, while the database answers at once.
    const stall = join(database.dir, 'stall-event-loop.js');
    writeFileSync(
      stall,
      `const stall = () => { const end = Date.now() + 2100; while (Date.now() < end); setImmediate(stall); };
       process.once('SIGUSR2', () => setImmediate(stall));`,
    );
    const busy = await serviceOn(database, { NODE_OPTIONS: `--require ${stall}` });
    others.push(busy);
    try {
      await busy.start();
      process.kill(busy.pid!, 'SIGUSR2');
      await sleep(200);
      const answer = await busy.request('/api/health');
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ code: 200, data: { status: 'ok', database: 'up' } });
    } finally {
      await busy.stop('SIGKILL').catch(() => undefined);
    }
  });
});
