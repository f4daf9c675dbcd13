import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuthUser, Role } from '../auth/permissions';
import { ApiException } from '../common/http/api.exception';
import { UpdateUserDto, UserDto } from './user.dto';
import { User } from './user.entity';
import { toUserDto, UsersService } from './users.service';

const notFound = () => new ApiException(HttpStatus.NOT_FOUND, 'user not found');

/**
 * An admin's changes to accounts: role, courier, disabled, and deletion. Each one ends the user's tokens at
 * once (the account version that every token names is bumped, or the account is gone). An admin may not
 * demote, disable or delete their own account, so that the service always keeps an admin who made the change.
 */
@Injectable()
export class UserChangesService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly accounts: UsersService,
  ) {}

  async update(id: string, dto: UpdateUserDto, actor: AuthUser): Promise<UserDto> {
    const user = await this.users.findOneBy({ id });
    if (!user) throw notFound();
    const role = dto.role ?? user.role;
    const courierId =
      dto.courier_id !== undefined
        ? (dto.courier_id?.toLowerCase() ?? null)
        : role === Role.Courier
          ? user.courierId
          : null;
    if (id === actor.id && (role !== user.role || dto.disabled === true)) {
      throw new ApiException(HttpStatus.CONFLICT, 'an admin cannot demote or disable their own account');
    }
    await this.accounts.checkCourier(role, courierId);
    const disabledAt =
      dto.disabled === undefined ? user.disabledAt : dto.disabled ? (user.disabledAt ?? new Date()) : null;
    await this.users
      .createQueryBuilder()
      .update()
      .set({
        role,
        courierId,
        disabledAt,
        tokenVersion: () => 'token_version + 1',
        updatedAt: () => 'now()',
      })
      .where('id = :id', { id })
      .execute();
    const updated = await this.users.findOneByOrFail({ id });
    return toUserDto(updated);
  }

  async remove(id: string, actor: AuthUser): Promise<void> {
    if (id === actor.id)
      throw new ApiException(HttpStatus.CONFLICT, 'an admin cannot delete their own account');
    const result = await this.users.delete({ id });
    if (!result.affected) throw notFound();
  }
}
