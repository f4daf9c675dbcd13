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
