import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Role } from '../src/auth/permissions';
import { sleep } from './support/service-process';
import { bearer, startTestApp, TestApp, tokenIn } from './support/test-app';

/** Uploads are spooled to DATA_DIR/spool, readable by the service's user alone, and emptied at boot. */
describe('the upload spool', () => {
  let t: TestApp;
  let dataDir: string;
  let spool: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rowgate-spool-'));
    spool = join(dataDir, 'spool');
    // What a crashed process left behind (a process id that cannot be alive).
    mkdirSync(spool, { mode: 0o755 });
    writeFileSync(join(spool, '2147483646-left-by-a-crash'), 'company_name,vat_number\r\nSecret,IT1\r\n');
    t = await startTestApp({ DATA_DIR: dataDir });
    await t.app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is a 0700 folder under DATA_DIR, emptied at boot', () => {
    expect(statSync(spool).mode & 0o777).toBe(0o700);
    expect(readdirSync(spool)).toEqual([]);
  });

  it('holds an upload in progress in a 0600 file, deleted when the client goes away', async () => {
    const manager = await tokenIn(t.dataSource, Role.Manager);
    const port = ((t.app.getHttpServer() as Server).address() as AddressInfo).port;
    const boundary = 'spool-boundary';
    const head =
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="c.csv"\r\n` +
      'Content-Type: text/csv\r\n\r\ncompany_name,vat_number\r\n' +
      'Acme,IT1\r\n'.repeat(20_000);
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/api/customers/import/validate',
      headers: {
        ...bearer(manager),
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Content-Length': String(head.length + 1_000_000),
      },
    });
    req.on('error', () => undefined);
    req.write(head);
    let files: string[] = [];
    for (let i = 0; i < 100 && files.length === 0; i++) {
      await sleep(50);
      files = readdirSync(spool);
    }
    expect(files).toHaveLength(1);
    expect(statSync(join(spool, files[0])).mode & 0o777).toBe(0o600);
    req.destroy();
    for (let i = 0; i < 100 && existsSync(join(spool, files[0])); i++) await sleep(50);
    expect(readdirSync(spool)).toEqual([]);
  });
});
