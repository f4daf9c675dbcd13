import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { Client, ClientConfig } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { COURIER_COLUMNS, CUSTOMER_COLUMNS, CsvFile, readChunks } from './data';

/** How the COPY tables are made, printed with the results. */
export const COPY_TABLE_SHAPE =
  'CREATE TABLE … (LIKE <table> INCLUDING DEFAULTS): same columns, NOT NULLs and defaults; ' +
  'no indexes, no primary key, no CHECK or foreign key constraints, vat_key not generated';

/** The second baseline: the service's table as it is, but for its foreign keys. */
export const INDEXED_COPY_TABLE_SHAPE =
  'CREATE TABLE … (LIKE <table> INCLUDING ALL): also the primary key, the indexes, the CHECK constraints ' +
  'and the generated vat_key (ids from the default gen_random_uuid()); no foreign keys';

/** A file's two COPY timings: into a bare table (the floor) and into a table shaped like the service's. */
export interface CopyBaselines {
  bare: CopyTiming;
  indexed: CopyTiming;
}

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

  /** Customers: `bench_copy_customers` and `bench_copy_customers_indexed`, made anew for each COPY. */
  async customers(file: CsvFile): Promise<CopyBaselines> {
    return {
      bare: await this.copy('bench_copy_customers', 'customers', 'DEFAULTS', CUSTOMER_COLUMNS, file),
      indexed: await this.copy('bench_copy_customers_indexed', 'customers', 'ALL', CUSTOMER_COLUMNS, file),
    };
  }

  /** Courier customers: the 4 positional columns; `courier_id` comes from the table's DEFAULT. */
  async courierCustomers(file: CsvFile, courierId: string): Promise<CopyBaselines> {
    const courier = `${this.client.escapeLiteral(courierId)}::uuid`;
    const into = (table: string, like: 'DEFAULTS' | 'ALL') =>
      this.copy(table, 'courier_customers', like, COURIER_COLUMNS, file, courier);
    return {
      bare: await into('bench_copy_courier_customers', 'DEFAULTS'),
      indexed: await into('bench_copy_courier_customers_indexed', 'ALL'),
    };
  }

  private async copy(
    table: string,
    like: string,
    including: 'DEFAULTS' | 'ALL',
    columns: readonly string[],
    file: CsvFile,
    courierId?: string,
  ): Promise<CopyTiming> {
    await this.client.query(`DROP TABLE IF EXISTS ${table}`);
    await this.client.query(`CREATE TABLE ${table} (LIKE ${like} INCLUDING ${including})`);
    if (courierId)
      await this.client.query(`ALTER TABLE ${table} ALTER COLUMN courier_id SET DEFAULT ${courierId}`);
    // Each COPY starts from the same state: the previous one's dirty pages written out.
    await this.client.query('CHECKPOINT');
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
