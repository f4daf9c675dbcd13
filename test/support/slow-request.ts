import { request as httpRequest } from 'node:http';

export interface SlowRequest {
  port: number;
  path: string;
  headers: Record<string, string>;
  /** Written at once, right after the headers. */
  head: Buffer;
  /** Then written every `intervalMs`, at most `maxChunks` times (the body is never finished). */
  chunk: Buffer;
  maxChunks: number;
  intervalMs: number;
  /** How long to wait for an answer once every chunk is written. */
  waitMs: number;
}

export interface SlowAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Body bytes written when the answer arrived. */
  bytesWritten: number;
}

/**
 * POSTs a body slowly and never finishes it: answers as soon as the server answers, or fails when the
 * server is still waiting for the rest of the body after every chunk was written. So an answer means that
 * the server answered before it had read the whole body.
 */
export function sendWithoutFinishing(options: SlowRequest): Promise<SlowAnswer> {
  return new Promise((resolve, reject) => {
    let written = 0;
    let answered = false;
    let timer: NodeJS.Timeout | undefined;
    const req = httpRequest({
      host: '127.0.0.1',
      port: options.port,
      method: 'POST',
      path: options.path,
      headers: options.headers,
    });
    req.on('response', (res) => {
      answered = true;
      clearTimeout(timer);
      const bytesWritten = written;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (text: string) => (body += text));
      const done = () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, bytesWritten });
      };
      res.on('end', done);
      res.on('error', done);
    });
    req.on('error', (error) => {
      if (answered) return;
      clearTimeout(timer);
      reject(new Error(`the request failed before any answer, after ${written} bytes: ${error.message}`));
    });
    const write = (buffer: Buffer) => {
      written += buffer.length;
      req.write(buffer);
    };
    const next = (n: number) => {
      if (answered) return;
      if (n === options.maxChunks) {
        timer = setTimeout(() => {
          req.destroy();
          reject(new Error(`no answer after ${written} bytes: the server waits for the rest of the body`));
        }, options.waitMs);
        return;
      }
      write(options.chunk);
      timer = setTimeout(() => next(n + 1), options.intervalMs);
    };
    req.flushHeaders();
    write(options.head);
    next(0);
  });
}
