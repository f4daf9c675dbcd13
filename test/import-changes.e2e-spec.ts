import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { confirm, csv, HEADER, org, validate } from './support/imports';
import { bearer, startTestApp, TestApp, tokenFor, truncateAll } from './support/test-app';

/** What an update changes, and unchanged records left alone (API.md §11). */
describe('changes of warning rows and unchanged records', () => {
  let t: TestApp;
  const admin = tokenFor(Role.Admin, { id: 'admin-1' });

  beforeAll(async () => {
    t = await startTestApp({ IMPORT_BATCH_SIZE: '2' });
  });
  afterAll(() => t.close());
  beforeEach(() => truncateAll(t.dataSource));

  /** Imports `content` as new customers, then backdates them so that a rewrite shows in `updated_at`. */
  async function seed(content: string): Promise<void> {
    const res = await validate(t, admin, 'customers', content).expect(200);
    await confirm(t, admin, 'customers', { import_id: res.body.data.import_id }).expect(200);
    await t.dataSource.query(`UPDATE customers SET updated_at = '2020-01-01T00:00:00Z'`);
  }

  const stored = async (vat: string) =>
    (await t.dataSource.query(`SELECT * FROM customers WHERE vat_number = $1`, [vat]))[0] as Record<
      string,
      unknown
    >;
  const rewritten = async () =>
    (
      await t.dataSource.query(
        `SELECT count(*)::int AS n FROM customers WHERE updated_at > '2020-01-01T00:00:00Z'`,
      )
    )[0].n as number;

  type Row = { row_number: number; status: string; changes?: Record<string, { from: unknown; to: unknown }> };
  const byRow = (rows: Row[]) => new Map(rows.map((r) => [r.row_number, r]));

  it('lists each changed field with its old and new value, to and from null, in unicode', async () => {
    await seed(
      csv(
        HEADER,
        org('One', 'IT1'),
        org('Two', 'IT2'),
        org('Three', 'IT3', { notes: 'a note' }),
        org('Four', 'IT4'),
        org('Città', 'IT5'),
      ),
    );
    const res = await validate(
      t,
      admin,
      'customers',
      csv(
        HEADER,
        org('One', 'IT1', { phone: '+39 02 7654321' }), // one field
        org('Two bis', 'IT2', { city: 'Torino', email: 'new@example.com' }), // several
        org('Three', 'IT3'), // notes → null
        org('Four', 'IT4', { notes: 'now a note' }), // null → notes
        org('Città di Ünïcode 🚀', 'IT5', { city: 'Zürich' }),
        org('Brand new', 'IT6'),
      ),
    ).expect(200);
    const data = res.body.data;
    expect(data).toMatchObject({ total_rows: 6, valid_rows: 1, warning_rows: 5, unchanged_rows: 0 });
    const rows = byRow(data.rows as Row[]);
    expect(rows.get(2)?.changes).toEqual({ phone: { from: '+39 02 1234567', to: '+39 02 7654321' } });
    expect(rows.get(3)?.changes).toEqual({
      company_name: { from: 'Two', to: 'Two bis' },
      city: { from: 'Milano', to: 'Torino' },
      email: { from: 'anna@example.com', to: 'new@example.com' },
    });
    expect(rows.get(4)?.changes).toEqual({ notes: { from: 'a note', to: null } });
    expect(rows.get(5)?.changes).toEqual({ notes: { from: null, to: 'now a note' } });
    expect(rows.get(6)?.changes).toEqual({
      company_name: { from: 'Città', to: 'Città di Ünïcode 🚀' },
      city: { from: 'Milano', to: 'Zürich' },
    });
    expect(rows.get(7)).not.toHaveProperty('changes');

    const done = await confirm(t, admin, 'customers', { import_id: data.import_id, override: true }).expect(
      200,
    );
    expect(done.body.data).toMatchObject({ created: 1, updated: 5, skipped: 0, failed: 0 });
    expect(await stored('IT5')).toMatchObject({ company_name: 'Città di Ünïcode 🚀', city: 'Zürich' });
    expect(await stored('IT3')).toMatchObject({ notes: null });
  });

  it('neither compares nor overwrites a column the file lacks; a language in another case is unchanged', async () => {
    await seed(csv(HEADER, org('Keep', 'IT1', { notes: 'kept', language: 'en' }), org('Other', 'IT2')));
    const res = await validate(
      t,
      admin,
      'customers',
      csv('company_name,vat_number,language', 'Keep,IT1,EN', 'Other renamed,IT2,it'),
    ).expect(200);
    const data = res.body.data;
    expect(data).toMatchObject({ warning_rows: 2, unchanged_rows: 1 });
    const rows = byRow(data.rows as Row[]);
    expect(rows.get(2)).not.toHaveProperty('changes');
    expect(rows.get(3)?.changes).toEqual({ company_name: { from: 'Other', to: 'Other renamed' } });

    const unchanged = await request(t.http)
      .get(`/api/imports/${data.import_id}/rows?changed=false`)
      .set(bearer(admin))
      .expect(200);
    expect(unchanged.body.data.items.map((r: Row) => r.row_number)).toEqual([2]);
    const changed = await request(t.http)
      .get(`/api/imports/${data.import_id}/rows?changed=true`)
      .set(bearer(admin))
      .expect(200);
    expect(changed.body.data.items.map((r: Row) => r.row_number)).toEqual([3]);
    await request(t.http)
      .get(`/api/imports/${data.import_id}/rows?changed=maybe`)
      .set(bearer(admin))
      .expect(400);

    const done = await confirm(t, admin, 'customers', { import_id: data.import_id, override: true }).expect(
      200,
    );
    expect(done.body.data).toMatchObject({ created: 0, updated: 1, skipped: 1, failed: 0 });
    expect(done.body.data.results).toEqual([
      { row_number: 2, status: 'skipped', reason: 'unchanged', id: expect.any(String) },
      { row_number: 3, status: 'updated', id: expect.any(String) },
    ]);
    // The columns the file lacks keep their values, on the updated record too.
    expect(await stored('IT1')).toMatchObject({ notes: 'kept', language: 'en', city: 'Milano' });
    expect(await stored('IT2')).toMatchObject({
      company_name: 'Other renamed',
      city: 'Milano',
      phone: '+39 02 1234567',
    });
    expect(await rewritten()).toBe(1);
  });

  it('an identical re-import: every warning row unchanged, nothing written, counters sum to total_rows', async () => {
    const content = csv(
      HEADER,
      org('A', 'IT1'),
      org('B', 'IT2'),
      org('C', 'IT3', { notes: 'n' }),
      org('', 'IT4'),
    );
    await seed(content);
    const res = await validate(t, admin, 'customers', content).expect(200);
    const data = res.body.data;
    expect(data).toMatchObject({ total_rows: 4, warning_rows: 3, unchanged_rows: 3, error_rows: 1 });
    expect((data.rows as Row[]).some((r) => r.changes !== undefined)).toBe(false);
    const before = await t.dataSource.query(`SELECT id, updated_at FROM customers ORDER BY id`);

    const done = await confirm(t, admin, 'customers', { import_id: data.import_id, override: true }).expect(
      200,
    );
    const d = done.body.data;
    expect(d).toMatchObject({ created: 0, updated: 0, skipped: 4, failed: 0 });
    expect(d.created + d.updated + d.skipped + d.failed).toBe(data.total_rows);
    expect(d.results.filter((r: { reason?: string }) => r.reason === 'unchanged')).toHaveLength(3);
    expect(await t.dataSource.query(`SELECT id, updated_at FROM customers ORDER BY id`)).toEqual(before);
    const session = await request(t.http)
      .get(`/api/imports/${data.import_id}`)
      .set(bearer(admin))
      .expect(200);
    expect(session.body.data).toMatchObject({ unchanged_rows: 3, result: { skipped: 4, updated: 0 } });
  });

  it('decides at confirm time: a record edited through REST after the validate is still updated', async () => {
    await seed(csv(HEADER, org('Same', 'IT1'), org('Edited', 'IT2')));
    const res = await validate(
      t,
      admin,
      'customers',
      csv(HEADER, org('Same', 'IT1'), org('Edited', 'IT2')),
    ).expect(200);
    expect(res.body.data).toMatchObject({ warning_rows: 2, unchanged_rows: 2 });
    const { id } = await stored('IT2');
    await request(t.http)
      .put(`/api/customers/${String(id)}`)
      .set(bearer(admin))
      .send({ company_name: 'Edited by hand', vat_number: 'IT2', city: 'Napoli' })
      .expect(200);

    const done = await confirm(t, admin, 'customers', {
      import_id: res.body.data.import_id,
      override: true,
    }).expect(200);
    expect(done.body.data).toMatchObject({ updated: 1, skipped: 1 });
    expect(done.body.data.results).toEqual([
      { row_number: 2, status: 'skipped', reason: 'unchanged', id: expect.any(String) },
      { row_number: 3, status: 'updated', id },
    ]);
    expect(await stored('IT2')).toMatchObject({
      company_name: 'Edited',
      city: 'Milano',
      email: 'anna@example.com',
      phone: '+39 02 1234567',
    });
  });

  it('a record archived after the validate fails its row and keeps its values; the rest are updated or skipped', async () => {
    await seed(csv(HEADER, org('Same', 'IT1'), org('Archived', 'IT2'), org('Changed', 'IT3')));
    const res = await validate(
      t,
      admin,
      'customers',
      csv(HEADER, org('Same', 'IT1'), org('Archived bis', 'IT2'), org('Changed bis', 'IT3')),
    ).expect(200);
    expect(res.body.data).toMatchObject({ warning_rows: 3, unchanged_rows: 1 });
    const archived = await stored('IT2');
    await request(t.http)
      .delete(`/api/customers/${String(archived.id)}`)
      .set(bearer(admin))
      .expect(204);

    const done = await confirm(t, admin, 'customers', {
      import_id: res.body.data.import_id,
      override: true,
    }).expect(200);
    expect(done.body.data).toMatchObject({ created: 0, updated: 1, skipped: 1, failed: 1 });
    expect(done.body.data.results).toEqual([
      { row_number: 2, status: 'skipped', reason: 'unchanged', id: expect.any(String) },
      {
        row_number: 3,
        status: 'failed',
        error: 'the record with this VAT was archived after the validate',
      },
      { row_number: 4, status: 'updated', id: expect.any(String) },
    ]);
    expect(await stored('IT2')).toMatchObject({ company_name: 'Archived', archived_at: expect.any(Date) });
    expect(await stored('IT3')).toMatchObject({ company_name: 'Changed bis' });
    // Only the updated record has a before image: the undo puts back what the import replaced, nothing else.
    const images = await t.dataSource.query<{ row_number: number }[]>(
      `SELECT row_number FROM import_changes WHERE import_id = $1`,
      [res.body.data.import_id],
    );
    expect(images).toEqual([{ row_number: 4 }]);
  });

  it('compares with and updates the oldest live record of a VAT that several records share', async () => {
    const ids = (
      await t.dataSource.query<{ id: string }[]>(
        `INSERT INTO customers (company_name, vat_number, city, created_at, archived_at) VALUES
           ('Archived oldest', 'IT9', 'Roma', '2019-01-01', '2019-06-01'),
           ('Live newer', 'IT9', 'Torino', '2021-01-01', NULL),
           ('Live older', ' it9 ', 'Bari', '2020-01-01', NULL),
           ('Live newest', 'IT9', 'Genova', '2022-01-01', NULL)
         RETURNING id`,
      )
    ).map((r) => r.id);
    await t.dataSource.query(`UPDATE customers SET updated_at = '2020-01-01T00:00:00Z'`);
    const res = await validate(
      t,
      admin,
      'customers',
      csv('company_name,vat_number,city', 'New name,IT9,Bari'),
    ).expect(200);
    expect((res.body.data.rows as Row[])[0]).toMatchObject({
      status: 'warning',
      changes: { company_name: { from: 'Live older', to: 'New name' } },
    });

    const done = await confirm(t, admin, 'customers', {
      import_id: res.body.data.import_id,
      override: true,
    }).expect(200);
    expect(done.body.data.results).toEqual([{ row_number: 2, status: 'updated', id: ids[2] }]);
    const names = await t.dataSource.query<{ company_name: string }[]>(
      `SELECT company_name FROM customers ORDER BY created_at`,
    );
    expect(names.map((r) => r.company_name)).toEqual([
      'Archived oldest',
      'New name',
      'Live newer',
      'Live newest',
    ]);
    expect(await rewritten()).toBe(1);
  });

  it('the one-shot import counts unchanged rows and does not rewrite them', async () => {
    const post = (content: string) =>
      request(t.http).post('/api/customers/import').set(bearer(admin)).send({ content });
    await post(csv(HEADER, org('A', 'IT1'), org('B', 'IT2'))).expect(200);
    await t.dataSource.query(`UPDATE customers SET updated_at = '2020-01-01T00:00:00Z'`);
    const again = await post(csv(HEADER, org('A', 'IT1'), org('B renamed', 'IT2'), org('C', 'IT3'))).expect(
      200,
    );
    expect(again.body).toEqual({ count: 2, created: 1, updated: 1, unchanged: 1, errors: [] });
    expect(await rewritten()).toBe(2); // B updated, C created; A untouched
    expect((await stored('IT1')).updated_at).toEqual(new Date('2020-01-01T00:00:00Z'));
  });

  describe('the courier import', () => {
    let courier: string;
    const upload = (content: string, path = '') =>
      request(t.http)
        .post(`/api/courier-customers/import${path}`)
        .set(bearer(admin))
        .field('target_courier_id', courier)
        .attach('file', Buffer.from(content), 'customers.csv');
    const lines = (...rows: string[]) =>
      ['user_code,first_name,last_name,branch', ...rows].map((r) => `${r}\n`).join('');

    beforeEach(async () => {
      [{ id: courier }] = await t.dataSource.query(`INSERT INTO couriers (name) VALUES ('A') RETURNING id`);
    });

    it('counts unchanged rows and does not rewrite them', async () => {
      const first = await upload(
        lines('C1,Ada,Lovelace,North', 'C2,Alan,Turing,', 'C3,Grace,Hopper,West'),
      ).expect(200);
      expect(first.body.data).toMatchObject({ processed: 3, created: 3, updated: 0, unchanged: 0 });
      await t.dataSource.query(`UPDATE courier_customers SET updated_at = '2020-01-01T00:00:00Z'`);

      const again = await upload(
        lines('C1,Ada,Lovelace,North', 'C2,Alan,Turing,South', 'C3,Grace,Hopper,West', 'C4,New,One,'),
      ).expect(200);
      expect(again.body).toEqual({
        status: 'success',
        message: 'Successfully processed 4 records (Upsert complete).',
        data: { processed: 4, created: 1, updated: 1, unchanged: 2, skipped_rows: [] },
      });
      const rows: { user_code: string; branch: string | null; touched: boolean }[] = await t.dataSource.query(
        `SELECT user_code, branch, updated_at > '2020-01-01T00:00:00Z' AS touched FROM courier_customers ORDER BY user_code`,
      );
      expect(rows).toEqual([
        { user_code: 'C1', branch: 'North', touched: false },
        { user_code: 'C2', branch: 'South', touched: true },
        { user_code: 'C3', branch: 'West', touched: false },
        { user_code: 'C4', branch: null, touched: true },
      ]);
    });

    it('applies a preview correctly when a customer was deleted or edited after it', async () => {
      await upload(lines('C1,Ada,Lovelace,North', 'C2,Alan,Turing,')).expect(200);
      const preview = await upload(lines('C1,Ada,Lovelace,North', 'C2,Alan,Turing,'), '/validate').expect(
        200,
      );
      await t.dataSource.query(`DELETE FROM courier_customers WHERE user_code = 'C1'`);
      await t.dataSource.query(`UPDATE courier_customers SET first_name = 'Edited' WHERE user_code = 'C2'`);
      const done = await request(t.http)
        .post('/api/courier-customers/import/confirm')
        .set(bearer(admin))
        .send({ import_id: preview.body.data.import_id })
        .expect(200);
      expect(done.body.data).toMatchObject({ processed: 2, created: 1, updated: 1, unchanged: 0 });
      expect(
        await t.dataSource.query(`SELECT user_code, first_name FROM courier_customers ORDER BY user_code`),
      ).toEqual([
        { user_code: 'C1', first_name: 'Ada' },
        { user_code: 'C2', first_name: 'Alan' },
      ]);
    });
  });
});
