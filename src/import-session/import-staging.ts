import { Writable } from 'node:stream';
import { finished as finishedStream } from 'node:stream/promises';
import { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { EntityManager } from 'typeorm';
import { charLength, FieldError } from '../organizations/field-rules';
import { CsvDocument, CsvRecord } from './csv';
import { HeaderMapping } from './header-mapping';
import { ImportContext, ImportDefinition } from './import-definition';

/** A value in PostgreSQL's COPY text format: `\N` for null, backslash escapes for the rest. */
function copyText(value: string | null): string {
  if (value === null) return '\\N';
  return /[\\\n\r\t]/.test(value)
    ? value.replace(/[\\\n\r\t]/g, (c) =>
        c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t',
      )
    : value;
}

const COPY_ROWS =
  'COPY import_rows (session_id, row_number, status, data, raw, errors, warnings, match_key) FROM STDIN';

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
export function rowStatus(errors: FieldError[], warnings: FieldError[]): string {
  if (errors.some((e) => e.message !== 'ambiguous')) return 'error';
  if (errors.length > 0) return 'ambiguous';
  return warnings.length > 0 ? 'warning' : 'valid';
}

/** Turns one CSV record into a staged row: cells by field, the definition's rules, format errors. */
export function parseRecord(
  definition: ImportDefinition,
  mapping: HeaderMapping,
  headerWidth: number,
  record: CsvRecord,
  context: ImportContext,
  maxCellChars: number,
): { parsed: ReturnType<ImportDefinition['parse']>; formatErrors: FieldError[] } {
  const cells: Record<string, string> = {};
  for (const [field, index] of mapping.indexes) cells[field] = record.cells[index] ?? '';
  const parsed = definition.parse(cells, context);
  const formatErrors: FieldError[] = [];
  if (definition.headerMode === 'named' && record.cells.length !== headerWidth) {
    formatErrors.push({
      field: 'row',
      message: 'invalid_format',
      values: [`expected ${headerWidth} fields, found ${record.cells.length}`],
    });
  }
  for (const [field, index] of mapping.indexes) {
    const cell = record.cells[index];
    const overlong =
      record.overlong?.includes(index) || (cell !== undefined && charLength(cell) > maxCellChars);
    if (overlong && !parsed.errors.some((e) => e.field === field && e.message === 'too_long')) {
      parsed.errors = parsed.errors.filter((e) => e.field !== field);
      formatErrors.push({ field, message: 'too_long' });
    }
  }
  return { parsed, formatErrors };
}

/**
 * Reads every record of the file into `import_rows` through one COPY, written a chunk of rows at a time with
 * back-pressure (memory does not grow with the file). Answers how many rows were staged, and the row numbers of positional records that were too short
 * to import.
 */
export async function stageRows(
  manager: EntityManager,
  sessionId: string,
  definition: ImportDefinition,
  document: CsvDocument,
  mapping: HeaderMapping,
  context: ImportContext,
  limits: { batchSize: number; maxCellChars: number },
): Promise<{ staged: number; dropped: number[] }> {
  const { batchSize, maxCellChars } = limits;
  const dropped: number[] = [];
  let staged = 0;
  const headerWidth = document.header.cells.length;
  // Rows go to PostgreSQL through COPY on the transaction's own connection, a chunk of lines at a time.
  const runner = manager.queryRunner;
  if (!runner) throw new Error('stageRows must run inside a transaction');
  const client = (await runner.connect()) as PoolClient;
  const copy = client.query(copyFrom(COPY_ROWS));
  const finished = finishedStream(copy);
  let chunk = '';
  let lines = 0;
  try {
    for await (const record of document.records) {
      if (definition.minCells !== undefined && record.cells.length < definition.minCells) {
        dropped.push(record.rowNumber);
        continue;
      }
      const { parsed, formatErrors } = parseRecord(
        definition,
        mapping,
        headerWidth,
        record,
        context,
        maxCellChars,
      );
      const errors = [...formatErrors, ...parsed.errors];
      const warnings = parsed.warnings ?? [];
      staged++;
      chunk +=
        `${sessionId}\t${record.rowNumber}\t${rowStatus(errors, warnings)}\t${copyText(JSON.stringify(parsed.data))}` +
        `\t${copyText(JSON.stringify(record.cells))}\t${copyText(errors.length ? JSON.stringify(errors) : null)}` +
        `\t${copyText(warnings.length ? JSON.stringify(warnings) : null)}\t${copyText(parsed.key)}\n`;
      if (++lines >= batchSize) {
        if (!copy.write(chunk)) await drained(copy);
        chunk = '';
        lines = 0;
      }
    }
    copy.end(chunk);
    await finished;
  } catch (error) {
    copy.destroy(error as Error);
    await finished.catch(() => undefined);
    throw error;
  }
  return { staged, dropped };
}

/**
 * Marks every row whose key appeared on an earlier row: `duplicate_in_csv`, with the value and the first
 * row number that had it (API.md §3). One statement for the whole session.
 */
export async function markDuplicates(
  manager: EntityManager,
  sessionId: string,
  keyField: string,
): Promise<void> {
  await manager.query(
    // An index probe per row on (session_id, match_key, row_number): linear in the file, and no join whose
    // plan depends on statistics of rows staged a moment ago.
    `UPDATE import_rows r
     SET errors = coalesce(r.errors, '[]'::jsonb) || jsonb_build_array(jsonb_build_object(
           'field', $2::text, 'message', 'duplicate_in_csv',
           'values', jsonb_build_array(coalesce(r.data ->> $2::text, ''), (
             SELECT min(f.row_number) FROM import_rows f
             WHERE f.session_id = r.session_id AND f.match_key = r.match_key)::text))),
         status = 'error'
     WHERE r.session_id = $1 AND r.match_key IS NOT NULL
       AND EXISTS (
         SELECT 1 FROM import_rows p
         WHERE p.session_id = r.session_id AND p.match_key = r.match_key AND p.row_number < r.row_number)`,
    [sessionId, keyField],
  );
}

/** Stores the per-status counters of a session once its rows are staged and analysed. */
export async function countRows(manager: EntityManager, sessionId: string): Promise<void> {
  await manager.query(
    `UPDATE import_sessions s SET
       total_rows = c.total, valid_rows = c.valid, error_rows = c.error,
       warning_rows = c.warning, ambiguous_rows = c.ambiguous
     FROM (
       SELECT count(*)::int AS total,
              count(*) FILTER (WHERE status = 'valid')::int AS valid,
              count(*) FILTER (WHERE status = 'error')::int AS error,
              count(*) FILTER (WHERE status = 'warning')::int AS warning,
              count(*) FILTER (WHERE status = 'ambiguous')::int AS ambiguous
       FROM import_rows WHERE session_id = $1
     ) c
     WHERE s.id = $1`,
    [sessionId],
  );
}
