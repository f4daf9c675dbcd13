import { DataSource } from 'typeorm';

/** The tables an import may write: the directory, the courier customers and the import sessions. */
export const WRITTEN_TABLES = [
  'customers',
  'distributors',
  'courier_customers',
  'import_sessions',
  'import_rows',
] as const;

export type TableCounts = Record<(typeof WRITTEN_TABLES)[number], number>;

/** The number of rows of every table an import may write, read in one statement. */
export async function tableCounts(dataSource: DataSource): Promise<TableCounts> {
  const [row] = await dataSource.query(
    `SELECT ${WRITTEN_TABLES.map((table) => `(SELECT count(*)::int FROM ${table}) AS ${table}`).join(', ')}`,
  );
  return row as TableCounts;
}
