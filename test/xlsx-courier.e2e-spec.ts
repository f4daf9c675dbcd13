import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { tableCounts } from './support/table-counts';
import { bearer, startTestApp, TestApp, tokenFor, truncateAll } from './support/test-app';
import { workbook } from './support/workbooks';

/** API.md §6 and §11: the courier import reads a workbook positionally, all or nothing, directly or previewed. */
describe('courier customers import from a workbook', () => {
  let t: TestApp;
  let courierId: string;
  const admin = tokenFor(Role.Admin, { id: 'xlsx-courier-admin' });

  const post = (path: string, content: Buffer, fields: Record<string, string> = {}) => {
    const req = request(t.http).post(`/api/courier-customers/import${path}`).set(bearer(admin));
    void req.field('target_courier_id', courierId);
    for (const [k, v] of Object.entries(fields)) void req.field(k, v);
    return req.attach('file', content, 'riders.xlsx');
  };
  const stored = () =>
    t.dataSource.query(
      `SELECT user_code, first_name, last_name, branch FROM courier_customers WHERE courier_id = $1 ORDER BY user_code`,
      [courierId],
    );

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await truncateAll(t.dataSource);
    [{ id: courierId }] = await t.dataSource.query(`INSERT INTO couriers (name) VALUES ('A') RETURNING id`);
  });

  it('upserts by position whatever the header says; codes keep their leading zeros', async () => {
    const book = await workbook([
      {
        name: 'Riders',
        rows: [
          ['Codice', 'Nome', 'Cognome', 'Filiale'],
          ['007', 'Ada', 'Lovelace', 'North'],
          [],
          [1234567890123456, 'Alan', 'Turing'],
        ],
      },
    ]);
    const res = await post('', book).expect(200);
    expect(res.body).toEqual({
      status: 'success',
      message: 'Successfully processed 2 records (Upsert complete).',
      data: { processed: 2, created: 2, updated: 0, unchanged: 0, skipped_rows: [] },
    });
    expect(await stored()).toEqual([
      { user_code: '007', first_name: 'Ada', last_name: 'Lovelace', branch: 'North' },
      { user_code: '1234567890123456', first_name: 'Alan', last_name: 'Turing', branch: null },
    ]);
    const [{ file_format }] = await t.dataSource.query(`SELECT file_format FROM import_sessions`);
    expect(file_format).toBe('xlsx');
  });

  it('one invalid row writes nothing, and names its worksheet row', async () => {
    const book = await workbook([
      {
        name: 'Riders',
        rows: [
          ['user_code', 'first_name', 'last_name'],
          ['U1', 'Ada', 'Lovelace'],
          [],
          [],
          ['U2', { error: '#REF!' }, 'Turing'],
          ['U1', 'Grace', 'Hopper'],
        ],
      },
    ]);
    const res = await post('', book).expect(400);
    expect(res.body.status).toBe('error');
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ row_number: 5, field: 'first_name', message: 'invalid_value' }),
        expect.objectContaining({ row_number: 6, field: 'user_code', message: 'duplicate_in_csv' }),
      ]),
    );
    expect(await tableCounts(t.dataSource)).toMatchObject({ courier_customers: 0 });
  });

  it('previews a chosen worksheet and confirms it in one transaction', async () => {
    const book = await workbook([
      { name: 'Readme', rows: [['This workbook lists riders'], ['see the next sheet']] },
      {
        name: 'Riders',
        rows: [
          ['code', 'first', 'last'],
          ['U9', 'Edsger', 'Dijkstra'],
        ],
      },
    ]);
    const unknown = await post('/validate', book, { sheet: 'Nope' }).expect(400);
    expect(JSON.stringify(unknown.body)).toContain('the workbook has no sheet \\"Nope\\": its sheets are');
    const preview = await post('/validate', book, { sheet: 'Riders' }).expect(200);
    expect(preview.body.data).toMatchObject({ total_rows: 1, valid_rows: 1 });
    expect(preview.body.data.rows[0]).toMatchObject({ row_number: 2, status: 'valid' });
    await request(t.http)
      .post('/api/courier-customers/import/confirm')
      .set(bearer(admin))
      .send({ import_id: preview.body.data.import_id })
      .expect(200);
    expect(await stored()).toEqual([
      { user_code: 'U9', first_name: 'Edsger', last_name: 'Dijkstra', branch: null },
    ]);
  });
});
