// NDArray: a plain typed array with a shape, the form samples take before a batch becomes a Tensor.
// Kept free of Tensor imports so worker threads can load it without a backend.
import { StrataError, fmtShape } from '../tensor/errors.js';

/** Typed arrays a sample may hold. Uint8Array is pixel data (0..255), Int32Array integer ids/labels. */
export type SampleArray = Float32Array | Float64Array | Uint8Array | Int32Array;

/**
 * A row-major array with a shape, e.g. one image `[C, H, W]` (channels first, as torchvision tensors).
 * `data` may be a view into a larger buffer: never mutate a sample's data in place.
 */
export interface NDArray<A extends SampleArray = SampleArray> {
  data: A;
  shape: number[];
}

export function isNDArray(x: unknown): x is NDArray {
  return typeof x === 'object' && x !== null && ArrayBuffer.isView((x as NDArray).data) && Array.isArray((x as NDArray).shape);
}

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Checks that `x` is an image `[C, H, W]` whose data length matches; returns [C, H, W]. */
export function imageDims(op: string, x: NDArray): [number, number, number] {
  if (!isNDArray(x)) throw new StrataError(op, `expected an image {data, shape: [C,H,W]}, got ${typeof x}`);
  if (x.shape.length !== 3) throw new StrataError(op, `expected an image of shape [C,H,W], got ${fmtShape(x.shape)}`);
  if (numelOf(x.shape) !== x.data.length) throw new StrataError(op, `image shape ${fmtShape(x.shape)} needs ${numelOf(x.shape)} values, data has ${x.data.length}`);
  return [x.shape[0], x.shape[1], x.shape[2]];
}

/** The plain constructor of a sample array's type (a Node Buffer counts as Uint8Array). */
export function ctorOf(a: SampleArray): { new (n: number): SampleArray; new (b: ArrayBufferLike): SampleArray } {
  if (a instanceof Float32Array) return Float32Array;
  if (a instanceof Float64Array) return Float64Array;
  if (a instanceof Int32Array) return Int32Array;
  return Uint8Array;
}

/** A new zeroed array of the same type as `like`. */
export function allocLike<A extends SampleArray>(like: A, n: number): A {
  return new (ctorOf(like))(n) as A;
}
