import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Request } from 'express';
import { AuthUser, Permission } from '../../auth/permissions';

export const IS_PUBLIC = 'rowgate:public';
export const PERMISSIONS = 'rowgate:permissions';

/** Opens a route to callers without a token. Every other route needs one. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The caller must hold every listed permission. Also declares the bearer scheme in Swagger. */
export const Permissions = (...permissions: Permission[]) =>
  applyDecorators(
    SetMetadata(PERMISSIONS, permissions),
    Authenticated(),
    ApiForbiddenResponse({ description: `Missing permission: ${permissions.join(', ')}` }),
  );

/** Any authenticated caller (no particular permission). Declares the bearer scheme in Swagger. */
export const Authenticated = () =>
  applyDecorators(ApiBearerAuth(), ApiUnauthorizedResponse({ description: 'No valid bearer token' }));

/** The authenticated caller of this request. */
export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthUser => {
  return ctx.switchToHttp().getRequest<Request & { user: AuthUser }>().user;
});
