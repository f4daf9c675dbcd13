import { INestApplication, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { IS_PUBLIC, PERMISSIONS } from '../../src/common/decorators/auth.decorators';

const join = (...parts: string[]) =>
  `/${parts
    .map((p) => p.replace(/^\/|\/$/g, ''))
    .filter(Boolean)
    .join('/')}`;

/** `METHOD /path -> access` for every route of the application, sorted. */
export function listRoutes(app: INestApplication): string[] {
  const lines: string[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: unknown[]) => unknown) | null;
      if (!controller) continue;
      const base = (Reflect.getMetadata(PATH_METADATA, controller) as string | undefined) ?? '';
      const proto = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = proto[name];
        if (
          name === 'constructor' ||
          typeof handler !== 'function' ||
          Reflect.getMetadata(PATH_METADATA, handler) === undefined
        )
          continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const path = join('api', base, Reflect.getMetadata(PATH_METADATA, handler) as string);
        const isPublic =
          Reflect.getMetadata(IS_PUBLIC, handler) ?? Reflect.getMetadata(IS_PUBLIC, controller);
        const permissions: string[] =
          Reflect.getMetadata(PERMISSIONS, handler) ?? Reflect.getMetadata(PERMISSIONS, controller) ?? [];
        const access = isPublic
          ? 'public'
          : permissions.length
            ? permissions.join(' + ')
            : 'any authenticated user';
        lines.push(`${method} ${path} -> ${access}`);
      }
    }
  }
  return lines.sort();
}
