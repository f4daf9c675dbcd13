import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { Logger as PinoLogger } from 'nestjs-pino';
import { AppModule, GLOBAL_PREFIX } from './app.module';
import { answerAfterSmallBody } from './common/http/answer-after-body';
import { LARGE_JSON_ROUTES } from './common/http/json-body.interceptor';
import { AppConfig } from './config/config';
import { applyHttpServerLimits } from './common/http/http-server-limits';
import { createOpenApiDocument } from './openapi-document';
import { findUnsafeString, unsafeStringMessage } from './common/validation/string-safety';

const ACCEPTED_BODY_TYPES = ['application/json', 'multipart/form-data'];

/** Routes whose errors keep the courier import's body (API.md §6, §8). */
const COURIER_IMPORT_ROUTE = /^\/api\/courier-customers\/import(\/|$)/;

/** Answers a body that cannot be read in the route's own error shape. */
function sendBodyError(
  req: Request,
  res: Response,
  status: number,
  message: string,
  errors?: { field: string; message: string }[],
): void {
  const oneShot = LARGE_JSON_ROUTES.includes(req.path);
  const courier = COURIER_IMPORT_ROUTE.test(req.path);
  res
    .status(status)
    .json(
      oneShot
        ? { error: message }
        : courier
          ? { status: 'error', message, errors: errors ?? [] }
          : { code: status, message, data: errors ? { errors } : null },
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
  app.set('trust proxy', config.http.trustProxy);
  app.use(answerAfterSmallBody);
  // Answers of the API hold customer data: no shared cache or browser history may keep them.
  app.use((req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

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
  // JSON bodies are read after the guards, by JsonBodyInterceptor, which also checks their strings.
  // A NUL or a lone surrogate in any string of the query is a 400 naming the field.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const unsafe = findUnsafeString(req.query);
    if (!unsafe) return next();
    sendBodyError(req, res, 400, unsafeStringMessage(unsafe), [unsafe]);
  });

  // Swagger UI at /docs (DOCS_ENABLED), the same document as openapi.json. Outside production it keeps the
  // token across reloads; in production the token is never written to the browser's storage.
  if (config.docsEnabled) {
    SwaggerModule.setup('docs', app, createOpenApiDocument(app), {
      jsonDocumentUrl: 'docs-json',
      customSiteTitle: 'Rowgate API',
      swaggerOptions: { persistAuthorization: !config.production },
    });
  }
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
