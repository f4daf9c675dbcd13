import ExcelJS from 'exceljs';
import { Writable } from 'node:stream';

export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Resolves once `out` can take more (or is closed); rejects if it fails. */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      out.off('drain', done).off('close', done).off('error', fail);
      resolve();
    };
    const fail = (error: Error) => {
      out.off('drain', done).off('close', done).off('error', fail);
      reject(error);
    };
    out.on('drain', done).on('close', done).on('error', fail);
  });
}

/**
 * Streams a one-sheet `.xlsx` workbook to `out`, a row at a time: each row is written out as it is added,
 * and the rows wait while `out` is full (ExcelJS buffers what it is given), so memory does not grow with the
 * rows nor with a slow reader. Every cell is a string cell, never a formula nor a number: a value such as
 * `=1+1` or `00123` is shown as it is.
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
    if (out.writableNeedDrain && !out.destroyed) await drained(out);
  }
  sheet.commit();
  await book.commit();
}
