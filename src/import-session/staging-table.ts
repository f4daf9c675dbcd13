import { EntityManager } from 'typeorm';
import { CsvRecord } from './csv';
import { ImportContext, ImportDefinition } from './import-definition';
import type { ImportDocument } from './import-document';
import { CellLayout, parseRecord, tooShort } from './import-staging';

/** Where a session's rows live once staged, and where they are staged unless told otherwise. */
export const STAGING_TABLE = 'import_rows';
/** A temporary table of the same shape, private to the staging transaction. */
const TEMPORARY_TABLE = 'import_rows_in';
/** Files from this size whose first rows mostly exist already are staged in {@link TEMPORARY_TABLE}. */
export const TEMPORARY_STAGING_FROM_BYTES = 4 * 1024 * 1024;
/** The first rows of a file whose keys are looked up to choose. */
const SAMPLE_ROWS = 1000;

/** A document to stage, and the table to stage it in. */
export interface StagingRoute {
  document: ImportDocument;
  table: string;
}

/**
 * Chooses the table a file is staged in. The look-ups after staging rewrite every row whose key matches a
 * record (an `UPDATE` of each), which at a million rows of `import_rows` costs more than staging them: a
 * large file whose first rows mostly match (a re-import) is staged in a temporary table instead, where the
 * look-ups write neither WAL nor index entries, and its rows are then moved to `import_rows` in one
 * `INSERT … SELECT` ({@link moveStaged}). A file of new rows is staged in `import_rows` directly, as its
 * look-ups write nothing. Reads a CSV's first rows ahead; the document answered yields them again.
 */
export async function chooseStagingTable(
  manager: EntityManager,
  definition: ImportDefinition,
  document: ImportDocument,
  fileSize: number,
  read: { layout: CellLayout; context: ImportContext; maxCellChars: number },
): Promise<StagingRoute> {
  const countExisting = definition.countExisting?.bind(definition);
  // A workbook is always staged in import_rows: reading its first rows ahead raised the peak RSS of a 1M-row
  // validate from about 240 to 360 MB.
  if (fileSize < TEMPORARY_STAGING_FROM_BYTES || !countExisting || document.format !== 'csv') {
    return { document, table: STAGING_TABLE };
  }
  const iterator = document.batches[Symbol.asyncIterator]();
  const head: CsvRecord[][] = [];
  let rows = 0;
  let ended = false;
  while (rows < SAMPLE_ROWS) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    head.push(next.value);
    rows += next.value.length;
  }
  // The batches read ahead first, then the rest straight from the reader.
  const batches: AsyncIterable<CsvRecord[]> = {
    [Symbol.asyncIterator]: () => ({
      next: () => {
        const first = head.shift();
        if (first !== undefined) return Promise.resolve({ done: false, value: first });
        return ended ? Promise.resolve({ done: true, value: undefined }) : iterator.next();
      },
      return: () => iterator.return?.() ?? Promise.resolve({ done: true, value: undefined }),
    }),
  };
  const rest = { ...document, batches };
  const keys: string[] = [];
  for (const batch of head) {
    for (const record of batch) {
      if (tooShort(definition, record)) continue;
      const { key } = parseRecord(definition, read.layout, record, read.context, read.maxCellChars);
      if (key !== null) keys.push(key);
    }
  }
  if (keys.length === 0 || (await countExisting(manager, keys, read.context)) * 2 < keys.length) {
    return { document: rest, table: STAGING_TABLE };
  }
  await manager.query(`CREATE TEMPORARY TABLE ${TEMPORARY_TABLE} (LIKE ${STAGING_TABLE}) ON COMMIT DROP`);
  return { document: rest, table: TEMPORARY_TABLE };
}

/**
 * Moves the rows staged in a temporary table to `import_rows`, drops it, and refreshes the statistics of
 * `import_rows` with the rows' final statuses. Rows staged in `import_rows` stay where they are.
 */
export async function moveStaged(manager: EntityManager, table: string): Promise<void> {
  if (table === STAGING_TABLE) return;
  await manager.query(`INSERT INTO ${STAGING_TABLE} SELECT * FROM ${table}`);
  await manager.query(`DROP TABLE ${table}`);
  await manager.query(`ANALYZE ${STAGING_TABLE}`);
}
