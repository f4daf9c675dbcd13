import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Request } from 'express';
import { AuthUser, hasPermission, Permission } from '../../auth/permissions';
import { IS_PUBLIC, PERMISSIONS } from '../decorators/auth.decorators';

/** Global: the caller's role must grant every permission the route names with `@Permissions()`. */
@Injectable()
export class PermissionsGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const required = this.reflector.getAllAndOverride<Permission[]>(PERMISSIONS, targets) ?? [];
    const user = context.switchToHttp().getRequest<Request & { user?: AuthUser }>().user;
    const missing = required.filter((permission) => !user || !hasPermission(user.role, permission));
    if (missing.length > 0) throw new ForbiddenException(`missing permission: ${missing.join(', ')}`);
    return true;
  }
}
