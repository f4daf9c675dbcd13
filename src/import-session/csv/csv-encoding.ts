import { isUtf8 } from 'buffer';
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
 * Checks a byte stream for UTF-8 validity chunk by chunk in constant memory, with buffer.isUtf8 (native,
 * no string allocated). A sequence cut by a chunk boundary is carried over (at most 3 bytes) and checked
 * once completed. Chunks may be reused by the caller after write() returns.
 */
export class Utf8Validator {
  private valid = true;
  private carry: Buffer | undefined;

  write(chunk: Buffer): void {
    if (!this.valid || chunk.length === 0) {
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
      if (!isUtf8(sequence)) {
        this.valid = false;
        return;
      }
      start = missing;
    }
    const tail = incompleteTailLength(chunk, start);
    const end = chunk.length - tail;
    if (end > start && !isUtf8(chunk.subarray(start, end))) {
      this.valid = false;
      return;
    }
    if (tail > 0) {
      this.carry = Buffer.from(chunk.subarray(end));
    }
  }

  /** True when everything written was valid UTF-8 (a sequence cut off at the end is not). */
  end(): boolean {
    if (this.carry !== undefined) {
      this.valid = false;
      this.carry = undefined;
    }
    return this.valid;
  }
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
 * Finds the encoding: a BOM first; otherwise the whole content is checked for UTF-8 validity (streamed, in
 * constant memory), windows-1252 when it is not valid. NUL bytes in a file that is not UTF-16 mean it is not
 * a text file. A UTF-16 file with an odd number of bytes is rejected.
 */
export async function detectEncoding(source: CsvSource): Promise<DetectedEncoding> {
  if ('buffer' in source) {
    const bytes = source.buffer;
    const bom = detectBom(bytes.subarray(0, 4));
    if (bom !== undefined) {
      checkUtf16Parity(bom, bytes.length);
      return bom;
    }
    if (bytes.indexOf(0) !== -1) {
      throw new CsvFormatError(400, NOT_TEXT_MESSAGE);
    }
    return { encoding: isUtf8(bytes) ? 'utf-8' : 'windows-1252', bomLength: 0 };
  }

  const file = await fsp.open(source.path, 'r');
  try {
    const { size } = await file.stat();
    const head = Buffer.alloc(4);
    const { bytesRead: headLength } = await file.read(head, 0, head.length, 0);
    const bom = detectBom(head.subarray(0, headLength));
    if (bom !== undefined) {
      checkUtf16Parity(bom, size);
      return bom;
    }
    const validator = new Utf8Validator();
    const buffer = Buffer.allocUnsafe(SCAN_CHUNK_BYTES);
    for (let position = 0; ;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) {
        break;
      }
      position += bytesRead;
      const chunk = buffer.subarray(0, bytesRead);
      if (chunk.indexOf(0) !== -1) {
        throw new CsvFormatError(400, NOT_TEXT_MESSAGE);
      }
      validator.write(chunk);
    }
    return { encoding: validator.end() ? 'utf-8' : 'windows-1252', bomLength: 0 };
  } finally {
    await file.close();
  }
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
}

export function createChunkDecoder(encoding: CsvEncoding): ChunkDecoder {
  switch (encoding) {
    case 'utf-8': {
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
 * first 64 Ki characters) with more than 10% control characters (C0 except tab/LF/CR, DEL, C1) or
 * replacement characters (undecodable bytes).
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
      if (c < 0x20 ? c !== 0x09 && c !== 0x0a && c !== 0x0d : (c >= 0x7f && c <= 0x9f) || c === 0xfffd) {
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
