import { IsOptional, IsString } from 'class-validator';

/**
 * The body of a create or a full update. Only the types are checked here; presence and lengths are checked by
 * `checkCourierCustomer`, the rules the courier CSV import uses too, so that both answer `required` and
 * `too_long` alike. Values are trimmed.
 */
export class CourierCustomerBodyDto {
  /** Unique within the courier; at most 64 characters. Required. @example C-10042 */
  @IsOptional()
  @IsString()
  user_code: string;

  /** At most 255 characters. Required. @example Maria */
  @IsOptional()
  @IsString()
  first_name: string;

  /** At most 255 characters. Required. @example Rossi */
  @IsOptional()
  @IsString()
  last_name: string;

  /** At most 255 characters; empty or absent means none. @example Milano Nord */
  @IsOptional()
  @IsString()
  branch?: string | null;
}

export class CourierCustomerDto {
  /** @example 0b8e6c2d-4f11-4c55-9f5c-3f0a1f3e2b11 */
  id: string;
  /** @example 6f1c1a52-8d2e-4c55-9f5c-3f0a1f3e2b11 */
  courier_id: string;
  /** @example C-10042 */
  user_code: string;
  /** @example Maria */
  first_name: string;
  /** @example Rossi */
  last_name: string;
  /** @example Milano Nord */
  branch: string | null;
  /** @example 2025-11-22T09:30:00.000Z */
  created_at: Date;
  /** @example 2025-11-22T09:30:00.000Z */
  updated_at: Date;
  /**
   * The import that last created or updated the record; null when its last write came from elsewhere.
   * @example 3f1c2a6e-8d4b-4c55-9a0e-6b7f2d9e1a44
   */
  import_id: string | null;
}
