import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuthUser, Role } from '../auth/permissions';
import { APP_CONFIG, AppConfig } from '../config/config';
import { preparedRunner } from '../database/prepared-statements';
import { query, Queryable, Sql, sql } from '../database/sql';
import { ImportDefinition } from './import-definition';
import {
  ALL_ROWS_WITH_OUTCOMES,
  dataSql,
  outcomeSql,
  OutcomeSql,
  ROWS_WITH_OUTCOMES,
} from './import-outcomes';
import { ImportSessionRepository } from './import-session.repository';
import { ANALYZE_ABOVE_ROWS } from './import-stager';
import { ImportException, ImportExceptionCode } from './import.exception';
import {
  ConfirmResult,
  ConfirmRowResult,
  ImportRowView,
  SessionRecord,
  SessionView,
  ValidateResult,
} from './import-session.types';

/** Which staged rows a read wants: by status, outcome (`notWritten`: neither created nor updated) or number. */
export interface RowFilter {
  status?: string;
  outcome?: string;
  notWritten?: boolean;
  /** Leave out the rows skipped as unchanged (with `notWritten`: the rows that were not imported). */
  changedOnly?: boolean;
  /** `warning` rows an update would change (true) or not (false). */
  changed?: boolean;
  rowNumbers?: number[];
}

/** A staged row as read, with its outcome. */
export interface StoredRow {
  row_number: number;
  status: ImportRowView['status'];
  data: Record<string, unknown>;
  errors: ImportRowView['errors'] | null;
  warnings: ImportRowView['warnings'] | null;
  changes?: ImportRowView['changes'] | null;
  outcome: ImportRowView['outcome'] | null;
  target_id: string | null;
  reason: string | null;
  error: string | null;
}

/** One problem of an `error` row: its field and message. */
export interface RowProblem {
  row_number: number;
  field: string;
  message: string;
}

export function toRowView(row: StoredRow): ImportRowView {
  const view: ImportRowView = { row_number: row.row_number, status: row.status, data: row.data };
  if (row.errors) view.errors = row.errors;
  if (row.warnings) view.warnings = row.warnings;
  if (row.changes) view.changes = row.changes;
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

const sessionNotFound = () =>
  new ImportException(ImportExceptionCode.SESSION_NOT_FOUND, 'import session not found');

/**
 * The reads of a session: its staged rows with their outcomes (by status, outcome or number, paged), the rows
 * of `errors.csv`, and the answer shapes built from them (validate, confirm, `GET /api/imports/{id}`).
 * Every query on `import_rows` outside staging and confirm batches is here.
 */
@Injectable()
export class ImportReadsService {
  private readonly prepared: Queryable;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly store: ImportSessionRepository,
  ) {
    this.prepared = preparedRunner(dataSource);
  }

  /** Where the rows of `session` are read: prepared statements for a small session (see `prepareStatements`). */
  private runnerFor(session: SessionRecord): Queryable {
    return session.total_rows < ANALYZE_ABOVE_ROWS ? this.prepared : this.dataSource;
  }

  /** The `data` of a validate answer. */
  /** The answer of a validate, of a session read now or as its staging just wrote it. */
  async validateResult(
    definition: ImportDefinition,
    staged: string | SessionRecord,
  ): Promise<ValidateResult> {
    const session = typeof staged === 'string' ? await this.load(staged) : staged;
    const sessionId = session.id;
    const limit = this.config.import.responseRows;
    const truncated = session.total_rows > limit;
    const rows: StoredRow[] =
      truncated && session.valid_rows === session.total_rows
        ? []
        : await query(
            this.runnerFor(session),
            sql`SELECT r.row_number, r.status, ${dataSql(session.fields)} AS data, r.errors, r.warnings, r.changes
                FROM import_rows r
                WHERE r.session_id = ${sessionId} ${truncated ? sql`AND r.status <> 'valid'` : sql``}
                ORDER BY r.row_number LIMIT ${limit}`,
          );
    const result: ValidateResult = {
      import_id: session.id,
      total_rows: session.total_rows,
      valid_rows: session.valid_rows,
      error_rows: session.error_rows,
      warning_rows: session.warning_rows,
      unchanged_rows: session.unchanged_rows,
      ambiguous_rows: session.ambiguous_rows,
      ignored_columns: session.ignored_columns,
      rows: rows.map(toRowView),
      rows_truncated: truncated,
    };
    if (definition.minCells !== undefined) result.skipped_rows = session.dropped_rows;
    return result;
  }

  /** The `data` of a confirm answer. */
  /** The answer of a confirm, of a session read now or as its completion just wrote it. */
  async confirmResult(confirmed: string | SessionRecord): Promise<ConfirmResult> {
    const session = typeof confirmed === 'string' ? await this.load(confirmed) : confirmed;
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

  /** `GET /api/imports/{id}`. */
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
      unchanged_rows: session.unchanged_rows,
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

  /** A session the caller may read: its owner's, or any for an admin. Anyone else gets 404. */
  async readable(user: AuthUser, importId: string): Promise<SessionRecord> {
    const session = await this.store.find(importId);
    if (!session || (session.owner_id !== user.id && user.role !== Role.Admin)) {
      throw sessionNotFound();
    }
    return session;
  }

  /** `GET /api/imports/{id}/rows`: a page of rows with their outcomes, and how many match the filter. */
  async rows(
    session: SessionRecord,
    filter: { status?: string; outcome?: string; changed?: boolean; offset: number; limit: number },
  ): Promise<{ items: ImportRowView[]; total: number; offset: number; limit: number }> {
    const { where, onRowsAlone } = this.rowFilter(session, filter);
    // A filter on the rows alone counts without looking up a single outcome.
    const [{ total }] = await query<{ total: number }[]>(
      this.dataSource,
      sql`SELECT count(*)::int AS total FROM ${onRowsAlone ? sql`import_rows r` : ROWS_WITH_OUTCOMES} WHERE ${where}`,
    );
    const rows = await this.outcomeRows(session, filter, filter.offset, filter.limit);
    return { items: rows.map(toRowView), total, offset: filter.offset, limit: filter.limit };
  }

  /** Staged rows with their outcome, in row order. */
  async outcomeRows(
    session: SessionRecord,
    filter: RowFilter,
    offset: number,
    limit: number,
  ): Promise<StoredRow[]> {
    const { where, derived } = this.rowFilter(session, filter);
    return query(
      this.runnerFor(session),
      sql`SELECT r.row_number, r.status, ${dataSql(session.fields)} AS data, r.errors, r.warnings, r.changes,
                 ${derived.outcome} AS outcome, ${derived.targetId} AS target_id, ${derived.reason} AS reason,
                 ${derived.error} AS error
          FROM ${ROWS_WITH_OUTCOMES}
          WHERE ${where}
          ORDER BY r.row_number OFFSET ${offset} LIMIT ${limit}`,
    );
  }

  /** How many rows of a completed confirm were skipped because their record already held their values. */
  async unchangedCount(session: SessionRecord): Promise<number> {
    const derived = outcomeSql(session);
    const [{ n }] = await query<{ n: number }[]>(
      this.dataSource,
      sql`SELECT count(*)::int AS n FROM ${ALL_ROWS_WITH_OUTCOMES}
          WHERE r.session_id = ${session.id} AND r.match_id IS NOT NULL AND ${derived.reason} = 'unchanged'`,
    );
    return n;
  }

  /**
   * The problems of a session's `error` rows, in row order, at most `limit`, and how many rows have any: what
   * an all-or-nothing import refuses a file with.
   */
  async rowProblems(
    importId: string,
    limit: number,
    runner: DataSource | EntityManager = this.dataSource,
  ): Promise<{ problems: RowProblem[]; rows: number }> {
    const problems: RowProblem[] = await runner.query(
      `SELECT r.row_number, e ->> 'field' AS field, e ->> 'message' AS message
       FROM import_rows r, jsonb_array_elements(r.errors) e
       WHERE r.session_id = $1 AND r.status = 'error'
       ORDER BY r.row_number LIMIT $2`,
      [importId, limit],
    );
    if (problems.length === 0) return { problems, rows: 0 };
    const [{ rows }]: { rows: number }[] = await runner.query(
      `SELECT count(*)::int AS rows FROM import_rows WHERE session_id = $1 AND status = 'error'`,
      [importId],
    );
    return { problems, rows };
  }

  /**
   * Of the chosen candidates (row number → id), the rows whose choice is not among their `ambiguous` row's
   * candidates.
   */
  async refusedResolutions(importId: string, chosen: [string, string][]): Promise<Set<string>> {
    const refused: { row_number: string }[] = await this.dataSource.query(
      `SELECT c.row_number FROM unnest($2::text[], $3::text[]) AS c (row_number, id)
       JOIN import_rows r ON r.session_id = $1 AND r.row_number = c.row_number::int AND r.status = 'ambiguous'
       WHERE NOT EXISTS (
         SELECT 1 FROM jsonb_array_elements(coalesce(r.errors, '[]'::jsonb)) e,
                       jsonb_array_elements(coalesce(e -> 'candidates', '[]'::jsonb)) candidate
         WHERE candidate ->> 'id' = c.id)`,
      [importId, chosen.map(([row]) => row), chosen.map(([, id]) => id)],
    );
    return new Set(refused.map((r) => r.row_number));
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

  private async load(importId: string): Promise<SessionRecord> {
    const session = await this.store.find(importId);
    if (!session) throw sessionNotFound();
    return session;
  }

  /**
   * The condition on `import_rows r` (and its outcome `o`) that selects the rows of a filter, and the outcome
   * SQL it was built with.
   */
  private rowFilter(
    session: SessionRecord,
    filter: RowFilter,
  ): {
    where: Sql;
    derived: OutcomeSql;
    /** Whether `where` is on the rows alone (it needs no outcome). */
    onRowsAlone: boolean;
  } {
    const conditions = [sql`r.session_id = ${session.id}`];
    if (filter.status !== undefined) conditions.push(sql`r.status = ${filter.status}`);
    if (filter.rowNumbers !== undefined)
      conditions.push(sql`r.row_number = ANY(${filter.rowNumbers}::int[])`);
    const derived = outcomeSql(session);
    if (filter.outcome !== undefined) conditions.push(sql`${derived.outcome} = ${filter.outcome}`);
    if (filter.changed !== undefined) {
      conditions.push(
        filter.changed
          ? sql`r.status = 'warning' AND r.changes IS NOT NULL`
          : sql`r.status = 'warning' AND r.changes IS NULL`,
      );
    }
    if (filter.notWritten)
      conditions.push(sql`coalesce(${derived.outcome}, '') NOT IN ('created', 'updated')`);
    if (filter.changedOnly) conditions.push(sql`${derived.reason} IS DISTINCT FROM 'unchanged'`);
    return {
      where: sql.join(conditions, ' AND '),
      derived,
      onRowsAlone: filter.outcome === undefined && filter.notWritten !== true && filter.changedOnly !== true,
    };
  }
}
