import { Injectable } from '@nestjs/common';
import { OrganizationImport } from '../organizations/organization-import.definition';

/** Distributors: the organization columns; every VAT (placeholders too) identifies a distributor. */
@Injectable()
export class DistributorsImportDefinition extends OrganizationImport {
  readonly entity = 'distributor';
  readonly label = 'distributor';
  protected readonly table = 'distributors';
  protected readonly placeholderVatsMatch = true;
}
