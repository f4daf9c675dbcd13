import {
  BadRequestException,
  CallHandler,
  ExecutionContext,
  HttpException,
  Inject,
  Injectable,
  NestInterceptor,
} from '@nestjs/common';
import { json, Request, RequestHandler, Response } from 'express';
import { Observable } from 'rxjs';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { findUnsafeString, unsafeStringMessage } from '../validation/string-safety';
import { ApiException } from './api.exception';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth';

/**
 * Routes whose JSON body may be as large as an upload (the one-shot import of API.md §5): each reads its own
 * body, as a stream, with an interceptor of its own.
 */
export const LARGE_JSON_ROUTES = ['/api/customers/import'];

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

/** The answer to a body that cannot be read, or undefined for an error that is not the body's. */
function bodyError(error: BodyParserError): HttpException | undefined {
  switch (error.type) {
    case 'entity.too.large':
      return new HttpException('request body is too large', 413);
    case 'entity.parse.failed':
      return new BadRequestException('malformed JSON body');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpException('unsupported body encoding', 415);
    case 'request.aborted':
      return new BadRequestException('request aborted');
    default:
      return error.status && error.status >= 400 && error.status < 500
        ? new HttpException('bad request body', error.status)
        : undefined;
  }
}

/**
 * Global: reads a JSON body after the guards, so that nobody is made to wait while a body is read for a
 * caller without a token or without the permission (401 and 403 come first, the body unread), and checks
 * its strings. Every route takes 1 MiB (`HTTP_JSON_BODY_LIMIT`), except the {@link LARGE_JSON_ROUTES}, which
 * read their own. Each error is answered in the route's own shape by its exception filter.
 */
@Injectable()
export class JsonBodyInterceptor implements NestInterceptor {
  private readonly parse: RequestHandler;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.parse = json({ limit: config.http.jsonBodyLimit });
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const req = context.switchToHttp().getRequest<Request>();
    if (context.getType() === 'http' && !LARGE_JSON_ROUTES.includes(req.path)) {
      const res = context.switchToHttp().getResponse<Response>();
      await new Promise<void>((resolve, reject) =>
        this.parse(req, res, (error?: unknown) => {
          if (error === undefined) return resolve();
          reject(bodyError(error as BodyParserError) ?? (error as Error));
        }),
      );
      // Every JSON body of the API is an object; say so rather than "property 0 should not exist".
      // Deep nesting would overflow the stack of validation; no body of the API nests more than a few levels.
      if (nestsDeeperThan(req.body)) {
        throw new BadRequestException(`the JSON body is nested more than ${MAX_JSON_DEPTH} levels deep`);
      }
      // A NUL or a lone surrogate in any string is a 400 naming the field.
      const unsafe = findUnsafeString(req.body);
      if (unsafe) throw new ApiException(400, unsafeStringMessage(unsafe), { errors: [unsafe] });
      if (Array.isArray(req.body))
        throw new BadRequestException('the JSON body must be an object, not an array');
    }
    return next.handle();
  }
}
