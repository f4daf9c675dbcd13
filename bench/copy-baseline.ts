import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { Client, ClientConfig } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { COURIER_COLUMNS, CUSTOMER_COLUMNS, CsvFile, readChunks } from './data';

/** How the COPY tables are made, printed with the results. */
export const COPY_TABLE_SHAPE =
  'CREATE TABLE … (LIKE <table> INCLUDING DEFAULTS): same columns, NOT NULLs and defaults; ' +
  'no indexes, no primary key, no CHECK or foreign key constraints, vat_key not generated';

export interface CopyTiming {
  table: string;
  file: string;
  rows: number;
  seconds: number;
}

/**
 * The floor a bulk import is compared with: PostgreSQL's own `COPY … FROM STDIN` of the same CSV file,
 * streamed through `pg-copy-streams` into an empty table shaped like the service's table, on the same
 * embedded server as the service.
 */
export class CopyBaseline {
  private constructor(private readonly client: Client) {}

  static async connect(config: ClientConfig): Promise<CopyBaseline> {
    const client = new Client(config);
    await client.connect();
    return new CopyBaseline(client);
  }

  /** Customers: `bench_copy_customers`, emptied before each COPY. */
  async customers(file: CsvFile): Promise<CopyTiming> {
    const table = 'bench_copy_customers';
    await this.client.query(`DROP TABLE IF EXISTS ${table}`);
    await this.client.query(`CREATE TABLE ${table} (LIKE customers INCLUDING DEFAULTS)`);
    return this.copy(table, CUSTOMER_COLUMNS, file);
  }

  /** Courier customers: the 4 positional columns; `courier_id` comes from the table's DEFAULT. */
  async courierCustomers(file: CsvFile, courierId: string): Promise<CopyTiming> {
    const table = 'bench_copy_courier_customers';
    await this.client.query(`DROP TABLE IF EXISTS ${table}`);
    await this.client.query(`CREATE TABLE ${table} (LIKE courier_customers INCLUDING DEFAULTS)`);
    await this.client.query(
      `ALTER TABLE ${table} ALTER COLUMN courier_id SET DEFAULT ${this.client.escapeLiteral(courierId)}::uuid`,
    );
    return this.copy(table, COURIER_COLUMNS, file);
  }

  private async copy(table: string, columns: readonly string[], file: CsvFile): Promise<CopyTiming> {
    const started = performance.now();
    const stream = this.client.query(
      copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN (FORMAT csv, HEADER)`),
    );
    await pipeline(readChunks(file), stream);
    const seconds = (performance.now() - started) / 1000;
    if (stream.rowCount !== file.rows) {
      throw new Error(`COPY into ${table} wrote ${stream.rowCount} rows, expected ${file.rows}`);
    }
    const { rows } = await this.client.query<{ count: string }>(`SELECT count(*) FROM ${table}`);
    if (Number(rows[0].count) !== file.rows) {
      throw new Error(`${table} holds ${rows[0].count} rows after COPY, expected ${file.rows}`);
    }
    return { table, file: file.path, rows: file.rows, seconds };
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
