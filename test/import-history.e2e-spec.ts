import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { confirm, csv, HEADER, org, validate } from './support/imports';
import { accountId, bearer, startTestApp, TestApp, tokenFor, truncateAll } from './support/test-app';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('import history, lineage and undo', () => {
  let t: TestApp;
  const admin = tokenFor(Role.Admin, { id: 'admin-1' });
  const manager = tokenFor(Role.Manager, { id: 'manager-1' });
  const other = tokenFor(Role.Manager, { id: 'manager-2' });

  beforeAll(async () => {
    t = await startTestApp({ IMPORT_BATCH_SIZE: '3' });
  });
  afterAll(() => t.close());
  beforeEach(() => truncateAll(t.dataSource));

  const revert = (token: string, id: string, body: object = {}) =>
    request(t.http).post(`/api/imports/${id}/revert`).set(bearer(token)).send(body);

  const dump = async () => ({
    customers: await t.dataSource.query(`SELECT * FROM customers ORDER BY id`),
    distributors: await t.dataSource.query(`SELECT * FROM distributors ORDER BY id`),
  });

  /** Two existing customers (one with nulls), then an override import that updates both and creates three. */
  async function importOverExisting(token = manager) {
    const [a] = await t.dataSource.query(
      `INSERT INTO customers (company_name, vat_number, city, email, notes)
       VALUES ('Alpha old', 'IT100', 'Roma', 'old@example.com', 'keep me') RETURNING *`,
    );
    const [b] = await t.dataSource.query(
      `INSERT INTO customers (company_name, vat_number) VALUES ('Beta old', 'IT200') RETURNING *`,
    );
    const file = csv(
      HEADER,
      org('Alpha new', 'IT100', { city: 'Torino', notes: '' }),
      org('Beta new', 'IT200', { city: 'Napoli', notes: 'now set' }),
      org('New one', 'IT301'),
      org('New two', 'IT302'),
      org('New three', 'IT303'),
    );
    const v = await validate(t, token, 'customers', file).expect(200);
    const id = v.body.data.import_id as string;
    const c = await confirm(t, token, 'customers', { import_id: id, override: true }).expect(200);
    expect(c.body.data).toMatchObject({ created: 3, updated: 2 });
    return { id, a, b };
  }

  it('reverts a confirm: created records are gone, updated ones get every before value back, once', async () => {
    const { id, a, b } = await importOverExisting();
    const after = await request(t.http).get(`/api/customers/${a.id}`).set(bearer(manager)).expect(200);
    expect(after.body.data).toMatchObject({ company_name: 'Alpha new', import_id: id });

    const changes = await request(t.http)
      .get(`/api/imports/${id}/changes?action=updated`)
      .set(bearer(manager))
      .expect(200);
    expect(changes.body.data.total).toBe(2);
    expect(changes.body.data.items[1]).toMatchObject({
      row_number: 3,
      record_id: b.id,
      action: 'updated',
      before: {
        company_name: 'Beta old',
        city: null,
        notes: null,
        updated_at: expect.any(String),
        import_id: null,
      },
      after: { company_name: 'Beta new', city: 'Napoli', notes: 'now set' },
    });
    // The values the update replaced (the columns where the file differs, and updated_at and import_id), and
    // no other column: not the language, which the record already had.
    const replaced = [
      'address',
      'city',
      'company_name',
      'description',
      'email',
      'import_id',
      'main_contact',
      'notes',
      'phone',
    ];
    const { before } = changes.body.data.items[1];
    expect(Object.keys(before).sort()).toEqual([...replaced, 'updated_at'].sort());
    expect(before).toEqual({
      ...Object.fromEntries(replaced.map((c) => [c, b[c]])),
      updated_at: before.updated_at,
    });
    expect(new Date(before.updated_at).getTime()).toBe(new Date(b.updated_at).getTime());
    const created = await request(t.http)
      .get(`/api/imports/${id}/changes?action=created`)
      .set(bearer(manager))
      .expect(200);
    expect(created.body.data.total).toBe(3);
    await request(t.http).get(`/api/imports/${id}/changes`).set(bearer(other)).expect(404);

    const r = await revert(manager, id).expect(200);
    expect(r.body.data).toMatchObject({ reverted: 3, restored: 2, kept: 0 });
    expect(r.body.data.results).toHaveLength(5);
    const rows = await t.dataSource.query(`SELECT * FROM customers ORDER BY vat_number`);
    expect(rows).toEqual([a, b]);

    const again = await revert(manager, id).expect(409);
    expect(again.body.message).toMatch(/reverted already/);
    const record = await request(t.http).get(`/api/imports/${id}`).set(bearer(manager)).expect(200);
    expect(record.body.data).toMatchObject({
      status: 'reverted',
      revert: { reverted: 3, restored: 2, kept: 0 },
    });
    expect(record.body.data.reverted_at).toBeTruthy();
  });

  it('keeps records changed, archived or referenced since, with the reason', async () => {
    const { id, a, b } = await importOverExisting();
    await request(t.http)
      .put(`/api/customers/${a.id}`)
      .set(bearer(admin))
      .send({ company_name: 'Edited by hand', vat_number: 'IT100' })
      .expect(200);
    await request(t.http)
      .delete(`/api/customers/${b.id}`)
      .set(bearer(admin))
      .expect((res) => {
        expect(res.status).toBeLessThan(300);
      });
    const r = await revert(manager, id).expect(200);
    expect(r.body.data).toMatchObject({ reverted: 3, restored: 0, kept: 2 });
    const kept = r.body.data.results.filter((x: { action: string }) => x.action === 'kept');
    expect(kept).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ record_id: a.id, reason: 'changed_since_import' }),
        expect.objectContaining({ record_id: b.id, reason: 'gone' }),
      ]),
    );
    const [edited] = await t.dataSource.query(`SELECT company_name FROM customers WHERE id = $1`, [a.id]);
    expect(edited.company_name).toBe('Edited by hand');

    // A created distributor that a customer now references stays.
    const v = await validate(
      t,
      admin,
      'distributors',
      csv(HEADER, org('Dist A', 'DA1'), org('Dist B', 'DB1')),
    );
    const did = v.body.data.import_id as string;
    await confirm(t, admin, 'distributors', { import_id: did }).expect(200);
    const [da] = await t.dataSource.query(`SELECT id FROM distributors WHERE vat_number = 'DA1'`);
    await t.dataSource.query(
      `INSERT INTO customers (company_name, vat_number, distributor_id) VALUES ('Ref', 'REF1', $1)`,
      [da.id],
    );
    const d = await revert(admin, did).expect(200);
    expect(d.body.data).toMatchObject({ reverted: 1, restored: 0, kept: 1 });
    expect(d.body.data.results).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ record_id: da.id, action: 'kept', reason: 'referenced' }),
      ]),
    );
    const left = await t.dataSource.query(`SELECT vat_number FROM distributors ORDER BY vat_number`);
    expect(left).toEqual([{ vat_number: 'DA1' }]);
  });

  it('a dry run answers the same counts and changes nothing', async () => {
    const { id } = await importOverExisting();
    const before = await dump();
    const dry = await revert(manager, id, { dry_run: true }).expect(200);
    expect(dry.body.data).toMatchObject({ reverted: 3, restored: 2, kept: 0 });
    expect(await dump()).toEqual(before);
    const record = await request(t.http).get(`/api/imports/${id}`).set(bearer(manager)).expect(200);
    expect(record.body.data.status).toBe('completed');
    const real = await revert(manager, id).expect(200);
    expect(real.body.data).toMatchObject({ reverted: 3, restored: 2, kept: 0 });
  });

  it('ten concurrent reverts: one succeeds, nine get 409', async () => {
    const { id } = await importOverExisting();
    const answers = await Promise.all(Array.from({ length: 10 }, () => revert(manager, id)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, ...Array(9).fill(409)]);
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM import_revert_results WHERE import_id = $1`,
      [id],
    );
    expect(n).toBe(5);
    expect(await t.dataSource.query(`SELECT vat_number FROM customers ORDER BY 1`)).toEqual([
      { vat_number: 'IT100' },
      { vat_number: 'IT200' },
    ]);
  });

  it('async revert answers 202 and the record shows reverted', async () => {
    const { id } = await importOverExisting();
    const r = await revert(manager, id, { async: true }).expect(202);
    expect(r.body.data).toEqual({ id });
    let status = '';
    for (let i = 0; i < 50 && status !== 'reverted'; i++) {
      await sleep(100);
      status = (await request(t.http).get(`/api/imports/${id}`).set(bearer(manager))).body.data.status;
    }
    expect(status).toBe('reverted');
  });

  it('reverts a direct courier import and a one-shot import', async () => {
    const [{ id: courier }] = await t.dataSource.query(
      `INSERT INTO couriers (name) VALUES ('A') RETURNING id`,
    );
    const upload = (content: string) =>
      request(t.http)
        .post('/api/courier-customers/import')
        .set(bearer(manager))
        .field('target_courier_id', courier)
        .attach('file', Buffer.from(content), 'riders.csv');
    const header = 'user_code,first_name,last_name,branch\n';
    await upload(`${header}U1,Ada,Lovelace,North\nU2,Alan,Turing,\n`).expect(200);
    const before = await t.dataSource.query(`SELECT * FROM courier_customers ORDER BY user_code`);
    const second = `${header}U1,Ada,King,\nU3,Grace,Hopper,\n`;
    await upload(second).expect(200);
    const list = await request(t.http)
      .get('/api/imports?entity=courier_customer')
      .set(bearer(manager))
      .expect(200);
    expect(list.body.data.items[0]).toMatchObject({
      kind: 'direct',
      courier_id: courier,
      file: { name: 'riders.csv', size_bytes: Buffer.byteLength(second), format: 'csv' },
    });
    expect(list.body.data.items[0].file.sha256).toMatch(/^[0-9a-f]{64}$/);
    const r = await revert(manager, list.body.data.items[0].id).expect(200);
    expect(r.body.data).toMatchObject({ reverted: 1, restored: 1, kept: 0 });
    expect(await t.dataSource.query(`SELECT * FROM courier_customers ORDER BY user_code`)).toEqual(before);

    await request(t.http)
      .post('/api/customers/import')
      .set(bearer(admin))
      .send({ content: csv(HEADER, org('One', 'OS1'), org('Two', 'OS2')) })
      .expect(200);
    const oneShot = await request(t.http).get('/api/imports?entity=customer').set(bearer(admin)).expect(200);
    expect(oneShot.body.data.items[0]).toMatchObject({ kind: 'one_shot', status: 'completed' });
    const o = await revert(admin, oneShot.body.data.items[0].id).expect(200);
    expect(o.body.data).toMatchObject({ reverted: 2, restored: 0, kept: 0 });
    expect(await t.dataSource.query(`SELECT id FROM customers`)).toEqual([]);
  });

  it('lists imports by owner; another user gets 404; an admin sees all', async () => {
    const { id } = await importOverExisting();
    const mine = await request(t.http).get('/api/imports').set(bearer(manager)).expect(200);
    expect(mine.body.data.total).toBe(1);
    expect(mine.body.data.items[0]).toMatchObject({
      id,
      entity: 'customer',
      kind: 'session',
      status: 'completed',
      created_by: { id: accountId('manager-1') },
      counters: { total_rows: 5, created: 3, updated: 2 },
      options: { override: true },
    });
    const theirs = await request(t.http).get('/api/imports').set(bearer(other)).expect(200);
    expect(theirs.body.data).toMatchObject({ total: 0, items: [] });
    await request(t.http).get(`/api/imports/${id}`).set(bearer(other)).expect(404);
    await revert(other, id).expect(404);
    const all = await request(t.http).get('/api/imports').set(bearer(admin)).expect(200);
    expect(all.body.data.total).toBe(1);
    await request(t.http).get('/api/imports?status=bogus').set(bearer(admin)).expect(400);
  });

  it('refuses bad reverts with 404/409/400 and leaves no trace', async () => {
    await revert(manager, '00000000-0000-4000-8000-000000000000').expect(404);
    await revert(manager, 'not-a-uuid').expect(400);
    const v = await validate(t, manager, 'customers', csv(HEADER, org('X', 'IT900'))).expect(200);
    const id = v.body.data.import_id as string;
    const before = await dump();
    const r = await revert(manager, id).expect(409);
    expect(r.body.message).toMatch(/never confirmed/);
    await revert(manager, id, { dry_run: 'yes' }).expect(400);
    await revert(manager, id, { unknown: true }).expect(400);
    expect(await dump()).toEqual(before);
    const [session] = await t.dataSource.query(`SELECT status FROM import_sessions WHERE id = $1`, [id]);
    expect(session.status).toBe('validated');
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM import_revert_results`);
    expect(n).toBe(0);
  });
});

describe('import history after the purge', () => {
  let t: TestApp;
  const manager = tokenFor(Role.Manager, { id: 'manager-1' });

  beforeAll(async () => {
    // Long enough for a validate and its confirm on a loaded machine; the purge runs every second.
    t = await startTestApp({ IMPORT_SESSION_TTL: '4s', IMPORT_PURGE_INTERVAL: '1s' });
    await truncateAll(t.dataSource);
  });
  afterAll(() => t.close());

  it('keeps the record: a confirmed import with its counters, an unconfirmed one expired; still revertible', async () => {
    const v1 = await validate(t, manager, 'customers', csv(HEADER, org('Kept', 'IT1'), org('Kept 2', 'IT2')));
    const confirmed = v1.body.data.import_id as string;
    await confirm(t, manager, 'customers', { import_id: confirmed }).expect(200);
    const v2 = await validate(t, manager, 'customers', csv(HEADER, org('Never', 'IT3'))).expect(200);
    const unconfirmed = v2.body.data.import_id as string;
    for (let i = 0; i < 100; i++) {
      await sleep(200);
      const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM import_rows`);
      const [{ p }] = await t.dataSource.query(
        `SELECT count(*)::int AS p FROM import_sessions WHERE rows_purged_at IS NOT NULL`,
      );
      if (n === 0 && p === 2) break;
    }
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM import_rows`);
    expect(n).toBe(0);
    const list = await request(t.http).get('/api/imports').set(bearer(manager)).expect(200);
    const byId = Object.fromEntries(list.body.data.items.map((i: { id: string }) => [i.id, i]));
    expect(byId[confirmed]).toMatchObject({ status: 'completed', counters: { total_rows: 2, created: 2 } });
    expect(byId[unconfirmed]).toMatchObject({ status: 'expired' });
    const expired = await request(t.http)
      .post(`/api/imports/${unconfirmed}/revert`)
      .set(bearer(manager))
      .send({})
      .expect(409);
    expect(expired.body.message).toMatch(/expired/);
    const r = await request(t.http)
      .post(`/api/imports/${confirmed}/revert`)
      .set(bearer(manager))
      .send({})
      .expect(200);
    expect(r.body.data).toMatchObject({ reverted: 2, restored: 0, kept: 0 });
    const [{ c }] = await t.dataSource.query(`SELECT count(*)::int AS c FROM customers`);
    expect(c).toBe(0);
  });
});
