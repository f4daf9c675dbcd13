import 'reflect-metadata';
import { Logger, LogLevel } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/config';
import { DatabaseServer, openDatabaseServer } from './database/database-server';
import { runMigrations } from './database/database-options';

/** Nest's levels for a LOG_LEVEL, for the lines printed before the JSON logger takes over. */
function bootLevels(level: string): LogLevel[] {
  const order: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
  const upTo = { fatal: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5, silent: -1 }[level] ?? 3;
  return order.slice(0, upTo + 1);
}

async function bootstrap(): Promise<void> {
  const logger = new Logger('Boot');
  let config;
  try {
    config = loadConfig(process.env, (message) => logger.warn(message));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`rowgate: invalid configuration: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  Logger.overrideLogger(bootLevels(config.logLevel));

  const server: DatabaseServer = await openDatabaseServer(config, logger);
  let stopping = false;
  const stop = async (signal: string, app?: { close(): Promise<void> }) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received, shutting down`);
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    try {
      await app?.close();
    } finally {
      await server.stop();
      process.exit(0);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  try {
    const applied = await runMigrations(server.url);
    if (applied.length > 0) logger.log(`applied migrations: ${applied.join(', ')}`);
    const app = await createApp(config, server.url);
    process.removeAllListeners('SIGINT').removeAllListeners('SIGTERM');
    process.once('SIGINT', () => void stop('SIGINT', app));
    process.once('SIGTERM', () => void stop('SIGTERM', app));
    await app.listen(config.port);
    logger.log(`Rowgate listening on http://localhost:${config.port} (Swagger UI at /docs)`);
  } catch (error) {
    logger.error(`start failed: ${error instanceof Error ? error.message : String(error)}`);
    await server.stop();
    process.exit(1);
  }
}

void bootstrap();
