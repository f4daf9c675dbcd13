import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { AppModule, GLOBAL_PREFIX } from './app.module';
import { loadConfig } from './config/config';

/** The tags of the document, one per module, in the order Swagger UI shows them: the import flow first. */
export const API_TAGS: [name: string, description: string][] = [
  ['auth', 'Log in: exchange an email and a password for a bearer token, then press **Authorize**.'],
  [
    'customers import',
    'Customers from CSV: validate (every row’s status, nothing written), then confirm; or the one-shot JSON import.',
  ],
  ['distributors import', 'Distributors from CSV: validate, then confirm.'],
  ['imports', 'An import session after validate: its status and counters, its rows, and `errors.csv`.'],
  [
    'courier customers import',
    'Courier customers from a positional CSV, in one transaction: at once, or validate then confirm.',
  ],
  ['customers', 'Customers: list, read, create, replace, archive.'],
  ['distributors', 'Distributors: list, read, create, replace, archive.'],
  ['courier customers', 'The customers of one courier.'],
  ['couriers', 'Courier accounts (admin only).'],
  ['users', 'User accounts (admin only).'],
  ['health', 'Whether the service and its database are up.'],
];

/** `CustomersImportController` + `validate` → `customersImportValidate`. */
export function operationId(controller: string, method: string): string {
  const base = controller.replace(/Controller$/, '');
  return `${base[0].toLowerCase()}${base.slice(1)}${method[0].toUpperCase()}${method.slice(1)}`;
}

/** The OpenAPI document of an application. It depends only on the code, never on the configuration. */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Rowgate')
    .setDescription(
      'Bulk import of customers, distributors and courier customers from CSV files.\n\n' +
        '1. `POST /api/auth/login` with **Try it out**, and copy `access_token`.\n' +
        '2. Press **Authorize**, paste the token, **Authorize**, **Close**. The page keeps it across reloads.\n' +
        '3. `POST /api/customers/import/validate`: choose a CSV with the file picker and **Execute**; ' +
        'read every row’s status and copy `import_id`.\n' +
        '4. `POST /api/customers/import/confirm` with that `import_id` (`override: true` updates the ' +
        'records of `warning` rows); `GET /api/imports/{id}/errors.csv` gives the rows to fix.',
    )
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  for (const [name, description] of API_TAGS) builder.addTag(name, description);
  return SwaggerModule.createDocument(app, builder.build(), { operationIdFactory: operationId });
}

/** The environment the document is built in: fixed, so that nothing of the machine shows in it. */
const DOCUMENT_ENV = {
  NODE_ENV: 'development',
  LOG_LEVEL: 'silent',
  JWT_SECRET: 'only-used-to-build-the-openapi-document-never-to-sign',
};

/**
 * Builds the document from the application's modules in Nest's preview mode: nothing is instantiated, no
 * database is reached, nothing listens.
 */
export async function buildOpenApiDocument(): Promise<OpenAPIObject> {
  const config = loadConfig(DOCUMENT_ENV);
  const app = await NestFactory.create(AppModule.forRoot(config, 'postgres://unused@127.0.0.1:1/unused'), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  try {
    app.setGlobalPrefix(GLOBAL_PREFIX);
    return createOpenApiDocument(app);
  } finally {
    await app.close();
  }
}

/** The text of `openapi.json`: two-space indentation and a final newline. */
export const serializeOpenApi = (document: OpenAPIObject) => `${JSON.stringify(document, null, 2)}\n`;
