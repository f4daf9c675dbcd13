import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsUUID, Max, Min } from 'class-validator';

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

export class ImportRowsQueryDto {
  /** Only rows with this validation status. */
  @IsOptional()
  @IsIn(ROW_STATUSES)
  status?: (typeof ROW_STATUSES)[number];

  /** Only rows with this confirm outcome. */
  @IsOptional()
  @IsIn(ROW_OUTCOMES)
  outcome?: (typeof ROW_OUTCOMES)[number];

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset: number = 0;

  /** At most 1000. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit: number = 100;
}
