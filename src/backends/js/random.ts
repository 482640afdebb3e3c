// js kernels: random masks from a generator seeded per call (deterministic on this backend).
import type { DType } from '../../tensor/dtype.js';
import { Generator } from '../../tensor/random.js';
import type { Shape } from '../../tensor/shape.js';
import { alloc, type JsHandle } from './storage.js';

export function bernoulli(shape: Shape, p: number, dtype: DType, seed: number): JsHandle {
  const out = alloc(dtype, shape);
  const g = new Generator(seed);
  const d = out.data;
  for (let i = 0; i < d.length; i++) d[i] = g.random24() < p ? 1 : 0;
  return out;
}
