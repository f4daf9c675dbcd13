import fs from 'fs';
import type { Readable } from 'stream';
import { createChunkDecoder, TextSniffer, type ChunkDecoder } from './csv-encoding';
import type { CsvEncoding, CsvSource } from './csv-types';

/**
 * Bytes read (and decoded) at a time. Each piece of text stays below V8's large-object size (128 KiB, also
 * for two-byte strings), so that it is collected young instead of piling up in the old generation: the
 * service's memory is then the same for a file of a thousand rows and one of a million.
 */
export const READ_CHUNK_BYTES = 48 * 1024;

/**
 * Reads decoded text chunk by chunk from a file (fs.createReadStream) or a Buffer, checking that it is text.
 * The byte stream can be closed between reads with suspend(): the next read() reopens the file where the
 * previous one stopped, the decoder keeping any character cut by the boundary. So an opened document that
 * is never iterated holds no file descriptor.
 */
export class TextChunkReader {
  private readonly decoder: ChunkDecoder;
  private readonly sniffer = new TextSniffer();
  private offset: number;
  private stream: Readable | undefined;
  private chunks: AsyncIterator<Buffer> | undefined;
  private finished = false;

  constructor(
    private readonly source: CsvSource,
    encoding: CsvEncoding,
    start: number,
    invalidBytes = false,
  ) {
    this.decoder = createChunkDecoder(encoding, invalidBytes);
    this.offset = start;
  }

  /** Whether the last piece of text read holds a byte that is not valid UTF-8 (a UTF-8 file's, API.md §3). */
  get invalidBytes(): boolean {
    return this.decoder.invalid === true;
  }

  /** The next piece of text (never empty), or null at the end. */
  async read(): Promise<string | null> {
    while (!this.finished) {
      const bytes = await this.nextBytes();
      let text: string;
      if (bytes === null) {
        this.finished = true;
        this.suspend();
        text = this.decoder.end();
      } else {
        this.offset += bytes.length;
        text = this.decoder.write(bytes);
      }
      if (text.length > 0) {
        this.sniffer.inspect(text);
        return text;
      }
    }
    return null;
  }

  /** Closes the file (if open); a later read() reopens it at the current position. */
  suspend(): void {
    const stream = this.stream;
    this.stream = undefined;
    this.chunks = undefined;
    stream?.destroy();
  }

  private async nextBytes(): Promise<Buffer | null> {
    const source = this.source;
    if ('buffer' in source) {
      if (this.offset >= source.buffer.length) {
        return null;
      }
      return source.buffer.subarray(this.offset, this.offset + READ_CHUNK_BYTES);
    }
    if (this.chunks === undefined) {
      const stream = fs.createReadStream(source.path, {
        start: this.offset,
        highWaterMark: READ_CHUNK_BYTES,
      });
      this.stream = stream;
      this.chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    }
    const next = await this.chunks.next();
    return next.done === true ? null : next.value;
  }
}
