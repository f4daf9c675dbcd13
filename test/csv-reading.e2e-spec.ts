import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { confirm, validate } from './support/imports';
import { startTestApp, TestApp, tokenFor, truncateAll } from './support/test-app';

/** What the reader stores, over HTTP: never a character changed without a row saying so (API.md §3). */

interface Row {
  row_number: number;
  status: string;
  data: Record<string, unknown>;
  errors?: { field: string; message: string }[];
}

const rowsOf = (res: request.Response): Row[] => res.body.data.rows;
const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

describe('CSV reading: what is stored', () => {
  let t: TestApp;
  const manager = tokenFor(Role.Manager, { id: 'manager-1' });

  beforeAll(async () => {
    // A short cell limit, so that a cell can go past it without any rule of its own catching it.
    t = await startTestApp({ IMPORT_MAX_CELL_CHARS: '12' });
  });
  afterAll(() => t.close());
  beforeEach(() => truncateAll(t.dataSource));

  interface Stored {
    company_name: string;
    vat_number: string;
    city: string | null;
  }
  const stored = (): Promise<Stored[]> =>
    t.dataSource.query(`SELECT company_name, vat_number, city FROM customers ORDER BY vat_number`);

  it('a long cell cut inside an astral character is too_long, on one line or over a quoted line break', async () => {
    const emoji = '😀'.repeat(13); // 13 characters: over the limit of 12
    const res = await validate(
      t,
      manager,
      'customers',
      `company_name,vat_number\r\n"${emoji}\n tail",V1\r\n"${emoji}",V2\r\n"${'😀'.repeat(12)}",V3\r\n`,
    ).expect(200);
    expect(rowsOf(res).map((r) => [r.row_number, r.status, r.errors ?? []])).toEqual([
      [2, 'error', [{ field: 'company_name', message: 'too_long' }]],
      [3, 'error', [{ field: 'company_name', message: 'too_long' }]],
      [4, 'valid', []],
    ]);
    await confirm(t, manager, 'customers', { import_id: res.body.data.import_id }).expect(200);
    expect(await stored()).toEqual([{ company_name: '😀'.repeat(12), vat_number: 'V3', city: null }]);
  });

  it('a stray byte in a UTF-8 file makes its row an invalid_encoding error; every other character is kept', async () => {
    const file = bytes(
      'company_name,vat_number,city\r\n',
      'Caffè,V1,Forlì\r\n',
      'Bar,V2,Forl',
      [0xec], // Latin-1 ì
      '\r\n',
      'Ñandú,V3,Zürich\r\n',
    );
    const res = await validate(t, manager, 'customers', file).expect(200);
    expect(rowsOf(res).map((r) => [r.row_number, r.status, r.errors ?? []])).toEqual([
      [2, 'valid', []],
      [3, 'error', [{ field: 'city', message: 'invalid_encoding' }]],
      [4, 'valid', []],
    ]);
    await confirm(t, manager, 'customers', { import_id: res.body.data.import_id }).expect(200);
    expect(await stored()).toEqual([
      { company_name: 'Caffè', vat_number: 'V1', city: 'Forlì' },
      { company_name: 'Ñandú', vat_number: 'V3', city: 'Zürich' },
    ]);
  });

  it('after a UTF-8 BOM, invalid bytes are an error too, never U+FFFD', async () => {
    const file = bytes([0xef, 0xbb, 0xbf], 'company_name,vat_number\r\nA', [0xff], ',V1\r\nB,V2\r\n');
    const res = await validate(t, manager, 'customers', file).expect(200);
    expect(rowsOf(res).map((r) => [r.row_number, r.status, r.errors ?? []])).toEqual([
      [2, 'error', [{ field: 'company_name', message: 'invalid_encoding' }]],
      [3, 'valid', []],
    ]);
  });

  it('an invalid byte in an ignored column still makes the row an error', async () => {
    const file = bytes('company_name,vat_number,fax\r\nCaffè,V1,', [0x80], '\r\nBar,V2,1\r\n');
    const res = await validate(t, manager, 'customers', file).expect(200);
    expect(rowsOf(res)[0]).toMatchObject({
      status: 'error',
      errors: [{ field: 'row', message: 'invalid_encoding' }],
    });
  });

  it('a legacy file (no valid multi-byte sequence) is read as Windows-1252', async () => {
    const file = Buffer.from('company_name,vat_number,city\r\nCaffè,V1,Forlì\r\n€uro,V2,Köln\r\n', 'latin1');
    file[file.indexOf(Buffer.from('uro')) - 1] = 0x80; // € in Windows-1252
    const res = await validate(t, manager, 'customers', file).expect(200);
    expect(res.body.data).toMatchObject({ valid_rows: 2, error_rows: 0 });
    await confirm(t, manager, 'customers', { import_id: res.body.data.import_id }).expect(200);
    expect(await stored()).toEqual([
      { company_name: 'Caffè', vat_number: 'V1', city: 'Forlì' },
      { company_name: '€uro', vat_number: 'V2', city: 'Köln' },
    ]);
  });

  it('a no-break space before a quote is a blank, like a space', async () => {
    const res = await validate(
      t,
      manager,
      'customers',
      'company_name,vat_number\r\n\u00a0"A, B",V1\r\n',
    ).expect(200);
    expect(rowsOf(res)[0]).toMatchObject({
      status: 'valid',
      data: { company_name: 'A, B', vat_number: 'V1' },
    });
  });

  it('a record of more than 16,384 fields is refused with a 400 naming its row, and nothing is staged', async () => {
    const res = await validate(
      t,
      manager,
      'customers',
      `company_name,vat_number\r\nA,V1\r\nB,V2${','.repeat(16_384)}\r\n`,
    );
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('row 3: too many fields (more than 16,384 in one record)');
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM import_sessions`);
    expect(n).toBe(0);
  });
});
