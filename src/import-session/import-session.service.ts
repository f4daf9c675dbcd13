import { HttpStatus, Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuthUser, Role } from '../auth/permissions';
import { ApiException } from '../common/http/api.exception';
import { APP_CONFIG, AppConfig } from '../config/config';
import { rowsOf } from '../database/sql';
import { CsvFormatError, CsvSource, openCsv } from './csv';
import { mapHeader } from './header-mapping';
import { PerRowApplier, TransactionalApplier } from './import-apply';
import { ImportWorkLimiter } from './import-work-limiter';
import { ConfirmOptions, ImportContext, ImportDefinition } from './import-definition';
import { isPoolBusy, LeaseLostError } from './import-errors';
import { dataSql, outcomeSql, ROWS_WITH_OUTCOMES, StoredOptions } from './import-outcomes';
import { cellLayout, countRows, markDuplicates, stageRows } from './import-staging';
import {
  ConfirmResult,
  ConfirmRowResult,
  ImportRowView,
  SessionRecord,
  SessionView,
  ValidateResult,
} from './import-session.types';

/** Sessions with at least this many rows refresh the planner's statistics after staging. */
const ANALYZE_ABOVE_ROWS = 5000;

/** A confirm that wrote at least this many records refreshes the statistics of the table it wrote. */
const ANALYZE_TARGET_ABOVE_ROWS = 50_000;

export const SESSION_NOT_FOUND = 'import session not found or expired. please re-validate the CSV file';

/**
 * How many times a confirm waits again for a free connection of its saturated pool (each wait lasts the pool's
 * connection timeout) before it gives up as if the database were down.
 */
const POOL_BUSY_ATTEMPTS = 20;

const SESSION_COLUMNS = `*, (status = 'validated' AND expires_at <= now()) AS expired`;

/** Which staged rows a read wants: by status, outcome (`notWritten`: neither created nor updated) or number. */
interface RowFilter {
  status?: string;
  outcome?: string;
  notWritten?: boolean;
  rowNumbers?: number[];
}

/** A staged row as read, with its outcome. */
export interface StoredRow {
  row_number: number;
  status: ImportRowView['status'];
  data: Record<string, unknown>;
  errors: ImportRowView['errors'] | null;
  warnings: ImportRowView['warnings'] | null;
  outcome: ImportRowView['outcome'] | null;
  target_id: string | null;
  reason: string | null;
  error: string | null;
}

export function toRowView(row: StoredRow): ImportRowView {
  const view: ImportRowView = { row_number: row.row_number, status: row.status, data: row.data };
  if (row.errors) view.errors = row.errors;
  if (row.warnings) view.warnings = row.warnings;
  if (row.outcome) view.outcome = row.outcome;
  if (row.target_id) view.id = row.target_id;
  if (row.reason) view.reason = row.reason;
  if (row.error) view.error = row.error;
  return view;
}

function toResult(row: StoredRow): ConfirmRowResult {
  const result: ConfirmRowResult = { row_number: row.row_number, status: row.outcome ?? 'failed' };
  if (row.target_id) result.id = row.target_id;
  if (row.reason) result.reason = row.reason;
  if (row.error) result.error = row.error;
  return result;
}

const csvError = (error: CsvFormatError) => new ApiException(error.status, error.message);

/**
 * The shared core of every import: sessions and staged rows in PostgreSQL, validate (read, check, stage,
 * analyse), confirm (claim, apply with the endpoint's strategy, count) and the reads of a session.
 */
@Injectable()
export class ImportSessionService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ImportSessionService.name);
  private readonly perRow: PerRowApplier;
  private readonly transactional: TransactionalApplier;
  private readonly background = new Set<Promise<unknown>>();
  /** Staging, confirm batches and statistics share part of the pool; the rest serves other requests. */
  private readonly limiter: ImportWorkLimiter;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly scheduler: SchedulerRegistry,
  ) {
    this.limiter = ImportWorkLimiter.forPool(config.databasePoolSize);
    const settings = {
      batchSize: config.import.batchSize,
      leaseMs: config.import.confirmLeaseMs,
      workers: config.import.confirmWorkers,
      limiter: this.limiter,
    };
    this.perRow = new PerRowApplier(dataSource, settings);
    this.transactional = new TransactionalApplier(dataSource, settings);
  }

  onModuleInit(): void {
    const timer = setInterval(
      () => void this.purgeExpired().catch(() => undefined),
      this.config.import.purgeIntervalMs,
    );
    timer.unref();
    this.scheduler.addInterval('import-session-purge', timer);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([...this.background]);
  }

  // ---------------------------------------------------------------------------------------------------- validate

  /** Reads, checks and stages a file; nothing is written outside the session until a confirm. */
  async validate(
    definition: ImportDefinition,
    user: AuthUser,
    source: CsvSource & { fileName?: string },
    delimiter: string | undefined,
    context: ImportContext = {},
  ): Promise<ValidateResult> {
    let document;
    try {
      document = await openCsv(source, {
        delimiter,
        maxRows: this.config.import.maxRows,
        // The reader counts UTF-16 code units: twice the limit holds any cell of maxCellChars characters;
        // the exact count, in characters, is checked per row.
        maxFieldChars: this.config.import.maxCellChars * 2,
      });
    } catch (error) {
      if (error instanceof CsvFormatError) throw csvError(error);
      throw error;
    }
    const mapping = mapHeader(definition, document.header.cells);
    const layout = cellLayout(definition, mapping, document.header.cells.length);
    const cellFields = layout.cellColumns.map((j) => (j >= 0 ? definition.columns[j].field : null));
    const sessionId = await this.limiter
      .run(() =>
        this.dataSource.transaction(async (manager) => {
          const [{ id }]: { id: string }[] = await manager.query(
            `INSERT INTO import_sessions (owner_id, entity, status, file_name, header, ignored_columns, context,
             fields, cell_fields, expires_at)
           VALUES ($1, $2, 'validated', $3, $4, $5, $6, $7, $8,
             now() + make_interval(secs => $9::double precision / 1000))
           RETURNING id`,
            [
              user.id,
              definition.entity,
              source.fileName ?? null,
              JSON.stringify(document.header.cells),
              JSON.stringify(mapping.ignored),
              JSON.stringify(context),
              JSON.stringify(definition.fields),
              JSON.stringify(cellFields),
              this.config.import.sessionTtlMs,
            ],
          );
          const { staged, lastRow, dropped } = await stageRows(
            manager,
            id,
            definition,
            document,
            layout,
            context,
            this.config.import.maxCellChars,
          );
          await manager.query(`UPDATE import_sessions SET dropped_rows = $2, last_row = $3 WHERE id = $1`, [
            id,
            JSON.stringify(dropped),
            lastRow,
          ]);
          // The look-ups below join the rows just staged: without statistics of them, the planner takes a large
          // session for a few rows and picks nested loops that are quadratic in the file.
          if (staged >= ANALYZE_ABOVE_ROWS) await manager.query('ANALYZE import_rows');
          await markDuplicates(manager, id, definition);
          await definition.analyse(manager, id, context, new Set(mapping.indexes.keys()));
          const counts = await countRows(manager, id);
          // The reads of the session plan on its rows' statuses: analysed again if many changed.
          if (counts.total - counts.valid >= ANALYZE_ABOVE_ROWS) await manager.query('ANALYZE import_rows');
          return id;
        }),
      )
      .catch((error: unknown) => {
        if (error instanceof CsvFormatError) throw csvError(error);
        throw error;
      });
    return this.validateResult(definition, sessionId);
  }

  private async validateResult(definition: ImportDefinition, sessionId: string): Promise<ValidateResult> {
    const session = await this.load(sessionId);
    const limit = this.config.import.responseRows;
    const truncated = session.total_rows > limit;
    const rows: StoredRow[] =
      truncated && session.valid_rows === session.total_rows
        ? []
        : await this.dataSource.query(
            `SELECT r.row_number, r.status, ${dataSql(session.fields)} AS data, r.errors, r.warnings FROM import_rows r
       WHERE r.session_id = $1 ${truncated ? `AND r.status <> 'valid'` : ''}
       ORDER BY r.row_number LIMIT $2`,
            [sessionId, limit],
          );
    const result: ValidateResult = {
      import_id: session.id,
      total_rows: session.total_rows,
      valid_rows: session.valid_rows,
      error_rows: session.error_rows,
      warning_rows: session.warning_rows,
      ambiguous_rows: session.ambiguous_rows,
      ignored_columns: session.ignored_columns,
      rows: rows.map(toRowView),
      rows_truncated: truncated,
    };
    if (definition.minCells !== undefined) result.skipped_rows = session.dropped_rows;
    return result;
  }

  // ----------------------------------------------------------------------------------------------------- confirm

  /**
   * Claims the session for this confirm with one conditional UPDATE: exactly one of any number of
   * concurrent confirms, on any number of instances, wins; the others get 409. A session whose confirm
   * died (its lease lapsed) can be claimed again, and the new confirm finishes the rows not yet applied,
   * with the options of the first confirm.
   */
  async claim(
    definition: ImportDefinition,
    user: AuthUser,
    importId: string,
    requested: ConfirmOptions,
  ): Promise<{ session: SessionRecord; token: string; options: StoredOptions }> {
    const token = randomUUID();
    const offered = await this.checkResolutions(importId, requested);
    const claimed = rowsOf<SessionRecord>(
      await this.dataSource.query(
        `UPDATE import_sessions SET
         status = 'confirming', claim_token = $4,
         lease_until = now() + make_interval(secs => $5::double precision / 1000),
         options = coalesce(options, $6::jsonb), confirmed_at = coalesce(confirmed_at, now()),
         batch_size = coalesce(batch_size, $8),
         expires_at = greatest(expires_at, now() + make_interval(secs => $7::double precision / 1000))
       WHERE id = $1 AND owner_id = $2 AND entity = $3
         AND ((status = 'validated' AND expires_at > now()) OR (status = 'confirming' AND lease_until < now()))
       RETURNING ${SESSION_COLUMNS}`,
        [
          importId,
          user.id,
          definition.entity,
          token,
          this.config.import.confirmLeaseMs,
          JSON.stringify(offered),
          this.config.import.sessionTtlMs,
          this.config.import.batchSize,
        ],
      ),
    );
    if (claimed.length === 0) throw await this.claimRefusal(definition, user, importId);
    const session = claimed[0];
    const options: StoredOptions = session.options ?? offered;
    return { session, token, options };
  }

  /**
   * The options a confirm would run with: a resolution that names none of its ambiguous row's candidates is
   * moved to `rejected`, and that row fails (API.md §4). Resolutions of rows that are not ambiguous are kept
   * and play no part.
   */
  private async checkResolutions(importId: string, requested: ConfirmOptions): Promise<StoredOptions> {
    const chosen = Object.entries(requested.resolutions);
    if (chosen.length === 0) return { override: requested.override, resolutions: {} };
    const refused: { row_number: string }[] = await this.dataSource.query(
      `SELECT c.row_number FROM unnest($2::text[], $3::text[]) AS c (row_number, id)
       JOIN import_rows r ON r.session_id = $1 AND r.row_number = c.row_number::int AND r.status = 'ambiguous'
       WHERE NOT EXISTS (
         SELECT 1 FROM jsonb_array_elements(coalesce(r.errors, '[]'::jsonb)) e,
                       jsonb_array_elements(coalesce(e -> 'candidates', '[]'::jsonb)) candidate
         WHERE candidate ->> 'id' = c.id)`,
      [importId, chosen.map(([row]) => row), chosen.map(([, id]) => id)],
    );
    const rejected = new Set(refused.map((r) => r.row_number));
    const options: StoredOptions = { override: requested.override, resolutions: {} };
    for (const [row, id] of chosen) {
      if (rejected.has(row)) (options.rejected ??= {})[row] = id;
      else options.resolutions[row] = id;
    }
    return options;
  }

  /**
   * Throws what a confirm of this session would answer now if it could not claim it (400, 403, 409), without
   * claiming it: for endpoints that check the rows before they confirm.
   */
  async assertConfirmable(definition: ImportDefinition, user: AuthUser, importId: string): Promise<void> {
    const session = await this.find(importId);
    const lapsed =
      session?.status === 'confirming' && session.lease_until !== null && session.lease_until < new Date();
    if (session && !session.expired && (session.status === 'validated' || lapsed)) {
      if (session.owner_id === user.id && session.entity === definition.entity) return;
    }
    throw await this.claimRefusal(definition, user, importId, session);
  }

  /** Why a session could not be claimed, in the contract's words. */
  private async claimRefusal(
    definition: ImportDefinition,
    user: AuthUser,
    importId: string,
    known?: SessionRecord,
  ): Promise<ApiException> {
    const session = known ?? (await this.find(importId));
    if (!session || session.expired) return new ApiException(HttpStatus.BAD_REQUEST, SESSION_NOT_FOUND);
    if (session.owner_id !== user.id) {
      return new ApiException(HttpStatus.FORBIDDEN, 'this import session belongs to another user');
    }
    if (session.entity !== definition.entity) {
      return new ApiException(
        HttpStatus.BAD_REQUEST,
        `import session ${importId} is a ${session.entity} import, not a ${definition.entity} import`,
      );
    }
    if (session.status === 'completed') {
      return new ApiException(HttpStatus.CONFLICT, 'this import session was already confirmed', {
        import_id: importId,
      });
    }
    return new ApiException(HttpStatus.CONFLICT, 'this import session is being confirmed', {
      import_id: importId,
    });
  }

  /** Claims and applies a session row by row (non-atomic); answers the counters and the results. */
  async confirmPerRow(
    definition: ImportDefinition,
    user: AuthUser,
    importId: string,
    requested: ConfirmOptions,
  ): Promise<ConfirmResult> {
    const { session, token, options } = await this.claim(definition, user, importId, requested);
    await this.runPerRow(definition, session, token, options);
    return this.confirmResult(session.id);
  }

  /** Claims a session and applies it in the background; progress is read with {@link get}. */
  async confirmPerRowAsync(
    definition: ImportDefinition,
    user: AuthUser,
    importId: string,
    requested: ConfirmOptions,
  ): Promise<{ import_id: string; status_url: string }> {
    const { session, token, options } = await this.claim(definition, user, importId, requested);
    const task = this.runPerRow(definition, session, token, options).catch((error: unknown) =>
      this.logger.error({ importId, err: error }, 'background confirm stopped; confirm again to resume it'),
    );
    this.background.add(task);
    void task.finally(() => this.background.delete(task));
    return { import_id: session.id, status_url: `/api/imports/${session.id}` };
  }

  private async runPerRow(
    definition: ImportDefinition,
    session: SessionRecord,
    token: string,
    options: StoredOptions,
  ): Promise<void> {
    try {
      // A confirm waiting for a connection of a pool saturated by other imports goes on where it stopped
      // (only rows without an outcome are applied) instead of stopping half-way as if the database were down.
      for (let attempt = 1; ; attempt++) {
        try {
          // A later attempt starts from the batches the session says are still to be written.
          const current = attempt === 1 ? session : ((await this.find(session.id)) ?? session);
          await this.perRow.run(definition, current, token, options);
          await this.complete(session.id, token);
          this.refreshStatistics(definition, session.id);
          break;
        } catch (error) {
          if (!isPoolBusy(error) || attempt >= POOL_BUSY_ATTEMPTS) throw error;
          this.logger.warn(
            { importId: session.id, attempt },
            'no free database connection; the confirm goes on',
          );
        }
      }
    } catch (error) {
      await this.release(session.id, token);
      if (error instanceof LeaseLostError) {
        throw new ApiException(
          HttpStatus.CONFLICT,
          'this import session is being confirmed by another request',
        );
      }
      throw error;
    }
  }

  /**
   * Claims and applies a session in one transaction (all or nothing). Throws
   * {@link TransactionRolledBackError} when a row cannot be written; nothing is written then.
   */
  async confirmTransactional(
    definition: ImportDefinition,
    user: AuthUser,
    importId: string,
    requested: ConfirmOptions,
  ): Promise<ConfirmResult> {
    const { session, token, options } = await this.claim(definition, user, importId, requested);
    try {
      await this.transactional.run(definition, session, token, options, (manager) =>
        this.complete(session.id, token, manager),
      );
      this.refreshStatistics(definition, session.id);
    } catch (error) {
      await this.release(session.id, token);
      if (error instanceof LeaseLostError) {
        throw new ApiException(
          HttpStatus.CONFLICT,
          'this import session is being confirmed by another request',
        );
      }
      throw error;
    }
    return this.confirmResult(session.id);
  }

  /** Marks a claimed session completed; it stays readable for another TTL. */
  async complete(
    sessionId: string,
    token: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    await manager.query(
      `UPDATE import_sessions SET status = 'completed', completed_at = now(), lease_until = NULL,
         expires_at = now() + make_interval(secs => $3::double precision / 1000)
       WHERE id = $1 AND claim_token = $2`,
      [sessionId, token, this.config.import.sessionTtlMs],
    );
  }

  /**
   * After a large confirm, analyses the table it wrote, in the background: the next validate's look-ups
   * against it are planned on its real size, not on what it held before.
   */
  private refreshStatistics(definition: ImportDefinition, sessionId: string): void {
    const task = (async () => {
      const session = await this.find(sessionId);
      if (!session || session.created_rows + session.updated_rows < ANALYZE_TARGET_ABOVE_ROWS) return;
      await this.limiter.run(() => this.dataSource.query(`ANALYZE ${definition.writes}`));
    })().catch((error: unknown) =>
      this.logger.warn({ err: error, table: definition.writes }, 'could not analyse the imported table'),
    );
    this.background.add(task);
    void task.finally(() => this.background.delete(task));
  }

  /** Lets a failed confirm be retried at once instead of after its lease (best effort). */
  async release(sessionId: string, token: string): Promise<void> {
    await this.dataSource
      .query(
        `UPDATE import_sessions SET lease_until = now() WHERE id = $1 AND claim_token = $2 AND status = 'confirming'`,
        [sessionId, token],
      )
      .catch(() => undefined);
  }

  async confirmResult(sessionId: string): Promise<ConfirmResult> {
    const session = await this.load(sessionId);
    const limit = this.config.import.responseRows;
    const truncated = session.total_rows > limit;
    const written = session.created_rows + session.updated_rows;
    // Above the limit, the answer lists the rows that were not written: none to look for if every row was.
    const rows =
      truncated && written === session.total_rows
        ? []
        : await this.outcomeRows(session, truncated ? { notWritten: true } : {}, 0, limit);
    return {
      created: session.created_rows,
      updated: session.updated_rows,
      skipped: session.skipped_rows,
      failed: session.failed_rows,
      results: rows.map(toResult),
      results_truncated: truncated,
    };
  }

  /** Staged rows with their outcome, in row order. */
  async outcomeRows(
    session: SessionRecord,
    filter: RowFilter,
    offset: number,
    limit: number,
  ): Promise<StoredRow[]> {
    const { where, params, derived } = this.rowFilter(session, filter);
    return this.dataSource.query(
      `SELECT r.row_number, r.status, ${dataSql(session.fields)} AS data, r.errors, r.warnings,
              ${derived.outcome} AS outcome, ${derived.targetId} AS target_id, ${derived.reason} AS reason,
              ${derived.error} AS error
       FROM ${ROWS_WITH_OUTCOMES}
       WHERE ${where}
       ORDER BY r.row_number OFFSET $${params.length + 1} LIMIT $${params.length + 2}`,
      [...params, offset, limit],
    );
  }

  /**
   * The condition on `import_rows r` (and its outcome `o`) that selects the rows of a filter, its parameters,
   * and the outcome SQL it was built with (whose parameters it includes).
   */
  private rowFilter(
    session: SessionRecord,
    filter: RowFilter,
  ): {
    where: string;
    params: unknown[];
    derived: ReturnType<typeof outcomeSql>;
    /** Null when the filter is on the rows alone: then `where` uses only these first parameters. */
    rowParams: unknown[] | null;
  } {
    const params: unknown[] = [session.id];
    const conditions = ['r.session_id = $1'];
    if (filter.status !== undefined) {
      params.push(filter.status);
      conditions.push(`r.status = $${params.length}`);
    }
    if (filter.rowNumbers !== undefined) {
      params.push(filter.rowNumbers);
      conditions.push(`r.row_number = ANY($${params.length}::int[])`);
    }
    const rowParams = [...params];
    const derived = outcomeSql(session, params.length + 1);
    params.push(...derived.params);
    if (filter.outcome !== undefined) {
      params.push(filter.outcome);
      conditions.push(`${derived.outcome} = $${params.length}`);
    }
    if (filter.notWritten) conditions.push(`coalesce(${derived.outcome}, '') NOT IN ('created', 'updated')`);
    return {
      where: conditions.join(' AND '),
      params,
      derived,
      rowParams: filter.outcome !== undefined || filter.notWritten === true ? null : rowParams,
    };
  }

  // ------------------------------------------------------------------------------------------------------- reads

  async find(importId: string): Promise<SessionRecord | undefined> {
    const rows: SessionRecord[] = await this.dataSource.query(
      `SELECT ${SESSION_COLUMNS} FROM import_sessions WHERE id = $1`,
      [importId],
    );
    return rows[0];
  }

  private async load(importId: string): Promise<SessionRecord> {
    const session = await this.find(importId);
    if (!session) throw new ApiException(HttpStatus.NOT_FOUND, 'import session not found');
    return session;
  }

  /** A session the caller may read: its owner's, or any for an admin. Anyone else gets 404. */
  async readable(user: AuthUser, importId: string): Promise<SessionRecord> {
    const session = await this.find(importId);
    if (!session || (session.owner_id !== user.id && user.role !== Role.Admin)) {
      throw new ApiException(HttpStatus.NOT_FOUND, 'import session not found');
    }
    return session;
  }

  view(session: SessionRecord): SessionView {
    const completed = session.status === 'completed';
    return {
      import_id: session.id,
      entity: session.entity,
      status: session.expired ? 'expired' : session.status,
      total_rows: session.total_rows,
      valid_rows: session.valid_rows,
      error_rows: session.error_rows,
      warning_rows: session.warning_rows,
      ambiguous_rows: session.ambiguous_rows,
      ignored_columns: session.ignored_columns,
      progress: { applied_rows: session.applied_rows, total_rows: session.total_rows },
      result: completed
        ? {
            created: session.created_rows,
            updated: session.updated_rows,
            skipped: session.skipped_rows,
            failed: session.failed_rows,
          }
        : null,
      created_at: session.created_at.toISOString(),
      expires_at: session.expires_at.toISOString(),
      confirmed_at: session.confirmed_at?.toISOString() ?? null,
      completed_at: session.completed_at?.toISOString() ?? null,
    };
  }

  async rows(
    session: SessionRecord,
    filter: { status?: string; outcome?: string; offset: number; limit: number },
  ): Promise<{ items: ImportRowView[]; total: number; offset: number; limit: number }> {
    const { where, params, rowParams } = this.rowFilter(session, filter);
    // A filter on the rows alone counts without looking up a single outcome.
    const [{ total }]: { total: number }[] = rowParams
      ? await this.dataSource.query(
          `SELECT count(*)::int AS total FROM import_rows r WHERE ${where}`,
          rowParams,
        )
      : await this.dataSource.query(
          `SELECT count(*)::int AS total FROM ${ROWS_WITH_OUTCOMES} WHERE ${where}`,
          params,
        );
    const rows = await this.outcomeRows(session, filter, filter.offset, filter.limit);
    return { items: rows.map(toRowView), total, offset: filter.offset, limit: filter.limit };
  }

  /**
   * The non-valid rows with their original cells, a page at a time (keyset), for `errors.csv`. A row staged
   * without its cells had exactly the cells its values rebuild.
   */
  async *errorRows(
    session: SessionRecord,
    pageSize = 5000,
  ): AsyncGenerator<{ raw: string[]; errors: unknown[] }> {
    const columns = session.cell_fields.map((field) => (field === null ? -1 : session.fields.indexOf(field)));
    const values = session.fields.map((_, i) => `r.v${i + 1}`).join(', ');
    let after = 0;
    for (;;) {
      const page: {
        row_number: number;
        raw: string[] | null;
        vals: (string | null)[];
        errors: unknown[] | null;
        warnings: unknown[] | null;
      }[] = await this.dataSource.query(
        `SELECT r.row_number, r.raw, ARRAY[${values || 'NULL'}]::text[] AS vals, r.errors, r.warnings
         FROM import_rows r
         WHERE r.session_id = $1 AND r.status <> 'valid' AND r.row_number > $2 ORDER BY r.row_number LIMIT $3`,
        [session.id, after, pageSize],
      );
      for (const row of page) {
        const raw = row.raw ?? columns.map((j) => (j >= 0 ? (row.vals[j] ?? '') : ''));
        yield { raw, errors: [...(row.errors ?? []), ...(row.warnings ?? [])] };
      }
      if (page.length < pageSize) return;
      after = page[page.length - 1].row_number;
    }
  }

  /** Deletes expired sessions and their rows (a confirm in progress is kept while its lease holds). */
  async purgeExpired(): Promise<number> {
    const purged = await this.deleteSessions(
      `expires_at < now() AND (status <> 'confirming' OR lease_until < now())`,
      [],
    );
    if (purged > 0) this.logger.log(`purged ${purged} expired import sessions`);
    return purged;
  }

  /** Deletes a session that will not be confirmed, with its rows. */
  async discard(importId: string): Promise<void> {
    await this.deleteSessions(`id = $1 AND status <> 'completed'`, [importId]);
  }

  /** Sessions and their staged rows, in one statement (rows carry no foreign key, to stage them faster). */
  private async deleteSessions(where: string, params: unknown[]): Promise<number> {
    const [{ n }]: { n: number }[] = await this.dataSource.query(
      `WITH gone AS (DELETE FROM import_sessions WHERE ${where} RETURNING id),
            gone_rows AS (DELETE FROM import_rows WHERE session_id IN (SELECT id FROM gone)),
            gone_outcomes AS (DELETE FROM import_row_outcomes WHERE session_id IN (SELECT id FROM gone))
       SELECT count(*)::int AS n FROM gone`,
      params,
    );
    return n;
  }
}
