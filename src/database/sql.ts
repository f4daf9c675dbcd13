/**
 * The rows of a raw query. TypeORM answers `[rows, affectedCount]` for UPDATE and DELETE statements
 * (also with RETURNING) and plain rows for the others; this answers the rows in both cases.
 */
export function rowsOf<T>(result: unknown): T[] {
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  ) {
    return result[0] as T[];
  }
  return result as T[];
}

/**
 * One value of a statement that several fragments share: however often it is embedded, the statement passes
 * it once, as one parameter.
 */
export class SqlValue {
  constructor(readonly value: unknown) {}
}

/**
 * A piece of SQL with its own values. Values are embedded with the {@link sql} tag and become parameters
 * only when a statement is compiled, so a fragment can be composed into any other without knowing where its
 * parameters will stand.
 */
export class Sql {
  constructor(
    readonly strings: readonly string[],
    readonly values: readonly unknown[],
  ) {}

  /** The statement's text, with `$1`, `$2`, … in order, and its parameters. */
  compile(): { text: string; params: unknown[] } {
    const params: unknown[] = [];
    const shared = new Map<SqlValue, number>();
    const text = build(this, (value) => {
      if (value instanceof SqlValue) {
        let at = shared.get(value);
        if (at === undefined) {
          at = params.push(value.value);
          shared.set(value, at);
        }
        return `$${at}`;
      }
      return `$${params.push(value)}`;
    });
    return { text, params };
  }

  /** A fragment pasted into a string would lose its values: it must be embedded with the {@link sql} tag. */
  toString(): string {
    throw new Error('an SQL fragment is embedded with the sql tag, never as text');
  }
}

function build(fragment: Sql, parameter: (value: unknown) => string): string {
  let text = fragment.strings[0];
  for (let i = 0; i < fragment.values.length; i++) {
    const value = fragment.values[i];
    text += value instanceof Sql ? build(value, parameter) : parameter(value);
    text += fragment.strings[i + 1];
  }
  return text;
}

/**
 * A fragment of SQL: embedded fragments are inlined, every other value becomes a parameter.
 *
 * ```ts
 * const rows = sql`r.session_id = ${id} AND r.status = ${status}`;
 * await query(manager, sql`SELECT count(*) FROM import_rows r WHERE ${rows}`);
 * ```
 */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  return new Sql(strings, values);
}

/** Trusted text (a name of the code's own, never input) inlined as SQL. */
sql.raw = (text: string): Sql => new Sql([text], []);

/** The fragments, joined by a separator. */
sql.join = (fragments: readonly Sql[], separator = ', '): Sql =>
  fragments.length === 0
    ? new Sql([''], [])
    : new Sql(['', ...fragments.slice(1).map(() => separator), ''], fragments);

/** A value passed once however many fragments embed it (see {@link SqlValue}). */
sql.value = (value: unknown): SqlValue => new SqlValue(value);

/** Anything that runs a statement: a data source or an entity manager. */
export interface Queryable {
  query(text: string, params?: unknown[]): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Runs a statement built with {@link sql}; answers what the driver answers. */
export function query<T = unknown>(runner: Queryable, statement: Sql): Promise<T> {
  const { text, params } = statement.compile();
  return runner.query(text, params) as Promise<T>;
}

/** A runner of statements that can tell how many rows a statement wrote: a transaction's entity manager. */
export interface Executor {
  queryRunner?: {
    query(
      text: string,
      params: unknown[] | undefined,
      structured: true,
    ): Promise<{ affected?: number | null }>;
  };
}

/**
 * Runs a data-changing statement built with {@link sql} in a transaction and answers how many rows it
 * inserted, updated or deleted (the command's row count).
 */
export async function execute(manager: Executor, statement: Sql): Promise<number> {
  const runner = manager.queryRunner;
  if (runner === undefined) throw new Error('execute runs inside a transaction');
  const { text, params } = statement.compile();
  const result = await runner.query(text, params, true);
  return result.affected ?? 0;
}
