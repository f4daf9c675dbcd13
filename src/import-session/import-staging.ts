import { Writable } from 'node:stream';
import { finished as finishedStream } from 'node:stream/promises';
import { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { EntityManager } from 'typeorm';
import { uuidV7 } from '../common/uuid-v7';
import { charLength, FieldError } from './field-rules';
import { CsvRecord } from './csv';
import { DistinctKeys } from './distinct-keys';
import { HeaderMapping } from './header-mapping';
import { ImportContext, ImportDefinition, ParsedRow, stagedColumns } from './import-definition';
import type { ImportDocument } from './import-document';

const ESCAPES = /[\\\n\r\t]/;
const ESCAPE_ALL = /[\\\n\r\t]/g;
const escapeChar = (c: string) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t');

/** A value in PostgreSQL's COPY text format: `\N` for null, backslash escapes for the rest. */
export function copyText(value: string | null): string {
  if (value === null) return '\\N';
  return ESCAPES.test(value) ? value.replace(ESCAPE_ALL, escapeChar) : value;
}

/** A `text[]` literal of the cells: `{"a","b \"c\""}`. */
function arrayLiteral(cells: readonly string[]): string {
  let out = '{';
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    out += `${i === 0 ? '' : ','}"${cell.includes('"') || cell.includes('\\') ? cell.replace(/["\\]/g, '\\$&') : cell}"`;
  }
  return `${out}}`;
}

/** Waits until a writable stream can take more, or fails with it. */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      stream.off('error', fail);
      resolve();
    };
    const fail = (error: Error) => {
      stream.off('drain', done);
      reject(error);
    };
    stream.once('drain', done).once('error', fail);
  });
}

/** `error` > `ambiguous` > `warning` > `valid` (API.md §4). */
export function rowStatus(errors: readonly FieldError[], warnings: readonly FieldError[]): string {
  for (const error of errors) if (error.message !== 'ambiguous') return 'error';
  if (errors.length > 0) return 'ambiguous';
  return warnings.length > 0 ? 'warning' : 'valid';
}

/**
 * How a file's cells meet a definition: the cell index of each column (-1: the file has no such column), and
 * for each header cell the position of its column (-1: an ignored column). Stored with the session
 * (`cell_fields`), so that the original cells of a row can be rebuilt from its values.
 */
export interface CellLayout {
  columnCells: number[];
  cellColumns: number[];
  headerWidth: number;
}

export function cellLayout(
  definition: ImportDefinition,
  mapping: HeaderMapping,
  headerWidth: number,
): CellLayout {
  const columnCells = definition.columns.map((c) => mapping.indexes.get(c.field) ?? -1);
  const cellColumns = Array.from({ length: headerWidth }, (_, cell) => columnCells.indexOf(cell));
  return { columnCells, cellColumns, headerWidth };
}

/** A positional record with fewer cells than the definition needs: skipped and listed, never staged. */
export function tooShort(definition: ImportDefinition, record: CsvRecord): boolean {
  return definition.minCells !== undefined && record.cells.length < definition.minCells;
}

/**
 * Checks one record with the definition's rules, and the reader's own: a named file's row with the wrong
 * number of cells is `invalid_format`, a cell over the cell limit is `too_long` whatever the field's rule, and
 * a workbook's error cell (`#N/A`) is `invalid_value`.
 * `cells` is a scratch array, refilled for every record.
 */
export function parseRecord(
  definition: ImportDefinition,
  layout: CellLayout,
  record: CsvRecord,
  context: ImportContext,
  maxCellChars: number,
  cells: string[] = [],
): ParsedRow {
  const { columnCells } = layout;
  const source = record.cells;
  for (let j = 0; j < columnCells.length; j++) {
    const at = columnCells[j];
    cells[j] = at >= 0 ? (source[at] ?? '') : '';
  }
  const parsed = definition.parse(cells, context);
  let formatErrors: FieldError[] | undefined;
  if (definition.headerMode === 'named' && source.length !== layout.headerWidth) {
    formatErrors = [
      {
        field: 'row',
        message: 'invalid_format',
        values: [`expected ${layout.headerWidth} fields, found ${source.length}`],
      },
    ];
  }
  for (let j = 0; j < columnCells.length; j++) {
    const at = columnCells[j];
    if (at < 0) continue;
    const cell = source[at];
    const overlong =
      record.overlong?.includes(at) ||
      (cell !== undefined && cell.length > maxCellChars && charLength(cell) > maxCellChars);
    if (!overlong) continue;
    const field = definition.columns[j].field;
    if (!parsed.errors.some((e) => e.field === field && e.message === 'too_long')) {
      parsed.errors = parsed.errors.filter((e) => e.field !== field);
      (formatErrors ??= []).push({ field, message: 'too_long' });
    }
  }
  if (record.invalidBytes !== undefined) {
    const mapped = new Set<number>();
    for (let j = 0; j < columnCells.length; j++) {
      const at = columnCells[j];
      if (at < 0 || !record.invalidBytes.includes(at)) continue;
      mapped.add(at);
      const field = definition.columns[j].field;
      parsed.errors = parsed.errors.filter((e) => e.field !== field);
      (formatErrors ??= []).push({ field, message: 'invalid_encoding' });
    }
    // A cell of an ignored column: its bytes are kept with the row's cells, so the row says so too.
    if (record.invalidBytes.some((at) => !mapped.has(at))) {
      (formatErrors ??= []).push({ field: 'row', message: 'invalid_encoding' });
    }
  }
  if (record.errorCells !== undefined) {
    for (let j = 0; j < columnCells.length; j++) {
      const at = columnCells[j];
      if (at < 0 || !record.errorCells.includes(at)) continue;
      const field = definition.columns[j].field;
      parsed.errors = parsed.errors.filter((e) => e.field !== field);
      (formatErrors ??= []).push({ field, message: 'invalid_value', values: [source[at]] });
    }
  }
  if (formatErrors) parsed.errors = [...formatErrors, ...parsed.errors];
  return parsed;
}

/** Whether the record's cells, within the header's width, are exactly what its values rebuild. */
function rebuildable(
  layout: CellLayout,
  source: readonly string[],
  values: readonly (string | null)[],
): boolean {
  const { cellColumns, headerWidth } = layout;
  for (let i = 0; i < headerWidth; i++) {
    const column = cellColumns[i];
    const value = column >= 0 ? (values[column] ?? '') : '';
    if ((source[i] ?? '') !== value) return false;
  }
  return true;
}

/** The columns COPY writes, for a definition staging `fieldCount` values. */
const copyStatement = (table: string, fieldCount: number) =>
  `COPY ${table} (session_id, row_number, status, match_key, target_id, ${Array.from(
    { length: fieldCount },
    (_, i) => `v${i + 1}`,
  ).join(', ')}, raw, errors, warnings) FROM STDIN`;

/**
 * Characters of COPY text handed to PostgreSQL at a time. Below V8's large-object size (128 KiB), so that each
 * chunk's string is collected young instead of piling up in the old generation until a full collection.
 */
const COPY_CHUNK_CHARS = 48 * 1024;

/**
 * Reads every record of the file into `table` (`import_rows`, or a temporary table of its shape) through one
 * COPY on the transaction's connection, a chunk of lines at a time with back-pressure (memory does not grow
 * with the file), while PostgreSQL stores the previous chunk. Each row gets the id a record created from it
 * will have (time-ordered). Its original cells are stored only when its values cannot rebuild them. Answers
 * how many rows were staged, the last row number, the positional records too short to import, and whether
 * the keys were seen to be distinct.
 */
export async function stageRows(
  manager: EntityManager,
  sessionId: string,
  definition: ImportDefinition,
  document: ImportDocument,
  layout: CellLayout,
  context: ImportContext,
  maxCellChars: number,
  table: string,
): Promise<{ staged: number; lastRow: number; dropped: number[]; distinctKeys: boolean }> {
  // Whether any key is repeated: a file whose keys are distinct has no duplicate for `markDuplicates` to
  // look for (at a million rows, its aggregate over the session takes about a second).
  const keys = new DistinctKeys();
  const fieldCount = definition.fields.length;
  const dropped: number[] = [];
  const cells: string[] = [];
  let staged = 0;
  let lastRow = 1;
  const runner = manager.queryRunner;
  if (!runner) throw new Error('stageRows must run inside a transaction');
  const client = (await runner.connect()) as PoolClient;
  // The first failure of the COPY: PostgreSQL's error (a shutdown is 57P01), or the connection ending. After
  // either, pg-copy-streams throws a TypeError on the next write, which must not hide the cause.
  let lost: Error | undefined;
  const onLost = (error?: Error) => (lost ??= error ?? new Error('Connection terminated while staging rows'));
  client.once('end', onLost).once('error', onLost);
  const copy = client.query(copyFrom(copyStatement(table, fieldCount)));
  copy.on('error', onLost);
  const write = (text: string): boolean => {
    if (lost) throw lost;
    try {
      return copy.write(text);
    } catch (error) {
      throw lost ?? error;
    }
  };
  const finished = finishedStream(copy);
  // The COPY can fail while the file is being read (the database going away): that failure is reported by
  // the next write or by the await below, never as an unhandled rejection.
  finished.catch(() => undefined);
  let chunk: string[] = [];
  let chars = 0;
  try {
    for await (const batch of document.batches) {
      for (const record of batch) {
        if (tooShort(definition, record)) {
          dropped.push(record.rowNumber);
          continue;
        }
        const parsed = parseRecord(definition, layout, record, context, maxCellChars, cells);
        const { values, errors } = parsed;
        const warnings = parsed.warnings ?? [];
        const status = rowStatus(errors, warnings);
        if (parsed.key !== null) keys.add(parsed.key);
        let line = `${sessionId}\t${record.rowNumber}\t${status}\t${copyText(parsed.key)}\t${uuidV7()}`;
        for (let i = 0; i < fieldCount; i++) line += `\t${copyText(values[i] ?? null)}`;
        const keepRaw = status !== 'valid' || !rebuildable(layout, record.cells, values);
        line += `\t${keepRaw ? copyText(arrayLiteral(record.cells)) : '\\N'}`;
        line += `\t${errors.length ? copyText(JSON.stringify(errors)) : '\\N'}`;
        line += `\t${warnings.length ? copyText(JSON.stringify(warnings)) : '\\N'}\n`;
        chunk.push(line);
        chars += line.length;
        staged++;
        lastRow = record.rowNumber;
        if (chars >= COPY_CHUNK_CHARS) {
          const text = chunk.join('');
          chunk = [];
          chars = 0;
          if (!write(text)) await drained(copy);
        }
      }
    }
    if (chunk.length > 0) write(chunk.join(''));
    copy.end();
    await finished;
  } catch (error) {
    // What failed first: the file (a CSV error), or the COPY. Cancelling the COPY fails it in turn.
    const cause = lost ?? error;
    copy.destroy(error as Error);
    await finished.catch(() => undefined);
    throw cause;
  } finally {
    client.off('end', onLost).off('error', onLost);
  }
  return { staged, lastRow, dropped, distinctKeys: keys.distinct };
}

/**
 * Marks every row whose key appeared on an earlier row: `duplicate_in_csv`, with the value and the first
 * row number that had it (API.md §3). One aggregate over the session finds the keys seen twice; only their
 * rows are then rewritten.
 */
export async function markDuplicates(
  manager: EntityManager,
  sessionId: string,
  definition: ImportDefinition,
  table: string,
): Promise<void> {
  const keyColumn = stagedColumns(definition.fields)[definition.keyField];
  await manager.query(
    `WITH firsts AS (
       SELECT match_key, min(row_number) AS first_row FROM ${table}
       WHERE session_id = $1 AND match_key IS NOT NULL
       GROUP BY match_key HAVING count(*) > 1
     )
     UPDATE ${table} r
     SET errors = coalesce(r.errors, '[]'::jsonb) || jsonb_build_array(jsonb_build_object(
           'field', $2::text, 'message', 'duplicate_in_csv',
           'values', jsonb_build_array(coalesce(r.${keyColumn}, ''), f.first_row::text))),
         status = 'error'
     FROM firsts f
     WHERE r.session_id = $1 AND r.match_key = f.match_key AND r.row_number > f.first_row`,
    [sessionId, definition.keyField],
  );
}
