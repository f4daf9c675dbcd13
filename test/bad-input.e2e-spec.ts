import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { tableCounts } from './support/table-counts';
import { bearer, insertUser, startTestApp, TestApp, tokenFor, truncateAll } from './support/test-app';

/**
 * The bad input corpus (test/fixtures/bad/cases.json): every malformed file or body gets its 4xx with a
 * message a person can act on, never a 500, and leaves the database exactly as it was.
 */

const FIXTURES = join(__dirname, 'fixtures', 'bad');

type Target = 'customers-validate' | 'courier-import' | 'one-shot' | 'customers-confirm' | 'courier-confirm';

type Part = { field: string; file: string } | { field: string; value: unknown };

type Input =
  | { file: string }
  | { generate: 'single-line'; bytes: number }
  | { generate: 'wide'; columns: number }
  | { generate: 'wide-row'; fields: number }
  | { json: unknown }
  | { multipart: Part[] }
  | { raw: { contentType: string; body: string } };

interface Expectation {
  input?: Input;
  status: number;
  message: string;
}

interface BadCase {
  name: string;
  input: Input;
  targets: Partial<Record<Target, Expectation>>;
}

const corpus = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8')) as { cases: BadCase[] };

const ROUTES: Record<Target, string> = {
  'customers-validate': '/api/customers/import/validate',
  'courier-import': '/api/courier-customers/import',
  'one-shot': '/api/customers/import',
  'customers-confirm': '/api/customers/import/confirm',
  'courier-confirm': '/api/courier-customers/import/confirm',
};

const MULTIPART_TARGETS: Target[] = ['customers-validate', 'courier-import'];

/** Every message the answer carries, whatever its shape: the envelope, §5's `{error, errors}`, §6's `{message, errors}`. */
function messagesOf(body: unknown): string {
  const b = (body ?? {}) as { message?: unknown; error?: unknown; errors?: { message?: unknown }[] };
  const nested = Array.isArray(b.errors) ? b.errors.map((e) => e?.message) : [];
  return [b.message, b.error, ...nested].filter((m) => typeof m === 'string').join(' | ');
}

/** JSON templates: "$IMPORT_ID" → the target's session, {"$repeat": s, "times": n} → s repeated n times. */
function expand(value: unknown, importId: string): unknown {
  if (value === '$IMPORT_ID') return importId;
  if (Array.isArray(value)) return value.map((v) => expand(v, importId));
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.$repeat === 'string' && typeof o.times === 'number') return o.$repeat.repeat(o.times);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, expand(v, importId)]));
  }
  return value;
}

describe('bad input corpus (test/fixtures/bad)', () => {
  let t: TestApp;
  let tmp: string;
  let courierId: string;
  let customersImportId: string;
  let courierImportId: string;
  const managerId = randomUUID();
  const adminId = randomUUID();
  const manager = tokenFor(Role.Manager, { id: managerId });
  const admin = tokenFor(Role.Admin, { id: adminId });
  const generated = new Map<string, string>();

  const tokenOf = (target: Target) =>
    target === 'customers-validate' || target === 'customers-confirm' ? manager : admin;
  const importIdOf = (target: Target) => (target === 'courier-confirm' ? courierImportId : customersImportId);

  /** The path of a file input: a fixture, or a file generated (once) into a temporary folder. */
  function fileOf(input: Input): string {
    if ('file' in input) return join(FIXTURES, input.file);
    if (!('generate' in input)) throw new Error(`not a file input: ${JSON.stringify(input)}`);
    const key = JSON.stringify(input);
    const known = generated.get(key);
    if (known) return known;
    const path = join(tmp, `generated-${generated.size}.csv`);
    switch (input.generate) {
      case 'single-line':
        writeFileSync(path, Buffer.alloc(input.bytes, 'x'));
        break;
      case 'wide': {
        const header = Array.from({ length: input.columns }, (_, i) => `column_${i + 1}`).join(',');
        writeFileSync(path, `${header}\r\n${Array(input.columns).fill('x').join(',')}\r\n`);
        break;
      }
      case 'wide-row':
        writeFileSync(path, `company_name,vat_number\r\n${Array(input.fields).fill('a').join(',')}\r\n`);
        break;
    }
    generated.set(key, path);
    return path;
  }

  function send(target: Target, input: Input): request.Test {
    const req = request(t.http)
      .post(ROUTES[target])
      .set(bearer(tokenOf(target)));
    const courierField = () => {
      if (target === 'courier-import') void req.field('target_courier_id', courierId);
    };
    if ('json' in input) {
      return req
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(expand(input.json, importIdOf(target))));
    }
    if ('raw' in input) {
      return req
        .set('Content-Type', input.raw.contentType)
        .send(input.raw.body.replace('$IMPORT_ID', importIdOf(target)));
    }
    if ('multipart' in input) {
      courierField();
      for (const part of input.multipart) {
        if ('file' in part) void req.attach(part.field, join(FIXTURES, part.file));
        else void req.field(part.field, String(expand(part.value, importIdOf(target))));
      }
      return req;
    }
    const path = fileOf(input);
    if (target === 'one-shot') {
      return req
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ content: readFileSync(path).toString('utf8') }));
    }
    if (!MULTIPART_TARGETS.includes(target)) throw new Error(`a file cannot be sent to ${target}`);
    courierField();
    return req.attach('file', path, 'import.csv');
  }

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'rowgate-bad-input-'));
    t = await startTestApp();
    await truncateAll(t.dataSource);
    await insertUser(t.dataSource, managerId, Role.Manager);
    await insertUser(t.dataSource, adminId, Role.Admin);
    [{ id: courierId }] = await t.dataSource.query(
      `INSERT INTO couriers (name) VALUES ('Bad Input') RETURNING id`,
    );
    // Something in every table, so that "unchanged" is not "still empty".
    const [{ id: distributorId }] = await t.dataSource.query(
      `INSERT INTO distributors (company_name, vat_number) VALUES ('Twin', 'DT1'), ('Twin', 'DT2') RETURNING id`,
    );
    await t.dataSource.query(
      `INSERT INTO customers (company_name, vat_number, distributor_id) VALUES ('Existing', 'IT900', $1)`,
      [distributorId],
    );
    await t.dataSource.query(
      `INSERT INTO courier_customers (courier_id, user_code, first_name, last_name) VALUES ($1, 'U0', 'Old', 'Timer')`,
      [courierId],
    );
    const customers = await request(t.http)
      .post(ROUTES['customers-validate'])
      .set(bearer(manager))
      .attach(
        'file',
        Buffer.from('company_name,vat_number,distributor\r\nAmb,IT1,Twin\r\nNew,IT2,\r\n'),
        'c.csv',
      )
      .expect(200);
    customersImportId = customers.body.data.import_id;
    const courier = await request(t.http)
      .post('/api/courier-customers/import/validate')
      .set(bearer(admin))
      .field('target_courier_id', courierId)
      .attach('file', Buffer.from('user_code,first_name,last_name\r\nU1,Ada,Lovelace\r\n'), 'c.csv')
      .expect(200);
    courierImportId = courier.body.data.import_id;
  });

  afterAll(async () => {
    rmSync(tmp, { recursive: true, force: true });
    await t?.close();
  });

  const rows = corpus.cases.flatMap((c) =>
    (Object.entries(c.targets) as [Target, Expectation][]).map(([target, expected]) => ({
      title: `${c.name} → ${target}: ${expected.status}`,
      target,
      input: expected.input ?? c.input,
      expected,
    })),
  );

  it('the corpus covers every target', () => {
    expect(new Set(rows.map((r) => r.target))).toEqual(new Set(Object.keys(ROUTES)));
    expect(rows.length).toBeGreaterThanOrEqual(60);
  });

  it.each(rows)('$title', async ({ target, input, expected }) => {
    const before = await tableCounts(t.dataSource);
    const res = await send(target, input);

    expect({ status: res.status, body: res.body }).toMatchObject({ status: expected.status });
    const messages = messagesOf(res.body);
    expect(messages).toContain(expected.message);
    // The answer keeps its route's shape and leaks nothing internal.
    if (target === 'one-shot')
      expect(res.body).toEqual(expect.objectContaining({ error: expect.any(String) }));
    else if (target === 'courier-import' || target === 'courier-confirm')
      expect(res.body).toEqual({ status: 'error', message: expect.any(String), errors: expect.any(Array) });
    else {
      expect(Object.keys(res.body).sort()).toEqual(['code', 'data', 'message']);
      expect(res.body.code).toBe(expected.status);
    }
    expect(res.text).not.toMatch(/node_modules|\.ts:\d+|\bat \w+ \(|QueryFailedError|SELECT |INSERT /);

    expect(await tableCounts(t.dataSource)).toEqual(before);
    if (target.endsWith('-confirm')) {
      // A refused confirm does not use the session up: it can still be confirmed.
      const [{ status }] = await t.dataSource.query(`SELECT status FROM import_sessions WHERE id = $1`, [
        importIdOf(target),
      ]);
      expect(status).toBe('validated');
    }
  });

  it('the sessions refused above can still be confirmed', async () => {
    await request(t.http)
      .post(ROUTES['customers-confirm'])
      .set(bearer(manager))
      .send({ import_id: customersImportId })
      .expect(200);
    await request(t.http)
      .post(ROUTES['courier-confirm'])
      .set(bearer(admin))
      .send({ import_id: courierImportId })
      .expect(200);
  });
});
