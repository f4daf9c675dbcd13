import { Queryable, rowsOf } from '../database/sql';
import { ImportDocument } from './import-document';
import { ImportException, ImportExceptionCode } from './import.exception';

/** What one user may hold in validated sessions not yet confirmed (README, Reliability). */
export interface ImportQuota {
  maxOpenSessions: number;
  maxStagedRows: number;
}

/** How many rows a new file may stage, and when the user's first open session expires (seconds, or null). */
export interface StagingBudget {
  rows: number;
  retryAfterSeconds: number | null;
}

/** No quota: for the imports that leave no session open. */
export const UNLIMITED: StagingBudget = { rows: Infinity, retryAfterSeconds: null };

/** A user's validated sessions that are not confirmed and not expired: how many, their rows, the next expiry. */
interface OpenSessions {
  sessions: number;
  rows: number;
  /** Seconds until the first of them expires, or null with none open. */
  next_expiry: number | null;
}

async function openSessions(runner: Queryable, ownerId: string): Promise<OpenSessions> {
  const [open] = rowsOf<OpenSessions>(
    await runner.query(
      `SELECT count(*)::int AS sessions, coalesce(sum(total_rows), 0)::bigint::float8 AS rows,
            greatest(1, ceil(extract(epoch FROM min(expires_at) - now())))::int AS next_expiry
     FROM import_sessions
     WHERE owner_id = $1 AND kind = 'session' AND status = 'validated' AND expires_at > now()`,
      [ownerId],
    ),
  );
  return open;
}

const overQuota = (message: string, open: OpenSessions) =>
  new ImportException(ImportExceptionCode.QUOTA_EXCEEDED, message, {
    retry_after_seconds: open.next_expiry,
    open_sessions: open.sessions,
    staged_rows: open.rows,
  });

/**
 * Refuses (429, with `Retry-After`: when the first open session expires) a new session of a user who holds
 * `maxOpenSessions` validated sessions not yet confirmed, or their `maxStagedRows` rows; answers how many rows
 * the new file may still stage. The count is of sessions whose staging has finished: validates of one user
 * running at the same moment can each pass it, so the quota can be passed by the imports in flight.
 */
export async function stagingBudget(
  runner: Queryable,
  ownerId: string,
  quota: ImportQuota,
): Promise<StagingBudget> {
  const open = await openSessions(runner, ownerId);
  const next = open.next_expiry === null ? '' : `, or retry when the first expires in ${open.next_expiry} s`;
  if (open.sessions >= quota.maxOpenSessions) {
    throw overQuota(
      `you hold ${open.sessions} validated imports that are not confirmed, the most one user may: ` +
        `confirm them${next}`,
      open,
    );
  }
  if (open.rows >= quota.maxStagedRows) {
    throw overQuota(
      `your validated imports that are not confirmed hold ${open.rows} rows, the most one user may stage: ` +
        `confirm them${next}`,
      open,
    );
  }
  return { rows: quota.maxStagedRows - open.rows, retryAfterSeconds: open.next_expiry };
}

/** The file cannot be staged: its rows and those already staged by its user are over the quota. */
function overBudget(budget: StagingBudget, quota: ImportQuota): ImportException {
  const held = quota.maxStagedRows - budget.rows;
  if (held === 0) {
    return new ImportException(
      ImportExceptionCode.INVALID_FILE,
      `too many rows: the limit is ${quota.maxStagedRows} data rows staged by one user`,
    );
  }
  return new ImportException(
    ImportExceptionCode.QUOTA_EXCEEDED,
    `this file would bring the rows of your validated imports that are not confirmed over ` +
      `${quota.maxStagedRows}: you hold ${held} rows already; confirm those imports, or retry when the first ` +
      `expires in ${budget.retryAfterSeconds} s`,
    { retry_after_seconds: budget.retryAfterSeconds },
  );
}

/** The client went away before its answer: the work stops, and nothing of it is kept. */
export const clientGone = () =>
  new ImportException(ImportExceptionCode.CLIENT_GONE, 'the client closed the connection before the answer');

/** Throws {@link clientGone} once `signal` is aborted. */
export function stopIfGone(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw clientGone();
}

/**
 * The document, read until its rows pass `budget` (then {@link overBudget}) or the client goes away (then
 * {@link clientGone}), checked at each batch of records.
 */
export function guardedDocument(
  document: ImportDocument,
  budget: StagingBudget,
  quota: ImportQuota,
  signal: AbortSignal | undefined,
): ImportDocument {
  const batches = document.batches;
  return {
    ...document,
    batches: (async function* () {
      let rows = 0;
      for await (const batch of batches) {
        stopIfGone(signal);
        rows += batch.length;
        if (rows > budget.rows) throw overBudget(budget, quota);
        yield batch;
      }
    })(),
  };
}
