import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './database-options';

/**
 * The data source of the TypeORM CLI (`npm run migration:generate`, `migration:show`, ...). The npm scripts
 * run the CLI through `src/cli/with-database.ts`, which sets DATABASE_URL (starting the embedded
 * PostgreSQL when none is configured).
 */
const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is not set: run the TypeORM CLI through the npm scripts');

export default new DataSource(buildDataSourceOptions(url, 2));
