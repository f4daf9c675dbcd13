import ExcelJS from 'exceljs';
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openCsv } from '../src/import-session/csv';
import { CsvFile, DATA_DIR } from './data';

/**
 * The rows of a bench CSV as an `.xlsx` workbook, `bench/data/<name>.xlsx`: the same header and cells, every
 * cell a string, written once with ExcelJS's streaming writer (to a temporary name renamed when complete) and
 * reused afterwards. Strings are inline, or with `sharedStrings` in a shared strings table as Excel saves them
 * (`<name>-shared.xlsx`; ExcelJS then holds them all while it writes).
 */
export async function workbookFile(csv: CsvFile, { sharedStrings = false } = {}): Promise<CsvFile> {
  const name = `${csv.path.replace(/^.*\//, '').replace(/\.csv$/, '')}${sharedStrings ? '-shared' : ''}`;
  const path = join(DATA_DIR, `${name}.xlsx`);
  if (existsSync(path)) return { path, rows: csv.rows, bytes: statSync(path).size, reused: true };
  const partial = `${path}.partial`;
  rmSync(partial, { force: true });
  const book = new ExcelJS.stream.xlsx.WorkbookWriter({
    filename: partial,
    useSharedStrings: sharedStrings,
    useStyles: false,
  });
  const sheet = book.addWorksheet('Customers');
  const document = await openCsv({ path: csv.path }, { maxRows: csv.rows, maxFieldChars: 20000 });
  sheet.addRow(document.header.cells).commit();
  for await (const batch of document.batches) {
    for (const record of batch) sheet.addRow(record.cells).commit();
  }
  sheet.commit();
  await book.commit();
  renameSync(partial, path);
  return { path, rows: csv.rows, bytes: statSync(path).size, reused: false };
}
