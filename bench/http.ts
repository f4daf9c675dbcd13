import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { CsvFile, readChunks } from './data';

/** An answer of the service: its status, its size on the wire (the body's bytes) and its parsed body. */
export interface Answer {
  status: number;
  bytes: number;
  body: any;
  text: string;
  headers: Headers;
}

/** A wrong answer of the service: the benchmark stops and exits 1. */
export class WrongAnswer extends Error {
  constructor(what: string, answer?: Answer) {
    super(answer ? `${what}\n  HTTP ${answer.status}: ${answer.text.slice(0, 4000)}` : what);
    this.name = 'WrongAnswer';
  }
}

async function read(response: Response): Promise<Answer> {
  const buffer = Buffer.from(await response.arrayBuffer());
  const text = buffer.toString('utf8');
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: response.status, bytes: buffer.length, body, text, headers: response.headers };
}

/**
 * A multipart/form-data body streamed from a file: the text fields and the file part's header, the file's
 * chunks as they are read from disk, and the closing boundary. The file is never held in memory.
 */
function multipart(
  file: CsvFile,
  fields: Record<string, string>,
  onSent?: () => void,
): { body: AsyncIterable<Uint8Array>; type: string; length: number } {
  const boundary = `----rowgate-bench-${randomBytes(12).toString('hex')}`;
  const parts = Object.entries(fields).map(
    ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  const preamble = Buffer.from(
    `${parts.join('')}--${boundary}\r\n` +
      `Content-Disposition: form-data; name="file"; filename="${basename(file.path)}"\r\n` +
      'Content-Type: text/csv\r\n\r\n',
  );
  const epilogue = Buffer.from(`\r\n--${boundary}--\r\n`);
  async function* body(): AsyncGenerator<Uint8Array> {
    yield preamble;
    for await (const chunk of readChunks(file)) yield chunk as Buffer;
    yield epilogue;
    onSent?.();
  }
  return {
    body: body(),
    type: `multipart/form-data; boundary=${boundary}`,
    length: preamble.length + file.bytes + epilogue.length,
  };
}

/**
 * The JSON body `{"content": "<the file's text>"}` streamed from a file: the text is escaped piece by piece
 * as it is read from disk, never held whole.
 */
async function* contentBody(file: CsvFile, onSent?: () => void): AsyncGenerator<Uint8Array> {
  yield Buffer.from('{"content": "');
  const decoder = new StringDecoder('utf8');
  for await (const chunk of readChunks(file)) {
    yield Buffer.from(JSON.stringify(decoder.write(chunk as Buffer)).slice(1, -1));
  }
  yield Buffer.from(`${JSON.stringify(decoder.end()).slice(1, -1)}"}`);
  onSent?.();
}

/** The service's HTTP API through Node's global fetch, with the bearer token once logged in. */
export class ApiClient {
  private token?: string;

  constructor(readonly baseUrl: string) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}`, ...extra } : extra;
  }

  async get(path: string): Promise<Answer> {
    return read(await fetch(`${this.baseUrl}${path}`, { headers: this.headers() }));
  }

  async post(path: string, json: unknown): Promise<Answer> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: this.headers({ 'content-type': 'application/json' }),
      body: JSON.stringify(json),
    });
    return read(response);
  }

  /**
   * POSTs `{"content": <the file's text>}`, streamed (chunked, without Content-Length); `onSent` is called
   * once the whole body is handed over.
   */
  async postContent(path: string, file: CsvFile, onSent?: () => void): Promise<Answer> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: this.headers({ 'content-type': 'application/json' }),
      body: contentBody(file, onSent),
      duplex: 'half',
    });
    return read(response);
  }

  /**
   * POSTs the file in the multipart field `file`, with `fields` before it; `onSent` is called once the whole
   * body is handed over, and `signal` aborts the request.
   */
  async upload(
    path: string,
    file: CsvFile,
    fields: Record<string, string> = {},
    options: { signal?: AbortSignal; onSent?: () => void } = {},
  ): Promise<Answer> {
    const { body, type, length } = multipart(file, fields, options.onSent);
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: this.headers({ 'content-type': type, 'content-length': String(length) }),
      body,
      duplex: 'half',
      signal: options.signal,
    });
    return read(response);
  }

  async login(email: string, password: string): Promise<void> {
    const answer = await this.post('/api/auth/login', { email, password });
    if (answer.status !== 200 || typeof answer.body?.access_token !== 'string') {
      throw new WrongAnswer('login failed', answer);
    }
    this.token = answer.body.access_token as string;
  }
}
