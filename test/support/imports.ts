import request from 'supertest';
import { TestApp, bearer } from './test-app';

export const HEADER =
  'company_name,description,vat_number,address,city,main_contact,email,phone,language,notes';

/** A CSV from lines (CRLF-terminated). */
export const csv = (...lines: string[]) => lines.map((l) => `${l}\r\n`).join('');

/** A valid organization line with the given name and VAT. */
export const org = (name: string, vat: string, extra: Partial<Record<string, string>> = {}) =>
  [
    name,
    extra.description ?? 'desc',
    vat,
    extra.address ?? 'Via Roma 1',
    extra.city ?? 'Milano',
    extra.main_contact ?? 'Anna',
    extra.email ?? 'anna@example.com',
    extra.phone ?? '+39 02 1234567',
    extra.language ?? 'it',
    extra.notes ?? '',
  ].join(',');

export function validate(
  t: TestApp,
  token: string,
  entity: string,
  content: string | Buffer,
  fields: Record<string, string> = {},
) {
  const req = request(t.http).post(`/api/${entity}/import/validate`).set(bearer(token));
  for (const [k, v] of Object.entries(fields)) void req.field(k, v);
  return req.attach('file', Buffer.isBuffer(content) ? content : Buffer.from(content), 'import.csv');
}

export function confirm(t: TestApp, token: string, entity: string, body: Record<string, unknown>) {
  return request(t.http).post(`/api/${entity}/import/confirm`).set(bearer(token)).send(body);
}
