// CIFAR-10 binary batches (data_batch_1..5.bin, test_batch.bin): 3073-byte records of one label byte
// then 1024 red, 1024 green and 1024 blue pixels (32×32, row-major).
import { StrataError } from '../tensor/errors.js';
import { readMaybeGzip } from './idx.js';

export const CIFAR_RECORD_BYTES = 3073;
const PIXELS = 3072;

/** Parses one batch file's bytes into images (uint8 [n,3,32,32] flat) and labels; `where` names the file in errors. */
export function parseCifarBatch(bytes: Uint8Array, where = 'CIFAR-10 data', numClasses = 10): { images: Uint8Array; labels: Int32Array } {
  const op = 'CIFAR10';
  if (bytes.length === 0 || bytes.length % CIFAR_RECORD_BYTES !== 0) {
    const whole = Math.floor(bytes.length / CIFAR_RECORD_BYTES);
    throw new StrataError(op, `${where}: ${bytes.length} bytes is not a whole number of ${CIFAR_RECORD_BYTES}-byte records (a full batch of 10000 is 30730000 bytes; expected ${(whole + 1) * CIFAR_RECORD_BYTES} for ${whole + 1} records): the file is truncated or not a CIFAR-10 binary batch`);
  }
  const n = bytes.length / CIFAR_RECORD_BYTES;
  const images = new Uint8Array(n * PIXELS);
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const off = r * CIFAR_RECORD_BYTES;
    const label = bytes[off];
    if (label >= numClasses) throw new StrataError(op, `${where}: record ${r} (byte offset ${off}) has label ${label}, out of range [0, ${numClasses}): the file is corrupt or not CIFAR-10 (CIFAR-100 records are 3074 bytes)`);
    labels[r] = label;
    images.set(bytes.subarray(off + 1, off + CIFAR_RECORD_BYTES), r * PIXELS);
  }
  return { images, labels };
}

/** Reads one CIFAR-10 binary batch file (raw or gzipped). */
export function readCifarBatch(path: string): { images: Uint8Array; labels: Int32Array } {
  return parseCifarBatch(readMaybeGzip('CIFAR10', path), path);
}
