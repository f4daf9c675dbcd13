import request from 'supertest';
import { JwtService } from '@nestjs/jwt';
import { Role } from '../src/auth/permissions';
import { hashPassword } from '../src/users/password';
import { bearer, startTestApp, TestApp, tokenFor, tokenIn, truncateAll } from './support/test-app';

describe('authentication and accounts', () => {
  let t: TestApp;
  let adminToken: string;

  beforeAll(async () => {
    t = await startTestApp({ LOGIN_THROTTLE_LIMIT: '1000' });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await truncateAll(t.dataSource);
    await t.dataSource.query(`INSERT INTO users (email, password_hash, role) VALUES ($1, $2, 'admin')`, [
      'admin@example.com',
      await hashPassword('admin-password'),
    ]);
    adminToken = (await login('admin@example.com', 'admin-password')).body.access_token;
  });

  const login = (email: string, password: string) =>
    request(t.http).post('/api/auth/login').send({ email, password });

  describe('POST /api/auth/login', () => {
    it('answers a bearer token that opens protected routes', async () => {
      const res = await login('Admin@Example.com', 'admin-password').expect(200);
      expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600 });
      await request(t.http).get('/api/users').set(bearer(res.body.access_token)).expect(200);
    });

    it('gives the same 401 for a wrong password and an unknown email', async () => {
      const wrong = await login('admin@example.com', 'not-the-password').expect(401);
      const unknown = await login('nobody@example.com', 'admin-password').expect(401);
      expect(wrong.body).toEqual({ code: 401, message: 'invalid email or password', data: null });
      expect(unknown.body).toEqual(wrong.body);
    });

    it('rejects a body without credentials with 400 naming the fields', async () => {
      const res = await request(t.http).post('/api/auth/login').send({ email: 'a@b.c' }).expect(400);
      expect(res.body.code).toBe(400);
      expect(res.body.data.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: 'password' })]),
      );
    });
  });

  describe('bearer tokens', () => {
    const protectedRoute = () => request(t.http).get('/api/users');

    it('401 without a token', async () => {
      const res = await protectedRoute().expect(401);
      expect(res.body).toEqual({
        code: 401,
        message: 'missing, invalid or expired bearer token',
        data: null,
      });
    });

    it('401 for a garbage token', () => protectedRoute().set(bearer('not.a.token')).expect(401));

    it('401 for an expired token', async () => {
      const expired = new JwtService({}).sign(
        { role: 'admin', exp: Math.floor(Date.now() / 1000) - 10 },
        {
          secret: 'test-secret-that-is-long-enough-for-hs256-signing',
          subject: 'x',
          issuer: 'rowgate',
          audience: 'rowgate-api',
        },
      );
      await protectedRoute().set(bearer(expired)).expect(401);
    });

    it('401 for a token signed with another secret', () =>
      protectedRoute()
        .set(bearer(tokenFor(Role.Admin, { secret: 'another-secret-another-secret-another-secret' })))
        .expect(401));

    it('401 for an unsigned token (alg none)', async () => {
      const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
      const now = Math.floor(Date.now() / 1000);
      const unsigned = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({
        sub: 'x',
        role: 'admin',
        iss: 'rowgate',
        aud: 'rowgate-api',
        iat: now,
        exp: now + 600,
      })}.`;
      await protectedRoute().set(bearer(unsigned)).expect(401);
    });

    it('401 for a courier token without a courier', () =>
      protectedRoute()
        .set(bearer(tokenFor(Role.Courier)))
        .expect(401));
  });

  describe('roles and permissions', () => {
    it('403 when the role lacks the permission', async () => {
      const res = await request(t.http)
        .get('/api/users')
        .set(bearer(await tokenIn(t.dataSource, Role.Manager)))
        .expect(403);
      expect(res.body).toEqual({ code: 403, message: 'missing permission: account:manage', data: null });
      const [courier] = await t.dataSource.query(`INSERT INTO couriers (name) VALUES ('C') RETURNING id`);
      await request(t.http)
        .post('/api/couriers')
        .set(bearer(await tokenIn(t.dataSource, Role.Courier, { courierId: courier.id })))
        .send({ name: 'X' })
        .expect(403);
    });
  });

  describe('users and couriers (admin)', () => {
    it('creates a courier and a courier user tied to it', async () => {
      const courier = await request(t.http)
        .post('/api/couriers')
        .set(bearer(adminToken))
        .send({ name: ' Speedy ' })
        .expect(201);
      expect(courier.body).toEqual({
        code: 201,
        message: 'courier created',
        data: { id: expect.any(String), name: 'Speedy' },
      });

      const user = await request(t.http)
        .post('/api/users')
        .set(bearer(adminToken))
        .send({
          email: 'Rider@Example.com',
          password: 'rider-password',
          role: 'courier',
          courier_id: courier.body.data.id,
        })
        .expect(201);
      expect(user.body.data).toMatchObject({
        email: 'rider@example.com',
        role: 'courier',
        courier_id: courier.body.data.id,
      });
      expect(user.body.data).not.toHaveProperty('password_hash');

      const token = (await login('rider@example.com', 'rider-password').expect(200)).body
        .access_token as string;
      const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
      expect(claims).toMatchObject({
        role: 'courier',
        courier_id: courier.body.data.id,
        sub: user.body.data.id,
      });

      const list = await request(t.http).get('/api/couriers?search=spee').set(bearer(adminToken)).expect(200);
      expect(list.body.data).toEqual({
        items: [{ id: courier.body.data.id, name: 'Speedy' }],
        total: 1,
        offset: 0,
        limit: 50,
      });
    });

    it('refuses a courier user without a courier (400) or with an unknown one (404)', async () => {
      const missing = await request(t.http)
        .post('/api/users')
        .set(bearer(adminToken))
        .send({ email: 'c@example.com', password: 'password-1', role: 'courier' })
        .expect(400);
      expect(missing.body.data.errors).toEqual([{ field: 'courier_id', message: 'required' }]);
      await request(t.http)
        .post('/api/users')
        .set(bearer(adminToken))
        .send({
          email: 'c@example.com',
          password: 'password-1',
          role: 'courier',
          courier_id: '7c1f5d3e-2d5b-4f7e-9c1a-0b8e6c2d4f11',
        })
        .expect(404);
      const count = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM users WHERE email NOT LIKE '%@token.invalid'`,
      );
      expect(count[0].n).toBe(1);
    });

    it('409 for a duplicate email, whatever its case', async () => {
      const body = { email: 'm@example.com', password: 'password-1', role: 'manager' };
      await request(t.http).post('/api/users').set(bearer(adminToken)).send(body).expect(201);
      const dup = await request(t.http)
        .post('/api/users')
        .set(bearer(adminToken))
        .send({ ...body, email: 'M@EXAMPLE.COM' })
        .expect(409);
      expect(dup.body).toMatchObject({ code: 409, message: 'a user with this email already exists' });
    });

    it('lists users without their password hashes', async () => {
      const res = await request(t.http)
        .get('/api/users?search=@example.com')
        .set(bearer(adminToken))
        .expect(200);
      expect(res.body.data.total).toBe(1);
      expect(res.body.data.items[0]).toEqual({
        id: expect.any(String),
        email: 'admin@example.com',
        role: 'admin',
        courier_id: null,
        disabled: false,
        created_at: expect.any(String),
      });
    });

    it('rejects unknown fields and bad roles with 400', async () => {
      await request(t.http)
        .post('/api/users')
        .set(bearer(adminToken))
        .send({ email: 'x@example.com', password: 'password-1', role: 'root' })
        .expect(400);
      await request(t.http)
        .post('/api/users')
        .set(bearer(adminToken))
        .send({ email: 'x@example.com', password: 'password-1', role: 'manager', is_admin: true })
        .expect(400);
    });
  });
});

describe('login throttling', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ LOGIN_THROTTLE_LIMIT: '3', LOGIN_THROTTLE_TTL: '1m' });
  });
  afterAll(() => t.close());

  it('answers 429 once the attempts from one address exceed the limit', async () => {
    const attempt = () =>
      request(t.http).post('/api/auth/login').send({ email: 'a@example.com', password: 'wrong-password' });
    for (let i = 0; i < 3; i++) await attempt().expect(401);
    const res = await attempt().expect(429);
    expect(res.body).toEqual({ code: 429, message: 'too many requests, try again later', data: null });
  });
});
