import { Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { rowsOf } from '../database/sql';
import { ConfirmOptions, ImportDefinition } from './import-definition';
import { isFatalForConfirm, LeaseLostError, rowFailureMessage } from './import-errors';
import { SessionRecord } from './import-session.types';

export interface ApplySettings {
  batchSize: number;
  leaseMs: number;
}

/**
 * Renews the confirm's claim and locks the session row for the rest of the transaction. A confirm whose
 * lease lapsed and was taken over by another one finds another token and stops (nothing of its batch is
 * written), so no row is ever applied twice.
 */
async function fence(
  manager: EntityManager,
  session: SessionRecord,
  token: string,
  leaseMs: number,
): Promise<void> {
  const renewed = rowsOf(
    await manager.query(
      `UPDATE import_sessions SET lease_until = now() + make_interval(secs => $3::double precision / 1000)
     WHERE id = $1 AND claim_token = $2 RETURNING id`,
      [session.id, token, leaseMs],
    ),
  );
  if (renewed.length === 0) throw new LeaseLostError();
}

/**
 * Settles, in one statement, the rows the confirm table says to skip and the ambiguous rows whose resolution
 * names no candidate (API.md §4). Answers the rows left to write.
 */
async function settle(
  manager: EntityManager,
  sessionId: string,
  rows: number[],
  options: ConfirmOptions,
): Promise<number[]> {
  const settled = rowsOf<{ row_number: number }>(
    await manager.query(
      `WITH batch AS (
         SELECT row_number,
                status = 'error' OR (status = 'warning' AND NOT $3)
                  OR (status = 'ambiguous' AND NOT ($4::jsonb ? row_number::text)) AS skip,
                status = 'ambiguous' AND ($4::jsonb ? row_number::text) AND NOT EXISTS (
                  SELECT 1 FROM jsonb_array_elements(coalesce(errors, '[]'::jsonb)) e,
                                jsonb_array_elements(coalesce(e -> 'candidates', '[]'::jsonb)) c
                  WHERE c ->> 'id' = $4::jsonb ->> row_number::text) AS bad_resolution
         FROM import_rows WHERE session_id = $1 AND row_number = ANY($2) AND outcome IS NULL
       )
       UPDATE import_rows r SET
         outcome = CASE WHEN batch.skip THEN 'skipped' ELSE 'failed' END,
         reason = CASE WHEN NOT batch.skip THEN NULL WHEN r.status = 'error' THEN 'error'
                       WHEN r.status = 'warning' THEN 'warning_not_overridden' ELSE 'ambiguous_unresolved' END,
         error = CASE WHEN batch.skip THEN NULL
                      ELSE 'the resolution ' || ($4::jsonb ->> r.row_number::text) || ' is not one of this row''s candidates' END
       FROM batch
       WHERE r.session_id = $1 AND r.row_number = batch.row_number AND (batch.skip OR batch.bad_resolution)
       RETURNING r.row_number`,
      [sessionId, rows, options.override, JSON.stringify(options.resolutions)],
    ),
  );
  const done = new Set(settled.map((r) => r.row_number));
  return rows.filter((row) => !done.has(row));
}

/**
 * Applies rows one at a time, each under a savepoint: a row that cannot be written is rolled back alone and
 * recorded as `failed` with a readable reason; the others are written.
 */
async function applyOneByOne(
  manager: EntityManager,
  definition: ImportDefinition,
  session: SessionRecord,
  rows: number[],
  options: ConfirmOptions,
): Promise<void> {
  for (const row of rows) {
    await manager.query('SAVEPOINT import_row');
    try {
      await definition.apply(manager, session.id, [row], options, session.context);
      await manager.query('RELEASE SAVEPOINT import_row');
    } catch (error) {
      if (isFatalForConfirm(error)) throw error;
      await manager.query('ROLLBACK TO SAVEPOINT import_row');
      await manager.query(
        `UPDATE import_rows SET outcome = 'failed', error = $3 WHERE session_id = $1 AND row_number = $2`,
        [session.id, row, rowFailureMessage(error)],
      );
    }
  }
}

/**
 * A batch of the per-row strategy commits without waiting for its WAL flush. A database crash can then lose
 * the last batches, but each one whole (its rows and their outcomes together), so a later confirm applies
 * them again; the session's completion is a normal commit, which flushes everything before the answer.
 */
const relaxCommit = (manager: EntityManager) => manager.query('SET LOCAL synchronous_commit = off');

/**
 * Adds the batch's outcomes to the session's counters, in the batch's transaction. A row the definition left
 * without an outcome (which it must not) is recorded as failed rather than counted nowhere.
 */
async function count(manager: EntityManager, sessionId: string, rows: number[]): Promise<void> {
  const [{ missing }] = rowsOf<{ missing: number }>(
    await manager.query(
      `UPDATE import_sessions s SET
         applied_rows = applied_rows + c.total, created_rows = created_rows + c.created,
         updated_rows = updated_rows + c.updated, skipped_rows = skipped_rows + c.skipped,
         failed_rows = failed_rows + c.failed
       FROM (
         SELECT count(outcome)::int AS total,
                count(*) FILTER (WHERE outcome = 'created')::int AS created,
                count(*) FILTER (WHERE outcome = 'updated')::int AS updated,
                count(*) FILTER (WHERE outcome = 'skipped')::int AS skipped,
                count(*) FILTER (WHERE outcome = 'failed')::int AS failed,
                count(*) FILTER (WHERE outcome IS NULL)::int AS missing
         FROM import_rows WHERE session_id = $1 AND row_number = ANY($2)
       ) c
       WHERE s.id = $1
       RETURNING c.missing`,
      [sessionId, rows],
    ),
  );
  if (missing === 0) return;
  await manager.query(
    `UPDATE import_rows SET outcome = 'failed', error = 'the row was not written'
     WHERE session_id = $1 AND row_number = ANY($2) AND outcome IS NULL`,
    [sessionId, rows],
  );
  await manager.query(
    `UPDATE import_sessions SET applied_rows = applied_rows + $2, failed_rows = failed_rows + $2 WHERE id = $1`,
    [sessionId, missing],
  );
}

/**
 * The per-row (non-atomic) strategy: rows are applied a batch at a time, each batch in its own transaction
 * with set-based SQL, and each row's outcome is recorded in the transaction that writes it. When a batch
 * fails, it is applied again one row at a time under savepoints, so that only the rows that cannot be
 * written are `failed` and every other row is written. A confirm that dies leaves its rows either applied
 * with their outcome or untouched, so a later confirm finishes the rest and applies none twice.
 */
export class PerRowApplier {
  private readonly logger = new Logger('ImportConfirm');

  constructor(
    private readonly dataSource: DataSource,
    private readonly settings: ApplySettings,
  ) {}

  async run(
    definition: ImportDefinition,
    session: SessionRecord,
    token: string,
    options: ConfirmOptions,
  ): Promise<void> {
    let after = 0;
    for (;;) {
      const batch: { row_number: number }[] = await this.dataSource.query(
        `SELECT row_number FROM import_rows WHERE session_id = $1 AND row_number > $2 AND outcome IS NULL
         ORDER BY row_number LIMIT $3`,
        [session.id, after, this.settings.batchSize],
      );
      if (batch.length === 0) return;
      const rows = batch.map((r) => r.row_number);
      after = rows[rows.length - 1];
      try {
        await this.dataSource.transaction(async (manager) => {
          await relaxCommit(manager);
          await fence(manager, session, token, this.settings.leaseMs);
          const pending = await settle(manager, session.id, rows, options);
          if (pending.length > 0)
            await definition.apply(manager, session.id, pending, options, session.context);
          await count(manager, session.id, rows);
        });
      } catch (error) {
        if (isFatalForConfirm(error)) throw error;
        this.logger.warn(
          { importId: session.id, err: String(error) },
          'batch failed, applying its rows one by one',
        );
        await this.dataSource.transaction(async (manager) => {
          await relaxCommit(manager);
          await fence(manager, session, token, this.settings.leaseMs);
          const pending = await settle(manager, session.id, rows, options);
          await applyOneByOne(manager, definition, session, pending, options);
          await count(manager, session.id, rows);
        });
      }
    }
  }
}

/** A transactional import found rows it cannot write; nothing was written. */
export class TransactionRolledBackError extends Error {
  constructor(readonly failures: { row_number: number; error: string }[]) {
    super('the import was rolled back');
  }
}

/**
 * The transactional (all or nothing) strategy: every row is applied in ONE transaction, still a batch at a
 * time with set-based SQL, together with the outcomes and the session's completion. Any failure rolls all
 * of it back; a confirm that dies leaves nothing written, and a later confirm starts the session again.
 */
export class TransactionalApplier {
  constructor(
    private readonly dataSource: DataSource,
    private readonly settings: ApplySettings,
  ) {}

  async run(
    definition: ImportDefinition,
    session: SessionRecord,
    token: string,
    options: ConfirmOptions,
    complete: (manager: EntityManager) => Promise<void>,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      let after = 0;
      for (;;) {
        await fence(manager, session, token, this.settings.leaseMs);
        const batch: { row_number: number }[] = await manager.query(
          `SELECT row_number FROM import_rows WHERE session_id = $1 AND outcome IS NULL AND row_number > $2
           ORDER BY row_number LIMIT $3`,
          [session.id, after, this.settings.batchSize],
        );
        if (batch.length === 0) break;
        const rows = batch.map((r) => r.row_number);
        after = rows[rows.length - 1];
        const pending = await settle(manager, session.id, rows, options);
        // A failing batch is rolled back to its savepoint and applied row by row, to name every row that
        // cannot be written; the whole transaction is rolled back at the end all the same.
        await manager.query('SAVEPOINT import_batch');
        try {
          if (pending.length > 0)
            await definition.apply(manager, session.id, pending, options, session.context);
          await manager.query('RELEASE SAVEPOINT import_batch');
        } catch (error) {
          if (isFatalForConfirm(error)) throw error;
          await manager.query('ROLLBACK TO SAVEPOINT import_batch');
          await applyOneByOne(manager, definition, session, pending, options);
        }
        await count(manager, session.id, rows);
      }
      const failures: { row_number: number; error: string }[] = await manager.query(
        `SELECT row_number, error FROM import_rows WHERE session_id = $1 AND outcome = 'failed' ORDER BY row_number LIMIT 1000`,
        [session.id],
      );
      if (failures.length > 0) throw new TransactionRolledBackError(failures);
      await complete(manager);
    });
  }
}
