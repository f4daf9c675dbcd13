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
import { ApiTags } from '@nestjs/swagger';
import { AuthUser, Permission } from '../auth/permissions';
import { ApiEnvelope, ApiError, ApiValidationError } from '../common/decorators/api-docs.decorators';
import { CurrentUser, Permissions } from '../common/decorators/auth.decorators';
import { envelope, Envelope, Page } from '../common/http/envelope';
import { PageQueryDto } from '../common/http/page-query.dto';
import { CreateUserDto, UpdateUserDto, UserDto } from './user.dto';
import { UserChangesService } from './user-changes.service';
import { UsersService } from './users.service';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(
    private readonly service: UsersService,
    private readonly changes: UserChangesService,
  ) {}

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
   * Changes a user's role or courier, or disables or enables the account (admin only). The user's tokens end
   * at once: the next request with any of them gets 401.
   */
  @Patch(':id')
  @Permissions(Permission.AccountManage)
  @ApiEnvelope(200, UserDto, { description: 'The user as changed', message: 'user updated' })
  @ApiValidationError('role', 'role must be one of the following values: admin, manager, courier')
  @ApiError(404, 'No such user, or the courier_id is not a courier', 'user not found')
  @ApiError(
    409,
    'An admin demoting or disabling their own account',
    'an admin cannot demote or disable their own account',
  )
  async update(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() dto: UpdateUserDto,
    @CurrentUser() actor: AuthUser,
  ): Promise<Envelope<UserDto>> {
    return envelope(await this.changes.update(id, dto, actor), 'user updated');
  }

  /** Deletes a user (admin only). The user's tokens end at once. */
  @Delete(':id')
  @HttpCode(204)
  @Permissions(Permission.AccountManage)
  @ApiError(404, 'No such user', 'user not found')
  @ApiError(409, 'An admin deleting their own account', 'an admin cannot delete their own account')
  async remove(@Param('id', new ParseUUIDPipe()) id: string, @CurrentUser() actor: AuthUser): Promise<void> {
    await this.changes.remove(id, actor);
  }
}
