import { STATUS_CODES, Server } from 'node:http';
import { Duplex } from 'node:stream';
import { AppConfig } from '../../config/config';

/** What Node refuses before any route sees the request, and the message each refusal carries. */
function refusalOf(error: NodeJS.ErrnoException): { status: number; message: string } {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: 'request headers are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'the request took too long to arrive' };
    default:
      return { status: 400, message: 'malformed HTTP request' };
  }
}

/**
 * Upload timeouts from the configuration, and Node's own refusals (400, 408, 431) in the envelope of
 * API.md §2 rather than with an empty body.
 */
export function applyHttpServerLimits(server: Server, config: AppConfig): void {
  server.requestTimeout = config.http.requestTimeoutMs;
  server.headersTimeout = Math.min(config.http.headersTimeoutMs, config.http.requestTimeoutMs);
  server.keepAliveTimeout = config.http.idleTimeoutMs;

  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const pending = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || pending?.headersSent) {
      socket.destroy();
      return;
    }
    const { status, message } = refusalOf(error);
    const body = JSON.stringify({ code: status, message, data: null });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  });
}
