import { HttpStatus } from '@nestjs/common';
import { DomainException } from '../common/http/domain.exception';

/** What can go wrong in an import, whatever the endpoint: the codes of {@link ImportException}. */
export enum ImportExceptionCode {
  /** The file cannot be read as CSV (encoding, quotes, limits of a record). */
  INVALID_FILE = 'INVALID_FILE',
  /** The file has more rows than the limit. */
  FILE_TOO_LARGE = 'FILE_TOO_LARGE',
  /** Two header cells name the same column. */
  DUPLICATED_COLUMN = 'DUPLICATED_COLUMN',
  /** The header lacks a required column. */
  MISSING_COLUMNS = 'MISSING_COLUMNS',
  /** A confirm's resolutions are not keyed by row number or do not name a UUID. */
  INVALID_RESOLUTIONS = 'INVALID_RESOLUTIONS',
  /** No session with this id that the caller may read. */
  SESSION_NOT_FOUND = 'SESSION_NOT_FOUND',
  /** The session to confirm does not exist (any more) or expired. */
  SESSION_EXPIRED = 'SESSION_EXPIRED',
  /** The session to confirm belongs to another user. */
  SESSION_OF_ANOTHER_USER = 'SESSION_OF_ANOTHER_USER',
  /** The session to confirm is an import of another entity. */
  SESSION_OF_ANOTHER_ENTITY = 'SESSION_OF_ANOTHER_ENTITY',
  /** The session was confirmed already. */
  ALREADY_CONFIRMED = 'ALREADY_CONFIRMED',
  /** Another confirm holds the session. */
  BEING_CONFIRMED = 'BEING_CONFIRMED',
  /** This confirm's claim on the session was taken over by another (its lease had lapsed). */
  CLAIM_LOST = 'CLAIM_LOST',
  /** The import is not `completed`: it cannot be reverted (API.md §10). */
  NOT_REVERTIBLE = 'NOT_REVERTIBLE',
  /** The user holds too many unconfirmed sessions or staged rows (`retry_after_seconds` in the data). */
  QUOTA_EXCEEDED = 'QUOTA_EXCEEDED',
  /** The client closed the connection before its answer: nobody reads this one. */
  CLIENT_GONE = 'CLIENT_GONE',
}

/** The HTTP status of each code: the one place where the core meets HTTP. */
const HTTP_STATUS: Record<ImportExceptionCode, HttpStatus> = {
  [ImportExceptionCode.INVALID_FILE]: HttpStatus.BAD_REQUEST,
  [ImportExceptionCode.FILE_TOO_LARGE]: HttpStatus.PAYLOAD_TOO_LARGE,
  [ImportExceptionCode.DUPLICATED_COLUMN]: HttpStatus.BAD_REQUEST,
  [ImportExceptionCode.MISSING_COLUMNS]: HttpStatus.BAD_REQUEST,
  [ImportExceptionCode.INVALID_RESOLUTIONS]: HttpStatus.BAD_REQUEST,
  [ImportExceptionCode.SESSION_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [ImportExceptionCode.SESSION_EXPIRED]: HttpStatus.BAD_REQUEST,
  [ImportExceptionCode.SESSION_OF_ANOTHER_USER]: HttpStatus.FORBIDDEN,
  [ImportExceptionCode.SESSION_OF_ANOTHER_ENTITY]: HttpStatus.BAD_REQUEST,
  [ImportExceptionCode.ALREADY_CONFIRMED]: HttpStatus.CONFLICT,
  [ImportExceptionCode.BEING_CONFIRMED]: HttpStatus.CONFLICT,
  [ImportExceptionCode.CLAIM_LOST]: HttpStatus.CONFLICT,
  [ImportExceptionCode.NOT_REVERTIBLE]: HttpStatus.CONFLICT,
  [ImportExceptionCode.QUOTA_EXCEEDED]: HttpStatus.TOO_MANY_REQUESTS,
  [ImportExceptionCode.CLIENT_GONE]: HttpStatus.BAD_REQUEST,
};

/** An error of the import core, with its code. */
export class ImportException extends DomainException<ImportExceptionCode> {
  get httpStatus(): HttpStatus {
    return HTTP_STATUS[this.code];
  }

  override get headers(): Record<string, string> {
    const retryAfter = this.data?.retry_after_seconds;
    return typeof retryAfter === 'number' ? { 'Retry-After': String(retryAfter) } : {};
  }
}
