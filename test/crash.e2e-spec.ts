import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ADMIN,
  auth,
  courierCsv,
  customersCsv,
  leaseLapsed,
  postJson,
  serviceOn,
  TestDatabase,
  upload,
  waitFor,
} from './support/database-process';
import { ServiceProcess, sleep } from './support/service-process';

/**
 * The service process is killed (SIGKILL: no shutdown hook runs) in the middle of an import, on a
 * PostgreSQL of its own that outlives it. A per-row confirm is finished by confirming again once the lease
 * lapsed, every row written exactly once; a one-transaction courier import leaves nothing written.
 */
describe('a service killed during an import', () => {
  const VALID = 50_000;
  const ERRORS = 50;
  let database: TestDatabase;
  let service: ServiceProcess;
  let token: string;

  beforeAll(async () => {
    database = await TestDatabase.start();
    service = await serviceOn(database, { IMPORT_BATCH_SIZE: '500', IMPORT_CONFIRM_LEASE: '2s' });
    await service.start();
    token = await service.login(ADMIN.email, ADMIN.password);
  }, 120_000);

  afterAll(async () => {
    await service?.stop('SIGKILL').catch(() => undefined);
    await database?.dispose();
  });

  /** Rowgate's own connections still open (a killed process's backends go away once PostgreSQL notices). */
  const serviceBackends = () =>
    database.count(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'rowgate'`);

  it('a per-row confirm killed half-way is finished by a later confirm, each row exactly once', async () => {
    const v = await upload(
      service,
      token,
      '/api/customers/import/validate',
      customersCsv('CR', VALID, ERRORS),
    );
    expect(v.status).toBe(200);
    expect(v.body.data).toMatchObject({ total_rows: VALID + ERRORS, valid_rows: VALID, error_rows: ERRORS });
    const id: string = v.body.data.import_id;

    const started = await postJson(service, token, '/api/customers/import/confirm', {
      import_id: id,
      async: true,
    });
    expect(started.status).toBe(202);
    await waitFor(
      'some rows to be applied',
      async () => (await database.count('SELECT 1 FROM customers')) >= 2000,
    );
    await service.stop('SIGKILL');
    await waitFor('the killed service to lose its connections', async () => (await serviceBackends()) === 0);

    const atKill = await database.count('SELECT 1 FROM customers');
    expect(atKill).toBeGreaterThanOrEqual(2000);
    expect(atKill).toBeLessThan(VALID);
    await sleep(500);
    expect(await database.count('SELECT 1 FROM customers')).toBe(atKill); // nothing goes on writing

    await service.start();
    // The token signed before the crash still works: the secret is configured, not generated.
    const halfway = await service.request(`/api/imports/${id}`, { headers: auth(token) });
    expect(halfway.status).toBe(200);
    expect(halfway.body.data.status).toBe('confirming');
    expect(halfway.body.data.progress.total_rows).toBe(VALID + ERRORS);
    expect(halfway.body.data.progress.applied_rows).toBeLessThan(VALID + ERRORS);
    expect(halfway.body.data.result).toBeNull();

    await leaseLapsed(database, id);
    const resumed = await postJson(service, token, '/api/customers/import/confirm', { import_id: id });
    expect(resumed.status).toBe(200);
    expect(resumed.body.message).toBe('customer imported successfully');
    const { created, updated, skipped, failed } = resumed.body.data;
    expect({ created, updated, skipped, failed }).toEqual({
      created: VALID,
      updated: 0,
      skipped: ERRORS,
      failed: 0,
    });
    expect(created + updated + skipped + failed).toBe(VALID + ERRORS);

    expect(await database.count('SELECT 1 FROM customers')).toBe(VALID);
    expect(await database.count('SELECT DISTINCT vat_number FROM customers')).toBe(VALID);
    expect(await database.count(`SELECT 1 FROM customers WHERE vat_number LIKE 'CRE%'`)).toBe(0);

    const done = await service.request(`/api/imports/${id}`, { headers: auth(token) });
    expect(done.body.data).toMatchObject({
      status: 'completed',
      progress: { applied_rows: VALID + ERRORS, total_rows: VALID + ERRORS },
      result: { created: VALID, updated: 0, skipped: ERRORS, failed: 0 },
    });
    const again = await postJson(service, token, '/api/customers/import/confirm', { import_id: id });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 409, message: 'this import session was already confirmed' });
  });

  it('an async revert killed mid-way is finished by the next revert, no record deleted twice', async () => {
    // The import of the previous test (50k records created) is reverted.
    const [{ id }] = await database.query<{ id: string }>(
      `SELECT id FROM import_sessions WHERE status = 'completed' AND entity = 'customer'`,
    );
    const started = await postJson(service, token, `/api/imports/${id}/revert`, { async: true });
    expect(started.status).toBe(202);
    await waitFor(
      'the revert to be writing',
      async () =>
        (await database.count(
          `SELECT 1 FROM pg_stat_activity WHERE application_name = 'rowgate' AND query LIKE '%import_revert_results%'
             AND state = 'active'`,
        )) > 0,
    );
    await service.stop('SIGKILL');
    await waitFor('the killed service to lose its connections', async () => (await serviceBackends()) === 0);
    expect(await database.count('SELECT 1 FROM customers')).toBe(VALID);
    expect(await database.count('SELECT 1 FROM import_revert_results')).toBe(0);

    await service.start();
    const halfway = await service.request(`/api/imports/${id}`, { headers: auth(token) });
    expect(halfway.body.data.status).toBe('reverting');
    await waitFor(
      'the revert lease to lapse',
      async () =>
        (
          await database.query<{ lapsed: boolean }>(
            `SELECT revert_lease_until < now() AS lapsed FROM import_sessions WHERE id = $1`,
            [id],
          )
        )[0].lapsed,
    );
    const resumed = await postJson(service, token, `/api/imports/${id}/revert`, {});
    expect(resumed.status).toBe(200);
    expect(resumed.body.data).toMatchObject({ reverted: VALID, restored: 0, kept: 0 });
    expect(await database.count('SELECT 1 FROM customers')).toBe(0);
    expect(await database.count(`SELECT 1 FROM import_revert_results WHERE action = 'deleted'`)).toBe(VALID);
    const done = await service.request(`/api/imports/${id}`, { headers: auth(token) });
    expect(done.body.data).toMatchObject({ status: 'reverted', revert: { reverted: VALID } });
  });

  it('a courier import killed inside its transaction leaves no row, and the same file imports afterwards', async () => {
    const ROWS = 30_000;
    const courier = await postJson(service, token, '/api/couriers', { name: 'Crash Courier' });
    expect(courier.status).toBe(201);
    const courierId: string = courier.body.data.id;
    const file = courierCsv('U', ROWS);

    const cut = upload(service, token, '/api/courier-customers/import', file, {
      target_courier_id: courierId,
    }).catch((error: unknown) => error);
    // The transaction has written rows once it holds a row lock on the table.
    await waitFor(
      'the import transaction to write courier customers',
      async () =>
        (await database.count(
          `SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
           WHERE c.relname = 'courier_customers' AND l.mode = 'RowExclusiveLock' AND l.granted`,
        )) > 0,
      60_000,
      20,
    );
    await service.stop('SIGKILL');
    // The client saw the connection drop, not an answer.
    expect(await cut).toHaveProperty('message', 'fetch failed');
    await waitFor('the killed service to lose its connections', async () => (await serviceBackends()) === 0);
    expect(await database.count('SELECT 1 FROM courier_customers')).toBe(0);

    await service.start();
    // The upload the killed process was reading is not left behind in the spool.
    expect(readdirSync(join(database.dir, 'service', 'spool'))).toEqual([]);
    const list = await service.request(`/api/couriers/${courierId}/customers`, { headers: auth(token) });
    expect(list.status).toBe(200);
    expect(list.body.data.total).toBe(0);

    const retried = await upload(service, token, '/api/courier-customers/import', file, {
      target_courier_id: courierId,
    });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({
      status: 'success',
      data: { processed: ROWS, created: ROWS, updated: 0, skipped_rows: [] },
    });
    expect(await database.count('SELECT 1 FROM courier_customers')).toBe(ROWS);
    expect(await database.count('SELECT DISTINCT user_code FROM courier_customers')).toBe(ROWS);
  });
});
