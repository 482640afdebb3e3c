// IDX files (the MNIST family's format: big-endian header, magic 0x0000 <type> <ndim>, then dims and values),
// raw or gzipped; every malformation is reported with the file's path and what is wrong.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { StrataError } from '../tensor/errors.js';

export type IdxDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export interface IdxArray {
  dtype: IdxDType;
  shape: number[];
  /** Row-major values in native byte order. */
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, [IdxDType, number]> = {
  0x08: ['uint8', 1], 0x09: ['int8', 1], 0x0b: ['int16', 2], 0x0c: ['int32', 4], 0x0d: ['float32', 4], 0x0e: ['float64', 8],
};

/** Reads a whole file, gunzipping it when it starts with the gzip magic 1f 8b; errors name the path. */
export function readMaybeGzip(op: string, path: string): Uint8Array {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new StrataError(op, `${path}: cannot read the file (${code === 'ENOENT' ? 'no such file' : (e as Error).message})`);
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return gunzipSync(raw);
    } catch (e) {
      throw new StrataError(op, `${path}: corrupt or truncated gzip data (${(e as Error).message}); re-download or re-install the file`);
    }
  }
  return raw;
}

/** Parses IDX bytes; `where` (a path) prefixes every error. */
export function parseIdx(bytes: Uint8Array, where = 'IDX data'): IdxArray {
  const op = 'readIdx';
  if (bytes.length < 4) throw new StrataError(op, `${where}: ${bytes.length} bytes is too short for an IDX header (at least 4 bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const type = TYPES[bytes[2]];
  if (bytes[0] !== 0 || bytes[1] !== 0 || !type || bytes[3] === 0) {
    throw new StrataError(op, `${where}: bad magic number 0x${magic.toString(16).padStart(8, '0')}: an IDX file starts with 00 00, a type byte (08 uint8, 09 int8, 0B int16, 0C int32, 0D float32, 0E float64) and the number of dimensions (e.g. 0x00000803 for images, 0x00000801 for labels); is this really an IDX file?`);
  }
  const [dtype, size] = type;
  const ndim = bytes[3];
  const header = 4 + 4 * ndim;
  if (bytes.length < header) throw new StrataError(op, `${where}: truncated header: ${ndim} dimensions need ${header} header bytes, the file has ${bytes.length}`);
  const shape: number[] = [];
  for (let d = 0; d < ndim; d++) shape.push(view.getUint32(4 + 4 * d));
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = header + count * size;
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'the file is truncated' : `the file has ${bytes.length - expected} extra bytes`;
    throw new StrataError(op, `${where}: expected ${expected} bytes (${header}-byte header + ${shape.join('×')} values of ${size} byte${size > 1 ? 's' : ''}), got ${bytes.length}: ${what}`);
  }
  let data: IdxArray['data'];
  switch (dtype) {
    // NOTE: copies via Uint8Array.prototype.slice: Buffer#slice would return a view into the file buffer.
    case 'uint8': data = Uint8Array.prototype.slice.call(bytes, header, expected); break;
    case 'int8': data = new Int8Array(Uint8Array.prototype.slice.call(bytes, header, expected).buffer); break;
    default: {
      const Ctor = { int16: Int16Array, int32: Int32Array, float32: Float32Array, float64: Float64Array }[dtype];
      const out = new Ctor(count);
      const get = { int16: view.getInt16, int32: view.getInt32, float32: view.getFloat32, float64: view.getFloat64 }[dtype].bind(view);
      for (let i = 0; i < count; i++) out[i] = get(header + i * size);
      data = out;
    }
  }
  return { dtype, shape, data };
}

/** Reads an IDX file (idx1 labels, idx3 images, …), gzipped or raw (detected from the content). */
export function readIdx(path: string): IdxArray {
  return parseIdx(readMaybeGzip('readIdx', path), path);
}
