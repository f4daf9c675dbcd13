import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID } from 'class-validator';
import {
  OrganizationBodyDto,
  OrganizationDto,
  OrganizationListQueryDto,
} from '../organizations/organization.dto';

/** A customer's editable fields: the organization fields and the distributor it belongs to. */
export class CustomerBodyDto extends OrganizationBodyDto {
  /**
   * The id of a live (not archived) distributor, else `not_found`; empty or absent means none.
   * @example 0b8e6c2d-4f11-4c55-9f5c-3f0a1f3e2b11
   */
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsString()
  distributor_id?: string | null;
}

export class CustomerDto extends OrganizationDto {
  /** The distributor the customer belongs to. @example 0b8e6c2d-4f11-4c55-9f5c-3f0a1f3e2b11 */
  distributor_id: string | null;
}

/** `?search=&offset=&limit=&archived=&distributor_id=` of the customers list. */
export class CustomerListQueryDto extends OrganizationListQueryDto {
  /** Only the customers of this distributor. @example 0b8e6c2d-4f11-4c55-9f5c-3f0a1f3e2b11 */
  @IsOptional()
  @IsUUID()
  distributor_id?: string;
}
