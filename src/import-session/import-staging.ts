import { EntityManager } from 'typeorm';
import { charLength, FieldError } from '../organizations/field-rules';
import { CsvDocument, CsvRecord } from './csv';
import { HeaderMapping } from './header-mapping';
import { ImportContext, ImportDefinition } from './import-definition';

/** Staged rows are written this many at a time, one statement per batch. */
interface StagingBatch {
  rowNumbers: number[];
  statuses: string[];
  data: string[];
  raw: string[];
  errors: (string | null)[];
  warnings: (string | null)[];
  keys: (string | null)[];
}

const emptyBatch = (): StagingBatch => ({
  rowNumbers: [],
  statuses: [],
  data: [],
  raw: [],
  errors: [],
  warnings: [],
  keys: [],
});

const INSERT_ROWS = `
  INSERT INTO import_rows (session_id, row_number, status, data, raw, errors, warnings, match_key)
  SELECT $1, * FROM unnest($2::int[], $3::text[], $4::jsonb[], $5::jsonb[], $6::jsonb[], $7::jsonb[], $8::text[])`;

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
 * Reads every record of the file into `import_rows`, a batch at a time (memory does not grow with the
 * file). Answers how many rows were staged, and the row numbers of positional records that were too short
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
  let batch = emptyBatch();
  const flush = async () => {
    if (batch.rowNumbers.length === 0) return;
    const b = batch;
    batch = emptyBatch();
    await manager.query(INSERT_ROWS, [
      sessionId,
      b.rowNumbers,
      b.statuses,
      b.data,
      b.raw,
      b.errors,
      b.warnings,
      b.keys,
    ]);
  };
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
    batch.rowNumbers.push(record.rowNumber);
    batch.statuses.push(rowStatus(errors, warnings));
    batch.data.push(JSON.stringify(parsed.data));
    batch.raw.push(JSON.stringify(record.cells));
    batch.errors.push(errors.length ? JSON.stringify(errors) : null);
    batch.warnings.push(warnings.length ? JSON.stringify(warnings) : null);
    batch.keys.push(parsed.key);
    if (batch.rowNumbers.length >= batchSize) await flush();
  }
  await flush();
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
