import { Sql, sql } from '../database/sql';
import { ConfirmOptions } from './import-definition';
import { SessionRecord } from './import-session.types';

/**
 * The options a confirm runs with, stored on its session at the claim: the request's, with the resolutions
 * that name none of their row's candidates moved to `rejected` (those rows fail).
 */
export interface StoredOptions extends ConfirmOptions {
  rejected?: Record<string, string>;
}

/** The message of a row whose resolution is not one of its candidates. */
export const rejectedResolution = (id: string) => `the resolution ${id} is not one of this row's candidates`;

/** The outcome of staged rows and its parts, as SQL over `r` and `o` (see {@link outcomeSql}). */
export interface OutcomeSql {
  outcome: Sql;
  reason: Sql;
  targetId: Sql;
  error: Sql;
}

/**
 * The outcome of staged rows, as SQL over `import_rows r LEFT JOIN import_row_outcomes o`. Only the rows a
 * confirm updated or could not write have an outcome row; every other outcome follows from the confirm table
 * of API.md §4: `error` rows, `warning` rows without override and unresolved `ambiguous` rows are skipped,
 * a row matched to a record (`match_id`) under override was skipped as `unchanged` (its record already
 * held its values), the rest were created with the row's `target_id`. A row has an outcome once its batch is
 * applied.
 *
 * The fragments carry their values; a statement that embeds several of them passes each value once.
 */
export function outcomeSql(
  session: Pick<SessionRecord, 'status' | 'options' | 'batch_size' | 'applied_batches'>,
): OutcomeSql {
  const options = session.options ?? { override: false, resolutions: {} };
  const override = sql`${sql.value(options.override)}::boolean`;
  const resolutions = sql`${sql.value(JSON.stringify(options.resolutions))}::jsonb`;
  let applied: Sql;
  if (session.status === 'completed') applied = sql`true`;
  else if (session.batch_size === null || session.applied_batches.length === 0) applied = sql`false`;
  else {
    applied = sql`((r.row_number - 2) / ${sql.value(session.batch_size)}::int) = ANY(${sql.value(session.applied_batches)}::int[])`;
  }
  const skipped = sql`(r.status = 'error' OR (r.status = 'warning' AND NOT ${override})
      OR (r.status = 'ambiguous' AND NOT (${resolutions} ? r.row_number::text)))`;
  // A row that matched a record and that the confirm left without an outcome row found it identical.
  const unchanged = sql`(r.match_id IS NOT NULL AND r.status IN ('valid', 'warning') AND ${override})`;
  const outcome = sql`CASE WHEN NOT (${applied}) THEN NULL WHEN o.outcome IS NOT NULL THEN o.outcome
      WHEN ${skipped} OR ${unchanged} THEN 'skipped' ELSE 'created' END`;
  return {
    outcome,
    reason: sql`CASE WHEN NOT (${applied}) THEN NULL WHEN o.outcome = 'skipped' THEN 'unchanged'
      WHEN o.outcome IS NOT NULL THEN NULL
      WHEN r.status = 'error' THEN 'error' WHEN r.status = 'warning' AND NOT ${override} THEN 'warning_not_overridden'
      WHEN ${skipped} THEN 'ambiguous_unresolved' WHEN ${unchanged} THEN 'unchanged' END`,
    targetId: sql`CASE WHEN NOT (${applied}) THEN NULL WHEN o.outcome IS NOT NULL THEN o.target_id
      WHEN ${skipped} THEN NULL WHEN ${unchanged} THEN r.match_id ELSE r.target_id END`,
    error: sql`CASE WHEN ${applied} THEN o.error END`,
  };
}

/**
 * `import_rows r` with `o`, its outcome row if it has one: one primary key look-up per row, whatever the
 * statistics say. A confirm writes outcome rows faster than they are analysed, and a hash join planned on
 * stale statistics would read every outcome of the session for each batch. (`LIMIT 1` keeps the planner from
 * turning the look-up back into a join.)
 */
export const ROWS_WITH_OUTCOMES = sql`import_rows r LEFT JOIN LATERAL (
    SELECT o.outcome, o.target_id, o.error FROM import_row_outcomes o
    WHERE o.session_id = r.session_id AND o.row_number = r.row_number LIMIT 1
  ) o ON true`;

/** `jsonb_build_object('company_name', r.v1, …)`: a staged row's values by field. */
export function dataSql(fields: readonly string[]): Sql {
  if (fields.length === 0) return sql`'{}'::jsonb`;
  return sql.raw(
    `jsonb_build_object(${fields.map((f, i) => `'${f.replace(/'/g, "''")}', r.v${i + 1}`).join(', ')})`,
  );
}

/**
 * The same as {@link ROWS_WITH_OUTCOMES} as a plain join, for one statement over a whole session: a hash
 * join reads the session's outcome rows once, whatever the statistics.
 */
export const ALL_ROWS_WITH_OUTCOMES = sql`import_rows r LEFT JOIN import_row_outcomes o
  ON o.session_id = r.session_id AND o.row_number = r.row_number`;
