import { Writable } from 'node:stream';
import { describeErrors } from './errors-csv';
import { writeWorkbook } from './workbook/workbook-writer';

/** Writes the rows that need fixing as a workbook: the original columns plus `errors`, every cell a string. */
export async function writeErrorsXlsx(
  header: string[],
  rows: AsyncIterable<{ raw: string[]; errors: unknown[] }>,
  out: Writable,
): Promise<void> {
  const width = header.length;
  async function* lines() {
    yield [...header, 'errors'];
    for await (const row of rows) {
      const cells = Array.from({ length: width }, (_, i) => row.raw[i] ?? '');
      yield [...cells, describeErrors(row.errors)];
    }
  }
  await writeWorkbook('errors', lines(), out);
}
