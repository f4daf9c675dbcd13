import request from 'supertest';
import { hashPassword } from '../src/users/password';
import { startTestApp, TestApp, truncateAll } from './support/test-app';

describe('login throttle behind forged X-Forwarded-For (TRUST_PROXY unset)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ LOGIN_THROTTLE_LIMIT: '10' });
    await truncateAll(t.dataSource);
    await t.dataSource.query(`INSERT INTO users (email, password_hash, role) VALUES ($1, $2, 'admin')`, [
      'admin@example.com',
      await hashPassword('admin-password'),
    ]);
  });
  afterAll(() => t.close());

  it('a forged address per attempt does not escape the throttle', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) {
      const res = await request(t.http)
        .post('/api/auth/login')
        .set('X-Forwarded-For', `203.0.113.${i + 1}`)
        .send({ email: 'admin@example.com', password: `wrong-${i}` });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual(Array(5).fill(429));
  });
});

describe('login throttle per account, in PostgreSQL (TRUST_PROXY=loopback)', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await startTestApp({ LOGIN_THROTTLE_LIMIT: '10', TRUST_PROXY: 'loopback' });
    b = await startTestApp({ LOGIN_THROTTLE_LIMIT: '10', TRUST_PROXY: 'loopback' });
    await truncateAll(a.dataSource);
    for (const email of ['victim@example.com', 'other@example.com']) {
      await a.dataSource.query(`INSERT INTO users (email, password_hash, role) VALUES ($1, $2, 'admin')`, [
        email,
        await hashPassword('the-right-password'),
      ]);
    }
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  const login = (t: TestApp, from: string, email: string, password: string) =>
    request(t.http).post('/api/auth/login').set('X-Forwarded-For', from).send({ email, password });

  it('sixty addresses spread over two instances still hit one account limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) {
      const res = await login(i % 2 ? a : b, `198.51.100.${i + 1}`, 'Victim@Example.com', `guess-${i}`);
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(50);
    // Even the right password is refused while the account is throttled.
    await login(a, '198.51.100.200', 'victim@example.com', 'the-right-password').expect(429);
    // Another account, from another address, is not affected.
    await login(b, '198.51.100.201', 'other@example.com', 'the-right-password').expect(200);
    const [{ attempts }] = await a.dataSource.query(
      `SELECT attempts FROM login_throttle WHERE key = 'account:victim@example.com'`,
    );
    expect(attempts).toBe(61);
  });
});

describe('DOCS_ENABLED', () => {
  it('serves no /docs when false', async () => {
    const t = await startTestApp({ DOCS_ENABLED: 'false' });
    try {
      await request(t.http).get('/docs').expect(404);
      await request(t.http).get('/docs-json').expect(404);
    } finally {
      await t.close();
    }
  });

  it('keeps /docs by default, and never persists the token in production', async () => {
    const dev = await startTestApp();
    try {
      const init = await request(dev.http).get('/docs/swagger-ui-init.js').expect(200);
      expect(init.text).toContain('"persistAuthorization": true');
    } finally {
      await dev.close();
    }
    const prod = await startTestApp({ NODE_ENV: 'production' });
    try {
      const init = await request(prod.http).get('/docs/swagger-ui-init.js').expect(200);
      expect(init.text).toContain('"persistAuthorization": false');
    } finally {
      await prod.close();
    }
  });
});
