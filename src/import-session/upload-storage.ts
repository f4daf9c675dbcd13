import { Request } from 'express';
import { StorageEngine } from 'multer';
import { createWriteStream, unlink, writeFile } from 'node:fs';
import { Readable } from 'node:stream';

/** The first bytes of a ZIP archive (an `.xlsx` or OpenDocument file) and of a CFB container (a legacy workbook). */
const ZIP = Buffer.from('PK\x03\x04', 'latin1');
const CFB = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

/** A workbook is read from a file: an upload that starts like one always goes to the spool. */
const isContainer = (head: Buffer) =>
  head.subarray(0, ZIP.length).equals(ZIP) || head.subarray(0, CFB.length).equals(CFB);

/** Where an upload was kept: a file of the spool, or, when small and not a workbook, a buffer. */
export type StoredUpload = { path: string; size: number } | { buffer: Buffer; size: number };

/**
 * A multer storage that keeps an upload of at most `memoryBytes` in memory, and spools a larger one (or
 * a workbook, whatever its size; or every upload when `memoryBytes` is 0) to a file of the spool, as it
 * arrives. `spoolFile` names that file, or fails when the request was answered already.
 */
export class SpoolOrMemoryStorage implements StorageEngine {
  constructor(
    private readonly memoryBytes: number,
    private readonly spoolFile: (req: Request) => string,
  ) {}

  _handleFile(
    req: Request,
    file: Express.Multer.File,
    cb: (error?: unknown, info?: Partial<Express.Multer.File>) => void,
  ): void {
    const stream: Readable = file.stream;
    const chunks: Buffer[] = [];
    let size = 0;
    const spill = (): string | undefined => {
      try {
        return this.spoolFile(req);
      } catch (error) {
        cb(error);
        return undefined;
      }
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size <= this.memoryBytes) return;
      stream.off('data', onData);
      stream.off('end', onEnd);
      const path = spill();
      if (path === undefined) return stream.resume();
      const out = createWriteStream(path);
      for (const part of chunks) out.write(part);
      chunks.length = 0;
      out.on('error', cb);
      out.on('finish', () => cb(null, { path, size: out.bytesWritten }));
      stream.pipe(out);
    };
    const onEnd = () => {
      const buffer = Buffer.concat(chunks, size);
      if (this.memoryBytes > 0 && !isContainer(buffer)) return cb(null, { buffer, size });
      const path = spill();
      if (path === undefined) return;
      writeFile(path, buffer, (error) => (error ? cb(error) : cb(null, { path, size })));
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
  }

  _removeFile(_req: Request, file: Express.Multer.File, cb: (error: Error | null) => void): void {
    if (!file.path) return cb(null);
    unlink(file.path, () => cb(null));
  }
}
