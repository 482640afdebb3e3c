// js kernels: reductions over any dims (sum, mean, prod, amax, amin, all, any, var, logsumexp), max/min with
// indices, cumsum, softmax, sorting and top-k, and the gradient of the value-selecting ones.
import type { ReduceOp } from '../backend.js';
import type { DType } from '../../tensor/dtype.js';
import { numel, reducedShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { StrataError } from '../../tensor/errors.js';
import { H, alloc, gatherStrided, storeFor, values, type JsHandle, type Store } from './storage.js';

/**
 * Views x (row-major values) as [outer, reduce, inner] blocks after moving reduced dims last:
 * returns the contiguous permuted values, the number of outputs and the reduced length.
 */
export function reduceLayout(x: Tensor, dims: readonly number[]): { data: Store; outer: number; len: number } {
  const nd = x.ndim;
  const kept = [...Array(nd).keys()].filter((d) => !dims.includes(d));
  const order = [...kept, ...dims];
  const len = dims.reduce((a, d) => a * x.shape[d], 1);
  const outer = numel(x.shape) / Math.max(len, 1);
  const outerN = len === 0 ? numel(kept.map((d) => x.shape[d])) : outer;
  if (order.every((d, i) => d === i)) return { data: values(x), outer: outerN, len };
  const h = H(x);
  const data = storeFor(x.dtype, numel(x.shape));
  gatherStrided(h.data, h.offset, order.map((d) => h.strides[d]), order.map((d) => x.shape[d]), data);
  return { data, outer: outerN, len };
}

export function reduce(op: ReduceOp, x: Tensor, dims: readonly number[], keepdim: boolean, outDtype: DType): JsHandle {
  const out = alloc(outDtype, reducedShape(x.shape, dims, keepdim));
  const { data, outer, len } = reduceLayout(x, dims);
  const o = out.data;
  for (let i = 0; i < outer; i++) {
    const base = i * len;
    let acc: number;
    switch (op) {
      case 'sum': case 'mean': {
        acc = 0;
        for (let j = 0; j < len; j++) acc += data[base + j];
        if (op === 'mean') acc /= len;
        break;
      }
      case 'prod': {
        acc = 1;
        for (let j = 0; j < len; j++) acc *= data[base + j];
        break;
      }
      case 'amax': case 'amin': {
        if (len === 0) throw new StrataError(op, 'cannot reduce over an empty dimension');
        acc = data[base];
        for (let j = 1; j < len; j++) {
          const v = data[base + j];
          if (v !== v) { acc = v; break; }
          if (op === 'amax' ? v > acc : v < acc) acc = v;
        }
        break;
      }
      case 'all': {
        acc = 1;
        for (let j = 0; j < len; j++) if (data[base + j] === 0) { acc = 0; break; }
        break;
      }
      case 'any': {
        acc = 0;
        for (let j = 0; j < len; j++) if (data[base + j] !== 0) { acc = 1; break; }
        break;
      }
    }
    o[i] = acc;
  }
  return out;
}

/** Softmax or log-softmax along dim, with the max subtracted for stability. */
export function softmax(x: Tensor, dim: number, log: boolean): JsHandle {
  const out = alloc(x.dtype, x.shape);
  const X = values(x), Y = out.data;
  const n = x.ndim === 0 ? 1 : x.shape[dim];
  let inner = 1;
  for (let d = dim + 1; d < x.ndim; d++) inner *= x.shape[d];
  const outer = numel(x.shape) / Math.max(1, n * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let mx = -Infinity;
      for (let j = 0; j < n; j++) {
        const v = X[base + j * inner];
        if (v > mx || v !== v) mx = v;
      }
      if (mx === -Infinity) mx = 0;
      let s = 0;
      for (let j = 0; j < n; j++) s += Math.exp(X[base + j * inner] - mx);
      if (log) {
        const ls = Math.log(s) + mx;
        for (let j = 0; j < n; j++) Y[base + j * inner] = X[base + j * inner] - ls;
      } else {
        for (let j = 0; j < n; j++) Y[base + j * inner] = Math.exp(X[base + j * inner] - mx) / s;
      }
    }
  }
  return out;
}

/** softmax: g·y − y·Σ(g·y); log-softmax: g − exp(y)·Σg. */
export function softmaxBackward(g: Tensor, y: Tensor, dim: number, log: boolean): JsHandle {
  const out = alloc(y.dtype, y.shape);
  const G = values(g), Y = values(y), O = out.data;
  const n = y.ndim === 0 ? 1 : y.shape[dim];
  let inner = 1;
  for (let d = dim + 1; d < y.ndim; d++) inner *= y.shape[d];
  const outer = numel(y.shape) / Math.max(1, n * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let s = 0;
      if (log) {
        for (let j = 0; j < n; j++) s += G[base + j * inner];
        for (let j = 0; j < n; j++) O[base + j * inner] = G[base + j * inner] - Math.exp(Y[base + j * inner]) * s;
      } else {
        for (let j = 0; j < n; j++) s += G[base + j * inner] * Y[base + j * inner];
        for (let j = 0; j < n; j++) O[base + j * inner] = Y[base + j * inner] * (G[base + j * inner] - s);
      }
    }
  }
  return out;
}

/** Variance over dims: two passes per block (mean, then squared deviations) divided by max(0, N − correction). */
export function variance(x: Tensor, dims: readonly number[], correction: number, keepdim: boolean): JsHandle {
  const out = alloc(x.dtype, reducedShape(x.shape, dims, keepdim));
  const { data, outer, len } = reduceLayout(x, dims);
  const o = out.data;
  const dof = Math.max(0, len - correction);
  for (let i = 0; i < outer; i++) {
    const base = i * len;
    let m = 0;
    for (let j = 0; j < len; j++) m += data[base + j];
    m /= len;
    let s = 0;
    for (let j = 0; j < len; j++) {
      const d = data[base + j] - m;
      s += d * d;
    }
    o[i] = s / dof;
  }
  return out;
}

/**
 * max/min along one dim with the index of the first extremum; NaN wins (its first occurrence),
 * as in PyTorch. The dim must not be empty (the op layer checks).
 */
export function reduceWithIndex(op: 'max' | 'min', x: Tensor, dim: number, keepdim: boolean): [JsHandle, JsHandle] {
  const shape = reducedShape(x.shape, [dim], keepdim);
  const vals = alloc(x.dtype, shape), idx = alloc('int64', shape);
  const { data, outer, len } = reduceLayout(x, [dim]);
  const V = vals.data, I = idx.data;
  for (let i = 0; i < outer; i++) {
    const base = i * len;
    let best = data[base], at = 0;
    if (best === best) {
      for (let j = 1; j < len; j++) {
        const v = data[base + j];
        if (v !== v) { best = v; at = j; break; }
        if (op === 'max' ? v > best : v < best) { best = v; at = j; }
      }
    }
    V[i] = best;
    I[i] = at;
  }
  return [vals, idx];
}

/**
 * log Σ exp(x) over dims, shifting by the block's maximum.
 * NOTE: an infinite maximum is not subtracted (inf − inf would be NaN): a block holding +inf gives
 * +inf and an all −inf (or empty) block gives −inf, as ATen's logsumexp does.
 */
export function logsumexp(x: Tensor, dims: readonly number[], keepdim: boolean): JsHandle {
  const out = alloc(x.dtype, reducedShape(x.shape, dims, keepdim));
  const { data, outer, len } = reduceLayout(x, dims);
  const o = out.data;
  for (let i = 0; i < outer; i++) {
    const base = i * len;
    let mx = -Infinity;
    for (let j = 0; j < len; j++) {
      const v = data[base + j];
      if (v > mx || v !== v) mx = v;
      if (v !== v) break;
    }
    if (mx === Infinity || mx === -Infinity) mx = 0;
    let s = 0;
    for (let j = 0; j < len; j++) s += Math.exp(data[base + j] - mx);
    o[i] = Math.log(s) + mx;
  }
  return out;
}

/** Sizes of the dims before and after `dim` (as products) and the size of `dim` itself. */
function around(shape: readonly number[], dim: number): { pre: number; n: number; post: number } {
  let pre = 1, post = 1;
  for (let d = 0; d < dim; d++) pre *= shape[d];
  for (let d = dim + 1; d < shape.length; d++) post *= shape[d];
  return { pre, n: shape.length ? shape[dim] : 1, post };
}

/** Inclusive running sum along dim, accumulated in double precision. */
export function cumsum(x: Tensor, dim: number, outDtype: DType): JsHandle {
  const out = alloc(outDtype, x.shape);
  const X = values(x), O = out.data;
  const { pre, n, post } = around(x.shape, dim);
  for (let p = 0; p < pre; p++) {
    for (let q = 0; q < post; q++) {
      const base = p * n * post + q;
      let acc = 0;
      for (let j = 0; j < n; j++) {
        acc += X[base + j * post];
        O[base + j * post] = acc;
      }
    }
  }
  return out;
}

/** Orders positions of one row: NaN counts as larger than every number (as in ATen); ties keep their order. */
function orderRow(row: Store | Float64Array, descending: boolean): number[] {
  const order = Array.from({ length: row.length }, (_, i) => i);
  const rank = (a: number, b: number): number => {
    const va = row[a], vb = row[b];
    if (va !== va) return vb !== vb ? 0 : 1;
    if (vb !== vb) return -1;
    return va < vb ? -1 : va > vb ? 1 : 0;
  };
  // NOTE: Array.prototype.sort is stable, so equal values stay in index order either way.
  order.sort(descending ? (a, b) => rank(b, a) : rank);
  return order;
}

/** The first k of each row along dim after a stable sort (descending when `largest`): [values, int64 indices]. */
function selectSorted(x: Tensor, k: number, dim: number, descending: boolean): [JsHandle, JsHandle] {
  const shape = x.shape.slice();
  shape[dim] = k;
  const vals = alloc(x.dtype, shape), idx = alloc('int64', shape);
  const { data, outer, len } = reduceLayout(x, [dim]);
  const { post } = around(x.shape, dim);
  const V = vals.data, I = idx.data;
  for (let i = 0; i < outer; i++) {
    const row = data.subarray(i * len, (i + 1) * len) as Store;
    const order = orderRow(row, descending);
    const p = Math.floor(i / post), q = i % post;
    const base = p * k * post + q;
    for (let j = 0; j < k; j++) {
      V[base + j * post] = row[order[j]];
      I[base + j * post] = order[j];
    }
  }
  return [vals, idx];
}

/** The k largest (or smallest) along dim. NOTE: results come back sorted even when `sorted` is false. */
export function topk(x: Tensor, k: number, dim: number, largest: boolean, _sorted: boolean): [JsHandle, JsHandle] {
  return selectSorted(x, k, dim, largest);
}

/** Stable sort along dim: [values, int64 indices]. */
export function sort(x: Tensor, dim: number, descending: boolean): [JsHandle, JsHandle] {
  return selectSorted(x, x.shape[dim], dim, descending);
}

/**
 * Gradient of a value-selecting op (max/min along dim, topk, sort): zeros of `shape` with g written
 * at `indices` along dim. g and indices have `shape`'s rank when keepdim, else lack dim.
 */
export function valueSelectingBackward(g: Tensor, dim: number, indices: Tensor, shape: readonly number[], keepdim: boolean): JsHandle {
  const out = alloc(g.dtype, shape);
  const G = values(g), X = values(indices), O = out.data;
  const { n, post } = around(shape, dim);
  const k = keepdim ? g.shape[dim] : 1;
  for (let i = 0; i < G.length; i++) {
    const q = i % post, p = Math.floor(i / (post * k));
    O[(p * n + X[i]) * post + q] = G[i];
  }
  return out;
}
