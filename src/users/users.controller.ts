import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Permission } from '../auth/permissions';
import { Permissions } from '../common/decorators/auth.decorators';
import { envelope, Envelope, Page } from '../common/http/envelope';
import { PageQueryDto } from '../common/http/page-query.dto';
import { CreateUserDto, UserDto } from './user.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly service: UsersService) {}

  /** Creates a user account (admin only). A courier user needs an existing `courier_id`. */
  @Post()
  @HttpCode(201)
  @Permissions(Permission.AccountManage)
  async create(@Body() dto: CreateUserDto): Promise<Envelope<UserDto>> {
    return envelope(await this.service.create(dto), 'user created', 201);
  }

  /** Lists user accounts (admin only). */
  @Get()
  @Permissions(Permission.AccountManage)
  async list(@Query() query: PageQueryDto): Promise<Envelope<Page<UserDto>>> {
    return envelope(await this.service.list(query));
  }
}
