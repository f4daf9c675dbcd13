import { join } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';

const root = join(__dirname, '..', '..');

/**
 * The one place that says how the service reaches PostgreSQL. The application, the migration commands and
 * the TypeORM CLI (`src/database/data-source.ts`) all build their options here.
 */
export function buildDataSourceOptions(url: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [join(root, 'src', '**', '*.entity.{ts,js}')],
    migrations: [join(root, 'migrations', '*.{ts,js}')],
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: {
      max: poolSize,
      connectionTimeoutMillis: 5000,
      // Keep a dead server from hanging requests: fail fast and let the pool reconnect when it returns.
      keepAlive: true,
      application_name: 'rowgate',
    },
  };
}

/** An arbitrary, fixed key: only one process at a time runs migrations against a database. */
const MIGRATION_LOCK = 7_262_453;

/** Runs pending migrations, serialised across every instance that starts at the same time. */
export async function runMigrations(url: string): Promise<string[]> {
  const dataSource = new DataSource({ ...buildDataSourceOptions(url, 2), logging: ['error'] });
  await dataSource.initialize();
  const lock = dataSource.createQueryRunner();
  try {
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    return applied.map((migration) => migration.name);
  } finally {
    await lock.release();
    await dataSource.destroy();
  }
}
