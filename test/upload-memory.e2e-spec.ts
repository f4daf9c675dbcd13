import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { bearer, startTestApp, TestApp, tokenIn, truncateAll } from './support/test-app';

const FIXTURES = join(__dirname, 'fixtures');
const SPECTRUM = join(FIXTURES, 'third-party', 'csv-spectrum', 'csvs');

/** The files read both ways: valid and broken CSVs, other encodings, a workbook, a file that is not text. */
const FILES = [
  ...readdirSync(join(FIXTURES, 'bad'))
    .filter((name) => name !== 'cases.json')
    .map((name) => join(FIXTURES, 'bad', name)),
  ...readdirSync(SPECTRUM).map((name) => join(SPECTRUM, name)),
  join(FIXTURES, 'xlsx', 'libreoffice-customers.xlsx'),
  join(FIXTURES, 'xlsx', 'libreoffice-customers.csv'),
];

/** The answer without the session's id, which differs from one upload to the next. */
function comparable(body: { data?: { import_id?: string } }): unknown {
  if (body?.data?.import_id) return { ...body, data: { ...body.data, import_id: 'ID' } };
  return body;
}

/**
 * A small upload is read from memory, a large one (or any workbook) from a spooled file: a service that
 * spools every upload (`IMPORT_MEMORY_UPLOAD_MAX=0`) answers every file exactly as one that keeps small
 * uploads in memory.
 */
describe('small uploads kept in memory', () => {
  const dataDirs: string[] = [];
  let memory: TestApp;
  let spooled: TestApp;

  const start = (env: Record<string, string>) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rowgate-memory-'));
    dataDirs.push(dataDir);
    return startTestApp({ DATA_DIR: dataDir, IMPORT_MAX_OPEN_SESSIONS: '1000', ...env });
  };

  beforeAll(async () => {
    memory = await start({});
    spooled = await start({ IMPORT_MEMORY_UPLOAD_MAX: '0' });
    await truncateAll(memory.dataSource);
  });

  afterAll(async () => {
    await memory?.close();
    await spooled?.close();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it.each(FILES.map((path) => [path.slice(FIXTURES.length + 1), path]))(
    'answers %s the same from memory and from the spool',
    async (_name, path) => {
      const manager = await tokenIn(memory.dataSource, Role.Manager);
      const bytes = readFileSync(path);
      const answers = [];
      for (const t of [memory, spooled]) {
        const answer = await request(t.http)
          .post('/api/customers/import/validate')
          .set(bearer(manager))
          .attach('file', bytes, 'file.csv');
        answers.push({ status: answer.status, body: comparable(answer.body) });
      }
      expect(answers[0]).toEqual(answers[1]);
      expect(answers[0].status).toBeLessThan(500);
    },
  );

  it('imports a courier file the same from memory and from the spool', async () => {
    const [{ id: courierId }] = await memory.dataSource.query(
      `INSERT INTO couriers (name) VALUES ('Memory') RETURNING id`,
    );
    const rider = await tokenIn(memory.dataSource, Role.Courier, { courierId });
    const answers = [];
    for (const t of [memory, spooled]) {
      const answer = await request(t.http)
        .post('/api/courier-customers/import')
        .set(bearer(rider))
        .attach('file', Buffer.from('user_code,first_name,last_name\nM1,Ada,Byron\n'), 'c.csv');
      answers.push(answer.body);
    }
    expect(answers[0].data).toEqual({ processed: 1, created: 1, updated: 0, unchanged: 0, skipped_rows: [] });
    expect(answers[1].data).toEqual({ processed: 1, created: 0, updated: 0, unchanged: 1, skipped_rows: [] });
  });
});
