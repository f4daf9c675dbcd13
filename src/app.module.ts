import { JsonBodyInterceptor } from './common/http/json-body.interceptor';
import { DynamicModule, Module, RequestMethod, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { AuthModule } from './auth/auth.module';
import { AllExceptionsFilter } from './common/filters/all-exceptions.filter';
import { validationErrorFactory } from './common/http/validation-errors';
import { APP_CONFIG, AppConfig } from './config/config';
import { ConfigModule } from './config/config.module';
import { CourierCustomersModule } from './courier-customers/courier-customers.module';
import { CourierImportModule } from './courier-import/courier-import.module';
import { CouriersModule } from './couriers/couriers.module';
import { CustomersImportModule } from './customers-import/customers-import.module';
import { CustomersModule } from './customers/customers.module';
import { DistributorsImportModule } from './distributors-import/distributors-import.module';
import { DistributorsModule } from './distributors/distributors.module';
import { buildDataSourceOptions } from './database/database-options';
import { HealthController } from './health/health.controller';
import { UsersModule } from './users/users.module';

/** Every route is under `/api`. */
export const GLOBAL_PREFIX = 'api';

const REQUEST_ID = /^[\w.:-]{1,100}$/;

function requestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    const pretty = !config.production && process.stdout.isTTY;
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
          pinoHttp: {
            level: config.logLevel,
            genReqId: requestId,
            redact: {
              paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
              remove: true,
            },
            serializers: {
              req: (req: { id: string; method: string; url: string }) => ({
                id: req.id,
                method: req.method,
                url: req.url,
              }),
              res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
            },
            autoLogging: { ignore: (req) => req.url === '/api/health' },
            customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
            transport: pretty ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
          },
        }),
        TypeOrmModule.forRoot({
          ...buildDataSourceOptions(databaseUrl, config.databasePoolSize),
          autoLoadEntities: true,
        }),
        ScheduleModule.forRoot(),
        AuthModule,
        UsersModule,
        CouriersModule,
        CourierCustomersModule,
        CustomersModule,
        DistributorsModule,
        CustomersImportModule,
        DistributorsImportModule,
        CourierImportModule,
      ],
      controllers: [HealthController],
      providers: [
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        { provide: APP_INTERCEPTOR, useClass: JsonBodyInterceptor },
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({
            transform: true,
            whitelist: true,
            forbidNonWhitelisted: true,
            exceptionFactory: validationErrorFactory,
          }),
        },
      ],
    };
  }
}

export { APP_CONFIG };
