import { HttpStatus, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Role } from '../auth/permissions';
import { APP_CONFIG, AppConfig } from '../config/config';
import { Courier } from '../couriers/courier.entity';
import { ApiException, notFound } from '../common/http/api.exception';
import { Page } from '../common/http/envelope';
import { likePattern, PageQueryDto } from '../common/http/page-query.dto';
import { hashPassword } from './password';
import { passwordProblem } from './password-policy';
import { CreateUserDto, UpdateUserDto, UserDto } from './user.dto';
import { User } from './user.entity';

export const toUserDto = (user: User): UserDto => ({
  id: user.id,
  email: user.email,
  role: user.role,
  courier_id: user.courierId,
  disabled: user.disabled,
  created_at: user.createdAt,
});

/** What a token is checked against on each request. */
export type TokenState = Pick<User, 'role' | 'courierId' | 'disabled' | 'tokenVersion'>;

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
    if (dto.role === Role.Courier && !courierId) {
      throw new ApiException(HttpStatus.BAD_REQUEST, 'courier_id is required for a courier user', {
        errors: [{ field: 'courier_id', message: 'required' }],
      });
    }
    if (dto.role !== Role.Courier && courierId) {
      throw new ApiException(HttpStatus.BAD_REQUEST, 'courier_id is only allowed for a courier user', {
        errors: [{ field: 'courier_id', message: 'invalid_value' }],
      });
    }
    if (courierId && !(await this.couriers.existsBy({ id: courierId }))) {
      throw new ApiException(HttpStatus.NOT_FOUND, 'courier not found', {
        errors: [{ field: 'courier_id', message: 'not_found' }],
      });
    }
    const problem = passwordProblem(dto.password);
    if (problem) {
      throw new ApiException(HttpStatus.BAD_REQUEST, problem, {
        errors: [{ field: 'password', message: problem }],
      });
    }
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

  tokenState(id: string): Promise<TokenState | null> {
    return this.users.findOne({
      where: { id },
      select: { role: true, courierId: true, disabled: true, tokenVersion: true },
    });
  }

  /**
   * Changes a user's role, courier or disabled flag. Any change ends the user's tokens at once: its
   * token version is raised, and tokens carrying the old one are refused.
   */
  async update(id: string, dto: UpdateUserDto): Promise<UserDto> {
    const user = await this.users.findOneBy({ id });
    if (!user) throw notFound('user');
    const role = dto.role ?? user.role;
    const courierId =
      dto.courier_id !== undefined
        ? (dto.courier_id?.toLowerCase() ?? null)
        : role === Role.Courier
          ? user.courierId
          : null;
    await this.assertCourierFits(role, courierId);
    const result = await this.users
      .createQueryBuilder()
      .update()
      .set({
        role,
        courierId,
        disabled: dto.disabled ?? user.disabled,
        tokenVersion: () => 'token_version + 1',
      })
      .where('id = :id', { id })
      .returning('*')
      .execute();
    const rows = result.raw as Record<string, unknown>[];
    if (rows.length === 0) throw notFound('user');
    return {
      id,
      email: user.email,
      role,
      courier_id: courierId,
      disabled: rows[0].disabled as boolean,
      created_at: user.createdAt,
    };
  }

  /** Deletes a user; its tokens are refused from the next request on. */
  async remove(id: string): Promise<void> {
    const result = await this.users.delete({ id });
    if (!result.affected) throw notFound('user');
  }

  private async assertCourierFits(role: Role, courierId: string | null): Promise<void> {
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

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.users.update({ id }, { passwordHash });
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
