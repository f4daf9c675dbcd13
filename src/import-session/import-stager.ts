import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { AuthUser } from '../auth/permissions';
import { AppConfig } from '../config/config';
import { prepareStatements } from '../database/prepared-statements';
import { CsvFormatError, CsvSource } from './csv';
import { mapHeader } from './header-mapping';
import { ImportContext, ImportDefinition } from './import-definition';
import { ImportDocument, openDocument } from './import-document';
import { fileFacts } from './import-history';
import { guardedDocument, StagingBudget, stopIfGone } from './import-quota';
import { ClaimAtCreation, ImportSessionRepository } from './import-session.repository';
import { SessionRecord, StagedSession } from './import-session.types';
import { CellLayout, cellLayout, markDuplicates, stageRows } from './import-staging';
import { chooseStagingTable, moveStaged, STAGING_TABLE } from './staging-table';
import { ImportException, ImportExceptionCode } from './import.exception';

/**
 * Sessions with at least this many rows refresh the planner's statistics after staging. Smaller ones are
 * small enough for prepared statements ({@link prepareStatements}).
 */
export const ANALYZE_ABOVE_ROWS = 5000;

/** A file that cannot be read is a 400 (413 when too large); any other error goes on as it is. */
export function readError(error: unknown): never {
  if (!(error instanceof CsvFormatError)) throw error;
  throw new ImportException(
    error.status === 413 ? ImportExceptionCode.FILE_TOO_LARGE : ImportExceptionCode.INVALID_FILE,
    error.message,
  );
}

/** How the user asked the file to be read: a CSV's delimiter, a workbook's worksheet (raw form fields). */
export interface FileChoices {
  delimiter?: string;
  sheet?: string;
  /** Text that is CSV whatever it starts with (the one-shot JSON import's `content`). */
  csvOnly?: boolean;
}

export type ImportSource = CsvSource & { fileName?: string; signal?: AbortSignal };

/** A file opened for staging: its reader, the header mapped to the definition's fields, its facts. */
export interface OpenedFile {
  source: ImportSource;
  document: ImportDocument;
  mapping: ReturnType<typeof mapHeader>;
  layout: CellLayout;
  cellFields: (string | null)[];
  file: { size: number; sha256: string };
}

/**
 * Opens a file and stages it as a session: the session row, its rows through COPY, the duplicates, the
 * definition's look-ups and the counters. Staging runs in the caller's transaction.
 */
export class ImportStager {
  constructor(
    private readonly config: AppConfig,
    private readonly store: ImportSessionRepository,
  ) {}

  /** Opens the file and maps its header; a file that cannot be read throws `CsvFormatError`. */
  async open(definition: ImportDefinition, source: ImportSource, choices: FileChoices): Promise<OpenedFile> {
    const file = await fileFacts(source);
    const document = await openDocument(source, {
      delimiter: choices.delimiter,
      sheet: choices.sheet,
      csvOnly: choices.csvOnly,
      maxUnpackedBytes: this.config.import.maxUnpackedBytes,
      maxRows: this.config.import.maxRows,
      // The reader counts UTF-16 code units: twice the limit holds any cell of maxCellChars characters;
      // the exact count, in characters, is checked per row.
      maxFieldChars: this.config.import.maxCellChars * 2,
    });
    const mapping = mapHeader(definition, document.header.cells);
    const layout = cellLayout(definition, mapping, document.header.cells.length);
    const cellFields = layout.cellColumns.map((j) => (j >= 0 ? definition.columns[j].field : null));
    return { source, document, mapping, layout, cellFields, file };
  }

  /** Stages the opened file as a new session in `manager`'s transaction; answers the session and its counts. */
  async stage(
    manager: EntityManager,
    definition: ImportDefinition,
    user: AuthUser,
    opened: OpenedFile,
    context: ImportContext,
    kind: 'session' | 'direct' | 'one_shot',
    budget: StagingBudget,
    claim?: ClaimAtCreation,
  ): Promise<{ staged: StagedSession; session: SessionRecord }> {
    const { source, document, mapping, layout } = opened;
    const { signal } = source;
    stopIfGone(signal);
    // The session row is written once its rows are staged and analysed, with their counters.
    const id = randomUUID();
    const { maxCellChars } = this.config.import;
    const route = await chooseStagingTable(
      manager,
      definition,
      guardedDocument(document, budget, this.config.import, signal),
      opened.file.size,
      { layout, context, maxCellChars },
    );
    const { table } = route;
    const { staged, lastRow, dropped, distinctKeys } = await stageRows(
      manager,
      id,
      definition,
      route.document,
      layout,
      context,
      maxCellChars,
      table,
    );
    // The look-ups below join the rows just staged: without statistics of them, the planner takes a large
    // session for a few rows and picks nested loops that are quadratic in the file.
    if (staged >= ANALYZE_ABOVE_ROWS || table !== STAGING_TABLE) await manager.query(`ANALYZE ${table}`);
    else prepareStatements(manager);
    // The look-ups join the whole session to the records: room to hash them in memory, not in batches on disk.
    if (staged >= ANALYZE_ABOVE_ROWS) await manager.query(`SET LOCAL work_mem = '64MB'`);
    // A file whose keys were seen to be distinct while staging has no duplicate to mark.
    if (!distinctKeys) await markDuplicates(manager, id, definition, table);
    stopIfGone(signal);
    await definition.analyse(manager, id, context, new Set(mapping.indexes.keys()), table);
    stopIfGone(signal);
    await moveStaged(manager, table);
    const { counts, session } = await this.store.create(manager, {
      id,
      ownerId: user.id,
      entity: definition.entity,
      fileName: source.fileName ?? null,
      header: document.header.cells,
      ignoredColumns: mapping.ignored,
      context,
      fields: definition.fields,
      cellFields: opened.cellFields,
      kind,
      file: { ...opened.file, format: document.format },
      claim,
      dropped,
      lastRow,
    });
    // The reads of the session plan on its rows' statuses: analysed again if many changed.
    // (Rows moved from a temporary table were analysed with their final statuses.)
    if (table === STAGING_TABLE && counts.total - counts.valid >= ANALYZE_ABOVE_ROWS) {
      await manager.query('ANALYZE import_rows');
    }
    return { staged: { import_id: id, ...counts }, session };
  }
}
