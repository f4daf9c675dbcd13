import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { isUUID } from 'class-validator';
import { EntityManager, Repository, SelectQueryBuilder } from 'typeorm';
import { Distributor } from '../distributors/distributor.entity';
import {
  ExtraColumns,
  OrganizationRestService,
  toOrganizationDto,
} from '../organizations/organization-rest.service';
import { CustomerBodyDto, CustomerDto, CustomerListQueryDto } from './customer.dto';
import { Customer } from './customer.entity';

/** Customers: the shared organization resource, plus `distributor_id`. */
@Injectable()
export class CustomersService extends OrganizationRestService<
  Customer,
  CustomerDto,
  CustomerBodyDto,
  CustomerListQueryDto
> {
  constructor(@InjectRepository(Customer) customers: Repository<Customer>) {
    super(customers, 'customer');
  }

  protected toDto(customer: Customer): CustomerDto {
    return { ...toOrganizationDto(customer), distributor_id: customer.distributorId };
  }

  /**
   * `distributor_id` must name a live distributor (`invalid_format` for a malformed id, `not_found` for an unknown
   * or archived one). The distributor row is share-locked until the write commits, so it cannot be archived in
   * between.
   */
  protected override async checkExtra(
    manager: EntityManager,
    body: CustomerBodyDto,
  ): Promise<ExtraColumns<Customer>> {
    const given = typeof body.distributor_id === 'string' ? body.distributor_id.trim().toLowerCase() : '';
    if (given === '') return { columns: { distributorId: null }, errors: [] };
    if (!isUUID(given))
      return { columns: {}, errors: [{ field: 'distributor_id', message: 'invalid_format' }] };
    const live = await manager
      .createQueryBuilder(Distributor, 'd')
      .select('d.id')
      .where('d.id = :id AND d.archivedAt IS NULL', { id: given })
      .setLock('pessimistic_read')
      .getOne();
    if (!live) return { columns: {}, errors: [{ field: 'distributor_id', message: 'not_found' }] };
    return { columns: { distributorId: live.id }, errors: [] };
  }

  protected override filter(builder: SelectQueryBuilder<Customer>, query: CustomerListQueryDto): void {
    if (query.distributor_id)
      builder.andWhere('o.distributorId = :distributorId', { distributorId: query.distributor_id });
  }
}
