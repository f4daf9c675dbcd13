export type CsvSource = { path: string } | { buffer: Buffer };

export type CsvEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

export interface CsvReadOptions {
  /** Explicit override (raw user input): `,` `;` `|`, a tab character, or `tab` `\t` `comma` `semicolon` `pipe`. */
  delimiter?: string;
  /** Data rows allowed (the header is not counted). */
  maxRows: number;
  /** Per-cell character cap (UTF-16 code units, after trimming). */
  maxFieldChars: number;
}

export interface CsvRecord {
  /** Record index in the file, the header being row 1; blank lines take no number. */
  rowNumber: number;
  /** Trimmed cells, as many as the record has (ragged rows are passed through). */
  cells: string[];
  /** Indexes of cells longer than maxFieldChars; such a cell is truncated to maxFieldChars + 1 characters. */
  overlong?: number[];
  /** Indexes of cells that held bytes which are not valid UTF-8, in a UTF-8 file (API.md §3). */
  invalidBytes?: number[];
  /** Indexes of a workbook's error cells (`#N/A`, `#DIV/0!`): each is an `invalid_value` of its field (API.md §11). */
  errorCells?: number[];
}

export interface CsvDocument {
  encoding: CsvEncoding;
  delimiter: string;
  /** Row 1, the raw trimmed header cells. */
  header: CsvRecord;
  /** Data rows (row 2 onwards), as many at a time as each chunk of the file completes. Can be iterated once. */
  batches: AsyncIterable<CsvRecord[]>;
}
