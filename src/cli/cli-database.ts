import { loadConfig } from '../config/config';
import { DatabaseServer, openDatabaseServer } from '../database/database-server';

const logger = {
  log: (message: string) => process.stderr.write(`${message}\n`),
  warn: (message: string) => process.stderr.write(`warning: ${message}\n`),
};

/**
 * Runs a command-line task against the service's database: DATABASE_URL when set, otherwise the embedded
 * PostgreSQL in DATA_DIR (joined when the service is running, started and stopped around the task when not).
 */
export async function withDatabase<T>(task: (url: string) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env, logger.warn);
  const server: DatabaseServer = await openDatabaseServer(config, logger);
  try {
    return await task(server.url);
  } finally {
    await server.stop();
  }
}

export function fail(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}
