import { Injectable } from '@nestjs/common';
import { Permission } from '../auth/permissions';
import { OrganizationImport } from '../organizations/organization-import';

/** Distributors: the organization columns; every VAT (placeholders too) identifies a distributor. */
@Injectable()
export class DistributorsImportDefinition extends OrganizationImport {
  readonly entity = 'distributor';
  readonly label = 'distributor';
  readonly permission = Permission.DistributorImport;
  protected readonly table = 'distributors';
  protected readonly placeholderVatsMatch = true;
}
