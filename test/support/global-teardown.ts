import { EmbeddedDatabase } from '../../src/database/embedded-database';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __rowgateTestDatabase?: EmbeddedDatabase }).__rowgateTestDatabase?.stop();
}
