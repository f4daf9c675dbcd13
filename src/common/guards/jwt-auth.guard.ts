import { ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { Request } from 'express';
import { AuthUser } from '../../auth/permissions';
import { UsersService } from '../../users/users.service';
import { IS_PUBLIC } from '../decorators/auth.decorators';

const REFUSED = 'missing, invalid or expired bearer token';

/**
 * Global: every route needs a valid bearer token unless it is marked `@Public()`.
 *
 * A token this service signed is honoured only while its user exists, is enabled, still has the token's
 * role and courier, and has not had its tokens ended since (`ver` = users.token_version). That is one
 * primary-key read per request, with no cache: a change takes effect on the next request. (The check is
 * here, not in the passport strategy, because passport keeps one strategy per process.)
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly users: UsersService,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    await (super.canActivate(context) as Promise<boolean>);
    const user = context.switchToHttp().getRequest<Request & { user?: AuthUser }>().user;
    if (!user) throw new UnauthorizedException(REFUSED);
    if (user.tokenVersion !== undefined) await this.assertActive(user);
    return true;
  }

  override handleRequest<TUser>(error: unknown, user: TUser | false): TUser {
    if (error || !user) throw new UnauthorizedException(REFUSED);
    return user;
  }

  private async assertActive(token: AuthUser): Promise<void> {
    const user = await this.users.tokenState(token.id.toLowerCase());
    if (
      !user ||
      user.disabled ||
      user.role !== token.role ||
      (user.courierId ?? null) !== token.courierId ||
      user.tokenVersion !== token.tokenVersion
    ) {
      throw new UnauthorizedException(REFUSED);
    }
  }
}
