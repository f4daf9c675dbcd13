import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { json, NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { Logger as PinoLogger } from 'nestjs-pino';
import { AppModule, GLOBAL_PREFIX } from './app.module';
import { AppConfig } from './config/config';
import { applyHttpServerLimits } from './common/http/http-server-limits';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './common/http/json-depth';
import { createOpenApiDocument } from './openapi-document';

/** Routes whose JSON body may be as large as an upload (the one-shot import of API.md §5). */
export const LARGE_JSON_ROUTES = ['/api/customers/import'];

const ACCEPTED_BODY_TYPES = ['application/json', 'multipart/form-data'];

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

function bodyError(error: BodyParserError): { status: number; message: string } | undefined {
  switch (error.type) {
    case 'entity.too.large':
      return { status: 413, message: 'request body is too large' };
    case 'entity.parse.failed':
      return { status: 400, message: 'malformed JSON body' };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, message: 'unsupported body encoding' };
    case 'request.aborted':
      return { status: 400, message: 'request aborted' };
    default:
      return error.status && error.status >= 400 && error.status < 500
        ? { status: error.status, message: 'bad request body' }
        : undefined;
  }
}

/** Routes whose errors keep the courier import's body (API.md §6, §8). */
const COURIER_IMPORT_ROUTE = /^\/api\/courier-customers\/import(\/|$)/;

/** Answers a body that cannot be read in the route's own error shape. */
function sendBodyError(req: Request, res: Response, status: number, message: string): void {
  const oneShot = LARGE_JSON_ROUTES.includes(req.path);
  const courier = COURIER_IMPORT_ROUTE.test(req.path);
  res
    .status(status)
    .json(
      oneShot
        ? { error: message }
        : courier
          ? { status: 'error', message, errors: [] }
          : { code: status, message, data: null },
    );
}

/** Applies everything that is the same for the running service and the tests: body limits, headers, docs. */
export function configureApp(app: NestExpressApplication, config: AppConfig): void {
  app.setGlobalPrefix(GLOBAL_PREFIX);
  applyHttpServerLimits(app.getHttpServer(), config);
  app.use(
    helmet({
      // Served over plain HTTP on private networks too; let a TLS proxy add these where it terminates TLS.
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
      strictTransportSecurity: false,
    }),
  );
  app.set('trust proxy', 'loopback');

  // A request body must be JSON or a multipart upload; anything else is refused before it is read.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const length = Number(req.headers['content-length'] ?? 0);
    const hasBody = length > 0 || req.headers['transfer-encoding'] !== undefined;
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (hasBody && ['POST', 'PUT', 'PATCH'].includes(req.method) && !ACCEPTED_BODY_TYPES.includes(type)) {
      return sendBodyError(
        req,
        res,
        415,
        `unsupported content type "${type || 'none'}": send application/json or multipart/form-data`,
      );
    }
    // A JSON body declared larger than its limit is refused before it is read (the parser would read it all).
    const jsonLimit = LARGE_JSON_ROUTES.includes(req.path)
      ? config.import.maxFileBytes
      : config.http.jsonBodyLimit;
    if (type === 'application/json' && length > jsonLimit) {
      res.setHeader('Connection', 'close');
      return sendBodyError(req, res, 413, 'request body is too large');
    }
    next();
  });
  // Exactly these paths: app.use(route, …) would also match every path below them (…/import/confirm).
  const largeJson = json({ limit: config.import.maxFileBytes });
  app.use((req: Request, res: Response, next: NextFunction) =>
    LARGE_JSON_ROUTES.includes(req.path) ? largeJson(req, res, next) : next(),
  );
  app.use(json({ limit: config.http.jsonBodyLimit }));
  // Every JSON body of the API is an object; say so rather than "property 0 should not exist".
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (Array.isArray(req.body))
      return sendBodyError(req, res, 400, 'the JSON body must be an object, not an array');
    // Deep nesting would overflow the stack of validation; no body of the API nests more than a few levels.
    if (nestsDeeperThan(req.body))
      return sendBodyError(req, res, 400, `the JSON body is nested more than ${MAX_JSON_DEPTH} levels deep`);
    next();
  });
  app.use((error: BodyParserError, req: Request, res: Response, next: NextFunction) => {
    const known = bodyError(error);
    if (!known) return next(error);
    sendBodyError(req, res, known.status, known.message);
  });

  // Swagger UI at /docs keeps the token across reloads (persistAuthorization); the same document as openapi.json.
  SwaggerModule.setup('docs', app, createOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    customSiteTitle: 'Rowgate API',
    swaggerOptions: { persistAuthorization: true },
  });
}

export async function createApp(config: AppConfig, databaseUrl: string): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, databaseUrl), {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(PinoLogger));
  app.flushLogs();
  configureApp(app, config);
  await app.init();
  return app;
}
