import { DataSource, EntityManager } from 'typeorm';
import {
  ApplySettings,
  applyOneByOne,
  checkWritten,
  countBatch,
  LOOKUP_COSTS,
  prepareIfSmall,
  rejectResolutions,
  scopeOf,
} from './import-apply';
import { ApplyScope, ImportDefinition } from './import-definition';
import { isFatalForConfirm } from './import-errors';
import { assertClaim, BatchCounts, fence, fenceCounting } from './import-fence';
import { ALL_ROWS_WITH_OUTCOMES, StoredOptions } from './import-outcomes';
import { SessionRecord } from './import-session.types';
import { applyWithLineage, recordCreated } from './import-lineage';

/** A row an all-or-nothing confirm could not write, and why. */
export interface RowFailure {
  row_number: number;
  error: string;
}

/** Rows of an import applied whole were recorded as failed (a resolution that names none of its candidates). */
class RowsFailedError extends Error {
  constructor(failed: number) {
    super(`${failed} rows failed`);
  }
}

/** Rolls the all-or-nothing transaction back; {@link TransactionalApplier.run} answers its failures. */
class RolledBack extends Error {
  constructor(readonly failures: RowFailure[]) {
    super('the import was rolled back');
  }
}

/** The rows that could not be written, when `error` rolled an all-or-nothing transaction back for them. */
export const rolledBackFailures = (error: unknown): RowFailure[] | undefined =>
  error instanceof RolledBack ? error.failures : undefined;

/**
 * The transactional (all or nothing) strategy: every row is applied in ONE transaction, still a batch at a
 * time with set-based SQL, together with the counters and the session's completion. Any failure rolls all
 * of it back; a confirm that dies leaves nothing written, and a later confirm starts the session again.
 * A row that cannot be written rolls everything back too: `run` then answers the rows that could not be
 * written (it answers none when everything was written).
 */
export class TransactionalApplier {
  constructor(
    private readonly dataSource: DataSource,
    private readonly settings: ApplySettings,
  ) {}

  /**
   * Applies and completes a claimed session in its own transaction: answers the completed session, or the
   * rows that could not be written (nothing was written then).
   */
  async run(
    definition: ImportDefinition,
    session: SessionRecord,
    token: string,
    options: StoredOptions,
  ): Promise<{ completed?: SessionRecord; failures: RowFailure[] }> {
    try {
      const completed = await this.settings.limiter.run(() =>
        this.dataSource.transaction(async (manager) => {
          prepareIfSmall(manager, session);
          await assertClaim(manager, session, token);
          return this.applyIn(manager, definition, session, token, options);
        }),
      );
      return { completed, failures: [] };
    } catch (error) {
      if (error instanceof RolledBack) return { failures: error.failures };
      throw error;
    }
  }

  /**
   * The session's batches in row order, each with the rejected resolutions of its rows recorded first. A
   * file of more than one batch plans its look-ups by primary key ({@link LOOKUP_COSTS}); a file of one batch
   * looks its records up once and goes without that round trip.
   */
  private async *batches(
    manager: EntityManager,
    session: SessionRecord,
    options: StoredOptions,
  ): AsyncGenerator<ApplyScope> {
    const size = this.settings.batchSize;
    if (session.last_row >= 2 + size) await manager.query(LOOKUP_COSTS);
    for (let from = 2; from <= session.last_row; from += size) {
      const scope = scopeOf(session, options, from, from + size);
      await rejectResolutions(manager, scope, options.rejected ?? {});
      yield scope;
    }
  }

  /**
   * Applies every row of a session claimed by `token` in `manager`'s transaction, set-based, without a
   * savepoint, and completes it with the counts of its rows in the same statement; answers the completed
   * session. Any row that cannot be written fails the whole transaction with its error, and names no row:
   * the caller then applies the session again with {@link applyIn}, in a new transaction, which names them.
   */
  async applyWhole(
    manager: EntityManager,
    definition: ImportDefinition,
    session: SessionRecord,
    token: string,
    options: StoredOptions,
  ): Promise<SessionRecord> {
    let written = 0;
    let lastFrom = 2;
    for await (const scope of this.batches(manager, session, options)) {
      const wrote = await applyWithLineage(manager, definition, scope);
      written += wrote;
      lastFrom = scope.from;
      // The last batch's created ids are kept by the completion. A batch that wrote nothing created nothing
      // (the total is checked below): the same file imported again skips a pass over each batch.
      if (wrote > 0 && scope.to <= session.last_row) await recordCreated(manager, scope);
    }
    // The completion counts every row of the session, and keeps the ids its last batch created.
    const { leaseMs, sessionTtlMs } = this.settings;
    const { fenced: completed, counts } = await fenceCounting(
      manager,
      session,
      token,
      scopeOf(session, options, 2, session.last_row + 1),
      {
        leaseMs,
        batch: null,
        completeTtlMs: sessionTtlMs,
        rows: ALL_ROWS_WITH_OUTCOMES,
        createdFrom: lastFrom,
      },
    );
    checkWritten(written, counts);
    if (counts.failed > 0) throw new RowsFailedError(counts.failed);
    return completed;
  }

  /**
   * Applies every row of a session claimed by `token` in `manager`'s transaction, and completes it; answers
   * the completed session. When a row cannot be written, throws {@link RolledBack} (see
   * {@link rolledBackFailures}): the caller's transaction must then be rolled back.
   */
  async applyIn(
    manager: EntityManager,
    definition: ImportDefinition,
    session: SessionRecord,
    token: string,
    options: StoredOptions,
  ): Promise<SessionRecord> {
    const size = this.settings.batchSize;
    let written = 0;
    let rowByRow = false;
    let batchCounts: BatchCounts | undefined;
    for await (const scope of this.batches(manager, session, options)) {
      // A failing batch is rolled back to its savepoint and applied row by row, to name every row that
      // cannot be written; the whole transaction is rolled back at the end all the same.
      await manager.query('SAVEPOINT import_batch');
      let wrote: number;
      try {
        wrote = await applyWithLineage(manager, definition, scope);
        batchCounts = await countBatch(manager, session, scope);
        checkWritten(wrote, batchCounts);
        await manager.query('RELEASE SAVEPOINT import_batch');
      } catch (error) {
        if (isFatalForConfirm(error)) throw error;
        await manager.query('ROLLBACK TO SAVEPOINT import_batch');
        rowByRow = true;
        wrote = await applyOneByOne(manager, definition, session, scope);
      }
      written += wrote;
      // A batch that wrote nothing created nothing: its counts say so.
      if (wrote > 0) await recordCreated(manager, scope);
    }
    // A file of one batch written whole (a small import): its batch's counts are the import's, and no row
    // failed; the two statements below would only say so again.
    const whole = session.last_row < 2 + size && !rowByRow ? batchCounts : undefined;
    const counts =
      whole ??
      (await countBatch(
        manager,
        session,
        scopeOf(session, options, 2, session.last_row + 1),
        ALL_ROWS_WITH_OUTCOMES,
      ));
    if (!whole) checkWritten(written, counts);
    if (!whole) {
      const failures: RowFailure[] = await manager.query(
        `SELECT row_number, error FROM import_row_outcomes WHERE session_id = $1 AND outcome = 'failed'
         ORDER BY row_number LIMIT 1000`,
        [session.id],
      );
      if (failures.length > 0) throw new RolledBack(failures);
    }
    const { leaseMs, sessionTtlMs } = this.settings;
    return fence(manager, session, token, leaseMs, null, counts, sessionTtlMs);
  }
}
