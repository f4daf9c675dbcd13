import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import { Permission } from '../auth/permissions';
import { ApiEnvelope, ApiError, ApiValidationError } from '../common/decorators/api-docs.decorators';
import { Permissions } from '../common/decorators/auth.decorators';
import { envelope, Envelope, Page } from '../common/http/envelope';
import { PageQueryDto } from '../common/http/page-query.dto';
import { CreateUserDto, UpdateUserDto, UserDto } from './user.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly service: UsersService) {}

  /** Creates a user account (admin only). A courier user needs an existing `courier_id`. */
  @Post()
  @HttpCode(201)
  @Permissions(Permission.AccountManage)
  @ApiEnvelope(201, UserDto, { description: 'The user', message: 'user created' })
  @ApiValidationError('password', 'password must be longer than or equal to 8 characters')
  @ApiError(404, 'The courier_id is not a courier', 'courier not found', {
    errors: [{ field: 'courier_id', message: 'not_found' }],
  })
  @ApiError(409, 'A user with this email exists', 'a user with this email already exists', {
    errors: [{ field: 'email', message: 'already_exists' }],
  })
  async create(@Body() dto: CreateUserDto): Promise<Envelope<UserDto>> {
    return envelope(await this.service.create(dto), 'user created', 201);
  }

  /** Lists user accounts (admin only). */
  @Get()
  @Permissions(Permission.AccountManage)
  @ApiEnvelope(200, UserDto, { description: 'A page of users, by email', message: 'ok', page: true })
  @ApiValidationError('limit', 'limit must not be greater than 500')
  async list(@Query() query: PageQueryDto): Promise<Envelope<Page<UserDto>>> {
    return envelope(await this.service.list(query));
  }

  /**
   * Changes a user's role or courier, or disables (or re-enables) it (admin only). Every token the user
   * holds stops working at once.
   */
  @Patch(':id')
  @Permissions(Permission.AccountManage)
  @ApiEnvelope(200, UserDto, { description: 'The user as changed', message: 'user updated' })
  @ApiValidationError('role', 'role must be one of the following values: admin, manager, courier')
  @ApiError(404, 'No such user, or the courier_id is not a courier', 'user not found')
  async update(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() dto: UpdateUserDto,
  ): Promise<Envelope<UserDto>> {
    return envelope(await this.service.update(id.toLowerCase(), dto), 'user updated');
  }

  /** Deletes a user (admin only). Every token the user holds stops working at once. */
  @Delete(':id')
  @HttpCode(204)
  @Permissions(Permission.AccountManage)
  @ApiResponse({ status: 204, description: 'The user is deleted' })
  @ApiError(404, 'No such user', 'user not found')
  async remove(@Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    await this.service.remove(id.toLowerCase());
  }
}
