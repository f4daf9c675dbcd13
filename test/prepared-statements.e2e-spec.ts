import { EntityManager } from 'typeorm';
import { PREPARED_PER_CONNECTION, prepareStatements } from '../src/database/prepared-statements';
import { prepareIfSmall } from '../src/import-session/import-apply';
import { SessionRecord } from '../src/import-session/import-session.types';
import { startTestApp, TestApp } from './support/test-app';

/** The texts of the statements this transaction's connection holds prepared by the service. */
async function preparedTexts(manager: EntityManager): Promise<string[]> {
  const rows: { statement: string }[] = await manager.query(
    `SELECT statement FROM pg_prepared_statements WHERE name LIKE 'rowgate\\_%'`,
  );
  return rows.map((r) => r.statement);
}

/**
 * Statements of small imports are named prepared statements on their connection (a performance measure):
 * they answer what unnamed statements answer, a connection holds a bounded number of them, and large
 * sessions do without.
 */
describe('prepared statements', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(() => t.close());

  it('prepares a statement with parameters once per connection, and answers as an unnamed one', async () => {
    const text = 'SELECT $1::int + 1 AS n, $2::text AS label';
    await t.dataSource.transaction(async (manager) => {
      prepareStatements(manager);
      prepareStatements(manager); // twice is once
      for (const i of [1, 2, 3]) {
        expect(await manager.query(text, [i, `row ${i}`])).toEqual([{ n: i + 1, label: `row ${i}` }]);
      }
      expect((await preparedTexts(manager)).filter((s) => s === text)).toHaveLength(1);
      // Without parameters, a statement (or several in one text) is sent as it is.
      await manager.query('SET LOCAL work_mem = 8192; SELECT 1');
      expect(await preparedTexts(manager)).not.toContain('SELECT 1');
    });
  });

  it('prepares the confirm of a session under 5000 rows, never of a larger one', async () => {
    const session = (rows: number) => ({ last_row: rows + 1 }) as SessionRecord;
    await t.dataSource.transaction(async (manager) => {
      prepareIfSmall(manager, session(5000));
      await manager.query('SELECT $1::int AS large', [1]);
      expect(await preparedTexts(manager)).not.toContain('SELECT $1::int AS large');
    });
    await t.dataSource.transaction(async (manager) => {
      prepareIfSmall(manager, session(4999));
      await manager.query('SELECT $1::int AS small', [1]);
      expect(await preparedTexts(manager)).toContain('SELECT $1::int AS small');
    });
  });

  it('leaves the statements of a transaction that did not ask unnamed', async () => {
    await t.dataSource.transaction(async (manager) => {
      await manager.query('SELECT $1::int AS plain', [1]);
      expect(await preparedTexts(manager)).not.toContain('SELECT $1::int AS plain');
    });
  });

  // Last: it fills the connection's room.
  it(`keeps at most ${PREPARED_PER_CONNECTION} per connection; the statements past them run unnamed`, async () => {
    await t.dataSource.transaction(async (manager) => {
      prepareStatements(manager);
      for (let k = 0; k < PREPARED_PER_CONNECTION + 6; k++) {
        expect(await manager.query(`SELECT $1::int + ${k} AS n`, [1])).toEqual([{ n: 1 + k }]);
      }
      const texts = await preparedTexts(manager);
      expect(texts).toHaveLength(PREPARED_PER_CONNECTION);
      expect(texts).not.toContain(`SELECT $1::int + ${PREPARED_PER_CONNECTION + 5} AS n`);
    });
  });
});
