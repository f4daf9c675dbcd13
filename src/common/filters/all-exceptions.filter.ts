import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { Request, Response } from 'express';
import { ApiException, RawBodyException } from '../http/api.exception';
import { DomainException, setErrorHeaders } from '../http/domain.exception';
import { isDatabaseUnavailable } from './database-errors';

export interface ErrorBody {
  code: number;
  message: string;
  data: unknown;
}

const STATUS_MESSAGES: Partial<Record<number, string>> = {
  400: 'bad request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not found',
  405: 'method not allowed',
  409: 'conflict',
  413: 'payload too large',
  415: 'unsupported media type',
  429: 'too many requests',
};

/** Turns an HttpException's response into a message and details, without leaking internals. */
function describe(exception: HttpException): { message: string; data: unknown } {
  if (exception instanceof ApiException) return { message: exception.message, data: exception.data };
  const status = exception.getStatus();
  const response = exception.getResponse();
  if (typeof response === 'string') return { message: response, data: null };
  const body = response as { message?: unknown; data?: unknown };
  if (Array.isArray(body.message)) {
    return { message: 'validation failed', data: { errors: body.message as unknown[] } };
  }
  const message = typeof body.message === 'string' ? body.message : (STATUS_MESSAGES[status] ?? 'error');
  return { message, data: body.data ?? null };
}

/**
 * What the log keeps of an unexpected error: its kind, code and message, never the SQL text or the query's
 * parameters (a database error carries both, and they hold customer data and passwords).
 */
export function describeUnexpected(exception: unknown): Record<string, unknown> {
  if (!(exception instanceof Error)) return { message: String(exception) };
  const code = (exception as { code?: unknown }).code;
  const stack = exception.stack?.split('\n').slice(1, 8).join('\n');
  return {
    type: exception.name,
    code: typeof code === 'string' ? code : undefined,
    message: exception.message,
    stack,
  };
}

/**
 * The one exception filter of the service. Every error leaves as `{code, message, data}` (or the raw body of
 * a {@link RawBodyException}); no stack, SQL text or file path is ever returned. Unexpected errors are logged
 * with the request id and answered `500 internal server error`; a database that cannot be reached is a 503.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const response = ctx.getResponse<Response>();
    const request = ctx.getRequest<Request & { id?: string }>();
    const { status, body } = this.render(exception, request);
    if (response.headersSent) {
      response.end();
      return;
    }
    setErrorHeaders(response, exception);
    response.status(status).json(body);
  }

  render(exception: unknown, request: { id?: unknown }): { status: number; body: unknown } {
    if (exception instanceof RawBodyException) {
      return { status: exception.getStatus(), body: exception.getResponse() };
    }
    if (exception instanceof DomainException) {
      const status = exception.httpStatus;
      return { status, body: { code: status, message: exception.message, data: exception.data } };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const { message, data } = describe(exception);
      return { status, body: { code: status, message, data } satisfies ErrorBody };
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn({ requestId: request.id, err: String(exception) }, 'database unavailable');
      return {
        status: HttpStatus.SERVICE_UNAVAILABLE,
        body: { code: 503, message: 'the database is unavailable, try again shortly', data: null },
      };
    }
    this.logger.error({ requestId: request.id, err: describeUnexpected(exception) }, 'unhandled error');
    return { status: 500, body: { code: 500, message: 'internal server error', data: null } };
  }
}
