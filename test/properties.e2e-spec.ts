import fc from 'fast-check';
import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { tableCounts } from './support/table-counts';
import { bearer, startTestApp, TestApp, tokenFor, tokenIn, truncateAll } from './support/test-app';

/**
 * Properties of the imports on the real PostgreSQL, for random files and random confirm options, checked
 * against a small model of API.md §3–§6: the confirm counters sum to total_rows, what is written to
 * `customers` is exactly what the confirm reports (created rows are new records with the CSV values,
 * updated rows are the existing records now holding the CSV values, nothing else changes), and a courier
 * file is written entirely or not at all.
 */

/** Runs per property; PROPERTY_RUNS=500 for a longer search. */
const NUM_RUNS = Number(process.env.PROPERTY_RUNS ?? 20);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One CSV cell, quoted when it has to be (RFC 4180). */
const cell = (value: string) => (/[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
const line = (cells: string[]) => `${cells.map(cell).join(',')}\r\n`;

// ------------------------------------------------------------------------------------------------ customers

const EMAIL = /^(?=.{3,254}$)[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+[\d\s\-()]{7,20}$/;
const STRANGER = '7c1f5d3e-2d5b-4f7e-9c1a-0b8e6c2d4f11';

interface CustomerRow {
  company: string;
  /** `null`: a VAT no other row and no record has. */
  vat: string | null;
  email: string;
  phone: string;
  language: string;
  city: string;
  distributor: string;
  /** What the confirm sends for this row's number: nothing, a candidate, or an id that is not a candidate. */
  resolution: 'none' | 'twin0' | 'twin1' | 'solo' | 'stranger';
}

/** Mostly good values, with a bad one now and then: the files mix every status. */
const mostly = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>, badWeight = 1) =>
  fc.oneof({ weight: 8, arbitrary: good }, { weight: badWeight, arbitrary: bad });

const customerRow: fc.Arbitrary<CustomerRow> = fc.record({
  company: mostly(
    fc.constantFrom('Acme', 'Beta Srl', 'Gamma, "G" & Co', 'Ünïcödé ☃', "'); DROP TABLE customers; --"),
    fc.constant(''),
  ),
  vat: fc.oneof(
    { weight: 4, arbitrary: fc.constant(null) },
    // Live records (already_exists), in any case and with blanks around.
    { weight: 2, arbitrary: fc.constantFrom('LIVE1', 'live1 ', 'LIVE2', ' Live2') },
    // Repeated in the file (duplicate_in_csv), archived, placeholders (never duplicates), empty (required).
    { weight: 2, arbitrary: fc.constantFrom('IT001', 'it001', ' IT002 ', 'ARCH1', '000', '0', '') },
  ),
  email: mostly(fc.constantFrom('', 'a@example.com'), fc.constant('not-an-email')),
  phone: mostly(fc.constantFrom('', '+39 02 1234567'), fc.constant('12345')),
  language: mostly(fc.constantFrom('', 'it', 'EN'), fc.constant('fr')),
  city: fc.constantFrom('', 'Roma', 'Milano'),
  distributor: fc.oneof(
    { weight: 5, arbitrary: fc.constant('') },
    { weight: 2, arbitrary: fc.constantFrom('Solo', 'ds1') },
    { weight: 3, arbitrary: fc.constant('Twin') },
    { weight: 1, arbitrary: fc.constant('Nobody') },
  ),
  resolution: fc.constantFrom('none', 'twin0', 'twin1', 'twin1', 'solo', 'stranger'),
});

interface Directory {
  solo: string;
  twins: [string, string];
  /** Live customers by VAT key. */
  live: Map<string, string>;
  archivedOnly: Set<string>;
}

type Outcome = { status: 'created' | 'updated' | 'skipped' | 'failed'; reason?: string };

interface Expected {
  status: 'valid' | 'error' | 'warning' | 'ambiguous';
  outcome: Outcome;
  /** The record's columns once written (created or updated). */
  values: Record<string, string | null>;
  /** The distributor a created row gets (an updated row keeps its own unless the CSV resolves one). */
  distributorId: string | null | undefined;
}

/** The model: each row's status (API.md §3–§4), then its outcome under the confirm table. */
function model(rows: CustomerRow[], vats: string[], dir: Directory, override: boolean): Expected[] {
  const seen = new Set<string>();
  return rows.map((row, i) => {
    const vat = vats[i].trim();
    const language = row.language.trim().toLowerCase() || 'it';
    const errors: string[] = [];
    if (row.company.trim() === '') errors.push('company_name required');
    if (vat === '') errors.push('vat_number required');
    if (row.email !== '' && !EMAIL.test(row.email)) errors.push('email');
    if (row.phone !== '' && !PHONE.test(row.phone)) errors.push('phone');
    if (!['it', 'en'].includes(language)) errors.push('language');
    const key = /^0*$/.test(vat.toLowerCase()) ? null : vat.toLowerCase();
    if (key !== null && seen.has(key)) errors.push('duplicate_in_csv');
    if (key !== null) seen.add(key);
    if (key !== null && dir.archivedOnly.has(key)) errors.push('archived');
    const warning = key !== null && dir.live.has(key);
    const ref = row.distributor.toLowerCase();
    let distributorId: string | null = null;
    let ambiguous = false;
    if (ref === 'solo' || ref === 'ds1') distributorId = dir.solo;
    else if (ref === 'twin') ambiguous = true;
    else if (ref !== '') errors.push('distributor not_found');
    const status = errors.length > 0 ? 'error' : ambiguous ? 'ambiguous' : warning ? 'warning' : 'valid';

    let outcome: Outcome;
    if (status === 'valid') outcome = { status: 'created' };
    else if (status === 'error') outcome = { status: 'skipped', reason: 'error' };
    else if (status === 'warning')
      outcome = override ? { status: 'updated' } : { status: 'skipped', reason: 'warning_not_overridden' };
    else if (row.resolution === 'none') outcome = { status: 'skipped', reason: 'ambiguous_unresolved' };
    else if (row.resolution === 'twin0' || row.resolution === 'twin1') {
      outcome = { status: 'created' };
      distributorId = dir.twins[row.resolution === 'twin0' ? 0 : 1];
    } else outcome = { status: 'failed' };

    const orNull = (value: string) => (value.trim() === '' ? null : value.trim());
    return {
      status,
      outcome,
      distributorId: status === 'warning' && distributorId === null ? undefined : distributorId,
      values: {
        company_name: row.company.trim(),
        description: null,
        vat_number: vat,
        address: null,
        city: orNull(row.city),
        main_contact: null,
        email: orNull(row.email),
        phone: orNull(row.phone),
        language,
        notes: null,
      },
    };
  });
}

const COLUMNS = `company_name, description, vat_number, address, city, main_contact, email, phone, language, notes`;

describe('properties (fast-check, real PostgreSQL)', () => {
  let t: TestApp;
  const manager = tokenFor(Role.Manager, { id: 'property-manager' });
  const admin = tokenFor(Role.Admin, { id: 'property-admin' });

  beforeAll(async () => {
    t = await startTestApp({ IMPORT_BATCH_SIZE: '4', LOG_LEVEL: 'silent' });
  });
  afterAll(() => t.close());

  async function seedDirectory(): Promise<Directory> {
    await truncateAll(t.dataSource);
    const [solo, twin0, twin1]: { id: string }[] = await t.dataSource.query(
      `INSERT INTO distributors (company_name, vat_number) VALUES ('Solo', 'DS1'), ('Twin', 'DT1'), ('Twin', 'DT2')
       RETURNING id`,
    );
    const live: { id: string; vat_key: string }[] = await t.dataSource.query(
      `INSERT INTO customers (company_name, vat_number, city, distributor_id, created_at) VALUES
         ('Live One', 'LIVE1', 'Torino', $1, now() - interval '2 days'),
         ('Live Two', 'LIVE2', NULL, NULL, now() - interval '1 day'),
         ('Zero', '000', 'Bari', NULL, now())
       RETURNING id, vat_key`,
      [solo.id],
    );
    await t.dataSource.query(
      `INSERT INTO customers (company_name, vat_number, archived_at) VALUES
         ('Gone', 'ARCH1', now()), ('Old Two', 'live2', now())`,
    );
    return {
      solo: solo.id,
      twins: [twin0.id, twin1.id],
      // Placeholder VATs (000) never match anything for customers.
      live: new Map(live.filter((c) => c.vat_key !== '000').map((c) => [c.vat_key, c.id])),
      archivedOnly: new Set(['arch1']),
    };
  }

  it('customers validate → confirm: counters, outcomes and the rows written agree with the confirm table', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(customerRow, { minLength: 1, maxLength: 18 }),
        fc.boolean(),
        fc.boolean(),
        async (rows, override, async) => {
          const dir = await seedDirectory();
          const before: Record<string, unknown>[] = await t.dataSource.query(
            `SELECT * FROM customers ORDER BY id`,
          );
          const vats = rows.map((r, i) => r.vat ?? `NEW-${i}`);
          const expected = model(rows, vats, dir, override);
          const content =
            line(['company_name', 'vat_number', 'email', 'phone', 'language', 'city', 'distributor']) +
            rows
              .map((r, i) => line([r.company, vats[i], r.email, r.phone, r.language, r.city, r.distributor]))
              .join('');

          const v = await request(t.http)
            .post('/api/customers/import/validate')
            .set(bearer(manager))
            .attach('file', Buffer.from(content), 'customers.csv');
          expect(v.status).toBe(200);
          const statuses = v.body.data.rows.map((r: { row_number: number; status: string }) => [
            r.row_number,
            r.status,
          ]);
          expect(statuses).toEqual(expected.map((e, i) => [i + 2, e.status]));
          const countOf = (s: string) => expected.filter((e) => e.status === s).length;
          expect(v.body.data).toMatchObject({
            total_rows: rows.length,
            valid_rows: countOf('valid'),
            error_rows: countOf('error'),
            warning_rows: countOf('warning'),
            ambiguous_rows: countOf('ambiguous'),
          });

          // A resolution for every row that drew one, ambiguous or not: only ambiguous rows may use it.
          const resolutions: Record<string, { organization_id: string }> = {};
          rows.forEach((r, i) => {
            const id = {
              none: null,
              twin0: dir.twins[0],
              twin1: dir.twins[1],
              solo: dir.solo,
              stranger: STRANGER,
            }[r.resolution];
            if (id) resolutions[String(i + 2)] = { organization_id: id };
          });
          const importId: string = v.body.data.import_id;
          const c = await request(t.http)
            .post('/api/customers/import/confirm')
            .set(bearer(manager))
            .send({ import_id: importId, override, resolutions, async });
          expect(c.status).toBe(async ? 202 : 200);

          let counters: { created: number; updated: number; skipped: number; failed: number };
          let results: { row_number: number; status: string; id?: string; reason?: string }[];
          if (async) {
            let session;
            for (let i = 0; i < 200; i++) {
              session = await request(t.http)
                .get(`/api/imports/${importId}`)
                .set(bearer(manager))
                .expect(200);
              if (session.body.data.status === 'completed') break;
              await sleep(25);
            }
            expect(session?.body.data.status).toBe('completed');
            counters = session?.body.data.result;
            const page = await request(t.http)
              .get(`/api/imports/${importId}/rows?limit=1000`)
              .set(bearer(manager))
              .expect(200);
            results = page.body.data.items.map(
              (r: { row_number: number; outcome: string; id?: string; reason?: string }) => ({
                row_number: r.row_number,
                status: r.outcome,
                id: r.id,
                reason: r.reason,
              }),
            );
          } else {
            counters = c.body.data;
            results = c.body.data.results;
          }

          // The counters: one outcome per row, summing to total_rows, as the model says.
          expect(counters.created + counters.updated + counters.skipped + counters.failed).toBe(rows.length);
          const outcomeCount = (s: string) => expected.filter((e) => e.outcome.status === s).length;
          expect(counters).toMatchObject({
            created: outcomeCount('created'),
            updated: outcomeCount('updated'),
            skipped: outcomeCount('skipped'),
            failed: outcomeCount('failed'),
          });
          expect(results.map((r) => r.row_number)).toEqual(rows.map((_, i) => i + 2));
          results.forEach((r, i) => {
            expect({ row: r.row_number, status: r.status, reason: r.reason }).toEqual({
              row: i + 2,
              status: expected[i].outcome.status,
              reason: expected[i].outcome.reason,
            });
          });

          // The table: exactly the created rows were added, with the CSV values.
          const after: Record<string, unknown>[] = await t.dataSource.query(
            `SELECT * FROM customers ORDER BY id`,
          );
          expect(after).toHaveLength(before.length + counters.created);
          const byId = new Map(after.map((r) => [r.id as string, r]));
          const touched = new Set<string>();
          for (const [i, r] of results.entries()) {
            const e = expected[i];
            if (r.status !== 'created' && r.status !== 'updated') continue;
            expect(r.id).toEqual(expect.any(String));
            const record = byId.get(r.id!)!;
            touched.add(r.id!);
            const [values] = await t.dataSource.query(`SELECT ${COLUMNS} FROM customers WHERE id = $1`, [
              r.id,
            ]);
            expect(values).toEqual(e.values);
            if (r.status === 'created') {
              expect(before.some((b) => b.id === r.id)).toBe(false);
              expect(record.distributor_id).toBe(e.distributorId);
              expect(record.archived_at).toBeNull();
            } else {
              // Updated: the live record with that VAT, now holding the CSV values.
              expect(r.id).toBe(dir.live.get(e.values.vat_number!.toLowerCase()));
              const old = before.find((b) => b.id === r.id)!;
              expect(record.distributor_id).toBe(
                e.distributorId === undefined ? old.distributor_id : e.distributorId,
              );
              expect(record.created_at).toEqual(old.created_at);
            }
          }
          // Every other record is exactly as it was.
          for (const old of before)
            if (!touched.has(old.id as string)) expect(byId.get(old.id as string)).toEqual(old);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  // ------------------------------------------------------------------------------------------- courier import

  interface CourierLine {
    /** Fewer than 3 cells: skipped and listed in skipped_rows. */
    short: boolean;
    code: string | null;
    first: string;
    last: string;
    branch: string;
  }

  /** A line whose values are all valid (its user_code may still repeat an earlier one). */
  const goodLine: fc.Arbitrary<CourierLine> = fc.record({
    short: fc.constant(false),
    code: fc.oneof(
      { weight: 6, arbitrary: fc.constant(null) },
      // Existing in this courier (update), or only in the other courier (create here).
      { weight: 2, arbitrary: fc.constantFrom('U1', 'U2', 'u1', 'B1') },
    ),
    first: fc.constantFrom('Ada', 'Émile', '<script>alert(1)</script>'),
    last: fc.constantFrom('Lovelace', "O'Neil; DROP TABLE courier_customers; --"),
    branch: fc.constantFrom('', 'North', 'Ünïcödé ☃'),
  });
  /** Any line: a missing or too long value, or fewer than 3 cells (skipped, not an error). */
  const anyLine: fc.Arbitrary<CourierLine> = fc.oneof(
    { weight: 6, arbitrary: goodLine },
    { weight: 1, arbitrary: goodLine.map((l) => ({ ...l, short: true })) },
    { weight: 1, arbitrary: goodLine.map((l) => ({ ...l, code: '' })) },
    { weight: 1, arbitrary: goodLine.map((l) => ({ ...l, code: 'X'.repeat(65) })) },
    { weight: 1, arbitrary: goodLine.map((l) => ({ ...l, first: '' })) },
    { weight: 1, arbitrary: goodLine.map((l) => ({ ...l, last: 'Z'.repeat(256) })) },
  );
  const courierFile = fc.oneof(
    fc.array(goodLine, { minLength: 1, maxLength: 12 }),
    fc.array(anyLine, { minLength: 1, maxLength: 12 }),
  );

  it('courier import: a file writes every row or none', async () => {
    await fc.assert(
      fc.asyncProperty(courierFile, fc.boolean(), async (lines, preview) => {
        await truncateAll(t.dataSource);
        const [{ id: courierA }, { id: courierB }] = await t.dataSource.query(
          `INSERT INTO couriers (name) VALUES ('A'), ('B') RETURNING id`,
        );
        await t.dataSource.query(
          `INSERT INTO courier_customers (courier_id, user_code, first_name, last_name, branch) VALUES
             ($1, 'U1', 'Old', 'One', 'South'), ($1, 'U2', 'Old', 'Two', NULL), ($2, 'B1', 'Other', 'Courier', NULL)`,
          [courierA, courierB],
        );
        const snapshot = () =>
          t.dataSource.query(
            `SELECT courier_id, user_code, first_name, last_name, branch, created_at, updated_at
             FROM courier_customers ORDER BY courier_id, user_code`,
          );
        const before = await snapshot();
        const rider = await tokenIn(t.dataSource, Role.Courier, {
          id: 'property-rider',
          courierId: courierA,
        });
        const token = preview ? rider : admin;

        // The model: header skipped, short rows skipped, any invalid row refuses the file.
        const codes = lines.map((l, i) => l.code ?? `NEW-${i}`);
        const seen = new Set<string>();
        const problems: number[] = [];
        const skipped: number[] = [];
        const written = new Map<string, { first: string; last: string; branch: string | null }>();
        lines.forEach((l, i) => {
          if (l.short) return void skipped.push(i + 2);
          const code = codes[i];
          const bad =
            code === '' ||
            [...code].length > 64 ||
            l.first === '' ||
            [...l.last].length > 255 ||
            seen.has(code);
          if (code !== '') seen.add(code);
          if (bad) problems.push(i + 2);
          else written.set(code, { first: l.first, last: l.last, branch: l.branch || null });
        });
        const content =
          line(['user_code', 'first_name', 'last_name', 'branch']) +
          lines
            .map((l, i) =>
              l.short ? line([codes[i], l.first]) : line([codes[i], l.first, l.last, l.branch]),
            )
            .join('');

        const upload = (path: string) =>
          request(t.http)
            .post(`/api/courier-customers/import${path}`)
            .set(bearer(token))
            .field('target_courier_id', courierA)
            .attach('file', Buffer.from(content), 'customers.csv');
        let res;
        if (preview) {
          const v = await upload('/validate').expect(200);
          res = await request(t.http)
            .post('/api/courier-customers/import/confirm')
            .set(bearer(token))
            .send({ import_id: v.body.data.import_id });
        } else {
          const sessionsBefore = (await tableCounts(t.dataSource)).import_sessions;
          res = await upload('');
          if (problems.length > 0)
            expect((await tableCounts(t.dataSource)).import_sessions).toBe(sessionsBefore);
        }

        if (problems.length > 0) {
          expect(res.status).toBe(400);
          expect(res.body.status).toBe('error');
          expect(res.body.message).toContain('nothing was written');
          expect([...new Set(res.body.errors.map((e: { row_number: number }) => e.row_number))]).toEqual(
            problems,
          );
          expect(await snapshot()).toEqual(before);
          return;
        }
        const known = new Set(['U1', 'U2']);
        const created = [...written.keys()].filter((c) => !known.has(c)).length;
        expect({ status: res.status, body: res.body }).toEqual({
          status: 200,
          body: {
            status: 'success',
            message: `Successfully processed ${written.size} records (Upsert complete).`,
            data: {
              processed: written.size,
              created,
              updated: written.size - created,
              // The seeded customers' names are never the file's: none is unchanged.
              unchanged: 0,
              skipped_rows: skipped,
            },
          },
        });
        const after: {
          courier_id: string;
          user_code: string;
          first_name: string;
          last_name: string;
          branch: string | null;
        }[] = await snapshot();
        // The other courier is untouched; this courier holds its old customers, each row of the file written.
        expect(after.filter((r) => r.courier_id === courierB)).toEqual(
          before.filter((r: { courier_id: string }) => r.courier_id === courierB),
        );
        const mine = new Map(after.filter((r) => r.courier_id === courierA).map((r) => [r.user_code, r]));
        expect(mine.size).toBe(2 + created);
        for (const [code, value] of written) {
          expect(mine.get(code)).toMatchObject({
            first_name: value.first,
            last_name: value.last,
            branch: value.branch,
          });
        }
        for (const old of before.filter(
          (r: { courier_id: string; user_code: string }) =>
            r.courier_id === courierA && !written.has(r.user_code),
        ))
          expect(mine.get(old.user_code)).toEqual(old);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
