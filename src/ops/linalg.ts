// Matrix products: matmul (batched, broadcast, 1-D promotion as in PyTorch), mm, bmm, linear.
import { toAutocast } from './autocast.js';
import { defineOp, record } from '../autograd/graph.js';
import { promoteTypes } from '../tensor/dtype.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { broadcastShapes, numel } from '../tensor/shape.js';
import { reportMacs } from './observe.js';
import type { Tensor } from '../tensor/tensor.js';
import { sumToShape } from './reduce.js';
import { reshape, transpose, unsqueeze } from './shape.js';
import { sum } from './reduce.js';
import { backendOf, expectFloat, expectTensor, wrap } from './util.js';

/** Output shape of matmul(a, b), or a StrataError naming both shapes. */
export function matmulShape(a: readonly number[], b: readonly number[]): number[] {
  const op = 'matmul';
  if (a.length === 0 || b.length === 0) throw new StrataError(op, `both arguments need at least 1 dimension, got shapes ${fmtShape(a)} and ${fmtShape(b)}`);
  const k1 = a[a.length - 1];
  const k2 = b.length === 1 ? b[0] : b[b.length - 2];
  if (k1 !== k2) throw new StrataError(op, `shapes ${fmtShape(a)} and ${fmtShape(b)} do not align (${k1} vs ${k2})`);
  if (a.length === 1 && b.length === 1) return [];
  if (a.length === 1) return [...b.slice(0, -2), b[b.length - 1]];
  if (b.length === 1) return a.slice(0, -1);
  let batch: number[];
  try {
    batch = broadcastShapes(op, a.slice(0, -2), b.slice(0, -2));
  } catch {
    throw new StrataError(op, `batch dimensions of ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast`);
  }
  return [...batch, a[a.length - 2], b[b.length - 1]];
}

const matmulDef = defineOp({
  name: 'matmul',
  backward: (ctx, [g]) => {
    const [a, b] = ctx.saved;
    // Promote 1-D operands to matrices so one formula covers every case, then undo.
    const A = a.ndim === 1 ? unsqueeze(a, 0) : a;
    const B = b.ndim === 1 ? unsqueeze(b, -1) : b;
    let G = g;
    if (a.ndim === 1 && b.ndim === 1) G = reshape(g, [1, 1]);
    else if (a.ndim === 1) G = unsqueeze(g, -2);
    else if (b.ndim === 1) G = unsqueeze(g, -1);
    const ga = ctx.needs(0) ? sumToShape(matmul(G, transpose(B, -1, -2)), A.shape) : null;
    const gb = ctx.needs(1) ? sumToShape(matmul(transpose(A, -1, -2), G), B.shape) : null;
    return [ga && (a.ndim === 1 ? reshape(ga, a.shape) : ga), gb && (b.ndim === 1 ? reshape(gb, b.shape) : gb)];
  },
});

/**
 * Matrix product with PyTorch's rules: 1-D operands are promoted (and the added dim removed),
 * batch dims broadcast. a: [..., n, k], b: [..., k, m] → [..., n, m].
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  expectTensor('matmul', 'input', a);
  expectTensor('matmul', 'other', b);
  a = toAutocast(a);
  b = toAutocast(b);
  const backend = backendOf('matmul', a, b);
  expectFloat('matmul', a, 'input');
  expectFloat('matmul', b, 'other');
  if (a.dtype !== b.dtype) throw new StrataError('matmul', `dtypes differ (${a.dtype} and ${b.dtype}); convert one with .to('${promoteTypes(a.dtype, b.dtype)}')`);
  const shape = matmulShape(a.shape, b.shape);
  const out = wrap(backend, backend.matmul(a, b, shape), shape, a.dtype);
  reportMacs('matmul', numel(shape) * a.shape[a.ndim - 1]);
  record(matmulDef, [a, b], out, [a, b], undefined);
  return out;
}

/** Product of two matrices [n, k]·[k, m]. */
export function mm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 2 || b.ndim !== 2) throw new StrataError('mm', `expects 2-D tensors, got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  return matmul(a, b);
}

/** Batched product [B, n, k]·[B, k, m]. */
export function bmm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 3 || b.ndim !== 3 || a.shape[0] !== b.shape[0]) {
    throw new StrataError('bmm', `expects 3-D tensors with equal batch sizes, got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  return matmul(a, b);
}

const linearDef = defineOp<{ hasBias: boolean }>({
  name: 'linear',
  backward: (ctx, [g]) => {
    const [x, w] = ctx.saved;
    const gx = ctx.needs(0) ? matmul(g, w) : null;
    const g2 = reshape(g, [-1, w.shape[0]]), x2 = reshape(x, [-1, w.shape[1]]);
    const gw = ctx.needs(1) ? matmul(transpose(g2, 0, 1), x2) : null;
    const gb = ctx.attrs.hasBias && ctx.needs(2) ? sum(g2, 0) : null;
    return [gx, gw, gb];
  },
});

/**
 * y = x·wᵀ + b, the fully connected layer.
 * x: [..., in], w: [out, in], b: [out] → [..., out].
 */
export function linear(x: Tensor, w: Tensor, b?: Tensor | null): Tensor {
  const op = 'linear';
  expectTensor(op, 'input', x);
  expectTensor(op, 'weight', w);
  const backend = backendOf(op, x, w, b ?? null);
  x = toAutocast(x);
  w = toAutocast(w);
  b = toAutocast(b ?? null);
  expectFloat(op, x);
  if (w.ndim !== 2) throw new StrataError(op, `weight must be 2-D [out, in], got ${fmtShape(w.shape)}`);
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== w.shape[1]) {
    throw new StrataError(op, `input of shape ${fmtShape(x.shape)} does not match weight of shape ${fmtShape(w.shape)} (${x.shape[x.ndim - 1]} vs ${w.shape[1]} input features)`);
  }
  if (b && (b.ndim !== 1 || b.shape[0] !== w.shape[0])) throw new StrataError(op, `bias must have shape [${w.shape[0]}], got ${fmtShape(b.shape)}`);
  if (x.dtype !== w.dtype || (b && b.dtype !== x.dtype)) throw new StrataError(op, `input, weight and bias must share a dtype, got ${x.dtype}, ${w.dtype}${b ? ', ' + b.dtype : ''}`);
  const shape = [...x.shape.slice(0, -1), w.shape[0]];
  const out = wrap(backend, backend.linear(x, w, b ?? null, shape), shape, x.dtype);
  reportMacs('linear', numel(shape) * w.shape[1]);
  record(linearDef, b ? [x, w, b] : [x, w], out, [x, w], { hasBias: !!b });
  return out;
}

/** Dot product of two 1-D tensors. */
export function dot(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1) throw new StrataError('dot', `expects 1-D tensors, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  return matmul(a, b);
}

/** Outer product of two 1-D tensors. */
export function outer(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1) throw new StrataError('outer', `expects 1-D tensors, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  return matmul(unsqueeze(a, 1), unsqueeze(b, 0));
}

