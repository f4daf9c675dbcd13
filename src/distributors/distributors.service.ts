import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { OrganizationDto } from '../organizations/organization.dto';
import { OrganizationRestService, toOrganizationDto } from '../organizations/organization-rest.service';
import { Distributor } from './distributor.entity';

/** Distributors: the shared organization resource, with nothing of their own. */
@Injectable()
export class DistributorsService extends OrganizationRestService<Distributor> {
  constructor(@InjectRepository(Distributor) distributors: Repository<Distributor>) {
    super(distributors, 'distributor');
  }

  protected toDto(distributor: Distributor): OrganizationDto {
    return toOrganizationDto(distributor);
  }
}
