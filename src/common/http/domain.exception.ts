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

  /** Headers of the answer (`Retry-After` of a 429), whatever its body's shape. */
  get headers(): Record<string, string> {
    return {};
  }
}

/** Sets the {@link DomainException.headers} of an error on its answer. */
export function setErrorHeaders(
  res: { setHeader(name: string, value: string): unknown },
  error: unknown,
): void {
  if (!(error instanceof DomainException)) return;
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
}
