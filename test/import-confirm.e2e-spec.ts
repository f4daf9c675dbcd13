import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { confirm, csv, HEADER, org, validate } from './support/imports';
import {
  bearer,
  insertUser,
  startTestApp,
  TestApp,
  tokenFor,
  truncateAll,
  tokenIn,
} from './support/test-app';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function count(t: TestApp, sql: string, params: unknown[] = []): Promise<number> {
  const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM (${sql}) q`, params);
  return n;
}

/** The connection that inserts the customer named 'Cut Co' dies (a trigger the tests drop after each test). */
async function cutConnectionAtCutCo(t: TestApp): Promise<void> {
  await t.dataSource.query(`
    CREATE OR REPLACE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.company_name = 'Cut Co' THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF;
      RETURN NEW;
    END $$`);
  await t.dataSource.query(
    `CREATE TRIGGER test_refuse BEFORE INSERT ON customers FOR EACH ROW EXECUTE FUNCTION test_refuse()`,
  );
}

function sumsToTotal(
  data: { created: number; updated: number; skipped: number; failed: number },
  total: number,
) {
  expect(data.created + data.updated + data.skipped + data.failed).toBe(total);
}

describe('validate → confirm (per-row strategy)', () => {
  let t: TestApp;
  const adminId = randomUUID();
  const managerId = randomUUID();
  const admin = tokenFor(Role.Admin, { id: adminId });
  const manager = tokenFor(Role.Manager, { id: managerId });

  beforeAll(async () => {
    // One batch at a time, so that a confirm cut off mid-way has written an exact number of batches; the
    // crash and instance tests run with the default of several batches at once.
    t = await startTestApp({
      IMPORT_BATCH_SIZE: '3',
      IMPORT_CONFIRM_LEASE: '2s',
      IMPORT_CONFIRM_WORKERS: '1',
    });
  });
  afterAll(() => t.close());
  // The database is shared by every suite: a trigger left behind would refuse their writes.
  afterEach(() => t.dataSource.query('DROP TRIGGER IF EXISTS test_refuse ON customers'));
  beforeEach(async () => {
    await t.dataSource.query('DROP TRIGGER IF EXISTS test_refuse ON customers');
    await truncateAll(t.dataSource);
    await insertUser(t.dataSource, adminId, Role.Admin);
    await insertUser(t.dataSource, managerId, Role.Manager);
  });

  async function seedDirectory() {
    const [d1] = await t.dataSource.query(
      `INSERT INTO distributors (company_name, vat_number) VALUES ('Solo', 'DS1') RETURNING id`,
    );
    const twins = await t.dataSource.query(
      `INSERT INTO distributors (company_name, vat_number) VALUES ('Twin', 'DT1'), ('Twin', 'DT2') RETURNING id`,
    );
    const [existing] = await t.dataSource.query(
      `INSERT INTO customers (company_name, vat_number, city) VALUES ('Old name', 'IT100', 'Roma') RETURNING id`,
    );
    return {
      solo: d1.id as string,
      twins: twins.map((r: { id: string }) => r.id) as string[],
      existing: existing.id as string,
    };
  }

  /** One row of every status: valid, error, warning, ambiguous (resolved), ambiguous (bad resolution), ambiguous (unresolved). */
  const everyStatus = csv(
    `${HEADER},distributor`,
    `${org('Valid Co', 'IT001')},Solo`, // 2 valid
    `${org('', 'IT002')},`, // 3 error (required)
    `${org('New name', 'it100 ', { city: 'Torino' })},`, // 4 warning (already_exists)
    `${org('Amb One', 'IT004')},Twin`, // 5 ambiguous
    `${org('Amb Two', 'IT005')},Twin`, // 6 ambiguous
    `${org('Amb Three', 'IT006')},Twin`, // 7 ambiguous
  );

  it.each([false, true])('applies the confirm table with override=%s', async (override) => {
    const dir = await seedDirectory();
    const v = await validate(t, manager, 'customers', everyStatus).expect(200);
    expect(v.body.data).toMatchObject({
      total_rows: 6,
      valid_rows: 1,
      error_rows: 1,
      warning_rows: 1,
      ambiguous_rows: 3,
    });
    const c = await confirm(t, manager, 'customers', {
      import_id: v.body.data.import_id,
      override,
      resolutions: {
        '5': { organization_id: dir.twins[1] },
        '6': { organization_id: dir.solo }, // not one of row 6's candidates
      },
    }).expect(200);
    expect(c.body.code).toBe(200);
    expect(c.body.message).toBe('customer imported successfully');
    const byRow = Object.fromEntries(
      c.body.data.results.map((r: { row_number: number }) => [r.row_number, r]),
    );
    expect(byRow[2]).toEqual({ row_number: 2, status: 'created', id: expect.any(String) });
    expect(byRow[3]).toEqual({ row_number: 3, status: 'skipped', reason: 'error' });
    expect(byRow[4]).toEqual(
      override
        ? { row_number: 4, status: 'updated', id: dir.existing }
        : { row_number: 4, status: 'skipped', reason: 'warning_not_overridden' },
    );
    expect(byRow[5]).toEqual({ row_number: 5, status: 'created', id: expect.any(String) });
    expect(byRow[6]).toEqual({
      row_number: 6,
      status: 'failed',
      error: expect.stringContaining('not one of'),
    });
    expect(byRow[7]).toEqual({ row_number: 7, status: 'skipped', reason: 'ambiguous_unresolved' });
    expect(c.body.data).toMatchObject({
      created: 2,
      updated: override ? 1 : 0,
      failed: 1,
      skipped: override ? 2 : 3,
    });
    sumsToTotal(c.body.data, 6);

    const rows = await t.dataSource.query(
      `SELECT company_name, vat_number, city, distributor_id FROM customers ORDER BY company_name`,
    );
    expect(rows).toEqual(
      expect.arrayContaining([
        { company_name: 'Valid Co', vat_number: 'IT001', city: 'Milano', distributor_id: dir.solo },
        { company_name: 'Amb One', vat_number: 'IT004', city: 'Milano', distributor_id: dir.twins[1] },
        override
          ? { company_name: 'New name', vat_number: 'it100', city: 'Torino', distributor_id: null }
          : { company_name: 'Old name', vat_number: 'IT100', city: 'Roma', distributor_id: null },
      ]),
    );
    expect(rows).toHaveLength(3);

    const session = await request(t.http)
      .get(`/api/imports/${v.body.data.import_id}`)
      .set(bearer(manager))
      .expect(200);
    expect(session.body.data).toMatchObject({
      status: 'completed',
      progress: { applied_rows: 6, total_rows: 6 },
      result: { created: 2, updated: override ? 1 : 0, skipped: override ? 2 : 3, failed: 1 },
    });
  });

  it('applies distributors too, updating by VAT with override', async () => {
    const [old] = await t.dataSource.query(
      `INSERT INTO distributors (company_name, vat_number) VALUES ('Dist Old', 'DV1') RETURNING id`,
    );
    const v = await validate(
      t,
      admin,
      'distributors',
      csv(HEADER, org('Dist New', 'DV1'), org('Dist Two', 'DV2')),
    ).expect(200);
    expect(v.body.message).toBe('distributor import validated');
    const c = await confirm(t, admin, 'distributors', {
      import_id: v.body.data.import_id,
      override: true,
    }).expect(200);
    expect(c.body.message).toBe('distributor imported successfully');
    expect(c.body.data).toMatchObject({ created: 1, updated: 1, skipped: 0, failed: 0 });
    const names = await t.dataSource.query(`SELECT id, company_name FROM distributors ORDER BY company_name`);
    expect(names).toEqual([
      { id: old.id, company_name: 'Dist New' },
      { id: expect.any(String), company_name: 'Dist Two' },
    ]);
  });

  it('writes nothing before the confirm', async () => {
    await validate(t, manager, 'customers', csv(HEADER, org('A', 'V1'), org('B', 'V2'))).expect(200);
    expect(await count(t, 'SELECT 1 FROM customers')).toBe(0);
  });

  it('ten concurrent confirms: one 200, nine 409, each row written once', async () => {
    const lines = Array.from({ length: 20 }, (_, i) => org(`Co ${i}`, `VAT${i}`));
    const v = await validate(t, manager, 'customers', csv(HEADER, ...lines)).expect(200);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        confirm(t, manager, 'customers', { import_id: v.body.data.import_id }),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    expect(answers.find((a) => a.status === 409)!.body).toMatchObject({ code: 409 });
    expect(await count(t, 'SELECT 1 FROM customers')).toBe(20);
    expect(await count(t, 'SELECT DISTINCT vat_number FROM customers')).toBe(20);
    const again = await confirm(t, manager, 'customers', { import_id: v.body.data.import_id }).expect(409);
    expect(again.body.message).toBe('this import session was already confirmed');
  });

  it('a row whose INSERT wrote nothing is failed, never reported as created', async () => {
    await t.dataSource.query(`
      CREATE OR REPLACE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.company_name = 'Ghost Co' THEN RETURN NULL; END IF;
        RETURN NEW;
      END $$`);
    await t.dataSource.query(
      `CREATE TRIGGER test_refuse BEFORE INSERT ON customers FOR EACH ROW EXECUTE FUNCTION test_refuse()`,
    );
    const v = await validate(
      t,
      manager,
      'customers',
      csv(HEADER, org('A', 'V1'), org('Ghost Co', 'V2'), org('C', 'V3'), org('D', 'V4')),
    ).expect(200);
    const c = await confirm(t, manager, 'customers', { import_id: v.body.data.import_id }).expect(200);
    expect(c.body.data).toMatchObject({ created: 3, updated: 0, skipped: 0, failed: 1 });
    expect(c.body.data.results[1]).toEqual({
      row_number: 3,
      status: 'failed',
      error: 'the record was not written',
    });
    const ids = await t.dataSource.query(`SELECT id FROM customers ORDER BY company_name`);
    const reported = c.body.data.results
      .filter((r: { status: string }) => r.status === 'created')
      .map((r: { id: string }) => r.id);
    expect(ids.map((r: { id: string }) => r.id).sort()).toEqual([...reported].sort());
  });

  it('a failure on one row of a batch fails only that row', async () => {
    await t.dataSource.query(`
      CREATE OR REPLACE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.company_name = 'Refused Co' THEN RAISE EXCEPTION 'refused by the test'; END IF;
        RETURN NEW;
      END $$`);
    await t.dataSource.query(
      `CREATE TRIGGER test_refuse BEFORE INSERT OR UPDATE ON customers FOR EACH ROW EXECUTE FUNCTION test_refuse()`,
    );
    const v = await validate(
      t,
      manager,
      'customers',
      csv(HEADER, org('A', 'V1'), org('Refused Co', 'V2'), org('C', 'V3'), org('D', 'V4')),
    ).expect(200);
    const c = await confirm(t, manager, 'customers', { import_id: v.body.data.import_id }).expect(200);
    expect(c.body.data).toMatchObject({ created: 3, updated: 0, skipped: 0, failed: 1 });
    expect(c.body.data.results[1]).toEqual({ row_number: 3, status: 'failed', error: 'refused by the test' });
    const names = await t.dataSource.query(`SELECT company_name FROM customers ORDER BY company_name`);
    expect(names.map((r: { company_name: string }) => r.company_name)).toEqual(['A', 'C', 'D']);
  });

  it('a confirm cut off after its first batch is finished by a later confirm, each row written once', async () => {
    // The database connection of the confirm dies while it writes row 6 (the second batch of 3).
    await cutConnectionAtCutCo(t);
    const lines = [
      org('A', 'V1'),
      org('B', 'V2'),
      org('C', 'V3'),
      org('D', 'V4'),
      org('Cut Co', 'V5'),
      org('F', 'V6'),
      org('G', 'V7'),
    ];
    const v = await validate(t, manager, 'customers', csv(HEADER, ...lines)).expect(200);
    const id = v.body.data.import_id;
    const cut = await confirm(t, manager, 'customers', { import_id: id });
    expect(cut.status).toBe(503);
    expect(cut.body).toEqual({
      code: 503,
      message: 'the database is unavailable, try again shortly',
      data: null,
    });
    expect(await count(t, 'SELECT 1 FROM customers')).toBe(3);
    const progress = await request(t.http).get(`/api/imports/${id}`).set(bearer(manager)).expect(200);
    expect(progress.body.data).toMatchObject({
      status: 'confirming',
      progress: { applied_rows: 3, total_rows: 7 },
    });

    await t.dataSource.query('DROP TRIGGER test_refuse ON customers');
    const resumed = await confirm(t, manager, 'customers', { import_id: id }).expect(200);
    expect(resumed.body.data).toMatchObject({ created: 7, updated: 0, skipped: 0, failed: 0 });
    expect(resumed.body.data.results.map((r: { row_number: number }) => r.row_number)).toEqual([
      2, 3, 4, 5, 6, 7, 8,
    ]);
    expect(await count(t, 'SELECT 1 FROM customers')).toBe(7);
    expect(await count(t, 'SELECT DISTINCT vat_number FROM customers')).toBe(7);
  });

  it('a confirm of one batch cut off writes nothing and leaves the session as validated', async () => {
    // The claim and the only batch are one transaction: the connection dies while it writes row 3.
    await cutConnectionAtCutCo(t);
    const lines = [org('A', 'V1'), org('Cut Co', 'V2'), org('C', 'V3')];
    const v = await validate(t, manager, 'customers', csv(HEADER, ...lines)).expect(200);
    const id = v.body.data.import_id;
    expect((await confirm(t, manager, 'customers', { import_id: id })).status).toBe(503);
    expect(await count(t, 'SELECT 1 FROM customers')).toBe(0);
    expect(await count(t, 'SELECT 1 FROM import_created')).toBe(0);
    const after = await request(t.http).get(`/api/imports/${id}`).set(bearer(manager)).expect(200);
    expect(after.body.data).toMatchObject({
      status: 'validated',
      confirmed_at: null,
      progress: { applied_rows: 0, total_rows: 3 },
    });

    await t.dataSource.query('DROP TRIGGER test_refuse ON customers');
    const again = await confirm(t, manager, 'customers', { import_id: id }).expect(200);
    expect(again.body.data).toMatchObject({ created: 3, updated: 0, skipped: 0, failed: 0 });
    expect(await count(t, 'SELECT 1 FROM customers')).toBe(3);
  });

  it('async confirm answers 202 and reports progress until completed', async () => {
    const lines = Array.from({ length: 10 }, (_, i) => org(`Co ${i}`, `AS${i}`));
    const v = await validate(t, manager, 'customers', csv(HEADER, ...lines)).expect(200);
    const id = v.body.data.import_id;
    const started = await confirm(t, manager, 'customers', { import_id: id, async: true }).expect(202);
    expect(started.body).toEqual({
      code: 202,
      message: 'customer import started',
      data: { import_id: id, status_url: `/api/imports/${id}` },
    });
    let session;
    for (let i = 0; i < 100; i++) {
      session = (await request(t.http).get(`/api/imports/${id}`).set(bearer(manager)).expect(200)).body.data;
      if (session.status === 'completed') break;
      await sleep(50);
    }
    expect(session).toMatchObject({
      status: 'completed',
      result: { created: 10, updated: 0, skipped: 0, failed: 0 },
    });
    const outcomes = await request(t.http)
      .get(`/api/imports/${id}/rows?outcome=created&limit=5`)
      .set(bearer(manager))
      .expect(200);
    expect(outcomes.body.data).toMatchObject({ total: 10, offset: 0, limit: 5 });
    expect(outcomes.body.data.items[0]).toMatchObject({
      row_number: 2,
      status: 'valid',
      outcome: 'created',
      id: expect.any(String),
    });
  });

  it('rejects malformed resolutions with 400 naming the field', async () => {
    const v = await validate(t, manager, 'customers', csv(HEADER, org('A', 'V1'))).expect(200);
    const res = await confirm(t, manager, 'customers', {
      import_id: v.body.data.import_id,
      resolutions: { seven: { organization_id: 'x' } },
    }).expect(400);
    expect(res.body.data.errors[0].field).toBe('resolutions.seven');
    // Nothing was claimed: the session can still be confirmed.
    await confirm(t, manager, 'customers', { import_id: v.body.data.import_id }).expect(200);
  });

  it('only the owner may confirm, admins included (403)', async () => {
    const v = await validate(t, manager, 'customers', csv(HEADER, org('A', 'V1'))).expect(200);
    await confirm(t, admin, 'customers', { import_id: v.body.data.import_id }).expect(403);
    expect(await count(t, 'SELECT 1 FROM customers')).toBe(0);
  });
});

describe('expired sessions', () => {
  let t: TestApp;
  let manager: string;

  beforeAll(async () => {
    t = await startTestApp({ IMPORT_SESSION_TTL: '1s', IMPORT_PURGE_INTERVAL: '1s' });
  });
  afterAll(() => t.close());

  it('are refused at confirm (400), then their rows purged on schedule; the record stays, expired', async () => {
    await truncateAll(t.dataSource);
    manager = await tokenIn(t.dataSource, Role.Manager);
    const v = await validate(t, manager, 'customers', csv(HEADER, org('A', 'V1'), org('B', 'V2'))).expect(
      200,
    );
    const id = v.body.data.import_id;
    await sleep(1200);
    const refused = await confirm(t, manager, 'customers', { import_id: id }).expect(400);
    expect(refused.body.message).toBe('import session not found or expired. please re-validate the CSV file');
    let rows = 2;
    for (let i = 0; i < 40 && rows > 0; i++) {
      await sleep(100);
      rows = await count(t, 'SELECT 1 FROM import_rows WHERE session_id = $1', [id]);
    }
    expect(rows).toBe(0);
    expect(await count(t, `SELECT 1 FROM import_sessions WHERE id = $1 AND status = 'expired'`, [id])).toBe(
      1,
    );
    const record = await request(t.http).get(`/api/imports/${id}`).set(bearer(manager)).expect(200);
    expect(record.body.data).toMatchObject({ status: 'expired', counters: { total_rows: 2 } });
  });
});
