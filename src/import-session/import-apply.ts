import { Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { prepareStatements } from '../database/prepared-statements';
import { query, rowsOf, sql } from '../database/sql';
import { ApplyScope, ImportDefinition, scopeRows } from './import-definition';
import { isFatalForConfirm, rowFailureMessage, UnwrittenRowsError } from './import-errors';
import { outcomeSql, rejectedResolution, ROWS_WITH_OUTCOMES, StoredOptions } from './import-outcomes';
import { SessionRecord } from './import-session.types';
import { ImportWorkLimiter } from './import-work-limiter';
import { applyWithLineage } from './import-lineage';
import { assertClaim, BatchCounts, fenceCounting } from './import-fence';
import { ANALYZE_ABOVE_ROWS } from './import-stager';

export interface ApplySettings {
  batchSize: number;
  leaseMs: number;
  /** How long a completed session stays readable. */
  sessionTtlMs: number;
  /** Batches a per-row confirm writes at the same time, each in its own transaction. */
  workers: number;
  /** Every transaction of a confirm runs under it. */
  limiter: ImportWorkLimiter;
}

/** The first row number of batch `k` (rows are numbered from 2, the header being row 1). */
const batchStart = (k: number, size: number) => 2 + k * size;

/**
 * A confirm of a session too small to have been analysed runs its statements prepared (see
 * {@link prepareStatements}); a larger one plans each statement for its batch.
 */
export function prepareIfSmall(manager: EntityManager, session: SessionRecord): void {
  if (session.last_row - 1 < ANALYZE_ABOVE_ROWS) prepareStatements(manager);
}

/** The batches of a session that its confirm has not written yet. */
export function pendingBatches(session: SessionRecord, size: number): number[] {
  const count = session.last_row < 2 ? 0 : Math.floor((session.last_row - 2) / size) + 1;
  const done = new Set(session.applied_batches);
  return Array.from({ length: count }, (_, k) => k).filter((k) => !done.has(k));
}

/** Fails the batch unless the records written are the ones its outcomes report as written. */
export function checkWritten(written: number, counts: Pick<BatchCounts, 'created' | 'updated'>): void {
  const reported = counts.created + counts.updated;
  if (written !== reported) throw new UnwrittenRowsError(written, reported);
}

/**
 * Records the rows whose resolution names none of their candidates as failed (API.md §4): the options moved
 * them to `rejected` at the claim.
 */
export async function rejectResolutions(
  manager: EntityManager,
  scope: ApplyScope,
  rejected: Record<string, string>,
): Promise<void> {
  const rows = Object.entries(rejected)
    .map(([row, id]) => ({ row: Number(row), id }))
    .filter(({ row }) => row >= scope.from && row < scope.to);
  if (rows.length === 0) return;
  await manager.query(
    `INSERT INTO import_row_outcomes (session_id, row_number, outcome, error)
     SELECT $1, r.row_number, 'failed', e.error
     FROM unnest($2::int[], $3::text[]) AS e (row_number, error)
     JOIN import_rows r ON r.session_id = $1 AND r.row_number = e.row_number`,
    [scope.sessionId, rows.map((r) => r.row), rows.map((r) => rejectedResolution(r.id))],
  );
}

/** The outcomes of the scope's rows, counted with the rules every read of the session uses. */
export async function countBatch(
  manager: EntityManager,
  session: SessionRecord,
  scope: ApplyScope,
  rows = ROWS_WITH_OUTCOMES,
): Promise<BatchCounts> {
  const derived = outcomeSql({ ...session, status: 'completed', options: scope.options });
  const [counts] = rowsOf<BatchCounts>(
    await query(
      manager,
      sql`SELECT count(*)::int AS total,
                 count(*) FILTER (WHERE outcome = 'created')::int AS created,
                 count(*) FILTER (WHERE outcome = 'updated')::int AS updated,
                 count(*) FILTER (WHERE outcome = 'skipped')::int AS skipped,
                 count(*) FILTER (WHERE outcome = 'failed')::int AS failed
          FROM (SELECT ${derived.outcome} AS outcome FROM ${rows} WHERE ${scopeRows(scope)}) x`,
    ),
  );
  return counts;
}

/**
 * Applies the scope's rows one at a time, each under a savepoint: a row that cannot be written is rolled
 * back alone and recorded as `failed` with a readable reason; the others are written.
 */
export async function applyOneByOne(
  manager: EntityManager,
  definition: ImportDefinition,
  session: SessionRecord,
  scope: ApplyScope,
): Promise<number> {
  let written = 0;
  const rows = await query<{ row_number: number }[]>(
    manager,
    sql`SELECT r.row_number FROM ${ROWS_WITH_OUTCOMES}
        WHERE ${scopeRows(scope)} AND r.status <> 'error' AND o.outcome IS NULL
        ORDER BY r.row_number`,
  );
  for (const { row_number: row } of rows) {
    await manager.query('SAVEPOINT import_row');
    try {
      const one = { ...scope, from: row, to: row + 1, retry: true };
      const wrote = await applyWithLineage(manager, definition, one);
      checkWritten(wrote, await countBatch(manager, session, one));
      await manager.query('RELEASE SAVEPOINT import_row');
      written += wrote;
    } catch (error) {
      if (isFatalForConfirm(error)) throw error;
      await manager.query('ROLLBACK TO SAVEPOINT import_row');
      await manager.query(
        `INSERT INTO import_row_outcomes (session_id, row_number, outcome, error) VALUES ($1, $2, 'failed', $3)`,
        [scope.sessionId, row, rowFailureMessage(error)],
      );
    }
  }
  return written;
}

/**
 * Plans a batch's look-ups of records by id as what they are: a few thousand primary key look-ups in pages
 * that are in memory. With the default cost of a random page read (4, for spinning disks), a batch of a
 * session of a few hundred thousand rows was planned as a scan of the whole written table, two per batch:
 * an identical re-import of 300,000 customers took 6 s to confirm instead of 1.5 s.
 */
export const LOOKUP_COSTS = 'SET LOCAL random_page_cost = 1.1';

/**
 * A batch of the per-row strategy commits without waiting for its WAL flush. A database crash can then lose
 * the last batches, but each one whole (its rows and its place in the session together), so a later confirm
 * applies them again; the session's completion is a normal commit, which flushes everything before the
 * answer. One round trip with {@link LOOKUP_COSTS}.
 */
const relaxCommit = (manager: EntityManager) =>
  manager.query(`SET LOCAL synchronous_commit = off; ${LOOKUP_COSTS}`);

export function scopeOf(
  session: SessionRecord,
  options: StoredOptions,
  from: number,
  to: number,
): ApplyScope {
  return {
    sessionId: session.id,
    from,
    to,
    options: { override: options.override, resolutions: options.resolutions },
    context: session.context,
    present: new Set(session.cell_fields.filter((field): field is string => field !== null)),
    retry: false,
    creates: session.valid_rows > 0 || Object.keys(options.resolutions).length > 0,
    session: sql`${sql.value(session.id)}::uuid`,
    resolutions: sql`${sql.value(JSON.stringify(options.resolutions))}::jsonb`,
  };
}

/**
 * The per-row (non-atomic) strategy: rows are applied a batch of row numbers at a time, each batch in its
 * own transaction with set-based SQL, together with its place in the session and its counters. Several
 * batches are written at once (`workers`), on connections of their own. When a batch fails, it is applied
 * again one row at a time under savepoints, so that only the rows that cannot be written are `failed` and
 * every other row is written. A confirm that dies leaves each batch either applied whole or untouched, so a
 * later confirm finishes the rest and applies none twice.
 */
export class PerRowApplier {
  private readonly logger = new Logger('ImportConfirm');

  constructor(
    private readonly dataSource: DataSource,
    private readonly settings: ApplySettings,
  ) {}

  /**
   * Applies the batches not yet written. `justClaimed`: the session was claimed right before, so the batches
   * that start within half a lease of now need not check the claim first (the fence still does). A session
   * with one batch left is completed by that batch's transaction: answers it then.
   */
  async run(
    definition: ImportDefinition,
    session: SessionRecord,
    token: string,
    options: StoredOptions,
    justClaimed = false,
  ): Promise<SessionRecord | undefined> {
    const checkClaimFrom = justClaimed ? Date.now() + this.settings.leaseMs / 2 : 0;
    const size = session.batch_size ?? this.settings.batchSize;
    const pending = pendingBatches(session, size);
    const completes = pending.length === 1;
    let completed: SessionRecord | undefined;
    let next = 0;
    let stopped: Error | undefined;
    const worker = async () => {
      while (stopped === undefined && next < pending.length) {
        const batch = pending[next++];
        const from = batchStart(batch, size);
        try {
          const check = Date.now() >= checkClaimFrom;
          const to = from + size;
          completed = await this.applyBatch(definition, session, token, options, batch, from, to, {
            checkClaim: check,
            completes,
          });
        } catch (error) {
          stopped ??= error instanceof Error ? error : new Error(String(error));
        }
      }
    };
    const workers = Math.max(1, Math.min(this.settings.workers, pending.length));
    await Promise.all(Array.from({ length: workers }, worker));
    if (stopped !== undefined) throw stopped;
    return completed;
  }

  /**
   * Writes the one batch left of a session that was just claimed in `manager`'s transaction, in that
   * transaction, set-based, and completes the session; answers it. Answers nothing, and writes nothing, when
   * more or fewer than one batch is left. A row that cannot be written throws, and nothing is written: the
   * caller then confirms the way {@link run} does, which names the rows.
   */
  async writeOnlyBatch(
    manager: EntityManager,
    definition: ImportDefinition,
    session: SessionRecord,
    token: string,
    options: StoredOptions,
  ): Promise<SessionRecord | undefined> {
    const size = session.batch_size ?? this.settings.batchSize;
    const pending = pendingBatches(session, size);
    if (pending.length !== 1) return undefined;
    const from = batchStart(pending[0], size);
    const scope = scopeOf(session, options, from, from + size);
    const flags = { checkClaim: false, completes: true, oneByOne: false };
    return this.writeBatch(manager, definition, session, token, options, pending[0], scope, flags);
  }

  private async applyBatch(
    definition: ImportDefinition,
    session: SessionRecord,
    token: string,
    options: StoredOptions,
    batch: number,
    from: number,
    to: number,
    { checkClaim, completes }: { checkClaim: boolean; completes: boolean },
  ): Promise<SessionRecord | undefined> {
    const scope = scopeOf(session, options, from, to);
    const write = (oneByOne: boolean) =>
      this.settings.limiter.run(() =>
        this.dataSource.transaction((manager) =>
          this.writeBatch(manager, definition, session, token, options, batch, scope, {
            checkClaim,
            completes,
            oneByOne,
          }),
        ),
      );
    try {
      return await write(false);
    } catch (error) {
      if (isFatalForConfirm(error)) throw error;
      this.logger.warn(
        { importId: session.id, batch, err: String(error) },
        'batch failed, applying its rows one by one',
      );
      return write(true);
    }
  }

  /** A batch's work in its transaction; answers the session when the batch completed it. */
  private async writeBatch(
    manager: EntityManager,
    definition: ImportDefinition,
    session: SessionRecord,
    token: string,
    options: StoredOptions,
    batch: number,
    scope: ApplyScope,
    { checkClaim, completes, oneByOne }: { checkClaim: boolean; completes: boolean; oneByOne: boolean },
  ): Promise<SessionRecord | undefined> {
    prepareIfSmall(manager, session);
    // The batch that completes the session commits durably: its answer says the import is done.
    if (!completes) await relaxCommit(manager);
    if (checkClaim) await assertClaim(manager, session, token);
    await rejectResolutions(manager, scope, options.rejected ?? {});
    const written = oneByOne
      ? await applyOneByOne(manager, definition, session, scope)
      : await applyWithLineage(manager, definition, scope);
    const { leaseMs, sessionTtlMs } = this.settings;
    const { fenced, counts } = await fenceCounting(manager, session, token, scope, {
      leaseMs,
      batch,
      completeTtlMs: completes ? sessionTtlMs : null,
    });
    checkWritten(written, counts);
    return completes ? fenced : undefined;
  }
}
