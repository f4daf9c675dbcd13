import { AddressInfo, connect } from 'node:net';
import { Role } from '../src/auth/permissions';
import { startTestApp, TestApp, tokenFor } from './support/test-app';

/**
 * A caller is asked who it is before any byte of its body is read (README, Security): a 90 MB JSON body gets
 * its 401 or 403 while most of it is still unsent.
 */
describe('authentication before the body', () => {
  let t: TestApp;
  let port: number;
  const manager = tokenFor(Role.Manager);
  const admin = tokenFor(Role.Admin);

  beforeAll(async () => {
    t = await startTestApp();
    await new Promise<void>((resolve) => t.http.listen(0, '127.0.0.1', resolve));
    port = (t.http.address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  /**
   * Sends the headers of a `size`-byte JSON body and its first megabyte (at most half of it), then waits for an answer without
   * sending more. Answers the status line and the body, or "no answer" after two seconds.
   */
  function firstMegabyte(path: string, size: number, token?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      const timer = setTimeout(() => {
        socket.destroy();
        resolve('no answer');
      }, 2000);
      socket.on('data', (chunk) => {
        received += chunk.toString('utf8');
        const end = received.indexOf('\r\n\r\n');
        if (end === -1) return;
        const length = /content-length: (\d+)/i.exec(received.slice(0, end));
        if (length && received.length - end - 4 < Number(length[1])) return;
        clearTimeout(timer);
        socket.destroy();
        resolve(`${received.split('\r\n')[0]} ${received.slice(end + 4)}`);
      });
      socket.on('error', reject);
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${size}\r\n${token ? `Authorization: Bearer ${token}\r\n` : ''}\r\n`,
      );
      socket.write(`{"content":"${'a'.repeat(Math.min(1024 * 1024, size / 2))}`);
    });
  }

  const NINETY_MB = 90 * 1024 * 1024;

  it('the one-shot import answers 401 without a token and 403 for a manager, the body unsent', async () => {
    expect(await firstMegabyte('/api/customers/import', NINETY_MB)).toMatch(/^HTTP\/1\.1 401 .*\{"error":"/);
    expect(await firstMegabyte('/api/customers/import', NINETY_MB, manager)).toBe(
      'HTTP/1.1 403 Forbidden {"error":"missing permission: customer:import-one-shot"}',
    );
  });

  it('an admin’s body is read: the answer waits for it', async () => {
    expect(await firstMegabyte('/api/customers/import', NINETY_MB, admin)).toBe('no answer');
  });
});
