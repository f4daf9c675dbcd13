import { Writable } from 'node:stream';
import { errorReportLines } from './errors-csv';
import { writeWorkbook } from './workbook/workbook-writer';

/** Writes the rows that need fixing as a workbook: the original columns plus `errors`, every cell a string. */
export async function writeErrorsXlsx(
  header: string[],
  rows: AsyncIterable<{ raw: string[]; errors: unknown[] }>,
  out: Writable,
): Promise<void> {
  await writeWorkbook('errors', errorReportLines(header, rows), out);
}
