// Reductions over any dimensions (sum, mean, var, max/min, argmax, logsumexp, …), sorting and top-k.
import { toFloat32 } from './autocast.js';
import { defineOp, record } from '../autograd/graph.js';
import { noGrad } from '../autograd/grad-mode.js';
import { isFloating, type DType } from '../tensor/dtype.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { normDim, normDims, reducedShape, shapesEqual, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { abs, div, eq, exp, logicalOr, isnan, mul, ne, pow, sign, sqrt, sub, where } from './elementwise.js';
import { zerosLike } from './creation.js';
import { expand, flip, reshape } from './shape.js';
import { describe, expectInt, expectTensor, wrap } from './util.js';

type Dims = number | readonly number[] | null | undefined;

interface ReduceAttrs { dims: number[]; keepdim: boolean }

/** Expands a reduced gradient back over the reduced dims of `shape`. */
export function unreduce(g: Tensor, shape: Shape, dims: readonly number[], keepdim: boolean): Tensor {
  const kept = keepdim ? g : reshape(g, reducedShape(shape, dims, true));
  return expand(kept, shape);
}

/** Sums a broadcast gradient down to `shape` (leading dims and size-1 dims). */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.shape.length - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.shape.length; i++) {
    if (i < lead) dims.push(i);
    else if (shape[i - lead] === 1 && g.shape[i] !== 1) dims.push(i);
  }
  const s = dims.length ? sum(g, dims, true) : g;
  return reshape(s, shape);
}

const sumDef = defineOp<ReduceAttrs>({
  name: 'sum',
  backward: (ctx, [g]) => [unreduce(g, ctx.inputs[0].shape, ctx.attrs.dims, ctx.attrs.keepdim)],
});

/** Sorted reduced dims; every dim when `dim` is omitted or an empty list (as PyTorch's sum(dim=[])). */
function reduceDims(op: string, x: Tensor, dim: Dims): number[] {
  if (x.ndim === 0) {
    normDims(op, dim, 0);
    return [];
  }
  const dims = normDims(op, dim, x.ndim);
  return dims.length ? dims : normDims(op, null, x.ndim);
}

/** Sum over `dim` (all dims when omitted). Integer and bool inputs sum to int64. */
export function sum(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  expectTensor('sum', 'input', x);
  const dims = reduceDims('sum', x, dim);
  const dtype: DType = isFloating(x.dtype) ? x.dtype : 'int64';
  const shape = reducedShape(x.shape, dims, keepdim);
  const out = wrap(x.backend, x.backend.reduce('sum', x, dims, keepdim, dtype), shape, dtype);
  record(sumDef, [x], out, [], { dims, keepdim });
  return out;
}

const meanDef = defineOp<ReduceAttrs & { n: number }>({
  name: 'mean',
  backward: (ctx, [g]) => [unreduce(g.div(ctx.attrs.n), ctx.inputs[0].shape, ctx.attrs.dims, ctx.attrs.keepdim)],
});

/** Mean over `dim` (all dims when omitted). Integer inputs give float32. */
export function mean(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  expectTensor('mean', 'input', x);
  const dims = reduceDims('mean', x, dim);
  const dtype: DType = isFloating(x.dtype) ? x.dtype : 'float32';
  const shape = reducedShape(x.shape, dims, keepdim);
  let n = 1;
  for (const d of dims) n *= x.shape[d];
  const src = isFloating(x.dtype) ? x : x.float();
  const out = wrap(x.backend, x.backend.reduce('mean', src, dims, keepdim, dtype), shape, dtype);
  record(meanDef, [src], out, [], { dims, keepdim, n });
  return out;
}

/** Throws when a reduction without identity (max, min, argmax, …) would reduce an empty dim. */
function checkNonEmpty(op: string, x: Tensor, dims: readonly number[]): void {
  for (const d of dims) {
    if (x.shape[d] === 0) {
      throw new StrataError(op, `cannot reduce over dimension ${d} of size 0 (input shape ${fmtShape(x.shape)}): ${op} of no elements is undefined; reduce over a non-empty dimension`);
    }
  }
}

/** x as a float tensor (integers and bools convert to float32, as mean does). */
function floatSource(x: Tensor): Tensor {
  return isFloating(x.dtype) ? x : x.float();
}

/** A reduced tensor (or gradient) reshaped to keep the reduced dims as size 1, ready to broadcast against the input. */
function keptDims(t: Tensor, shape: Shape, dims: readonly number[], keepdim: boolean): Tensor {
  return keepdim ? t : reshape(t, reducedShape(shape, dims, true));
}

// ---------------------------------------------------------------- prod

/**
 * d prod / d x_i is the product of the other elements. NOTE: y/x_i fails at zeros, so (as ATen's
 * prod_backward) slices are split by their number of zeros: none → Π(others)/x_i; exactly one → the
 * product of the non-zero elements at the zero, 0 elsewhere; two or more → 0 everywhere.
 */
const prodDef = defineOp<ReduceAttrs>({
  name: 'prod',
  backward: (ctx, [g]) => {
    const [x] = ctx.saved;
    const { dims, keepdim } = ctx.attrs;
    const gk = keptDims(g, x.shape, dims, keepdim);
    const isZero = eq(x, 0);
    const zeros = sum(isZero, dims, true);
    const safe = where(isZero, 1, x);
    const nonZeroProd = prodDims(safe, dims, true);
    const atZero = where(eq(zeros, 1), nonZeroProd, 0);
    const elsewhere = where(eq(zeros, 0), div(nonZeroProd, safe), 0);
    return [mul(gk, where(isZero, atZero, elsewhere))];
  },
});

function prodDims(x: Tensor, dims: number[] | null, keepdim: boolean): Tensor {
  const all = dims === null ? reduceDims('prod', x, null) : dims;
  const dtype: DType = isFloating(x.dtype) ? x.dtype : 'int64';
  const shape = reducedShape(x.shape, all, keepdim);
  const out = wrap(x.backend, x.backend.reduce('prod', x, all, keepdim, dtype), shape, dtype);
  record(prodDef, [x], out, [x], { dims: all, keepdim });
  return out;
}

/**
 * Product over one dim, or over all elements when `dim` is omitted or null. Integer and bool inputs
 * give int64. x [..., n, ...] → [..., ...] (size 1 kept with keepdim).
 */
export function prod(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  expectTensor('prod', 'input', x);
  if (dim === undefined || dim === null) return prodDims(x, null, keepdim);
  return prodDims(x, reduceDims('prod', x, dim), keepdim);
}

// ---------------------------------------------------------------- var, std

interface VarAttrs extends ReduceAttrs { n: number; correction: number }

/** 2(x − mean)/(N − correction) · g: the gradient of var, with g already broadcastable to x. */
function varGrad(g: Tensor, x: Tensor, a: VarAttrs): Tensor {
  const centered = sub(x, mean(x, a.dims, true));
  return mul(mul(g, centered), 2 / Math.max(0, a.n - a.correction));
}

const varDef = defineOp<VarAttrs>({
  name: 'var',
  backward: (ctx, [g]) => {
    const [x] = ctx.saved;
    return [varGrad(keptDims(g, x.shape, ctx.attrs.dims, ctx.attrs.keepdim), x, ctx.attrs)];
  },
});

/** std' = var'/(2·std). NOTE: where std is 0 the gradient is taken as 0 (not 0/0), as in PyTorch. */
const stdDef = defineOp<VarAttrs>({
  name: 'std',
  backward: (ctx, [g]) => {
    const [x, y] = ctx.saved;
    const { dims, keepdim } = ctx.attrs;
    const yk = keptDims(y, x.shape, dims, keepdim);
    const gv = where(eq(yk, 0), 0, div(keptDims(g, x.shape, dims, keepdim), mul(yk, 2)));
    return [varGrad(gv, x, ctx.attrs)];
  },
});

function varianceImpl(op: 'var' | 'std', x: Tensor, dim: Dims, opts: { correction?: number; keepdim?: boolean }): Tensor {
  expectTensor(op, 'input', x);
  if (opts === null || typeof opts !== 'object') throw new StrataError(op, `expected options { correction, keepdim }, got ${describe(opts)}`);
  const correction = expectInt(op, 'correction', opts.correction ?? 1, 0);
  const keepdim = opts.keepdim ?? false;
  const src = floatSource(x);
  const dims = reduceDims(op, src, dim);
  let n = 1;
  for (const d of dims) n *= src.shape[d];
  const shape = reducedShape(src.shape, dims, keepdim);
  const b = src.backend;
  const v = wrap(b, b.variance(src, dims, correction, keepdim), shape, src.dtype);
  const attrs: VarAttrs = { dims, keepdim, n, correction };
  if (op === 'var') {
    record(varDef, [src], v, [src], attrs);
    return v;
  }
  const out = wrap(b, b.unary('sqrt', v, src.dtype), shape, src.dtype);
  v.dispose();
  record(stdDef, [src], out, [src, out], attrs);
  return out;
}

/**
 * Variance over `dim` (all dims when omitted): Σ(x − mean)² / (N − correction); correction 1 (the
 * default) is Bessel's unbiased estimate, 0 the population variance. NOTE: N <= correction gives
 * NaN or inf, as in PyTorch. Integer inputs give float32.
 */
export function variance(x: Tensor, dim?: Dims, opts: { correction?: number; keepdim?: boolean } = {}): Tensor {
  return varianceImpl('var', x, dim, opts);
}

/** Standard deviation: sqrt(variance(x, dim, opts)). */
export function std(x: Tensor, dim?: Dims, opts: { correction?: number; keepdim?: boolean } = {}): Tensor {
  return varianceImpl('std', x, dim, opts);
}

// ---------------------------------------------------------------- amax, amin

/**
 * The gradient goes to the elements equal to the extremum, split evenly among ties (as PyTorch).
 * NOTE: a NaN extremum matches no element: g/0·0 makes the whole row's gradient NaN, as PyTorch.
 */
const extremumBackward = (ctx: { saved: readonly Tensor[]; attrs: ReduceAttrs }, [g]: Tensor[]) => {
  const [x, y] = ctx.saved;
  const { dims, keepdim } = ctx.attrs;
  const hit = eq(x, keptDims(y, x.shape, dims, keepdim));
  const count = sum(hit, dims, true);
  return [mul(div(keptDims(g, x.shape, dims, keepdim), count), hit)];
};
const amaxDef = defineOp<ReduceAttrs>({ name: 'amax', backward: extremumBackward });
const aminDef = defineOp<ReduceAttrs>({ name: 'amin', backward: extremumBackward });

function extremum(op: 'amax' | 'amin', x: Tensor, dim: Dims, keepdim: boolean): Tensor {
  expectTensor(op, 'input', x);
  const dims = reduceDims(op, x, dim);
  checkNonEmpty(op, x, dims);
  const shape = reducedShape(x.shape, dims, keepdim);
  const out = wrap(x.backend, x.backend.reduce(op, x, dims, keepdim, x.dtype), shape, x.dtype);
  record(op === 'amax' ? amaxDef : aminDef, [x], out, [x, out], { dims, keepdim });
  return out;
}

/** Maximum over `dim` (all dims when omitted); NaN propagates. Keeps x's dtype. */
export function amax(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return extremum('amax', x, dim, keepdim);
}

/** Minimum over `dim` (all dims when omitted); NaN propagates. Keeps x's dtype. */
export function amin(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return extremum('amin', x, dim, keepdim);
}

// ---------------------------------------------------------------- value-selecting ops: max/min along a dim, topk, sort

interface SelectAttrs { dim: number; keepdim: boolean }

const selectBackwardDef = defineOp<SelectAttrs>({
  name: 'valueSelectingBackward',
  backward: () => {
    throw new StrataError('backward', 'double backward through the gradient of max/min/topk/sort is not supported');
  },
});

/** Zeros of `shape` with g put at `indices` along dim (the gradient of a value-selecting op). */
function valueSelectingBackward(g: Tensor, dim: number, indices: Tensor, shape: Shape, keepdim: boolean): Tensor {
  const b = g.backend;
  const out = wrap(b, b.valueSelectingBackward(g, dim, indices, shape, keepdim), shape, g.dtype);
  record(selectBackwardDef, [g], out, [], { dim, keepdim });
  return out;
}

function selectDef(name: string) {
  return defineOp<SelectAttrs>({
    name,
    backward: (ctx, [g]) => [valueSelectingBackward(g, ctx.attrs.dim, ctx.saved[0], ctx.inputs[0].shape, ctx.attrs.keepdim)],
  });
}
const maxDimDef = selectDef('max');
const minDimDef = selectDef('min');
const topkDef = selectDef('topk');
const sortDef = selectDef('sort');

/** Runs a value-selecting op on a 0-d tensor as on a 1-element vector, returning 0-d results when `squeeze`. */
function onScalar(x: Tensor, f: (v: Tensor) => { values: Tensor; indices: Tensor }, squeeze: boolean): { values: Tensor; indices: Tensor } {
  const r = f(reshape(x, [1]));
  if (!squeeze) return r;
  return { values: reshape(r.values, []), indices: reshape(r.indices, []) };
}

function extremumDim(op: 'max' | 'min', x: Tensor, dim: number, keepdim: boolean): { values: Tensor; indices: Tensor } {
  expectTensor(op, 'input', x);
  const d = normDim(op, dim, x.ndim);
  if (x.ndim === 0) return onScalar(x, (v) => extremumDim(op, v, 0, false), true);
  checkNonEmpty(op, x, [d]);
  const shape = reducedShape(x.shape, [d], keepdim);
  const b = x.backend;
  const [vh, ih] = b.reduceWithIndex(op, x, d, keepdim);
  const values = wrap(b, vh, shape, x.dtype), indices = wrap(b, ih, shape, 'int64');
  record(op === 'max' ? maxDimDef : minDimDef, [x], [values, indices], [indices], { dim: d, keepdim });
  return { values, indices };
}

/**
 * Maximum along `dim` with its (int64) index: x [..., n, ...] → values and indices [..., ...].
 * Ties give the first index; a NaN wins (its first index). The gradient goes to the index.
 */
export function maxDim(x: Tensor, dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
  return extremumDim('max', x, dim, keepdim);
}

/** Minimum along `dim` with its (int64) index; see maxDim. */
export function minDim(x: Tensor, dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
  return extremumDim('min', x, dim, keepdim);
}

function argExtremum(op: 'argmax' | 'argmin', x: Tensor, dim: number | null | undefined, keepdim: boolean): Tensor {
  expectTensor(op, 'input', x);
  const kind = op === 'argmax' ? 'max' : 'min';
  const b = x.backend;
  const run = (t: Tensor, d: number, keep: boolean, shape: number[]): Tensor => {
    checkNonEmpty(op, t, [d]);
    const [vh, ih] = b.reduceWithIndex(kind, t, d, keep);
    b.free(vh);
    return wrap(b, ih, shape, 'int64');
  };
  if (dim === undefined || dim === null || x.ndim === 0) {
    if (dim !== undefined && dim !== null) normDim(op, dim, 0);
    if (x.numel === 0) checkNonEmpty(op, x, x.shape.map((_, i) => i));
    const flat = noGrad(() => reshape(x, [-1]));
    const out = run(flat, 0, false, []);
    flat.dispose();
    if (!keepdim || x.ndim === 0) return out;
    const kept = reshape(out, x.shape.map(() => 1));
    out.dispose();
    return kept;
  }
  const d = normDim(op, dim, x.ndim);
  return run(x, d, keepdim, reducedShape(x.shape, [d], keepdim));
}

/**
 * Index (int64) of the maximum along `dim`, or into the flattened tensor when `dim` is omitted or
 * null. Ties give the first index; NaN counts as the maximum.
 */
export function argmax(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  return argExtremum('argmax', x, dim, keepdim);
}

/** Index (int64) of the minimum along `dim` (or of the flattened tensor); see argmax. */
export function argmin(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  return argExtremum('argmin', x, dim, keepdim);
}

// ---------------------------------------------------------------- logsumexp, cumsum

const logsumexpDef = defineOp<ReduceAttrs>({
  name: 'logsumexp',
  backward: (ctx, [g]) => {
    const [x, y] = ctx.saved;
    const { dims, keepdim } = ctx.attrs;
    return [mul(keptDims(g, x.shape, dims, keepdim), exp(sub(x, keptDims(y, x.shape, dims, keepdim))))];
  },
});

/**
 * log Σ exp(x) over `dim` (one or several dims), computed stably by shifting by the maximum.
 * Integer inputs give float32. The gradient is g·softmax(x).
 */
export function logsumexp(x: Tensor, dim: number | readonly number[], keepdim = false): Tensor {
  x = toFloat32(x);
  expectTensor('logsumexp', 'input', x);
  if (dim === undefined || dim === null) throw new StrataError('logsumexp', 'expected dim (a dimension or a list of dimensions)');
  const src = floatSource(x);
  const dims = reduceDims('logsumexp', src, dim);
  const shape = reducedShape(src.shape, dims, keepdim);
  const out = wrap(src.backend, src.backend.logsumexp(src, dims, keepdim), shape, src.dtype);
  record(logsumexpDef, [src], out, [src, out], { dims, keepdim });
  return out;
}

const cumsumDef = defineOp<{ dim: number }>({
  name: 'cumsum',
  backward: (ctx, [g]) => {
    const d = ctx.attrs.dim;
    return [flip(cumsum(flip(g, [d]), d), [d])];
  },
});

/** Running sum along `dim` (same shape). Integer and bool inputs give int64. The gradient is a reversed cumsum. */
export function cumsum(x: Tensor, dim: number): Tensor {
  expectTensor('cumsum', 'input', x);
  const d = normDim('cumsum', dim, x.ndim);
  if (x.ndim === 0) return reshape(cumsum(reshape(x, [1]), 0), []);
  const dtype: DType = isFloating(x.dtype) ? x.dtype : 'int64';
  const out = wrap(x.backend, x.backend.cumsum(x, d, dtype), x.shape, dtype);
  record(cumsumDef, [x], out, [], { dim: d });
  return out;
}

// ---------------------------------------------------------------- all, any

function logical(op: 'all' | 'any', x: Tensor, dim: Dims, keepdim: boolean): Tensor {
  expectTensor(op, 'input', x);
  const dims = reduceDims(op, x, dim);
  const shape = reducedShape(x.shape, dims, keepdim);
  return wrap(x.backend, x.backend.reduce(op, x, dims, keepdim, 'bool'), shape, 'bool');
}

/** True where every element over `dim` (all dims when omitted) is non-zero; bool. Empty reductions give true. */
export function all(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return logical('all', x, dim, keepdim);
}

/** True where some element over `dim` (all dims when omitted) is non-zero; bool. Empty reductions give false. */
export function any(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return logical('any', x, dim, keepdim);
}

// ---------------------------------------------------------------- norm

interface NormAttrs extends ReduceAttrs { p: number }

/**
 * PyTorch's norm_backward. NOTE: at a zero norm the p >= 1 gradients are taken as 0 (a subgradient),
 * not 0/0; for p < 2, |x|^(p−1) at x = 0 is taken as 0 too. p = ±inf splits the gradient evenly
 * among the elements whose |x| equals the norm.
 */
const normDef = defineOp<NormAttrs>({
  name: 'norm',
  backward: (ctx, [g]) => {
    const [x, y] = ctx.saved;
    const { dims, keepdim, p } = ctx.attrs;
    const gk = keptDims(g, x.shape, dims, keepdim);
    const yk = keptDims(y, x.shape, dims, keepdim);
    if (p === 0) return [zerosLike(x)];
    if (p === 1) return [mul(sign(x), gk)];
    if (p === Infinity || p === -Infinity) {
      const hit = logicalOr(eq(abs(x), yk), isnan(x));
      const count = sum(hit, dims, true);
      return [mul(sign(x), where(hit, div(gk, count), 0))];
    }
    const zeroNorm = eq(yk, 0);
    if (p === 2) return [mul(x, where(zeroNorm, 0, div(gk, yk)))];
    const scaled = p < 2
      ? where(eq(x, 0), 0, mul(sign(x), pow(abs(x), p - 1)))
      : mul(x, pow(abs(x), p - 2));
    return [mul(scaled, where(zeroNorm, 0, div(gk, pow(yk, p - 1))))];
  },
});

/**
 * The vector p-norm over `dim` (all dims when omitted): (Σ|x|^p)^(1/p); p = 2 (default) is the
 * Euclidean norm, p = Infinity the largest |x|, −Infinity the smallest, 0 the number of non-zeros.
 * Integer inputs give float32. NOTE: the gradient at a zero norm is 0, as in PyTorch.
 */
export function norm(x: Tensor, p = 2, dim?: Dims, keepdim = false): Tensor {
  expectTensor('norm', 'input', x);
  if (typeof p !== 'number' || Number.isNaN(p)) throw new StrataError('norm', `expected p to be a number (1, 2, Infinity, …), got ${String(p)}`);
  const src = floatSource(x);
  const dims = reduceDims('norm', src, dim);
  if (p === Infinity || p === -Infinity) checkNonEmpty('norm', src, dims);
  const out = noGrad(() => {
    // Each step's input is disposed once used (src itself is kept).
    const step = (t: Tensor, f: (t: Tensor) => Tensor): Tensor => {
      const r = f(t);
      if (t !== src) t.dispose();
      return r;
    };
    if (p === 2) return step(step(mul(src, src), (t) => sum(t, dims, keepdim)), sqrt);
    if (p === 0) return step(step(ne(src, 0), (t) => sum(t, dims, keepdim)), (t) => t.to(src.dtype));
    const a = abs(src);
    if (p === 1) return step(a, (t) => sum(t, dims, keepdim));
    if (p === Infinity) return step(a, (t) => amax(t, dims, keepdim));
    if (p === -Infinity) return step(a, (t) => amin(t, dims, keepdim));
    return step(step(step(a, (t) => pow(t, p)), (t) => sum(t, dims, keepdim)), (t) => pow(t, 1 / p));
  });
  record(normDef, [src], out, [src, out], { dims, keepdim, p });
  return out;
}

// ---------------------------------------------------------------- topk, sort

/**
 * The k largest (or, with largest=false, smallest) elements along `dim` and their int64 indices:
 * x [..., n, ...] → [..., k, ...]. sorted=true orders them (largest first when largest); with
 * sorted=false the order is unspecified (it may differ between backends). NaN counts as larger than
 * every number. NOTE: which of several equal values is picked is unspecified too (native and js may
 * pick different indices). The gradient is scattered back to the indices.
 */
export function topk(x: Tensor, k: number, dim = -1, largest = true, sorted = true): { values: Tensor; indices: Tensor } {
  expectTensor('topk', 'input', x);
  const d = normDim('topk', dim, x.ndim);
  const n = x.ndim === 0 ? 1 : x.shape[d];
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k > n) {
    throw new StrataError('topk', `k = ${String(k)} is out of range for dimension ${d} of size ${n} (input shape ${fmtShape(x.shape)}); expected an integer 0 <= k <= ${n}`);
  }
  if (x.ndim === 0) return onScalar(x, (v) => topk(v, k, 0, largest, sorted), k === 1);
  if (x.dtype === 'bool') {
    // NOTE: ATen has no bool topk; ranking false < true as 0 < 1 gives the same selection.
    const asInt = x.long();
    const r = topk(asInt, k, d, largest, sorted);
    const values = r.values.to('bool');
    asInt.dispose();
    r.values.dispose();
    return { values, indices: r.indices };
  }
  const shape = x.shape.slice();
  shape[d] = k;
  const b = x.backend;
  const [vh, ih] = b.topk(x, k, d, largest, sorted);
  const values = wrap(b, vh, shape, x.dtype), indices = wrap(b, ih, shape, 'int64');
  record(topkDef, [x], [values, indices], [indices], { dim: d, keepdim: true });
  return { values, indices };
}

/**
 * Sorts along `dim` (ascending unless `descending`): values and the int64 indices they came from.
 * Stable: equal values keep their order. NaN sorts as larger than every number.
 */
export function sort(x: Tensor, dim = -1, descending = false): { values: Tensor; indices: Tensor } {
  expectTensor('sort', 'input', x);
  const d = normDim('sort', dim, x.ndim);
  if (x.ndim === 0) return onScalar(x, (v) => sort(v, 0, descending), true);
  const b = x.backend;
  const [vh, ih] = b.sort(x, d, descending);
  const values = wrap(b, vh, x.shape, x.dtype), indices = wrap(b, ih, x.shape, 'int64');
  record(sortDef, [x], [values, indices], [indices], { dim: d, keepdim: true });
  return { values, indices };
}
