import { OmitType } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsISO8601, IsOptional, IsUUID } from 'class-validator';
import { PageQueryDto } from '../common/http/page-query.dto';

export const HISTORY_ENTITIES = ['customer', 'distributor', 'courier_customer'] as const;
export const HISTORY_STATUSES = [
  'validated',
  'confirming',
  'completed',
  'expired',
  'failed',
  'reverting',
  'reverted',
] as const;

/** `?entity=&status=&created_by=&from=&to=&offset=&limit=` of `GET /api/imports`. */
export class ImportHistoryQueryDto extends OmitType(PageQueryDto, ['search'] as const) {
  /** Only imports of this entity. */
  @IsOptional()
  @IsIn(HISTORY_ENTITIES)
  entity?: (typeof HISTORY_ENTITIES)[number];

  /** Only imports with this status. */
  @IsOptional()
  @IsIn(HISTORY_STATUSES)
  status?: (typeof HISTORY_STATUSES)[number];

  /** Only imports made by this user (an admin's filter; others only see their own). */
  @IsOptional()
  @IsUUID()
  created_by?: string;

  /** Only imports started at or after this instant (ISO 8601). */
  @IsOptional()
  @IsISO8601()
  from?: string;

  /** Only imports started before this instant (ISO 8601). */
  @IsOptional()
  @IsISO8601()
  to?: string;
}

/** `POST /api/imports/{id}/revert`. */
export class RevertImportDto {
  /** Answer what the revert would do, without writing anything. @example false */
  @IsOptional()
  @IsBoolean()
  dry_run?: boolean;

  /** Answer 202 at once and revert in the background; progress at `GET /api/imports/{id}`. @example false */
  @IsOptional()
  @IsBoolean()
  async?: boolean;
}

/** Who made an import. */
export class ImportCreatorDto {
  /** @example 6d0f3c1a-5a7e-4f2b-9d41-2f0c8b1e7a90 */
  id: string;
  /** @example manager@example.com */
  email: string | null;
}

/** The file an import read. */
export class ImportFileDto {
  /** @example customers.csv */
  name: string | null;
  /** @example 48211 */
  size_bytes: number | null;
  /** @example 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 */
  sha256: string | null;
  /** @example csv */
  format: string;
}

/** The counters of an import. */
export class ImportCountersDto {
  /** @example 120 */
  total_rows: number;
  /** @example 100 */
  valid_rows: number;
  /** @example 5 */
  error_rows: number;
  /** @example 15 */
  warning_rows: number;
  /** @example 0 */
  ambiguous_rows: number;
  /** @example 100 */
  created: number;
  /** @example 15 */
  updated: number;
  /** @example 5 */
  skipped: number;
  /** @example 0 */
  failed: number;
}

/** What a revert did. */
export class RevertCountsDto {
  /** Records deleted (the import had created them). @example 98 */
  reverted: number;
  /** Records given their before values back. @example 14 */
  restored: number;
  /** Records kept as they are, with a reason. @example 3 */
  kept: number;
}

/** The options of a confirm. */
export class ImportOptionsDto {
  /** Whether the records of `warning` rows were updated. @example true */
  override: boolean;
}

/** An import record (API.md §9). */
export class ImportRecordDto {
  /** The import's id, the same as its session's. @example 3f0a1f3e-2b11-4c55-9f5c-6f1c1a528d2e */
  id: string;
  /** @example customer */
  entity: string;
  /** `session` (validate → confirm), `direct` (courier import in one go) or `one_shot`. @example session */
  kind: string;
  /** @example completed */
  status: string;
  created_by: ImportCreatorDto;
  /** The courier of a courier import. @example 1b2c3d4e-5f60-4718-9a0b-c1d2e3f40516 */
  courier_id?: string;
  file: ImportFileDto;
  /** @example 2025-11-22T09:30:00.000Z */
  created_at: Date;
  /** @example 2025-11-22T09:31:00.000Z */
  confirmed_at?: Date | null;
  /** @example 2025-11-22T09:31:05.000Z */
  completed_at?: Date | null;
  counters: ImportCountersDto;
  options?: ImportOptionsDto;
  /** @example 2025-11-22T10:00:00.000Z */
  reverted_at?: Date | null;
  revert?: RevertCountsDto;
}

/** A revert's decision about one record. */
export class RevertResultDto {
  /** @example 2 */
  row_number: number;
  /** @example 0b8e6c2d-4f11-4d5b-9f7e-7c1f5d3e2d5b */
  record_id: string;
  /** @example deleted */
  action: 'deleted' | 'restored' | 'kept';
  /** Why a record was kept: `changed_since_import`, `gone` or `referenced`. @example changed_since_import */
  reason?: string;
}

/** The answer of a revert. */
export class RevertAnswerDto extends RevertCountsDto {
  /** The first results (up to `IMPORT_RESPONSE_ROWS`), by row number. */
  results: RevertResultDto[];
}

/** `?action=&offset=&limit=` of `GET /api/imports/{id}/changes`. */
export class ImportChangesQueryDto extends OmitType(PageQueryDto, ['search'] as const) {
  /** Only the records the import created, or only those it updated. */
  @IsOptional()
  @IsIn(['created', 'updated'])
  action?: 'created' | 'updated';
}

/** A record an import created or updated. */
export class ImportChangeDto {
  /** @example 3 */
  row_number: number;
  /** @example 0b8e6c2d-4f11-4d5b-9f7e-7c1f5d3e2d5b */
  record_id: string;
  /** @example updated */
  action: 'created' | 'updated';
  /**
   * The values the update replaced: the fields where the file differed from the record, with the record's
   * `updated_at` and `import_id` before it. @example {"company_name": "Alpha old", "city": "Roma", "notes": null, "updated_at": "2026-11-30T09:12:44.512Z", "import_id": null}
   */
  before?: Record<string, unknown>;
  /** The record while it is still this import's (null once written by something else, or gone). @example {"company_name": "Alpha new", "city": "Torino", "notes": null} */
  after: Record<string, unknown> | null;
}
