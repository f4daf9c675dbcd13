import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Permission } from '../auth/permissions';
import { Permissions } from '../common/decorators/auth.decorators';
import { envelope, Envelope, Page } from '../common/http/envelope';
import { PageQueryDto } from '../common/http/page-query.dto';
import { CourierDto, CreateCourierDto } from './courier.dto';
import { CouriersService } from './couriers.service';

@ApiTags('couriers')
@Controller('couriers')
export class CouriersController {
  constructor(private readonly service: CouriersService) {}

  /** Creates a courier account (admin only). */
  @Post()
  @HttpCode(201)
  @Permissions(Permission.AccountManage)
  async create(@Body() dto: CreateCourierDto): Promise<Envelope<CourierDto>> {
    return envelope(await this.service.create(dto), 'courier created', 201);
  }

  /** Lists courier accounts (admin only). */
  @Get()
  @Permissions(Permission.AccountManage)
  async list(@Query() query: PageQueryDto): Promise<Envelope<Page<CourierDto>>> {
    return envelope(await this.service.list(query));
  }
}
