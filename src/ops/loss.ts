// Loss functions: cross-entropy (label smoothing, ignore index), NLL, MSE, L1, smooth L1, BCE (with logits), KL divergence.
// NLL runs the backends' nllLoss kernels; the others are composed from differentiable ops, following
// PyTorch's formulas (aten/src/ATen/native/Loss.cpp and LossNLL.cpp).
import { toFloat32 } from './autocast.js';
import { defineOp, record } from '../autograd/graph.js';
import { noGrad } from '../autograd/grad-mode.js';
import type { Reduction } from '../backends/backend.js';
import { isFloating } from '../tensor/dtype.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { broadcastShapes, shapesEqual } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { logSoftmax } from './activation.js';
import { cast } from './convert.js';
import { abs, add, clamp, div, eq, exp, log, log1p, lt, mul, neg, square, sub, where } from './elementwise.js';
import { mean, sum } from './reduce.js';
import { permute, reshape, unsqueeze } from './shape.js';
import { backendOf, describe, expectFloat, expectIndex, expectTensor, wrap } from './util.js';

export interface CrossEntropyOptions { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction; labelSmoothing?: number }

// ---------------------------------------------------------------- helpers

function checkReduction<R extends string>(op: string, r: unknown, allowed: readonly R[] = ['none', 'mean', 'sum'] as unknown as R[]): R {
  if (!allowed.includes(r as R)) throw new StrataError(op, `reduction must be ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(r)}`);
  return r as R;
}

function applyReduction(loss: Tensor, reduction: Reduction): Tensor {
  return reduction === 'none' ? loss : reduction === 'sum' ? sum(loss) : mean(loss);
}

/** Validates an elementwise loss's operands: float input, target of the same shape (converted to input's dtype). */
function pair(op: string, input: Tensor, target: Tensor, inputName = 'input'): Tensor {
  expectTensor(op, inputName, input);
  expectTensor(op, 'target', target);
  backendOf(op, input, target);
  expectFloat(op, input, inputName);
  if (!shapesEqual(input.shape, target.shape)) {
    throw new StrataError(op, `${inputName} of shape ${fmtShape(input.shape)} and target of shape ${fmtShape(target.shape)} differ; they must have the same shape`);
  }
  return target.dtype === input.dtype ? target : cast(target, input.dtype);
}

/** Checks an optional tensor that multiplies the elementwise loss (broadcast to the input's shape). */
function broadcastWeight(op: string, name: string, w: Tensor | null | undefined, input: Tensor): Tensor | null {
  if (w === null || w === undefined) return null;
  expectTensor(op, name, w);
  backendOf(op, input, w);
  expectFloat(op, w, name);
  let ok: boolean;
  try {
    ok = shapesEqual(broadcastShapes(op, input.shape, w.shape), input.shape);
  } catch {
    ok = false;
  }
  if (!ok) throw new StrataError(op, `${name} of shape ${fmtShape(w.shape)} does not broadcast to the input's shape ${fmtShape(input.shape)}`);
  return w.dtype === input.dtype ? w : cast(w, input.dtype);
}

/** A per-class weight [C] checked against the input (class dim `classDim` of size C). */
function classWeight(op: string, w: Tensor | null | undefined, input: Tensor, c: number): Tensor | null {
  if (w === null || w === undefined) return null;
  expectTensor(op, 'weight', w);
  backendOf(op, input, w);
  if (w.ndim !== 1 || w.shape[0] !== c) {
    throw new StrataError(op, `weight should have one entry per class: expected shape [${c}] for an input of shape ${fmtShape(input.shape)}, got ${fmtShape(w.shape)}`);
  }
  if (w.dtype !== input.dtype) throw new StrataError(op, `weight is ${w.dtype} but the input is ${input.dtype}; convert it with .to('${input.dtype}')`);
  return w;
}

/** w [C] viewed to broadcast along dim 1 of an input with `ndim` dims (as is for 1-D inputs). */
function alongClassDim(w: Tensor, ndim: number): Tensor {
  if (ndim <= 1) return w;
  const shape = new Array<number>(ndim).fill(1);
  shape[1] = w.shape[0];
  return reshape(w, shape);
}

function checkInt(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new StrataError(op, `${name} must be an integer, got ${String(v)}`);
  return v;
}

// ---------------------------------------------------------------- NLL

interface NllAttrs { reduction: Reduction; ignoreIndex: number; hasWeight: boolean }

const nllDef = defineOp<NllAttrs>({
  name: 'nllLoss',
  backward: (ctx, [g]) => {
    const [logp, target, totalWeight, weight] = ctx.saved;
    const { reduction, ignoreIndex, hasWeight } = ctx.attrs;
    const b = logp.backend;
    const h = b.nllLossBackward(g, logp, target, hasWeight ? weight : null, reduction, ignoreIndex, totalWeight);
    const gx = wrap(b, h, logp.shape, logp.dtype);
    // under createGraph: a node that refuses a second backward, rather than silently giving none
    record(nllGradDef, [g], gx, [], undefined);
    return [gx];
  },
});

const nllGradDef = defineOp({
  name: 'nllLossBackward',
  backward: () => {
    throw new StrataError('backward', 'double backward through nllLoss (and crossEntropy with class indices) is not supported');
  },
});

/**
 * NLL over log-probabilities [N, C, d…] (or [C]) with class indices [N, d…] (or []): validates shapes
 * and target values, moves C last and flattens to the kernel's [M, C]. Returns the loss (target's shape
 * for 'none', else a scalar) and the total weight of the non-ignored targets (ATen's total_weight).
 */
function nllCore(op: string, logp: Tensor, target: Tensor, weight: Tensor | null, reduction: Reduction, ignoreIndex: number): { loss: Tensor; totalWeight: Tensor } {
  expectIndex(op, target, 'target');
  const nd = logp.ndim;
  if (nd === 0) throw new StrataError(op, `expected an input of shape [N, C, *] or [C], got a 0-d tensor`);
  const c = nd === 1 ? logp.shape[0] : logp.shape[1];
  const expected = nd === 1 ? [] : [logp.shape[0], ...logp.shape.slice(2)];
  if (!shapesEqual(target.shape, expected)) {
    throw new StrataError(op, `target of shape ${fmtShape(target.shape)} does not match the input's shape ${fmtShape(logp.shape)}: expected class indices of shape ${fmtShape(expected)}`);
  }
  const t = target.dtype === 'int64' ? target : cast(target, 'int64');
  const vals = t.data() as BigInt64Array;
  for (let i = 0; i < vals.length; i++) {
    const v = Number(vals[i]);
    if (v !== ignoreIndex && (v < 0 || v >= c)) {
      throw new StrataError(op, `target value ${v} is out of range for ${c} classes (expected 0 to ${c - 1}, or ignoreIndex ${ignoreIndex})`);
    }
  }
  // [N, C, d…] → [N·d…, C]
  let lp2: Tensor;
  if (nd === 1) lp2 = unsqueeze(logp, 0);
  else if (nd === 2) lp2 = logp;
  else lp2 = reshape(permute(logp, [0, ...Array.from({ length: nd - 2 }, (_, i) => i + 2), 1]), [-1, c]);
  const t1 = reshape(t, [-1]);
  const b = backendOf(op, logp, t, weight);
  const [hl, hw] = b.nllLoss(lp2, t1, weight, reduction, ignoreIndex);
  const loss2 = wrap(b, hl, reduction === 'none' ? [lp2.shape[0]] : [], logp.dtype);
  const totalWeight = wrap(b, hw, [], logp.dtype);
  record(nllDef, [lp2], loss2, [lp2, t1, totalWeight, ...(weight ? [weight] : [])], { reduction, ignoreIndex, hasWeight: weight !== null });
  return { loss: reduction === 'none' ? reshape(loss2, target.shape) : loss2, totalWeight };
}

/**
 * Negative log-likelihood: −weight[t]·logp[n, t] per element with class index t = target[n, d…],
 * zero where target == ignoreIndex. logp [N, C, d…] (or [C]) holds log-probabilities; target is int64
 * [N, d…] (or []). 'mean' divides by the summed weights of the non-ignored targets (NaN when all are
 * ignored, as PyTorch). The class weight [C] is not differentiated.
 */
export function nllLoss(logp: Tensor, target: Tensor, opts: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction } = {}): Tensor {
  logp = toFloat32(logp);
  const op = 'nllLoss';
  expectTensor(op, 'input', logp);
  expectTensor(op, 'target', target);
  expectFloat(op, logp);
  const reduction = checkReduction<Reduction>(op, opts.reduction ?? 'mean');
  const ignoreIndex = checkInt(op, 'ignoreIndex', opts.ignoreIndex ?? -100);
  const c = logp.ndim === 1 ? logp.shape[0] : logp.shape[1];
  const weight = classWeight(op, opts.weight, logp, c);
  return nllCore(op, logp, target, weight, reduction, ignoreIndex).loss;
}

// ---------------------------------------------------------------- cross-entropy

/**
 * Cross-entropy of logits [N, C, d…] (or [C]) against either
 * - class indices (int64 [N, d…], or [] for 1-D logits): nllLoss(logSoftmax(logits, 1), target), with
 *   `ignoreIndex`, class `weight` [C] and, for labelSmoothing ε > 0, PyTorch's mix
 *   (1 − ε)·nll + ε/C·Σ_c −weight[c]·logp[c] (ignored targets contribute 0; 'mean' divides both terms
 *   by the summed weights of the non-ignored targets);
 * - class probabilities (float, logits' shape): −Σ_c weight[c]·q[c]·logp[c] with q = (1 − ε)·target + ε/C;
 *   'mean' divides by the number of samples N·d….
 */
export function crossEntropy(logits: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  logits = toFloat32(logits);
  const op = 'crossEntropy';
  expectTensor(op, 'input', logits);
  expectTensor(op, 'target', target);
  backendOf(op, logits, target);
  expectFloat(op, logits);
  if (opts === null || typeof opts !== 'object') throw new StrataError(op, `expected options to be an object, got ${describe(opts)}`);
  const reduction = checkReduction<Reduction>(op, opts.reduction ?? 'mean');
  const ignoreIndex = checkInt(op, 'ignoreIndex', opts.ignoreIndex ?? -100);
  const eps = opts.labelSmoothing ?? 0;
  if (typeof eps !== 'number' || !(eps >= 0 && eps <= 1)) throw new StrataError(op, `labelSmoothing must be between 0 and 1, got ${String(eps)}`);
  if (logits.ndim === 0) throw new StrataError(op, 'expected an input of shape [N, C, *] or [C], got a 0-d tensor');
  const classDim = logits.ndim === 1 ? 0 : 1;
  const c = logits.shape[classDim];
  const weight = classWeight(op, opts.weight, logits, c);
  const wb = weight ? alongClassDim(weight, logits.ndim) : null;

  if (isFloating(target.dtype)) {
    if (!shapesEqual(target.shape, logits.shape)) {
      throw new StrataError(op, `a class-probability target must have the input's shape: input ${fmtShape(logits.shape)}, target ${fmtShape(target.shape)} (class indices must be int64)`);
    }
    if (opts.ignoreIndex !== undefined && ignoreIndex >= 0) throw new StrataError(op, 'ignoreIndex is not supported with class-probability targets');
    const logp = logSoftmax(logits, classDim);
    let q = target.dtype === logits.dtype ? target : cast(target, logits.dtype);
    if (eps > 0) q = add(mul(q, 1 - eps), eps / c);
    let prod = mul(logp, q);
    if (wb) prod = mul(prod, wb);
    if (reduction === 'none') return neg(sum(prod, classDim));
    const total = neg(sum(prod));
    return reduction === 'sum' ? total : div(total, logits.numel / Math.max(c, 1));
  }

  const logp = logSoftmax(logits, classDim);
  const { loss: nll, totalWeight } = nllCore(op, logp, target, weight, reduction, ignoreIndex);
  if (eps === 0) return nll;
  const smooth = neg(sum(wb ? mul(logp, wb) : logp, classDim));
  const masked = where(eq(target, ignoreIndex), 0, smooth);
  const ret = reduction === 'none' ? masked : reduction === 'sum' ? sum(masked) : div(sum(masked), totalWeight);
  return add(mul(nll, 1 - eps), mul(ret, eps / c));
}

// ---------------------------------------------------------------- regression losses

/** Mean squared error: (input − target)², reduced. Shapes must match. */
export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  input = toFloat32(input);
  target = toFloat32(target);
  const op = 'mseLoss';
  const t = pair(op, input, target);
  const r = checkReduction<Reduction>(op, reduction);
  return applyReduction(square(sub(input, t)), r);
}

/** Mean absolute error: |input − target|, reduced (gradient sign(input − target), 0 at ties). */
export function l1Loss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  const op = 'l1Loss';
  const t = pair(op, input, target);
  const r = checkReduction<Reduction>(op, reduction);
  return applyReduction(abs(sub(input, t)), r);
}

/**
 * Smooth L1 (Huber-like) loss with threshold beta >= 0: 0.5·d²/beta where |d| < beta, else |d| − 0.5·beta,
 * d = input − target. beta = 0 is the L1 loss.
 */
export function smoothL1Loss(input: Tensor, target: Tensor, reduction: Reduction = 'mean', beta = 1): Tensor {
  const op = 'smoothL1Loss';
  const t = pair(op, input, target);
  const r = checkReduction<Reduction>(op, reduction);
  if (typeof beta !== 'number' || !(beta >= 0)) throw new StrataError(op, `beta must be a number >= 0, got ${String(beta)}`);
  const d = sub(input, t);
  const ad = abs(d);
  // NOTE: beta = 0 must not build 0.5·d²/beta: its unselected branch would send 0·∞ = NaN into the gradient.
  if (beta === 0) return applyReduction(ad, r);
  return applyReduction(where(lt(ad, beta), mul(square(d), 0.5 / beta), sub(ad, 0.5 * beta)), r);
}

// ---------------------------------------------------------------- binary cross-entropy

/**
 * Binary cross-entropy on logits x with targets t in [0, 1] (same shape):
 * ℓ = (1 − t)·x + (1 + (posWeight − 1)·t)·log(1 + e^(−x)), times `weight` (broadcast to x's shape).
 * posWeight (e.g. [C], broadcast along the last dim) weighs the positive term.
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, opts: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {}): Tensor {
  logits = toFloat32(logits);
  target = toFloat32(target);
  const op = 'binaryCrossEntropyWithLogits';
  const t = pair(op, logits, target, 'logits');
  const r = checkReduction<Reduction>(op, opts.reduction ?? 'mean');
  const w = broadcastWeight(op, 'weight', opts.weight, logits);
  const pw = broadcastWeight(op, 'posWeight', opts.posWeight, logits);
  // NOTE: log(1 + e^(−x)) = m + log(e^(−m) + e^(−x−m)) with m = max(−x, 0): no overflow for large |x|
  // (PyTorch's form). Its gradient does not depend on the choice of m, so the kink of max is harmless.
  const m = clamp(neg(logits), 0, null);
  const softplusNeg = add(m, log(add(exp(neg(m)), exp(sub(neg(logits), m)))));
  const posTerm = pw ? mul(add(mul(sub(pw, 1), t), 1), softplusNeg) : softplusNeg;
  let loss = add(mul(sub(1, t), logits), posTerm);
  if (w) loss = mul(loss, w);
  return applyReduction(loss, r);
}

const bceDef = defineOp({
  name: 'binaryCrossEntropy',
  backward: (ctx, [g]) => {
    const [p, t] = ctx.saved;
    // PyTorch's gradients: ∂/∂p = (p − t) / max(p·(1 − p), 1e-12), ∂/∂t = log(1 − p) − log(p)
    const gp = ctx.needs(0) ? div(mul(g, sub(p, t)), clamp(mul(p, sub(1, p)), 1e-12, null)) : null;
    const gt = ctx.needs(1) ? mul(g, sub(log1p(neg(p)), log(p))) : null;
    return [gp, gt];
  },
});

/**
 * Binary cross-entropy on probabilities p in [0, 1] with targets t (same shape):
 * ℓ = −(t·log p + (1 − t)·log(1 − p)), times `weight` (broadcast to p's shape).
 * NOTE: each log is clamped at −100 as in PyTorch, so p = 0 or 1 gives a finite loss; prefer
 * binaryCrossEntropyWithLogits, which is stable for confident predictions.
 */
export function binaryCrossEntropy(probs: Tensor, target: Tensor, opts: { weight?: Tensor | null; reduction?: Reduction } = {}): Tensor {
  const op = 'binaryCrossEntropy';
  const t = pair(op, probs, target);
  const r = checkReduction<Reduction>(op, opts.reduction ?? 'mean');
  const w = broadcastWeight(op, 'weight', opts.weight, probs);
  const pv = probs.data() as Float32Array | Float64Array;
  for (let i = 0; i < pv.length; i++) {
    if (!(pv[i] >= 0 && pv[i] <= 1)) throw new StrataError(op, `all elements of the input must be probabilities between 0 and 1, found ${pv[i]}; apply sigmoid first, or use binaryCrossEntropyWithLogits`);
  }
  const loss = noGrad(() => {
    const lp = clamp(log(probs), -100, null);
    const l1p = clamp(log1p(neg(probs)), -100, null);
    const out = sub(mul(sub(t, 1), l1p), mul(t, lp));
    for (const x of [lp, l1p]) x.dispose();
    return out;
  });
  record(bceDef, [probs, t], loss, [probs, t], undefined);
  return applyReduction(w ? mul(loss, w) : loss, r);
}

// ---------------------------------------------------------------- KL divergence

/**
 * x·log x, 0 at x = 0 (torch.xlogy(x, x)). NOTE: its gradient at x = 0 is NaN, as PyTorch's
 * (xlogy's rule gives x/x = 0/0 for the second operand), so a zero target's gradient is NaN.
 */
const xlogxDef = defineOp({
  name: 'xlogx',
  backward: (ctx, [g]) => {
    const [x] = ctx.saved;
    return [mul(g, add(log(where(eq(x, 0), 1, x)), div(x, x)))];
  },
});
function xlogx(x: Tensor): Tensor {
  const out = noGrad(() => {
    const safe = where(eq(x, 0), 1, x), l = log(safe);
    const y = mul(x, l);
    safe.dispose();
    l.dispose();
    return y;
  });
  record(xlogxDef, [x], out, [x], undefined);
  return out;
}

/**
 * KL(target ‖ input) pointwise, as torch's kl_div: input holds log-probabilities; target holds
 * probabilities (ℓ = t·(log t − input), 0 where t = 0) or, with logTarget, log-probabilities
 * (ℓ = e^t·(t − input)). 'batchmean' divides the sum by the batch size input.shape[0] (the true KL
 * divergence per sample); 'mean' divides by the number of elements.
 */
export function klDiv(input: Tensor, target: Tensor, reduction: Reduction | 'batchmean' = 'mean', logTarget = false): Tensor {
  const op = 'klDiv';
  const t = pair(op, input, target);
  const r = checkReduction<Reduction | 'batchmean'>(op, reduction, ['none', 'mean', 'sum', 'batchmean']);
  let loss: Tensor;
  if (logTarget) loss = mul(exp(t), sub(t, input));
  else {
    loss = sub(xlogx(t), mul(t, input));
  }
  if (r === 'batchmean') return input.ndim === 0 ? sum(loss) : div(sum(loss), input.shape[0]);
  return applyReduction(loss, r);
}
