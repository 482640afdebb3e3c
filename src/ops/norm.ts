// Normalisation: batch norm (training and eval, running statistics), layer norm, group norm.
// Forward and backward run the backends' fused kernels (ATen's native_*_norm on native).
import { toFloat32 } from './autocast.js';
import { defineOp, record, type BackwardCtx } from '../autograd/graph.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import type { Backend, Handle } from '../backends/backend.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { shapesEqual, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { add, mul } from './elementwise.js';
import { narrow } from './shape.js';
import { backendOf, describe, expectFloat, expectTensor, wrap } from './util.js';

export interface BatchNormOptions {
  weight?: Tensor | null; bias?: Tensor | null;
  runningMean?: Tensor | null; runningVar?: Tensor | null;
  training?: boolean; momentum?: number; eps?: number;
}

type Grads = [Handle | null, Handle | null, Handle | null];

const normGradDef = defineOp<{ op: string }>({
  name: 'normBackward',
  backward: (ctx) => {
    throw new StrataError('backward', `double backward through ${ctx.attrs.op} is not supported`);
  },
});

/**
 * Wraps a backward kernel's three gradients (null handles stay null). Under createGraph they are
 * recorded as outputs of a node that refuses a second backward, rather than silently giving none.
 */
function wrapGrads(op: string, b: Backend, hs: Grads, shapes: readonly Shape[], g: Tensor, x: Tensor, w: Tensor | null): (Tensor | null)[] {
  const out = hs.map((h, i) => (h === null || h === undefined ? null : wrap(b, h, shapes[i], x.dtype)));
  record(normGradDef, [g, x, w], out.filter((t): t is Tensor => t !== null), [], { op });
  return out;
}

/** The backward-kernel mask: which of (input, weight, bias) need a gradient. */
function gradMask(ctx: BackwardCtx<{ hasWeight: boolean; hasBias: boolean }>): [boolean, boolean, boolean] {
  return [ctx.needs(0), ctx.attrs.hasWeight && ctx.needs(1), ctx.attrs.hasBias && ctx.needs(2)];
}

/** Checks an optional affine or statistics tensor: same backend and dtype as x, of `shape`. */
function checkParam(op: string, name: string, p: Tensor | null | undefined, x: Tensor, shape: Shape, what: string): Tensor | null {
  if (p === null || p === undefined) return null;
  expectTensor(op, name, p);
  if (!shapesEqual(p.shape, shape)) {
    throw new StrataError(op, `${name} has shape ${fmtShape(p.shape)}, but ${what} (input shape ${fmtShape(x.shape)}) needs ${fmtShape(shape)}`);
  }
  if (p.dtype !== x.dtype) throw new StrataError(op, `${name} is ${p.dtype} but the input is ${x.dtype}; convert it with .to('${x.dtype}')`);
  return p;
}

/** Frees the forward's statistics right away when no autograd node kept them. */
function releaseUnsaved(y: Tensor, ...stats: Tensor[]): void {
  if (y.gradFn === null) for (const t of stats) t.dispose();
}

function checkEps(op: string, eps: unknown): number {
  if (typeof eps !== 'number' || !(eps >= 0)) throw new StrataError(op, `eps must be a number >= 0, got ${String(eps)}`);
  return eps;
}

// ---------------------------------------------------------------- batch norm

interface BatchNormAttrs { hasWeight: boolean; hasBias: boolean; training: boolean; eps: number; c: number }

const batchNormDef = defineOp<BatchNormAttrs>({
  name: 'batchNorm',
  backward: (ctx, [g]) => {
    // saved: x, saveMean, saveInvstd, then weight (if any), then runningMean, runningVar (evaluation only)
    const [x, saveMean, saveInvstd, ...rest] = ctx.saved;
    const { hasWeight, training, eps, c } = ctx.attrs;
    const w = hasWeight ? rest[0] : null;
    const rm = training ? null : rest[hasWeight ? 1 : 0];
    const rv = training ? null : rest[hasWeight ? 2 : 1];
    const b = x.backend;
    const hs = b.batchNormBackward(g, x, w, rm, rv, saveMean, saveInvstd, training, eps, gradMask(ctx)) as Grads;
    return wrapGrads('batchNorm', b, hs, [x.shape, [c], [c]], g, x, w);
  },
});

/**
 * Batch normalisation (Ioffe & Szegedy, 2015) of x [N, C, *] (1-D: [N, C] or [N, C, L]; 2-D: [N, C, H, W];
 * 3-D: [N, C, D, H, W]) per channel: y = (x − mean) / √(var + eps) · weight + bias, weight and bias [C].
 *
 * With `training: true` it normalises by the batch's statistics (biased variance) and, when given,
 * updates `runningMean` and `runningVar` [C] in place as PyTorch does:
 * running ← (1 − momentum)·running + momentum·batch, using the unbiased batch variance for runningVar.
 * With `training: false` (the default, as torch.nn.functional.batch_norm) it normalises by the running
 * statistics, which must then be given.
 */
export function batchNorm(x: Tensor, opts: BatchNormOptions = {}): Tensor {
  const op = 'batchNorm';
  x = toFloat32(x);
  expectTensor(op, 'input', x);
  expectFloat(op, x);
  if (opts === null || typeof opts !== 'object') throw new StrataError(op, `expected options to be an object, got ${describe(opts)}`);
  const training = opts.training ?? false;
  const momentum = opts.momentum ?? 0.1;
  const eps = checkEps(op, opts.eps ?? 1e-5);
  if (typeof momentum !== 'number' || !Number.isFinite(momentum)) throw new StrataError(op, `momentum must be a number, got ${String(momentum)}`);
  if (x.ndim < 2) throw new StrataError(op, `expected an input of shape [N, C, *] (at least 2 dims), got ${fmtShape(x.shape)}`);
  const c = x.shape[1];
  const what = `the input's ${c} channels`;
  const w = checkParam(op, 'weight', opts.weight, x, [c], what);
  const bias = checkParam(op, 'bias', opts.bias, x, [c], what);
  const rm = checkParam(op, 'runningMean', opts.runningMean, x, [c], what);
  const rv = checkParam(op, 'runningVar', opts.runningVar, x, [c], what);
  const b = backendOf(op, x, w, bias, rm, rv);
  if ((rm === null) !== (rv === null)) throw new StrataError(op, 'runningMean and runningVar must be given together');
  if (training) {
    const perChannel = x.numel / Math.max(c, 1);
    if (perChannel === 1) {
      throw new StrataError(op, `Expected more than 1 value per channel when training, got input of shape ${fmtShape(x.shape)}; use a batch of more than one sample, or training: false`);
    }
    for (const [name, t] of [['runningMean', rm], ['runningVar', rv]] as const) {
      if (t && t.requiresGrad && isGradEnabled()) throw new StrataError(op, `${name} requires grad, but training updates it in place; pass a buffer that does not require grad`);
    }
  } else if (rm === null) {
    throw new StrataError(op, 'evaluation mode (training: false) normalises by runningMean and runningVar, which were not given; pass them, or set training: true');
  }
  if (x.numel === 0) return emptyBatchNorm(x, w, bias);
  const [hy, hm, hs] = b.batchNorm(x, w, bias, rm, rv, training, momentum, eps);
  const statShape = [training ? c : 0];
  const y = wrap(b, hy, x.shape, x.dtype);
  const saveMean = wrap(b, hm, statShape, x.dtype), saveInvstd = wrap(b, hs, statShape, x.dtype);
  if (training) {
    if (rm) rm._version.v++;
    if (rv) rv._version.v++;
  }
  const saved = [x, saveMean, saveInvstd, ...(w ? [w] : []), ...(training ? [] : [rm!, rv!])];
  record(batchNormDef, [x, w, bias], y, saved, { hasWeight: w !== null, hasBias: bias !== null, training, eps, c });
  releaseUnsaved(y, saveMean, saveInvstd);
  return y;
}

/**
 * An empty batch: PyTorch's x.clone()·weight[0] + bias[0] (running statistics untouched), so the
 * graph stays connected. NOTE: ATen's kernel divides by the batch size (SIGFPE on integer 0).
 */
function emptyBatchNorm(x: Tensor, w: Tensor | null, bias: Tensor | null): Tensor {
  let y = mul(x, 1);
  if (w && w.numel > 0) y = mul(y, narrow(w, 0, 0, 1));
  if (bias && bias.numel > 0) y = add(y, narrow(bias, 0, 0, 1));
  return y;
}

// ---------------------------------------------------------------- layer norm

interface LayerNormAttrs { hasWeight: boolean; hasBias: boolean; normalizedShape: number[]; eps: number }

const layerNormDef = defineOp<LayerNormAttrs>({
  name: 'layerNorm',
  backward: (ctx, [g]) => {
    // saved: x, mean, rstd, then weight and bias (those given)
    const [x, mean, rstd, ...rest] = ctx.saved;
    const { hasWeight, hasBias, normalizedShape } = ctx.attrs;
    const w = hasWeight ? rest[0] : null;
    const bias = hasBias ? rest[hasWeight ? 1 : 0] : null;
    const b = x.backend;
    const hs = b.layerNormBackward(g, x, normalizedShape, mean, rstd, w, bias, gradMask(ctx)) as Grads;
    return wrapGrads('layerNorm', b, hs, [x.shape, normalizedShape, normalizedShape], g, x, w);
  },
});

/**
 * Layer normalisation (Ba et al., 2016) over the trailing `normalizedShape` dims of x [*, ...normalizedShape]:
 * y = (x − mean) / √(var + eps) · weight + bias, with statistics (biased variance) per leading index
 * and weight, bias of shape `normalizedShape`.
 */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  x = toFloat32(x);
  const op = 'layerNorm';
  expectTensor(op, 'input', x);
  expectFloat(op, x);
  checkEps(op, eps);
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : Array.isArray(normalizedShape) ? normalizedShape.slice() : null;
  if (ns === null || ns.length === 0 || ns.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new StrataError(op, `normalizedShape must be a positive integer or a non-empty list of them, got ${JSON.stringify(normalizedShape)}`);
  }
  const k = ns.length;
  if (x.ndim < k || !shapesEqual(x.shape.slice(x.ndim - k), ns)) {
    throw new StrataError(op, `normalizedShape ${fmtShape(ns)} does not match the input's trailing dims: expected an input of shape [*,${ns.join(',')}], got ${fmtShape(x.shape)}`);
  }
  const what = `normalizedShape ${fmtShape(ns)}`;
  const w = checkParam(op, 'weight', weight, x, ns, what);
  const bi = checkParam(op, 'bias', bias, x, ns, what);
  const b = backendOf(op, x, w, bi);
  const [hy, hm, hr] = b.layerNorm(x, ns, w, bi, eps);
  const statShape = x.shape.map((v, i) => (i < x.ndim - k ? v : 1));
  const y = wrap(b, hy, x.shape, x.dtype);
  const mean = wrap(b, hm, statShape, x.dtype), rstd = wrap(b, hr, statShape, x.dtype);
  const saved = [x, mean, rstd, ...(w ? [w] : []), ...(bi ? [bi] : [])];
  record(layerNormDef, [x, w, bi], y, saved, { hasWeight: w !== null, hasBias: bi !== null, normalizedShape: ns, eps });
  releaseUnsaved(y, mean, rstd);
  return y;
}

// ---------------------------------------------------------------- group norm

interface GroupNormAttrs { hasWeight: boolean; hasBias: boolean; groups: number; c: number }

const groupNormDef = defineOp<GroupNormAttrs>({
  name: 'groupNorm',
  backward: (ctx, [g]) => {
    // saved: x, mean, rstd, then weight (if any)
    const [x, mean, rstd, w] = ctx.saved;
    const { hasWeight, groups, c } = ctx.attrs;
    const b = x.backend;
    const wt = hasWeight ? w : null;
    const hs = b.groupNormBackward(g, x, mean, rstd, wt, groups, gradMask(ctx)) as Grads;
    return wrapGrads('groupNorm', b, hs, [x.shape, [c], [c]], g, x, wt);
  },
});

/**
 * Group normalisation (Wu & He, 2018) of x [N, C, *]: the C channels are split into `numGroups`
 * groups of C/numGroups channels, each normalised over its channels and spatial positions per sample;
 * then y = x̂ · weight + bias per channel (weight, bias [C]). C must be divisible by numGroups.
 */
export function groupNorm(x: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  x = toFloat32(x);
  const op = 'groupNorm';
  expectTensor(op, 'input', x);
  expectFloat(op, x);
  checkEps(op, eps);
  if (x.ndim < 2) throw new StrataError(op, `expected an input of shape [N, C, *] (at least 2 dims), got ${fmtShape(x.shape)}`);
  if (!Number.isInteger(numGroups) || numGroups < 1) throw new StrataError(op, `numGroups must be a positive integer, got ${String(numGroups)}`);
  const c = x.shape[1];
  if (c % numGroups !== 0) {
    throw new StrataError(op, `the input's ${c} channels (shape ${fmtShape(x.shape)}) are not divisible by numGroups=${numGroups}; choose a divisor of ${c}`);
  }
  const what = `the input's ${c} channels`;
  const w = checkParam(op, 'weight', weight, x, [c], what);
  const bi = checkParam(op, 'bias', bias, x, [c], what);
  const b = backendOf(op, x, w, bi);
  const [hy, hm, hr] = b.groupNorm(x, w, bi, numGroups, eps);
  const n = x.shape[0];
  const y = wrap(b, hy, x.shape, x.dtype);
  const mean = wrap(b, hm, [n, numGroups], x.dtype), rstd = wrap(b, hr, [n, numGroups], x.dtype);
  record(groupNormDef, [x, w, bi], y, [x, mean, rstd, ...(w ? [w] : [])], { hasWeight: w !== null, hasBias: bi !== null, groups: numGroups, c });
  releaseUnsaved(y, mean, rstd);
  return y;
}
