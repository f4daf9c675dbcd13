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
import { ConfirmOptions, ImportContext, ImportDefinition } from './import-definition';
import { isPoolBusy, LeaseLostError } from './import-errors';
import { countRows, markDuplicates, stageRows } from './import-staging';
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

export const SESSION_NOT_FOUND = 'import session not found or expired. please re-validate the CSV file';

/**
 * How many times a confirm waits again for a free connection of its saturated pool (each wait lasts the pool's
 * connection timeout) before it gives up as if the database were down.
 */
const POOL_BUSY_ATTEMPTS = 20;

const SESSION_COLUMNS = `*, (status = 'validated' AND expires_at <= now()) AS expired`;

interface StoredRow {
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

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly scheduler: SchedulerRegistry,
  ) {
    const settings = { batchSize: config.import.batchSize, leaseMs: config.import.confirmLeaseMs };
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
    const sessionId = await this.dataSource
      .transaction(async (manager) => {
        const [{ id }]: { id: string }[] = await manager.query(
          `INSERT INTO import_sessions (owner_id, entity, status, file_name, header, ignored_columns, context, expires_at)
           VALUES ($1, $2, 'validated', $3, $4, $5, $6, now() + make_interval(secs => $7::double precision / 1000))
           RETURNING id`,
          [
            user.id,
            definition.entity,
            source.fileName ?? null,
            JSON.stringify(document.header.cells),
            JSON.stringify(mapping.ignored),
            JSON.stringify(context),
            this.config.import.sessionTtlMs,
          ],
        );
        const { staged, dropped } = await stageRows(
          manager,
          id,
          definition,
          document,
          mapping,
          context,
          this.config.import,
        );
        // The statements below join the rows just staged; without fresh statistics the planner takes a large
        // uncommitted session for a few rows and picks nested loops that are quadratic in the file.
        if (staged >= ANALYZE_ABOVE_ROWS) await manager.query('ANALYZE import_rows');
        if (dropped.length > 0) {
          await manager.query(`UPDATE import_sessions SET dropped_rows = $2 WHERE id = $1`, [
            id,
            JSON.stringify(dropped),
          ]);
        }
        await markDuplicates(manager, id, definition.keyField);
        await definition.analyse(manager, id, context);
        await countRows(manager, id);
        return id;
      })
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
    const rows: StoredRow[] = await this.dataSource.query(
      `SELECT row_number, status, data, errors, warnings FROM import_rows
       WHERE session_id = $1 ${truncated ? `AND status <> 'valid'` : ''}
       ORDER BY row_number LIMIT $2`,
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
  ): Promise<{ session: SessionRecord; token: string; options: ConfirmOptions }> {
    const token = randomUUID();
    const claimed = rowsOf<SessionRecord>(
      await this.dataSource.query(
        `UPDATE import_sessions SET
         status = 'confirming', claim_token = $4,
         lease_until = now() + make_interval(secs => $5::double precision / 1000),
         options = coalesce(options, $6::jsonb), confirmed_at = coalesce(confirmed_at, now()),
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
          JSON.stringify(requested),
          this.config.import.sessionTtlMs,
        ],
      ),
    );
    if (claimed.length === 0) throw await this.claimRefusal(definition, user, importId);
    const session = claimed[0];
    const options: ConfirmOptions = session.options ?? requested;
    return { session, token, options };
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
    options: ConfirmOptions,
  ): Promise<void> {
    try {
      // A confirm waiting for a connection of a pool saturated by other imports goes on where it stopped
      // (only rows without an outcome are applied) instead of stopping half-way as if the database were down.
      for (let attempt = 1; ; attempt++) {
        try {
          await this.perRow.run(definition, session, token, options);
          await this.complete(session.id, token);
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
    const rows: StoredRow[] = await this.dataSource.query(
      `SELECT row_number, outcome, target_id, reason, error FROM import_rows
       WHERE session_id = $1 ${truncated ? `AND outcome NOT IN ('created', 'updated')` : ''}
       ORDER BY row_number LIMIT $2`,
      [sessionId, limit],
    );
    return {
      created: session.created_rows,
      updated: session.updated_rows,
      skipped: session.skipped_rows,
      failed: session.failed_rows,
      results: rows.map(toResult),
      results_truncated: truncated,
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
    sessionId: string,
    filter: { status?: string; outcome?: string; offset: number; limit: number },
  ): Promise<{ items: ImportRowView[]; total: number; offset: number; limit: number }> {
    const where = `session_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR outcome = $3)`;
    const params = [sessionId, filter.status ?? null, filter.outcome ?? null];
    const [{ total }]: { total: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS total FROM import_rows WHERE ${where}`,
      params,
    );
    const rows: StoredRow[] = await this.dataSource.query(
      `SELECT row_number, status, data, errors, warnings, outcome, target_id, reason, error FROM import_rows
       WHERE ${where} ORDER BY row_number OFFSET $4 LIMIT $5`,
      [...params, filter.offset, filter.limit],
    );
    return { items: rows.map(toRowView), total, offset: filter.offset, limit: filter.limit };
  }

  /** The non-valid rows with their original cells, a page at a time (keyset), for `errors.csv`. */
  async *errorRows(sessionId: string, pageSize = 5000): AsyncGenerator<{ raw: string[]; errors: unknown[] }> {
    let after = 0;
    for (;;) {
      const page: {
        row_number: number;
        raw: string[];
        errors: unknown[] | null;
        warnings: unknown[] | null;
      }[] = await this.dataSource.query(
        `SELECT row_number, raw, errors, warnings FROM import_rows
           WHERE session_id = $1 AND status <> 'valid' AND row_number > $2 ORDER BY row_number LIMIT $3`,
        [sessionId, after, pageSize],
      );
      for (const row of page)
        yield { raw: row.raw, errors: [...(row.errors ?? []), ...(row.warnings ?? [])] };
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
            gone_rows AS (DELETE FROM import_rows WHERE session_id IN (SELECT id FROM gone))
       SELECT count(*)::int AS n FROM gone`,
      params,
    );
    return n;
  }
}
