// js kernels: random masks from a counter-based hash of (seed, element index), the same masks as native's.
import type { DType } from '../../tensor/dtype.js';
import type { Shape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { alloc, values, type JsHandle } from './storage.js';

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The per-seed key of hashUniform24 (native's bernoulli_fill computes the same). */
export function hashKey(seed: number): number {
  return fmix32((seed ^ 0x5bd1e995) >>> 0);
}

/** A 24-bit uniform integer for element i of a mask drawn with hashKey(seed) = key. */
export function hashUniform24(key: number, i: number): number {
  return fmix32((Math.imul(i, 0x9e3779b9) ^ key) >>> 0) >>> 8;
}

export function bernoulli(shape: Shape, p: number, dtype: DType, seed: number): JsHandle {
  const out = alloc(dtype, shape);
  const key = hashKey(seed), threshold = p * 16777216;
  const d = out.data;
  for (let i = 0; i < d.length; i++) d[i] = hashUniform24(key, i) < threshold ? 1 : 0;
  return out;
}

/** Dropout with native's mask: element i is kept when hashUniform24 < (1 − p)·2^24, then scaled by 1/(1 − p). */
export function dropout(x: Tensor, p: number, seed: number): JsHandle {
  const out = alloc(x.dtype, x.shape);
  const v = values(x), d = out.data;
  const key = hashKey(seed), threshold = (1 - p) * 16777216, scale = p < 1 ? 1 / (1 - p) : 0;
  for (let i = 0; i < d.length; i++) d[i] = hashUniform24(key, i) < threshold ? v[i] * scale : 0;
  return out;
}
