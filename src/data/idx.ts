// MNIST-style IDX files (idx1 labels, idx3 images), gzipped or raw, checked byte by byte.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { StrataError } from '../tensor/errors.js';

export interface IdxArray {
  /** Dimensions from the header, e.g. [60000, 28, 28]. */
  shape: number[];
  data: Uint8Array;
}

/** Reads a file, gunzipping it when it starts with the gzip magic bytes. */
export function readMaybeGzip(path: string, op = 'read'): Buffer {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new StrataError(op, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      return gunzipSync(buf);
    } catch (e) {
      throw new StrataError(op, `${path} is not a valid gzip file (truncated or corrupt): ${(e as Error).message}`);
    }
  }
  return buf;
}

/**
 * Parses an IDX file of unsigned bytes (type code 0x08): magic [0, 0, 0x08, ndim], ndim big-endian
 * uint32 sizes, then the data. Errors name the file, what was expected and what was found.
 */
export function readIdx(path: string): IdxArray {
  const op = 'readIdx';
  const buf = readMaybeGzip(path, op);
  if (buf.length < 4) throw new StrataError(op, `${path}: ${buf.length} bytes, too short for an IDX header`);
  if (buf[0] !== 0 || buf[1] !== 0) throw new StrataError(op, `${path}: bad magic number 0x${buf.readUInt32BE(0).toString(16).padStart(8, '0')} (an IDX file starts with two zero bytes)`);
  if (buf[2] !== 0x08) throw new StrataError(op, `${path}: data type 0x${buf[2].toString(16)} is not supported (only unsigned bytes, 0x08)`);
  const ndim = buf[3];
  if (ndim < 1 || ndim > 4) throw new StrataError(op, `${path}: ${ndim} dimensions in the header; expected 1 to 4`);
  const headerBytes = 4 + 4 * ndim;
  if (buf.length < headerBytes) throw new StrataError(op, `${path}: ${buf.length} bytes, too short for a ${ndim}-dimensional header (${headerBytes} bytes)`);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(buf.readUInt32BE(4 + 4 * i));
  const n = shape.reduce((a, b) => a * b, 1);
  if (buf.length !== headerBytes + n) {
    throw new StrataError(op, `${path}: header says [${shape.join(', ')}] = ${n} bytes of data, the file has ${buf.length - headerBytes} (${buf.length < headerBytes + n ? 'truncated' : 'trailing bytes'})`);
  }
  return { shape, data: new Uint8Array(buf.buffer, buf.byteOffset + headerBytes, n) };
}
