import { runMigrations } from '../database/database-options';
import { fail, withDatabase } from './cli-database';

/** `npm run migration:run`: applies pending migrations. */
withDatabase(runMigrations).then(
  (applied) => {
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'no pending migrations\n');
    process.exit(0);
  },
  (error: unknown) => fail(error instanceof Error ? error.message : String(error)),
);
