import { JwtService } from '@nestjs/jwt';
import request from 'supertest';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../src/auth/jwt.strategy';
import { Role } from '../src/auth/permissions';
import { hashPassword } from '../src/users/password';
import { bearer, startTestApp, TEST_SECRET, TestApp, truncateAll } from './support/test-app';

/** Tokens that can be taken back (README, Security): a token stands only while its account does. */
describe('revocable tokens and user management', () => {
  let t: TestApp;
  let admin: string;
  let adminId: string;
  const jwt = new JwtService({});

  beforeAll(async () => {
    t = await startTestApp({ LOGIN_THROTTLE_LIMIT: '1000', JWT_MAX_LIFETIME: '2h' });
  });
  afterAll(() => t.close());

  const login = async (email: string, password: string) =>
    request(t.http).post('/api/auth/login').send({ email, password });

  async function account(email: string, role: Role, courierId: string | null = null): Promise<string> {
    const [{ id }] = await t.dataSource.query(
      `INSERT INTO users (email, password_hash, role, courier_id) VALUES ($1, $2, $3, $4) RETURNING id`,
      [email, await hashPassword('a-long-password'), role, courierId],
    );
    return id as string;
  }

  beforeEach(async () => {
    await truncateAll(t.dataSource);
    adminId = await account('admin@example.com', Role.Admin);
    admin = (await login('admin@example.com', 'a-long-password')).body.access_token;
  });

  const users = (token: string) => request(t.http).get('/api/users').set(bearer(token));
  const customers = (token: string) => request(t.http).get('/api/customers').set(bearer(token));
  const patch = (id: string, body: object, token = admin) =>
    request(t.http).patch(`/api/users/${id}`).set(bearer(token)).send(body);

  const sign = (claims: Record<string, unknown>, expiresIn?: number) =>
    jwt.sign(claims, {
      subject: adminId,
      issuer: LOCAL_ISSUER,
      audience: LOCAL_AUDIENCE,
      secret: TEST_SECRET,
      algorithm: 'HS256',
      ...(expiresIn === undefined ? {} : { expiresIn }),
    });

  it('a token without exp, or living longer than JWT_MAX_LIFETIME, gets 401', async () => {
    await users(sign({ role: 'admin', ver: 0 }, 3600)).expect(200);
    await users(sign({ role: 'admin', ver: 0 })).expect(401);
    await users(sign({ role: 'admin', ver: 0 }, 3 * 3600)).expect(401);
    // A token of this service without the version of its account is not one it issued.
    await users(sign({ role: 'admin' }, 3600)).expect(401);
  });

  it('a token whose user does not exist gets 401', async () => {
    const [{ id }] = await t.dataSource.query(`SELECT gen_random_uuid() AS id`);
    const token = jwt.sign(
      { role: 'admin', ver: 0 },
      { subject: id, issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, secret: TEST_SECRET, expiresIn: 600 },
    );
    await users(token).expect(401);
  });

  it('a deleted user’s token gets 401 at once', async () => {
    const id = await account('m@example.com', Role.Manager);
    const token = (await login('m@example.com', 'a-long-password')).body.access_token;
    await customers(token).expect(200);
    await request(t.http).delete(`/api/users/${id}`).set(bearer(admin)).expect(204);
    const res = await customers(token).expect(401);
    expect(res.body).toEqual({ code: 401, message: 'missing, invalid or expired bearer token', data: null });
    await request(t.http).delete(`/api/users/${id}`).set(bearer(admin)).expect(404);
  });

  it('a disabled user’s token gets 401 and it cannot log in; enabled again, it logs in', async () => {
    const id = await account('m@example.com', Role.Manager);
    const token = (await login('m@example.com', 'a-long-password')).body.access_token;
    const res = await patch(id, { disabled: true }).expect(200);
    expect(res.body.data).toMatchObject({ id, role: 'manager', disabled: true });
    await customers(token).expect(401);
    expect((await login('m@example.com', 'a-long-password')).status).toBe(401);
    await patch(id, { disabled: false }).expect(200);
    await customers(token).expect(401); // the old token stays ended
    const again = (await login('m@example.com', 'a-long-password')).body.access_token;
    await customers(again).expect(200);
  });

  it('a demoted user’s old token loses the old permission; a new login has the new role', async () => {
    const id = await account('a2@example.com', Role.Admin);
    const token = (await login('a2@example.com', 'a-long-password')).body.access_token;
    await users(token).expect(200);
    await patch(id, { role: 'manager' }).expect(200);
    await users(token).expect(401);
    const manager = (await login('a2@example.com', 'a-long-password')).body.access_token;
    const res = await users(manager).expect(403);
    expect(res.body.message).toBe('missing permission: account:manage');
  });

  it('moving a courier user to another courier ends its tokens', async () => {
    const [{ id: c1 }, { id: c2 }] = await t.dataSource.query(
      `INSERT INTO couriers (name) VALUES ('One'), ('Two') RETURNING id`,
    );
    const id = await account('r@example.com', Role.Courier, c1);
    const token = (await login('r@example.com', 'a-long-password')).body.access_token;
    await request(t.http).get(`/api/couriers/${c1}/customers`).set(bearer(token)).expect(200);
    const res = await patch(id, { courier_id: c2 }).expect(200);
    expect(res.body.data).toMatchObject({ role: 'courier', courier_id: c2 });
    await request(t.http).get(`/api/couriers/${c1}/customers`).set(bearer(token)).expect(401);
  });

  it('refuses bad changes with 4xx, and changes nothing', async () => {
    const id = await account('m@example.com', Role.Manager);
    const before = await t.dataSource.query(`SELECT * FROM users ORDER BY email`);
    await patch(id, { role: 'root' }).expect(400);
    await patch(id, { disabled: 'yes' }).expect(400);
    await patch(id, { email: 'x@example.com' }).expect(400);
    await patch(id, { role: 'courier' }).expect(400); // a courier user needs a courier
    await patch(id, { role: 'courier', courier_id: '7c1f5d3e-2d5b-4f7e-9c1a-0b8e6c2d4f11' }).expect(404);
    await patch('7c1f5d3e-2d5b-4f7e-9c1a-0b8e6c2d4f11', { disabled: true }).expect(404);
    await patch('not-a-uuid', { disabled: true }).expect(400);
    const self = await patch(adminId, { role: 'manager' }).expect(409);
    expect(self.body.message).toBe('an admin cannot demote or disable their own account');
    await patch(adminId, { disabled: true }).expect(409);
    await request(t.http).delete(`/api/users/${adminId}`).set(bearer(admin)).expect(409);
    const manager = (await login('m@example.com', 'a-long-password')).body.access_token;
    await patch(id, { disabled: true }, manager).expect(403);
    await request(t.http).delete(`/api/users/${id}`).set(bearer(manager)).expect(403);
    expect(await t.dataSource.query(`SELECT * FROM users ORDER BY email`)).toEqual(before);
  });
});
