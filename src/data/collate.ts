// Default collation: stacks samples field by field into typed arrays (one buffer per field per batch),
// with no Tensor imports so worker threads can run it; the loader turns the result into tensors.
import { StrataError, fmtShape } from '../tensor/errors.js';
import { Generator } from '../tensor/random.js';
import type { Dataset } from './dataset.js';
import { isNDArray, numelOf, type NDArray } from './ndarray.js';

/** One collated field: `data` holds the whole batch, shape [B, ...sample shape]. */
export interface ArrayBatchField {
  data: Float32Array | Float64Array | BigInt64Array;
  shape: number[];
  dtype: 'float32' | 'float64' | 'int64';
}
/** A collated batch before tensor creation: a field, a tuple of batches, or an object of batches. */
export type ArrayBatch = ArrayBatchField | ArrayBatch[] | { [name: string]: ArrayBatch };

/** Allocates a batch buffer: plain ArrayBuffer in-process, SharedArrayBuffer in worker threads. */
export type Allocator = (bytes: number) => ArrayBuffer | SharedArrayBuffer;
export const plainAlloc: Allocator = (bytes) => new ArrayBuffer(bytes);
export const sharedAlloc: Allocator = (bytes) => new SharedArrayBuffer(bytes);

export function isBatchField(x: unknown): x is ArrayBatchField {
  return typeof x === 'object' && x !== null && 'dtype' in x && ArrayBuffer.isView((x as ArrayBatchField).data) && Array.isArray((x as ArrayBatchField).shape);
}

function describeSample(x: unknown): string {
  if (isNDArray(x)) return `an array of shape ${fmtShape(x.shape)}`;
  if (Array.isArray(x)) return `a tuple of ${x.length}`;
  return x === null ? 'null' : typeof x;
}

/**
 * Stacks samples the way torch's default_collate does: NDArrays → [B, ...shape] (Float64Array stays
 * float64, Int32Array becomes int64, Float32Array/Uint8Array become float32 with values unchanged);
 * numbers → [B] (int64 when all are integers, else float32); tuples and objects element by element.
 */
export function collateArrays(samples: readonly unknown[], alloc: Allocator = plainAlloc, path = 'sample'): ArrayBatch {
  const op = 'collate';
  const b = samples.length;
  if (b === 0) throw new StrataError(op, 'cannot collate an empty batch');
  const first = samples[0];
  if (isNDArray(first)) {
    const shape = first.shape;
    const n = numelOf(shape);
    const dtype = first.data instanceof Float64Array ? 'float64' : first.data instanceof Int32Array ? 'int64' : 'float32';
    for (let k = 0; k < b; k++) {
      const s = samples[k];
      if (!isNDArray(s) || s.shape.length !== shape.length || s.shape.some((d, i) => d !== shape[i]) || s.data.length !== n) {
        throw new StrataError(op, `${path} ${k} is ${describeSample(s)} but ${path} 0 has shape ${fmtShape(shape)}: all samples in a batch need the same shape (crop or resize them, or pass a custom collate)`);
      }
    }
    if (dtype === 'int64') {
      const out = new BigInt64Array(alloc(8 * b * n));
      for (let k = 0; k < b; k++) {
        const src = (samples[k] as NDArray).data;
        for (let i = 0, o = k * n; i < n; i++) out[o + i] = BigInt(src[i]);
      }
      return { data: out, shape: [b, ...shape], dtype };
    }
    const out = dtype === 'float64' ? new Float64Array(alloc(8 * b * n)) : new Float32Array(alloc(4 * b * n));
    // NOTE: TypedArray.set converts element types (uint8 → float32) natively and fast.
    for (let k = 0; k < b; k++) out.set((samples[k] as NDArray).data, k * n);
    return { data: out, shape: [b, ...shape], dtype };
  }
  if (typeof first === 'number') {
    let allInt = true;
    for (let k = 0; k < b; k++) {
      const v = samples[k];
      if (typeof v !== 'number') throw new StrataError(op, `${path} ${k} is ${describeSample(v)} but ${path} 0 is a number`);
      if (!Number.isInteger(v)) allInt = false;
    }
    if (allInt) {
      const out = new BigInt64Array(alloc(8 * b));
      for (let k = 0; k < b; k++) out[k] = BigInt(samples[k] as number);
      return { data: out, shape: [b], dtype: 'int64' };
    }
    const out = new Float32Array(alloc(4 * b));
    for (let k = 0; k < b; k++) out[k] = samples[k] as number;
    return { data: out, shape: [b], dtype: 'float32' };
  }
  if (Array.isArray(first)) {
    const len = first.length;
    for (let k = 0; k < b; k++) {
      const s = samples[k];
      if (!Array.isArray(s) || s.length !== len) throw new StrataError(op, `${path} ${k} is ${describeSample(s)} but ${path} 0 is a tuple of ${len}`);
    }
    return Array.from({ length: len }, (_, j) => collateArrays(samples.map((s) => (s as unknown[])[j]), alloc, `${path}[${j}]`));
  }
  if (typeof first === 'object' && first !== null) {
    const keys = Object.keys(first);
    const out: { [name: string]: ArrayBatch } = {};
    for (const key of keys) {
      out[key] = collateArrays(samples.map((s, k) => {
        if (typeof s !== 'object' || s === null || !(key in s)) throw new StrataError(op, `${path} ${k} has no field ${key}, but ${path} 0 has`);
        return (s as Record<string, unknown>)[key];
      }), alloc, `${path}.${key}`);
    }
    return out;
  }
  throw new StrataError(op, `cannot collate ${describeSample(first)} (${path}); samples must be {data, shape} arrays, numbers, tuples or objects of those, or pass a custom collate`);
}

/**
 * Fetches and collates one batch: samples `indices` of `dataset`, random transforms drawn from
 * `new Generator(seed)` in index order, so a worker thread and the main thread build identical batches.
 */
export function assembleBatch(dataset: Dataset<unknown>, indices: ArrayLike<number>, seed: number, alloc: Allocator = plainAlloc): ArrayBatch {
  const g = new Generator(seed);
  const samples = new Array(indices.length);
  for (let k = 0; k < indices.length; k++) samples[k] = dataset.get(indices[k], g);
  return collateArrays(samples, alloc);
}
