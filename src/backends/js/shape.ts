// js kernels: views (view, permute, expand, slice), contiguous copies, cat, flip, pad.
import type { Shape } from '../../tensor/shape.js';
import { numel, viewStrides } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { map } from './iter.js';
import { H, alloc, fresh, gatherStrided, scatterStrided, storeFor, values, viewOf, type JsHandle } from './storage.js';
import { operand } from './elementwise.js';

export function contiguous(x: Tensor): JsHandle {
  const h = H(x);
  const out = storeFor(x.dtype, numel(x.shape));
  if (h.contiguous) out.set(h.data.subarray(h.offset, h.offset + out.length) as never);
  else gatherStrided(h.data, h.offset, h.strides, x.shape, out);
  return fresh(out, x.shape);
}

export function view(x: Tensor, shape: Shape): JsHandle | null {
  const h = H(x);
  const st = viewStrides(x.shape, h.strides, shape);
  return st === null ? null : viewOf(h, h.offset, st, shape);
}

export function permute(x: Tensor, dims: readonly number[]): JsHandle {
  const h = H(x);
  return viewOf(h, h.offset, dims.map((d) => h.strides[d]), dims.map((d) => x.shape[d]));
}

export function expand(x: Tensor, shape: Shape): JsHandle {
  const h = H(x);
  const lead = shape.length - x.ndim;
  const strides = shape.map((s, i) => (i < lead || x.shape[i - lead] !== s ? 0 : h.strides[i - lead]));
  return viewOf(h, h.offset, strides, shape);
}

export function slice(x: Tensor, dim: number, start: number, end: number, step: number): JsHandle {
  const h = H(x);
  const strides = h.strides.slice();
  strides[dim] *= step;
  const shape = x.shape.slice();
  shape[dim] = Math.max(0, Math.ceil((end - start) / step));
  return viewOf(h, h.offset + start * h.strides[dim], strides, shape);
}

export function cat(xs: readonly Tensor[], dim: number, outShape: Shape): JsHandle {
  const out = alloc(xs[0].dtype, outShape);
  let off = 0;
  for (const x of xs) {
    const shape = x.shape;
    const o = { data: out.data, offset: off * out.strides[dim], strides: out.strides };
    map('a', shape, o, operand(x, shape));
    off += x.shape[dim];
  }
  return out;
}

export function flip(x: Tensor, dims: readonly number[]): JsHandle {
  const h = H(x);
  let offset = h.offset;
  const strides = h.strides.slice();
  for (const d of dims) {
    offset += (x.shape[d] - 1) * strides[d];
    strides[d] = -strides[d];
  }
  const out = alloc(x.dtype, x.shape);
  gatherStrided(h.data, offset, strides, x.shape, out.data);
  return out;
}

export function pad(x: Tensor, pads: readonly number[], value: number, outShape: Shape): JsHandle {
  const out = alloc(x.dtype, outShape);
  if (value !== 0) out.data.fill(value);
  let offset = 0;
  for (let k = 0; k < pads.length / 2; k++) offset += pads[2 * k] * out.strides[x.ndim - 1 - k];
  scatterStrided(out.data, offset, out.strides, x.shape, values(x));
  return out;
}

