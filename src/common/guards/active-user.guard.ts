import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuthUser, Role } from '../../auth/permissions';

interface AccountRow {
  role: Role;
  courier_id: string | null;
  token_version: number;
}

/**
 * Global, after the token is verified: a token of this service stands only while its account does. Its user
 * must exist, be enabled, and still have the token's role, courier and account version: an admin's change of
 * role or courier, disabling or deleting the user ends its tokens at the next request. One primary key
 * look-up per request, not cached. Tokens of an external identity provider (no `ver`) keep their own
 * lifecycle.
 */
@Injectable()
export class ActiveUserGuard implements CanActivate {
  constructor(private readonly dataSource: DataSource) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    if (user?.tokenVersion === undefined) return true;
    const [account] = await this.dataSource.query<AccountRow[]>(
      `SELECT role, courier_id, token_version FROM users WHERE id = $1 AND disabled_at IS NULL`,
      [user.id],
    );
    if (
      account === undefined ||
      account.role !== user.role ||
      (account.courier_id ?? null) !== user.courierId ||
      account.token_version !== user.tokenVersion
    ) {
      throw new UnauthorizedException('missing, invalid or expired bearer token');
    }
    return true;
  }
}
