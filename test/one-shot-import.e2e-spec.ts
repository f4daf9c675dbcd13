import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { csv, HEADER, org } from './support/imports';
import { bearer, startTestApp, TestApp, tokenFor, tokenIn, truncateAll } from './support/test-app';

describe('POST /api/customers/import (one-shot, one transaction)', () => {
  let t: TestApp;
  const admin = tokenFor(Role.Admin);
  const post = (body: unknown, token = admin) =>
    request(t.http)
      .post('/api/customers/import')
      .set(bearer(token))
      .send(body as object);
  const customers = () =>
    t.dataSource.query(`SELECT company_name, vat_number, city FROM customers ORDER BY lower(vat_number)`);

  beforeAll(async () => {
    t = await startTestApp({ IMPORT_MAX_FILE_SIZE: '64kb', IMPORT_BATCH_SIZE: '2' });
  });
  afterAll(() => t.close());
  // The database is shared by every suite: a trigger left behind would refuse their writes.
  afterEach(() => t.dataSource.query('DROP TRIGGER IF EXISTS test_refuse ON customers'));
  beforeEach(async () => {
    await t.dataSource.query('DROP TRIGGER IF EXISTS test_refuse ON customers');
    await truncateAll(t.dataSource);
  });

  it('creates on a first run and updates by VAT on a second, listing the rows it did not write', async () => {
    const content = csv(
      HEADER,
      org('Alpha', 'V1'),
      org('Beta', 'V2'),
      org('', 'V3'),
      org('Gamma', 'V4', { email: 'nope' }),
    );
    const first = await post({ content }).expect(200);
    expect(first.body).toEqual({
      count: 2,
      created: 2,
      updated: 0,
      unchanged: 0,
      errors: [
        { index: 1 + 1, name: '', message: 'company_name: required' },
        { index: 3, name: 'Gamma', message: 'email: invalid_format' },
      ],
    });
    const second = await post({
      content: csv(HEADER, org('Alpha 2', 'v1', { city: 'Bari' }), org('Delta', 'V5')),
    }).expect(200);
    expect(second.body).toEqual({ count: 2, created: 1, updated: 1, unchanged: 0, errors: [] });
    expect(await customers()).toEqual([
      { company_name: 'Alpha 2', vat_number: 'v1', city: 'Bari' },
      { company_name: 'Beta', vat_number: 'V2', city: 'Milano' },
      { company_name: 'Delta', vat_number: 'V5', city: 'Milano' },
    ]);
  });

  it('400 {error} without a non-empty string content', async () => {
    for (const body of [{}, { content: '' }, { content: 42 }, [{ content: 'x' }]]) {
      const res = await post(body).expect(400);
      expect(res.body).toEqual({ error: expect.any(String) });
    }
  });

  it('400 {error: "Import failed.", errors} for an unreadable CSV or when no row can be written', async () => {
    const unreadable = await post({ content: 'company_name,vat_number\r\n' }).expect(400);
    expect(unreadable.body).toEqual({
      error: 'Import failed.',
      errors: [{ message: 'file contains only headers, no data rows' }],
    });
    const missing = await post({ content: 'name,city\r\nA,B\r\n' }).expect(400);
    expect(missing.body.error).toBe('Import failed.');
    expect(missing.body.errors[0].message).toContain('vat_number');
    const allBad = await post({ content: csv(HEADER, org('', 'V1'), org('B', '')) }).expect(400);
    expect(allBad.body).toEqual({
      error: 'Import failed.',
      errors: [
        { index: 0, name: '', message: 'company_name: required' },
        { index: 1, name: 'B', message: 'vat_number: required' },
      ],
    });
    expect(await customers()).toEqual([]);
  });

  it('401 {error} without a valid token, 403 {error} for a manager', async () => {
    const res = await request(t.http).post('/api/customers/import').send({ content: 'x' }).expect(401);
    expect(res.body).toEqual({ error: expect.any(String) });
    const forbidden = await post({ content: 'x' }, await tokenIn(t.dataSource, Role.Manager)).expect(403);
    expect(forbidden.body).toEqual({ error: expect.any(String) });
  });

  it('413 {error} for a body over the file size limit', async () => {
    const res = await post({ content: 'x'.repeat(70 * 1024) }).expect(413);
    expect(res.body).toEqual({ error: 'request body is too large' });
  });

  it('500 {error, errors} and nothing written when writing fails mid-import', async () => {
    await t.dataSource.query(`
      CREATE OR REPLACE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.company_name = 'Boom' THEN RAISE EXCEPTION 'disk on fire'; END IF;
        RETURN NEW;
      END $$`);
    await t.dataSource.query(
      `CREATE TRIGGER test_refuse BEFORE INSERT ON customers FOR EACH ROW EXECUTE FUNCTION test_refuse()`,
    );
    // Batches of 2: rows A and B are written by the first batch before Boom fails in the second.
    const content = csv(
      HEADER,
      org('A', 'V1'),
      org('B', 'V2'),
      org('C', 'V3'),
      org('Boom', 'V4'),
      org('E', 'V5'),
    );
    const res = await post({ content }).expect(500);
    expect(res.body).toEqual({
      error: 'Import failed while writing customers; nothing was written.',
      errors: [{ index: 3, name: 'Boom', message: 'disk on fire' }],
    });
    expect(await customers()).toEqual([]);
  });
});
