import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../src/auth/jwt.strategy';
import { hashPassword } from '../src/users/password';
import { rsaKey, JwksServer, signHs256, signRs256, startJwksServer } from './support/jwks';
import { sendWithoutFinishing } from './support/slow-request';
import { tableCounts } from './support/table-counts';
import {
  bearer,
  startTestApp,
  TestApp,
  TEST_SECRET,
  accountId,
  tokenFor,
  tokenIn,
  truncateAll,
} from './support/test-app';

/** Security properties a user of the API relies on (API.md §1, §4, §6, §7, §8), on one running service. */

const ISSUER = 'https://idp.example';
const AUDIENCE = 'rowgate';
const MAX_FILE = 64 * 1024;

/** One CSV cell, quoted when it has to be (RFC 4180). */
const cell = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
const csvOf = (rows: string[][]) => rows.map((r) => `${r.map(cell).join(',')}\r\n`).join('');

/** A minimal RFC 4180 reader for the errors.csv answers. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let cells: string[] = [];
  let value = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        value += '"';
        i++;
      } else if (c === '"') quoted = false;
      else value += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(value);
      value = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      cells.push(value);
      records.push(cells);
      cells = [];
      value = '';
    } else value += c;
  }
  if (value !== '' || cells.length > 0) records.push([...cells, value]);
  return records;
}

describe('security', () => {
  let jwks: JwksServer;
  let t: TestApp;
  let port: number;
  const admin = tokenFor(Role.Admin, { id: 'security-admin' });
  const manager = tokenFor(Role.Manager, { id: 'security-manager' });

  beforeAll(async () => {
    jwks = await startJwksServer();
    t = await startTestApp({
      JWT_JWKS_URI: jwks.url,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      LOGIN_THROTTLE_LIMIT: '3',
      LOGIN_THROTTLE_TTL: '1m',
      IMPORT_MAX_FILE_SIZE: '64kb',
    });
    await t.app.listen(0, '127.0.0.1');
    port = (t.http.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await t?.close();
    await jwks?.close();
  });
  beforeEach(() => truncateAll(t.dataSource));

  // ------------------------------------------------------------------------------------------------------- JWT

  describe('tokens of the identity provider (JWT_JWKS_URI) and algorithm confusion', () => {
    const protectedRoute = (token: string) => request(t.http).get('/api/customers').set(bearer(token));
    const idpClaims = { role: 'admin' };

    it('accepts an RS256 token from the JWKS with the right issuer and audience, and the service’s own HS256 tokens', async () => {
      const rs256 = signRs256(jwks.key, idpClaims, { issuer: ISSUER, audience: AUDIENCE });
      const res = await protectedRoute(rs256).expect(200);
      expect(res.body).toEqual({
        code: 200,
        message: 'ok',
        data: { items: [], total: 0, offset: 0, limit: 50 },
      });
      await protectedRoute(
        signRs256(jwks.key, idpClaims, { issuer: ISSUER, audience: ['other', AUDIENCE] }),
      ).expect(200);
      await protectedRoute(admin).expect(200);
    });

    it('refuses an HS256 token signed with the RSA public key as the HMAC secret (401)', async () => {
      const pkcs1 = jwks.key.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
      const jwk = JSON.stringify(jwks.key.publicKey.export({ format: 'jwk' }));
      const forged = [
        signHs256(jwks.key.publicPem, { ...idpClaims, sub: 'x', iss: ISSUER, aud: AUDIENCE }, jwks.key.kid),
        signHs256(jwks.key.publicPem, { ...idpClaims, sub: 'x', iss: ISSUER, aud: AUDIENCE }),
        signHs256(jwks.key.publicPem, { ...idpClaims, sub: 'x', iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE }),
        signHs256(pkcs1, { ...idpClaims, sub: 'x', iss: ISSUER, aud: AUDIENCE }, jwks.key.kid),
        signHs256(jwk, { ...idpClaims, sub: 'x', iss: ISSUER, aud: AUDIENCE }, jwks.key.kid),
      ];
      for (const token of forged) {
        const res = await protectedRoute(token).expect(401);
        expect(res.body).toEqual({
          code: 401,
          message: 'missing, invalid or expired bearer token',
          data: null,
        });
      }
      // The same construction with the real secret is accepted: the refusals above are about the key.
      await protectedRoute(
        signHs256(TEST_SECRET, {
          ...idpClaims,
          sub: accountId('security-admin'),
          iss: LOCAL_ISSUER,
          aud: LOCAL_AUDIENCE,
          ver: 0,
          iat: Math.floor(Date.now() / 1000),
          exp: Math.floor(Date.now() / 1000) + 60,
        }),
      ).expect(200);
    });

    it('refuses RS256 tokens of another issuer or audience, or claiming to be the service’s own (401)', async () => {
      const tokens = [
        signRs256(jwks.key, idpClaims, { issuer: 'https://evil.example', audience: AUDIENCE }),
        signRs256(jwks.key, idpClaims, { issuer: ISSUER, audience: 'another-api' }),
        signRs256(jwks.key, idpClaims, { issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE }),
        signRs256(jwks.key, idpClaims, { issuer: `${ISSUER}/`, audience: AUDIENCE }),
      ];
      for (const token of tokens) await protectedRoute(token).expect(401);
    });

    it('refuses RS256 tokens signed by another key, naming an unknown key, or expired (401)', async () => {
      const impostor = rsaKey(jwks.key.kid); // same kid, another key
      await protectedRoute(signRs256(impostor, idpClaims, { issuer: ISSUER, audience: AUDIENCE })).expect(
        401,
      );
      await protectedRoute(signRs256(rsaKey(), idpClaims, { issuer: ISSUER, audience: AUDIENCE })).expect(
        401,
      );
      await protectedRoute(
        signRs256(jwks.key, idpClaims, { issuer: ISSUER, audience: AUDIENCE, expiresIn: -60 }),
      ).expect(401);
    });
  });

  // ------------------------------------------------------------------------------------------ courier isolation

  describe('a courier reaches only its own sessions and customers', () => {
    let courierA: string;
    let courierB: string;
    let riderA: string;
    let riderB: string;

    beforeEach(async () => {
      [{ id: courierA }, { id: courierB }] = await t.dataSource.query(
        `INSERT INTO couriers (name) VALUES ('A'), ('B') RETURNING id`,
      );
      riderA = await tokenIn(t.dataSource, Role.Courier, { id: 'rider-a', courierId: courierA });
      riderB = await tokenIn(t.dataSource, Role.Courier, { id: 'rider-b', courierId: courierB });
    });

    const preview = (token: string, content: string) =>
      request(t.http)
        .post('/api/courier-customers/import/validate')
        .set(bearer(token))
        .attach('file', Buffer.from(content), 'customers.csv');

    it('another courier gets 404 reading the session, its rows or errors.csv, and 403 confirming it', async () => {
      const v = await preview(
        riderA,
        'user_code,first_name,last_name\r\nA1,Ada,Lovelace\r\nA2,Alan,Turing\r\n',
      ).expect(200);
      const id: string = v.body.data.import_id;
      for (const path of [`/api/imports/${id}`, `/api/imports/${id}/rows`, `/api/imports/${id}/errors.csv`]) {
        const res = await request(t.http).get(path).set(bearer(riderB)).expect(404);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.headers['content-disposition']).toBeUndefined();
        expect(res.body).toEqual({ code: 404, message: 'import session not found', data: null });
        expect(res.text).not.toContain('A1');
        // Nor a manager; an admin may read any session (API.md §7).
        await request(t.http).get(path).set(bearer(manager)).expect(404);
        await request(t.http).get(path).set(bearer(admin)).expect(200);
      }
      const confirm = (token: string) =>
        request(t.http)
          .post('/api/courier-customers/import/confirm')
          .set(bearer(token))
          .send({ import_id: id });
      const refused = await confirm(riderB).expect(403);
      expect(refused.body).toEqual({
        status: 'error',
        message: 'this import session belongs to another user',
        errors: [],
      });
      await confirm(admin).expect(403);
      expect((await tableCounts(t.dataSource)).courier_customers).toBe(0);

      // Its owner still reads and confirms it: the refusals used nothing up.
      await request(t.http).get(`/api/imports/${id}`).set(bearer(riderA)).expect(200);
      await request(t.http).get(`/api/imports/${id}/errors.csv`).set(bearer(riderA)).expect(200);
      const done = await confirm(riderA).expect(200);
      expect(done.body.data).toMatchObject({ processed: 2, created: 2 });
      const rows = await t.dataSource.query(`SELECT courier_id FROM courier_customers`);
      expect(rows).toEqual([{ courier_id: courierA }, { courier_id: courierA }]);
    });

    it("another courier gets 404 for the courier's customers, which stay unchanged", async () => {
      const [{ id }] = await t.dataSource.query(
        `INSERT INTO courier_customers (courier_id, user_code, first_name, last_name) VALUES ($1, 'A1', 'Ada', 'Lovelace')
         RETURNING id`,
        [courierA],
      );
      const snapshot = () => t.dataSource.query(`SELECT * FROM courier_customers ORDER BY id`);
      const before = await snapshot();
      const body = { user_code: 'A1', first_name: 'Mallory', last_name: 'Evil' };
      const attempts = [
        request(t.http).get(`/api/couriers/${courierA}/customers`).set(bearer(riderB)),
        request(t.http).get(`/api/couriers/${courierA}/customers/${id}`).set(bearer(riderB)),
        request(t.http).put(`/api/couriers/${courierA}/customers/${id}`).set(bearer(riderB)).send(body),
        request(t.http).delete(`/api/couriers/${courierA}/customers/${id}`).set(bearer(riderB)),
        request(t.http).post(`/api/couriers/${courierA}/customers`).set(bearer(riderB)).send(body),
        // Its own courier in the path, the other courier's customer id.
        request(t.http).get(`/api/couriers/${courierB}/customers/${id}`).set(bearer(riderB)),
        request(t.http).put(`/api/couriers/${courierB}/customers/${id}`).set(bearer(riderB)).send(body),
        request(t.http).delete(`/api/couriers/${courierB}/customers/${id}`).set(bearer(riderB)),
      ];
      for (const attempt of attempts) {
        const res = await attempt;
        expect({ status: res.status, text: res.text }).toEqual({
          status: 404,
          text: expect.not.stringContaining('Ada'),
        });
      }
      // An upload naming courier A goes to the rider's own courier.
      await request(t.http)
        .post('/api/courier-customers/import')
        .set(bearer(riderB))
        .field('target_courier_id', courierA)
        .attach('file', Buffer.from('user_code,first_name,last_name\r\nA1,Mallory,Evil\r\n'), 'x.csv')
        .expect(200);
      const after = await snapshot();
      expect(after.filter((r: { courier_id: string }) => r.courier_id === courierA)).toEqual(before);
      expect(after.filter((r: { courier_id: string }) => r.courier_id === courierB)).toHaveLength(1);
      await request(t.http).get(`/api/couriers/${courierA}/customers/${id}`).set(bearer(riderA)).expect(200);
    });
  });

  // ----------------------------------------------------------------------------------- values that look like code

  describe('SQL- and script-shaped cell values are stored verbatim and never run', () => {
    const HOSTILE = {
      company_name: "'); DROP TABLE customers; --",
      description: "x' OR '1'='1",
      vat_number: "IT1'; DELETE FROM distributors; --",
      address: 'Robert"); DROP TABLE import_rows; --',
      city: '<script>alert(1)</script>',
      main_contact: '<img src=x onerror="alert(1)">',
      notes: '$1 $$; SELECT pg_sleep(10); $$ \\x00 %s %n {{7*7}} ${7*7}',
    };

    async function tablesExist(): Promise<void> {
      const [row] = await t.dataSource.query(
        `SELECT to_regclass('public.customers') IS NOT NULL AS customers,
                to_regclass('public.distributors') IS NOT NULL AS distributors,
                to_regclass('public.import_rows') IS NOT NULL AS import_rows,
                to_regclass('public.courier_customers') IS NOT NULL AS courier_customers`,
      );
      expect(row).toEqual({
        customers: true,
        distributors: true,
        import_rows: true,
        courier_customers: true,
      });
    }

    it('customers: validate → confirm → GET /api/customers/{id} answers the values as sent', async () => {
      await t.dataSource.query(`INSERT INTO distributors (company_name, vat_number) VALUES ('Kept', 'D1')`);
      const fields = Object.keys(HOSTILE);
      const plain = fields.map((f) => ({ company_name: 'Plain', vat_number: 'IT2' })[f] ?? '');
      const content = csvOf([fields, Object.values(HOSTILE), plain]);
      const v = await request(t.http)
        .post('/api/customers/import/validate')
        .set(bearer(manager))
        .attach('file', Buffer.from(content), 'hostile.csv')
        .expect(200);
      expect(v.body.data.rows.map((r: { errors?: unknown }) => r.errors)).toEqual([undefined, undefined]);
      expect(v.body.data).toMatchObject({ total_rows: 2, valid_rows: 2 });
      expect(v.body.data.rows[0].data).toMatchObject(HOSTILE);
      const c = await request(t.http)
        .post('/api/customers/import/confirm')
        .set(bearer(manager))
        .send({ import_id: v.body.data.import_id })
        .expect(200);
      expect(c.body.data).toMatchObject({ created: 2, updated: 0, skipped: 0, failed: 0 });
      await tablesExist();
      expect((await tableCounts(t.dataSource)).distributors).toBe(1);

      const res = await request(t.http)
        .get(`/api/customers/${c.body.data.results[0].id}`)
        .set(bearer(manager))
        .expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.body.data).toMatchObject(HOSTILE);

      // Searching with SQL- and LIKE-shaped text finds only what contains it.
      const search = (text: string) =>
        request(t.http).get('/api/customers').query({ search: text }).set(bearer(manager)).expect(200);
      expect((await search("' OR '1'='1")).body.data.total).toBe(0);
      expect((await search('%')).body.data.total).toBe(0);
      expect((await search('_')).body.data.total).toBe(0);
      const found = await search("'); DROP TABLE");
      expect(found.body.data.items.map((i: { vat_number: string }) => i.vat_number)).toEqual([
        HOSTILE.vat_number,
      ]);
    });

    it('courier customers: the import → GET answers the values as sent', async () => {
      const [{ id: courierId }] = await t.dataSource.query(
        `INSERT INTO couriers (name) VALUES ('A') RETURNING id`,
      );
      const values = {
        user_code: "U1'; DROP TABLE courier_customers; --",
        first_name: '<script>alert(document.cookie)</script>',
        last_name: 'O\'Neil"); DELETE FROM couriers; --',
        branch: '=1+1',
      };
      await request(t.http)
        .post('/api/courier-customers/import')
        .set(bearer(admin))
        .field('target_courier_id', courierId)
        .attach('file', Buffer.from(csvOf([Object.keys(values), Object.values(values)])), 'x.csv')
        .expect(200);
      await tablesExist();
      const list = await request(t.http)
        .get(`/api/couriers/${courierId}/customers`)
        .set(bearer(admin))
        .expect(200);
      expect(list.body.data.items).toEqual([expect.objectContaining(values)]);
      const one = await request(t.http)
        .get(`/api/couriers/${courierId}/customers/${list.body.data.items[0].id}`)
        .set(bearer(admin))
        .expect(200);
      expect(one.body.data).toMatchObject(values);
      expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM couriers`))[0].n).toBe(1);
    });
  });

  // ---------------------------------------------------------------------------------------------- errors.csv

  it('errors.csv neutralises every cell a spreadsheet would run as a formula (=, +, -, @)', async () => {
    const rows = [
      ['company_name', 'vat_number', 'email', 'city', '=HYPERLINK("http://evil.example","x")'],
      ["=cmd|' /C calc'!A0", 'IT1', 'bad', '+1+1', '@SUM(A1:A2)'],
      ['-2+3', 'IT2', 'bad', '=1', '-'],
      ['@foo', '=IT3', 'also bad', '+39', 'plain'],
    ];
    const v = await request(t.http)
      .post('/api/customers/import/validate')
      .set(bearer(manager))
      .attach('file', Buffer.from(csvOf(rows)), 'formulas.csv')
      .expect(200);
    expect(v.body.data.error_rows).toBe(3);
    const res = await request(t.http)
      .get(`/api/imports/${v.body.data.import_id}/errors.csv`)
      .set(bearer(manager))
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/^attachment;/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const out = parseCsv(res.text);
    expect(out).toHaveLength(4);
    expect(out[0]).toEqual([
      'company_name',
      'vat_number',
      'email',
      'city',
      `'=HYPERLINK("http://evil.example","x")`,
      'errors',
    ]);
    expect(out[1].slice(0, 5)).toEqual([`'=cmd|' /C calc'!A0`, 'IT1', 'bad', "'+1+1", "'@SUM(A1:A2)"]);
    expect(out[2].slice(0, 5)).toEqual(["'-2+3", 'IT2', 'bad', "'=1", "'-"]);
    expect(out[3].slice(0, 5)).toEqual(["'@foo", "'=IT3", 'also bad', "'+39", 'plain']);
    for (const record of out) for (const value of record) expect(value).not.toMatch(/^[=+\-@\t\r]/);
  });

  // ------------------------------------------------------------------------------------------- headers, throttle

  it('sets the security headers on answers, errors and downloads', async () => {
    const answers = [
      await request(t.http).get('/api/health').expect(200),
      await request(t.http).get('/api/customers').expect(401),
      await request(t.http).get('/api/customers/import/template').set(bearer(manager)).expect(200),
    ];
    for (const res of answers) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'self'");
      expect(res.headers['content-security-policy']).toContain("object-src 'none'");
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('throttles logins per client address: 429 once the limit is passed, even with the right password', async () => {
    await t.dataSource.query(`INSERT INTO users (email, password_hash, role) VALUES ($1, $2, 'admin')`, [
      'throttle@example.com',
      await hashPassword('right-password'),
    ]);
    const login = (password: string) =>
      request(t.http).post('/api/auth/login').send({ email: 'throttle@example.com', password });
    await login('right-password').expect(200);
    await login('wrong-password').expect(401);
    await login('wrong-password-2').expect(401);
    const res = await login('right-password').expect(429);
    expect(res.body).toEqual({ code: 429, message: 'too many requests, try again later', data: null });
    expect(res.headers['retry-after']).toEqual(expect.any(String));
    // Other routes are not throttled.
    await request(t.http).get('/api/customers').set(bearer(manager)).expect(200);
  });

  // ---------------------------------------------------------------------------------------------- size limits

  describe('uploads over IMPORT_MAX_FILE_SIZE (64kb)', () => {
    /** In the header of every file uploaded here (an ignored column), to find their spooled copies. */
    const MARKER = `spool-marker-${randomUUID()}`;
    const HEADER = `company_name,vat_number,${MARKER}\r\n`;
    const big = `${HEADER}${'Acme,IT001,\r\n'.repeat(Math.ceil((MAX_FILE + 4096) / 13))}`;

    /** The temporary files (multer's 32 hex digit names) that hold one of these uploads. */
    function spooledUploads(): string[] {
      return readdirSync(tmpdir())
        .filter((name) => /^[0-9a-f]{32}$/.test(name))
        .filter((name) => {
          const head = Buffer.alloc(256);
          try {
            const fd = openSync(join(tmpdir(), name), 'r');
            const n = readSync(fd, head, 0, head.length, 0);
            closeSync(fd);
            return head.subarray(0, n).toString('latin1').includes(MARKER);
          } catch {
            return false; // deleted meanwhile
          }
        });
    }

    it('answer 413 on every import route and write nothing', async () => {
      const [{ id: courierId }] = await t.dataSource.query(
        `INSERT INTO couriers (name) VALUES ('A') RETURNING id`,
      );
      const before = await tableCounts(t.dataSource);
      const customers = await request(t.http)
        .post('/api/customers/import/validate')
        .set(bearer(manager))
        .attach('file', Buffer.from(big), 'big.csv')
        .expect(413);
      expect(customers.body).toEqual({
        code: 413,
        message: `file is larger than the limit of ${MAX_FILE} bytes`,
        data: null,
      });
      for (const path of ['/api/courier-customers/import', '/api/courier-customers/import/validate']) {
        const courier = await request(t.http)
          .post(path)
          .set(bearer(admin))
          .field('target_courier_id', courierId)
          .attach('file', Buffer.from(big), 'big.csv')
          .expect(413);
        expect(courier.body).toEqual({
          status: 'error',
          message: `file is larger than the limit of ${MAX_FILE} bytes`,
          errors: [],
        });
      }
      const oneShot = await request(t.http)
        .post('/api/customers/import')
        .set(bearer(admin))
        .send({ content: big })
        .expect(413);
      expect(oneShot.body).toEqual({ error: 'request body is too large' });
      expect(await tableCounts(t.dataSource)).toEqual(before);
    });

    const BOUNDARY = 'rowgate-slow-upload';
    const multipartHead = Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n` +
        `Content-Type: text/csv\r\n\r\n${HEADER}`,
    );
    const chunk = Buffer.from('Acme,IT001,\r\n'.repeat(1260)); // 16 KiB of rows

    it.each(['/api/customers/import/validate', '/api/courier-customers/import'])(
      '%s: a Content-Length over the limit gets its 413 before the body is sent',
      async (path) => {
        const answer = await sendWithoutFinishing({
          port,
          path,
          headers: {
            Authorization: `Bearer ${admin}`,
            'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`,
            'Content-Length': String(10 * 1024 * 1024),
          },
          head: multipartHead,
          chunk,
          maxChunks: 1,
          intervalMs: 10,
          waitMs: 5000,
        });
        expect(answer.status).toBe(413);
        expect(answer.body).toContain(`file is larger than the limit of ${MAX_FILE} bytes`);
        expect(answer.bytesWritten).toBeLessThan(10 * 1024 * 1024);
      },
    );

    it('a chunked upload (no Content-Length) gets its 413 as soon as it passes the limit', async () => {
      const answer = await sendWithoutFinishing({
        port,
        path: '/api/customers/import/validate',
        headers: {
          Authorization: `Bearer ${manager}`,
          'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`,
        },
        head: multipartHead,
        chunk,
        maxChunks: 64, // up to 1 MiB, 16 times the limit
        intervalMs: 15,
        waitMs: 5000,
      });
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toEqual({
        code: 413,
        message: `file is larger than the limit of ${MAX_FILE} bytes`,
        data: null,
      });
      expect(answer.bytesWritten).toBeGreaterThan(MAX_FILE);
      expect(answer.bytesWritten).toBeLessThan(MAX_FILE + 8 * chunk.length);
    });

    it('the one-shot import: a Content-Length over the limit gets its 413 before the body is sent', async () => {
      const answer = await sendWithoutFinishing({
        port,
        path: '/api/customers/import',
        headers: {
          Authorization: `Bearer ${admin}`,
          'Content-Type': 'application/json',
          'Content-Length': String(10 * 1024 * 1024),
        },
        head: Buffer.from('{"content": "company_name,vat_number\\r\\n'),
        chunk: Buffer.from('Acme,IT001\\r\\n'.repeat(1260)),
        maxChunks: 1,
        intervalMs: 10,
        waitMs: 5000,
      });
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toEqual({ error: 'request body is too large' });
    });

    it('leaves no spooled upload behind, whether the upload was refused, cut off or imported', async () => {
      await request(t.http)
        .post('/api/customers/import/validate')
        .set(bearer(manager))
        .attach('file', Buffer.from(`${HEADER}Acme,IT001,\r\n`), 'ok.csv')
        .expect(200);
      let left: string[] = [];
      for (let i = 0; i < 40; i++) {
        left = spooledUploads();
        if (left.length === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(left).toEqual([]);
    });
  });
});
