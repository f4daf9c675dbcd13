import { Injectable } from '@nestjs/common';
import { Sql, sql } from '../database/sql';
import { OrganizationImport } from '../organizations/organization-import.definition';

/** Distributors: the organization columns; every VAT (placeholders too) identifies a distributor. */
@Injectable()
export class DistributorsImportDefinition extends OrganizationImport {
  readonly entity = 'distributor';
  readonly label = 'distributor';
  protected readonly table = 'distributors';
  protected readonly placeholderVatsMatch = true;

  /** A distributor that a customer points at cannot be deleted by an undo. */
  protected override referencedBy(): Sql {
    return sql`EXISTS (SELECT 1 FROM customers c WHERE c.distributor_id = t.id)`;
  }
}
