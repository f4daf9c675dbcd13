import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { confirm, csv, HEADER, org } from './support/imports';
import { tableCounts } from './support/table-counts';
import { bearer, startTestApp, TestApp, tokenFor, truncateAll } from './support/test-app';
import { Cell, handWorkbook, inlineCell, inlineRow, workbook } from './support/workbooks';

/** API.md §11: an `.xlsx` workbook goes through the same validate → confirm as a CSV, its cells read as Excel shows them. */

interface Row {
  row_number: number;
  status: string;
  data: Record<string, unknown>;
  errors?: { field: string; message: string; values?: string[] }[];
}

const MIN = ['company_name', 'vat_number', 'description'];

describe('Excel workbooks on validate → confirm', () => {
  let t: TestApp;
  const manager = tokenFor(Role.Manager, { id: 'xlsx-manager' });
  const admin = tokenFor(Role.Admin, { id: 'xlsx-admin' });

  const upload = (content: Buffer, fields: Record<string, string> = {}, name = 'clients.xlsx') => {
    const req = request(t.http).post('/api/customers/import/validate').set(bearer(manager));
    for (const [k, v] of Object.entries(fields)) void req.field(k, v);
    return req.attach('file', content, name);
  };
  const rowsOf = (res: request.Response): Row[] => res.body.data.rows;
  const descriptions = (res: request.Response) =>
    Object.fromEntries(rowsOf(res).map((r) => [r.row_number, r.data.description]));

  beforeAll(async () => {
    // The staged rows quota out of the way: these tests leave many sessions open.
    t = await startTestApp({ IMPORT_MAX_ROWS: '20', IMPORT_MAX_STAGED_ROWS: '100000' });
  });
  afterAll(() => t.close());
  beforeEach(() => truncateAll(t.dataSource));

  it('a customers workbook validates like the same CSV, and confirms into the same records', async () => {
    const lines = [
      org('Acme Srl', 'IT001'),
      org('Beta Spa', 'IT002', { language: 'en', email: 'not-an-email' }),
      org('Gamma Snc', 'IT003', { notes: 'a note' }),
    ];
    const fromCsv = await upload(Buffer.from(csv(HEADER, ...lines)), {}, 'clients.csv').expect(200);
    const cells = [HEADER, ...lines].map((line) => line.split(','));
    const fromXlsx = await upload(await workbook([{ name: 'Clients', rows: cells }])).expect(200);
    const { import_id: csvId, ...csvData } = fromCsv.body.data;
    const { import_id: xlsxId, ...xlsxData } = fromXlsx.body.data;
    expect(xlsxId).not.toBe(csvId);
    expect(xlsxData).toEqual(csvData);
    expect(xlsxData).toMatchObject({ total_rows: 3, valid_rows: 2, error_rows: 1 });

    const done = await confirm(t, manager, 'customers', { import_id: xlsxId }).expect(200);
    expect(done.body.data).toMatchObject({ created: 2, updated: 0, skipped: 1, failed: 0 });
    expect(
      await t.dataSource.query(
        `SELECT company_name, vat_number, language, notes FROM customers ORDER BY vat_number`,
      ),
    ).toEqual([
      { company_name: 'Acme Srl', vat_number: 'IT001', language: 'it', notes: null },
      { company_name: 'Gamma Snc', vat_number: 'IT003', language: 'it', notes: 'a note' },
    ]);
    const history = await request(t.http).get(`/api/imports/${xlsxId}`).set(bearer(manager)).expect(200);
    expect(history.body.data.file).toMatchObject({ name: 'clients.xlsx', format: 'xlsx' });
    const csvHistory = await request(t.http).get(`/api/imports/${csvId}`).set(bearer(manager)).expect(200);
    expect(csvHistory.body.data.file.format).toBe('csv');
  });

  it('reads numbers, dates, booleans, formulas and strings as Excel shows them', async () => {
    const values: Cell[] = [
      '00123',
      1234567890123456,
      0.1,
      1e-7,
      -42,
      -3.25,
      0.1 + 0.2,
      new Date(Date.UTC(2026, 11, 3)),
      new Date(Date.UTC(2026, 11, 3, 10, 30)),
      true,
      false,
      { formula: '2+3', result: 5 },
      { formula: 'CONCATENATE("a","b")', result: 'ab' },
      { richText: [{ text: 'rich ' }, { font: { bold: true }, text: 'text' }] },
    ];
    const rows = [MIN, ...values.map((value, i) => [`Co ${i}`, `IT${i}`, value])];
    const formats = { C9: 'yyyy-mm-dd', C10: 'dd/mm/yyyy hh:mm' };
    const res = await upload(await workbook([{ name: 'S', rows, formats }])).expect(200);
    expect(descriptions(res)).toEqual({
      2: '00123',
      3: '1234567890123456',
      4: '0.1',
      5: '0.0000001',
      6: '-42',
      7: '-3.25',
      8: '0.3',
      9: '2026-12-03',
      10: '2026-12-03T10:30:00',
      11: 'TRUE',
      12: 'FALSE',
      13: '5',
      14: 'ab',
      15: 'rich text',
    });
    expect(res.body.data.valid_rows).toBe(values.length);
  });

  it('an error cell is an invalid_value error of its field', async () => {
    const rows: Cell[][] = [
      [...MIN, 'email'],
      ['Acme', 'IT1', 'ok', { error: '#N/A' }],
      ['Beta', { error: '#DIV/0!' }, 'ok', 'beta@example.com'],
    ];
    const res = await upload(await workbook([{ name: 'S', rows }])).expect(200);
    const [first, second] = rowsOf(res);
    expect(first).toMatchObject({ row_number: 2, status: 'error' });
    expect(first.errors).toEqual([{ field: 'email', message: 'invalid_value', values: ['#N/A'] }]);
    expect(second.errors).toEqual([{ field: 'vat_number', message: 'invalid_value', values: ['#DIV/0!'] }]);
  });

  it('dates follow the 1904 date system and the cell number format; inline strings are read', async () => {
    // 2026-12-03 is serial 46359 in the 1900 system and 44897 in the 1904 one.
    const sheet = (serial: number) => ({
      1: inlineRow(...MIN, 'notes', 'city'),
      2: [
        inlineCell('A', 'Acme'),
        inlineCell('B', 'IT1'),
        { ref: 'C', style: 1, xml: `<v>${serial}</v>` },
        { ref: 'D', style: 2, xml: `<v>${serial}.4375</v>` },
        { ref: 'E', style: 3, xml: `<v>${serial}</v>` },
      ],
    });
    const options = { cellFormats: [0, 14, 164, 165], customFormats: { 164: 'd/m/yy h:mm', 165: '"day "0' } };
    for (const [date1904, serial] of [
      [false, 46359],
      [true, 44897],
    ] as const) {
      const res = await upload(handWorkbook(sheet(serial), { ...options, date1904 })).expect(200);
      expect(rowsOf(res)[0].data).toMatchObject({
        description: '2026-12-03',
        notes: '2026-12-03T10:30:00',
        city: String(serial),
      });
    }
    const exceljs1904 = await workbook(
      [
        {
          name: 'S',
          rows: [MIN, ['Acme', 'IT1', new Date(Date.UTC(2026, 11, 3))]],
          formats: { C2: 'yyyy-mm-dd' },
        },
      ],
      { date1904: true },
    );
    expect(rowsOf(await upload(exceljs1904).expect(200))[0].data.description).toBe('2026-12-03');
  });

  it('row_number is the worksheet row; empty rows are skipped, cells missing at the end are empty', async () => {
    const rows: Cell[][] = [
      [],
      MIN,
      ['A', 'IT1', 'x'],
      [],
      [],
      ['B', 'IT2'],
      [null, null, null],
      ['C', 'IT3', 'z'],
    ];
    const res = await upload(await workbook([{ name: 'S', rows }])).expect(200);
    expect(rowsOf(res).map((r) => [r.row_number, r.status])).toEqual([
      [3, 'valid'],
      [6, 'valid'],
      [8, 'valid'],
    ]);
    expect(res.body.data.total_rows).toBe(3);
  });

  it('picks a worksheet by name or position; an unknown sheet is a 400 naming the sheets', async () => {
    const book = await workbook([
      {
        name: 'Notes',
        rows: [
          ['not', 'a', 'list'],
          ['of', 'clients'],
        ],
      },
      { name: 'Clienti 2026', rows: [MIN, ['Acme', 'IT1', 'second sheet']] },
    ]);
    for (const sheet of ['Clienti 2026', 'clienti 2026', '2']) {
      const res = await upload(book, { sheet }).expect(200);
      expect(rowsOf(res)[0].data.description).toBe('second sheet');
    }
    // The first worksheet by default: it lacks the required columns.
    const before = await tableCounts(t.dataSource);
    const first = await upload(book).expect(400);
    expect(first.body.message).toMatch(/missing required columns: company_name, vat_number/);
    for (const sheet of ['Other', '3']) {
      const res = await upload(book, { sheet }).expect(400);
      expect(res.body.message).toBe(
        `the workbook has no sheet "${sheet}": its sheets are "Notes", "Clienti 2026"`,
      );
    }
    expect(await tableCounts(t.dataSource)).toEqual(before);
  });

  it('an empty worksheet, or one with a header only, is refused like an empty CSV', async () => {
    const empty = await upload(await workbook([{ name: 'Vuoto', rows: [] }])).expect(400);
    expect(empty.body.message).toBe('file is empty: the worksheet "Vuoto" has no rows');
    const headerOnly = await upload(await workbook([{ name: 'S', rows: [MIN] }])).expect(400);
    expect(headerOnly.body.message).toBe('file contains only headers, no data rows');
    expect(await tableCounts(t.dataSource)).toMatchObject({ import_sessions: 0, import_rows: 0 });
  });

  it('the rows limit counts data rows, not the empty rows between them', async () => {
    const data = (n: number) => Array.from({ length: n }, (_, i) => ['Co', `IT${i}`, 'x']);
    const spaced: Cell[][] = [MIN, ...data(10), [], [], [], ...data(10)];
    expect(
      (await upload(await workbook([{ name: 'S', rows: spaced }])).expect(200)).body.data.total_rows,
    ).toBe(20);
    const before = await tableCounts(t.dataSource);
    const over = await upload(await workbook([{ name: 'S', rows: [MIN, ...data(21)] }])).expect(400);
    expect(over.body.message).toBe('too many rows: the limit is 20 data rows');
    expect(await tableCounts(t.dataSource)).toEqual(before);
  });

  it('is read by its content: a workbook named .csv, and CSV text named .xlsx', async () => {
    const book = await workbook([{ name: 'S', rows: [MIN, ['Acme', 'IT1', 'from a workbook']] }]);
    const named = await request(t.http)
      .post('/api/customers/import/validate')
      .set(bearer(manager))
      .attach('file', book, { filename: 'clients.csv', contentType: 'text/csv' })
      .expect(200);
    expect(rowsOf(named)[0].data.description).toBe('from a workbook');
    const text = await upload(Buffer.from(csv(MIN.join(';'), 'Acme;IT1;from text')), {}, 'x.xlsx').expect(
      200,
    );
    expect(rowsOf(text)[0].data.description).toBe('from text');
    const id = text.body.data.import_id as string;
    const history = await request(t.http).get(`/api/imports/${id}`).set(bearer(manager)).expect(200);
    expect(history.body.data.file).toMatchObject({ name: 'x.xlsx', format: 'csv' });
  });

  it('reads a workbook saved by LibreOffice Calc from a CSV (a committed fixture)', async () => {
    // test/fixtures/xlsx/libreoffice-customers.xlsx: `soffice --headless --convert-to xlsx` of the .csv beside it
    // (LibreOffice 7.4.7, Debian 12). Calc made 0.1, -3.25 and 1234567 numbers and 2026-12-03 a date cell.
    const fixture = readFileSync(join(__dirname, 'fixtures', 'xlsx', 'libreoffice-customers.xlsx'));
    const res = await upload(fixture).expect(200);
    expect(rowsOf(res).map((r) => [r.row_number, r.status, r.data])).toEqual([
      [
        2,
        'valid',
        expect.objectContaining({
          company_name: 'Acme Srl',
          vat_number: 'IT00123456789',
          description: '0.1',
          notes: '2026-12-03',
          city: 'Milano',
        }),
      ],
      [3, 'valid', expect.objectContaining({ description: '-3.25', notes: 'TRUE', city: 'Roma' })],
      [5, 'valid', expect.objectContaining({ description: '1234567', notes: '2026-12-03 10:30:00' })],
    ]);
  });

  it('the distributors import reads workbooks too', async () => {
    const book = await workbook([{ name: 'S', rows: [MIN, ['Dist', 'IT9', 1e-7]] }]);
    const res = await request(t.http)
      .post('/api/distributors/import/validate')
      .set(bearer(admin))
      .attach('file', book, 'd.xlsx')
      .expect(200);
    expect(rowsOf(res)[0]).toMatchObject({
      row_number: 2,
      status: 'valid',
      data: { description: '0.0000001' },
    });
  });
});
