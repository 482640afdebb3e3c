// Indexing: index-select, gather, scatter-add, index-add, one-hot and embedding lookups.
import { StrataError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';

function todo(name: string): never {
  throw new StrataError(name, 'not implemented yet');
}

/** Slices of x at `index` (1-D int64) along dim. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor { return todo('indexSelect'); }
/** out[i][j] = x[index[i][j]][j] for dim 0, and so on (index has x's ndim). */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor { return todo('gather'); }
/** A copy of x with src added at index along dim. */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor { return todo('scatterAdd'); }
/** A copy of x with src's slices added at index (1-D) along dim. */
export function indexAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor { return todo('indexAdd'); }
/** int64 class indices → one-hot int64 of shape [..., numClasses]. */
export function oneHot(indices: Tensor, numClasses = -1): Tensor { return todo('oneHot'); }
/** Rows of `weight` [num, dim] at int64 `indices` → [..., dim]; paddingIdx rows get no gradient. */
export function embedding(indices: Tensor, weight: Tensor, paddingIdx: number | null = null): Tensor { return todo('embedding'); }
