import { CsvFormatError } from '../csv/csv-format-error';
import type { CsvRecord } from '../csv/csv-types';
import { SheetContext, SheetParser } from './sheet-parser';
import { readDateStyles, readSharedStrings, readWorkbook, WorksheetPart } from './workbook-parts';
import { ZipArchive } from './zip-archive';

export interface WorkbookReadOptions {
  /** Data rows allowed (the header is not counted). */
  maxRows: number;
  /** Per-cell character cap (UTF-16 code units, after trimming). */
  maxFieldChars: number;
  /** What all the parts read may unpack to, together (`IMPORT_XLSX_MAX_UNPACKED`). */
  maxUnpackedBytes: number;
  /** The worksheet to read: its name, or its 1-based position; the first one when absent or empty. */
  sheet?: string;
}

export interface WorkbookDocument {
  /** The name of the worksheet read. */
  sheet: string;
  /** The first non-empty row of the worksheet. */
  header: CsvRecord;
  /** The data rows after it, numbered with the worksheet's row numbers. Can be iterated once. */
  batches: AsyncIterable<CsvRecord[]>;
}

/** The worksheet a `sheet` field names: by name (exact, then in any case), then by 1-based position. */
function pickSheet(sheets: WorksheetPart[], wanted: string | undefined): WorksheetPart {
  const name = wanted?.trim();
  if (name === undefined || name === '') return sheets[0];
  const found =
    sheets.find((s) => s.name === name) ??
    sheets.find((s) => s.name.toLowerCase() === name.toLowerCase()) ??
    (/^\d+$/.test(name) ? sheets[Number(name) - 1] : undefined);
  if (found) return found;
  const names = sheets.map((s) => `"${s.name}"`).join(', ');
  throw new CsvFormatError(400, `the workbook has no sheet "${name}": its sheets are ${names}`);
}

/** The records of a worksheet part, a piece of XML at a time. */
async function* sheetRecords(archive: ZipArchive, part: string, context: SheetContext) {
  const parser = new SheetParser(context);
  for await (const text of archive.text(part)) {
    parser.push(text);
    const records = parser.takeRecords();
    if (records.length > 0) yield records;
  }
  parser.end();
  const records = parser.takeRecords();
  if (records.length > 0) yield records;
}

/**
 * Opens an `.xlsx` workbook spooled at `path`, picks the worksheet, reads its header row and checks that a
 * data row follows. The shared strings and the styles are read once and held; the worksheet is streamed.
 * The archive is closed in between: iterating `batches` opens it again and reads the worksheet on from the
 * header, and closes it when the iteration ends, stops early or fails.
 */
export async function openWorkbook(path: string, options: WorkbookReadOptions): Promise<WorkbookDocument> {
  let archive = await ZipArchive.open(path, options.maxUnpackedBytes);
  let context: SheetContext;
  let sheet: WorksheetPart;
  let before: number;
  const first: CsvRecord[] = [];
  try {
    const parts = await readWorkbook(archive);
    sheet = pickSheet(parts.sheets, options.sheet);
    const dateStyles = await readDateStyles(archive, parts.stylesPart);
    const sharedStrings = await readSharedStrings(archive, parts.sharedStringsPart);
    context = { sharedStrings, dateStyles, date1904: parts.date1904, maxFieldChars: options.maxFieldChars };
    before = archive.inflatedBytes;
    const records = sheetRecords(archive, sheet.part, context);
    while (first.length < 2) {
      const next = await records.next();
      if (next.done) break;
      first.push(...next.value);
    }
    await records.return(undefined);
  } finally {
    archive.close();
  }
  const header = first[0];
  if (header === undefined) {
    throw new CsvFormatError(400, `file is empty: the worksheet "${sheet.name}" has no rows`);
  }
  if (first.length < 2) throw new CsvFormatError(400, 'file contains only headers, no data rows');
  const width = header.cells.length;
  let iterated = false;
  async function* batches(): AsyncGenerator<CsvRecord[]> {
    archive = await ZipArchive.open(path, options.maxUnpackedBytes, before);
    let dataRows = 0;
    try {
      for await (const records of sheetRecords(archive, sheet.part, context)) {
        const batch: CsvRecord[] = [];
        for (const record of records) {
          if (record.rowNumber <= header.rowNumber) continue;
          if (++dataRows > options.maxRows) {
            if (batch.length > 0) yield batch;
            throw new CsvFormatError(
              400,
              `too many rows: the limit is ${options.maxRows} data rows`,
              record.rowNumber,
            );
          }
          // Rows are as wide as the header, as a spreadsheet saves them as CSV: empty cells at the end of a
          // row are not written in a workbook.
          while (record.cells.length < width) record.cells.push('');
          batch.push(record);
        }
        if (batch.length > 0) yield batch;
      }
    } finally {
      archive.close();
    }
  }
  return {
    sheet: sheet.name,
    header,
    batches: {
      [Symbol.asyncIterator]: () => {
        if (iterated) throw new Error('WorkbookDocument.batches can be iterated only once');
        iterated = true;
        return batches();
      },
    },
  };
}
