import { HttpStatus } from '@nestjs/common';
import { Request } from 'express';
import { createWriteStream, WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { asStream as jsonTokens, Token } from 'stream-json/parser.js';
import { RawBodyException } from '../common/http/api.exception';
import { MAX_JSON_DEPTH } from '../common/http/json-depth';

/** What the JSON body held under `content`: nothing, something other than a string, or a text spooled to a file. */
export type ContentField =
  | { kind: 'absent' }
  | { kind: 'not-text' }
  | { kind: 'text'; path: string; blank: boolean; bytes: number; signal?: AbortSignal };

/** Where the text goes, and the most bytes of body (after decompression) that are read. */
export interface ContentFieldLimits {
  maxBytes: number;
  /** A new, empty file for the text (deleted by the caller). */
  createFile: () => string;
}

/**
 * The body's text is written to its file in pieces of about this many characters: below V8's large-object size
 * (128 KiB), so that each piece's string is collected young instead of piling up in the old generation.
 */
const WRITE_CHARS = 48 * 1024;
/** A key is compared with "content" only: longer keys are not kept whole. */
const KEY_CHARS = 16;

const refused = (status: HttpStatus, error: string) => new RawBodyException(status, { error });

function decoderFor(encoding: string): NodeJS.ReadWriteStream | undefined | null {
  switch (encoding) {
    case '':
    case 'identity':
      return undefined;
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return null;
  }
}

/**
 * Reads a JSON object body as a stream of tokens, writing the text of its top-level `content` string to a
 * file as it arrives: a body as large as an upload is never held in memory, as bytes, text or parsed value.
 * Every other member is read past. Answers, in the one-shot import's `{error}` body:
 * 413 over `maxBytes`, 415 for a charset or encoding other than UTF-8 and gzip/deflate/br, and 400 for a body
 * that is not one JSON object, nests deeper than {@link MAX_JSON_DEPTH}, gives `content` twice, or stops short.
 */
export async function readContentField(req: Request, limits: ContentFieldLimits): Promise<ContentField> {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1];
  if (charset && !/^utf-?8$/i.test(charset)) throw refused(415, 'unsupported body encoding');
  const decoder = decoderFor((req.headers['content-encoding'] ?? '').trim().toLowerCase());
  if (decoder === null) throw refused(415, 'unsupported body encoding');

  const reader = new ContentFieldReader(limits.createFile);
  const tokens = jsonTokens({ packKeys: false, packStrings: false, packNumbers: false });
  let failure: RawBodyException | undefined;
  const fail = (error: RawBodyException) => {
    if (failure) return;
    failure = error;
    req.unpipe();
    decoder?.unpipe?.();
    tokens.destroy(error);
  };
  const counter = (source: NodeJS.ReadableStream) => {
    let bytes = 0;
    source.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limits.maxBytes) fail(refused(413, 'request body is too large'));
    });
  };
  counter(req);
  req.once('aborted', () => fail(refused(400, 'request aborted')));
  req.once('error', () => fail(refused(400, 'request aborted')));
  if (decoder) {
    counter(decoder);
    decoder.once('error', () => fail(refused(400, 'the body cannot be decompressed')));
    req.pipe(decoder).pipe(tokens);
  } else {
    req.pipe(tokens);
  }
  try {
    // Tokens are taken as they come, synchronously: the parser pauses only while the file catches up.
    await new Promise<void>((resolve, reject) => {
      tokens.on('data', (token: Token) => {
        try {
          if (reader.take(token)) return;
          tokens.pause();
          reader.drained().then(() => tokens.resume(), reject);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
      tokens.once('end', resolve);
      tokens.once('error', reject);
    });
    return await reader.end();
  } catch (error) {
    req.unpipe();
    decoder?.unpipe?.();
    tokens.destroy();
    reader.abandon();
    if (failure) throw failure;
    if (error instanceof RawBodyException) throw error;
    throw refused(400, 'malformed JSON body');
  }
}

/** Follows the tokens of one JSON object, keeping only the text of its top-level `content` string. */
class ContentFieldReader {
  private depth = 0;
  private started = false;
  private inKey = false;
  private key = '';
  /** The top-level key whose value comes next, or undefined inside a value. */
  private member?: string;
  private field: ContentField = { kind: 'absent' };
  private out?: WriteStream;
  private pending: string[] = [];
  private pendingLength = 0;
  private blank = true;
  private bytes = 0;
  private closing?: Promise<unknown>;

  constructor(private readonly createFile: () => string) {}

  /** Takes the next token; answers false when the file must catch up first ({@link drained}). */
  take(token: Token): boolean {
    switch (token.name) {
      case 'startObject':
      case 'startArray':
        if (!this.started && token.name === 'startArray')
          throw refused(400, 'the JSON body must be an object, not an array');
        this.started = true;
        this.value();
        if (++this.depth > MAX_JSON_DEPTH)
          throw refused(400, `the JSON body is nested more than ${MAX_JSON_DEPTH} levels deep`);
        return true;
      case 'endObject':
      case 'endArray':
        this.depth--;
        return true;
      case 'startKey':
        this.inKey = true;
        this.key = '';
        return true;
      case 'endKey':
        this.inKey = false;
        if (this.depth === 1) this.member = this.key;
        return true;
      case 'startString':
        if (this.depth === 1 && this.member === 'content') this.open();
        else this.value();
        return true;
      case 'stringChunk':
        if (this.inKey) {
          if (this.key.length <= KEY_CHARS) this.key += String(token.value);
          return true;
        }
        return this.out ? this.write(String(token.value)) : true;
      case 'endString':
        if (this.out) this.close();
        return true;
      default:
        // A number, true, false or null, or their pieces.
        if (token.name !== 'numberChunk' && token.name !== 'endNumber') this.value();
        return true;
    }
  }

  /** Resolves once the file has taken what it was given. */
  drained(): Promise<unknown> {
    return this.out && this.out.writableNeedDrain ? once(this.out, 'drain') : Promise.resolve();
  }

  /** A value starts: the body must be an object, and its `content` a string. */
  private value(): void {
    if (!this.started) throw refused(400, 'malformed JSON body');
    if (this.depth === 0) return;
    if (this.depth === 1 && this.member === 'content') this.field = { kind: 'not-text' };
    if (this.depth === 1) this.member = undefined;
  }

  private open(): void {
    if (this.field.kind !== 'absent') throw refused(400, 'content is given more than once');
    this.member = undefined;
    const path = this.createFile();
    this.field = { kind: 'text', path, blank: true, bytes: 0 };
    this.out = createWriteStream(path, { flags: 'w' });
  }

  private write(text: string): boolean {
    if (this.blank && /\S/.test(text)) this.blank = false;
    this.pending.push(text);
    this.pendingLength += text.length;
    return this.pendingLength >= WRITE_CHARS ? this.flush() : true;
  }

  private flush(): boolean {
    if (!this.out || this.pending.length === 0) return true;
    const chunk = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingLength = 0;
    this.bytes += chunk.length;
    return this.out.write(chunk);
  }

  private close(): void {
    this.flush();
    const out = this.out!;
    this.out = undefined;
    this.closing = new Promise((resolve, reject) => out.end(resolve).once('error', reject));
    if (this.field.kind === 'text') this.field = { ...this.field, blank: this.blank, bytes: this.bytes };
  }

  /** What the body held, once its text is all in the file. */
  async end(): Promise<ContentField> {
    await this.closing;
    return this.field;
  }

  abandon(): void {
    this.out?.destroy();
    this.out = undefined;
  }
}
