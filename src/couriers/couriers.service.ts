import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { likePattern, PageQueryDto } from '../common/http/page-query.dto';
import { notFound } from '../common/http/api.exception';
import { Page } from '../common/http/envelope';
import { Courier } from './courier.entity';
import { CourierDto, CreateCourierDto } from './courier.dto';

const toDto = (courier: Courier): CourierDto => ({ id: courier.id, name: courier.name });

@Injectable()
export class CouriersService {
  constructor(@InjectRepository(Courier) private readonly couriers: Repository<Courier>) {}

  async create(dto: CreateCourierDto): Promise<CourierDto> {
    return toDto(await this.couriers.save(this.couriers.create({ name: dto.name })));
  }

  async list(query: PageQueryDto): Promise<Page<CourierDto>> {
    const builder = this.couriers.createQueryBuilder('c').orderBy('c.name').addOrderBy('c.id');
    if (query.search) builder.where('c.name ILIKE :search', { search: likePattern(query.search) });
    const [items, total] = await builder.skip(query.offset).take(query.limit).getManyAndCount();
    return { items: items.map(toDto), total, offset: query.offset, limit: query.limit };
  }

  /** The courier, or 404. */
  async get(id: string): Promise<CourierDto> {
    const courier = await this.couriers.findOneBy({ id });
    if (!courier) throw notFound('courier');
    return toDto(courier);
  }
}
