import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { bearer, startTestApp, TestApp, tokenIn } from './support/test-app';
import { listRoutes } from './support/routes';

describe('HTTP conventions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('health answers 200 with the database up', async () => {
    const res = await request(t.http).get('/api/health').expect(200);
    expect(res.body).toEqual({ code: 200, message: 'ok', data: { status: 'ok', database: 'up' } });
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
  });

  it('serves an OpenAPI 3 document and Swagger UI without a token', async () => {
    const doc = await request(t.http).get('/docs-json').expect(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(doc.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.body.paths['/api/auth/login'].post).toBeDefined();
    const ui = await request(t.http).get('/docs/').expect(200);
    expect(ui.text).toContain('swagger-ui');
  });

  it('404 with the envelope for an unknown route', async () => {
    const res = await request(t.http)
      .get('/api/no-such-route')
      .set(bearer(await tokenIn(t.dataSource, Role.Admin)))
      .expect(404);
    expect(res.body).toMatchObject({ code: 404, data: null });
  });

  it('400 for malformed JSON, without parser internals', async () => {
    const res = await request(t.http)
      .post('/api/auth/login')
      .set('Content-Type', 'application/json')
      .send('{"email": "a@b.c", ')
      .expect(400);
    expect(res.body).toEqual({ code: 400, message: 'malformed JSON body', data: null });
  });

  it('413 for a JSON body over the limit', async () => {
    const res = await request(t.http)
      .post('/api/auth/login')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(1024 * 1024 + 10) }))
      .expect(413);
    expect(res.body).toEqual({ code: 413, message: 'request body is too large', data: null });
  });

  it('415 for a body that is neither JSON nor multipart', async () => {
    const res = await request(t.http)
      .post('/api/auth/login')
      .set('Content-Type', 'text/plain')
      .send('email=a@b.c')
      .expect(415);
    expect(res.body.code).toBe(415);
  });

  it('sets security headers', async () => {
    const res = await request(t.http).get('/api/health').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('every route and the permission it needs (a diff here is a permission change)', () => {
    expect(listRoutes(t.app)).toMatchSnapshot();
  });
});
