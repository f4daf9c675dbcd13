import { open } from 'node:fs/promises';
import { CsvFormatError, CsvRecord, CsvSource, openCsv } from './csv';
import { LEGACY_MESSAGE, ODS_MESSAGE } from './workbook/workbook-messages';
import { openWorkbook } from './workbook/workbook-reader';

export type FileFormat = 'csv' | 'xlsx';

/**
 * An import file as the staging reads it, whatever its format: the header row and the data records after it,
 * a batch at a time, each with the row number the user sees (CSV record index, or worksheet row).
 */
export interface ImportDocument {
  format: FileFormat;
  header: CsvRecord;
  batches: AsyncIterable<CsvRecord[]>;
}

export interface DocumentOptions {
  /** CSV: an explicit delimiter (raw user input). */
  delimiter?: string;
  /** Workbook: the worksheet's name or 1-based position. */
  sheet?: string;
  /** Read as CSV text whatever the first bytes are (the one-shot JSON import's text). */
  csvOnly?: boolean;
  maxRows: number;
  maxFieldChars: number;
  maxUnpackedBytes: number;
}

const ZIP = Buffer.from('PK\x03\x04', 'latin1');
const CFB = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
/** An OpenDocument file starts with its stored `mimetype` entry. */
const ODF_MIMETYPE = 'mimetypeapplication/vnd.oasis.opendocument';

async function firstBytes(path: string, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Opens an uploaded file by its content, whatever its name or type: a ZIP archive is read as an `.xlsx`
 * workbook, anything else as CSV text. A legacy or password-protected workbook (a CFB container) and an
 * OpenDocument spreadsheet are refused with a 400 that says what they are. A file given as a buffer, or with
 * `csvOnly` (the one-shot JSON import's text), is CSV text.
 */
export async function openDocument(source: CsvSource, options: DocumentOptions): Promise<ImportDocument> {
  if ('path' in source && !options.csvOnly) {
    const head = await firstBytes(source.path, 128);
    if (head.subarray(0, CFB.length).equals(CFB)) throw new CsvFormatError(400, LEGACY_MESSAGE);
    if (head.subarray(0, ZIP.length).equals(ZIP)) {
      if (head.subarray(30).toString('latin1').startsWith(ODF_MIMETYPE)) {
        throw new CsvFormatError(400, ODS_MESSAGE);
      }
      const workbook = await openWorkbook(source.path, options);
      return { format: 'xlsx', header: workbook.header, batches: workbook.batches };
    }
  }
  const csv = await openCsv(source, options);
  return { format: 'csv', header: csv.header, batches: csv.batches };
}
