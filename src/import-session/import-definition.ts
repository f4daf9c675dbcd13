import { EntityManager } from 'typeorm';
import { Sql, sql } from '../database/sql';
import { checkValue, FieldError, FieldRule } from './field-rules';
import { ComparedColumn } from './import-changes';

/**
 * A column of an import file, whole: its field, the header names it is found by, the rule its cells are
 * checked with, and (by its place among the definition's columns) the staged column that holds its value.
 */
export interface ImportColumn {
  field: string;
  /** Other header names accepted for the column (after normalisation: trimmed, lower-case, `_` for spaces). */
  aliases?: readonly string[];
  /** A file without this column is refused (400). */
  required?: boolean;
  /** How its cells are checked and normalised ({@link checkCells}); without one, `parse` reads the cell itself. */
  rule?: FieldRule;
}

/** A column whose cells follow a field rule: the field, and whether a file must have it, are the rule's. */
export function ruleColumn(rule: FieldRule, aliases: readonly string[] = []): ImportColumn {
  return { field: rule.field, required: rule.required, aliases, rule };
}

/** The fields a definition stages: its columns' fields, in order, then those that `analyse` fills in. */
export function stagedFields(columns: readonly ImportColumn[], filled: readonly string[] = []): string[] {
  return [...columns.map((c) => c.field), ...filled];
}

/**
 * Checks each cell with its column's rule. A column's value goes to its own place in `values` (the staged
 * column of the same position); columns without a rule are left to the caller.
 */
export function checkCells(
  columns: readonly ImportColumn[],
  cells: readonly string[],
  values: (string | null)[],
  errors: FieldError[],
): void {
  for (let i = 0; i < columns.length; i++) {
    const rule = columns[i].rule;
    if (rule !== undefined) checkValue(rule, cells[i], values, i, errors);
  }
}

/** A record turned into a staged row by a definition. */
export interface ParsedRow {
  /** The row's values, in the order of the definition's `fields` (null: no value). */
  values: (string | null)[];
  errors: FieldError[];
  warnings?: FieldError[];
  /**
   * The key that identifies the record (a VAT, a user code): rows with the same key are duplicates
   * (`duplicate_in_csv`), and the key is what database look-ups and updates match. Null: never a duplicate.
   */
  key: string | null;
}

/** The staged values a row can carry (`import_rows.v1` … `v16`). */
export const MAX_STAGED_FIELDS = 16;

/** The column of `import_rows` that holds each of the fields, in order: `{company_name: 'v1', …}`. */
export function stagedColumns<F extends string>(fields: readonly F[]): Record<F, string> {
  if (fields.length > MAX_STAGED_FIELDS) {
    throw new Error(`an import stages at most ${MAX_STAGED_FIELDS} fields, not ${fields.length}`);
  }
  return Object.fromEntries(fields.map((field, i) => [field, `v${i + 1}`])) as Record<F, string>;
}

/**
 * The rows a confirm asks a definition to write: those of its session with `from <= row_number < to`
 * ({@link scopeRows} selects them). The values a definition's SQL needs come as fragments that carry them
 * (`session`, `resolutions`) or as plain values to embed with the `sql` tag: no parameter has a fixed
 * position.
 */
export interface ApplyScope {
  sessionId: string;
  from: number;
  to: number;
  /** The options of the confirm; `resolutions` holds only choices that are among their row's candidates. */
  options: ConfirmOptions;
  context: ImportContext;
  /** The fields of the columns the file has: only those are compared and written on update (API.md §11). */
  present: ReadonlySet<string>;
  /**
   * The rows of a batch that failed, applied again one at a time: a definition that took a shortcut which a
   * concurrent change can break (trusting what its look-ups found at validate) takes the exact way now.
   */
  retry: boolean;
  /**
   * Whether the session has a row to create a record from: a valid row, or an ambiguous one with a
   * resolution. A session of warnings only (the same file imported again) has none.
   */
  creates: boolean;
  /** The session id as SQL (`uuid`): passed once however often a statement embeds it. */
  session: Sql;
  /** `options.resolutions` as SQL (`jsonb`, row number → chosen id): passed once per statement. */
  resolutions: Sql;
}

/** The records a batch is about to update, and what it writes to them ({@link ImportDefinition.updateTargets}). */
export interface UpdateTargets {
  /**
   * `SELECT row_number, id, staged`: each row that updates its record `id`, with the row itself (`staged`, a
   * whole `import_rows` row).
   */
  rows: Sql;
  /** The columns the update writes from the row: a before image keeps those whose value it replaces. */
  columns: readonly ComparedColumn[];
}

/** What the core found for a batch's {@link ImportDefinition.updateTargets}, before its `apply`. */
export interface BeforeImages {
  /** How many records the batch is about to update: each one's before image is taken, and it is locked. */
  targets: number;
  /** The row numbers whose record is no longer the one the validate found, in order. */
  stale: readonly number[];
}

/** A batch that updates nothing. */
export const NO_BEFORE_IMAGES: BeforeImages = { targets: 0, stale: [] };

/** The scope's rows of `import_rows <alias>`: its session's, with `from <= row_number < to`. */
export function scopeRows(scope: ApplyScope, alias = 'r'): Sql {
  const r = sql.raw(alias);
  return sql`${r}.session_id = ${scope.session} AND ${r}.row_number >= ${scope.from} AND ${r}.row_number < ${scope.to}`;
}

/** What a confirm asks for (API.md §4). */
export interface ConfirmOptions {
  override: boolean;
  /** Row number (as a string) → chosen candidate id. */
  resolutions: Record<string, string>;
}

/**
 * Everything an entity declares to be importable; the {@link ImportSessionService} does the rest (reading the
 * CSV, staging rows, duplicates, statuses, sessions, claims, batches, savepoints, counters, answers).
 *
 * SQL methods receive the session id as `$1` and run inside the core's transaction; they must be set-based
 * (one statement for many rows), never one statement per row.
 */
export interface ImportDefinition {
  /** Stored on the session: a session of another entity cannot be confirmed here. */
  entity: string;
  /** Used in answers: "<label> import validated". */
  label: string;
  columns: readonly ImportColumn[];
  /** `named`: columns are found by header name (aliases accepted); `positional`: by position, header skipped. */
  headerMode: 'named' | 'positional';
  /** For positional files: records with fewer cells than this are skipped and listed. */
  minCells?: number;
  /** The field reported on a `duplicate_in_csv` error. */
  keyField: string;
  /** The table a confirm writes (its statistics are refreshed after a large confirm). */
  writes: string;
  /**
   * The values staged for each row, in order (at most {@link MAX_STAGED_FIELDS}): first the fields of
   * `columns`, in their order, then any that `analyse` fills in. They are the keys of a row's `data`.
   */
  fields: readonly string[];
  /** Checks one record. `cells` holds each column's trimmed cell, in `columns` order ('' when absent). */
  parse(cells: readonly string[], context: ImportContext): ParsedRow;
  /**
   * Set-based look-ups after staging: add `already_exists` warnings, `archived`, `not_found`, `ambiguous`.
   * `present` holds the fields of the columns the file has; `rows` is the table the rows are staged in
   * (`import_rows`, or a temporary table of its shape that the core moves them from afterwards).
   */
  analyse(
    manager: EntityManager,
    sessionId: string,
    context: ImportContext,
    present: ReadonlySet<string>,
    rows: string,
  ): Promise<void>;
  /**
   * How many of `keys` (row keys, as `parse` makes them) match a record already: the core looks up a large
   * file's first keys to choose where to stage it. Without it, every file is staged in `import_rows`.
   */
  countExisting?(manager: EntityManager, keys: readonly string[], context: ImportContext): Promise<number>;
  /**
   * Writes the rows of the scope that the confirm table says to write (API.md §4), with set-based
   * statements. A record created from a row takes the row's `target_id`; every row written another way
   * (updated) or found unwritable gets its outcome in `import_row_outcomes`, in the same transaction. A row
   * matched at validate (`match_id`) and left without an outcome row was skipped as unchanged: its record
   * already holds what it would write. The core derives every other outcome from the row's status and the
   * options.
   *
   * Answers how many records it wrote (created or updated). The core checks it against the outcomes it will
   * report as written, in the same transaction, and fails the batch when they differ: an INSERT that skipped
   * a row never shows as `created`.
   */
  apply(manager: EntityManager, scope: ApplyScope, before: BeforeImages): Promise<number>;
  /**
   * The records the scope's rows are about to update: the core keeps the values the update replaces (the
   * before image an undo puts back) in the same transaction, just before `apply`, and locks them. A row
   * whose record is no longer the one its validate found has a null `id` (stale). `apply` updates only
   * records whose before image was taken: a record that was identical to its row at that moment is left as it
   * is, whatever a concurrent write does to it afterwards.
   * Null: the scope updates nothing.
   */
  updateTargets(scope: ApplyScope): UpdateTargets | null;
  /** What an undo of this entity's imports needs (API.md §10). */
  revert: RevertSpec;
}

/** The per-entity parts of an undo. Writes by `apply` must set `import_id` to the session on every record. */
export interface RevertSpec {
  /** The table the import writes (`writes`), whose records carry `import_id`. */
  table: string;
  /** The columns an undo puts back from the before image. */
  columns: readonly string[];
  /** Whether records are archived (`archived_at`) rather than deleted. */
  archivable: boolean;
  /** A predicate over `t` (a record of `table`): something now references it, so it cannot be deleted. */
  referenced?: Sql;
}

/** Per-session facts a definition may need, fixed at validate (e.g. the courier of a courier import). */
export type ImportContext = Record<string, string>;
