import { AppConfig } from '../config/config';
import { EmbeddedDatabase, EmbeddedDatabaseLogger } from './embedded-database';

/** A PostgreSQL server to use: the configured one, or the embedded one that this process started. */
export interface DatabaseServer {
  url: string;
  embedded?: EmbeddedDatabase;
  stop(): Promise<void>;
}

export async function openDatabaseServer(
  config: AppConfig,
  logger: EmbeddedDatabaseLogger,
): Promise<DatabaseServer> {
  if (config.databaseUrl) {
    return { url: config.databaseUrl, stop: () => Promise.resolve() };
  }
  const embedded = new EmbeddedDatabase(config.dataDir, logger);
  const url = await embedded.start();
  return { url, embedded, stop: () => embedded.stop() };
}
