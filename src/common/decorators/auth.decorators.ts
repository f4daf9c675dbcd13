import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { Request } from 'express';
import { AuthUser, Permission } from '../../auth/permissions';
import { ApiError } from './api-docs.decorators';

export const IS_PUBLIC = 'rowgate:public';
export const PERMISSIONS = 'rowgate:permissions';

/** Opens a route to callers without a token. Every other route needs one. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/**
 * The caller must hold every listed permission. Also declares the bearer scheme in Swagger, and the 401 and
 * 403 answers in the envelope (unless the route documents its own error bodies).
 */
export const Permissions = (...permissions: Permission[]) =>
  applyDecorators(
    SetMetadata(PERMISSIONS, permissions),
    Authenticated(),
    ApiError(
      403,
      `Missing permission: ${permissions.join(', ')}`,
      `missing permission: ${permissions.join(', ')}`,
      null,
      { fallback: true },
    ),
  );

/** Any authenticated caller (no particular permission). Declares the bearer scheme and the 401 in Swagger. */
export const Authenticated = () =>
  applyDecorators(
    ApiBearerAuth(),
    ApiError(401, 'No valid bearer token', 'missing, invalid or expired bearer token', null, {
      fallback: true,
    }),
  );

/** The authenticated caller of this request. */
export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthUser => {
  return ctx.switchToHttp().getRequest<Request & { user: AuthUser }>().user;
});
