import { applyDecorators, Type } from '@nestjs/common';
import { ApiNoContentResponse } from '@nestjs/swagger';
import {
  ApiEnvelope,
  ApiError,
  ApiInvalidId,
  ApiValidationError,
} from '../common/decorators/api-docs.decorators';

/** The Swagger answers of the customers and distributors REST routes, which share their shape. */
export function organizationDocs(label: 'customer' | 'distributor', model: Type) {
  const notFound = () => ApiError(404, `No such ${label}`, `${label} not found`);
  const invalid = () => ApiValidationError('company_name', 'required');
  return {
    list: () =>
      applyDecorators(
        ApiEnvelope(200, model, {
          description: `A page of ${label}s, by company name`,
          message: 'ok',
          page: true,
        }),
        ApiValidationError('limit', 'limit must not be greater than 500'),
      ),
    get: () =>
      applyDecorators(
        ApiEnvelope(200, model, { description: `The ${label}`, message: 'ok' }),
        ApiInvalidId(),
        notFound(),
      ),
    create: () =>
      applyDecorators(
        ApiEnvelope(201, model, { description: `The ${label}`, message: `${label} created` }),
        invalid(),
      ),
    update: () =>
      applyDecorators(
        ApiEnvelope(200, model, { description: `The ${label} as replaced`, message: `${label} updated` }),
        invalid(),
        notFound(),
      ),
    archive: () =>
      applyDecorators(ApiNoContentResponse({ description: 'Archived' }), ApiInvalidId(), notFound()),
  };
}
