import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import { ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser, Permission } from '../auth/permissions';
import { ApiEnvelope, ApiError, ApiValidationError } from '../common/decorators/api-docs.decorators';
import { CurrentUser, Permissions } from '../common/decorators/auth.decorators';
import { envelope, Envelope, Page } from '../common/http/envelope';
import { PageQueryDto } from '../common/http/page-query.dto';
import { CourierCustomerBodyDto, CourierCustomerDto } from './courier-customer.dto';
import { CourierCustomersService } from './courier-customers.service';

const USER_CODE_TAKEN = 'a customer with this user_code already exists in this courier';
const USER_CODE_TAKEN_DATA = { errors: [{ field: 'user_code', message: 'already_exists' }] };

@ApiTags('courier customers')
@Controller('couriers/:courierId/customers')
@ApiError(404, 'No such courier (or not the caller’s own), or no such customer in it', 'courier not found')
@ApiValidationError('first_name', 'required')
export class CourierCustomersController {
  constructor(private readonly service: CourierCustomersService) {}

  /** Lists a courier's customers by `user_code`; `search` looks in user_code, first_name and last_name. */
  @Get()
  @Permissions(Permission.CustomerAdd)
  @ApiEnvelope(200, CourierCustomerDto, { description: 'A page of customers', message: 'ok', page: true })
  async list(
    @CurrentUser() user: AuthUser,
    @Param('courierId', ParseUUIDPipe) courierId: string,
    @Query() query: PageQueryDto,
  ): Promise<Envelope<Page<CourierCustomerDto>>> {
    return envelope(await this.service.list(user, courierId, query));
  }

  /** Creates a customer of the courier. A courier user may only use its own courier. */
  @Post()
  @HttpCode(201)
  @Permissions(Permission.CustomerAdd)
  @ApiEnvelope(201, CourierCustomerDto, { description: 'The customer', message: 'courier customer created' })
  @ApiError(409, 'The user_code already exists in this courier', USER_CODE_TAKEN, USER_CODE_TAKEN_DATA)
  async create(
    @CurrentUser() user: AuthUser,
    @Param('courierId', ParseUUIDPipe) courierId: string,
    @Body() dto: CourierCustomerBodyDto,
  ): Promise<Envelope<CourierCustomerDto>> {
    return envelope(await this.service.create(user, courierId, dto), 'courier customer created', 201);
  }

  /** One customer of the courier. */
  @Get(':id')
  @Permissions(Permission.CustomerAdd)
  @ApiEnvelope(200, CourierCustomerDto, { description: 'The customer', message: 'ok' })
  async get(
    @CurrentUser() user: AuthUser,
    @Param('courierId', ParseUUIDPipe) courierId: string,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<Envelope<CourierCustomerDto>> {
    return envelope(await this.service.get(user, courierId, id));
  }

  /** Replaces a customer's fields (`user_code` included; an absent branch clears it). */
  @Put(':id')
  @Permissions(Permission.CustomerAdd)
  @ApiEnvelope(200, CourierCustomerDto, {
    description: 'The customer as replaced',
    message: 'courier customer updated',
  })
  @ApiError(409, 'The new user_code already exists in this courier', USER_CODE_TAKEN, USER_CODE_TAKEN_DATA)
  async update(
    @CurrentUser() user: AuthUser,
    @Param('courierId', ParseUUIDPipe) courierId: string,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: CourierCustomerBodyDto,
  ): Promise<Envelope<CourierCustomerDto>> {
    return envelope(await this.service.update(user, courierId, id, dto), 'courier customer updated');
  }

  /** Deletes a customer for good. */
  @Delete(':id')
  @HttpCode(204)
  @Permissions(Permission.CustomerAdd)
  @ApiNoContentResponse({ description: 'Deleted' })
  async remove(
    @CurrentUser() user: AuthUser,
    @Param('courierId', ParseUUIDPipe) courierId: string,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<void> {
    await this.service.remove(user, courierId, id);
  }
}
