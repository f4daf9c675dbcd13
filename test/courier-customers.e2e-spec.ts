import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { bearer, startTestApp, TestApp, tokenIn, truncateAll } from './support/test-app';

const UNKNOWN_ID = '7c1f5d3e-2d5b-4f7e-9c1a-0b8e6c2d4f11';

describe('courier customers (REST)', () => {
  let t: TestApp;
  let speedy: string;
  let rapid: string;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await truncateAll(t.dataSource);
    const rows: { id: string }[] = await t.dataSource.query(
      `INSERT INTO couriers (name) VALUES ('Speedy'), ('Rapid') RETURNING id`,
    );
    [speedy, rapid] = rows.map((r) => r.id);
    admin = await tokenIn(t.dataSource, Role.Admin);
  });

  const path = (courierId: string, id?: string) =>
    `/api/couriers/${courierId}/customers${id === undefined ? '' : `/${id}`}`;
  const courierToken = (courierId: string) => tokenIn(t.dataSource, Role.Courier, { courierId });

  /** Inserts a customer with SQL and answers its id. */
  async function insert(
    courierId: string,
    userCode: string,
    firstName = 'Maria',
    lastName = 'Rossi',
    branch: string | null = null,
  ): Promise<string> {
    const rows: { id: string }[] = await t.dataSource.query(
      `INSERT INTO courier_customers (courier_id, user_code, first_name, last_name, branch)
       VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [courierId, userCode, firstName, lastName, branch],
    );
    return rows[0].id;
  }

  const dbRow = async (id: string) =>
    (
      await t.dataSource.query(
        `SELECT courier_id, user_code, first_name, last_name, branch, created_at, updated_at
         FROM courier_customers WHERE id = $1`,
        [id],
      )
    )[0];
  const count = async () =>
    (await t.dataSource.query(`SELECT count(*)::int AS n FROM courier_customers`))[0].n;

  describe('CRUD', () => {
    it('creates, reads, lists, replaces and deletes a customer', async () => {
      const created = await request(t.http)
        .post(path(speedy))
        .set(bearer(admin))
        .send({ user_code: ' C-1 ', first_name: ' Maria ', last_name: 'Rossi', branch: ' Nord ' })
        .expect(201);
      expect(created.body).toEqual({
        code: 201,
        message: 'courier customer created',
        data: {
          id: expect.any(String),
          courier_id: speedy,
          user_code: 'C-1',
          first_name: 'Maria',
          last_name: 'Rossi',
          branch: 'Nord',
          created_at: expect.any(String),
          updated_at: expect.any(String),
          import_id: null,
        },
      });
      const id = created.body.data.id as string;
      expect(await dbRow(id)).toMatchObject({
        courier_id: speedy,
        user_code: 'C-1',
        first_name: 'Maria',
        last_name: 'Rossi',
        branch: 'Nord',
      });

      const got = await request(t.http).get(path(speedy, id)).set(bearer(admin)).expect(200);
      expect(got.body).toEqual({ code: 200, message: 'ok', data: created.body.data });

      const list = await request(t.http).get(path(speedy)).set(bearer(admin)).expect(200);
      expect(list.body).toEqual({
        code: 200,
        message: 'ok',
        data: { items: [created.body.data], total: 1, offset: 0, limit: 50 },
      });

      const updated = await request(t.http)
        .put(path(speedy, id))
        .set(bearer(admin))
        .send({ user_code: 'C-2', first_name: 'Anna', last_name: 'Bianchi' })
        .expect(200);
      expect(updated.body).toEqual({
        code: 200,
        message: 'courier customer updated',
        data: {
          ...created.body.data,
          user_code: 'C-2',
          first_name: 'Anna',
          last_name: 'Bianchi',
          branch: null,
          updated_at: expect.any(String),
        },
      });
      const row = await dbRow(id);
      expect(row).toMatchObject({ user_code: 'C-2', first_name: 'Anna', last_name: 'Bianchi', branch: null });
      expect(row.updated_at.getTime()).toBeGreaterThanOrEqual(row.created_at.getTime());

      const removed = await request(t.http).delete(path(speedy, id)).set(bearer(admin)).expect(204);
      expect(removed.text).toBe('');
      expect(await count()).toBe(0);
      await request(t.http).get(path(speedy, id)).set(bearer(admin)).expect(404);
      await request(t.http).delete(path(speedy, id)).set(bearer(admin)).expect(404);
    });

    it('404 for an unknown customer on get, update and delete', async () => {
      const body = { user_code: 'C-1', first_name: 'M', last_name: 'R' };
      for (const call of [
        request(t.http).get(path(speedy, UNKNOWN_ID)),
        request(t.http).put(path(speedy, UNKNOWN_ID)).send(body),
        request(t.http).delete(path(speedy, UNKNOWN_ID)),
      ]) {
        const res = await call.set(bearer(admin)).expect(404);
        expect(res.body).toEqual({ code: 404, message: 'courier customer not found', data: null });
      }
      expect(await count()).toBe(0);
    });

    it('404 for a customer asked for under another courier, and leaves it unchanged', async () => {
      const id = await insert(rapid, 'R-1');
      const before = await dbRow(id);
      await request(t.http).get(path(speedy, id)).set(bearer(admin)).expect(404);
      await request(t.http)
        .put(path(speedy, id))
        .set(bearer(admin))
        .send({ user_code: 'X', first_name: 'X', last_name: 'X' })
        .expect(404);
      await request(t.http).delete(path(speedy, id)).set(bearer(admin)).expect(404);
      expect(await dbRow(id)).toEqual(before);
    });
  });

  describe('user_code uniqueness', () => {
    it('409 for a user_code already used in the courier, and the same code is fine in another courier', async () => {
      await insert(speedy, 'C-1', 'Maria', 'Rossi');
      const dup = await request(t.http)
        .post(path(speedy))
        .set(bearer(admin))
        .send({ user_code: ' C-1', first_name: 'Other', last_name: 'Person' })
        .expect(409);
      expect(dup.body).toEqual({
        code: 409,
        message: 'a customer with this user_code already exists in this courier',
        data: { errors: [{ field: 'user_code', message: 'already_exists' }] },
      });
      expect(await count()).toBe(1);

      await request(t.http)
        .post(path(rapid))
        .set(bearer(admin))
        .send({ user_code: 'C-1', first_name: 'Other', last_name: 'Person' })
        .expect(201);
      expect(await count()).toBe(2);
    });

    it('creates exactly one of many concurrent creates with the same user_code', async () => {
      const body = { user_code: 'C-1', first_name: 'M', last_name: 'R' };
      const results = await Promise.all(
        Array.from({ length: 8 }, () => request(t.http).post(path(speedy)).set(bearer(admin)).send(body)),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
      expect(await count()).toBe(1);
    });

    it('409 when an update takes a user_code used in the courier; keeping its own code is fine', async () => {
      await insert(speedy, 'C-1');
      const id = await insert(speedy, 'C-2', 'Anna', 'Bianchi');
      const clash = await request(t.http)
        .put(path(speedy, id))
        .set(bearer(admin))
        .send({ user_code: 'C-1', first_name: 'Anna', last_name: 'Bianchi' })
        .expect(409);
      expect(clash.body).toEqual({
        code: 409,
        message: 'a customer with this user_code already exists in this courier',
        data: { errors: [{ field: 'user_code', message: 'already_exists' }] },
      });
      expect(await dbRow(id)).toMatchObject({ user_code: 'C-2', first_name: 'Anna' });

      await request(t.http)
        .put(path(speedy, id))
        .set(bearer(admin))
        .send({ user_code: 'C-2', first_name: 'Annalisa', last_name: 'Bianchi', branch: 'Sud' })
        .expect(200);
      expect(await dbRow(id)).toMatchObject({ user_code: 'C-2', first_name: 'Annalisa', branch: 'Sud' });
    });
  });

  describe('access', () => {
    it('a courier user works on its own courier', async () => {
      const token = await courierToken(speedy);
      const created = await request(t.http)
        .post(path(speedy))
        .set(bearer(token))
        .send({ user_code: 'C-1', first_name: 'M', last_name: 'R' })
        .expect(201);
      const id = created.body.data.id as string;
      await request(t.http).get(path(speedy)).set(bearer(token)).expect(200);
      await request(t.http).get(path(speedy, id)).set(bearer(token)).expect(200);
      await request(t.http)
        .put(path(speedy, id))
        .set(bearer(token))
        .send({ user_code: 'C-1', first_name: 'Mario', last_name: 'R' })
        .expect(200);
      await request(t.http).delete(path(speedy, id)).set(bearer(token)).expect(204);
    });

    it('a courier user gets 404 for another courier, which stays unchanged', async () => {
      const token = await courierToken(speedy);
      const id = await insert(rapid, 'R-1', 'Luca', 'Verdi', 'Est');
      const before = await dbRow(id);
      const body = { user_code: 'R-1', first_name: 'Hacked', last_name: 'Hacked' };
      for (const call of [
        request(t.http).get(path(rapid)),
        request(t.http)
          .post(path(rapid))
          .send({ ...body, user_code: 'NEW' }),
        request(t.http).get(path(rapid, id)),
        request(t.http).put(path(rapid, id)).send(body),
        request(t.http).delete(path(rapid, id)),
      ]) {
        const res = await call.set(bearer(token)).expect(404);
        expect(res.body).toEqual({ code: 404, message: 'courier not found', data: null });
      }
      expect(await dbRow(id)).toEqual(before);
      expect(await count()).toBe(1);
    });

    it('a courier user gets the same 404 for an existing and an unknown courier', async () => {
      const token = await courierToken(speedy);
      const other = await request(t.http).get(path(rapid)).set(bearer(token)).expect(404);
      const unknown = await request(t.http).get(path(UNKNOWN_ID)).set(bearer(token)).expect(404);
      expect(other.body).toEqual(unknown.body);
    });

    it('a token for a courier that does not exist is refused (401): no such account can exist', async () =>
      request(t.http)
        .get(path(UNKNOWN_ID))
        .set(bearer(await courierToken(UNKNOWN_ID)))
        .expect(401));

    it.each([Role.Admin, Role.Manager])('%s reaches any courier', async (role) => {
      const token = await tokenIn(t.dataSource, role);
      await insert(rapid, 'R-1');
      for (const courierId of [speedy, rapid]) {
        await request(t.http)
          .post(path(courierId))
          .set(bearer(token))
          .send({ user_code: 'C-1', first_name: 'M', last_name: 'R' })
          .expect(201);
      }
      const list = await request(t.http).get(path(rapid)).set(bearer(token)).expect(200);
      expect(list.body.data.items.map((c: { user_code: string }) => c.user_code)).toEqual(['C-1', 'R-1']);
    });

    it('404 for an unknown courier', async () => {
      const res = await request(t.http).get(path(UNKNOWN_ID)).set(bearer(admin)).expect(404);
      expect(res.body).toEqual({ code: 404, message: 'courier not found', data: null });
      await request(t.http)
        .post(path(UNKNOWN_ID))
        .set(bearer(await tokenIn(t.dataSource, Role.Manager)))
        .send({ user_code: 'C-1', first_name: 'M', last_name: 'R' })
        .expect(404);
      expect(await count()).toBe(0);
    });

    it('401 without a token', () => request(t.http).get(path(speedy)).expect(401));

    it('accepts an upper-case courier id as the courier user’s own', async () =>
      request(t.http)
        .get(path(speedy.toUpperCase()))
        .set(bearer(await courierToken(speedy)))
        .expect(200));

    // Every role holds customer:add (API.md §1), so no role gets 403 on these routes.
  });

  describe('bad requests', () => {
    it('400 with the envelope for a malformed courier id or customer id', async () => {
      const res = await request(t.http).get(path('not-a-uuid')).set(bearer(admin)).expect(400);
      expect(res.body).toEqual({ code: 400, message: 'Validation failed (uuid is expected)', data: null });
      await request(t.http).get(path(speedy, '123')).set(bearer(admin)).expect(400);
      await request(t.http)
        .put(path(speedy, '123'))
        .set(bearer(admin))
        .send({ user_code: 'C-1', first_name: 'M', last_name: 'R' })
        .expect(400);
      await request(t.http).delete(path(speedy, '123')).set(bearer(admin)).expect(400);
    });

    it('400 with the stable codes of the shared rules for missing and too long fields', async () => {
      const missing = await request(t.http)
        .post(path(speedy))
        .set(bearer(admin))
        .send({ user_code: '   ', last_name: null })
        .expect(400);
      expect(missing.body).toMatchObject({ code: 400, message: expect.stringMatching(/^validation failed/) });
      expect(missing.body.data.errors).toEqual([
        { field: 'user_code', message: 'required' },
        { field: 'first_name', message: 'required' },
        { field: 'last_name', message: 'required' },
      ]);

      const long = await request(t.http)
        .post(path(speedy))
        .set(bearer(admin))
        .send({
          user_code: 'u'.repeat(65),
          first_name: 'f'.repeat(256),
          last_name: 'R',
          branch: 'b'.repeat(256),
        })
        .expect(400);
      expect(long.body.data.errors).toEqual([
        { field: 'user_code', message: 'too_long' },
        { field: 'first_name', message: 'too_long' },
        { field: 'branch', message: 'too_long' },
      ]);
      expect(await count()).toBe(0);

      const id = await insert(speedy, 'C-1');
      const update = await request(t.http)
        .put(path(speedy, id))
        .set(bearer(admin))
        .send({ user_code: 'C-1', first_name: '', last_name: 'R' })
        .expect(400);
      expect(update.body.data.errors).toEqual([{ field: 'first_name', message: 'required' }]);
      expect(await dbRow(id)).toMatchObject({ first_name: 'Maria' });
    });

    it('counts characters, not bytes: 64 emoji make a valid user_code', async () => {
      const userCode = '😀'.repeat(64);
      const res = await request(t.http)
        .post(path(speedy))
        .set(bearer(admin))
        .send({ user_code: userCode, first_name: 'è'.repeat(255), last_name: 'R' })
        .expect(201);
      expect(res.body.data.user_code).toBe(userCode);
    });

    it('400 for unknown fields and non-string values', async () => {
      const unknown = await request(t.http)
        .post(path(speedy))
        .set(bearer(admin))
        .send({ user_code: 'C-1', first_name: 'M', last_name: 'R', courier_id: rapid })
        .expect(400);
      expect(unknown.body.data.errors).toEqual([expect.objectContaining({ field: 'courier_id' })]);
      const typed = await request(t.http)
        .post(path(speedy))
        .set(bearer(admin))
        .send({ user_code: 42, first_name: 'M', last_name: 'R' })
        .expect(400);
      expect(typed.body.data.errors).toEqual([expect.objectContaining({ field: 'user_code' })]);
      expect(await count()).toBe(0);
    });

    it('400 for a bad paging query', async () => {
      await request(t.http)
        .get(`${path(speedy)}?limit=501`)
        .set(bearer(admin))
        .expect(400);
      await request(t.http)
        .get(`${path(speedy)}?offset=-1`)
        .set(bearer(admin))
        .expect(400);
    });
  });

  describe('list', () => {
    beforeEach(async () => {
      await insert(speedy, 'B-2', 'Anna', 'Bianchi', 'Nord');
      await insert(speedy, 'A-1', 'Mario', 'Rossi');
      await insert(speedy, 'C-3', 'Luca', 'Verdi');
      await insert(speedy, 'D_4', 'Paola', 'Neri%');
      await insert(rapid, 'A-0', 'Mario', 'Rossi');
    });
    const codes = (res: request.Response) =>
      res.body.data.items.map((c: { user_code: string }) => c.user_code);

    it('pages the courier’s own customers by user_code', async () => {
      const first = await request(t.http)
        .get(`${path(speedy)}?limit=2`)
        .set(bearer(admin))
        .expect(200);
      expect(codes(first)).toEqual(['A-1', 'B-2']);
      expect(first.body.data).toMatchObject({ total: 4, offset: 0, limit: 2 });
      const second = await request(t.http)
        .get(`${path(speedy)}?offset=2&limit=2`)
        .set(bearer(admin))
        .expect(200);
      expect(codes(second)).toEqual(['C-3', 'D_4']);
      expect(second.body.data).toMatchObject({ total: 4, offset: 2, limit: 2 });
      const beyond = await request(t.http)
        .get(`${path(speedy)}?offset=10`)
        .set(bearer(admin))
        .expect(200);
      expect(beyond.body.data).toEqual({ items: [], total: 4, offset: 10, limit: 50 });
    });

    it('searches user_code, first_name and last_name case-insensitively', async () => {
      const search = async (text: string) =>
        codes(await request(t.http).get(path(speedy)).query({ search: text }).set(bearer(admin)).expect(200));
      expect(await search('b-2')).toEqual(['B-2']);
      expect(await search('MARIO')).toEqual(['A-1']);
      expect(await search('verd')).toEqual(['C-3']);
      expect(await search('nord')).toEqual([]); // branch is not searched
      expect(await search('%')).toEqual(['D_4']); // LIKE wildcards are literal
      expect(await search('_')).toEqual(['D_4']);
      const res = await request(t.http)
        .get(path(speedy))
        .query({ search: 'rossi' })
        .set(bearer(admin))
        .expect(200);
      expect(res.body.data.total).toBe(1);
    });
  });
});
