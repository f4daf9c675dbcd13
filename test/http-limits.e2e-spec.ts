import { Server } from 'node:http';
import { AddressInfo, connect } from 'node:net';
import { startTestApp, TestApp, testConfig } from './support/test-app';

/** Node's own refusals carry the error envelope of API.md §2, and upload timeouts follow the settings. */

/** Writes raw bytes to the service and reads the whole answer. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => (answer += text));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
    socket.write(bytes);
  });
}

const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as unknown;

describe('HTTP limits', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await startTestApp({
      HTTP_REQUEST_TIMEOUT: '45m',
      HTTP_HEADERS_TIMEOUT: '20s',
      HTTP_IDLE_TIMEOUT: '7s',
    });
    await t.app.listen(0, '127.0.0.1');
    port = ((t.app.getHttpServer() as Server).address() as AddressInfo).port;
  });

  afterAll(async () => {
    await t?.close();
  });

  it('headers over the limit get 431 with the error envelope', async () => {
    const answer = await rawExchange(
      port,
      `GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
    );
    expect(answer.startsWith('HTTP/1.1 431 ')).toBe(true);
    expect(answer).toContain('Content-Type: application/json');
    expect(bodyOf(answer)).toEqual({ code: 431, message: 'request headers are too large', data: null });
  });

  it('a malformed request gets 400 with the error envelope', async () => {
    const answer = await rawExchange(port, 'NOT A REQUEST\r\n\r\n');
    expect(answer.startsWith('HTTP/1.1 400 ')).toBe(true);
    expect(bodyOf(answer)).toEqual({ code: 400, message: 'malformed HTTP request', data: null });
  });

  it('the server takes its timeouts from the settings', () => {
    const server = t.app.getHttpServer() as Server;
    expect(server.requestTimeout).toBe(45 * 60_000);
    expect(server.headersTimeout).toBe(20_000);
    expect(server.keepAliveTimeout).toBe(7_000);
  });

  it('by default a 100 MiB upload may take as long as it needs at 0.5 Mbit/s', () => {
    const config = testConfig();
    const seconds = (100 * 1024 * 1024 * 8) / 500_000;
    expect(config.http.requestTimeoutMs).toBeGreaterThanOrEqual(seconds * 1000);
    expect(config.http.idleTimeoutMs).toBeLessThanOrEqual(60_000);
  });
});

describe('HTTP limits: a request that takes too long to arrive', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await startTestApp({ HTTP_REQUEST_TIMEOUT: '1s', HTTP_HEADERS_TIMEOUT: '1s' });
    await t.app.listen(0, '127.0.0.1');
    port = ((t.app.getHttpServer() as Server).address() as AddressInfo).port;
  });

  afterAll(async () => {
    await t?.close();
  });

  // Node looks for late requests every 30 s: the answer comes within that.
  it('gets 408 with the error envelope', async () => {
    const answer = await rawExchange(port, 'POST /api/customers/import HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    expect(answer.startsWith('HTTP/1.1 408 ')).toBe(true);
    expect(bodyOf(answer)).toEqual({ code: 408, message: 'the request took too long to arrive', data: null });
  }, 45_000);
});
