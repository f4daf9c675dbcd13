import { EntityManager } from 'typeorm';
import { AuthUser, Permission } from '../auth/permissions';
import { FieldError } from '../organizations/field-rules';

/** A column of an import file. */
export interface ImportColumn {
  field: string;
  /** Other header names accepted for the column (after normalisation: trimmed, lower-case, `_` for spaces). */
  aliases?: readonly string[];
  /** A file without this column is refused (400). */
  required?: boolean;
}

/** A record turned into a staged row by a definition. */
export interface ParsedRow {
  data: Record<string, unknown>;
  errors: FieldError[];
  warnings?: FieldError[];
  /**
   * The key that identifies the record (a VAT, a user code): rows with the same key are duplicates
   * (`duplicate_in_csv`), and the key is what database look-ups and updates match. Null: never a duplicate.
   */
  key: string | null;
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
  /** The permission a caller needs to validate and confirm. */
  permission: Permission;
  /** Checks one record. `cells` maps each column's field to its trimmed cell ('' when absent). */
  parse(cells: Record<string, string>, context: ImportContext): ParsedRow;
  /** Set-based look-ups after staging: add `already_exists` warnings, `archived`, `not_found`, `ambiguous`. */
  analyse(manager: EntityManager, sessionId: string, context: ImportContext): Promise<void>;
  /**
   * Writes the given pending rows and records each one's outcome (`created`/`updated`/`failed`) in the same
   * transaction. Rows the core already skipped are not passed. `rows` is `$2` (row numbers).
   */
  apply(
    manager: EntityManager,
    sessionId: string,
    rows: number[],
    options: ConfirmOptions,
    context: ImportContext,
  ): Promise<void>;
}

/** Per-session facts a definition may need, fixed at validate (e.g. the courier of a courier import). */
export type ImportContext = Record<string, string>;

export interface ImportCaller {
  user: AuthUser;
}
