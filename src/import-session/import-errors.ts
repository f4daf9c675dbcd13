import { isDatabaseUnavailable } from '../common/filters/database-errors';

/**
 * A readable reason for a row that could not be written, from a database error. Never SQL text; the
 * message of an exception raised on purpose (a trigger's RAISE) is kept, as it was written for people.
 */
export function rowFailureMessage(error: unknown): string {
  if (error instanceof UnwrittenRowsError) return 'the record was not written';
  const e = error as { code?: string; message?: string; constraint?: string; column?: string };
  switch (e.code) {
    case '23505':
      return 'a record with the same unique value already exists';
    case '23503':
      return 'a referenced record no longer exists';
    case '23502':
      return `a required value is missing${e.column ? ` (${e.column})` : ''}`;
    case '23514':
      return `a value breaks a rule of the table${e.constraint ? ` (${e.constraint})` : ''}`;
    case '22001':
      return 'a value is too long';
    case '22P02':
    case '22007':
    case '22008':
      return 'a value has the wrong format';
    case 'P0001':
      return e.message ?? 'the row was refused';
    default:
      return 'the row could not be written';
  }
}

/** Errors that must stop a confirm (and be retried later) rather than fail rows one by one. */
export const isFatalForConfirm = (error: unknown) =>
  isDatabaseUnavailable(error) || error instanceof LeaseLostError;

/**
 * Every connection of this service's own pool stayed busy for the pool's connection timeout (pg-pool's
 * message for a wait in its queue): the service is saturated, the database answered nothing wrong.
 */
export const isPoolBusy = (error: unknown) =>
  error instanceof Error && error.message === 'timeout exceeded when trying to connect';

/** The confirm's claim on a session was taken over (its lease had lapsed). */
export class LeaseLostError extends Error {
  constructor() {
    super('the confirm lost its claim on the import session');
  }
}

/**
 * A batch wrote a different number of records than its outcomes report as written (`created` or
 * `updated`): the batch fails, in its own transaction, instead of reporting a record that does not exist.
 */
export class UnwrittenRowsError extends Error {
  constructor(written: number, reported: number) {
    super(`the batch wrote ${written} records, but its outcomes report ${reported}`);
  }
}
