import { FieldError } from './field-rules';

export type RowStatus = 'valid' | 'warning' | 'ambiguous' | 'error';
export type RowOutcome = 'created' | 'updated' | 'skipped' | 'failed';
export type SessionStatus =
  'validated' | 'confirming' | 'completed' | 'expired' | 'failed' | 'reverting' | 'reverted';

/** A staged row as answered by validate and `GET /api/imports/{id}/rows`. */
export interface ImportRowView {
  row_number: number;
  status: RowStatus;
  data: Record<string, unknown>;
  errors?: FieldError[];
  warnings?: FieldError[];
  /** A `warning` row: the fields an update would change (absent when it would change nothing). */
  changes?: Record<string, { from: unknown; to: unknown }>;
  outcome?: RowOutcome;
  id?: string;
  reason?: string;
  error?: string;
}

/** The `data` of a validate answer (API.md §4). */
export interface ValidateResult {
  import_id: string;
  total_rows: number;
  valid_rows: number;
  error_rows: number;
  warning_rows: number;
  /** The `warning` rows an update would not change (API.md §11). */
  unchanged_rows: number;
  ambiguous_rows: number;
  ignored_columns: string[];
  rows: ImportRowView[];
  rows_truncated: boolean;
  /** Positional imports only: records with too few columns, not imported. */
  skipped_rows?: number[];
}

/** One result of a confirm answer. */
export interface ConfirmRowResult {
  row_number: number;
  status: RowOutcome;
  id?: string;
  reason?: string;
  error?: string;
}

/** The `data` of a confirm answer (API.md §4). */
export interface ConfirmResult {
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  results: ConfirmRowResult[];
  results_truncated: boolean;
}

/** `GET /api/imports/{id}`. */
export interface SessionView {
  import_id: string;
  entity: string;
  status: SessionStatus;
  total_rows: number;
  valid_rows: number;
  error_rows: number;
  warning_rows: number;
  unchanged_rows: number;
  ambiguous_rows: number;
  ignored_columns: string[];
  progress: { applied_rows: number; total_rows: number };
  result: { created: number; updated: number; skipped: number; failed: number } | null;
  created_at: string;
  expires_at: string;
  confirmed_at: string | null;
  completed_at: string | null;
}

/** A session row as stored. */
export interface SessionRecord {
  id: string;
  owner_id: string;
  entity: string;
  status: SessionStatus;
  header: string[];
  ignored_columns: string[];
  context: Record<string, string>;
  dropped_rows: number[];
  total_rows: number;
  valid_rows: number;
  error_rows: number;
  warning_rows: number;
  unchanged_rows: number;
  ambiguous_rows: number;
  options: {
    override: boolean;
    resolutions: Record<string, string>;
    rejected?: Record<string, string>;
  } | null;
  /** The definition's fields: `v1`… of the session's rows, in order. */
  fields: string[];
  /** For each header cell, the field it holds (null: an ignored column). */
  cell_fields: (string | null)[];
  last_row: number;
  batch_size: number | null;
  applied_batches: number[];
  applied_rows: number;
  created_rows: number;
  updated_rows: number;
  skipped_rows: number;
  failed_rows: number;
  claim_token: string | null;
  lease_until: Date | null;
  expires_at: Date;
  created_at: Date;
  confirmed_at: Date | null;
  completed_at: Date | null;
  kind: 'session' | 'direct' | 'one_shot';
  file_name: string | null;
  file_size: string | null;
  file_sha256: string | null;
  file_format: string;
  reverted_at: Date | null;
  revert_token: string | null;
  revert_lease_until: Date | null;
  revert_counts: RevertCounts | null;
  expired: boolean;
}

/** What a revert did (API.md §10). */
export interface RevertCounts {
  reverted: number;
  restored: number;
  kept: number;
}

/** The rows a validate staged, and how many are valid and in error. */
export interface StagedCounts {
  total: number;
  valid: number;
  error: number;
}

/** A session just staged, for an import that confirms it at once: its id and counts, without an answer. */
export interface StagedSession extends StagedCounts {
  import_id: string;
}
