import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Permission } from '../auth/permissions';
import { ApiEnvelope, ApiValidationError } from '../common/decorators/api-docs.decorators';
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
  @ApiEnvelope(201, CourierDto, { description: 'The courier', message: 'courier created' })
  @ApiValidationError('name', 'name should not be empty')
  async create(@Body() dto: CreateCourierDto): Promise<Envelope<CourierDto>> {
    return envelope(await this.service.create(dto), 'courier created', 201);
  }

  /** Lists courier accounts (admin only). */
  @Get()
  @Permissions(Permission.AccountManage)
  @ApiEnvelope(200, CourierDto, { description: 'A page of couriers, by name', message: 'ok', page: true })
  @ApiValidationError('limit', 'limit must not be greater than 500')
  async list(@Query() query: PageQueryDto): Promise<Envelope<Page<CourierDto>>> {
    return envelope(await this.service.list(query));
  }
}
