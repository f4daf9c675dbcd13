import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { confirm, csv, HEADER, org, validate } from './support/imports';
import { accountId, bearer, startTestApp, TestApp, tokenFor, tokenIn, truncateAll } from './support/test-app';

/** The validate phase of API.md §3/§4 over HTTP: CSV reading, field codes, statuses, sessions, paging. */

interface FieldError {
  field: string;
  message: string;
  values?: string[];
  candidates?: { id: string; name: string; vat_number: string; type: string }[];
}

interface Row {
  row_number: number;
  status: 'valid' | 'error' | 'warning' | 'ambiguous';
  data: Record<string, unknown>;
  errors?: FieldError[];
  warnings?: FieldError[];
}

const SESSION_GONE = 'import session not found or expired. please re-validate the CSV file';
/** The two required columns only: the shortest valid header. */
const MIN = 'company_name,vat_number';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const rowsOf = (res: request.Response): Row[] => res.body.data.rows;
function rowOf(res: request.Response, rowNumber: number): Row {
  const row = rowsOf(res).find((r) => r.row_number === rowNumber);
  if (!row) throw new Error(`row ${rowNumber} is not in the answer: ${JSON.stringify(res.body)}`);
  return row;
}

function countersAddUp(data: {
  total_rows: number;
  valid_rows: number;
  error_rows: number;
  warning_rows: number;
  ambiguous_rows: number;
}) {
  expect(data.valid_rows + data.error_rows + data.warning_rows + data.ambiguous_rows).toBe(data.total_rows);
}

/** A minimal RFC 4180 reader for the errors.csv answers. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      cells.push(cell);
      records.push(cells);
      cells = [];
      cell = '';
    } else {
      cell += c;
    }
  }
  if (cell !== '' || cells.length > 0) {
    cells.push(cell);
    records.push(cells);
  }
  return records;
}

/** Deterministic pseudo-random bytes (xorshift32). */
function pseudoRandomBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

describe('import validate (API.md §3, §4)', () => {
  let t: TestApp;
  const adminId = `admin-${randomUUID()}`;
  const managerId = `manager-${randomUUID()}`;
  const admin = tokenFor(Role.Admin, { id: adminId });
  const manager = tokenFor(Role.Manager, { id: managerId });
  const otherManager = tokenFor(Role.Manager, { id: `manager-${randomUUID()}` });

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  beforeEach(() => truncateAll(t.dataSource));

  async function sessionCount(): Promise<number> {
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM import_sessions`);
    return n;
  }

  /** A refused file: the status and the envelope, and no session (nor staged row) left behind. */
  async function expectRefused(res: request.Response, status: number, message?: string | RegExp) {
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ code: status, message: expect.any(String) });
    if (typeof message === 'string') expect(res.body.message).toBe(message);
    else if (message) expect(res.body.message).toMatch(message);
    expect(await sessionCount()).toBe(0);
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM import_rows`);
    expect(n).toBe(0);
  }

  const customers = (content: string | Buffer, fields: Record<string, string> = {}) =>
    validate(t, manager, 'customers', content, fields);

  // ------------------------------------------------------------------------------------------- §3 CSV reading

  describe('CSV reading', () => {
    it('reads UTF-8 with a BOM (the BOM is not part of the first column name)', async () => {
      const body = Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from(csv(MIN, 'Città Srl,IT1'), 'utf8'),
      ]);
      const res = await customers(body).expect(200);
      expect(res.body.data.ignored_columns).toEqual([]);
      expect(rowOf(res, 2)).toMatchObject({
        status: 'valid',
        data: { company_name: 'Città Srl', vat_number: 'IT1' },
      });
    });

    it.each([
      ['semicolon', ';'],
      ['tab', '\t'],
      ['pipe', '|'],
    ])('detects the %s delimiter', async (_name, d) => {
      const res = await customers(
        csv(
          ['company_name', 'vat_number', 'city'].join(d),
          ['Rossi, Bianchi & C.', 'IT1', 'Roma'].join(d),
          ['"Quoted' + d + ' name"', 'IT2', ''].join(d),
        ),
      ).expect(200);
      expect(res.body.data).toMatchObject({ total_rows: 2, valid_rows: 2, ignored_columns: [] });
      expect(rowOf(res, 2).data).toMatchObject({
        company_name: 'Rossi, Bianchi & C.',
        vat_number: 'IT1',
        city: 'Roma',
      });
      expect(rowOf(res, 3).data).toMatchObject({ company_name: `Quoted${d} name`, vat_number: 'IT2' });
    });

    it('lets the delimiter form field override detection', async () => {
      // Two commas and two semicolons in the header: detection picks the comma.
      const content = csv('company_name;vat_number;notes,extra,more', 'Acme, Inc.;IT1;a,b,c');
      const detected = await customers(content);
      await expectRefused(detected, 400);
      expect(detected.body.data.missing_columns).toEqual(expect.arrayContaining(['vat_number']));

      const res = await customers(content, { delimiter: ';' }).expect(200);
      expect(res.body.data.ignored_columns).toEqual(['notes,extra,more']);
      expect(rowOf(res, 2)).toMatchObject({
        status: 'valid',
        data: { company_name: 'Acme, Inc.', vat_number: 'IT1' },
      });

      const tab = await customers(csv('company_name\tvat_number', 'A,B;C|D\tIT9'), {
        delimiter: 'tab',
      }).expect(200);
      expect(rowOf(tab, 2).data).toMatchObject({ company_name: 'A,B;C|D', vat_number: 'IT9' });
    });

    it('refuses an unknown delimiter value with 400', async () => {
      await expectRefused(await customers(csv(MIN, 'Acme,IT1'), { delimiter: 'x' }), 400, /delimiter/);
      await expectRefused(await customers(csv(MIN, 'Acme,IT1'), { delimiter: ',,' }), 400, /delimiter/);
    });

    it('reads bytes that are not UTF-8 as Windows-1252/Latin-1', async () => {
      const body = Buffer.from(
        csv('company_name,vat_number,notes', 'Caff\xe8 Citt\xe0,IT1,costa 5\x80'),
        'latin1',
      );
      const res = await customers(body).expect(200);
      expect(rowOf(res, 2)).toMatchObject({
        status: 'valid',
        data: { company_name: 'Caffè Città', vat_number: 'IT1', notes: 'costa 5€' },
      });
    });

    it('reads UTF-16LE with a BOM', async () => {
      const body = Buffer.concat([
        Buffer.from([0xff, 0xfe]),
        Buffer.from(csv(MIN, 'Caffè 😀,IT1', 'Zürich AG,CHE2'), 'utf16le'),
      ]);
      const res = await customers(body).expect(200);
      expect(res.body.data.total_rows).toBe(2);
      expect(rowOf(res, 2).data).toMatchObject({ company_name: 'Caffè 😀', vat_number: 'IT1' });
      expect(rowOf(res, 3).data).toMatchObject({ company_name: 'Zürich AG', vat_number: 'CHE2' });
    });

    it('reads UTF-16BE with a BOM', async () => {
      const le = Buffer.from(csv(MIN, 'Caffè 😀,IT1'), 'utf16le');
      const be = Buffer.from(le).swap16();
      const res = await customers(Buffer.concat([Buffer.from([0xfe, 0xff]), be])).expect(200);
      expect(rowOf(res, 2)).toMatchObject({
        status: 'valid',
        data: { company_name: 'Caffè 😀', vat_number: 'IT1' },
      });
    });

    it.each([
      ['CRLF', '\r\n'],
      ['LF', '\n'],
      ['CR', '\r'],
    ])('reads %s line endings', async (_name, eol) => {
      const res = await customers([MIN, 'Alpha,IT1', 'Beta,IT2', 'Gamma,IT3'].join(eol) + eol).expect(200);
      expect(rowsOf(res).map((r) => [r.row_number, r.data.company_name, r.status])).toEqual([
        [2, 'Alpha', 'valid'],
        [3, 'Beta', 'valid'],
        [4, 'Gamma', 'valid'],
      ]);
    });

    it('numbers records, not lines: a quoted newline stays in the cell', async () => {
      const res = await customers(
        `${MIN},notes\r\n"Multi\nline",IT1,"a\r\nb"\r\nNext,IT2,\r\n"Say ""hi""",IT3,x\r\n`,
      ).expect(200);
      expect(rowsOf(res).map((r) => r.row_number)).toEqual([2, 3, 4]);
      expect(rowOf(res, 2).data).toMatchObject({ company_name: 'Multi\nline', notes: 'a\r\nb' });
      expect(rowOf(res, 3)).toMatchObject({ status: 'valid', data: { company_name: 'Next' } });
      expect(rowOf(res, 4).data).toMatchObject({ company_name: 'Say "hi"' });
    });

    it('skips blank lines, which take no row number', async () => {
      const res = await customers(`\r\n${MIN}\r\n\r\nAlpha,IT1\r\n   \r\n\r\nBeta,IT2\n\n`).expect(200);
      expect(res.body.data.total_rows).toBe(2);
      expect(rowsOf(res).map((r) => [r.row_number, r.data.company_name])).toEqual([
        [2, 'Alpha'],
        [3, 'Beta'],
      ]);
    });

    it('trims cells', async () => {
      const res = await customers(csv(MIN, '   Acme Srl  ,  IT1 ')).expect(200);
      expect(rowOf(res, 2).data).toMatchObject({ company_name: 'Acme Srl', vat_number: 'IT1' });
    });

    it('makes a ragged row an error row (invalid_format on the row), not a failure of the file', async () => {
      const res = await customers(
        csv(`${MIN},city`, 'Short,IT1', 'Good,IT2,Roma', 'Long,IT3,Roma,extra'),
      ).expect(200);
      expect(res.body.data).toMatchObject({ total_rows: 3, valid_rows: 1, error_rows: 2 });
      for (const n of [2, 4]) {
        const row = rowOf(res, n);
        expect(row.status).toBe('error');
        expect(row.errors).toEqual(
          expect.arrayContaining([expect.objectContaining({ field: 'row', message: 'invalid_format' })]),
        );
      }
      expect(rowOf(res, 3).status).toBe('valid');
    });

    it('refuses a file with only a header', async () => {
      await expectRefused(await customers(csv(MIN)), 400, 'file contains only headers, no data rows');
      await expectRefused(
        await customers(`${MIN}\r\n\r\n   \r\n`),
        400,
        'file contains only headers, no data rows',
      );
    });

    it('refuses an empty file', async () => {
      await expectRefused(await customers(Buffer.alloc(0)), 400, 'file is empty');
      await expectRefused(await customers('\r\n\r\n  \n'), 400, 'file is empty');
    });

    it('refuses binary content', async () => {
      const png = Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]),
        pseudoRandomBytes(4096, 42),
      ]);
      await expectRefused(await customers(png), 400);
      // No NUL byte at all: random bytes are still not text.
      const noNul = Buffer.from(pseudoRandomBytes(4096, 7).map((b) => (b === 0 ? 1 : b)));
      expect(noNul.indexOf(0)).toBe(-1);
      await expectRefused(await customers(noNul), 400);
    });

    it('refuses a missing required column, naming the missing and the expected columns', async () => {
      const res = await customers(csv('company_name,city', 'Acme,Roma'));
      await expectRefused(res, 400);
      expect(res.body.message).toContain('vat_number');
      expect(res.body.data.missing_columns).toEqual(['vat_number']);
      expect(res.body.data.expected_columns).toEqual(
        expect.arrayContaining(['company_name', 'vat_number', 'email', 'language', 'distributor']),
      );
      for (const column of res.body.data.expected_columns as string[]) {
        expect(res.body.message).toContain(column);
      }

      const both = await customers(csv('city,notes', 'Roma,x'));
      await expectRefused(both, 400);
      expect(both.body.data.missing_columns).toEqual(['company_name', 'vat_number']);
    });

    it.each([
      ['name', 'vat'],
      ['company', 'piva'],
      ['  Company_Name ', '  Vat_ID  '],
      ['NAME', 'VAT ID'],
      ['customer', 'Partita IVA'],
    ])('maps the header aliases %j and %j', async (nameHeader, vatHeader) => {
      const res = await customers(csv(`${vatHeader},CITY,${nameHeader}`, 'IT77,Roma,Acme')).expect(200);
      expect(res.body.data.ignored_columns).toEqual([]);
      expect(rowOf(res, 2)).toMatchObject({
        status: 'valid',
        data: { company_name: 'Acme', vat_number: 'IT77', city: 'Roma' },
      });
    });

    it('lists unknown columns in ignored_columns and does not import them', async () => {
      const res = await customers(csv(`${MIN},foo,Fax Number`, 'Acme,IT1,bar,123')).expect(200);
      expect((res.body.data.ignored_columns as string[]).map((c) => c.toLowerCase())).toEqual([
        'foo',
        'fax number',
      ]);
      const row = rowOf(res, 2);
      expect(row.status).toBe('valid');
      expect(row.data).not.toHaveProperty('foo');
      expect(JSON.stringify(row.data)).not.toContain('bar');
    });

    it('refuses a column given twice (also through an alias)', async () => {
      const twice = await customers(csv('company_name,vat_number,company_name', 'A,IT1,B'));
      await expectRefused(twice, 400, /company_name/);
      const alias = await customers(csv('vat,company_name,piva', 'IT1,A,IT2'));
      await expectRefused(alias, 400, /vat_number/);
    });
  });

  // ------------------------------------------------------------------------------------------- §4 field codes

  describe('field codes', () => {
    it('required: company_name and vat_number', async () => {
      const res = await customers(csv(MIN, ',IT1', 'Acme,', '  ,  ')).expect(200);
      expect(rowOf(res, 2)).toMatchObject({
        status: 'error',
        errors: [{ field: 'company_name', message: 'required' }],
      });
      expect(rowOf(res, 2).errors).toEqual([{ field: 'company_name', message: 'required' }]);
      expect(rowOf(res, 3).errors).toEqual([{ field: 'vat_number', message: 'required' }]);
      expect(rowOf(res, 4).errors).toEqual([
        { field: 'company_name', message: 'required' },
        { field: 'vat_number', message: 'required' },
      ]);
      expect(res.body.data).toMatchObject({ total_rows: 3, error_rows: 3, valid_rows: 0 });
    });

    it('too_long counts characters, not bytes (accents and 4-byte emoji)', async () => {
      const res = await customers(
        csv(
          `${MIN},description`,
          `${'a'.repeat(256)},IT1,`,
          `${'é'.repeat(255)},IT2,`,
          `${'😀'.repeat(255)},IT3,`,
          `${'😀'.repeat(256)},IT4,`,
          `${'a'.repeat(255)},IT5,${'b'.repeat(501)}`,
          `Acme,${'V'.repeat(65)},`,
          `Acme,${'V'.repeat(64)},${'è'.repeat(500)}`,
        ),
      ).expect(200);
      expect(rowOf(res, 2)).toMatchObject({ status: 'error' });
      expect(rowOf(res, 2).errors).toEqual([{ field: 'company_name', message: 'too_long' }]);
      expect(rowOf(res, 3)).toMatchObject({ status: 'valid', data: { company_name: 'é'.repeat(255) } });
      expect(rowOf(res, 4)).toMatchObject({ status: 'valid', data: { company_name: '😀'.repeat(255) } });
      expect(rowOf(res, 5).errors).toEqual([{ field: 'company_name', message: 'too_long' }]);
      expect(rowOf(res, 6).errors).toEqual([{ field: 'description', message: 'too_long' }]);
      expect(rowOf(res, 7).errors).toEqual([{ field: 'vat_number', message: 'too_long' }]);
      expect(rowOf(res, 8).status).toBe('valid');
    });

    it('invalid_format: a bad email, a phone not matching ^\\+[\\d\\s\\-()]{7,20}$', async () => {
      const res = await customers(
        csv(
          `${MIN},email,phone`,
          'A,IT1,not-an-email,',
          'B,IT2,a@b,',
          'C,IT3,,0039 02 123456',
          'D,IT4,,+39 02 abc 1234',
          'E,IT5,,+123456',
          `F,IT6,,+${'1'.repeat(21)}`,
          'G,IT7,anna@example.com,+39 (02) 123-4567',
          `H,IT8,,+${'1'.repeat(20)}`,
        ),
      ).expect(200);
      expect(rowOf(res, 2).errors).toEqual([{ field: 'email', message: 'invalid_format' }]);
      expect(rowOf(res, 3).errors).toEqual([{ field: 'email', message: 'invalid_format' }]);
      for (const n of [4, 5, 6, 7]) {
        expect(rowOf(res, n)).toMatchObject({ status: 'error' });
        expect(rowOf(res, n).errors).toEqual([{ field: 'phone', message: 'invalid_format' }]);
      }
      expect(rowOf(res, 8)).toMatchObject({ status: 'valid' });
      expect(rowOf(res, 8).errors).toBeUndefined();
      expect(rowOf(res, 9)).toMatchObject({ status: 'valid' });
    });

    it('language: it|en case-insensitive, empty → it, anything else invalid_value', async () => {
      const res = await customers(
        csv(`${MIN},language`, 'A,IT1,fr', 'B,IT2,', 'C,IT3,EN', 'D,IT4, It ', 'E,IT5,english'),
      ).expect(200);
      expect(rowOf(res, 2)).toMatchObject({ status: 'error' });
      expect(rowOf(res, 2).errors).toEqual([{ field: 'language', message: 'invalid_value' }]);
      expect(rowOf(res, 3)).toMatchObject({ status: 'valid', data: { language: 'it' } });
      expect(rowOf(res, 4)).toMatchObject({ status: 'valid', data: { language: 'en' } });
      expect(rowOf(res, 5)).toMatchObject({ status: 'valid', data: { language: 'it' } });
      expect(rowOf(res, 6).errors).toEqual([{ field: 'language', message: 'invalid_value' }]);
    });

    it('a row lists every error it has', async () => {
      const res = await customers(
        csv(HEADER, org('', 'IT1', { email: 'bad', phone: '12', language: 'de' })),
      ).expect(200);
      expect(rowOf(res, 2).errors).toEqual([
        { field: 'company_name', message: 'required' },
        { field: 'email', message: 'invalid_format' },
        { field: 'phone', message: 'invalid_format' },
        { field: 'language', message: 'invalid_value' },
      ]);
    });

    it('duplicate_in_csv: the same trimmed, case-insensitive VAT, with the value and the first row number', async () => {
      const res = await customers(
        csv(MIN, 'First,IT123', 'Other,IT999', 'Second,IT123', 'Third,  it123  ', 'Fourth,IT999'),
      ).expect(200);
      expect(rowOf(res, 2).status).toBe('valid');
      expect(rowOf(res, 3).status).toBe('valid');
      expect(rowOf(res, 4)).toMatchObject({ status: 'error' });
      expect(rowOf(res, 4).errors).toEqual([
        { field: 'vat_number', message: 'duplicate_in_csv', values: ['IT123', '2'] },
      ]);
      const third = rowOf(res, 5);
      expect(third.status).toBe('error');
      expect(third.errors).toHaveLength(1);
      expect(third.errors![0]).toMatchObject({ field: 'vat_number', message: 'duplicate_in_csv' });
      expect(third.errors![0].values).toHaveLength(2);
      expect(third.errors![0].values![0].toLowerCase()).toBe('it123');
      expect(third.errors![0].values![1]).toBe('2');
      expect(rowOf(res, 6).errors).toEqual([
        { field: 'vat_number', message: 'duplicate_in_csv', values: ['IT999', '3'] },
      ]);
      expect(res.body.data).toMatchObject({ total_rows: 5, valid_rows: 2, error_rows: 3 });
    });

    it('duplicate_in_csv in a large file: a repeat at its end is found; a file of distinct VATs has none', async () => {
      const lines = Array.from({ length: 12_000 }, (_, i) => `Company ${i},IT${100_000 + i}`);
      const distinct = await customers(csv(MIN, ...lines)).expect(200);
      expect(distinct.body.data).toMatchObject({ total_rows: 12_000, valid_rows: 12_000, error_rows: 0 });

      const repeated = await customers(csv(MIN, ...lines, 'Again, it100000 ')).expect(200);
      expect(repeated.body.data).toMatchObject({ total_rows: 12_001, valid_rows: 12_000, error_rows: 1 });
      const errors = await request(t.http)
        .get(`/api/imports/${String(repeated.body.data.import_id)}/rows?status=error`)
        .set(bearer(manager))
        .expect(200);
      expect(errors.body.data.items).toEqual([
        expect.objectContaining({
          row_number: 12_002,
          errors: [{ field: 'vat_number', message: 'duplicate_in_csv', values: ['it100000', '2'] }],
        }),
      ]);
    });

    it('customers: placeholder VATs (all zeros) are never duplicates, but an empty VAT is required', async () => {
      await t.dataSource.query(`INSERT INTO customers (company_name, vat_number) VALUES ('Zero Co', '0000')`);
      const res = await customers(csv(MIN, 'A,0000', 'B,0000', 'C,000', 'D,', 'E,')).expect(200);
      for (const n of [2, 3, 4]) {
        expect(rowOf(res, n)).toMatchObject({ status: 'valid' });
        expect(rowOf(res, n).errors).toBeUndefined();
        expect(rowOf(res, n).warnings).toBeUndefined();
      }
      for (const n of [5, 6]) {
        expect(rowOf(res, n).errors).toEqual([{ field: 'vat_number', message: 'required' }]);
      }
    });

    it('distributors: 0000 is a VAT like any other (a duplicate, and already_exists)', async () => {
      const res = await validate(t, admin, 'distributors', csv(MIN, 'A,0000', 'B,0000')).expect(200);
      expect(rowOf(res, 2).status).toBe('valid');
      expect(rowOf(res, 3).errors).toEqual([
        { field: 'vat_number', message: 'duplicate_in_csv', values: ['0000', '2'] },
      ]);

      await t.dataSource.query(`INSERT INTO distributors (company_name, vat_number) VALUES ('Zero', '0000')`);
      const again = await validate(t, admin, 'distributors', csv(MIN, 'A,0000')).expect(200);
      expect(rowOf(again, 2)).toMatchObject({ status: 'warning' });
      expect(rowOf(again, 2).warnings).toEqual([{ field: 'vat_number', message: 'already_exists' }]);
    });

    it('already_exists (warning) for a live customer with the VAT, archived (error) for an archived one', async () => {
      await t.dataSource.query(
        `INSERT INTO customers (company_name, vat_number, archived_at) VALUES
           ('Live', 'IT100', NULL), ('Gone', 'IT200', now()), ('Both old', 'IT300', now()), ('Both new', 'IT300', NULL)`,
      );
      const res = await customers(csv(MIN, 'A,IT100', 'B, it100 ', 'C,IT200', 'D,IT300', 'E,IT400')).expect(
        200,
      );
      expect(rowOf(res, 2)).toMatchObject({ status: 'warning' });
      expect(rowOf(res, 2).warnings).toEqual([{ field: 'vat_number', message: 'already_exists' }]);
      expect(rowOf(res, 2).errors).toBeUndefined();
      // Row 3 duplicates row 2: an error that still lists the warning.
      expect(rowOf(res, 3).status).toBe('error');
      expect(rowOf(res, 4)).toMatchObject({ status: 'error' });
      expect(rowOf(res, 4).errors).toEqual([{ field: 'vat_number', message: 'archived' }]);
      expect(rowOf(res, 5)).toMatchObject({ status: 'warning' });
      expect(rowOf(res, 5).warnings).toEqual([{ field: 'vat_number', message: 'already_exists' }]);
      expect(rowOf(res, 6)).toMatchObject({ status: 'valid' });
    });

    it('already_exists and archived for distributors', async () => {
      await t.dataSource.query(
        `INSERT INTO distributors (company_name, vat_number, archived_at) VALUES ('D1', 'DV1', NULL), ('D2', 'DV2', now())`,
      );
      const res = await validate(t, admin, 'distributors', csv(MIN, 'A,dv1', 'B,DV2', 'C,DV3')).expect(200);
      expect(res.body.message).toBe('distributor import validated');
      expect(rowOf(res, 2)).toMatchObject({ status: 'warning' });
      expect(rowOf(res, 2).warnings).toEqual([{ field: 'vat_number', message: 'already_exists' }]);
      expect(rowOf(res, 3)).toMatchObject({ status: 'error' });
      expect(rowOf(res, 3).errors).toEqual([{ field: 'vat_number', message: 'archived' }]);
      expect(rowOf(res, 4).status).toBe('valid');
      expect(res.body.data).toMatchObject({ total_rows: 3, valid_rows: 1, warning_rows: 1, error_rows: 1 });
    });

    it('distributor column: found by name (case-insensitive) or VAT, not_found, ambiguous with candidates', async () => {
      const [solo] = await t.dataSource.query(
        `INSERT INTO distributors (company_name, vat_number) VALUES ('Solo Spa', 'DS1') RETURNING id`,
      );
      const twins: { id: string }[] = await t.dataSource.query(
        `INSERT INTO distributors (company_name, vat_number) VALUES ('Twin', 'DT1'), ('twin', 'DT2') RETURNING id`,
      );
      // "Cross" is one distributor's name and another's VAT.
      const cross: { id: string }[] = await t.dataSource.query(
        `INSERT INTO distributors (company_name, vat_number) VALUES ('Cross', 'DC1'), ('Other', 'CROSS') RETURNING id`,
      );
      // Archived distributors are ignored.
      await t.dataSource.query(
        `INSERT INTO distributors (company_name, vat_number, archived_at) VALUES
           ('Solo Spa', 'DS9', now()), ('Ghost', 'DG1', now())`,
      );
      const res = await customers(
        csv(
          `${MIN},distributor`,
          'A,IT1,solo spa',
          'B,IT2,ds1',
          'C,IT3,Nobody',
          'D,IT4,TWIN',
          'E,IT5,Cross',
          'F,IT6,Ghost',
          'G,IT7,DS9',
          'H,IT8,',
        ),
      ).expect(200);
      for (const n of [2, 3]) {
        expect(rowOf(res, n)).toMatchObject({ status: 'valid' });
        expect(rowOf(res, n).errors).toBeUndefined();
      }
      expect(rowOf(res, 2).data.distributor_id ?? solo.id).toBe(solo.id);
      for (const n of [4, 7, 8]) {
        expect(rowOf(res, n)).toMatchObject({ status: 'error' });
        expect(rowOf(res, n).errors).toEqual([{ field: 'distributor', message: 'not_found' }]);
      }
      const twinRow = rowOf(res, 5);
      expect(twinRow.status).toBe('ambiguous');
      expect(twinRow.errors).toHaveLength(1);
      expect(twinRow.errors![0]).toEqual({
        field: 'distributor',
        message: 'ambiguous',
        candidates: expect.arrayContaining([
          { id: twins[0].id, name: 'Twin', vat_number: 'DT1', type: 'distributor' },
          { id: twins[1].id, name: 'twin', vat_number: 'DT2', type: 'distributor' },
        ]),
      });
      expect(twinRow.errors![0].candidates).toHaveLength(2);
      const crossRow = rowOf(res, 6);
      expect(crossRow.status).toBe('ambiguous');
      expect(crossRow.errors![0].candidates).toHaveLength(2);
      expect(crossRow.errors![0].candidates!.map((c) => c.id).sort()).toEqual(cross.map((c) => c.id).sort());
      expect(rowOf(res, 9)).toMatchObject({ status: 'valid' });
      expect(res.body.data).toMatchObject({
        total_rows: 8,
        valid_rows: 3,
        error_rows: 3,
        ambiguous_rows: 2,
        warning_rows: 0,
      });
    });
  });

  // --------------------------------------------------------------------------------------- status precedence

  describe('status precedence and counters', () => {
    it('error > ambiguous > warning > valid, and the counters add up to total_rows', async () => {
      await t.dataSource.query(
        `INSERT INTO distributors (company_name, vat_number) VALUES ('Twin', 'DT1'), ('Twin', 'DT2')`,
      );
      await t.dataSource.query(
        `INSERT INTO customers (company_name, vat_number) VALUES ('E1', 'IT1'), ('E2', 'IT2'), ('E3', 'IT3')`,
      );
      const res = await customers(
        csv(
          `${MIN},email,distributor`,
          'Err+Amb+Warn,IT1,bad,Twin', // 2 error (bad email) although ambiguous and already_exists
          'Amb+Warn,IT2,,Twin', // 3 ambiguous although already_exists
          'Warn,IT3,,', // 4 warning
          'Valid,IT4,,', // 5 valid
          'Err+Warn,it3,,', // 6 error (duplicate of row 4) although already_exists
        ),
      ).expect(200);
      const r2 = rowOf(res, 2);
      expect(r2.status).toBe('error');
      expect(r2.errors).toEqual(
        expect.arrayContaining([
          { field: 'email', message: 'invalid_format' },
          expect.objectContaining({ field: 'distributor', message: 'ambiguous' }),
        ]),
      );
      expect(r2.warnings).toEqual([{ field: 'vat_number', message: 'already_exists' }]);
      const r3 = rowOf(res, 3);
      expect(r3.status).toBe('ambiguous');
      expect(r3.errors).toEqual([expect.objectContaining({ field: 'distributor', message: 'ambiguous' })]);
      expect(r3.warnings).toEqual([{ field: 'vat_number', message: 'already_exists' }]);
      expect(rowOf(res, 4).status).toBe('warning');
      expect(rowOf(res, 5).status).toBe('valid');
      const r6 = rowOf(res, 6);
      expect(r6.status).toBe('error');
      expect(r6.errors).toEqual([
        { field: 'vat_number', message: 'duplicate_in_csv', values: [expect.any(String), '4'] },
      ]);
      expect(r6.warnings).toEqual([{ field: 'vat_number', message: 'already_exists' }]);
      expect(res.body.data).toMatchObject({
        total_rows: 5,
        valid_rows: 1,
        error_rows: 2,
        warning_rows: 1,
        ambiguous_rows: 1,
        rows_truncated: false,
      });
      countersAddUp(res.body.data);
    });
  });

  // ------------------------------------------------------------------------------------------------ sessions

  describe('sessions', () => {
    it('validate creates a session owned by the caller; only the owner or an admin reads it', async () => {
      const res = await customers(csv(MIN, 'A,IT1', ',IT2', 'C,IT3')).expect(200);
      expect(res.body).toMatchObject({ code: 200, message: 'customer import validated' });
      const data = res.body.data;
      expect(data).toMatchObject({
        import_id: expect.any(String),
        total_rows: 3,
        valid_rows: 2,
        error_rows: 1,
        warning_rows: 0,
        ambiguous_rows: 0,
        ignored_columns: [],
        rows_truncated: false,
      });
      expect(rowsOf(res)).toHaveLength(3);
      const [session] = await t.dataSource.query(
        `SELECT owner_id, status FROM import_sessions WHERE id = $1`,
        [data.import_id],
      );
      expect(session).toEqual({ owner_id: accountId(managerId), status: 'validated' });

      const own = await request(t.http)
        .get(`/api/imports/${data.import_id}`)
        .set(bearer(manager))
        .expect(200);
      expect(own.body.data).toMatchObject({
        import_id: data.import_id,
        status: 'validated',
        total_rows: 3,
        valid_rows: 2,
        error_rows: 1,
        warning_rows: 0,
        ambiguous_rows: 0,
      });
      const other = await request(t.http).get(`/api/imports/${data.import_id}`).set(bearer(otherManager));
      expect(other.status).toBe(404);
      expect(other.body.code).toBe(404);
      await request(t.http).get(`/api/imports/${data.import_id}/rows`).set(bearer(otherManager)).expect(404);
      await request(t.http)
        .get(`/api/imports/${data.import_id}/errors.csv`)
        .set(bearer(otherManager))
        .expect(404);
      const byAdmin = await request(t.http)
        .get(`/api/imports/${data.import_id}`)
        .set(bearer(admin))
        .expect(200);
      expect(byAdmin.body.data).toMatchObject({ import_id: data.import_id, status: 'validated' });
      const malformed = await request(t.http).get('/api/imports/not-a-uuid').set(bearer(manager));
      expect(malformed.status).toBe(400);
      expect(malformed.body.code).toBe(400);
      await request(t.http).get(`/api/imports/${randomUUID()}`).set(bearer(admin)).expect(404);
    });

    it('confirm: unknown session → 400, another user → 403, the other entity → 400', async () => {
      const unknown = await confirm(t, manager, 'customers', { import_id: randomUUID() });
      expect(unknown.status).toBe(400);
      expect(unknown.body).toMatchObject({ code: 400, message: SESSION_GONE });

      const mine = await customers(csv(MIN, 'A,IT1')).expect(200);
      const id = mine.body.data.import_id;
      const stolen = await confirm(t, otherManager, 'customers', { import_id: id });
      expect(stolen.status).toBe(403);
      expect(stolen.body.code).toBe(403);
      // Admins included (API.md §7).
      await confirm(t, admin, 'customers', { import_id: id }).expect(403);

      const adminCustomers = await validate(t, admin, 'customers', csv(MIN, 'A,IT1')).expect(200);
      const wrongEntity = await confirm(t, admin, 'distributors', {
        import_id: adminCustomers.body.data.import_id,
      });
      expect(wrongEntity.status).toBe(400);
      expect(wrongEntity.body.code).toBe(400);

      // Nothing was written, and the sessions are still there to be confirmed.
      const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM customers`);
      expect(n).toBe(0);
      const session = await request(t.http).get(`/api/imports/${id}`).set(bearer(manager)).expect(200);
      expect(session.body.data.status).toBe('validated');
    });
  });

  describe('an expired session (IMPORT_SESSION_TTL=1s)', () => {
    let short: TestApp;
    beforeAll(async () => {
      short = await startTestApp({ IMPORT_SESSION_TTL: '1s' });
    });
    afterAll(() => short.close());

    it('cannot be confirmed and reads as expired', async () => {
      const v = await validate(short, manager, 'customers', csv(MIN, 'A,IT1')).expect(200);
      const id = v.body.data.import_id;
      const before = await request(short.http).get(`/api/imports/${id}`).set(bearer(manager)).expect(200);
      expect(before.body.data.status).toBe('validated');
      await sleep(1500);
      const c = await confirm(short, manager, 'customers', { import_id: id });
      expect(c.status).toBe(400);
      expect(c.body).toMatchObject({ code: 400, message: SESSION_GONE });
      const after = await request(short.http).get(`/api/imports/${id}`).set(bearer(manager)).expect(200);
      expect(after.body.data.status).toBe('expired');
      const [{ n }] = await short.dataSource.query(`SELECT count(*)::int AS n FROM customers`);
      expect(n).toBe(0);
    });
  });

  // ---------------------------------------------------------------------------------------------------- limits

  describe('IMPORT_MAX_FILE_SIZE=2kb', () => {
    let small: TestApp;
    beforeAll(async () => {
      small = await startTestApp({ IMPORT_MAX_FILE_SIZE: '2kb' });
    });
    afterAll(() => small.close());

    it('answers 413 for a larger file, and accepts one under the limit', async () => {
      const lines = Array.from({ length: 120 }, (_, i) => `Company number ${i},IT${1000 + i}`);
      const big = csv(MIN, ...lines);
      expect(Buffer.byteLength(big)).toBeGreaterThan(2048);
      const res = await validate(small, manager, 'customers', big);
      await expectRefused(res, 413);
      const ok = await validate(small, manager, 'customers', csv(MIN, 'A,IT1')).expect(200);
      expect(ok.body.data.total_rows).toBe(1);
    });
  });

  describe('IMPORT_MAX_ROWS=3', () => {
    let few: TestApp;
    beforeAll(async () => {
      few = await startTestApp({ IMPORT_MAX_ROWS: '3' });
    });
    afterAll(() => few.close());

    it('refuses a file with more data rows with 400 too many rows', async () => {
      const res = await validate(few, manager, 'customers', csv(MIN, 'A,IT1', 'B,IT2', 'C,IT3', 'D,IT4'));
      await expectRefused(res, 400, /too many rows/);
      const ok = await validate(few, manager, 'customers', csv(MIN, 'A,IT1', '', 'B,IT2', 'C,IT3')).expect(
        200,
      );
      expect(ok.body.data.total_rows).toBe(3);
    });
  });

  describe('IMPORT_MAX_CELL_CHARS=20', () => {
    let narrow: TestApp;
    beforeAll(async () => {
      narrow = await startTestApp({ IMPORT_MAX_CELL_CHARS: '20' });
    });
    afterAll(() => narrow.close());

    it('makes a row with a longer cell an error row with too_long on that field', async () => {
      const res = await validate(
        narrow,
        manager,
        'customers',
        csv(
          `${MIN},notes`,
          `${'n'.repeat(21)},IT1,ok`,
          `Acme,IT2,${'x'.repeat(25)}`,
          `Acme,IT3,"${'q'.repeat(30)}"`,
          `${'n'.repeat(20)},IT4,${'x'.repeat(20)}`,
        ),
      ).expect(200);
      expect(rowOf(res, 2)).toMatchObject({ status: 'error' });
      expect(rowOf(res, 2).errors).toEqual([{ field: 'company_name', message: 'too_long' }]);
      // notes allows 1000 characters: the cell limit applies on its own.
      expect(rowOf(res, 3).errors).toEqual([{ field: 'notes', message: 'too_long' }]);
      expect(rowOf(res, 4).errors).toEqual([{ field: 'notes', message: 'too_long' }]);
      expect(rowOf(res, 5)).toMatchObject({ status: 'valid' });
      expect(res.body.data).toMatchObject({ total_rows: 4, error_rows: 3, valid_rows: 1 });
    });

    it('counts the cell limit in characters too (4-byte emoji)', async () => {
      const res = await validate(
        narrow,
        manager,
        'customers',
        csv(`${MIN},notes`, `Acme,IT1,${'😀'.repeat(20)}`, `Acme,IT2,${'😀'.repeat(21)}`),
      );
      expect(res.status).toBe(200);
      expect(rowOf(res, 2)).toMatchObject({ status: 'valid', data: { notes: '😀'.repeat(20) } });
      expect(rowOf(res, 3)).toMatchObject({ status: 'error' });
      expect(rowOf(res, 3).errors).toEqual([{ field: 'notes', message: 'too_long' }]);
    });
  });

  // ---------------------------------------------------------------------------------------------------- paging

  describe('paging above IMPORT_RESPONSE_ROWS=5', () => {
    let paged: TestApp;
    beforeAll(async () => {
      paged = await startTestApp({ IMPORT_RESPONSE_ROWS: '5' });
    });
    afterAll(() => paged.close());

    const twelve = csv(
      MIN,
      ...Array.from({ length: 12 }, (_, i) => ([3, 7, 11].includes(i) ? `,IT${i}` : `Company ${i},IT${i}`)),
    );

    it('answers only the non-valid rows, and the rest page through GET /rows', async () => {
      const res = await validate(paged, manager, 'customers', twelve).expect(200);
      const data = res.body.data;
      expect(data).toMatchObject({ total_rows: 12, valid_rows: 9, error_rows: 3, rows_truncated: true });
      expect(rowsOf(res).map((r) => [r.row_number, r.status])).toEqual([
        [5, 'error'],
        [9, 'error'],
        [13, 'error'],
      ]);
      const page = (query: string) =>
        request(paged.http)
          .get(`/api/imports/${data.import_id}/rows?${query}`)
          .set(bearer(manager))
          .expect(200);
      const seen: number[] = [];
      for (const [offset, size] of [
        [0, 5],
        [5, 5],
        [10, 2],
      ]) {
        const p = await page(`offset=${offset}&limit=5`);
        expect(p.body.data).toMatchObject({ total: 12, offset, limit: 5 });
        expect(p.body.data.items).toHaveLength(size);
        seen.push(...(p.body.data.items as Row[]).map((r) => r.row_number));
      }
      expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => i + 2));

      const errors = await page('status=error');
      expect(errors.body.data.total).toBe(3);
      expect((errors.body.data.items as Row[]).map((r) => r.row_number)).toEqual([5, 9, 13]);
      expect(errors.body.data.items[0]).toMatchObject({
        status: 'error',
        errors: [{ field: 'company_name', message: 'required' }],
      });
      const valid = await page('status=valid&offset=8&limit=5');
      expect(valid.body.data.total).toBe(9);
      expect(valid.body.data.items).toHaveLength(1);
    });

    it('answers every row while total_rows is at the limit', async () => {
      const res = await validate(
        paged,
        manager,
        'customers',
        csv(MIN, 'A,IT1', 'B,IT2', ',IT3', 'D,IT4', 'E,IT5'),
      ).expect(200);
      expect(res.body.data).toMatchObject({ total_rows: 5, rows_truncated: false });
      expect(rowsOf(res)).toHaveLength(5);
    });
  });

  // ------------------------------------------------------------------------------------------------ errors.csv

  describe('GET /api/imports/{id}/errors.csv', () => {
    it('answers the original columns of every non-valid row plus errors, formulas neutralised', async () => {
      await t.dataSource.query(`INSERT INTO customers (company_name, vat_number) VALUES ('Old', 'IT5')`);
      const header = 'Ragione Sociale,P.IVA,email,city,Extra';
      const res = await customers(
        csv(
          header,
          `"=cmd|' /C calc'!A0",IT1,bad,Roma,x`,
          'Good,IT2,good@example.com,Milano,y',
          '+SUM(A1),IT3,nope,-2+3,@foo',
          ',IT4,,Torino,',
          'Warn,IT5,,Napoli,',
        ),
      ).expect(200);
      expect(res.body.data).toMatchObject({ total_rows: 5, valid_rows: 1, error_rows: 3, warning_rows: 1 });

      const out = await request(t.http)
        .get(`/api/imports/${res.body.data.import_id}/errors.csv`)
        .set(bearer(manager))
        .expect(200);
      expect(out.headers['content-type']).toMatch(/^text\/csv/);
      const records = parseCsv(out.text);
      expect(records[0]).toEqual(['Ragione Sociale', 'P.IVA', 'email', 'city', 'Extra', 'errors']);
      expect(records).toHaveLength(5);
      expect(records[1].slice(0, 5)).toEqual([`'=cmd|' /C calc'!A0`, 'IT1', 'bad', 'Roma', 'x']);
      expect(records[1][5]).toContain('email');
      expect(records[1][5]).toContain('invalid_format');
      expect(records[2].slice(0, 5)).toEqual(["'+SUM(A1)", 'IT3', 'nope', "'-2+3", "'@foo"]);
      expect(records[2][5]).toContain('invalid_format');
      expect(records[3].slice(0, 5)).toEqual(['', 'IT4', '', 'Torino', '']);
      expect(records[3][5]).toContain('company_name');
      expect(records[3][5]).toContain('required');
      expect(records[4].slice(0, 5)).toEqual(['Warn', 'IT5', '', 'Napoli', '']);
      expect(records[4][5]).toContain('already_exists');
    });
  });

  // ------------------------------------------------------------------------------------------------------ roles

  describe('roles', () => {
    const courierOfNewCourier = async () => {
      const [{ id }] = await t.dataSource.query(`INSERT INTO couriers (name) VALUES ('C') RETURNING id`);
      return tokenIn(t.dataSource, Role.Courier, { courierId: id as string });
    };

    it('a courier may not validate customers; a manager may validate customers but not distributors', async () => {
      const courier = await courierOfNewCourier();
      const content = csv(MIN, 'A,IT1');
      const byCourier = await validate(t, courier, 'customers', content);
      await expectRefused(byCourier, 403);
      const managerDistributors = await validate(t, manager, 'distributors', content);
      await expectRefused(managerDistributors, 403);
      await validate(t, manager, 'customers', content).expect(200);
      await validate(t, admin, 'distributors', content).expect(200);
      await request(t.http)
        .post('/api/customers/import/validate')
        .attach('file', Buffer.from(content), 'a.csv')
        .expect(401);
    });

    it('GET /api/customers/import/template answers text/csv with the header line', async () => {
      const res = await request(t.http)
        .get('/api/customers/import/template')
        .set(bearer(manager))
        .expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      const [first, ...rest] = res.text.split(/\r?\n/);
      expect(first).toBe(`${HEADER},distributor`);
      expect(rest.join('')).toBe('');
      const dist = await request(t.http)
        .get('/api/distributors/import/template')
        .set(bearer(admin))
        .expect(200);
      expect(dist.text.trim()).toBe(HEADER);
      await request(t.http)
        .get('/api/customers/import/template')
        .set(bearer(await courierOfNewCourier()))
        .expect(403);
      // The template is itself a valid header.
      const roundTrip = await customers(`${res.text}Acme,,IT1,,,,,,,,\r\n`).expect(200);
      expect(rowOf(roundTrip, 2).status).toBe('valid');
    });
  });

  // ---------------------------------------------------------------------------------------------------- swagger

  describe('OpenAPI', () => {
    it('describes the validate upload as multipart/form-data with a binary file', async () => {
      const res = await request(t.http).get('/docs-json').expect(200);
      const operation = res.body.paths['/api/customers/import/validate'].post;
      const schema = operation.requestBody.content['multipart/form-data'].schema;
      expect(schema.properties.file).toMatchObject({ type: 'string', format: 'binary' });
      expect(schema.required).toEqual(expect.arrayContaining(['file']));
      expect(schema.properties.delimiter).toMatchObject({ type: 'string' });
    });
  });
});
