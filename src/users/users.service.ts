import { HttpStatus, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Role } from '../auth/permissions';
import { APP_CONFIG, AppConfig } from '../config/config';
import { Courier } from '../couriers/courier.entity';
import { ApiException } from '../common/http/api.exception';
import { Page } from '../common/http/envelope';
import { likePattern, PageQueryDto } from '../common/http/page-query.dto';
import { hashPassword } from './password';
import { CreateUserDto, UserDto } from './user.dto';
import { User } from './user.entity';

export const toUserDto = (user: User): UserDto => ({
  id: user.id,
  email: user.email,
  role: user.role,
  courier_id: user.courierId,
  disabled: user.disabledAt !== null,
  created_at: user.createdAt,
});

@Injectable()
export class UsersService implements OnApplicationBootstrap {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(Courier) private readonly couriers: Repository<Courier>,
  ) {}

  async create(dto: CreateUserDto): Promise<UserDto> {
    const email = dto.email.trim().toLowerCase();
    const courierId = dto.courier_id?.toLowerCase() ?? null;
    await this.checkCourier(dto.role, courierId);
    const passwordHash = await hashPassword(dto.password);
    const inserted = await this.users
      .createQueryBuilder()
      .insert()
      .values({ email, passwordHash, role: dto.role, courierId })
      .orIgnore()
      .returning('*')
      .execute();
    const rows = inserted.raw as Record<string, unknown>[];
    if (rows.length === 0) {
      throw new ApiException(HttpStatus.CONFLICT, 'a user with this email already exists', {
        errors: [{ field: 'email', message: 'already_exists' }],
      });
    }
    const row = rows[0];
    return {
      id: row.id as string,
      email,
      role: dto.role,
      courier_id: courierId,
      disabled: false,
      created_at: row.created_at as Date,
    };
  }

  /** A courier user needs an existing courier, and no other role may have one. */
  async checkCourier(role: Role, courierId: string | null): Promise<void> {
    if (role === Role.Courier && !courierId) {
      throw new ApiException(HttpStatus.BAD_REQUEST, 'courier_id is required for a courier user', {
        errors: [{ field: 'courier_id', message: 'required' }],
      });
    }
    if (role !== Role.Courier && courierId) {
      throw new ApiException(HttpStatus.BAD_REQUEST, 'courier_id is only allowed for a courier user', {
        errors: [{ field: 'courier_id', message: 'invalid_value' }],
      });
    }
    if (courierId && !(await this.couriers.existsBy({ id: courierId }))) {
      throw new ApiException(HttpStatus.NOT_FOUND, 'courier not found', {
        errors: [{ field: 'courier_id', message: 'not_found' }],
      });
    }
  }

  async list(query: PageQueryDto): Promise<Page<UserDto>> {
    const builder = this.users.createQueryBuilder('u').orderBy('u.email');
    if (query.search) builder.where('u.email ILIKE :search', { search: likePattern(query.search) });
    const [items, total] = await builder.skip(query.offset).take(query.limit).getManyAndCount();
    return { items: items.map(toUserDto), total, offset: query.offset, limit: query.limit };
  }

  /** The user with its password hash, for login. */
  findForLogin(email: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.email = :email', { email: email.trim().toLowerCase() })
      .getOne();
  }

  onApplicationBootstrap(): Promise<void> {
    return this.bootstrapAdmin(this.config.admin);
  }

  /** Creates the first admin from ADMIN_EMAIL/ADMIN_PASSWORD when there is no user at all. */
  async bootstrapAdmin(admin: { email: string; password: string } | undefined): Promise<void> {
    if (!admin || (await this.users.exists())) return;
    await this.users
      .createQueryBuilder()
      .insert()
      .values({ email: admin.email, passwordHash: await hashPassword(admin.password), role: Role.Admin })
      .orIgnore()
      .execute();
    this.logger.log(`created the first admin user ${admin.email}`);
  }
}
