import { StringDecoder } from 'node:string_decoder';
import { Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import * as yauzl from 'yauzl';
import { CsvFormatError } from '../csv/csv-format-error';
import { DAMAGED_MESSAGE } from './workbook-messages';

/**
 * A ZIP archive read with random access from its central directory (yauzl). Every part read is counted
 * against one budget of unpacked bytes: the sizes the directory declares are checked before anything is
 * unpacked, and the bytes actually inflated are counted while they stream, so that an archive that lies
 * about its sizes is stopped at the same limit (413) instead of filling memory or disk.
 */
export class ZipArchive {
  private closed = false;

  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly entries: Map<string, yauzl.Entry>,
    private readonly maxUnpackedBytes: number,
    /** Bytes inflated so far, counting those of an earlier reading of the same file. */
    private inflated: number,
  ) {}

  /**
   * Opens the archive and reads its directory; a damaged archive is a 400, a declared bomb a 413. `inflated`:
   * what an earlier opening of the same file already unpacked, and still counts.
   */
  static async open(path: string, maxUnpackedBytes: number, inflated = 0): Promise<ZipArchive> {
    const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      yauzl.open(
        path,
        { lazyEntries: true, autoClose: false, validateEntrySizes: false, strictFileNames: false },
        (error, file) => (error ? reject(damaged()) : resolve(file)),
      ),
    );
    try {
      const entries = await readDirectory(zip);
      let declared = 0;
      for (const entry of entries.values()) declared += entry.uncompressedSize;
      if (declared > maxUnpackedBytes) throw tooLarge(maxUnpackedBytes);
      return new ZipArchive(zip, entries, maxUnpackedBytes, inflated);
    } catch (error) {
      zip.close();
      throw error;
    }
  }

  get inflatedBytes(): number {
    return this.inflated;
  }

  /**
   * Counts `bytes` of memory held for the rest of the read (the shared strings) in the same budget as the
   * bytes unpacked: past the limit, 413.
   */
  charge(bytes: number): void {
    this.inflated += bytes;
    if (this.inflated > this.maxUnpackedBytes) throw tooLarge(this.maxUnpackedBytes);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The part's text, decoded as UTF-8, a piece at a time as it is inflated. */
  async *text(name: string): AsyncGenerator<string> {
    const entry = this.entries.get(name);
    if (entry === undefined) throw damaged();
    if (entry.isEncrypted()) throw damaged();
    if (entry.compressionMethod !== STORED && entry.compressionMethod !== DEFLATED) throw damaged();
    // The compressed bytes, inflated here in 64 KiB pieces: a quarter of the round trips to the zlib thread,
    // and of the pieces of XML for the parser, of yauzl's own 16 KiB inflate (200k rows: 1.71 s instead of
    // 2.03 s); larger pieces cost more memory than they save time.
    const raw = await new Promise<Readable>((resolve, reject) =>
      this.zip.openReadStream(entry, { decompress: false }, (error, readable) =>
        error ? reject(damaged()) : resolve(readable),
      ),
    );
    let stream: Readable = raw;
    if (entry.compressionMethod === DEFLATED) {
      const inflate = createInflateRaw({ chunkSize: INFLATE_CHUNK });
      raw.on('error', (error) => inflate.destroy(error));
      stream = raw.pipe(inflate);
    }
    const decoder = new StringDecoder('utf8');
    let size = 0;
    try {
      for await (const chunk of stream) {
        const bytes = chunk as Buffer;
        size += bytes.length;
        this.inflated += bytes.length;
        if (this.inflated > this.maxUnpackedBytes) throw tooLarge(this.maxUnpackedBytes);
        const text = decoder.write(bytes);
        if (text.length > 0) yield text;
      }
    } catch (error) {
      throw error instanceof CsvFormatError ? error : damaged();
    } finally {
      raw.destroy();
      stream.destroy();
    }
    // Not the size the directory declared: the archive is damaged (a larger one was stopped above).
    if (size !== entry.uncompressedSize) throw damaged();
    const rest = decoder.end();
    if (rest.length > 0) yield rest;
  }

  /** A small part's whole text (workbook, relationships, styles). */
  async readText(name: string): Promise<string> {
    let text = '';
    for await (const piece of this.text(name)) text += piece;
    return text;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.zip.close();
  }
}

const STORED = 0;
const DEFLATED = 8;
/** Inflated bytes a piece; each becomes one string for the XML parser. */
const INFLATE_CHUNK = 64 * 1024;

/** More parts than any workbook has: the directory is not read further. */
const MAX_ENTRIES = 65_536;

function readDirectory(zip: yauzl.ZipFile): Promise<Map<string, yauzl.Entry>> {
  const entries = new Map<string, yauzl.Entry>();
  return new Promise((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      if (entries.size >= MAX_ENTRIES) {
        reject(
          new CsvFormatError(400, `the archive holds more than ${MAX_ENTRIES} parts: it is not a workbook`),
        );
        return;
      }
      // Names are compared as the parts are named: without a leading slash, with forward slashes.
      entries.set(entry.fileName.replace(/\\/g, '/').replace(/^\//, ''), entry);
      zip.readEntry();
    });
    zip.once('end', () => resolve(entries));
    zip.once('error', () => reject(damaged()));
    zip.readEntry();
  });
}

const damaged = () => new CsvFormatError(400, DAMAGED_MESSAGE);

const tooLarge = (limit: number) =>
  new CsvFormatError(
    413,
    `the workbook unpacks to more than the limit of ${limit} bytes (IMPORT_XLSX_MAX_UNPACKED)`,
  );
