// js kernels for indexing: indexSelect, gather, scatterAdd, indexAdd and the embedding gradient.
// Index tensors arrive range-checked (int64 or int32); inputs may have any strides.
import type { Shape } from '../../tensor/shape.js';
import { numel } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { H, alloc, values, type JsHandle, type Store } from './storage.js';

/** Sizes before, at and after `dim`: x viewed as [outer, n, inner]. */
function split3(shape: Shape, dim: number): [number, number, number] {
  let outer = 1, inner = 1;
  for (let i = 0; i < dim; i++) outer *= shape[i];
  for (let i = dim + 1; i < shape.length; i++) inner *= shape[i];
  return [outer, shape[dim] ?? 1, inner];
}

/** A contiguous copy of x's values in a new handle (the out-of-place base of scatterAdd/indexAdd). */
function copyOf(x: Tensor): JsHandle {
  const out = alloc(x.dtype, x.shape);
  out.data.set(values(x) as never);
  return out;
}

export function indexSelect(x: Tensor, dim: number, index: Tensor): JsHandle {
  const idx = values(index);
  const k = idx.length;
  const [outer, n, inner] = split3(x.shape, dim);
  const shape = x.shape.slice();
  if (shape.length > 0) shape[dim] = k;
  const out = alloc(x.dtype, shape);
  const src = values(x), dst = out.data;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < k; j++) {
      const from = (o * n + idx[j]) * inner;
      dst.set(src.subarray(from, from + inner) as never, (o * k + j) * inner);
    }
  }
  return out;
}

/**
 * Visits every position of `shape` row-major, calling f(flat position, coordinates).
 * Gather and scatter-add walk the index tensor this way.
 */
function forEachIndex(shape: Shape, f: (pos: number, coord: readonly number[]) => void): void {
  const n = numel(shape);
  const nd = shape.length;
  const coord = new Array<number>(nd).fill(0);
  for (let p = 0; p < n; p++) {
    f(p, coord);
    for (let d = nd - 1; d >= 0; d--) {
      if (++coord[d] < shape[d]) break;
      coord[d] = 0;
    }
  }
}

export function gather(x: Tensor, dim: number, index: Tensor): JsHandle {
  const idx = values(index);
  const out = alloc(x.dtype, index.shape);
  const hx = H(x), xs = hx.strides, xd = hx.data, dst = out.data;
  forEachIndex(index.shape, (p, c) => {
    let off = hx.offset;
    for (let d = 0; d < c.length; d++) off += (d === dim ? idx[p] : c[d]) * xs[d];
    dst[p] = xd[off];
  });
  return out;
}

export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): JsHandle {
  const idx = values(index);
  const out = copyOf(x);
  const os = out.strides, dst = out.data;
  const hs = H(src), ss = hs.strides, sd = hs.data;
  forEachIndex(index.shape, (p, c) => {
    let o = 0, s = hs.offset;
    for (let d = 0; d < c.length; d++) {
      o += (d === dim ? idx[p] : c[d]) * os[d];
      s += c[d] * ss[d];
    }
    dst[o] += sd[s];
  });
  return out;
}

export function indexAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): JsHandle {
  const idx = values(index);
  const k = idx.length;
  const out = copyOf(x);
  const [outer, n, inner] = split3(x.shape, dim);
  const s = values(src), dst = out.data;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < k; j++) {
      const to = (o * n + idx[j]) * inner, from = (o * k + j) * inner;
      for (let t = 0; t < inner; t++) dst[to + t] += s[from + t];
    }
  }
  return out;
}

/** Sums g's rows [*, D] into a [numWeights, D] table at `indices`, skipping paddingIdx (-1: none). */
export function embeddingBackward(g: Tensor, indices: Tensor, numWeights: number, paddingIdx: number): JsHandle {
  const idx = values(indices);
  const D = g.shape[g.ndim - 1];
  const out = alloc(g.dtype, [numWeights, D]);
  const gv: Store = values(g), dst = out.data;
  for (let i = 0; i < idx.length; i++) {
    const row = idx[i];
    if (row === paddingIdx) continue;
    const to = row * D, from = i * D;
    for (let t = 0; t < D; t++) dst[to + t] += gv[from + t];
  }
  return out;
}
