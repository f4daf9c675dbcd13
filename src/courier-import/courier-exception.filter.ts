import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import { Request, Response } from 'express';
import { AllExceptionsFilter } from '../common/filters/all-exceptions.filter';
import { RawBodyException } from '../common/http/api.exception';
import { DomainException, setErrorHeaders } from '../common/http/domain.exception';

/**
 * Errors of the courier import keep the body of its contract (API.md §6): `{status: "error", message, errors}`.
 * Row problems come as {@link RawBodyException}s; anything else (401, 403, 404, 413, 503, 500) is rendered
 * by the global filter's rules and reshaped.
 */
@Catch()
export class CourierExceptionFilter implements ExceptionFilter {
  private readonly global = new AllExceptionsFilter();

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof RawBodyException) {
      res.status(exception.getStatus()).json(exception.getResponse());
      return;
    }
    const { status, body } = this.global.render(exception, host.switchToHttp().getRequest<Request>());
    const { message, data } = body as { message?: string; data?: { errors?: unknown[] } | null };
    const coded = exception instanceof HttpException || exception instanceof DomainException;
    const errors = coded && Array.isArray(data?.errors) ? data.errors : [];
    setErrorHeaders(res, exception);
    res.status(status ?? HttpStatus.INTERNAL_SERVER_ERROR).json({ status: 'error', message, errors });
  }
}
