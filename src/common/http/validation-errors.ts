import { HttpStatus, ValidationError } from '@nestjs/common';
import { ApiException } from './api.exception';

export interface FieldError {
  field: string;
  message: string;
}

function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Turns class-validator errors into a 400 that names each field. */
export function validationErrorFactory(errors: ValidationError[]): ApiException {
  const fields = flatten(errors);
  const summary = fields
    .slice(0, 3)
    .map((f) => f.message)
    .join('; ');
  return new ApiException(HttpStatus.BAD_REQUEST, `validation failed: ${summary}`, { errors: fields });
}
