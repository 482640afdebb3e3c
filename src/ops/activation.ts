// Softmax, log-softmax and dropout (pointwise kernels live in elementwise.ts); activations composed of them.
import { toFloat32 } from './autocast.js';
import { defineOp, record } from '../autograd/graph.js';
import { StrataError } from '../tensor/errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { normDim } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { add, clamp, div, elu, mul, neg, relu, sigmoid, softplus, sub, tanh } from './elementwise.js';
import { chunk, reshape } from './shape.js';
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

// ---------------------------------------------------------------- composed activations
// logSigmoid, mish, hardswish, hardsigmoid, selu, glu, prelu: compositions of elementwise ops.

/** log(sigmoid(x)) = −softplus(−x), stable for large |x|. */
export function logSigmoid(x: Tensor): Tensor {
  expectTensor('logSigmoid', 'input', x);
  expectFloat('logSigmoid', x);
  return neg(softplus(neg(x)));
}

/** x·tanh(softplus(x)) (Misra, 2019). */
export function mish(x: Tensor): Tensor {
  expectTensor('mish', 'input', x);
  expectFloat('mish', x);
  return mul(x, tanh(softplus(x)));
}

/** x·relu6(x + 3)/6 (Howard et al., 2019, MobileNetV3). */
export function hardswish(x: Tensor): Tensor {
  expectTensor('hardswish', 'input', x);
  expectFloat('hardswish', x);
  return mul(x, hardsigmoid(x));
}

/** relu6(x + 3)/6: 0 below −3, 1 above 3, linear between. */
export function hardsigmoid(x: Tensor): Tensor {
  expectTensor('hardsigmoid', 'input', x);
  expectFloat('hardsigmoid', x);
  return clamp(add(div(x, 6), 0.5), 0, 1);
}

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/** scale·elu(x, alpha) with the self-normalising constants of Klambauer et al., 2017. */
export function selu(x: Tensor): Tensor {
  expectTensor('selu', 'input', x);
  expectFloat('selu', x);
  return mul(elu(x, SELU_ALPHA), SELU_SCALE);
}

/** Gated linear unit (Dauphin et al., 2017): splits x in halves a, b along dim and gives a·sigmoid(b). */
export function glu(x: Tensor, dim = -1): Tensor {
  expectTensor('glu', 'input', x);
  expectFloat('glu', x);
  const d = normDim('glu', dim, x.ndim);
  if (x.shape[d] % 2 !== 0) throw new StrataError('glu', `dim ${d} of shape [${x.shape.join(', ')}] must have an even size to split in halves`);
  const [a, b] = chunk(x, 2, d);
  return mul(a, sigmoid(b));
}

/**
 * max(0, x) + weight·min(0, x) with a learned slope (He et al., 2015): weight has 1 element or one per
 * channel (dim 1 of x).
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  const op = 'prelu';
  expectTensor(op, 'input', x);
  expectTensor(op, 'weight', weight);
  expectFloat(op, x);
  const c = x.ndim >= 2 ? x.shape[1] : 1;
  if (weight.numel !== 1 && weight.numel !== c) throw new StrataError(op, `weight has ${weight.numel} elements; expected 1 or the ${c} channels (dim 1) of input [${x.shape.join(', ')}]`);
  const w = weight.numel === 1 ? reshape(weight, []) : reshape(weight, [c, ...new Array<number>(Math.max(x.ndim - 2, 0)).fill(1)]);
  return sub(relu(x), mul(w, relu(neg(x))));
}
