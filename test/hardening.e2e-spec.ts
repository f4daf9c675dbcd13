import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { bearer, startTestApp, TestApp, tokenFor, truncateAll } from './support/test-app';

/** Inputs that once answered 500: a huge offset, a deeply nested body (API.md: bad input is a 4xx, never a 500). */
describe('hardening: bad input is refused with a 400', () => {
  let t: TestApp;
  const admin = tokenFor(Role.Admin);

  beforeAll(async () => {
    t = await startTestApp();
    await truncateAll(t.dataSource);
  });

  afterAll(async () => {
    await t?.close();
  });

  const lists = () => [
    '/api/customers',
    '/api/distributors',
    '/api/couriers',
    '/api/users',
    `/api/couriers/${randomUUID()}/customers`,
    `/api/imports/${randomUUID()}/rows`,
  ];

  it.each(['1e20', '9223372036854775808', String(Number.MAX_SAFE_INTEGER + 1)])(
    'an offset of %s on every list and on /rows is a 400 naming offset',
    async (offset) => {
      for (const path of lists()) {
        const res = await request(t.http).get(`${path}?offset=${offset}`).set(bearer(admin));
        expect({ path, status: res.status }).toEqual({ path, status: 400 });
        expect(JSON.stringify(res.body)).toContain('offset');
      }
    },
  );

  it('the largest safe offset is still answered (an empty page)', async () => {
    const res = await request(t.http)
      .get(`/api/customers?offset=${Number.MAX_SAFE_INTEGER}`)
      .set(bearer(admin))
      .expect(200);
    expect(res.body.data).toMatchObject({ items: [], offset: Number.MAX_SAFE_INTEGER });
  });

  it('JSON nested 50,000 deep is a 400, without a token and with one, and writes nothing', async () => {
    const deep = `{"company_name":${'['.repeat(50_000)}${']'.repeat(50_000)}}`;
    const anonymous = await request(t.http)
      .post('/api/customers')
      .set('Content-Type', 'application/json')
      .send(deep);
    // Refused for its depth, or for the missing token once a body is read only after authentication.
    expect([400, 401]).toContain(anonymous.status);
    const res = await request(t.http)
      .post('/api/customers')
      .set(bearer(admin))
      .set('Content-Type', 'application/json')
      .send(deep);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 400, message: expect.stringContaining('nested'), data: null });
    const [{ count }] = await t.dataSource.query(`SELECT count(*)::int AS count FROM customers`);
    expect(count).toBe(0);
  });

  it('JSON nested within the limit is read as usual', async () => {
    const res = await request(t.http)
      .post('/api/customers')
      .set(bearer(admin))
      .set('Content-Type', 'application/json')
      .send(`{"company_name":${'['.repeat(10)}${']'.repeat(10)}}`);
    expect(res.status).toBe(400);
    expect(res.body.message).not.toContain('nested');
  });
});
