// Helpers for layer constructors.
import { zeros } from '../../ops/creation.js';
import type { DType } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';

/** A zero tensor to be filled by an initialiser. */
export function empty(shape: number[], dtype: DType = 'float32'): Tensor {
  return zeros(shape, { dtype });
}

/** Expands an int or list to n ints. */
export function tuple(v: number | readonly number[], n: number): number[] {
  return typeof v === 'number' ? new Array<number>(n).fill(v) : v.slice();
}
