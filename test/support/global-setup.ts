import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { EmbeddedDatabase } from '../../src/database/embedded-database';

/**
 * Starts one real PostgreSQL (the embedded server, exactly as the service starts it) for the whole test run
 * and hands its URL to the tests. A DATABASE_URL given from outside is used instead.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) return;
  // One cluster per test run, so that runs side by side do not share a data directory.
  const dir = join(__dirname, '..', '..', '.test-data', `run-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  const quiet = { log: () => undefined, warn: (m: string) => process.stderr.write(`${m}\n`) };
  const database = new EmbeddedDatabase(dir, quiet);
  process.env.TEST_DATABASE_URL = await database.start();
  process.env.TEST_DATABASE_EMBEDDED = 'true';
  Object.assign(globalThis, { __rowgateTestDatabase: database, __rowgateTestDataDir: dir });
}
