import request from 'supertest';
import { Role } from '../src/auth/permissions';
import type { CsvRecord } from '../src/import-session/csv';
import type { ImportDocument } from '../src/import-session/import-document';
import { CustomersImportDefinition } from '../src/customers-import/customers-import.definition';
import { cellLayout } from '../src/import-session/import-staging';
import { mapHeader } from '../src/import-session/header-mapping';
import { chooseStagingTable, TEMPORARY_STAGING_FROM_BYTES } from '../src/import-session/staging-table';
import { confirm, csv, HEADER, org, validate } from './support/imports';
import { bearer, startTestApp, TestApp, tokenFor, truncateAll } from './support/test-app';

/**
 * A large file whose VATs mostly exist (a re-import) is staged in a temporary table and moved to
 * `import_rows` after its look-ups: what it answers and writes is what a file staged in `import_rows` gets.
 */
describe('a large re-import', () => {
  let t: TestApp;
  const admin = tokenFor(Role.Admin, { id: 'admin-1' });
  const ROWS = 5000;
  // About 900 bytes a row: the file passes TEMPORARY_STAGING_FROM_BYTES.
  const note = (i: number, extra = '') => `note ${i}${extra} ${'x'.repeat(850)}`;
  const line = (i: number, extra = '') => org(`Company ${i}`, `IT${100_000 + i}`, { notes: note(i, extra) });

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  beforeEach(() => truncateAll(t.dataSource));

  it('answers the statuses, changes, duplicates and archived records, and the confirm writes only changes', async () => {
    const first = csv(HEADER, ...Array.from({ length: ROWS }, (_, i) => line(i)));
    expect(Buffer.byteLength(first)).toBeGreaterThan(TEMPORARY_STAGING_FROM_BYTES);
    const seeded = await validate(t, admin, 'customers', first).expect(200);
    expect(seeded.body.data).toMatchObject({ total_rows: ROWS, valid_rows: ROWS });
    await confirm(t, admin, 'customers', { import_id: seeded.body.data.import_id }).expect(200);
    await t.dataSource.query(`UPDATE customers SET updated_at = '2020-01-01T00:00:00Z'`);
    await t.dataSource.query(`UPDATE customers SET archived_at = now() WHERE vat_number = 'IT100003'`);

    // Row 2: unchanged; row 3: notes changed; row 5 (IT100003): archived; the last two rows: a new VAT and
    // a repeat of row 2's VAT.
    const lines = Array.from({ length: ROWS }, (_, i) => (i === 1 ? line(i, ' changed') : line(i)));
    const again = csv(HEADER, ...lines, org('Brand new', 'IT999999'), org('Repeat', ' it100000 '));
    const res = await validate(t, admin, 'customers', again).expect(200);
    const data = res.body.data;
    expect(data).toMatchObject({
      total_rows: ROWS + 2,
      valid_rows: 1,
      warning_rows: ROWS - 1,
      error_rows: 2,
      unchanged_rows: ROWS - 2,
    });
    const warning = (data.rows as { row_number: number; changes?: unknown }[]).find(
      (r) => r.row_number === 3,
    );
    expect(warning?.changes).toEqual({ notes: { from: note(1), to: note(1, ' changed') } });
    const errors = await request(t.http)
      .get(`/api/imports/${String(data.import_id)}/rows?status=error`)
      .set(bearer(admin))
      .expect(200);
    expect(errors.body.data.items).toEqual([
      expect.objectContaining({
        row_number: 5,
        errors: [{ field: 'vat_number', message: 'archived' }],
      }),
      expect.objectContaining({
        row_number: ROWS + 3,
        errors: [{ field: 'vat_number', message: 'duplicate_in_csv', values: ['it100000', '2'] }],
        warnings: [{ field: 'vat_number', message: 'already_exists' }],
      }),
    ]);

    const done = await confirm(t, admin, 'customers', { import_id: data.import_id, override: true }).expect(
      200,
    );
    expect(done.body.data).toMatchObject({ created: 1, updated: 1, skipped: ROWS, failed: 0 });
    const rewritten = await t.dataSource.query<{ vat_number: string }[]>(
      `SELECT vat_number FROM customers WHERE updated_at > '2020-01-01T00:00:00Z' ORDER BY vat_number`,
    );
    expect(rewritten.map((r) => r.vat_number)).toEqual(['IT100001', 'IT999999']);
  });

  /** A document of `records` as one batch per 100 records, and how many batches were read. */
  function documentOf(records: CsvRecord[]): { document: ImportDocument; read: () => number } {
    let read = 0;
    const batches = (async function* () {
      for (let i = 0; i < records.length; i += 100) {
        // A reader hands batches over asynchronously.
        await Promise.resolve();
        read++;
        yield records.slice(i, i + 100);
      }
    })();
    const header = { cells: HEADER.split(','), rowNumber: 1 } as unknown as CsvRecord;
    const document: ImportDocument = { format: 'csv', header, batches };
    return { document, read: () => read };
  }

  it('stages a large file in a temporary table only when most of its first keys exist, and yields every row', async () => {
    const definition = new CustomersImportDefinition();
    const header = HEADER.split(',');
    const layout = cellLayout(definition, mapHeader(definition, header), header.length);
    const records = Array.from({ length: 3000 }, (_, i) => ({
      cells: line(i).split(','),
      rowNumber: i + 2,
    })) as unknown as CsvRecord[];
    await t.dataSource.query(
      `INSERT INTO customers (company_name, vat_number) SELECT 'C' || i, 'IT' || (100000 + i) FROM generate_series(0, 599) i`,
    );
    const read = { layout, context: {}, maxCellChars: 10_000 };
    const route = async (existing: number, size: number) => {
      const runner = t.dataSource.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      try {
        await runner.query(`DELETE FROM customers WHERE vat_number >= 'IT' || (100000 + ${existing})`);
        const doc = documentOf(records);
        const chosen = await chooseStagingTable(runner.manager, definition, doc.document, size, read);
        const sampled = doc.read();
        let rows = 0;
        for await (const batch of chosen.document.batches) rows += batch.length;
        return { table: chosen.table, sampled, rows };
      } finally {
        await runner.rollbackTransaction();
        await runner.release();
      }
    };

    const big = TEMPORARY_STAGING_FROM_BYTES;
    // 600 of the first 1000 keys exist: a re-import.
    expect(await route(600, big)).toEqual({ table: 'import_rows_in', sampled: 10, rows: 3000 });
    // 400 of 1000: mostly new rows; a small file is never sampled.
    expect(await route(400, big)).toEqual({ table: 'import_rows', sampled: 10, rows: 3000 });
    expect(await route(600, big - 1)).toEqual({ table: 'import_rows', sampled: 0, rows: 3000 });
  });
});
