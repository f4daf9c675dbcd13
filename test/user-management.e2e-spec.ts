import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { hashPassword } from '../src/users/password';
import { bearer, startTestApp, TestApp, tokenFor, truncateAll, tokenIn } from './support/test-app';

describe('user management: tokens end with the user (PATCH / DELETE /api/users/{id})', () => {
  let t: TestApp;
  let admin: string;
  let courierA: string;
  let courierB: string;

  beforeAll(async () => {
    t = await startTestApp({ LOGIN_THROTTLE_LIMIT: '1000' });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await truncateAll(t.dataSource);
    admin = await tokenIn(t.dataSource, Role.Admin);
    [{ id: courierA }, { id: courierB }] = await t.dataSource.query(
      `INSERT INTO couriers (name) VALUES ('A'), ('B') RETURNING id`,
    );
  });

  /** A manager created through the API, with a token from the real login. */
  async function managerWithToken(): Promise<{ id: string; token: string }> {
    const created = await request(t.http)
      .post('/api/users')
      .set(bearer(admin))
      .send({ email: 'm@example.com', password: 'correct horse battery', role: 'manager' })
      .expect(201);
    const login = await request(t.http)
      .post('/api/auth/login')
      .send({ email: 'm@example.com', password: 'correct horse battery' })
      .expect(200);
    return { id: created.body.data.id, token: login.body.access_token };
  }
  const customers = (token: string) => request(t.http).get('/api/customers').set(bearer(token));
  const patch = (id: string, body: object) =>
    request(t.http).patch(`/api/users/${id}`).set(bearer(admin)).send(body);

  it('a deleted user’s token gets 401', async () => {
    const { id, token } = await managerWithToken();
    await customers(token).expect(200);
    await request(t.http).delete(`/api/users/${id}`).set(bearer(admin)).expect(204);
    const res = await customers(token).expect(401);
    expect(res.body).toEqual({ code: 401, message: 'missing, invalid or expired bearer token', data: null });
    expect((await t.dataSource.query(`SELECT id FROM users WHERE id = $1`, [id])).length).toBe(0);
  });

  it('a disabled user’s token gets 401, and it cannot log in until enabled again', async () => {
    const { id, token } = await managerWithToken();
    const res = await patch(id, { disabled: true }).expect(200);
    expect(res.body.data).toMatchObject({ id, role: 'manager', courier_id: null, disabled: true });
    await customers(token).expect(401);
    const login = () =>
      request(t.http)
        .post('/api/auth/login')
        .send({ email: 'm@example.com', password: 'correct horse battery' });
    await login().expect(401);
    await patch(id, { disabled: false }).expect(200);
    await customers(token).expect(401);
    await customers((await login().expect(200)).body.access_token).expect(200);
  });

  it('a demoted user’s old token loses the old permission', async () => {
    const { id, token } = await managerWithToken();
    await customers(token).expect(200);
    const res = await patch(id, { role: 'courier', courier_id: courierA }).expect(200);
    expect(res.body.data).toMatchObject({ role: 'courier', courier_id: courierA, disabled: false });
    await customers(token).expect(401);
  });

  it('a courier user moved to another courier loses the old courier', async () => {
    const rider = await tokenIn(t.dataSource, Role.Courier, { courierId: courierA });
    const [{ id }] = await t.dataSource.query(`SELECT id FROM users WHERE courier_id = $1`, [courierA]);
    await request(t.http).get(`/api/couriers/${courierA}/customers`).set(bearer(rider)).expect(200);
    await patch(id, { courier_id: courierB }).expect(200);
    await request(t.http).get(`/api/couriers/${courierA}/customers`).set(bearer(rider)).expect(401);
  });

  it('refuses inconsistent changes with 400/404 and changes nothing', async () => {
    const { id, token } = await managerWithToken();
    const toCourier = await patch(id, { role: 'courier' }).expect(400);
    expect(toCourier.body.data.errors).toEqual([{ field: 'courier_id', message: 'required' }]);
    await patch(id, { courier_id: courierA }).expect(400);
    const unknown = await patch(id, { role: 'courier', courier_id: '7c1f5d3e-2d5b-4f7e-9c1a-0b8e6c2d4f11' });
    expect(unknown.status).toBe(404);
    await patch(id, { role: 'owner' }).expect(400);
    await customers(token).expect(200);
    expect(await t.dataSource.query(`SELECT role, token_version FROM users WHERE id = $1`, [id])).toEqual([
      { role: 'manager', token_version: 0 },
    ]);
  });

  it('404 for an unknown user, 400 for an id that is not a UUID, 403 for a manager', async () => {
    await patch('7c1f5d3e-2d5b-4f7e-9c1a-0b8e6c2d4f11', { disabled: true }).expect(404);
    await request(t.http)
      .delete('/api/users/7c1f5d3e-2d5b-4f7e-9c1a-0b8e6c2d4f11')
      .set(bearer(admin))
      .expect(404);
    await patch('nope', { disabled: true }).expect(400);
    const { id, token } = await managerWithToken();
    await request(t.http).delete(`/api/users/${id}`).set(bearer(token)).expect(403);
    await request(t.http).patch(`/api/users/${id}`).set(bearer(token)).send({ role: 'admin' }).expect(403);
  });

  it('a token signed for a user that does not exist gets 401', async () => {
    await t.dataSource.query(`INSERT INTO users (email, password_hash, role) VALUES ($1, $2, 'admin')`, [
      'x@example.com',
      await hashPassword('not-used-here'),
    ]);
    await customers(tokenFor(Role.Admin)).expect(401);
  });
});
