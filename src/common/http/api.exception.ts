import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * An error with a status, a message a person can act on, and optional details. Rendered as the
 * `{code, message, data}` envelope by the global filter.
 */
export class ApiException extends HttpException {
  constructor(
    status: HttpStatus,
    message: string,
    readonly data: unknown = null,
  ) {
    super(message, status);
  }
}

/**
 * An error whose body is fixed by a contract other than the envelope (the one-shot import of API.md §5
 * and the courier import of §6). Rendered as given.
 */
export class RawBodyException extends HttpException {
  constructor(status: HttpStatus, body: Record<string, unknown>) {
    super(body, status);
  }
}

export const notFound = (what: string) => new ApiException(HttpStatus.NOT_FOUND, `${what} not found`);
