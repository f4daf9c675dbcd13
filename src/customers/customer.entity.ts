import { Column, Entity } from 'typeorm';
import { OrganizationEntity } from '../organizations/organization.entity';

@Entity({ name: 'customers' })
export class Customer extends OrganizationEntity {
  /** The distributor the customer belongs to, if any. */
  @Column({ name: 'distributor_id', type: 'uuid', nullable: true })
  distributorId: string | null;
}
