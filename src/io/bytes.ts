// Byte-level helpers for the file formats: random-access byte sources (file or memory), little-endian
// decoding of raw element buffers into strata's typed arrays (incl. float16/bfloat16), encoding, CRC-32.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import * as zlib from 'node:zlib';
import { StrataError } from '../tensor/errors.js';
import type { DType, TypedArray } from '../tensor/dtype.js';

/** Random access to the bytes of a file or an in-memory buffer. `name` is what error messages call it. */
export interface ByteSource {
  readonly name: string;
  readonly size: number;
  /** Exactly `length` bytes from `offset` (a fresh copy for files, a view for buffers). */
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

export function bufferSource(bytes: Uint8Array, name = '<buffer>'): ByteSource {
  return {
    name,
    size: bytes.length,
    read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > bytes.length) {
        throw new RangeError(`read of ${length} bytes at ${offset} is outside the ${bytes.length}-byte buffer`);
      }
      return bytes.subarray(offset, offset + length);
    },
    close() {},
  };
}

/** Opens a file for random access; the caller closes it. Errors name the file. */
export function fileSource(op: string, path: string): ByteSource {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw fsError(op, `cannot open ${path}`, e);
  }
  let size: number;
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new StrataError(op, `${path} is a directory, not a file`);
    size = st.size;
  } catch (e) {
    closeSync(fd);
    throw e instanceof StrataError ? e : fsError(op, `cannot stat ${path}`, e);
  }
  return {
    name: path,
    size,
    read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > size) {
        throw new RangeError(`read of ${length} bytes at ${offset} is outside the ${size}-byte file`);
      }
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, out, done, length - done, offset + done);
        if (n === 0) throw new StrataError(op, `${path}: file shrank while reading (expected ${size} bytes)`);
        done += n;
      }
      return out;
    },
    close() {
      closeSync(fd);
    },
  };
}

/** Wraps a Node fs error as a StrataError naming the op and what failed, keeping the original as `cause`. */
export function fsError(op: string, what: string, e: unknown): StrataError {
  const err = new StrataError(op, `${what}: ${e instanceof Error ? e.message : String(e)}`);
  (err as { cause?: unknown }).cause = e;
  return err;
}

export const HOST_LE = endianness() === 'LE';

/** Element encodings found in checkpoint files (all little-endian unless a file says otherwise). */
export type RawKind = 'bool' | 'u8' | 'i8' | 'i16' | 'u16' | 'f16' | 'bf16' | 'i32' | 'u32' | 'f32' | 'f64' | 'i64' | 'u64';

export const RAW_SIZE: Record<RawKind, number> = {
  bool: 1, u8: 1, i8: 1, i16: 2, u16: 2, f16: 2, bf16: 2, i32: 4, u32: 4, f32: 4, f64: 8, i64: 8, u64: 8,
};

/** The strata dtype a raw encoding loads as: narrower integers widen losslessly, half floats become float32. */
export const RAW_TO_DTYPE: Record<RawKind, DType> = {
  bool: 'bool', u8: 'int32', i8: 'int32', i16: 'int32', u16: 'int32', f16: 'float32', bf16: 'float32',
  i32: 'int32', u32: 'int64', f32: 'float32', f64: 'float64', i64: 'int64', u64: 'int64',
};

// NOTE: bfloat16 and float16 tensors are written as float32 (their values read back as a Float32Array)
export const DTYPE_TO_RAW: Record<DType, RawKind> = { float32: 'f32', float64: 'f64', int32: 'i32', int64: 'i64', bool: 'bool', bfloat16: 'f32', float16: 'f32' };

/** Copies `bytes` into a fresh, aligned ArrayBuffer, reversing each `size`-byte element when `swap`. */
function alignedCopy(bytes: Uint8Array, size: number, swap: boolean): ArrayBuffer {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  if (swap && size > 1) {
    for (let i = 0; i < out.length; i += size) {
      for (let a = i, b = i + size - 1; a < b; a++, b--) {
        const t = out[a];
        out[a] = out[b];
        out[b] = t;
      }
    }
  }
  return out.buffer;
}

let halfTable: Float32Array | null = null;
/** float16 bit pattern → value, for all 65536 patterns (built once). */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const f = h & 0x3ff;
    // NOTE: exponent 0 is subnormal (no implicit 1, scale 2^-24); exponent 31 is inf/NaN.
    t[h] = e === 0 ? sign * f * 2 ** -24 : e === 31 ? (f ? NaN : sign * Infinity) : sign * (1 + f / 1024) * 2 ** (e - 15);
  }
  return (halfTable = t);
}

/**
 * Decodes `count` elements of `kind` from raw bytes into the typed array of the dtype they load as
 * (RAW_TO_DTYPE). `bigEndian` is the file's byte order. Throws a plain Error for u64 values ≥ 2^63.
 */
export function decodeRaw(bytes: Uint8Array, kind: RawKind, bigEndian = false): TypedArray {
  const size = RAW_SIZE[kind];
  const n = bytes.length / size;
  const swap = bigEndian === HOST_LE;
  switch (kind) {
    case 'bool': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = bytes[i] ? 1 : 0;
      return out;
    }
    case 'u8': return Int32Array.from(bytes);
    case 'i8': return Int32Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, n));
    case 'i16': return Int32Array.from(new Int16Array(alignedCopy(bytes, 2, swap)));
    case 'u16': return Int32Array.from(new Uint16Array(alignedCopy(bytes, 2, swap)));
    case 'f16': {
      const h = new Uint16Array(alignedCopy(bytes, 2, swap));
      const table = halfToFloatTable();
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = table[h[i]];
      return out;
    }
    case 'bf16': {
      // bfloat16 is the top half of a float32: shift the bits into place.
      const h = new Uint16Array(alignedCopy(bytes, 2, swap));
      const bits = new Uint32Array(n);
      for (let i = 0; i < n; i++) bits[i] = h[i] << 16;
      return new Float32Array(bits.buffer);
    }
    case 'i32': return new Int32Array(alignedCopy(bytes, 4, swap));
    case 'u32': return BigInt64Array.from(new Uint32Array(alignedCopy(bytes, 4, swap)), (v) => BigInt(v));
    case 'f32': return new Float32Array(alignedCopy(bytes, 4, swap));
    case 'f64': return new Float64Array(alignedCopy(bytes, 8, swap));
    case 'i64': return new BigInt64Array(alignedCopy(bytes, 8, swap));
    case 'u64': {
      const out = new BigInt64Array(alignedCopy(bytes, 8, swap));
      for (let i = 0; i < n; i++) if (out[i] < 0n) throw new Error(`value ${BigInt.asUintN(64, out[i])} at element ${i} does not fit in int64`);
      return out;
    }
  }
}

/** Little-endian bytes of a strata typed array (bool as one 0/1 byte). May share memory with `data`. */
export function encodeLE(data: TypedArray): Uint8Array {
  const size = data.BYTES_PER_ELEMENT;
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_LE || size === 1) return view;
  return new Uint8Array(alignedCopy(view, size, true));
}

/** Growable byte buffer with little-endian writers. */
export class ByteWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): this {
    this.reserve(1);
    this.buf[this.length++] = v;
    return this;
  }
  u16(v: number): this {
    this.reserve(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
    return this;
  }
  u32(v: number): this {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
    return this;
  }
  i32(v: number): this {
    this.reserve(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
    return this;
  }
  u64(v: number | bigint): this {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
    return this;
  }
  f64be(v: number): this {
    this.reserve(8);
    this.view.setFloat64(this.length, v, false);
    this.length += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  /** The bytes written so far (a copy). */
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

let crcTable: Uint32Array | null = null;
/** zlib's CRC-32 (Node ≥ 20.15), much faster than the table loop below. */
const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
/** CRC-32 (IEEE 802.3, as zip uses), optionally continuing from a previous value. */
export function crc32(bytes: Uint8Array, prev = 0): number {
  return zlibCrc32 ? zlibCrc32(bytes, prev) >>> 0 : crc32Table(bytes, prev);
}

/** The portable CRC-32 (a 256-entry table), used where zlib has no crc32. */
export function crc32Table(bytes: Uint8Array, prev = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = ~prev >>> 0;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** Object with own enumerable properties set safely (a key such as "__proto__" stays a plain key). */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}
