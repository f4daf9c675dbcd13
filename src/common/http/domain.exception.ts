import { HttpStatus } from '@nestjs/common';

/**
 * An error of a domain, named by a stable code, with a message a person can act on and optional details.
 * Each domain maps its codes to HTTP statuses once (`httpStatus`); each answer shape (the
 * `{code, message, data}` envelope, or a contract's own body) is rendered from that by its filter.
 */
export abstract class DomainException<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly data: Record<string, unknown> | null = null,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** The HTTP status of the code. */
  abstract get httpStatus(): HttpStatus;
}
