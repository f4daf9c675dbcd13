import { Type } from '@nestjs/common';
import { ApiExtraModels, DECORATORS, getSchemaPath, ReferenceObject, SchemaObject } from '@nestjs/swagger';
import { ErrorBodyDto } from '../http/error-body.dto';

type Schema = SchemaObject | ReferenceObject;

export interface Answer {
  description: string;
  /** A model (documented by reference) or a schema. */
  schema: Type | Schema;
  /** The models a schema refers to, so that they are documented too. */
  models?: Type[];
  example?: unknown;
  examples?: Record<string, { summary: string; value: unknown }>;
  /** `application/json` unless given. */
  mediaType?: string;
}

const schemaOf = (schema: Type | Schema): Schema =>
  typeof schema === 'function' ? { $ref: getSchemaPath(schema) } : schema;

/**
 * Documents one answer of a route or of every route of a controller: its description, schema and example.
 *
 * `@ApiResponse` merges two entries of the same status: it joins their descriptions and a later entry
 * without a model drops the model of the earlier one. This replaces the entry instead; with `fallback` it
 * only documents an answer that nothing else documented, whatever the order of the decorators (the
 * envelope 401/403 of the auth decorators, which the one-shot and courier imports document otherwise).
 */
export function ApiAnswer(
  status: number,
  answer: Answer,
  { fallback = false }: { fallback?: boolean } = {},
): MethodDecorator & ClassDecorator {
  const models = [...(typeof answer.schema === 'function' ? [answer.schema] : []), ...(answer.models ?? [])];
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const holder = (descriptor ? descriptor.value : target) as object;
    const responses = (Reflect.getMetadata(DECORATORS.API_RESPONSE, holder) ?? {}) as Record<string, unknown>;
    if (!(fallback && responses[status])) {
      // A fresh entry for every route it documents: the explorer must not see one object twice.
      const media: Record<string, unknown> = { schema: schemaOf(answer.schema) };
      if (answer.example !== undefined) media.example = answer.example;
      if (answer.examples) media.examples = answer.examples;
      const entry = {
        description: answer.description,
        content: { [answer.mediaType ?? 'application/json']: media },
      };
      Reflect.defineMetadata(DECORATORS.API_RESPONSE, { ...responses, [status]: entry }, holder);
    }
    if (models.length > 0) {
      if (descriptor && key !== undefined) ApiExtraModels(...models)(target, key, descriptor);
      else ApiExtraModels(...models)(target);
    }
    return descriptor ?? target;
  }) as MethodDecorator & ClassDecorator;
}

/** `{code, message, data}` around a model, a page of models, or a schema (API.md §7). */
export function envelopeSchema(status: number, message: string, data: Type | Schema): SchemaObject {
  return {
    type: 'object',
    required: ['code', 'message', 'data'],
    properties: {
      code: { type: 'integer', example: status },
      message: { type: 'string', example: message },
      data: schemaOf(data),
    },
  };
}

/** `{items, total, offset, limit}` of a list (API.md §7). */
export function pageSchema(item: Type): SchemaObject {
  return {
    type: 'object',
    required: ['items', 'total', 'offset', 'limit'],
    properties: {
      items: { type: 'array', items: { $ref: getSchemaPath(item) } },
      total: { type: 'integer', description: 'Items matching, across all pages.', example: 1 },
      offset: { type: 'integer', example: 0 },
      limit: { type: 'integer', example: 50 },
    },
  };
}

export interface EnvelopeAnswer {
  description: string;
  /** The envelope's `message`. */
  message: string;
  /** An example of `data`, when the examples of the model's properties do not tell enough. */
  example?: unknown;
}

/** A success answer in the envelope: `data` is the model, or a page of it with `page`. */
export const ApiEnvelope = (
  status: number,
  model: Type,
  { description, message, example, page = false }: EnvelopeAnswer & { page?: boolean },
) =>
  ApiAnswer(status, {
    description,
    schema: envelopeSchema(status, message, page ? pageSchema(model) : model),
    models: [model],
    example: example === undefined ? undefined : { code: status, message, data: example },
  });

/** An error answer in the envelope of API.md §8, with an example message. */
export const ApiError = (
  status: number,
  description: string,
  message: string,
  data: unknown = null,
  options: { fallback?: boolean } = {},
) =>
  ApiAnswer(status, { description, schema: ErrorBodyDto, example: { code: status, message, data } }, options);

/**
 * 400 for a body or query that does not pass validation, with one field's problem: a code of the field rules
 * (`required`: "validation failed: first_name required") or a sentence of the type checks ("email must be a
 * string", which names its field).
 */
export const ApiValidationError = (field: string, problem: string) =>
  ApiError(
    400,
    'A malformed body or query: `data.errors` names each field',
    `validation failed: ${problem.includes(' ') ? problem : `${field} ${problem}`}`,
    { errors: [{ field, message: problem }] },
  );

/** 400 for a path id that is not a uuid. */
export const ApiInvalidId = () =>
  ApiError(400, 'An id that is not a uuid', 'Validation failed (uuid is expected)');
