import { ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { PageQueryDto } from '../common/http/page-query.dto';
import {
  ConfirmResult,
  ConfirmRowResult,
  ImportRowView,
  SessionStatus,
  SessionView,
  ValidateResult,
} from './import-session.types';

/** A chosen candidate for an ambiguous row. */
export class ResolutionDto {
  /** One of the row's `candidates[].id`. @example 0b8e6c2d-4f11-4d5b-9f7e-7c1f5d3e2d5b */
  @IsUUID()
  organization_id: string;
}

export class ConfirmImportDto {
  /** The `import_id` answered by validate. @example 3f0a1f3e-2b11-4c55-9f5c-6f1c1a528d2e */
  @IsUUID()
  import_id: string;

  /** Update the records of `warning` rows (same VAT) from the CSV instead of skipping them. @example false */
  @IsOptional()
  @IsBoolean()
  override?: boolean;

  /**
   * Choices for `ambiguous` rows, keyed by row number as a string.
   * @example {"7": {"organization_id": "0b8e6c2d-4f11-4d5b-9f7e-7c1f5d3e2d5b"}}
   */
  @IsOptional()
  @IsObject()
  resolutions?: Record<string, ResolutionDto>;

  /** Answer 202 at once and apply the rows in the background; progress at `GET /api/imports/{id}`. @example false */
  @IsOptional()
  @IsBoolean()
  async?: boolean;
}

export const ROW_STATUSES = ['valid', 'warning', 'ambiguous', 'error'] as const;
export const ROW_OUTCOMES = ['created', 'updated', 'skipped', 'failed'] as const;

/**
 * `?status=&outcome=&offset=&limit=` of a session's rows: the page of every list (its `offset`), with a
 * larger page. A validate or confirm answer carries up to `IMPORT_RESPONSE_ROWS` (1000) rows, and the rows
 * of a large session are read on from there a page at a time: a page as large as the answer (at most 1000,
 * 100 by default) keeps that to one request per answer's worth of rows. Lists of records keep ≤ 500.
 */
export class ImportRowsQueryDto extends OmitType(PageQueryDto, ['search', 'limit'] as const) {
  /** Only rows with this validation status. */
  @IsOptional()
  @IsIn(ROW_STATUSES)
  status?: (typeof ROW_STATUSES)[number];

  /** Only rows with this confirm outcome. */
  @IsOptional()
  @IsIn(ROW_OUTCOMES)
  outcome?: (typeof ROW_OUTCOMES)[number];

  /** At most 1000. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit: number = 100;
}

const FAILED_EXAMPLE =
  "the resolution 9625abc0-7bce-405e-8e3b-99b7ad44f536 is not one of this row's candidates";

/** A distributor an `ambiguous` row could belong to. */
export class CandidateDto {
  /** The id to send as `resolutions["<row>"].organization_id`. @example 0b8e6c2d-4f11-4d5b-9f7e-7c1f5d3e2d5b */
  id: string;
  /** @example "Twin Distribution" */
  name: string;
  /** @example IT22222222222 */
  vat_number: string;
  /** @example distributor */
  type: string;
}

/** One problem of a row: an error, or the warning `already_exists`. */
export class RowDiagnosticDto {
  /** The column, or `row` for the whole record. @example email */
  field: string;
  /**
   * `required`, `too_long`, `invalid_format`, `invalid_value`, `duplicate_in_csv`, `not_found`, `ambiguous`,
   * `archived`; the warning `already_exists`. @example invalid_format
   */
  message: string;
  /** `duplicate_in_csv`: the value and the number of the first row that had it. @example ["IT01234567890", "2"] */
  values?: string[];
  /** `ambiguous`: the distributors the row could belong to. */
  candidates?: CandidateDto[];
}

/** A row of an import session, as read from the file, with its status (and its outcome once confirmed). */
export class ImportRowDto implements ImportRowView {
  /** The record's number in the file, the header being row 1. @example 4 */
  row_number: number;
  /** `error` > `ambiguous` > `warning` > `valid`. @example error */
  status: (typeof ROW_STATUSES)[number];
  /**
   * The row's values by column, trimmed; empty cells are null.
   * @example {"company_name": "Bad Email Srl", "vat_number": "IT11111111111", "email": "not-an-email"}
   */
  data: Record<string, unknown>;
  errors?: RowDiagnosticDto[];
  warnings?: RowDiagnosticDto[];
  /** Once confirmed: what the confirm did with the row. @example skipped */
  outcome?: (typeof ROW_OUTCOMES)[number];
  /** Once created or updated: the record's id. @example 6f1c1a52-8d2e-4c55-9f5c-3f0a1f3e2b11 */
  id?: string;
  /** Why it was skipped: `error`, `warning_not_overridden`, `ambiguous_unresolved`. @example error */
  reason?: string;
  /** Why it was not written. */
  @ApiPropertyOptional({ example: FAILED_EXAMPLE })
  error?: string;
}

/** The counters of an import session, known once it is validated. */
export class RowCountersDto {
  /**
   * The session's id: what confirm takes (within `IMPORT_SESSION_TTL`, 30 minutes by default).
   * @example 3f0a1f3e-2b11-4c55-9f5c-6f1c1a528d2e
   */
  import_id: string;
  /** @example 3 */
  total_rows: number;
  /** @example 1 */
  valid_rows: number;
  /** @example 1 */
  error_rows: number;
  /** @example 1 */
  warning_rows: number;
  /** @example 0 */
  ambiguous_rows: number;
  /** Header columns that are not imported. @example ["fax"] */
  ignored_columns: string[];
}

/** The `data` of a validate answer (API.md §4). */
export class ValidateResultDto extends RowCountersDto implements ValidateResult {
  /** Every row; above `IMPORT_RESPONSE_ROWS` rows, the rows that are not valid, up to that many. */
  rows: ImportRowDto[];
  /** Whether `rows` leaves rows out (read them with `GET /api/imports/{id}/rows`). @example false */
  rows_truncated: boolean;
  /** The courier import only: records with fewer than 3 columns, not imported. @example [5] */
  skipped_rows?: number[];
}

/** What the confirm did with one row. */
export class ConfirmRowResultDto implements ConfirmRowResult {
  /** @example 3 */
  row_number: number;
  /** @example updated */
  status: (typeof ROW_OUTCOMES)[number];
  /** The record created or updated. @example 6f1c1a52-8d2e-4c55-9f5c-3f0a1f3e2b11 */
  id?: string;
  /** Why it was skipped: `error`, `warning_not_overridden`, `ambiguous_unresolved`. @example error */
  reason?: string;
  /** Why it was not written. */
  @ApiPropertyOptional({ example: FAILED_EXAMPLE })
  error?: string;
}

/** What a confirm did: the four counters sum to `total_rows`. */
export class ConfirmCountersDto {
  /** @example 1 */
  created: number;
  /** @example 1 */
  updated: number;
  /** @example 1 */
  skipped: number;
  /** @example 0 */
  failed: number;
}

/** The `data` of a confirm answer (API.md §4). */
export class ConfirmResultDto extends ConfirmCountersDto implements ConfirmResult {
  /** One per row; above `IMPORT_RESPONSE_ROWS` rows, those not created or updated, up to that many. */
  results: ConfirmRowResultDto[];
  /** Whether `results` leaves rows out. @example false */
  results_truncated: boolean;
}

/** The `data` of a confirm with `async: true`. */
export class ConfirmStartedDto {
  /** @example 3f0a1f3e-2b11-4c55-9f5c-6f1c1a528d2e */
  import_id: string;
  /** Where to follow the progress. @example /api/imports/3f0a1f3e-2b11-4c55-9f5c-6f1c1a528d2e */
  status_url: string;
}

export class SessionProgressDto {
  /** Rows applied so far. @example 3 */
  applied_rows: number;
  /** @example 3 */
  total_rows: number;
}

/** `GET /api/imports/{id}`. */
export class SessionViewDto extends RowCountersDto implements SessionView {
  /** `customer`, `distributor` or `courier_customer`. @example customer */
  entity: string;
  /** @example completed */
  status: SessionStatus;
  progress: SessionProgressDto;
  /** The confirm's counters, once completed. */
  result: ConfirmCountersDto | null;
  /** @example 2025-11-22T09:30:00.000Z */
  created_at: string;
  /** Until when a validated session can be confirmed. @example 2025-11-22T10:00:00.000Z */
  expires_at: string;
  /** @example 2025-11-22T09:31:00.000Z */
  confirmed_at: string | null;
  /** @example 2025-11-22T09:31:01.000Z */
  completed_at: string | null;
}
