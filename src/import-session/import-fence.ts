import { EntityManager } from 'typeorm';
import { query, rowsOf, Sql, sql } from '../database/sql';
import { ApplyScope, scopeRows } from './import-definition';
import { LeaseLostError } from './import-errors';
import { outcomeSql, ROWS_WITH_OUTCOMES } from './import-outcomes';
import { SessionRecord } from './import-session.types';

/*
 * The claim of a confirm, as its transactions see it: checked early, and renewed (or completed) by the fence
 * at the end of every batch, which also adds the batch's outcomes to its session.
 */

/** The outcomes of a batch, added to its session's counters. */
export interface BatchCounts {
  total: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
}

/** Stops a confirm that lost its claim early; the fence at the end of every batch is what guarantees it. */
export async function assertClaim(
  manager: EntityManager,
  session: SessionRecord,
  token: string,
): Promise<void> {
  const held: unknown[] = await manager.query(
    `SELECT 1 FROM import_sessions WHERE id = $1 AND claim_token = $2`,
    [session.id, token],
  );
  if (held.length === 0) throw new LeaseLostError();
}

/**
 * Renews the confirm's claim and adds the batch to its session, at the end of the batch's transaction: a
 * confirm whose lease lapsed and was taken over finds another token, and its whole batch is rolled back, so
 * no row is ever applied twice. The session row stays locked only for the commit that follows. With
 * `completeTtlMs`, the session is completed by the same statement (it stays readable that long); answers
 * the session as it is now.
 */
export async function fence(
  manager: EntityManager,
  session: SessionRecord,
  token: string,
  leaseMs: number,
  batch: number | null,
  counts: BatchCounts,
  completeTtlMs: number | null = null,
): Promise<SessionRecord> {
  const renewed = rowsOf<SessionRecord>(
    await manager.query(
      `UPDATE import_sessions SET
         lease_until = CASE WHEN $10::double precision IS NULL
           THEN now() + make_interval(secs => $3::double precision / 1000) END,
         applied_batches = CASE WHEN $4::int IS NULL THEN applied_batches ELSE applied_batches || $4::int END,
         applied_rows = applied_rows + $5, created_rows = created_rows + $6, updated_rows = updated_rows + $7,
         skipped_rows = skipped_rows + $8, failed_rows = failed_rows + $9,
         status = CASE WHEN $10::double precision IS NULL THEN status ELSE 'completed' END,
         completed_at = CASE WHEN $10::double precision IS NULL THEN completed_at ELSE now() END,
         expires_at = CASE WHEN $10::double precision IS NULL THEN expires_at
           ELSE now() + make_interval(secs => $10::double precision / 1000) END
       WHERE id = $1 AND claim_token = $2 AND ($4::int IS NULL OR NOT ($4::int = ANY(applied_batches)))
       RETURNING *, false AS expired`,
      [
        session.id,
        token,
        leaseMs,
        batch,
        counts.total,
        counts.created,
        counts.updated,
        counts.skipped,
        counts.failed,
        completeTtlMs,
      ],
    ),
  );
  if (renewed.length === 0) throw new LeaseLostError();
  return renewed[0];
}

/** What {@link fenceCounting} does besides renewing the claim, and over which rows. */
export interface FenceOptions {
  leaseMs: number;
  /** The batch to add to the session's applied batches (none for a session applied in one transaction). */
  batch: number | null;
  /** Completes the session, readable this long after. */
  completeTtlMs: number | null;
  /** The rows with their outcomes: a whole session's are read with {@link ALL_ROWS_WITH_OUTCOMES}. */
  rows?: Sql;
  /** The first row whose created ids are kept here (the scope's first by default). */
  createdFrom?: number;
}

/**
 * {@link fence} with the scope's outcomes counted, and the ids its rows created kept (what
 * {@link recordCreated} does), in the same statement: one round trip instead of three. Answers the session
 * as it is now and the scope's counts, to be checked against what was written.
 */
export async function fenceCounting(
  manager: EntityManager,
  session: SessionRecord,
  token: string,
  scope: ApplyScope,
  options: FenceOptions,
): Promise<{ fenced: SessionRecord; counts: BatchCounts }> {
  const { leaseMs, batch, completeTtlMs, rows = ROWS_WITH_OUTCOMES, createdFrom = scope.from } = options;
  const derived = outcomeSql({ ...session, status: 'completed', options: scope.options });
  const completing = sql`${sql.value(completeTtlMs)}::double precision`;
  const applied = sql`${sql.value(batch)}::int`;
  const [row] = rowsOf<SessionRecord & { counts: BatchCounts }>(
    await query(
      manager,
      sql`WITH x AS (
            SELECT r.row_number, ${derived.targetId} AS id, ${derived.outcome} AS outcome
            FROM ${rows} WHERE ${scopeRows(scope)}
          ), created AS (
            INSERT INTO import_created (import_id, first_row, ids, row_numbers)
            SELECT ${scope.session}, ${createdFrom}::int, array_agg(x.id ORDER BY x.row_number),
                   array_agg(x.row_number ORDER BY x.row_number)
            FROM x WHERE x.outcome = 'created' AND x.row_number >= ${createdFrom}::int
            HAVING count(*) > 0
            ON CONFLICT (import_id, first_row) DO NOTHING
          ), c AS (
            SELECT count(*)::int AS total,
                   count(*) FILTER (WHERE outcome = 'created')::int AS created,
                   count(*) FILTER (WHERE outcome = 'updated')::int AS updated,
                   count(*) FILTER (WHERE outcome = 'skipped')::int AS skipped,
                   count(*) FILTER (WHERE outcome = 'failed')::int AS failed
            FROM x
          )
          UPDATE import_sessions s SET
            lease_until = CASE WHEN ${completing} IS NULL
              THEN now() + make_interval(secs => ${leaseMs}::double precision / 1000) END,
            applied_batches = CASE WHEN ${applied} IS NULL THEN s.applied_batches ELSE s.applied_batches || ${applied} END,
            applied_rows = s.applied_rows + c.total, created_rows = s.created_rows + c.created,
            updated_rows = s.updated_rows + c.updated, skipped_rows = s.skipped_rows + c.skipped,
            failed_rows = s.failed_rows + c.failed,
            status = CASE WHEN ${completing} IS NULL THEN s.status ELSE 'completed' END,
            completed_at = CASE WHEN ${completing} IS NULL THEN s.completed_at ELSE now() END,
            expires_at = CASE WHEN ${completing} IS NULL THEN s.expires_at
              ELSE now() + make_interval(secs => ${completing} / 1000) END
          FROM c
          WHERE s.id = ${scope.session} AND s.claim_token = ${token}::uuid
            AND (${applied} IS NULL OR NOT (${applied} = ANY(s.applied_batches)))
          RETURNING s.*, false AS expired, to_jsonb(c) AS counts`,
    ),
  );
  if (!row) throw new LeaseLostError();
  const { counts, ...fenced } = row;
  return { fenced, counts };
}
