// js kernels: reductions over any dims (sum, mean, prod, amax, amin, all, any, var, …), softmax, sorting.
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
  const n = x.shape[dim];
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
  const n = y.shape[dim];
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
