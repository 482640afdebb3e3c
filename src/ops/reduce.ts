// Reductions over any dimensions (sum, mean, var, max/min, argmax, logsumexp, …), sorting and top-k.
import { defineOp, record } from '../autograd/graph.js';
import { isFloating, type DType } from '../tensor/dtype.js';
import { StrataError } from '../tensor/errors.js';
import { normDims, reducedShape, shapesEqual, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { expand, reshape } from './shape.js';
import { expectTensor, wrap } from './util.js';

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

function reduceDims(op: string, x: Tensor, dim: Dims): number[] {
  return x.ndim === 0 ? [] : normDims(op, dim, x.ndim);
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

function todo(name: string): never {
  throw new StrataError(name, 'not implemented yet');
}

export function prod(x: Tensor, dim?: number | null, keepdim = false): Tensor { return todo('prod'); }
export function variance(x: Tensor, dim?: Dims, opts: { correction?: number; keepdim?: boolean } = {}): Tensor { return todo('var'); }
export function std(x: Tensor, dim?: Dims, opts: { correction?: number; keepdim?: boolean } = {}): Tensor { return todo('std'); }
export function amax(x: Tensor, dim?: Dims, keepdim = false): Tensor { return todo('amax'); }
export function amin(x: Tensor, dim?: Dims, keepdim = false): Tensor { return todo('amin'); }
export function maxDim(x: Tensor, dim: number, keepdim = false): { values: Tensor; indices: Tensor } { return todo('max'); }
export function minDim(x: Tensor, dim: number, keepdim = false): { values: Tensor; indices: Tensor } { return todo('min'); }
export function argmax(x: Tensor, dim?: number | null, keepdim = false): Tensor { return todo('argmax'); }
export function argmin(x: Tensor, dim?: number | null, keepdim = false): Tensor { return todo('argmin'); }
export function logsumexp(x: Tensor, dim: number | readonly number[], keepdim = false): Tensor { return todo('logsumexp'); }
export function cumsum(x: Tensor, dim: number): Tensor { return todo('cumsum'); }
export function all(x: Tensor, dim?: Dims, keepdim = false): Tensor { return todo('all'); }
export function any(x: Tensor, dim?: Dims, keepdim = false): Tensor { return todo('any'); }
export function norm(x: Tensor, p = 2, dim?: Dims, keepdim = false): Tensor { return todo('norm'); }
export function topk(x: Tensor, k: number, dim = -1, largest = true, sorted = true): { values: Tensor; indices: Tensor } { return todo('topk'); }
export function sort(x: Tensor, dim = -1, descending = false): { values: Tensor; indices: Tensor } { return todo('sort'); }
