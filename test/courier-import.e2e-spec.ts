import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { bearer, startTestApp, TestApp, tokenFor, tokenIn, truncateAll } from './support/test-app';

const HEADER = 'user_code,first_name,last_name,branch';
const lines = (...rows: string[]) => rows.map((r) => `${r}\n`).join('');

describe('courier customers import (one transaction)', () => {
  let t: TestApp;
  let courierA: string;
  let courierB: string;
  const admin = tokenFor(Role.Admin, { id: 'admin-1' });
  const manager = tokenFor(Role.Manager, { id: 'manager-1' });
  let courierUser: string;

  const upload = (token: string, content: string, fields: Record<string, string> = {}, path = '') => {
    const req = request(t.http).post(`/api/courier-customers/import${path}`).set(bearer(token));
    for (const [k, v] of Object.entries(fields)) void req.field(k, v);
    return req.attach('file', Buffer.from(content), 'customers.csv');
  };
  const stored = (courierId: string) =>
    t.dataSource.query(
      `SELECT user_code, first_name, last_name, branch FROM courier_customers WHERE courier_id = $1 ORDER BY user_code`,
      [courierId],
    );
  const countAll = async () =>
    (await t.dataSource.query(`SELECT count(*)::int AS n FROM courier_customers`))[0].n;

  beforeAll(async () => {
    t = await startTestApp({ IMPORT_BATCH_SIZE: '100' });
  });
  afterAll(() => t.close());
  // The database is shared by every suite: a trigger left behind would refuse their writes.
  afterEach(() => t.dataSource.query('DROP TRIGGER IF EXISTS test_refuse ON courier_customers'));
  beforeEach(async () => {
    await t.dataSource.query('DROP TRIGGER IF EXISTS test_refuse ON courier_customers');
    await truncateAll(t.dataSource);
    [{ id: courierA }, { id: courierB }] = await t.dataSource.query(
      `INSERT INTO couriers (name) VALUES ('A'), ('B') RETURNING id`,
    );
    courierUser = await tokenIn(t.dataSource, Role.Courier, { id: 'rider-1', courierId: courierA });
  });

  it('upserts by user_code: creates, then updates on a second upload; header and short rows skipped', async () => {
    const first = await upload(
      manager,
      lines(HEADER, 'U1,Ada,Lovelace,North', 'U2,Alan,Turing,', 'short,row', 'U3,Grace,Hopper'),
      { target_courier_id: courierB },
    ).expect(200);
    expect(first.body).toEqual({
      status: 'success',
      message: 'Successfully processed 3 records (Upsert complete).',
      data: { processed: 3, created: 3, updated: 0, unchanged: 0, skipped_rows: [4] },
    });
    const second = await upload(manager, lines(HEADER, 'U1,Ada,King,South', 'U4,Edsger,Dijkstra,'), {
      target_courier_id: courierB,
    }).expect(200);
    expect(second.body.data).toEqual({
      processed: 2,
      created: 1,
      updated: 1,
      unchanged: 0,
      skipped_rows: [],
    });
    expect(await stored(courierB)).toEqual([
      { user_code: 'U1', first_name: 'Ada', last_name: 'King', branch: 'South' },
      { user_code: 'U2', first_name: 'Alan', last_name: 'Turing', branch: null },
      { user_code: 'U3', first_name: 'Grace', last_name: 'Hopper', branch: null },
      { user_code: 'U4', first_name: 'Edsger', last_name: 'Dijkstra', branch: null },
    ]);
  });

  describe('the target courier', () => {
    it("is the courier user's own, even when it sends another courier's id", async () => {
      await upload(courierUser, lines(HEADER, 'C1,Ada,Lovelace'), { target_courier_id: courierB }).expect(
        200,
      );
      expect(await stored(courierA)).toHaveLength(1);
      expect(await stored(courierB)).toHaveLength(0);
    });

    it('is required for admin and manager (400), and must exist (404)', async () => {
      for (const token of [admin, manager]) {
        const missing = await upload(token, lines(HEADER, 'C1,Ada,Lovelace')).expect(400);
        expect(missing.body).toEqual({
          status: 'error',
          message: 'target_courier_id is required for admin and manager users',
          errors: [{ field: 'target_courier_id', message: 'required' }],
        });
        const unknown = await upload(token, lines(HEADER, 'C1,Ada,Lovelace'), {
          target_courier_id: '7c1f5d3e-2d5b-4f7e-9c1a-0b8e6c2d4f11',
        }).expect(404);
        expect(unknown.body).toEqual({ status: 'error', message: 'courier not found', errors: [] });
      }
      expect(await countAll()).toBe(0);
    });

    it('answers 401 in the contract body without a token', async () => {
      const res = await request(t.http)
        .post('/api/courier-customers/import')
        .attach('file', Buffer.from('a,b,c\n'), 'x.csv')
        .expect(401);
      expect(res.body).toEqual({ status: 'error', message: expect.any(String), errors: [] });
    });
  });

  describe('all or nothing', () => {
    it('one bad row in a file of 1,000: 400 with that row, and zero rows written', async () => {
      const rows = Array.from({ length: 1000 }, (_, i) => (i === 637 ? `X${i},,Last` : `X${i},First,Last`));
      const res = await upload(admin, lines(HEADER, ...rows), { target_courier_id: courierA }).expect(400);
      expect(res.body).toEqual({
        status: 'error',
        message: 'the file has 1 invalid row; nothing was written',
        errors: [{ row_number: 639, field: 'first_name', message: 'required' }],
      });
      expect(await countAll()).toBe(0);
      expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM import_sessions`))[0].n).toBe(0);
    });

    it('lists every problem: a value too long and the same user_code twice', async () => {
      const res = await upload(
        admin,
        lines(HEADER, 'D1,Ada,Lovelace', `D2,${'x'.repeat(256)},Turing`, 'D1,Again,Dup'),
        {
          target_courier_id: courierA,
        },
      ).expect(400);
      expect(res.body.errors).toEqual([
        { row_number: 3, field: 'first_name', message: 'too_long' },
        { row_number: 4, field: 'user_code', message: 'duplicate_in_csv' },
      ]);
      expect(await countAll()).toBe(0);
    });

    it('a write failure after half the rows: 400 naming the row, nothing written', async () => {
      await t.dataSource.query(`
        CREATE OR REPLACE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.user_code = 'W500' THEN RAISE EXCEPTION 'storage refused W500'; END IF;
          RETURN NEW;
        END $$`);
      await t.dataSource.query(
        `CREATE TRIGGER test_refuse BEFORE INSERT ON courier_customers FOR EACH ROW EXECUTE FUNCTION test_refuse()`,
      );
      const rows = Array.from({ length: 1000 }, (_, i) => `W${i},First,Last`);
      const res = await upload(admin, lines(HEADER, ...rows), { target_courier_id: courierA }).expect(400);
      expect(res.body).toEqual({
        status: 'error',
        message: '1 row could not be written; nothing was written',
        errors: [{ row_number: 502, field: null, message: 'storage refused W500' }],
      });
      expect(await countAll()).toBe(0);
      // Nothing of the import is left: no session, no staged row, no lineage.
      for (const table of ['import_sessions', 'import_rows', 'import_changes', 'import_created']) {
        const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`);
        expect({ table, n }).toEqual({ table, n: 0 });
      }
    });
  });

  it('a row whose INSERT wrote nothing fails the import: 400 naming the row, nothing written', async () => {
    await t.dataSource.query(`
      CREATE OR REPLACE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.user_code = 'G2' THEN RETURN NULL; END IF;
        RETURN NEW;
      END $$`);
    await t.dataSource.query(
      `CREATE TRIGGER test_refuse BEFORE INSERT ON courier_customers FOR EACH ROW EXECUTE FUNCTION test_refuse()`,
    );
    const rows = Array.from({ length: 250 }, (_, i) => `G${i},First,Last`);
    const res = await upload(admin, lines(HEADER, ...rows), { target_courier_id: courierA }).expect(400);
    expect(res.body).toEqual({
      status: 'error',
      message: '1 row could not be written; nothing was written',
      errors: [{ row_number: 4, field: null, message: 'the record was not written' }],
    });
    expect(await countAll()).toBe(0);
  });

  it('preview: validate, then confirm, then 409 on a second confirm', async () => {
    const v = await upload(
      courierUser,
      lines(HEADER, 'P1,Ada,Lovelace', 'P2,Alan,Turing', 'x'),
      {},
      '/validate',
    ).expect(200);
    expect(v.body).toMatchObject({
      code: 200,
      message: 'courier customer import validated',
      data: { total_rows: 2, valid_rows: 2, error_rows: 0, skipped_rows: [4], rows_truncated: false },
    });
    expect(await countAll()).toBe(0);
    const confirm = () =>
      request(t.http)
        .post('/api/courier-customers/import/confirm')
        .set(bearer(courierUser))
        .send({ import_id: v.body.data.import_id });
    const done = await confirm().expect(200);
    expect(done.body).toEqual({
      status: 'success',
      message: 'Successfully processed 2 records (Upsert complete).',
      data: { processed: 2, created: 2, updated: 0, unchanged: 0, skipped_rows: [4] },
    });
    const again = await confirm().expect(409);
    expect(again.body).toMatchObject({
      status: 'error',
      message: 'this import session was already confirmed',
    });
    expect(await stored(courierA)).toHaveLength(2);
  });

  it('a preview confirm upserts what is there at the confirm, whatever changed since the validate', async () => {
    await t.dataSource.query(
      `INSERT INTO courier_customers (courier_id, user_code, first_name, last_name)
       VALUES ($1, 'GONE', 'Old', 'Gone'), ($1, 'KEPT', 'Old', 'Kept'), ($1, 'RENAMED', 'Old', 'Renamed')`,
      [courierA],
    );
    const v = await upload(
      courierUser,
      lines(
        HEADER,
        'GONE,New,Gone',
        'KEPT,New,Kept',
        'RENAMED,New,Renamed',
        'LATE,New,Late',
        'FRESH,New,Fresh',
      ),
      {},
      '/validate',
    ).expect(200);
    expect(v.body.data).toMatchObject({ total_rows: 5, valid_rows: 5 });
    // After the validate: one customer deleted, one renamed, and one created with a code of the file.
    await t.dataSource.query(`DELETE FROM courier_customers WHERE user_code = 'GONE'`);
    await t.dataSource.query(`UPDATE courier_customers SET user_code = 'OTHER' WHERE user_code = 'RENAMED'`);
    await t.dataSource.query(
      `INSERT INTO courier_customers (courier_id, user_code, first_name, last_name) VALUES ($1, 'LATE', 'Old', 'Late')`,
      [courierA],
    );
    const done = await request(t.http)
      .post('/api/courier-customers/import/confirm')
      .set(bearer(courierUser))
      .send({ import_id: v.body.data.import_id })
      .expect(200);
    expect(done.body.data).toEqual({ processed: 5, created: 3, updated: 2, unchanged: 0, skipped_rows: [] });
    expect(await stored(courierA)).toEqual([
      { user_code: 'FRESH', first_name: 'New', last_name: 'Fresh', branch: null },
      { user_code: 'GONE', first_name: 'New', last_name: 'Gone', branch: null },
      { user_code: 'KEPT', first_name: 'New', last_name: 'Kept', branch: null },
      { user_code: 'LATE', first_name: 'New', last_name: 'Late', branch: null },
      { user_code: 'OTHER', first_name: 'Old', last_name: 'Renamed', branch: null },
      { user_code: 'RENAMED', first_name: 'New', last_name: 'Renamed', branch: null },
    ]);
  });

  it('preview confirm follows the session rules: another user 403, unknown 400', async () => {
    const v = await upload(courierUser, lines(HEADER, 'P1,Ada,Lovelace'), {}, '/validate').expect(200);
    await request(t.http)
      .post('/api/courier-customers/import/confirm')
      .set(bearer(admin))
      .send({ import_id: v.body.data.import_id })
      .expect(403);
    const unknown = await request(t.http)
      .post('/api/courier-customers/import/confirm')
      .set(bearer(courierUser))
      .send({ import_id: '7c1f5d3e-2d5b-4f7e-9c1a-0b8e6c2d4f11' })
      .expect(400);
    expect(unknown.body.message).toBe('import session not found or expired. please re-validate the CSV file');
    expect(await countAll()).toBe(0);
  });
});
