import { isAscii, isUtf8 } from 'buffer';
import { promises as fsp } from 'fs';
import { StringDecoder } from 'string_decoder';
import * as iconv from 'iconv-lite';
import { CsvFormatError, NOT_TEXT_MESSAGE } from './csv-format-error';
import type { CsvEncoding, CsvSource } from './csv-types';

/** Bytes read at a time when checking a file for UTF-8 validity. */
const SCAN_CHUNK_BYTES = 1 << 20;

export const ODD_UTF16_MESSAGE = 'file is not valid UTF-16 text (it has an odd number of bytes)';

export interface DetectedEncoding {
  encoding: CsvEncoding;
  /** Length of the byte order mark to skip. */
  bomLength: number;
  /**
   * A UTF-8 file that also holds bytes which are not valid UTF-8 (API.md §3): it stays UTF-8, each invalid
   * byte is decoded as a lone surrogate (U+DC80–U+DCFF, see {@link INVALID_BYTE}) and the records holding
   * one are error rows. Never replaced, never re-decoded.
   */
  invalidBytes?: boolean;
}

/**
 * An invalid byte `b` (0x80–0xFF) of a UTF-8 file is decoded as the lone low surrogate U+DC00 + b: no text
 * can hold one (a low surrogate always follows a high one), so a record that does is known to have held an
 * invalid byte, and which.
 */
export const INVALID_BYTE = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;

/** The indexes of the cells that hold an invalid byte (see {@link INVALID_BYTE}), or undefined. */
export function cellsWithInvalidBytes(cells: readonly string[]): number[] | undefined {
  let found: number[] | undefined;
  for (let i = 0; i < cells.length; i++) if (INVALID_BYTE.test(cells[i])) (found ??= []).push(i);
  return found;
}

export function detectBom(head: Buffer): DetectedEncoding | undefined {
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
    return { encoding: 'utf-8', bomLength: 3 };
  }
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) {
    return { encoding: 'utf-16le', bomLength: 2 };
  }
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) {
    return { encoding: 'utf-16be', bomLength: 2 };
  }
  return undefined;
}

/** Length of the UTF-8 sequence a lead byte starts (1 for ASCII), or 0 when the byte cannot start one. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/**
 * The length of the valid UTF-8 sequence at `i` (1 for ASCII), or 0 when the byte there does not start one
 * that the buffer holds whole (overlong forms, surrogates and code points past U+10FFFF are invalid).
 */
function validSequenceAt(bytes: Buffer, i: number): number {
  const lead = bytes[i];
  const length = sequenceLength(lead);
  if (length <= 1 || i + length > bytes.length) return length === 1 ? 1 : 0;
  const second = bytes[i + 1];
  const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
  const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
  if (second < low || second > high) return 0;
  for (let k = 2; k < length; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return 0;
  return length;
}

/** Whether the bytes hold at least one valid multi-byte UTF-8 sequence (a slow scan, for invalid text only). */
function hasValidMultibyte(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] < 0x80) continue;
    const length = validSequenceAt(bytes, i);
    if (length > 1) return true;
  }
  return false;
}

/**
 * Decodes UTF-8 bytes that may hold invalid ones: each invalid byte becomes its lone surrogate (see
 * {@link INVALID_BYTE}); every valid run is decoded natively.
 */
export function decodeMarkingInvalid(bytes: Buffer): string {
  let text = '';
  let run = 0;
  for (let i = 0; i < bytes.length;) {
    if (bytes[i] < 0x80) {
      i++;
      continue;
    }
    const length = validSequenceAt(bytes, i);
    if (length > 0) {
      i += length;
      continue;
    }
    text += bytes.toString('utf8', run, i) + String.fromCharCode(0xdc00 + bytes[i]);
    run = ++i;
  }
  return text + bytes.toString('utf8', run);
}

/**
 * Reads a byte stream chunk by chunk in constant memory and tells whether it is valid UTF-8, and whether it
 * holds a valid multi-byte sequence: buffer.isUtf8 and buffer.isAscii are native and allocate nothing; an
 * invalid chunk alone is scanned in JavaScript. A sequence cut by a chunk boundary is carried over (at most
 * 3 bytes) and checked once completed. Chunks may be reused by the caller after write() returns.
 */
export class Utf8Validator {
  private valid = true;
  private multibyte = false;
  private carry: Buffer | undefined;

  write(chunk: Buffer): void {
    if ((!this.valid && this.multibyte) || chunk.length === 0) {
      return;
    }
    let start = 0;
    if (this.carry !== undefined) {
      const missing = sequenceLength(this.carry[0]) - this.carry.length;
      if (chunk.length < missing) {
        this.carry = Buffer.concat([this.carry, chunk]);
        return;
      }
      const sequence = Buffer.concat([this.carry, chunk.subarray(0, missing)]);
      this.carry = undefined;
      if (isUtf8(sequence)) this.multibyte = true;
      else this.valid = false;
      start = missing;
    }
    const tail = incompleteTailLength(chunk, start);
    const end = chunk.length - tail;
    if (end > start) this.check(chunk.subarray(start, end));
    if (tail > 0) {
      this.carry = Buffer.from(chunk.subarray(end));
    }
  }

  private check(part: Buffer): void {
    if (isUtf8(part)) {
      if (!this.multibyte && !isAscii(part)) this.multibyte = true;
      return;
    }
    this.valid = false;
    if (!this.multibyte && hasValidMultibyte(part)) this.multibyte = true;
  }

  /**
   * `utf-8` when everything written was valid UTF-8; `invalid-utf-8` when some bytes were not, but a valid
   * multi-byte sequence shows the file is UTF-8; `legacy` when no valid multi-byte sequence was seen.
   */
  end(): 'utf-8' | 'invalid-utf-8' | 'legacy' {
    if (this.carry !== undefined) {
      this.valid = false;
      this.carry = undefined;
    }
    if (this.valid) return 'utf-8';
    return this.multibyte ? 'invalid-utf-8' : 'legacy';
  }
}

/** The encoding that a validator's verdict stands for (API.md §3). */
function fromVerdict(verdict: ReturnType<Utf8Validator['end']>): DetectedEncoding {
  if (verdict === 'legacy') return { encoding: 'windows-1252', bomLength: 0 };
  return verdict === 'utf-8'
    ? { encoding: 'utf-8', bomLength: 0 }
    : { encoding: 'utf-8', bomLength: 0, invalidBytes: true };
}

/** Number of bytes at the end of chunk[start..] that begin a multi-byte sequence the chunk does not finish. */
function incompleteTailLength(chunk: Buffer, start: number): number {
  for (let k = 1; k <= 3 && chunk.length - k >= start; k++) {
    const byte = chunk[chunk.length - k];
    if ((byte & 0xc0) !== 0x80) {
      // Not a continuation byte: the lead of the last sequence (or ASCII, or an invalid byte).
      return sequenceLength(byte) > k ? k : 0;
    }
  }
  return 0;
}

/**
 * Finds the encoding (API.md §3): a BOM first; otherwise the whole content is read once (streamed, in
 * constant memory). Valid UTF-8 is UTF-8. Invalid bytes with no valid multi-byte sequence make a legacy
 * file, read as windows-1252; invalid bytes in a file that has valid multi-byte sequences (or a UTF-8 BOM)
 * leave it UTF-8, with `invalidBytes`. NUL bytes in a file that is not UTF-16 mean it is not a text file. A
 * UTF-16 file with an odd number of bytes is rejected.
 */
export async function detectEncoding(source: CsvSource): Promise<DetectedEncoding> {
  if ('buffer' in source) {
    const bytes = source.buffer;
    const bom = detectBom(bytes.subarray(0, 4));
    if (bom !== undefined) {
      checkUtf16Parity(bom, bytes.length);
      return withInvalidBytes(bom, isUtf8(bytes.subarray(bom.bomLength)));
    }
    if (bytes.indexOf(0) !== -1) {
      throw new CsvFormatError(400, NOT_TEXT_MESSAGE);
    }
    const validator = new Utf8Validator();
    validator.write(bytes);
    return fromVerdict(validator.end());
  }

  const file = await fsp.open(source.path, 'r');
  try {
    const { size } = await file.stat();
    const head = Buffer.alloc(4);
    const { bytesRead: headLength } = await file.read(head, 0, head.length, 0);
    const bom = detectBom(head.subarray(0, headLength));
    if (bom !== undefined) {
      checkUtf16Parity(bom, size);
      if (bom.encoding !== 'utf-8') return bom;
    }
    const validator = new Utf8Validator();
    const buffer = Buffer.allocUnsafe(SCAN_CHUNK_BYTES);
    for (let position = bom?.bomLength ?? 0; ;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) {
        break;
      }
      position += bytesRead;
      const chunk = buffer.subarray(0, bytesRead);
      if (bom === undefined && chunk.indexOf(0) !== -1) {
        throw new CsvFormatError(400, NOT_TEXT_MESSAGE);
      }
      validator.write(chunk);
    }
    const verdict = validator.end();
    return bom !== undefined ? withInvalidBytes(bom, verdict === 'utf-8') : fromVerdict(verdict);
  } finally {
    await file.close();
  }
}

/** A file with a UTF-8 BOM stays UTF-8 whatever it holds; invalid bytes are marked (API.md §3). */
function withInvalidBytes(bom: DetectedEncoding, valid: boolean): DetectedEncoding {
  return bom.encoding !== 'utf-8' || valid ? bom : { ...bom, invalidBytes: true };
}

function checkUtf16Parity(bom: DetectedEncoding, size: number): void {
  if (bom.encoding !== 'utf-8' && size % 2 !== 0) {
    throw new CsvFormatError(400, ODD_UTF16_MESSAGE);
  }
}

/** Incremental decoder: characters cut by a chunk boundary are completed by the next chunk. */
export interface ChunkDecoder {
  write(bytes: Buffer): string;
  end(): string;
  /** Whether the text of the last write() or end() holds an invalid byte (see {@link INVALID_BYTE}). */
  readonly invalid?: boolean;
}

export function createChunkDecoder(encoding: CsvEncoding, invalidBytes = false): ChunkDecoder {
  switch (encoding) {
    case 'utf-8': {
      if (invalidBytes) return new MarkingUtf8Decoder();
      const decoder = new StringDecoder('utf8');
      return { write: (bytes) => decoder.write(bytes), end: () => decoder.end() };
    }
    case 'utf-16le': {
      const decoder = new StringDecoder('utf16le');
      return utf16Decoder(
        (bytes) => decoder.write(bytes),
        () => decoder.end(),
      );
    }
    case 'utf-16be': {
      const decoder = new TextDecoder('utf-16be', { ignoreBOM: true });
      return utf16Decoder(
        (bytes) => decoder.decode(bytes, { stream: true }),
        () => decoder.decode(),
      );
    }
    case 'windows-1252': {
      const decoder = iconv.getDecoder('win1252', { stripBOM: false });
      return { write: (bytes) => decoder.write(bytes), end: () => decoder.end() ?? '' };
    }
  }
}

/**
 * Decodes a UTF-8 file that holds invalid bytes, chunk by chunk: a valid chunk natively, one with invalid
 * bytes with {@link decodeMarkingInvalid}. A sequence cut by a chunk boundary waits for the next chunk.
 */
class MarkingUtf8Decoder implements ChunkDecoder {
  private carry: Buffer | undefined;
  invalid = false;

  write(chunk: Buffer): string {
    const bytes = this.carry === undefined ? chunk : Buffer.concat([this.carry, chunk]);
    const end = bytes.length - incompleteTailLength(bytes, 0);
    this.carry = end < bytes.length ? Buffer.from(bytes.subarray(end)) : undefined;
    const body = bytes.subarray(0, end);
    this.invalid = !isUtf8(body);
    return this.invalid ? decodeMarkingInvalid(body) : body.toString('utf8');
  }

  end(): string {
    const rest = this.carry;
    this.carry = undefined;
    this.invalid = rest !== undefined;
    return rest === undefined ? '' : decodeMarkingInvalid(rest);
  }
}

/** A UTF-16 decoder that rejects a dangling odd byte at the end instead of decoding it. */
function utf16Decoder(write: (bytes: Buffer) => string, end: () => string): ChunkDecoder {
  let total = 0;
  return {
    write: (bytes) => {
      total += bytes.length;
      return write(bytes);
    },
    end: () => {
      if (total % 2 !== 0) {
        throw new CsvFormatError(400, ODD_UTF16_MESSAGE);
      }
      return end();
    },
  };
}

/** Characters examined at the start of the text to tell text from binary data. */
const SNIFF_CHARS = 1 << 16;
/** Above this share of control characters in the sample, the content is not text. */
const MAX_CONTROL_SHARE = 0.1;

/**
 * Tells text from binary content on decoded text: any NUL character anywhere is binary; so is a sample (the
 * first 64 Ki characters) with more than 10% control characters (C0 except tab/LF/CR, DEL, C1),
 * replacement characters or invalid bytes (undecodable bytes).
 */
export class TextSniffer {
  private sampled = 0;
  private suspicious = 0;

  inspect(text: string): void {
    if (text.indexOf('\0') !== -1) {
      throw new CsvFormatError(400, NOT_TEXT_MESSAGE);
    }
    if (this.sampled >= SNIFF_CHARS) {
      return;
    }
    const n = Math.min(text.length, SNIFF_CHARS - this.sampled);
    let suspicious = 0;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (
        c < 0x20
          ? c !== 0x09 && c !== 0x0a && c !== 0x0d
          : (c >= 0x7f && c <= 0x9f) ||
            c === 0xfffd ||
            (c >= 0xdc80 && c <= 0xdcff && !isHighSurrogate(text, i - 1))
      ) {
        suspicious++;
      }
    }
    this.sampled += n;
    this.suspicious += suspicious;
    if (this.suspicious > this.sampled * MAX_CONTROL_SHARE) {
      throw new CsvFormatError(400, NOT_TEXT_MESSAGE);
    }
  }
}

const isHighSurrogate = (text: string, i: number) => {
  const c = i >= 0 ? text.charCodeAt(i) : 0;
  return c >= 0xd800 && c <= 0xdbff;
};
