import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The folder where uploads are spooled while they are read: `DATA_DIR/spool`, readable by the service's
 * user alone (0700, files 0600). Each file is named after the process that wrote it; at boot, the files of
 * processes that are gone (a crash) are deleted, and those of a live instance sharing DATA_DIR are kept.
 */
export class UploadSpool {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'spool');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    for (const name of readdirSync(this.dir)) {
      const pid = Number(name.split('-')[0]);
      if (pid === process.pid || !isAlive(pid))
        rmSync(join(this.dir, name), { force: true, recursive: true });
    }
  }

  /** A new, empty file of the spool (mode 0600), for a writer that keeps the mode of an existing file. */
  create(): { name: string; path: string } {
    const name = `${process.pid}-${randomBytes(16).toString('hex')}`;
    const path = join(this.dir, name);
    closeSync(openSync(path, 'wx', 0o600));
    return { name, path };
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
