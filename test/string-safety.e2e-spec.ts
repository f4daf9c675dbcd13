import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { bearer, startTestApp, TestApp, truncateAll, tokenIn } from './support/test-app';

describe('strings PostgreSQL cannot store: 400 naming the field', () => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp({ LOGIN_THROTTLE_LIMIT: '1000' });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await truncateAll(t.dataSource);
    admin = await tokenIn(t.dataSource, Role.Admin);
  });

  const count = async (table: string) =>
    (await t.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n;

  it('a NUL in the login email', async () => {
    const res = await request(t.http)
      .post('/api/auth/login')
      .send({ email: 'a\u0000@example.com', password: 'whatever-password' })
      .expect(400);
    expect(res.body).toEqual({
      code: 400,
      message: 'email must not contain a NUL character',
      data: { errors: [{ field: 'email', message: 'nul_character' }] },
    });
  });

  it.each(['/api/users', '/api/customers', '/api/couriers'])('a NUL in ?search= of %s', async (path) => {
    const res = await request(t.http).get(`${path}?search=%00`).set(bearer(admin)).expect(400);
    expect(res.body.data).toEqual({ errors: [{ field: 'search', message: 'nul_character' }] });
  });

  it('a lone surrogate in a REST body is refused, not stored as U+FFFD', async () => {
    const res = await request(t.http)
      .post('/api/couriers')
      .set(bearer(admin))
      .set('Content-Type', 'application/json')
      .send('{"name":"Swift \\ud800 Riders"}')
      .expect(400);
    expect(res.body).toEqual({
      code: 400,
      message: 'name must not contain a lone UTF-16 surrogate',
      data: { errors: [{ field: 'name', message: 'lone_surrogate' }] },
    });
    expect(await count('couriers')).toBe(0);
  });

  it('a NUL in a nested field of a customer body names its path', async () => {
    const res = await request(t.http)
      .post('/api/couriers')
      .set(bearer(admin))
      .send({ name: 'ok', extra: [{ note: 'x\u0000' }] })
      .expect(400);
    expect(res.body.data).toEqual({ errors: [{ field: 'extra.0.note', message: 'nul_character' }] });
    expect(await count('couriers')).toBe(0);
  });

  it('a paired surrogate (an emoji) is fine', async () => {
    await request(t.http).post('/api/couriers').set(bearer(admin)).send({ name: 'Riders 🚲' }).expect(201);
    expect(await count('couriers')).toBe(1);
  });
});
