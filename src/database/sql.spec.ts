import { query, sql } from './sql';

describe('sql', () => {
  it('numbers the values of nested fragments in the order they stand', () => {
    const rows = sql`r.session_id = ${'s1'} AND r.row_number >= ${2}`;
    const statement = sql`SELECT count(*) FROM import_rows r WHERE ${rows} AND r.status = ${'valid'} LIMIT ${10}`;
    expect(statement.compile()).toEqual({
      text: 'SELECT count(*) FROM import_rows r WHERE r.session_id = $1 AND r.row_number >= $2 AND r.status = $3 LIMIT $4',
      params: ['s1', 2, 'valid', 10],
    });
  });

  it('passes a shared value once, however often it is embedded', () => {
    const session = sql`${sql.value('s1')}::uuid`;
    const statement = sql`SELECT ${session}, ${1} WHERE a = ${session} AND b = ${session}`;
    expect(statement.compile()).toEqual({
      text: 'SELECT $1::uuid, $2 WHERE a = $1::uuid AND b = $1::uuid',
      params: ['s1', 1],
    });
  });

  it('gives a fragment the same text wherever it is composed', () => {
    const outcome = sql`coalesce(o.outcome, ${'created'})`;
    const first = sql`SELECT ${outcome}`.compile();
    const second = sql`SELECT ${1}, ${2}, ${outcome}`.compile();
    expect(first.text).toBe('SELECT coalesce(o.outcome, $1)');
    expect(second.text).toBe('SELECT $1, $2, coalesce(o.outcome, $3)');
  });

  it('joins fragments and inlines trusted names', () => {
    const conditions = [sql`a = ${1}`, sql`b = ${2}`, sql`c IS NULL`];
    const statement = sql`SELECT * FROM ${sql.raw('customers')} WHERE ${sql.join(conditions, ' AND ')}`;
    expect(statement.compile()).toEqual({
      text: 'SELECT * FROM customers WHERE a = $1 AND b = $2 AND c IS NULL',
      params: [1, 2],
    });
    expect(sql`x${sql.join([])}y`.compile().text).toBe('xy');
  });

  it('refuses a fragment pasted into a string, which would lose its values', () => {
    const fragment = sql`a = ${1}`;
    expect(() => `WHERE ${String(fragment)}`).toThrow('embedded with the sql tag');
  });

  it('runs the compiled statement', async () => {
    const calls: unknown[][] = [];
    const runner = {
      query: (text: string, params?: unknown[]) => Promise.resolve(calls.push([text, params])),
    };
    await query(runner, sql`SELECT ${42}`);
    expect(calls).toEqual([['SELECT $1', [42]]]);
  });
});
