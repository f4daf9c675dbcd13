import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { tableCounts } from './support/table-counts';
import { bearer, startTestApp, TestApp, tokenFor, truncateAll } from './support/test-app';
import { handWorkbook, inlineCell, inlineRow, workbook, zipOf } from './support/workbooks';

/**
 * API.md §11: files that look like spreadsheets but cannot be read as `.xlsx` are refused with a 400 that
 * says what they are, and an archive that unpacks past IMPORT_XLSX_MAX_UNPACKED with a 413; none of them
 * leaves a session, a row or a spooled file behind, and none is a 500.
 */

const LEGACY =
  'the file is a legacy Excel .xls workbook or a password-protected workbook: save it as .xlsx without a password, or as CSV';
const ODS = 'the file is an OpenDocument spreadsheet (.ods): save it as .xlsx or as CSV';
const DAMAGED = 'the workbook is damaged and cannot be read: open it and save it again as .xlsx, or as CSV';
const TOO_LARGE = 'the workbook unpacks to more than the limit of 1048576 bytes (IMPORT_XLSX_MAX_UNPACKED)';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A Compound File Binary container: the header of a legacy .xls and of an encrypted .xlsx alike. */
function cfb(streamName: string): Buffer {
  const file = Buffer.alloc(4096);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(file, 0);
  file.writeUInt16LE(0x003e, 24);
  file.writeUInt16LE(0x0003, 26);
  file.writeUInt16LE(0xfffe, 28);
  Buffer.from(streamName, 'utf16le').copy(file, 1024);
  return file;
}

/** A worksheet of `rows` identical data rows, its XML about 90 bytes a row. */
function bigSheetXml(rows: number): string {
  const ns = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
  const xml = `<worksheet xmlns="${ns}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>company_name</t></is></c><c r="B1" t="inlineStr"><is><t>vat_number</t></is></c></row>`;
  // Rows without references are numbered one after the other: the same bytes each time, which deflate well.
  const row = '<row><c t="inlineStr"><is><t>Company Srl</t></is></c><c><v>12345678901</v></c></row>';
  return `${xml}${row.repeat(rows)}</sheetData></worksheet>`;
}

describe('workbooks that cannot be read', () => {
  let t: TestApp;
  const manager = tokenFor(Role.Manager, { id: 'xlsx-refusals-manager' });
  const courier = tokenFor(Role.Admin, { id: 'xlsx-refusals-admin' });
  const spool = () => join(t.config.dataDir, 'spool');

  const upload = (content: Buffer, name = 'clients.xlsx') =>
    request(t.http).post('/api/customers/import/validate').set(bearer(manager)).attach('file', content, name);

  /** The answer, after which nothing is staged and the spooled upload is gone. */
  async function refused(content: Buffer, status: number, message: string | RegExp, name?: string) {
    const res = await upload(content, name);
    expect({ status: res.status, message: res.body.message as string }).toEqual({
      status,
      message: typeof message === 'string' ? message : expect.stringMatching(message),
    });
    expect(await tableCounts(t.dataSource)).toMatchObject({
      import_sessions: 0,
      import_rows: 0,
      customers: 0,
    });
    for (let i = 0; i < 40 && readdirSync(spool()).length > 0; i++) await sleep(25);
    expect(readdirSync(spool())).toEqual([]);
    return res;
  }

  beforeAll(async () => {
    t = await startTestApp({ IMPORT_XLSX_MAX_UNPACKED: '1mb' });
  });
  afterAll(() => t.close());
  beforeEach(() => truncateAll(t.dataSource));

  it('a legacy .xls and a password-protected workbook (CFB containers) are 400s, whatever their name', async () => {
    await refused(cfb('Workbook'), 400, LEGACY, 'old.xls');
    await refused(cfb('EncryptionInfo'), 400, LEGACY, 'secret.xlsx');
    await refused(cfb('Workbook'), 400, LEGACY, 'renamed.csv');
  });

  it('an OpenDocument spreadsheet is a 400, by its mimetype or by its parts', async () => {
    const parts = [
      { name: 'content.xml', data: '<office:document-content/>' },
      { name: 'META-INF/manifest.xml', data: '<manifest:manifest/>' },
    ];
    const mimetype = {
      name: 'mimetype',
      data: 'application/vnd.oasis.opendocument.spreadsheet',
      stored: true,
    };
    await refused(zipOf([mimetype, ...parts]), 400, ODS, 'clients.ods');
    await refused(zipOf(parts), 400, ODS, 'clients.xlsx');
  });

  it('a truncated or damaged archive is a 400', async () => {
    const book = await workbook([
      {
        name: 'S',
        rows: [
          ['company_name', 'vat_number'],
          ['Acme', 'IT1'],
        ],
      },
    ]);
    await refused(book.subarray(0, Math.floor(book.length / 2)), 400, DAMAGED);
    await refused(book.subarray(0, book.length - 10), 400, DAMAGED);
    const brokenXml = handWorkbook({}, { sheetXml: '<worksheet><sheetData><row r="1"><c r="A1"><v>1</x>' });
    await refused(brokenXml, 400, DAMAGED);
    // A part shorter than the archive declares.
    const short = handWorkbook(
      { 1: inlineRow('company_name', 'vat_number'), 2: inlineRow('Acme', 'IT1') },
      { sheetDeclaredSize: 100_000 },
    );
    await refused(short, 400, DAMAGED);
    // A cell past Excel's last column (XFD).
    const wide = handWorkbook({ 1: inlineRow('company_name', 'vat_number'), 2: [inlineCell('XFE', 'x')] });
    await refused(wide, 400, 'row 2: too many fields (more than 16,384 in one record)');
  });

  it('a workbook without worksheets, and a ZIP that is no workbook, are 400s', async () => {
    const rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
    const noSheets = zipOf([
      {
        name: '_rels/.rels',
        data: `<Relationships><Relationship Id="rId1" Type="${rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
      },
      { name: 'xl/workbook.xml', data: '<workbook><sheets/></workbook>' },
    ]);
    await refused(
      noSheets,
      400,
      'the workbook has no worksheet: save the data on a worksheet as .xlsx, or as CSV',
    );
    await refused(
      zipOf([{ name: 'word/document.xml', data: '<document/>' }]),
      400,
      'the file is a ZIP archive but not an Excel workbook: save the sheet as .xlsx or as CSV',
    );
  });

  it('a ZIP bomb is a 413: by the sizes it declares, and by the bytes it inflates when it lies', async () => {
    const rows = { 1: inlineRow('company_name', 'vat_number'), 2: inlineRow('Acme', 'IT1') };
    // Declares 3 GB for a worksheet of a few bytes: refused before anything is unpacked.
    const declared = await refused(handWorkbook(rows, { sheetDeclaredSize: 3_000_000_000 }), 413, TOO_LARGE);
    expect(declared.body.code).toBe(413);
    // Declares 2 KB for a worksheet that inflates to about 3 MB, from a small upload.
    const lying = handWorkbook({}, { sheetXml: bigSheetXml(35_000), sheetDeclaredSize: 2048 });
    expect(lying.length).toBeLessThan(50_000);
    await refused(lying, 413, TOO_LARGE);
    // Shared strings are held in memory, and what they hold counts too: 70,000 empty ones unpack to 0.9 MB,
    // under the limit, and hold 0.56 MB more.
    const strings = handWorkbook(rows, { sharedStringsXml: `<sst>${'<si><t/></si>'.repeat(70_000)}</sst>` });
    await refused(strings, 413, TOO_LARGE);
    // An honest workbook over the limit.
    const honest = handWorkbook({}, { sheetXml: bigSheetXml(35_000) });
    await refused(honest, 413, TOO_LARGE);
  });

  it('the courier import refuses them the same way, in its own error shape', async () => {
    const [{ id: courierId }] = await t.dataSource.query(
      `INSERT INTO couriers (name) VALUES ('C') RETURNING id`,
    );
    for (const [content, status, message] of [
      [cfb('Workbook'), 400, LEGACY],
      [handWorkbook({}, { sheetXml: bigSheetXml(35_000), sheetDeclaredSize: 2048 }), 413, TOO_LARGE],
    ] as const) {
      const res = await request(t.http)
        .post('/api/courier-customers/import')
        .set(bearer(courier))
        .field('target_courier_id', courierId as string)
        .attach('file', content, 'riders.xlsx');
      expect(res.status).toBe(status);
      expect(JSON.stringify(res.body)).toContain(message);
    }
    expect(await tableCounts(t.dataSource)).toMatchObject({ import_sessions: 0, courier_customers: 0 });
  });
});
