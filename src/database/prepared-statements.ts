import { createHash } from 'node:crypto';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { Queryable } from './sql';

/**
 * How many statements one connection keeps prepared. The shapes of the small imports (a few statements per
 * import kind and header) fit well within it; a statement past it runs unnamed, as every statement did
 * before, so no sequence of files can make a connection hold more.
 */
export const PREPARED_PER_CONNECTION = 64;

/** The names prepared on each connection of the pool (the driver keeps them for the connection's life). */
const preparedOn = new WeakMap<object, Set<string>>();

/** The transactions whose statements are already prepared. */
const preparing = new WeakSet<object>();

type RunnerQuery = (text: string, params?: unknown[], structured?: boolean) => Promise<unknown>;

/** `runner`'s statements with parameters, from now on sent as named prepared statements (see below). */
function prepareOn(runner: QueryRunner): void {
  if (preparing.has(runner)) return;
  preparing.add(runner);
  const run: RunnerQuery = runner.query.bind(runner);
  const prepared: RunnerQuery = async (text, params, structured) => {
    if (params === undefined || params.length === 0) return run(text, params, structured);
    const connection = (await runner.connect()) as object;
    let names = preparedOn.get(connection);
    if (names === undefined) preparedOn.set(connection, (names = new Set()));
    const name = `rowgate_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    if (!names.has(name)) {
      if (names.size >= PREPARED_PER_CONNECTION) return run(text, params, structured);
      names.add(name);
    }
    // The driver takes a statement's text or its configuration; TypeORM hands either on as it is.
    return run({ text, name } as unknown as string, params, structured);
  };
  runner.query = prepared as typeof runner.query;
}

/**
 * From now on in `manager`'s transaction, every statement with parameters is a named prepared statement on
 * its connection: the server parses it once per connection instead of once per statement, and after a few
 * executions may keep one generic plan for it. For a small session that is most of a statement's cost: its
 * planning takes longer than its execution.
 *
 * Only for statements whose plan does not depend on a session's size, or for small sessions. A generic plan
 * does not know how many rows the session has; made for a few rows and reused for a large session, it would
 * probe an index a million times where a hash join reads the table once. A large session's statements stay
 * unnamed, and are planned for their parameters every time. Statements without parameters (SET, SAVEPOINT,
 * several in one text) stay as they are.
 */
export function prepareStatements(manager: EntityManager): void {
  if (manager.queryRunner === undefined) throw new Error('prepareStatements runs inside a transaction');
  prepareOn(manager.queryRunner);
}

/** Runs each statement, outside any transaction, as a prepared statement (see {@link prepareStatements}). */
export function preparedRunner(dataSource: DataSource): Queryable {
  return {
    async query(text, params) {
      const runner = dataSource.createQueryRunner();
      try {
        prepareOn(runner);
        const answer: unknown = await runner.query(text, params);
        return answer;
      } finally {
        await runner.release();
      }
    },
  };
}
