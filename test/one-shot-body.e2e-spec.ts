import { readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { Role } from '../src/auth/permissions';
import { csv, HEADER, org } from './support/imports';
import { bearer, startTestApp, TestApp, tokenFor, truncateAll } from './support/test-app';

/** The one-shot import's body is read as a stream: its `content` never held in memory whole. */
describe('POST /api/customers/import: the JSON body read as a stream', () => {
  let t: TestApp;
  let port: number;
  const admin = tokenFor(Role.Admin);
  const MAX_FILE = 256 * 1024;

  /** Sends raw bytes with the given headers, in pieces of `piece` bytes, without a Content-Length. */
  function sendChunked(
    body: Buffer,
    headers: Record<string, string>,
    piece = 7 * 1024,
  ): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/customers/import',
        headers: { Authorization: `Bearer ${admin}`, ...headers },
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (s: string) => (text += s));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
      });
      req.on('error', reject);
      const write = (offset: number) => {
        if (offset >= body.length) return req.end();
        req.write(body.subarray(offset, offset + piece), () => write(offset + piece));
      };
      write(0);
    });
  }
  const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
    request(t.http)
      .post('/api/customers/import')
      .set(bearer(admin))
      .set({ 'Content-Type': 'application/json', ...headers })
      .send(body);
  const customers = () =>
    t.dataSource.query(`SELECT company_name, vat_number, notes FROM customers ORDER BY vat_number`);
  const spooled = () => readdirSync(join(t.config.dataDir, 'spool'));

  beforeAll(async () => {
    t = await startTestApp({ IMPORT_MAX_FILE_SIZE: String(MAX_FILE) });
    await t.app.listen(0, '127.0.0.1');
    port = (t.http.address() as AddressInfo).port;
  });
  afterAll(() => t.close());
  beforeEach(() => truncateAll(t.dataSource));
  afterEach(async () => {
    // Each answer's temporary file is deleted once the answer is sent.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(spooled()).toEqual([]);
  });

  it('reads escapes and multi-byte characters cut across pieces of the body, as JSON.parse would', async () => {
    const rows = Array.from({ length: 400 }, (_, i) =>
      org(`Caffè "Nero" ${i}`.replace(/"/g, '""').replace(/^(.*)$/, '"$1"'), `V${1000 + i}`, {
        notes: `città ✓ \\ €${i}`,
      }),
    );
    const content = csv(HEADER, ...rows);
    const body = Buffer.from(JSON.stringify({ before: { x: [1, 'content'] }, content, after: null }));
    const answer = await sendChunked(body, { 'Content-Type': 'application/json; charset=utf-8' }, 333);
    expect(answer).toEqual({
      status: 200,
      body: { count: 400, created: 400, updated: 0, unchanged: 0, errors: [] },
    });
    const stored = await customers();
    expect(stored).toHaveLength(400);
    expect(stored[7]).toEqual({
      company_name: 'Caffè "Nero" 7',
      vat_number: 'V1007',
      notes: 'città ✓ \\ €7',
    });
  });

  it('takes a gzip-compressed body', async () => {
    const body = gzipSync(JSON.stringify({ content: csv(HEADER, org('Alpha', 'V1'), org('Beta', 'V2')) }));
    const res = await sendChunked(body, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
    expect(res).toMatchObject({ status: 200, body: { count: 2, created: 2 } });
    expect(await customers()).toHaveLength(2);
  });

  it('413 for a body without Content-Length that grows over the limit, compressed or not; nothing written', async () => {
    const content = csv(HEADER, ...Array.from({ length: 4000 }, (_, i) => org(`C${i}`, `V${i}`)));
    expect(content.length).toBeGreaterThan(MAX_FILE);
    const plain = await sendChunked(Buffer.from(JSON.stringify({ content })), {
      'Content-Type': 'application/json',
    });
    expect(plain).toEqual({ status: 413, body: { error: 'request body is too large' } });
    // Compressed, it is small; unpacked, it is over the limit.
    const packed = gzipSync(JSON.stringify({ content }));
    expect(packed.length).toBeLessThan(MAX_FILE);
    const bomb = await sendChunked(packed, {
      'Content-Type': 'application/json',
      'Content-Encoding': 'gzip',
    });
    expect(bomb).toEqual({ status: 413, body: { error: 'request body is too large' } });
    expect(await customers()).toEqual([]);
  });

  it.each([
    ['content given twice', '{"content": "a,b\\n1,2", "content": "x"}', 'content is given more than once'],
    ['a body cut short', `{"content": ${JSON.stringify(csv(HEADER, org('A', 'V1')))}`, 'malformed JSON body'],
    ['a bare string', JSON.stringify(csv(HEADER, org('A', 'V1'))), 'malformed JSON body'],
    [
      'trailing garbage',
      `{"content": ${JSON.stringify(csv(HEADER, org('A', 'V1')))}} x`,
      'malformed JSON body',
    ],
    ['an array', `[{"content": ${JSON.stringify(csv(HEADER, org('A', 'V1')))}}]`, 'must be an object'],
    ['deep nesting', `{"x": ${'['.repeat(50_000)}`, 'nested more than 32 levels deep'],
    ['content as a number', '{"content": 42}', 'content must be a non-empty string'],
    ['content as an object', '{"content": {"text": "a"}}', 'content must be a non-empty string'],
    ['content as null', '{"content": null}', 'content must be a non-empty string'],
    ['blank content', '{"content": " \\r\\n\\t "}', 'content must be a non-empty string'],
    ['no content', '{"contents": "a,b\\n1,2"}', 'content must be a non-empty string'],
  ])('400 {error} for %s, nothing written', async (_name, body, message) => {
    const res = await post(body).expect(400);
    expect(res.body).toEqual({ error: expect.stringContaining(message) });
    expect(await customers()).toEqual([]);
  });

  it('415 for a charset other than UTF-8 or an unknown content encoding', async () => {
    const body = JSON.stringify({ content: csv(HEADER, org('A', 'V1')) });
    for (const headers of <Record<string, string>[]>[
      { 'Content-Type': 'application/json; charset=latin1' },
      { 'Content-Encoding': 'compress' },
    ]) {
      const res = await post(body, headers).expect(415);
      expect(res.body).toEqual({ error: 'unsupported body encoding' });
    }
    expect(await customers()).toEqual([]);
  });
});
