// The js backend's tensor storage: a typed array with offset and strides, shared by views.
import { ITEMSIZE, type DType, type TypedArray } from '../../tensor/dtype.js';
import { StrataError } from '../../tensor/errors.js';
import type { Shape } from '../../tensor/shape.js';
import { contiguousStrides, numel } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';

/** Storage arrays: NOTE int64 is held in a Float64Array (exact to 2^53, ample for indices and labels). */
export type Store = Float32Array | Float64Array | Int32Array | Uint8Array;

export interface Storage {
  data: Store;
  refs: number;
}

export interface JsHandle {
  storage: Storage;
  /** Same as storage.data, for speed. */
  data: Store;
  offset: number;
  strides: number[];
  /** Row-major with no gaps (offset may be non-zero). */
  contiguous: boolean;
}

export const stats = { tensors: 0, bytes: 0 };

export function storeFor(dtype: DType, n: number): Store {
  try {
    switch (dtype) {
      case 'float32': return new Float32Array(n);
      case 'float64': return new Float64Array(n);
      case 'int64': return new Float64Array(n);
      case 'int32': return new Int32Array(n);
      case 'bool': return new Uint8Array(n);
      case 'bfloat16': case 'float16':
        throw new StrataError(dtype, `the js backend has no ${dtype} kernels; use the native backend (st.setBackend('native'), on CPU or CUDA) or float32`);
    }
  } catch (e) {
    // NOTE: only reached on failure, so the hot path pays nothing; the op layer checks sizes it can name first.
    if (!(e instanceof RangeError)) throw e;
    throw new StrataError('js backend', `cannot allocate a tensor of ${n} ${dtype} elements (${n * ITEMSIZE[dtype]} bytes): ${e.message}; use smaller sizes or the native backend`);
  }
}

/** A handle owning new storage. */
export function fresh(data: Store, shape: Shape): JsHandle {
  const storage: Storage = { data, refs: 1 };
  stats.tensors++;
  stats.bytes += data.byteLength;
  return { storage, data, offset: 0, strides: contiguousStrides(shape), contiguous: true };
}

/** A new contiguous handle of `dtype` with `shape`, zero-filled. */
export function alloc(dtype: DType, shape: Shape): JsHandle {
  return fresh(storeFor(dtype, numel(shape)), shape);
}

/** A view of h's storage. */
export function viewOf(h: JsHandle, offset: number, strides: number[], shape: Shape): JsHandle {
  h.storage.refs++;
  stats.tensors++;
  return { storage: h.storage, data: h.data, offset, strides, contiguous: isContiguous(shape, strides) };
}

export function release(h: JsHandle): void {
  stats.tensors--;
  if (--h.storage.refs === 0) stats.bytes -= h.data.byteLength;
}

export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

export function H(t: Tensor): JsHandle {
  return t.handle as JsHandle;
}

/** x's values row-major: a subarray when already contiguous (do not write to it), else a copy. */
export function values(t: Tensor): Store {
  const h = H(t);
  const n = numel(t.shape);
  if (h.contiguous) return h.offset === 0 && h.data.length === n ? h.data : (h.data.subarray(h.offset, h.offset + n) as Store);
  const out = new (h.data.constructor as new (n: number) => Store)(n);
  gatherStrided(h.data, h.offset, h.strides, t.shape, out);
  return out;
}

/** Copies a strided view into a contiguous array. */
export function gatherStrided(src: Store, offset: number, strides: readonly number[], shape: Shape, out: Store): void {
  const nd = shape.length;
  const n = numel(shape);
  if (n === 0) return;
  if (nd === 0) {
    out[0] = src[offset];
    return;
  }
  const last = nd - 1, inner = shape[last], sIn = strides[last];
  const idx = new Array<number>(nd).fill(0);
  let base = offset, o = 0;
  for (;;) {
    for (let i = 0, p = base; i < inner; i++, p += sIn) out[o++] = src[p];
    let d = last - 1;
    while (d >= 0) {
      idx[d]++;
      base += strides[d];
      if (idx[d] < shape[d]) break;
      base -= strides[d] * shape[d];
      idx[d] = 0;
      d--;
    }
    if (d < 0) break;
  }
}

/** Writes contiguous `src` into a strided view. */
export function scatterStrided(dst: Store, offset: number, strides: readonly number[], shape: Shape, src: ArrayLike<number>): void {
  const nd = shape.length;
  const n = numel(shape);
  if (n === 0) return;
  if (nd === 0) {
    dst[offset] = src[0];
    return;
  }
  const last = nd - 1, inner = shape[last], sIn = strides[last];
  const idx = new Array<number>(nd).fill(0);
  let base = offset, o = 0;
  for (;;) {
    for (let i = 0, p = base; i < inner; i++, p += sIn) dst[p] = src[o++];
    let d = last - 1;
    while (d >= 0) {
      idx[d]++;
      base += strides[d];
      if (idx[d] < shape[d]) break;
      base -= strides[d] * shape[d];
      idx[d] = 0;
      d--;
    }
    if (d < 0) break;
  }
}

/** Strides of t broadcast to `shape` (0 where t is broadcast). */
export function broadcastStrides(t: Tensor, shape: Shape): number[] {
  const h = H(t);
  const lead = shape.length - t.shape.length;
  const out = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < t.shape.length; i++) out[lead + i] = t.shape[i] === 1 ? 0 : h.strides[i];
  return out;
}

/** Converts a storage array to the canonical read-back array of dtype. */
export function toCanonical(data: Store, dtype: DType): TypedArray {
  if (dtype === 'int64') {
    const out = new BigInt64Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = BigInt(data[i]);
    return out;
  }
  return data.slice() as TypedArray;
}

const I64_EXACT = 2n ** 53n;

/** The error for an int64 value the js backend cannot hold exactly (it stores int64 as float64). */
export function inexactInt64(op: string, v: bigint | number): StrataError {
  return new StrataError(op, `int64 value ${v} is outside ±(2^53 − 1), the integers the js backend holds exactly (it stores int64 as float64); use the native backend (st.setBackend('native')) for larger integers`);
}

/** Converts a canonical array to storage (copying). */
export function fromCanonical(data: TypedArray, dtype: DType): Store {
  const out = storeFor(dtype, data.length);
  if (data instanceof BigInt64Array) {
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v >= I64_EXACT || v <= -I64_EXACT) throw inexactInt64('js backend', v);
      out[i] = Number(v);
    }
  } else out.set(data as ArrayLike<number>);
  return out;
}
