import { format } from 'fast-csv';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';

const FORMULA_START = /^[=+\-@\t\r]/;

/** Prefixes a cell that a spreadsheet would run as a formula with `'`, so that it is shown as text. */
export const neutralizeFormula = (cell: string) => (FORMULA_START.test(cell) ? `'${cell}` : cell);

interface RowError {
  field?: string;
  message?: string;
  values?: string[];
}

/** `vat_number: duplicate_in_csv (IT1, 2); email: invalid_format` */
export function describeErrors(errors: unknown[]): string {
  return (errors as RowError[])
    .map(
      (e) =>
        `${e.field ?? 'row'}: ${e.message ?? 'error'}${e.values?.length ? ` (${e.values.join(', ')})` : ''}`,
    )
    .join('; ');
}

/** The lines of an error report: the original columns plus `errors`, each row as wide as the header. */
export async function* errorReportLines(
  header: string[],
  rows: AsyncIterable<{ raw: string[]; errors: unknown[] }>,
): AsyncGenerator<string[]> {
  const width = header.length;
  yield [...header, 'errors'];
  for await (const row of rows) {
    const cells = Array.from({ length: width }, (_, i) => row.raw[i] ?? '');
    yield [...cells, describeErrors(row.errors)];
  }
}

/** Writes the rows that need fixing as CSV: the original columns plus `errors`, formulas neutralised. */
export async function writeErrorsCsv(
  header: string[],
  rows: AsyncIterable<{ raw: string[]; errors: unknown[] }>,
  out: Writable,
): Promise<void> {
  async function* lines() {
    for await (const line of errorReportLines(header, rows)) yield line.map(neutralizeFormula);
  }
  await pipeline(Readable.from(lines()), format({ headers: false, quoteColumns: true }), out);
}
