// Atomic file replacement: write a temporary file in the target's folder, fsync it, rename it over
// the target. A failure at any step removes the temporary file and leaves the old target untouched.
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, lstatSync, openSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fsError } from './bytes.js';

/**
 * Writes a file atomically. `produce` receives a `write(chunk)` function and streams the contents
 * through it; if it (or any file operation) throws, the error propagates (file-system errors as a
 * StrataError naming `op` and the path) and the old file, if any, is left as it was.
 */
export function atomicWrite(op: string, path: string, produce: (write: (chunk: Uint8Array) => void) => void): void {
  let target = resolve(path);
  // Replace the file a symlink points to, not the link itself.
  try {
    if (lstatSync(target).isSymbolicLink()) target = realpathSync(target);
  } catch {
    // no such file yet: it will be created
  }
  const dir = dirname(target);
  const tmp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | null;
  try {
    fd = openSync(tmp, 'wx', 0o666);
  } catch (e) {
    throw fsError(op, `cannot write ${path} (creating a temporary file in ${dir} failed)`, e);
  }
  let renamed = false;
  try {
    let pos = 0;
    const write = (chunk: Uint8Array): void => {
      let off = 0;
      while (off < chunk.length) {
        let n: number;
        try {
          n = writeSync(fd!, chunk, off, chunk.length - off, pos);
        } catch (e) {
          throw fsError(op, `writing ${path} failed`, e);
        }
        off += n;
        pos += n;
      }
    };
    produce(write);
    try {
      // keep the permissions of the file being replaced
      const old = statSync(target);
      if (old.isFile()) fchmodSync(fd, old.mode & 0o7777);
    } catch {
      // no old file
    }
    try {
      fsyncSync(fd);
      closeSync(fd);
      fd = null;
      renameSync(tmp, target);
    } catch (e) {
      throw fsError(op, `writing ${path} failed`, e);
    }
    renamed = true;
  } finally {
    if (!renamed) {
      if (fd !== null) {
        try {
          closeSync(fd);
        } catch {
          // already failing: the original error is the one to report
        }
      }
      try {
        unlinkSync(tmp);
      } catch {
        // nothing to remove
      }
    }
  }
  // Make the rename itself durable (best effort: not every platform can fsync a directory).
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // ignore
  }
}

/** Replaces a file atomically with bytes or UTF-8 text. */
export function writeFileAtomic(path: string, content: Uint8Array | string, op = 'write'): void {
  atomicWrite(op, path, (write) => write(typeof content === 'string' ? Buffer.from(content) : content));
}
