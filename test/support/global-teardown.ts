import { rmSync } from 'node:fs';
import { EmbeddedDatabase } from '../../src/database/embedded-database';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis as { __rowgateTestDatabase?: EmbeddedDatabase; __rowgateTestDataDir?: string };
  await state.__rowgateTestDatabase?.stop();
  if (state.__rowgateTestDataDir) rmSync(state.__rowgateTestDataDir, { recursive: true, force: true });
}
