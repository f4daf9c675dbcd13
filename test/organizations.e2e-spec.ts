import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { bearer, startTestApp, TestApp, tokenFor, tokenIn, truncateAll } from './support/test-app';

const UNKNOWN_ID = '7c1f5d3e-2d5b-4f7e-9c1a-0b8e6c2d4f11';

const FULL = {
  company_name: '  Acme Office Supplies  ',
  description: 'Wholesale',
  vat_number: ' IT01234567890 ',
  address: 'Via Roma 1',
  city: 'Milano',
  main_contact: 'Maria Rossi',
  email: 'orders@acme.example',
  phone: '+39 02 1234 5678',
  language: 'EN',
  notes: 'Tuesdays only',
};

describe('customers and distributors REST', () => {
  let t: TestApp;
  const admin = tokenFor(Role.Admin);
  const manager = tokenFor(Role.Manager);

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  beforeEach(() => truncateAll(t.dataSource));

  const api = (token = admin) => ({
    get: (path: string) => request(t.http).get(`/api${path}`).set(bearer(token)),
    post: (path: string, body: object) => request(t.http).post(`/api${path}`).set(bearer(token)).send(body),
    put: (path: string, body: object) => request(t.http).put(`/api${path}`).set(bearer(token)).send(body),
    delete: (path: string) => request(t.http).delete(`/api${path}`).set(bearer(token)),
  });

  const row = async (table: string, id: string) => {
    const rows = await t.dataSource.query(`SELECT * FROM ${table} WHERE id = $1`, [id]);
    return rows[0] as Record<string, unknown> | undefined;
  };

  /** Creates a record through the API and answers its id. */
  const create = async (path: string, body: object): Promise<string> =>
    (await api().post(path, body).expect(201)).body.data.id;

  describe.each([
    { path: '/customers', table: 'customers', label: 'customer' },
    { path: '/distributors', table: 'distributors', label: 'distributor' },
  ])('$path', ({ path, table, label }) => {
    it('creates, reads, replaces and archives a record', async () => {
      const created = await api().post(path, FULL).expect(201);
      expect(created.body).toEqual({
        code: 201,
        message: `${label} created`,
        data: {
          id: expect.any(String),
          company_name: 'Acme Office Supplies',
          description: 'Wholesale',
          vat_number: 'IT01234567890',
          address: 'Via Roma 1',
          city: 'Milano',
          main_contact: 'Maria Rossi',
          email: 'orders@acme.example',
          phone: '+39 02 1234 5678',
          language: 'en',
          notes: 'Tuesdays only',
          created_at: expect.any(String),
          updated_at: expect.any(String),
          archived_at: null,
          import_id: null,
          ...(table === 'customers' ? { distributor_id: null } : {}),
        },
      });
      const id = created.body.data.id as string;
      expect(await row(table, id)).toMatchObject({
        company_name: 'Acme Office Supplies',
        vat_number: 'IT01234567890',
        vat_key: 'it01234567890',
        language: 'en',
        email: 'orders@acme.example',
        archived_at: null,
      });

      const read = await api().get(`${path}/${id}`).expect(200);
      expect(read.body).toEqual({ code: 200, message: 'ok', data: created.body.data });

      // A full replace: fields left out are cleared, the language falls back to `it`.
      const updated = await api()
        .put(`${path}/${id}`, { company_name: 'Acme S.p.A.', vat_number: 'IT999', city: ' Torino ' })
        .expect(200);
      expect(updated.body).toMatchObject({
        code: 200,
        message: `${label} updated`,
        data: {
          id,
          company_name: 'Acme S.p.A.',
          vat_number: 'IT999',
          city: 'Torino',
          description: null,
          email: null,
          phone: null,
          language: 'it',
          notes: null,
          created_at: created.body.data.created_at,
          archived_at: null,
        },
      });
      expect(new Date(updated.body.data.updated_at).getTime()).toBeGreaterThan(
        new Date(created.body.data.updated_at).getTime(),
      );
      expect(await row(table, id)).toMatchObject({
        company_name: 'Acme S.p.A.',
        vat_key: 'it999',
        city: 'Torino',
        description: null,
        language: 'it',
      });

      const empty = await api().delete(`${path}/${id}`).expect(204);
      expect(empty.text).toBe('');
      const archivedAt = (await row(table, id))?.archived_at as Date;
      expect(archivedAt).toBeInstanceOf(Date);

      const stillThere = await api().get(`${path}/${id}`).expect(200);
      expect(stillThere.body.data).toMatchObject({ id, archived_at: archivedAt.toISOString() });
      expect((await api().get(path).expect(200)).body.data).toEqual({
        items: [],
        total: 0,
        offset: 0,
        limit: 50,
      });
      const withArchived = await api().get(`${path}?archived=true`).expect(200);
      expect(withArchived.body.data.items.map((i: { id: string }) => i.id)).toEqual([id]);
      expect((await api().get(`${path}?archived=false`).expect(200)).body.data.total).toBe(0);

      // Archiving again is still 204 and keeps the first archived_at.
      await api().delete(`${path}/${id}`).expect(204);
      expect((await row(table, id))?.archived_at).toEqual(archivedAt);

      // An archived record can still be corrected; it stays archived.
      const corrected = await api()
        .put(`${path}/${id}`, { company_name: 'Acme', vat_number: 'IT999' })
        .expect(200);
      expect(corrected.body.data).toMatchObject({
        company_name: 'Acme',
        archived_at: archivedAt.toISOString(),
      });
    });

    it('404 for an unknown id, 400 for a malformed one', async () => {
      const body = { company_name: 'X', vat_number: 'V' };
      for (const res of [
        await api().get(`${path}/${UNKNOWN_ID}`),
        await api().put(`${path}/${UNKNOWN_ID}`, body),
        await api().delete(`${path}/${UNKNOWN_ID}`),
      ]) {
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ code: 404, message: `${label} not found`, data: null });
      }
      await api().get(`${path}/not-a-uuid`).expect(400);
      await api().put(`${path}/not-a-uuid`, body).expect(400);
      await api().delete(`${path}/not-a-uuid`).expect(400);
    });

    it('refuses unknown properties and non-string values', async () => {
      const unknown = await api()
        .post(path, { company_name: 'X', vat_number: 'V', vat_key: 'v' })
        .expect(400);
      expect(unknown.body.data.errors).toEqual([expect.objectContaining({ field: 'vat_key' })]);
      await api()
        .post(path, [{ company_name: 'X', vat_number: 'V' }])
        .expect(400);
      const wrongType = await api().post(path, { company_name: 42, vat_number: 'V' }).expect(400);
      expect(wrongType.body.data.errors).toEqual([expect.objectContaining({ field: 'company_name' })]);
      const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`);
      expect(n).toBe(0);
    });

    it('searches by company name or VAT, case-insensitively, and pages by company name', async () => {
      for (const [name, vat] of [
        ['Delta Foods', 'IT004'],
        ['Alpha Trading', 'IT001'],
        ['Charlie 100%', 'DE777'],
        ['Bravo Logistics', 'IT002'],
        ['Echo', 'FR555'],
      ]) {
        await create(path, { company_name: name, vat_number: vat });
      }
      const names = async (query: string) =>
        (await api().get(`${path}?${query}`).expect(200)).body.data.items.map(
          (i: { company_name: string }) => i.company_name,
        );
      expect(await names('')).toEqual([
        'Alpha Trading',
        'Bravo Logistics',
        'Charlie 100%',
        'Delta Foods',
        'Echo',
      ]);
      expect(await names('search=TRAD')).toEqual(['Alpha Trading']);
      expect(await names('search=it00')).toEqual(['Alpha Trading', 'Bravo Logistics', 'Delta Foods']);
      expect(await names('search=de7')).toEqual(['Charlie 100%']);
      expect(await names(`search=${encodeURIComponent('0%')}`)).toEqual(['Charlie 100%']);
      expect(await names('search=nothing')).toEqual([]);

      const page = await api().get(`${path}?offset=1&limit=2`).expect(200);
      expect(page.body).toEqual({
        code: 200,
        message: 'ok',
        data: { items: expect.any(Array), total: 5, offset: 1, limit: 2 },
      });
      expect(page.body.data.items.map((i: { company_name: string }) => i.company_name)).toEqual([
        'Bravo Logistics',
        'Charlie 100%',
      ]);
      const searchedPage = await api().get(`${path}?search=IT&offset=2&limit=1`).expect(200);
      expect(searchedPage.body.data).toMatchObject({ total: 3, offset: 2, limit: 1 });
      expect(searchedPage.body.data.items.map((i: { company_name: string }) => i.company_name)).toEqual([
        'Delta Foods',
      ]);

      await api().get(`${path}?limit=500`).expect(200);
      const tooMany = await api().get(`${path}?limit=501`).expect(400);
      expect(tooMany.body.data.errors).toEqual([expect.objectContaining({ field: 'limit' })]);
      await api().get(`${path}?limit=0`).expect(400);
      await api().get(`${path}?offset=-1`).expect(400);
      await api().get(`${path}?archived=yes`).expect(400);
      await api().get(`${path}?sort=name`).expect(400);
    });
  });

  describe('field rules (those of the CSV import)', () => {
    it('answers every field error with its stable code and writes nothing', async () => {
      const res = await api()
        .post('/distributors', {
          company_name: '   ',
          description: 'd'.repeat(501),
          address: 'a'.repeat(256),
          city: 'c'.repeat(256),
          main_contact: 'm'.repeat(256),
          email: 'not-an-email',
          phone: '02 1234567',
          language: 'de',
          notes: 'n'.repeat(1001),
        })
        .expect(400);
      expect(res.body).toEqual({
        code: 400,
        message:
          'validation failed: company_name required; description too_long; vat_number required; ' +
          'address too_long; city too_long; main_contact too_long; email invalid_format; ' +
          'phone invalid_format; language invalid_value; notes too_long',
        data: {
          errors: [
            { field: 'company_name', message: 'required' },
            { field: 'description', message: 'too_long' },
            { field: 'vat_number', message: 'required' },
            { field: 'address', message: 'too_long' },
            { field: 'city', message: 'too_long' },
            { field: 'main_contact', message: 'too_long' },
            { field: 'email', message: 'invalid_format' },
            { field: 'phone', message: 'invalid_format' },
            { field: 'language', message: 'invalid_value' },
            { field: 'notes', message: 'too_long' },
          ],
        },
      });
      const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM distributors`);
      expect(n).toBe(0);
    });

    it('counts lengths in characters, not bytes or UTF-16 units', async () => {
      const ok = [
        { company_name: 'é'.repeat(255), vat_number: 'V'.repeat(64), notes: '😀'.repeat(1000) },
        { company_name: '😀'.repeat(255), vat_number: '€'.repeat(64), description: 'ü'.repeat(500) },
      ];
      for (const body of ok) {
        const res = await api().post('/customers', body).expect(201);
        const stored = await row('customers', res.body.data.id);
        expect(stored).toMatchObject(body);
      }
      const tooLong = await api()
        .post('/customers', {
          company_name: 'é'.repeat(256),
          vat_number: 'V'.repeat(65),
          notes: '😀'.repeat(1001),
        })
        .expect(400);
      expect(tooLong.body.data.errors).toEqual([
        { field: 'company_name', message: 'too_long' },
        { field: 'vat_number', message: 'too_long' },
        { field: 'notes', message: 'too_long' },
      ]);
      const emoji = await api()
        .post('/customers', { company_name: '😀'.repeat(256), vat_number: 'V' })
        .expect(400);
      expect(emoji.body.data.errors).toEqual([{ field: 'company_name', message: 'too_long' }]);
    });

    it('reads the language case-insensitively and defaults an empty one to it', async () => {
      const language = async (value: unknown) =>
        (
          await api()
            .post('/distributors', { company_name: 'L', vat_number: 'V', language: value })
            .expect(201)
        ).body.data.language;
      expect(await language('EN')).toBe('en');
      expect(await language(' It ')).toBe('it');
      expect(await language('')).toBe('it');
      expect(await language(null)).toBe('it');
      expect(await language(undefined)).toBe('it');
      const bad = await api().post('/distributors', {
        company_name: 'L',
        vat_number: 'V',
        language: 'english',
      });
      expect(bad.status).toBe(400);
      expect(bad.body.data.errors).toEqual([{ field: 'language', message: 'invalid_value' }]);
    });

    it('checks e-mail and phone formats; empty optional values are stored as null', async () => {
      for (const email of ['a@b', 'a b@c.de', '@c.de']) {
        const res = await api().post('/customers', { company_name: 'E', vat_number: 'V', email }).expect(400);
        expect(res.body.data.errors).toEqual([{ field: 'email', message: 'invalid_format' }]);
      }
      for (const phone of ['+12345', '0039 02 1234567', '+39 02 1234567 ext 5', `+${'1'.repeat(21)}`]) {
        const res = await api().post('/customers', { company_name: 'P', vat_number: 'V', phone }).expect(400);
        expect(res.body.data.errors).toEqual([{ field: 'phone', message: 'invalid_format' }]);
      }
      const ok = await api()
        .post('/customers', {
          company_name: 'P',
          vat_number: 'V',
          phone: '+1 (555) 010-9999',
          email: ' ',
          notes: '',
        })
        .expect(201);
      expect(ok.body.data).toMatchObject({ phone: '+1 (555) 010-9999', email: null, notes: null });
    });
  });

  describe('a customer’s distributor', () => {
    it('links a live distributor, filters by it, and refuses unknown or archived ones', async () => {
      const north = await create('/distributors', { company_name: 'North', vat_number: 'D1' });
      const south = await create('/distributors', { company_name: 'South', vat_number: 'D2' });
      const a = await api()
        .post('/customers', { company_name: 'A', vat_number: 'C1', distributor_id: north.toUpperCase() })
        .expect(201);
      expect(a.body.data.distributor_id).toBe(north);
      expect(await row('customers', a.body.data.id)).toMatchObject({ distributor_id: north });
      await create('/customers', { company_name: 'B', vat_number: 'C2', distributor_id: south });
      await create('/customers', { company_name: 'C', vat_number: 'C3', distributor_id: north });
      await create('/customers', { company_name: 'D', vat_number: 'C4' });

      const ofNorth = await api().get(`/customers?distributor_id=${north}`).expect(200);
      expect(ofNorth.body.data.total).toBe(2);
      expect(ofNorth.body.data.items.map((c: { company_name: string }) => c.company_name)).toEqual([
        'A',
        'C',
      ]);
      const searched = await api().get(`/customers?distributor_id=${north}&search=c`).expect(200);
      expect(searched.body.data.items.map((c: { company_name: string }) => c.company_name)).toEqual([
        'A',
        'C',
      ]);
      expect((await api().get(`/customers?distributor_id=${UNKNOWN_ID}`).expect(200)).body.data.total).toBe(
        0,
      );
      await api().get('/customers?distributor_id=north').expect(400);

      const unknown = await api()
        .post('/customers', { company_name: 'E', vat_number: 'C5', distributor_id: UNKNOWN_ID })
        .expect(400);
      expect(unknown.body).toEqual({
        code: 400,
        message: 'validation failed: distributor_id not_found',
        data: { errors: [{ field: 'distributor_id', message: 'not_found' }] },
      });
      const malformed = await api()
        .post('/customers', { company_name: '', vat_number: 'C5', distributor_id: 'north' })
        .expect(400);
      expect(malformed.body.data.errors).toEqual([
        { field: 'company_name', message: 'required' },
        { field: 'distributor_id', message: 'invalid_format' },
      ]);

      await api().delete(`/distributors/${south}`).expect(204);
      const archived = await api()
        .post('/customers', { company_name: 'E', vat_number: 'C5', distributor_id: south })
        .expect(400);
      expect(archived.body.data.errors).toEqual([{ field: 'distributor_id', message: 'not_found' }]);

      // A full replace without distributor_id unlinks the customer; an empty one too.
      const id = a.body.data.id as string;
      const unlinked = await api()
        .put(`/customers/${id}`, { company_name: 'A', vat_number: 'C1' })
        .expect(200);
      expect(unlinked.body.data.distributor_id).toBeNull();
      await api()
        .put(`/customers/${id}`, { company_name: 'A', vat_number: 'C1', distributor_id: north })
        .expect(200);
      const emptied = await api()
        .put(`/customers/${id}`, { company_name: 'A', vat_number: 'C1', distributor_id: '' })
        .expect(200);
      expect(emptied.body.data.distributor_id).toBeNull();
      expect(await row('customers', id)).toMatchObject({ distributor_id: null });

      const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM customers`);
      expect(n).toBe(4);
    });
  });

  describe('permissions', () => {
    it('lets a manager read both and write customers, but not distributors', async () => {
      const distributor = await create('/distributors', { company_name: 'D', vat_number: 'D1' });
      const body = { company_name: 'X', vat_number: 'V' };
      const denied = await api(manager).post('/distributors', body).expect(403);
      expect(denied.body).toEqual({
        code: 403,
        message: 'missing permission: distributor:import',
        data: null,
      });
      await api(manager).put(`/distributors/${distributor}`, body).expect(403);
      await api(manager).delete(`/distributors/${distributor}`).expect(403);
      expect(await row('distributors', distributor)).toMatchObject({ company_name: 'D', archived_at: null });

      await api(manager).get('/distributors').expect(200);
      await api(manager).get(`/distributors/${distributor}`).expect(200);
      const customer = (await api(manager).post('/customers', body).expect(201)).body.data.id;
      await api(manager).put(`/customers/${customer}`, body).expect(200);
      await api(manager).get('/customers').expect(200);
      await api(manager).delete(`/customers/${customer}`).expect(204);
    });

    it('keeps couriers and callers without a token out', async () => {
      const customer = await create('/customers', { company_name: 'X', vat_number: 'V' });
      const [{ id: courierId }] = await t.dataSource.query(
        `INSERT INTO couriers (name) VALUES ('C') RETURNING id`,
      );
      const courier = await tokenIn(t.dataSource, Role.Courier, { courierId });
      const res = await api(courier).get('/customers').expect(403);
      expect(res.body).toEqual({ code: 403, message: 'missing permission: directory:read', data: null });
      await api(courier).get(`/customers/${customer}`).expect(403);
      await api(courier).get('/distributors').expect(403);
      await api(courier).post('/customers', { company_name: 'Y', vat_number: 'W' }).expect(403);
      await request(t.http).get('/api/customers').expect(401);
      await request(t.http)
        .post('/api/distributors')
        .send({ company_name: 'Y', vat_number: 'W' })
        .expect(401);
    });
  });
});
