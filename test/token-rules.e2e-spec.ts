import { JwtService } from '@nestjs/jwt';
import request from 'supertest';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../src/auth/jwt.strategy';
import { hash as bcryptHash } from 'bcryptjs';
import { Role } from '../src/auth/permissions';
import { bearer, insertUser, startTestApp, TEST_SECRET, TestApp, truncateAll } from './support/test-app';

const ADMIN_ID = '6f1c1a52-8d2e-4c55-9f5c-3f0a1f3e2b11';

/** Signs a local token with exactly the claims given (no defaults added). */
const sign = (claims: Record<string, unknown>) =>
  new JwtService({}).sign(
    {
      role: 'admin',
      sub: ADMIN_ID,
      ver: 0,
      iss: LOCAL_ISSUER,
      aud: LOCAL_AUDIENCE,
      ...claims,
    },
    { secret: TEST_SECRET, algorithm: 'HS256', noTimestamp: true },
  );

describe('token rules, cache headers and passwords', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ LOGIN_THROTTLE_LIMIT: '1000' });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await truncateAll(t.dataSource);
    await insertUser(t.dataSource, ADMIN_ID, Role.Admin);
  });

  const now = () => Math.floor(Date.now() / 1000);
  const users = (token: string) => request(t.http).get('/api/users').set(bearer(token));

  describe('expiry', () => {
    it('accepts a token that expires within the maximum lifetime', async () => {
      await users(sign({ iat: now(), exp: now() + 3600 })).expect(200);
    });

    it('401 for a token without exp', async () => {
      const res = await users(sign({ iat: now() })).expect(401);
      expect(res.body.message).toBe('missing, invalid or expired bearer token');
    });

    it('401 for a token that lives longer than JWT_MAX_LIFETIME (24h by default)', async () => {
      await users(sign({ iat: now(), exp: now() + 25 * 3600 })).expect(401);
      await users(sign({ exp: now() + 25 * 3600 })).expect(401);
    });
  });

  describe('Cache-Control', () => {
    it('is no-store on authenticated answers and on errors', async () => {
      const ok = await users(sign({ iat: now(), exp: now() + 60 })).expect(200);
      expect(ok.headers['cache-control']).toBe('no-store');
      const refused = await request(t.http).get('/api/users').expect(401);
      expect(refused.headers['cache-control']).toBe('no-store');
    });
  });

  describe('new passwords (NIST 800-63B)', () => {
    const admin = () => sign({ iat: now(), exp: now() + 600 });
    const create = (password: string) =>
      request(t.http)
        .post('/api/users')
        .set(bearer(admin()))
        .send({ email: 'new@example.com', password, role: 'manager' });
    const stored = async () =>
      (await t.dataSource.query(`SELECT count(*)::int AS n FROM users WHERE email = 'new@example.com'`))[0].n;

    it.each([
      ['aaaaaaaa', 'password must not be one character repeated'],
      ['password1', 'password is too common: choose another'],
      ['Qwertyuiop', 'password is too common: choose another'],
      ['é'.repeat(37), 'password must be at most 72 bytes in UTF-8'],
    ])('refuses %j with 400 and a reason', async (password, reason) => {
      const res = await create(password).expect(400);
      expect(res.body).toEqual({
        code: 400,
        message: reason,
        data: { errors: [{ field: 'password', message: reason }] },
      });
      expect(await stored()).toBe(0);
    });

    it('accepts a long uncommon password', async () => {
      await create('correct horse battery staple').expect(201);
      expect(await stored()).toBe(1);
    });
  });

  describe('passwords longer than 72 bytes', () => {
    it('never log in, even when the first 72 bytes match', async () => {
      const base = 'x7'.repeat(36);
      await t.dataSource.query(`INSERT INTO users (email, password_hash, role) VALUES ($1, $2, 'admin')`, [
        'long@example.com',
        // A hash of an earlier version: bcrypt compares only the first 72 bytes.
        await bcryptHash(base, 4),
      ]);
      const login = (password: string) =>
        request(t.http).post('/api/auth/login').send({ email: 'long@example.com', password });
      await login(`${base}-anything-after-byte-72`).expect(401);
      await login(base).expect(200);
    });

    it('an earlier bcrypt hash still logs in, and is replaced by a scrypt hash', async () => {
      await t.dataSource.query(`INSERT INTO users (email, password_hash, role) VALUES ($1, $2, 'admin')`, [
        'old@example.com',
        await bcryptHash('an old but fine password', 4),
      ]);
      const login = (password: string) =>
        request(t.http).post('/api/auth/login').send({ email: 'old@example.com', password });
      await login('not the password').expect(401);
      await login('an old but fine password').expect(200);
      const [{ password_hash }] = await t.dataSource.query(
        `SELECT password_hash FROM users WHERE email = 'old@example.com'`,
      );
      expect(password_hash).toMatch(/^\$scrypt\$N=16384,r=8,p=1\$/);
      await login('an old but fine password').expect(200);
      await login('not the password').expect(401);
    });
  });
});
