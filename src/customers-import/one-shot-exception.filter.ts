import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { Request, Response } from 'express';
import { RawBodyException } from '../common/http/api.exception';
import { ImportException, ImportExceptionCode } from '../import-session/import.exception';
import { FAILED } from './one-shot-import.service';

/**
 * Errors of the one-shot import keep the bodies of its own contract (API.md §5): `{error}` or
 * `{error, errors}`, never the envelope. A file the import core refuses as a whole is a 400 (413 when it has
 * too many rows) naming the problem. Also catches the guards' 401/403.
 */
@Catch()
export class OneShotExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('OneShotImport');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const req = host.switchToHttp().getRequest<Request & { id?: string }>();
    if (exception instanceof RawBodyException) {
      res.status(exception.getStatus()).json(exception.getResponse());
    } else if (exception instanceof ImportException) {
      const status = exception.code === ImportExceptionCode.FILE_TOO_LARGE ? 413 : 400;
      res.status(status).json({ error: FAILED, errors: [{ message: exception.message }] });
    } else if (exception instanceof HttpException) {
      const body = exception.getResponse();
      const message = typeof body === 'string' ? body : (body as { message?: unknown }).message;
      const error = Array.isArray(message)
        ? message.join('; ')
        : typeof message === 'string'
          ? message
          : exception.message;
      res.status(exception.getStatus()).json({ error });
    } else {
      this.logger.error({ requestId: req.id, err: exception }, 'one-shot import failed');
      res
        .status(500)
        .json({ error: 'Import failed while writing customers; nothing was written.', errors: [] });
    }
  }
}
