// Softmax, log-softmax and dropout (pointwise activations live in elementwise.ts).
import { toFloat32 } from './autocast.js';
import { defineOp, record } from '../autograd/graph.js';
import { StrataError } from '../tensor/errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { normDim } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { mul } from './elementwise.js';
import { zerosLike } from './creation.js';
import { expectFloat, expectTensor, wrap } from './util.js';

const softmaxDef = defineOp<{ dim: number; log: boolean }>({
  name: 'softmax',
  backward: (ctx, [g]) => {
    const [y] = ctx.saved;
    return [wrap(y.backend, y.backend.softmaxBackward(g, y, ctx.attrs.dim, ctx.attrs.log), y.shape, y.dtype)];
  },
});

function softmaxImpl(op: string, x: Tensor, dim: number, log: boolean): Tensor {
  expectTensor(op, 'input', x);
  expectFloat(op, x);
  const d = normDim(op, dim, x.ndim);
  const out = wrap(x.backend, x.backend.softmax(x, d, log), x.shape, x.dtype);
  record(softmaxDef, [x], out, [out], { dim: d, log });
  return out;
}

/** exp(x) / Σ exp(x) along dim (computed stably). */
export function softmax(x: Tensor, dim: number): Tensor {
  x = toFloat32(x);
  return softmaxImpl('softmax', x, dim, false);
}

/** log(softmax(x)) along dim, computed without forming softmax. */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  x = toFloat32(x);
  return softmaxImpl('logSoftmax', x, dim, true);
}

const dropoutDef = defineOp<{ p: number; seed: number }>({
  name: 'dropout',
  // dropout is linear in x: the gradient goes through the same mask, redrawn from the seed
  backward: (ctx, [g]) => [dropoutWithSeed(g, ctx.attrs.p, ctx.attrs.seed)],
});

function dropoutWithSeed(x: Tensor, p: number, seed: number): Tensor {
  const out = wrap(x.backend, x.backend.dropout(x, p, seed), x.shape, x.dtype);
  record(dropoutDef, [x], out, [], { p, seed });
  return out;
}

/**
 * Zeroes each element with probability p and scales the rest by 1/(1−p) (inverted dropout,
 * Srivastava et al., 2014). Identity when `training` is false. The mask is a hash of a seed drawn from
 * `generator` and each element's index: the same on both backends, and redrawn (not stored) for backward.
 */
export function dropout(x: Tensor, p = 0.5, training = true, generator: Generator = defaultGenerator): Tensor {
  expectTensor('dropout', 'input', x);
  if (!(p >= 0 && p <= 1)) throw new StrataError('dropout', `probability must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  if (p === 1) return mul(x, zerosLike(x));
  expectFloat('dropout', x);
  return dropoutWithSeed(x, p, generator.nextSeed());
}
