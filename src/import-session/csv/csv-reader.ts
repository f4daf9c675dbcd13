import { CsvFormatError } from './csv-format-error';
import { cellsWithInvalidBytes, detectEncoding } from './csv-encoding';
import { CsvRecordParser, DelimiterDetector } from './csv-parser';
import { TextChunkReader } from './csv-text-reader';
import type { CsvDocument, CsvReadOptions, CsvRecord, CsvSource } from './csv-types';

export { CsvFormatError } from './csv-format-error';
export type { CsvDocument, CsvEncoding, CsvReadOptions, CsvRecord, CsvSource } from './csv-types';

const DELIMITERS = new Map<string, string>([
  [',', ','],
  [';', ';'],
  ['|', '|'],
  ['\t', '\t'],
  ['tab', '\t'],
  ['\\t', '\t'],
  ['comma', ','],
  ['semicolon', ';'],
  ['pipe', '|'],
]);

/**
 * Validates an explicit delimiter (raw user input): `,` `;` `|`, a tab character, or one of the words
 * `tab` `\t` `comma` `semicolon` `pipe` (case and surrounding blanks ignored). Undefined or an empty string
 * means "detect it".
 */
export function parseDelimiterOption(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === null || raw === '') {
    return undefined;
  }
  const delimiter =
    typeof raw === 'string' ? (DELIMITERS.get(raw) ?? DELIMITERS.get(raw.trim().toLowerCase())) : undefined;
  if (delimiter === undefined) {
    throw new CsvFormatError(400, 'delimiter must be one of , ; | tab');
  }
  return delimiter;
}

function checkLimit(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
}

/**
 * Opens the source, detects encoding and delimiter, reads the header and checks that at least one data row
 * follows. The file is read again (from where this left off) when `batches` is iterated; it is closed when
 * the iteration ends, stops early (break, throw) or fails, and is not held open in between.
 */
export async function openCsv(source: CsvSource, options: CsvReadOptions): Promise<CsvDocument> {
  checkLimit('maxRows', options.maxRows, 0);
  checkLimit('maxFieldChars', options.maxFieldChars, 1);
  const explicitDelimiter = parseDelimiterOption(options.delimiter);
  const { encoding, bomLength, invalidBytes = false } = await detectEncoding(source);
  const reader = new TextChunkReader(source, encoding, bomLength, invalidBytes);
  try {
    // The header is buffered (at most ~1 Mi characters plus a chunk) until its delimiter is known.
    const pending: string[] = [];
    let ended = false;
    let delimiter = explicitDelimiter;
    if (delimiter === undefined) {
      const detector = new DelimiterDetector();
      while (!detector.done) {
        const text = await reader.read();
        if (text === null) {
          ended = true;
          break;
        }
        pending.push(text);
        detector.feed(text);
      }
      delimiter = detector.delimiter;
    }
    const parser = new CsvRecordParser({ delimiter, maxFieldChars: options.maxFieldChars });
    let failure: CsvFormatError | undefined;
    try {
      for (const text of pending) {
        parser.push(text);
      }
      pending.length = 0;
      while (parser.pendingRecords < 2 && !ended) {
        const text = await reader.read();
        if (text === null) {
          ended = true;
        } else {
          parser.push(text);
        }
      }
      if (ended) {
        parser.end();
      }
    } catch (error) {
      // An error about a row after the first data row is reported in row order, by the iteration, as it
      // would be in a larger file. Errors about the file as a whole are reported at once.
      if (!(error instanceof CsvFormatError) || error.rowNumber === undefined || parser.pendingRecords < 2) {
        throw error;
      }
      failure = error;
    }
    const records = parser.takeRecords();
    const header = records.shift();
    if (header === undefined) {
      throw new CsvFormatError(400, 'file is empty');
    }
    if (records.length === 0) {
      throw new CsvFormatError(400, 'file contains only headers, no data rows');
    }
    const batches = new BatchReader(reader, parser, records, ended, failure, options.maxRows, invalidBytes);
    let iterated = false;
    return {
      encoding,
      delimiter,
      header,
      batches: {
        [Symbol.asyncIterator]: () => {
          if (iterated) {
            throw new Error('CsvDocument.batches can be iterated only once');
          }
          iterated = true;
          return batches;
        },
      },
    };
  } finally {
    reader.suspend();
  }
}

/**
 * Hands out the data records a parsed chunk at a time, reading the next chunk when they run out. Records
 * completed before an error are handed out first, and the error after them. The file is closed at the end,
 * on return() (a for-await loop left early) and on any error.
 */
class BatchReader implements AsyncIterator<CsvRecord[]> {
  private dataRows = 0;
  private finished = false;

  constructor(
    private readonly reader: TextChunkReader,
    private readonly parser: CsvRecordParser,
    private batch: CsvRecord[],
    private ended: boolean,
    private failure: Error | undefined,
    private readonly maxRows: number,
    /**
     * Records may hold invalid bytes (the first ones, of a file that has some, or those read since a piece of
     * text that held one): each such record says which of its cells held one.
     */
    private dirty: boolean,
  ) {}

  async next(): Promise<IteratorResult<CsvRecord[]>> {
    for (;;) {
      if (this.batch.length > 0) {
        let batch = this.batch;
        this.batch = [];
        if (this.dataRows + batch.length > this.maxRows) {
          // The records up to the limit are handed out; the next call reports the first one over it.
          const allowed = this.maxRows - this.dataRows;
          const over = batch[allowed];
          this.failure = new CsvFormatError(
            400,
            `too many rows: the limit is ${this.maxRows} data rows`,
            over.rowNumber,
          );
          batch = batch.slice(0, allowed);
          if (batch.length === 0) continue;
        }
        this.dataRows += batch.length;
        if (this.dirty) {
          markInvalidBytes(batch);
          // A record under way may hold some of the invalid bytes: its batch is looked at too.
          this.dirty = this.parser.inRecord;
        }
        return { done: false, value: batch };
      }
      if (this.failure !== undefined) {
        const error = this.failure;
        this.close();
        throw error;
      }
      if (this.ended || this.finished) {
        this.close();
        return { done: true, value: undefined };
      }
      await this.readMore();
    }
  }

  return(): Promise<IteratorResult<CsvRecord[]>> {
    this.close();
    return Promise.resolve({ done: true, value: undefined });
  }

  private async readMore(): Promise<void> {
    try {
      const text = await this.reader.read();
      if (this.finished) {
        return; // return() was called meanwhile
      }
      if (text === null) {
        this.ended = true;
        this.parser.end();
      } else {
        this.parser.push(text);
      }
      if (this.reader.invalidBytes) this.dirty = true;
    } catch (error) {
      // Records completed before the error are handed out first, so that it comes after them.
      this.failure = error instanceof Error ? error : new Error(String(error));
    }
    this.batch = this.parser.takeRecords();
  }

  private close(): void {
    this.finished = true;
    this.batch = [];
    this.failure = undefined;
    this.reader.suspend();
  }
}

/** Records which cells of each record held invalid bytes (decoded as lone surrogates). */
function markInvalidBytes(records: CsvRecord[]): void {
  for (const record of records) {
    const cells = cellsWithInvalidBytes(record.cells);
    if (cells !== undefined) record.invalidBytes = cells;
  }
}
