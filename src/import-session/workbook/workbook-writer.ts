import ExcelJS from 'exceljs';
import { Writable } from 'node:stream';

export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * Streams a one-sheet `.xlsx` workbook to `out`, a row at a time (each row is written out as it is added, so
 * memory does not grow with the rows). Every cell is a string cell, never a formula nor a number: a value such
 * as `=1+1` or `00123` is shown as it is.
 */
export async function writeWorkbook(
  sheetName: string,
  rows: AsyncIterable<string[]> | Iterable<string[]>,
  out: Writable,
): Promise<void> {
  // No shared strings table: it would hold every distinct string of the file until the end.
  const book = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: out,
    useSharedStrings: false,
    useStyles: false,
  });
  const sheet = book.addWorksheet(sheetName);
  for await (const cells of rows) {
    sheet.addRow(cells.map((cell) => String(cell))).commit();
  }
  sheet.commit();
  await book.commit();
}
