// Mixed precision as torch.autocast: inside st.autocast(), matrix products, linear layers, convolutions and
// attention run in bfloat16 or float16 (tensor cores), while softmax, normalisations and losses run in
// float32; parameters and their gradients stay float32 (the casts are ops the autograd graph records).
import { StrataError } from '../tensor/errors.js';
import type { DType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { cast } from './convert.js';

export interface AutocastOptions {
  /** 'bfloat16' (default) or 'float16' (pair it with a GradScaler). */
  dtype?: 'bfloat16' | 'float16';
  /** false runs fn without autocast (default true). */
  enabled?: boolean;
}

let active: DType | null = null;

/**
 * Runs fn with autocast on (synchronous, like st.tidy; nested calls override and restore). Call backward()
 * outside it, as PyTorch recommends. Tensors on the js backend are left in their own precision (it has no
 * half-precision kernels).
 * @example const loss = st.autocast({ dtype: 'bfloat16' }, () => st.crossEntropy(model.forward(x), y)); loss.backward();
 */
export function autocast<R>(opts: AutocastOptions, fn: () => R): R {
  const dtype = opts.dtype ?? 'bfloat16';
  if (dtype !== 'bfloat16' && dtype !== 'float16') throw new StrataError('autocast', `dtype must be 'bfloat16' or 'float16', got ${JSON.stringify(dtype)}`);
  const prev = active;
  active = opts.enabled === false ? null : dtype;
  try {
    const r = fn();
    if (r instanceof Promise) throw new StrataError('autocast', 'the function returned a Promise; autocast regions are synchronous');
    return r;
  } finally {
    active = prev;
  }
}

/** The autocast dtype in force, or null. */
export function autocastDtype(): DType | null {
  return active;
}

/** An operand of a reduced-precision op (matmul, linear, convolution, attention) under autocast. */
export function toAutocast(x: Tensor): Tensor;
export function toAutocast(x: Tensor | null): Tensor | null;
export function toAutocast(x: Tensor | null): Tensor | null {
  if (active === null || !(x instanceof Tensor) || x.backend.name === 'js') return x;
  // NOTE: as in PyTorch, float64 operands are left alone (they were asked for explicitly)
  return x.dtype === 'float32' || ((x.dtype === 'bfloat16' || x.dtype === 'float16') && x.dtype !== active) ? cast(x, active) : x;
}

/** An operand of an op that autocast runs in float32 (softmax, normalisations, losses). */
export function toFloat32(x: Tensor): Tensor;
export function toFloat32(x: Tensor | null): Tensor | null;
export function toFloat32(x: Tensor | null): Tensor | null {
  if (active === null || !(x instanceof Tensor)) return x;
  return x.dtype === 'bfloat16' || x.dtype === 'float16' ? cast(x, 'float32') : x;
}
