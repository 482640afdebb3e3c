// Atomic file writes: a temporary file in the same folder, fsync, then rename.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { StrataError } from '../tensor/errors.js';

/** Writes bytes or text so that readers see the old file or the whole new one, never a part. */
export function atomicWriteFile(path: string, content: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  let fd = -1;
  try {
    fd = openSync(tmp, 'w');
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
    throw new StrataError('write', `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
