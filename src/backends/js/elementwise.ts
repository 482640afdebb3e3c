// js kernels: unary and binary elementwise ops, where, clamp, activations and their gradients, in-place updates.
import type { ActivationOp, BinaryOp, UnaryOp } from '../backend.js';
import type { DType } from '../../tensor/dtype.js';
import type { Shape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { map, scalarOperand, type Operand } from './iter.js';
import { H, alloc, broadcastStrides, inexactInt64, release, type JsHandle } from './storage.js';

const UNARY: Record<UnaryOp, string> = {
  neg: '-a', exp: 'Math.exp(a)', log: 'Math.log(a)', sqrt: 'Math.sqrt(a)', rsqrt: '1 / Math.sqrt(a)',
  abs: 'Math.abs(a)', sign: 'F.sign(a)', tanh: 'Math.tanh(a)', sigmoid: 'F.sigmoid(a)',
  // NOTE: written so that NaN propagates (NaN <= 0 is false), as in PyTorch.
  relu: '(a <= 0 ? 0 : a)',
  gelu: 'F.gelu(a)', geluTanh: 'F.geluTanh(a)', silu: 'F.silu(a)', sin: 'Math.sin(a)', cos: 'Math.cos(a)',
  floor: 'Math.floor(a)', ceil: 'Math.ceil(a)', round: 'F.roundHalfEven(a)', trunc: 'Math.trunc(a)',
  reciprocal: '1 / a', log1p: 'Math.log1p(a)', expm1: 'Math.expm1(a)', erf: 'F.erf(a)', square: 'a * a',
  logicalNot: '(a === 0 ? 1 : 0)', isnan: '(a !== a ? 1 : 0)', isinf: '(a === Infinity || a === -Infinity ? 1 : 0)',
};

const BINARY: Record<BinaryOp, string> = {
  add: 'a + b', sub: 'a - b', mul: 'a * b', div: 'a / b', pow: 'Math.pow(a, b)',
  maximum: '(a !== a || a > b ? a : b)', minimum: '(a !== a || a < b ? a : b)',
  remainder: 'F.remainder(a, b)', floorDivide: 'Math.floor(a / b)', atan2: 'Math.atan2(a, b)',
  eq: '(a === b ? 1 : 0)', ne: '(a !== b ? 1 : 0)', lt: '(a < b ? 1 : 0)', le: '(a <= b ? 1 : 0)',
  gt: '(a > b ? 1 : 0)', ge: '(a >= b ? 1 : 0)',
  logicalAnd: '(a !== 0 && b !== 0 ? 1 : 0)', logicalOr: '(a !== 0 || b !== 0 ? 1 : 0)',
  logicalXor: '((a !== 0) !== (b !== 0) ? 1 : 0)',
};

/** An operand reading t broadcast to `shape`. */
export function operand(t: Tensor, shape: Shape): Operand {
  const h = H(t);
  return { data: h.data, offset: h.offset, strides: broadcastStrides(t, shape) };
}
function operandOrScalar(v: Tensor | number, shape: Shape): Operand {
  return typeof v === 'number' ? scalarOperand(v, shape.length) : operand(v, shape);
}
/** An operand writing into handle h (its own strides). */
export function target(h: JsHandle): Operand {
  return { data: h.data, offset: h.offset, strides: h.strides };
}

/** The expression converting a value to dtype `to` on store (typed arrays already round and wrap). */
export function castExpr(expr: string, to: DType): string {
  if (to === 'bool') return `((${expr}) !== 0 ? 1 : 0)`;
  if (to === 'int64') return `Math.trunc(${expr})`;
  return expr;
}

export function unary(op: UnaryOp, x: Tensor, outDtype: DType): JsHandle {
  const out = alloc(outDtype, x.shape);
  map(castExpr(UNARY[op], outDtype), x.shape, target(out), operand(x, x.shape));
  return out;
}

export function binary(op: BinaryOp, a: Tensor | number, b: Tensor | number, shape: Shape, outDtype: DType): JsHandle {
  const out = alloc(outDtype, shape);
  let expr = BINARY[op];
  if (op === 'mul' && outDtype === 'int32') expr = 'Math.imul(a, b)';
  if ((op === 'div' || op === 'floorDivide') && (outDtype === 'int32' || outDtype === 'int64')) expr = `Math.floor(a / b)`;
  map(castExpr(expr, outDtype), shape, target(out), operandOrScalar(a, shape), operandOrScalar(b, shape));
  if (outDtype === 'int64') checkExactInt64(op, out);
  return out;
}

/**
 * NOTE: int64 arithmetic on js runs in float64, exact below 2^53; a result there or beyond may have been
 * rounded ((2^53 − 1) + 2 gives 2^53), so it throws instead. int64 results are rare and small (indices), so one pass is cheap.
 */
function checkExactInt64(op: string, h: JsHandle): void {
  const d = h.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v >= 9007199254740992 || v <= -9007199254740992) {
      release(h);
      throw inexactInt64(op, v);
    }
  }
}

export function where(cond: Tensor, a: Tensor | number, b: Tensor | number, shape: Shape, outDtype: DType): JsHandle {
  const out = alloc(outDtype, shape);
  map(castExpr('(a !== 0 ? b : c)', outDtype), shape, target(out), operand(cond, shape), operandOrScalar(a, shape), operandOrScalar(b, shape));
  return out;
}

function pointwise(x: Tensor, expr: string, p0 = 0, p1 = 0): JsHandle {
  const out = alloc(x.dtype, x.shape);
  map(castExpr(expr, x.dtype), x.shape, target(out), operand(x, x.shape), null, null, p0, p1);
  return out;
}

export function clamp(x: Tensor, min: number | null, max: number | null): JsHandle {
  // NOTE: min > max gives max everywhere, as torch.clamp (min is applied first, then max).
  if (min !== null && max !== null) return pointwise(x, '(a < p0 ? (p0 > p1 ? p1 : p0) : a > p1 ? p1 : a)', min, max);
  if (min !== null) return pointwise(x, '(a < p0 ? p0 : a)', min);
  return pointwise(x, '(a > p1 ? p1 : a)', 0, max!);
}
export function leakyRelu(x: Tensor, slope: number): JsHandle {
  return pointwise(x, '(a > 0 ? a : a * p0)', slope);
}
export function elu(x: Tensor, alpha: number): JsHandle {
  return pointwise(x, '(a > 0 ? a : p0 * Math.expm1(a))', alpha);
}
export function softplus(x: Tensor, beta: number, threshold: number): JsHandle {
  return pointwise(x, 'F.softplus(a, p0, p1)', beta, threshold);
}

const ACT_GRAD: Record<ActivationOp, string> = {
  relu: '(b > 0 ? a : 0)',
  tanh: 'a * (1 - b * b)',
  sigmoid: 'a * b * (1 - b)',
  gelu: 'a * F.geluGrad(b)',
  geluTanh: 'a * F.geluTanhGrad(b)',
  silu: 'a * F.siluGrad(b)',
};

function gradKernel(g: Tensor, x: Tensor, expr: string, p0 = 0, p1 = 0): JsHandle {
  const out = alloc(g.dtype, g.shape);
  map(expr, g.shape, target(out), operand(g, g.shape), operand(x, g.shape), null, p0, p1);
  return out;
}
export function activationBackward(op: ActivationOp, g: Tensor, saved: Tensor): JsHandle {
  return gradKernel(g, saved, ACT_GRAD[op]);
}
export function leakyReluBackward(g: Tensor, x: Tensor, slope: number): JsHandle {
  return gradKernel(g, x, '(b > 0 ? a : a * p0)', slope);
}
export function eluBackward(g: Tensor, x: Tensor, alpha: number): JsHandle {
  return gradKernel(g, x, '(b > 0 ? a : a * p0 * Math.exp(b))', alpha);
}
export function softplusBackward(g: Tensor, x: Tensor, beta: number, threshold: number): JsHandle {
  return gradKernel(g, x, 'a * F.softplusGrad(b, p0, p1)', beta, threshold);
}

// ---- conversion and in-place updates

export function cast(x: Tensor, dtype: DType): JsHandle {
  const out = alloc(dtype, x.shape);
  map(castExpr('a', dtype), x.shape, target(out), operand(x, x.shape));
  return out;
}

export function copy_(dst: Tensor, src: Tensor): void {
  map(castExpr('a', dst.dtype), dst.shape, target(H(dst)), operand(src, dst.shape));
}
export function fill_(dst: Tensor, value: number): void {
  map(castExpr('p0', dst.dtype), dst.shape, target(H(dst)), scalarOperand(0, dst.ndim), null, null, value);
}
export function add_(dst: Tensor, src: Tensor | number, alpha: number): void {
  const self = target(H(dst));
  map(castExpr('a + b * p0', dst.dtype), dst.shape, self, { ...self }, operandOrScalar(src, dst.shape), null, alpha);
}
export function mul_(dst: Tensor, s: Tensor | number): void {
  const self = target(H(dst));
  map(castExpr('a * b', dst.dtype), dst.shape, self, { ...self }, operandOrScalar(s, dst.shape));
}

