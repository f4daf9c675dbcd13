import ExcelJS from 'exceljs';
import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { csv, validate } from './support/imports';
import { bearer, startTestApp, TestApp, tokenFor, truncateAll } from './support/test-app';
import { readBack } from './support/workbooks';

/** API.md §11: the template and the error report as `.xlsx` workbooks, every cell a string. */

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The whole body of a binary answer. */
const binary = (res: request.Response, callback: (error: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => callback(null, Buffer.concat(chunks)));
};

describe('workbooks out', () => {
  let t: TestApp;
  const manager = tokenFor(Role.Manager, { id: 'xlsx-export-manager' });
  const admin = tokenFor(Role.Admin, { id: 'xlsx-export-admin' });
  const other = tokenFor(Role.Manager, { id: 'xlsx-export-other' });

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  beforeEach(() => truncateAll(t.dataSource));

  it('GET template?format=xlsx is a workbook of the header row; the CSV stays the default', async () => {
    const res = await request(t.http)
      .get('/api/customers/import/template?format=xlsx')
      .set(bearer(manager))
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(res.headers['content-type']).toBe(XLSX);
    expect(res.headers['content-disposition']).toBe('attachment; filename="customer-import-template.xlsx"');
    const { values, types } = await readBack(res.body as Buffer);
    expect(values).toEqual([
      [
        'company_name',
        'description',
        'vat_number',
        'address',
        'city',
        'main_contact',
        'email',
        'phone',
        'language',
        'notes',
        'distributor',
      ],
    ]);
    expect(types[0]).toEqual(values[0].map(() => ExcelJS.ValueType.String));

    const distributors = await request(t.http)
      .get('/api/distributors/import/template?format=XLSX')
      .set(bearer(admin))
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect((await readBack(distributors.body as Buffer)).values[0]).toHaveLength(10);

    const text = await request(t.http).get('/api/customers/import/template').set(bearer(manager)).expect(200);
    expect(text.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(text.text).toMatch(/^company_name,description,vat_number,/);
    const bad = await request(t.http)
      .get('/api/customers/import/template?format=ods')
      .set(bearer(manager))
      .expect(400);
    expect(bad.body.message).toBe('format must be csv or xlsx');
  });

  it('GET errors.xlsx holds the rows to fix, every cell a string: a formula stays text', async () => {
    const v = await validate(
      t,
      manager,
      'customers',
      csv(
        'company_name,vat_number,email,notes',
        'Good Srl,IT1,good@example.com,',
        '=1+1,IT2,not-an-email,00123',
        '@SUM(A1),,x@example.com,-3',
      ),
    ).expect(200);
    const id = v.body.data.import_id as string;
    const res = await request(t.http)
      .get(`/api/imports/${id}/errors.xlsx`)
      .set(bearer(manager))
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(res.headers['content-type']).toBe(XLSX);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="import-${id}-errors.xlsx"`);
    const { values, types } = await readBack(res.body as Buffer);
    expect(values).toEqual([
      ['company_name', 'vat_number', 'email', 'notes', 'errors'],
      ['=1+1', 'IT2', 'not-an-email', '00123', 'email: invalid_format'],
      ['@SUM(A1)', null, 'x@example.com', '-3', 'vat_number: required'],
    ]);
    // Every cell is a string cell; an empty value is an empty cell.
    const { String: text, Null: empty } = ExcelJS.ValueType;
    expect(types).toEqual(values.map((row) => row.map((value) => (value === null ? empty : text))));

    // The same report as errors.csv, and readable only by whoever may read the session.
    await request(t.http).get(`/api/imports/${id}/errors.xlsx`).set(bearer(other)).expect(404);
  });

  it('GET errors.xlsx of thousands of rows holds every one, in row order', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `Company ${i} with a longer name,IT${i},bad-${i}`);
    const v = await validate(t, manager, 'customers', csv('company_name,vat_number,email', ...lines)).expect(
      200,
    );
    expect(v.body.data.error_rows).toBe(5000);
    const res = await request(t.http)
      .get(`/api/imports/${v.body.data.import_id}/errors.xlsx`)
      .set(bearer(manager))
      .buffer(true)
      .parse(binary)
      .expect(200);
    const { values } = await readBack(res.body as Buffer);
    expect(values).toHaveLength(5001);
    expect(values[5000]).toEqual([
      'Company 4999 with a longer name',
      'IT4999',
      'bad-4999',
      'email: invalid_format',
    ]);
  });
});
