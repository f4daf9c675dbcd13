import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv from 'ajv';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/service-process';

/**
 * `openapi.json` is the document the code produces (so that an API change shows in review as a diff of it),
 * a valid OpenAPI document, and one a person can use in Swagger UI and a generator can turn into a client:
 * named operations, a schema and an example for every answer, a file picker for every upload.
 *
 * Built by the CLI of the build (`npm test` builds first): only `nest build` runs the Swagger plugin that
 * reads the DTOs' comments.
 */
const CLI = join(ROOT, 'dist', 'src', 'cli', 'openapi.js');
const FILE = join(ROOT, 'openapi.json');
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

const produce = (env: Record<string, string> = {}) =>
  execFileSync(process.execPath, [CLI, '--stdout'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
  });

function firstDifference(committed: string, produced: string): string {
  const a = committed.split('\n');
  const b = produced.split('\n');
  const line = a.findIndex((text, i) => text !== b[i]);
  const at = line === -1 ? Math.min(a.length, b.length) : line;
  return `line ${at + 1}:\n  committed: ${a[at] ?? '(end of file)'}\n  produced:  ${b[at] ?? '(end of file)'}`;
}

interface Operation {
  method: string;
  path: string;
  op: any;
}

const operationsOf = (document: any): Operation[] =>
  Object.entries(document.paths).flatMap(([path, item]: [string, any]) =>
    METHODS.filter((method) => item[method]).map((method) => ({ method, path, op: item[method] })),
  );

/** The places of a (dereferenced) schema that nothing gives an example for. */
function unexemplified(schema: any, at: string): string[] {
  if (!schema || schema.example !== undefined || schema.enum) return [];
  for (const key of ['allOf', 'oneOf', 'anyOf']) {
    if (schema[key]) return schema[key].flatMap((s: any) => unexemplified(s, at));
  }
  if (schema.type === 'array') return unexemplified(schema.items, `${at}[]`);
  if (schema.properties) {
    return Object.entries(schema.properties).flatMap(([name, s]) => unexemplified(s, `${at}.${name}`));
  }
  return [at];
}

/** OpenAPI 3.0's `nullable` as JSON Schema, for ajv. */
function jsonSchema(schema: any): any {
  if (Array.isArray(schema)) return schema.map(jsonSchema);
  if (!schema || typeof schema !== 'object') return schema;
  const { nullable, example: _example, ...rest } = schema;
  const converted = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, jsonSchema(v)]));
  return nullable ? { anyOf: [{ type: 'null' }, converted] } : converted;
}

/** Each example of a media type (request or answer): its name and value. */
const examplesOf = (media: any): [string, unknown][] => [
  ...(media.example !== undefined ? [['example', media.example] as [string, unknown]] : []),
  ...Object.entries(media.examples ?? {}).map(
    ([name, e]: [string, any]) => [name, e.value] as [string, unknown],
  ),
];

describe('the OpenAPI document (openapi.json)', () => {
  let produced: string;
  let document: any;
  /** The document with every $ref replaced by what it refers to. */
  let resolved: any;

  beforeAll(async () => {
    produced = produce();
    document = JSON.parse(produced);
    resolved = await SwaggerParser.dereference(structuredClone(document));
  });

  it('is committed as the code produces it', () => {
    const committed = existsSync(FILE) ? readFileSync(FILE, 'utf8') : '';
    if (committed !== produced) {
      throw new Error(
        `openapi.json is not what the code produces: run \`npm run openapi\` and commit openapi.json.\n` +
          (committed
            ? `First difference at ${firstDifference(committed, produced)}`
            : 'openapi.json is missing.'),
      );
    }
  });

  it('does not depend on the environment it is built in', () => {
    const elsewhere = produce({
      NODE_ENV: 'production',
      PORT: '9999',
      JWT_SECRET: 'another-secret-that-is-long-enough-for-hs256',
      DATA_DIR: '/nonexistent',
      IMPORT_MAX_FILE_SIZE: '1mb',
      IMPORT_RESPONSE_ROWS: '5',
      IMPORT_SESSION_TTL: '1m',
    });
    expect(elsewhere).toBe(produced);
  });

  it('is a valid OpenAPI document', async () => {
    await expect(SwaggerParser.validate(structuredClone(document))).resolves.toBeDefined();
  });

  it('names every operation in camelCase, once, under one tag of the document, with a summary', () => {
    const ops = operationsOf(document);
    const ids = ops.map(({ op }) => op.operationId);
    expect(ids.filter((id) => !/^[a-z][a-zA-Z0-9]*$/.test(id))).toEqual([]);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    const tags = document.tags.map((t: { name: string }) => t.name);
    const problems = ops.flatMap(({ method, path, op }) => [
      ...(op.tags?.length === 1 && tags.includes(op.tags[0]) ? [] : [`${method} ${path}: tags ${op.tags}`]),
      ...(op.summary ? [] : [`${method} ${path}: no summary`]),
    ]);
    expect(problems).toEqual([]);
    // Every tag of the document is used.
    expect(tags.filter((t: string) => !ops.some(({ op }) => op.tags.includes(t)))).toEqual([]);
    expect(ids).toEqual(
      expect.arrayContaining([
        'authLogin',
        'customersImportValidate',
        'customersImportConfirm',
        'customersImportOneShot',
        'importsGet',
        'importsRows',
        'importsErrorsCsv',
        'courierImportValidate',
        'courierImportConfirm',
        'courierImportOneShot',
      ]),
    );
  });

  it('documents every answer with a schema and an example, and 401 wherever a token is needed', () => {
    const problems = operationsOf(resolved).flatMap(({ method, path, op }) => {
      const where = `${method} ${path}`;
      const found: string[] = [];
      if (op.security && !op.responses['401']) found.push(`${where}: no 401`);
      for (const [status, answer] of Object.entries<any>(op.responses)) {
        if (status === '204') continue;
        const media = Object.entries<any>(answer.content ?? {});
        if (media.length === 0) found.push(`${where} ${status}: no content`);
        for (const [type, m] of media) {
          if (!m.schema) found.push(`${where} ${status} ${type}: no schema`);
          else if (examplesOf(m).length === 0) {
            found.push(...unexemplified(m.schema, `${where} ${status}`).map((p) => `${p}: no example`));
          }
        }
        if (!answer.description) found.push(`${where} ${status}: no description`);
      }
      return found;
    });
    expect(problems).toEqual([]);
  });

  it('gives every JSON body an example, and every upload a file picker and no placeholder text', () => {
    const uploads: string[] = [];
    const problems = operationsOf(resolved).flatMap(({ method, path, op }) => {
      const where = `${method} ${path}`;
      const content = op.requestBody?.content ?? {};
      const found: string[] = [];
      for (const [type, m] of Object.entries<any>(content)) {
        if (type === 'application/json') {
          if (examplesOf(m).length === 0) found.push(...unexemplified(m.schema, `${where} body`));
        } else if (type === 'multipart/form-data') {
          uploads.push(path);
          const { file, ...fields } = m.schema.properties;
          // A string field without format binary is a text box in Swagger UI, not a file picker.
          if (file?.type !== 'string' || file?.format !== 'binary' || !m.schema.required?.includes('file')) {
            found.push(`${where}: "file" is not a required binary field`);
          }
          // Without an example, Swagger UI fills a text field with the word "string", and sends it.
          for (const [name, field] of Object.entries<any>(fields)) {
            if (field.example === undefined) found.push(`${where}: field "${name}" has no example`);
          }
        } else {
          found.push(`${where}: unexpected body type ${type}`);
        }
      }
      return found;
    });
    expect(problems).toEqual([]);
    expect(uploads.sort()).toEqual([
      '/api/courier-customers/import',
      '/api/courier-customers/import/validate',
      '/api/customers/import/validate',
      '/api/distributors/import/validate',
    ]);
  });

  it('gives examples that match their schemas', () => {
    const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
    const problems = operationsOf(resolved).flatMap(({ method, path, op }) => {
      const bodies: [string, any][] = [
        ...Object.entries(op.requestBody?.content ?? {}).map(([t, m]) => [`body ${t}`, m] as [string, any]),
        ...Object.entries(op.responses).flatMap(([status, answer]: [string, any]) =>
          Object.entries(answer.content ?? {}).map(([t, m]) => [`${status} ${t}`, m] as [string, any]),
        ),
      ];
      return bodies.flatMap(([what, media]) => {
        const validate = ajv.compile(jsonSchema(media.schema));
        return examplesOf(media)
          .filter(([, value]) => !validate(value))
          .map(([name]) => `${method} ${path} ${what} ${name}: ${ajv.errorsText(validate.errors)}`);
      });
    });
    expect(problems).toEqual([]);
  });

  it('describes the downloads as text/csv or a workbook, and their errors as JSON', () => {
    const workbook = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
    for (const [path, types] of [
      ['/api/imports/{id}/errors.csv', ['text/csv']],
      ['/api/imports/{id}/errors.xlsx', [workbook]],
      ['/api/customers/import/template', ['text/csv', workbook]],
      ['/api/distributors/import/template', ['text/csv', workbook]],
    ] as const) {
      const responses = document.paths[path].get.responses;
      expect(Object.keys(responses['200'].content)).toEqual(types);
      expect(Object.keys(responses['401'].content)).toEqual(['application/json']);
    }
    expect(Object.keys(document.paths['/api/imports/{id}/errors.csv'].get.responses['404'].content)).toEqual([
      'application/json',
    ]);
  });

  it('documents the bodies of the one-shot (§5) and courier (§6) imports, not the envelope', () => {
    const schema = (path: string, status: string) =>
      resolved.paths[path].post.responses[status].content['application/json'].schema;
    const keys = (s: any) => Object.keys(s.properties).sort();

    const oneShot = '/api/customers/import';
    expect(keys(schema(oneShot, '200'))).toEqual(['count', 'created', 'errors', 'unchanged', 'updated']);
    expect(keys(schema(oneShot, '200').properties.errors.items)).toEqual(['index', 'message', 'name']);
    for (const status of ['400', '401', '403', '413', '500']) {
      expect(keys(schema(oneShot, status))).toEqual(['error', 'errors']);
    }
    const oneShotExamples =
      resolved.paths[oneShot].post.responses['400'].content['application/json'].examples;
    expect(oneShotExamples.rows.value.error).toBe('Import failed.');

    for (const path of ['/api/courier-customers/import', '/api/courier-customers/import/confirm']) {
      const success = schema(path, '200');
      expect(keys(success)).toEqual(['data', 'message', 'status']);
      expect(keys(success.properties.data)).toEqual([
        'created',
        'processed',
        'skipped_rows',
        'unchanged',
        'updated',
      ]);
      for (const status of ['400', '401', '403', '404']) {
        const error = schema(path, status);
        expect(keys(error)).toEqual(['errors', 'message', 'status']);
        expect(keys(error.properties.errors.items)).toEqual(['field', 'message', 'row_number']);
      }
    }
    // The courier validate answers like §4's validate, its errors like §6.
    expect(keys(schema('/api/courier-customers/import/validate', '200'))).toEqual([
      'code',
      'data',
      'message',
    ]);
    expect(keys(schema('/api/courier-customers/import/validate', '400'))).toEqual([
      'errors',
      'message',
      'status',
    ]);
    // Everywhere else, errors are the envelope of §8.
    expect(keys(schema('/api/customers/import/confirm', '409'))).toEqual(['code', 'data', 'message']);
  });
});
