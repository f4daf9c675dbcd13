import { Entity } from 'typeorm';
import { OrganizationEntity } from '../organizations/organization.entity';

@Entity({ name: 'distributors' })
export class Distributor extends OrganizationEntity {}
