import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { bearer, startTestApp, TestApp, tokenIn, truncateAll } from './support/test-app';

const HEADER = 'user_code,first_name,last_name,branch';
const lines = (...rows: string[]) => rows.map((r) => `${r}\n`).join('');

/**
 * The direct courier import stages and applies a file in one transaction, set-based and without savepoints
 * (again batch by batch when a row cannot be written); the preview confirm applies a validated session in a
 * transaction of its own, batch by batch. The same files through both roads give the same answers, records,
 * history counters and lineage.
 */
describe('courier import: the direct import and the preview confirm agree', () => {
  let t: TestApp;
  let direct: { courier: string; token: string };
  let preview: { courier: string; token: string };

  beforeAll(async () => {
    t = await startTestApp({ IMPORT_BATCH_SIZE: '3' });
  });
  afterAll(() => t.close());
  // The database is shared by every suite: a trigger left behind would refuse their writes.
  afterEach(() => t.dataSource.query('DROP TRIGGER IF EXISTS test_refuse ON courier_customers'));
  beforeEach(async () => {
    await t.dataSource.query('DROP TRIGGER IF EXISTS test_refuse ON courier_customers');
    await truncateAll(t.dataSource);
    const [a, b] = await t.dataSource.query(`INSERT INTO couriers (name) VALUES ('A'), ('B') RETURNING id`);
    direct = {
      courier: a.id,
      token: await tokenIn(t.dataSource, Role.Courier, { id: 'road-a', courierId: a.id }),
    };
    preview = {
      courier: b.id,
      token: await tokenIn(t.dataSource, Role.Courier, { id: 'road-b', courierId: b.id }),
    };
  });

  const upload = (token: string, content: string, path = '') =>
    request(t.http)
      .post(`/api/courier-customers/import${path}`)
      .set(bearer(token))
      .attach('file', Buffer.from(content), 'c.csv');

  /** The file imported both ways: directly, and validated then confirmed. */
  async function importBoth(content: string): Promise<void> {
    const one = await upload(direct.token, content);
    const validated = await upload(preview.token, content, '/validate').expect(200);
    const two = await request(t.http)
      .post('/api/courier-customers/import/confirm')
      .set(bearer(preview.token))
      .send({ import_id: validated.body.data.import_id });
    expect({ status: one.status, body: one.body }).toEqual({ status: two.status, body: two.body });
  }

  /** What a courier's imports left: its records, its completed imports' counters, their lineage. */
  async function state(courier: string): Promise<unknown> {
    const records = await t.dataSource.query(
      `SELECT user_code, first_name, last_name, branch FROM courier_customers WHERE courier_id = $1
       ORDER BY user_code`,
      [courier],
    );
    const imports = await t.dataSource.query(
      `SELECT s.status, s.total_rows, s.valid_rows, s.error_rows, s.created_rows, s.updated_rows,
              s.skipped_rows, s.failed_rows, s.applied_rows, s.dropped_rows, s.last_row, s.options,
              s.completed_at IS NOT NULL AS completed, s.lease_until IS NULL AS released,
              (SELECT coalesce(jsonb_agg(jsonb_build_object('row', ch.row_number, 'code', cc.user_code,
                        'replaced', ch.before - 'updated_at' - 'import_id') ORDER BY ch.row_number), '[]')
               FROM import_changes ch JOIN courier_customers cc ON cc.id = ch.record_id
               WHERE ch.import_id = s.id) AS changes,
              (SELECT coalesce(jsonb_agg(row_numbers ORDER BY first_row), '[]')
               FROM import_created c WHERE c.import_id = s.id) AS created
       FROM import_sessions s WHERE s.context ->> 'courier_id' = $1 AND s.status = 'completed'
       ORDER BY s.created_at`,
      [courier],
    );
    return { records, imports };
  }

  it('new codes, the same file again, updates with new codes, short rows, one row', async () => {
    await importBoth(lines(HEADER, 'A1,Ada,L', 'A2,Alan,T,North', 'x', 'A3,Grace,H', 'A4,Edsger,D'));
    await importBoth(lines(HEADER, 'A1,Ada,L', 'A2,Alan,T,North', 'x', 'A3,Grace,H', 'A4,Edsger,D'));
    await importBoth(lines(HEADER, 'A3,Grace,Hopper', 'A4,Edsger,D', 'A5,Barbara,L', 'A1,Ada,L,South'));
    await importBoth(lines(HEADER, 'A9,Niklaus,W'));
    expect(await state(direct.courier)).toEqual(await state(preview.courier));
  });

  it('invalid rows: the same 400, nothing written either way', async () => {
    await importBoth(lines(HEADER, 'B1,Ada,L', 'B2,,T', 'B1,Again,X'));
    expect(await state(direct.courier)).toEqual({ records: [], imports: [] });
    expect(await state(preview.courier)).toEqual({ records: [], imports: [] });
  });

  it('rows that cannot be written: the same 400 naming them, nothing written either way', async () => {
    await importBoth(lines(HEADER, 'W1,Ada,L'));
    await t.dataSource.query(`
      CREATE OR REPLACE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.user_code IN ('W2', 'W7') THEN RAISE EXCEPTION 'storage refused %', NEW.user_code; END IF;
        IF NEW.user_code = 'W5' THEN RETURN NULL; END IF;
        RETURN NEW;
      END $$`);
    await t.dataSource.query(
      `CREATE TRIGGER test_refuse BEFORE INSERT ON courier_customers FOR EACH ROW EXECUTE FUNCTION test_refuse()`,
    );
    for (const file of [
      lines(HEADER, 'W2,Alan,T'),
      lines(HEADER, 'W1,Ada,Changed', 'W3,Grace,H', 'W4,E,D', 'W5,B,L', 'W6,N,W', 'W7,K,T', 'W8,D,R'),
    ]) {
      await importBoth(file);
    }
    const answer = await upload(direct.token, lines(HEADER, 'W3,Grace,H', 'W7,K,T')).expect(400);
    expect(answer.body.errors).toEqual([{ row_number: 3, field: null, message: 'storage refused W7' }]);
    const after = (await state(direct.courier)) as { records: unknown[]; imports: unknown[] };
    expect(after.records).toEqual([{ user_code: 'W1', first_name: 'Ada', last_name: 'L', branch: null }]);
    expect(after.imports).toHaveLength(1);
    expect(after).toEqual(await state(preview.courier));
  });
});
