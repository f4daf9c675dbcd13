import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString } from 'class-validator';
import { PageQueryDto } from '../common/http/page-query.dto';

/**
 * The editable fields of a customer or a distributor: the body of a create and of a full replace (a field left
 * out is cleared). Only the types are checked here; presence, lengths, formats and values are checked by
 * `checkFields(ORGANIZATION_RULES, …)`, the rules the CSV imports use too, so that both answer the same stable
 * codes (`required`, `too_long`, `invalid_format`, `invalid_value`). Values are trimmed; an empty optional value
 * is stored as null.
 */
export class OrganizationBodyDto {
  /** Required; at most 255 characters. @example "Acme Office Supplies SRL" */
  @IsOptional()
  @IsString()
  company_name: string;

  /** At most 500 characters. @example Wholesale of office supplies */
  @IsOptional()
  @IsString()
  description?: string | null;

  /** Required; at most 64 characters. @example IT01234567890 */
  @IsOptional()
  @IsString()
  vat_number: string;

  /** At most 255 characters. @example Via Roma 1 */
  @IsOptional()
  @IsString()
  address?: string | null;

  /** At most 255 characters. @example Milano */
  @IsOptional()
  @IsString()
  city?: string | null;

  /** At most 255 characters. @example Maria Rossi */
  @IsOptional()
  @IsString()
  main_contact?: string | null;

  /** An e-mail address (at most 254 characters). @example orders@acme.example */
  @IsOptional()
  @IsString()
  email?: string | null;

  /** `+` then 7 to 20 digits, spaces, dashes or parentheses. @example +39 02 1234 5678 */
  @IsOptional()
  @IsString()
  phone?: string | null;

  /** `it` or `en`, case-insensitive; empty or absent means `it`. @example en */
  @IsOptional()
  @IsString()
  language?: string | null;

  /** At most 1000 characters. @example Deliveries on Tuesdays only */
  @IsOptional()
  @IsString()
  notes?: string | null;
}

/** A customer or a distributor as the API answers it. */
export class OrganizationDto {
  /** @example 6f1c1a52-8d2e-4c55-9f5c-3f0a1f3e2b11 */
  id: string;
  /** @example "Acme Office Supplies SRL" */
  company_name: string;
  /** @example Wholesale of office supplies */
  description: string | null;
  /** @example IT01234567890 */
  vat_number: string;
  /** @example Via Roma 1 */
  address: string | null;
  /** @example Milano */
  city: string | null;
  /** @example Maria Rossi */
  main_contact: string | null;
  /** @example orders@acme.example */
  email: string | null;
  /** @example +39 02 1234 5678 */
  phone: string | null;
  /** `it` or `en`. @example en */
  language: string;
  /** @example Deliveries on Tuesdays only */
  notes: string | null;
  /** @example 2025-11-22T09:30:00.000Z */
  created_at: Date;
  /** @example 2025-11-22T09:30:00.000Z */
  updated_at: Date;
  /**
   * The import that last created or updated the record; null when its last write came from elsewhere.
   * @example 3f1c2a6e-8d4b-4c55-9a0e-6b7f2d9e1a44
   */
  import_id: string | null;
  /** When the record was archived (deleted); null while it is live. @example 2025-12-01T08:00:00.000Z */
  archived_at: Date | null;
}

const booleanText = ({ value }: { value: unknown }) =>
  value === 'true' ? true : value === 'false' ? false : value;

/** `?search=&offset=&limit=&archived=` of the customers and distributors lists. */
export class OrganizationListQueryDto extends PageQueryDto {
  /** `true` lists archived records too; they are left out otherwise. @example true */
  @IsOptional()
  @Transform(booleanText)
  @IsBoolean()
  archived?: boolean;
}
