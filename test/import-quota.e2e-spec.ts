import { request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { confirm, csv, HEADER, org, validate } from './support/imports';
import { bearer, startTestApp, TestApp, tokenFor, tokenIn, truncateAll } from './support/test-app';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a user's share of the staging area, and validates whose client went away", () => {
  let t: TestApp;
  let port: number;
  const manager = tokenFor(Role.Manager, { id: 'quota-manager' });
  const other = tokenFor(Role.Manager, { id: 'quota-other' });
  const file = (rows: number, from = 0) =>
    csv(HEADER, ...Array.from({ length: rows }, (_, i) => org(`Co ${from + i}`, `VQ${from + i}`)));
  const count = async (sql: string) => (await t.dataSource.query(sql))[0].n as number;
  const sessions = () => count(`SELECT count(*)::int AS n FROM import_sessions`);
  const stagedRows = () => count(`SELECT count(*)::int AS n FROM import_rows`);

  beforeAll(async () => {
    t = await startTestApp({
      IMPORT_MAX_OPEN_SESSIONS: '2',
      IMPORT_MAX_STAGED_ROWS: '10',
      IMPORT_SESSION_TTL: '10m',
    });
    await t.app.listen(0, '127.0.0.1');
    port = (t.http.address() as AddressInfo).port;
  });
  afterAll(() => t.close());
  // The database is shared by every suite: a trigger left behind would refuse their writes.
  afterEach(() => t.dataSource.query('DROP TRIGGER IF EXISTS test_slow ON import_rows'));
  beforeEach(async () => {
    await t.dataSource.query('DROP TRIGGER IF EXISTS test_slow ON import_rows');
    await truncateAll(t.dataSource);
  });

  it('429 with Retry-After once a user holds IMPORT_MAX_OPEN_SESSIONS unconfirmed sessions; nothing staged', async () => {
    const first = await validate(t, manager, 'customers', file(1, 0)).expect(200);
    await validate(t, manager, 'customers', file(1, 1)).expect(200);
    const [rowsBefore, sessionsBefore] = [await stagedRows(), await sessions()];

    const refused = await validate(t, manager, 'customers', file(1, 2)).expect(429);
    expect(refused.body).toEqual({
      code: 429,
      message: expect.stringMatching(/you hold 2 validated imports that are not confirmed.*expires in \d+ s/),
      data: { retry_after_seconds: expect.any(Number), open_sessions: 2, staged_rows: 2 },
    });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(500);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect(refused.body.data.retry_after_seconds).toBe(retryAfter);
    expect([await stagedRows(), await sessions()]).toEqual([rowsBefore, sessionsBefore]);

    // Another user is not held back; a confirmed session no longer counts.
    await validate(t, other, 'customers', file(1, 3)).expect(200);
    await confirm(t, manager, 'customers', { import_id: first.body.data.import_id }).expect(200);
    await validate(t, manager, 'customers', file(1, 4)).expect(200);
  });

  it('429 when the file would bring the unconfirmed staged rows over IMPORT_MAX_STAGED_ROWS; 400 for a file over it alone', async () => {
    await validate(t, manager, 'customers', file(6)).expect(200);
    const rowsBefore = await stagedRows();
    const refused = await validate(t, manager, 'customers', file(5, 100)).expect(429);
    expect(refused.body.message).toMatch(/over 10: you hold 6 rows already/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(await stagedRows()).toBe(rowsBefore);
    expect(await sessions()).toBe(1);
    await validate(t, manager, 'customers', file(4, 200)).expect(200);

    const alone = await validate(t, other, 'customers', file(11, 300)).expect(400);
    expect(alone.body.message).toBe('too many rows: the limit is 10 data rows staged by one user');
  });

  it('the courier preview counts, in its own body; the direct courier import leaves nothing open and is not refused', async () => {
    const [{ id: courierId }] = await t.dataSource.query(
      `INSERT INTO couriers (name) VALUES ('A') RETURNING id`,
    );
    const rider = await tokenIn(t.dataSource, Role.Courier, { id: 'quota-rider', courierId });
    const courier = (path: string, rows: number, from: number) =>
      request(t.http)
        .post(`/api/courier-customers/import${path}`)
        .set(bearer(rider))
        .attach(
          'file',
          Buffer.from(
            `user_code,first_name,last_name,branch\n${Array.from({ length: rows }, (_, i) => `U${from + i},A,B,C\n`).join('')}`,
          ),
          'c.csv',
        );
    await courier('/validate', 1, 0).expect(200);
    await courier('/validate', 1, 1).expect(200);
    const refused = await courier('/validate', 1, 2).expect(429);
    expect(refused.body).toEqual({
      status: 'error',
      message: expect.stringContaining('you hold 2'),
      errors: [],
    });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    const direct = await courier('', 3, 10).expect(200);
    expect(direct.body.data).toMatchObject({ processed: 3, created: 3 });
  });

  /** Posts a multipart upload and closes the connection `afterMs` after the body is sent. */
  function uploadAndLeave(
    path: string,
    token: string,
    body: string,
    fields: Record<string, string>,
    afterMs: number,
  ) {
    const boundary = 'rowgate-leaving-client';
    const parts = Object.entries(fields).map(
      ([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`,
    );
    const payload = Buffer.from(
      `${parts.join('')}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="f.csv"\r\n` +
        `Content-Type: text/csv\r\n\r\n${body}\r\n--${boundary}--\r\n`,
    );
    return new Promise<void>((resolve) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path,
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': `multipart/form-data; boundary=${boundary}`,
          'Content-Length': String(payload.length),
        },
      });
      req.on('response', () => {
        throw new Error('the validate answered before the client left: make it slower');
      });
      req.on('error', () => undefined);
      req.end(payload, () =>
        setTimeout(() => {
          req.destroy();
          resolve();
        }, afterMs),
      );
    });
  }

  it.each([
    ['a customers validate', '/api/customers/import/validate', 'customers'],
    ['a direct courier import', '/api/courier-customers/import', 'courier_customers'],
  ])(
    '%s stops when its client goes away: no session, no staged row, nothing written',
    async (_name, path, table) => {
      const [{ id: courierId }] = await t.dataSource.query(
        `INSERT INTO couriers (name) VALUES ('A') RETURNING id`,
      );
      const admin = await tokenIn(t.dataSource, Role.Admin, { id: 'quota-admin' });
      // Staging slowed down: its second row takes a second to store.
      await t.dataSource.query(`
      CREATE OR REPLACE FUNCTION test_slow() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.row_number = 3 THEN PERFORM pg_sleep(1); END IF;
        RETURN NEW;
      END $$`);
      await t.dataSource.query(
        `CREATE TRIGGER test_slow BEFORE INSERT ON import_rows FOR EACH ROW EXECUTE FUNCTION test_slow()`,
      );
      const body =
        table === 'customers'
          ? file(8)
          : `user_code,first_name,last_name,branch\n${Array.from({ length: 8 }, (_, i) => `U${i},A,B,C\n`).join('')}`;
      await uploadAndLeave(
        path,
        admin,
        body,
        table === 'customers' ? {} : { target_courier_id: courierId },
        300,
      );
      // The server is still staging; it stops at its next check, and rolls back.
      await sleep(2000);
      expect(await sessions()).toBe(0);
      expect(await stagedRows()).toBe(0);
      expect(await count(`SELECT count(*)::int AS n FROM ${table}`)).toBe(0);
    },
  );
});
