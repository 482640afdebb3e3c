// Elementwise arithmetic, math functions, comparisons, where/maskedFill and clamp, with their backward rules.
import type { BinaryOp, UnaryOp } from '../backends/backend.js';
import { defineOp, record, type BackwardCtx, type OpDef } from '../autograd/graph.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import type { Backend } from '../backends/backend.js';
import { isFloating, promoteTypes, promoteWithScalar, type DType } from '../tensor/dtype.js';
import { StrataError } from '../tensor/errors.js';
import { broadcastShapes, shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { sumToShape } from './reduce.js';
import { fullLike, zerosLike } from './creation.js';
import { backendOf, describe, wrap } from './util.js';

type TS = Tensor | number;

// ---------------------------------------------------------------- binary

interface BinAttrs { a: number | null; b: number | null }
type Kind = 'arith' | 'div' | 'compare' | 'logical';

/** The operands as the forward saw them: a saved tensor, or the scalar. */
function operands(ctx: BackwardCtx<BinAttrs>): [TS, TS] {
  let k = 0;
  const a = ctx.attrs.a ?? ctx.saved[k++];
  const b = ctx.attrs.b ?? ctx.saved[k++];
  return [a, b];
}

function resultDtype(op: string, kind: Kind, a: TS, b: TS): DType {
  let common: DType;
  if (a instanceof Tensor) common = b instanceof Tensor ? promoteTensors(a, b) : promoteWithScalar(a.dtype, b as number);
  else common = promoteWithScalar((b as Tensor).dtype, a as number);
  if (kind === 'compare' || kind === 'logical') return 'bool';
  if (kind === 'div' && !isFloating(common)) return 'float32';
  if (common === 'bool' && kind === 'arith') {
    throw new StrataError(op, 'arithmetic on two bool tensors is not supported; convert one with .long() or .float()');
  }
  return common;
}

/**
 * PyTorch's promotion of two tensors: a 0-d tensor against a tensor with dimensions counts only when
 * its category (bool < integer < floating) is higher (float32[3] + float64 0-d is float32, int32[3]
 * + float64 0-d is float64).
 */
function promoteTensors(a: Tensor, b: Tensor): DType {
  const da = a.dtype, db = b.dtype;
  if (da === db) return da;
  const za = a.shape.length === 0, zb = b.shape.length === 0;
  if (za === zb) return promoteTypes(da, db);
  const [dim, zero] = za ? [db, da] : [da, db];
  return CATEGORY[zero] > CATEGORY[dim] ? zero : dim;
}
const CATEGORY: Record<DType, number> = { bool: 0, int32: 1, int64: 1, float32: 2, float64: 2, bfloat16: 2, float16: 2 };

function checkOperand(op: string, name: string, v: unknown): void {
  if (v instanceof Tensor) return;
  if (typeof v === 'number') return;
  if (typeof v === 'boolean') return;
  throw new StrataError(op, `expected ${name} to be a Tensor or a number, got ${describe(v)}`);
}

/** Runs a broadcasting binary kernel and records autograd (saving operands when `save`). */
function binary(op: BinaryOp, name: string, kind: Kind, a: TS, b: TS, def: OpDef<BinAttrs> | null, save: boolean): Tensor {
  // NOTE: this is the hottest path in the library (every small op); it avoids allocations it can.
  const aT = a instanceof Tensor, bT = b instanceof Tensor;
  if (!aT) a = scalarOperand(name, 'input', a);
  if (!bT) b = scalarOperand(name, 'other', b);
  let backend: Backend;
  if (aT) {
    const ta = a as Tensor;
    ta.checkAlive(name);
    backend = ta.backend;
    if (bT) {
      (b as Tensor).checkAlive(name);
      if ((b as Tensor).backend !== backend) backendOf(name, a, b);
    }
  } else if (bT) {
    (b as Tensor).checkAlive(name);
    backend = (b as Tensor).backend;
  } else throw new StrataError(name, 'at least one operand must be a Tensor');
  const sa = aT ? (a as Tensor).shape : SCALAR_SHAPE, sb = bT ? (b as Tensor).shape : SCALAR_SHAPE;
  const shape = !bT ? sa : !aT ? sb : shapesEqual(sa, sb) ? sa : broadcastShapes(name, sa, sb);
  const dtype = resultDtype(name, kind, a, b);
  const out = wrap(backend, backend.binary(op, a, b, shape, dtype), shape, dtype);
  if (def && isGradEnabled() && ((aT && (a as Tensor).requiresGrad) || (bT && (b as Tensor).requiresGrad))) {
    const saved: Tensor[] = [];
    if (save) {
      if (aT) saved.push(a as Tensor);
      if (bT) saved.push(b as Tensor);
    }
    record(def, [a, b], out, saved, { a: aT ? null : (a as number), b: bT ? null : (b as number) });
  }
  return out;
}

const SCALAR_SHAPE: readonly number[] = [];

function scalarOperand(op: string, name: string, v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new StrataError(op, `expected ${name} to be a Tensor or a number, got ${describe(v)}`);
}

/** Reduces a broadcast gradient back to an operand's shape (null when the operand is a scalar). */
function toOperand(g: Tensor | null, ctx: BackwardCtx<BinAttrs>, i: number): Tensor | null {
  if (!g || !ctx.needs(i)) return null;
  return sumToShape(g, ctx.inputs[i].shape);
}

const addDef = defineOp<BinAttrs>({
  name: 'add',
  backward: (ctx, [g]) => [toOperand(g, ctx, 0), toOperand(g, ctx, 1)],
});
const subDef = defineOp<BinAttrs>({
  name: 'sub',
  backward: (ctx, [g]) => [toOperand(g, ctx, 0), ctx.needs(1) ? toOperand(neg(g), ctx, 1) : null],
});
const mulDef = defineOp<BinAttrs>({
  name: 'mul',
  backward: (ctx, [g]) => {
    const [a, b] = operands(ctx);
    return [ctx.needs(0) ? toOperand(mul(g, b), ctx, 0) : null, ctx.needs(1) ? toOperand(mul(g, a), ctx, 1) : null];
  },
});
const divDef = defineOp<BinAttrs>({
  name: 'div',
  backward: (ctx, [g]) => {
    const [a, b] = operands(ctx);
    const ga = ctx.needs(0) ? toOperand(div(g, b), ctx, 0) : null;
    // d(a/b)/db = -a/b²
    const gb = ctx.needs(1) ? toOperand(neg(div(mul(g, a), mul(b, b))), ctx, 1) : null;
    return [ga, gb];
  },
});
const powDef = defineOp<BinAttrs>({
  name: 'pow',
  backward: (ctx, [g]) => {
    const [a, b] = operands(ctx);
    let ga: Tensor | null = null, gb: Tensor | null = null;
    if (ctx.needs(0)) {
      // NOTE: b·a^(b-1) is 0 where b == 0 (even at a == 0, where a^-1 is inf), as in PyTorch.
      const d = typeof b === 'number'
        ? (b === 0 ? zerosLike(g) : mul(pow(a, b - 1), b))
        : where(eq(b, 0), 0, mul(pow(a, sub(b, 1)), b));
      ga = toOperand(mul(g, d), ctx, 0);
    }
    if (ctx.needs(1)) {
      // d(a^b)/db = a^b·ln a, defined as 0 where a == 0 and b >= 0
      const lnA = typeof a === 'number' ? Math.log(a) : log(a);
      const d = mul(pow(a, b), lnA);
      // NOTE: at a == 0 and b < 0 it is inf·ln 0 = −inf, also for a number base (PyTorch's pow(0, x)).
      const masked = typeof a === 'number' ? (a === 0 ? where(ge(b, 0), 0, d) : d) : where(logicalAnd(eq(a, 0), ge(b, 0)), 0, d);
      gb = toOperand(mul(g, masked), ctx, 1);
    }
    return [ga, gb];
  },
});
/**
 * maximum/minimum: the gradient goes to the selected operand, split evenly on ties (as PyTorch).
 * NOTE: an operand loses its gradient only where it compares strictly worse, so at a NaN (no
 * comparison holds) both operands get the full gradient, as in PyTorch.
 */
function extremumBackward(loses: (x: TS, y: TS) => Tensor) {
  return (ctx: BackwardCtx<BinAttrs>, [g]: Tensor[]) => {
    const [a, b] = operands(ctx);
    const split = where(eq(a, b), mul(g, 0.5), g);
    const ga = ctx.needs(0) ? toOperand(where(loses(a, b), 0, split), ctx, 0) : null;
    const gb = ctx.needs(1) ? toOperand(where(loses(b, a), 0, split), ctx, 1) : null;
    return [ga, gb];
  };
}
const maximumDef = defineOp<BinAttrs>({ name: 'maximum', backward: extremumBackward((x, y) => lt(x, y)) });
const minimumDef = defineOp<BinAttrs>({ name: 'minimum', backward: extremumBackward((x, y) => gt(x, y)) });
const remainderDef = defineOp<BinAttrs>({
  name: 'remainder',
  backward: (ctx, [g]) => {
    const [a, b] = operands(ctx);
    return [toOperand(g, ctx, 0), ctx.needs(1) ? toOperand(neg(mul(g, floorDivide(a, b))), ctx, 1) : null];
  },
});
const atan2Def = defineOp<BinAttrs>({
  name: 'atan2',
  backward: (ctx, [g]) => {
    const [a, b] = operands(ctx);
    const r = add(mul(a, a), mul(b, b));
    return [
      ctx.needs(0) ? toOperand(div(mul(g, b), r), ctx, 0) : null,
      ctx.needs(1) ? toOperand(neg(div(mul(g, a), r)), ctx, 1) : null,
    ];
  },
});

/** a + alpha·b (broadcasting). */
export function add(a: TS, b: TS, alpha = 1): Tensor {
  return binary('add', 'add', 'arith', a, alpha === 1 ? b : mul(b, alpha), addDef, false);
}
/** a − alpha·b. */
export function sub(a: TS, b: TS, alpha = 1): Tensor {
  return binary('sub', 'sub', 'arith', a, alpha === 1 ? b : mul(b, alpha), subDef, false);
}
export function mul(a: TS, b: TS): Tensor {
  return binary('mul', 'mul', 'arith', a, b, mulDef, true);
}
/** True division: integer operands give float32. */
export function div(a: TS, b: TS): Tensor {
  return binary('div', 'div', 'div', a, b, divDef, true);
}
export function pow(a: TS, b: TS): Tensor {
  return binary('pow', 'pow', 'arith', a, b, powDef, true);
}
export function maximum(a: TS, b: TS): Tensor {
  return binary('maximum', 'maximum', 'arith', a, b, maximumDef, true);
}
export function minimum(a: TS, b: TS): Tensor {
  return binary('minimum', 'minimum', 'arith', a, b, minimumDef, true);
}
/** Python-style modulus: the result has the sign of the divisor. */
export function remainder(a: TS, b: TS): Tensor {
  return binary('remainder', 'remainder', 'arith', a, b, remainderDef, true);
}
export function floorDivide(a: TS, b: TS): Tensor {
  return binary('floorDivide', 'floorDivide', 'arith', a, b, null, false);
}
export function atan2(a: TS, b: TS): Tensor {
  return binary('atan2', 'atan2', 'div', a, b, atan2Def, true);
}
export function eq(a: TS, b: TS): Tensor { return binary('eq', 'eq', 'compare', a, b, null, false); }
export function ne(a: TS, b: TS): Tensor { return binary('ne', 'ne', 'compare', a, b, null, false); }
export function lt(a: TS, b: TS): Tensor { return binary('lt', 'lt', 'compare', a, b, null, false); }
export function le(a: TS, b: TS): Tensor { return binary('le', 'le', 'compare', a, b, null, false); }
export function gt(a: TS, b: TS): Tensor { return binary('gt', 'gt', 'compare', a, b, null, false); }
export function ge(a: TS, b: TS): Tensor { return binary('ge', 'ge', 'compare', a, b, null, false); }
export function logicalAnd(a: TS, b: TS): Tensor { return binary('logicalAnd', 'logicalAnd', 'logical', a, b, null, false); }
export function logicalOr(a: TS, b: TS): Tensor { return binary('logicalOr', 'logicalOr', 'logical', a, b, null, false); }
export function logicalXor(a: TS, b: TS): Tensor { return binary('logicalXor', 'logicalXor', 'logical', a, b, null, false); }

// ---------------------------------------------------------------- unary

type UnaryRule = (g: Tensor, x: Tensor, y: Tensor) => Tensor;
/** What each unary op's backward reads: the input x, the output y, or nothing. */
const UNARY: Partial<Record<UnaryOp, { save: 'x' | 'y' | 'none'; rule: UnaryRule | null; float?: boolean }>> = {
  neg: { save: 'none', rule: (g) => neg(g) },
  exp: { save: 'y', rule: (g, _x, y) => mul(g, y), float: true },
  log: { save: 'x', rule: (g, x) => div(g, x), float: true },
  log1p: { save: 'x', rule: (g, x) => div(g, add(x, 1)), float: true },
  expm1: { save: 'y', rule: (g, _x, y) => mul(g, add(y, 1)), float: true },
  sqrt: { save: 'y', rule: (g, _x, y) => div(g, mul(y, 2)), float: true },
  rsqrt: { save: 'y', rule: (g, _x, y) => mul(g, mul(pow(y, 3), -0.5)), float: true },
  abs: { save: 'x', rule: (g, x) => mul(g, sign(x)) },
  sign: { save: 'none', rule: null },
  sin: { save: 'x', rule: (g, x) => mul(g, cos(x)), float: true },
  cos: { save: 'x', rule: (g, x) => neg(mul(g, sin(x))), float: true },
  // d erf(x)/dx = 2/√π · exp(−x²)
  erf: { save: 'x', rule: (g, x) => mul(g, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))), float: true },
  reciprocal: { save: 'y', rule: (g, _x, y) => neg(mul(g, mul(y, y))), float: true },
  square: { save: 'x', rule: (g, x) => mul(g, mul(x, 2)) },
  // NOTE: floor/ceil/round/trunc are flat almost everywhere: their gradient is zero, as in PyTorch.
  floor: { save: 'none', rule: null },
  ceil: { save: 'none', rule: null },
  round: { save: 'none', rule: null },
  trunc: { save: 'none', rule: null },
  tanh: { save: 'y', rule: (g, _x, y) => activationBackward('tanh', g, y), float: true },
  sigmoid: { save: 'y', rule: (g, _x, y) => activationBackward('sigmoid', g, y), float: true },
  // NOTE: relu'(0) is taken as 0 (the subgradient PyTorch uses).
  relu: { save: 'x', rule: (g, x) => activationBackward('relu', g, x) },
  gelu: { save: 'x', rule: (g, x) => activationBackward('gelu', g, x), float: true },
  geluTanh: { save: 'x', rule: (g, x) => activationBackward('geluTanh', g, x), float: true },
  silu: { save: 'x', rule: (g, x) => activationBackward('silu', g, x), float: true },
};

const unaryDefs = new Map<UnaryOp, ReturnType<typeof defineOp<{ op: UnaryOp }>>>();
function unaryDef(op: UnaryOp) {
  let d = unaryDefs.get(op);
  if (!d) {
    const spec = UNARY[op]!;
    d = defineOp<{ op: UnaryOp }>({
      name: op,
      backward: (ctx, [g]) => {
        if (!spec.rule) return [zerosLike(g)];
        const x = spec.save === 'x' ? ctx.saved[0] : (null as unknown as Tensor);
        const y = spec.save === 'y' ? ctx.saved[0] : (null as unknown as Tensor);
        return [spec.rule(g, x, y)];
      },
    });
    unaryDefs.set(op, d);
  }
  return d;
}

function unary(op: UnaryOp, x: Tensor, name: string = op): Tensor {
  if (!(x instanceof Tensor)) throw new StrataError(name, `expected a Tensor, got ${describe(x)}`);
  x.checkAlive(name);
  const spec = UNARY[op];
  let dtype: DType = x.dtype;
  if (op === 'logicalNot' || op === 'isnan' || op === 'isinf') dtype = 'bool';
  else if (spec?.float && !isFloating(x.dtype)) dtype = 'float32';
  else if (x.dtype === 'bool' && op !== 'abs' && op !== 'relu') {
    throw new StrataError(name, `not supported for bool tensors; convert with .float() or .long()`);
  }
  const out = wrap(x.backend, x.backend.unary(op, x, dtype), x.shape, dtype);
  if (spec && isFloating(dtype)) {
    const saved = spec.save === 'x' ? [x] : spec.save === 'y' ? [out] : [];
    record(unaryDef(op), [x], out, saved, { op });
  }
  return out;
}

export function neg(x: Tensor): Tensor { return unary('neg', x); }
export function exp(x: Tensor): Tensor { return unary('exp', x); }
export function log(x: Tensor): Tensor { return unary('log', x); }
export function log1p(x: Tensor): Tensor { return unary('log1p', x); }
export function expm1(x: Tensor): Tensor { return unary('expm1', x); }
export function sqrt(x: Tensor): Tensor { return unary('sqrt', x); }
export function rsqrt(x: Tensor): Tensor { return unary('rsqrt', x); }
export function abs(x: Tensor): Tensor { return unary('abs', x); }
export function sign(x: Tensor): Tensor { return unary('sign', x); }
export function sin(x: Tensor): Tensor { return unary('sin', x); }
export function cos(x: Tensor): Tensor { return unary('cos', x); }
export function erf(x: Tensor): Tensor { return unary('erf', x); }
export function reciprocal(x: Tensor): Tensor { return unary('reciprocal', x); }
export function square(x: Tensor): Tensor { return unary('square', x); }
export function floor(x: Tensor): Tensor { return unary('floor', x); }
export function ceil(x: Tensor): Tensor { return unary('ceil', x); }
export function round(x: Tensor): Tensor { return unary('round', x); }
export function trunc(x: Tensor): Tensor { return unary('trunc', x); }
export function logicalNot(x: Tensor): Tensor { return unary('logicalNot', x); }
export function isnan(x: Tensor): Tensor { return unary('isnan', x); }
export function isinf(x: Tensor): Tensor { return unary('isinf', x); }
export function tanh(x: Tensor): Tensor { return unary('tanh', x); }
export function sigmoid(x: Tensor): Tensor { return unary('sigmoid', x); }
export function relu(x: Tensor): Tensor { return unary('relu', x); }
export function silu(x: Tensor): Tensor { return unary('silu', x); }
/** GELU: x·Φ(x) (approximate 'tanh' uses the tanh formula of Hendrycks & Gimpel). */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  if (approximate !== 'none' && approximate !== 'tanh') throw new StrataError('gelu', `approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
  return unary(approximate === 'tanh' ? 'geluTanh' : 'gelu', x, 'gelu');
}

const activationBackwardDef = defineOp<{ op: 'relu' | 'tanh' | 'sigmoid' | 'gelu' | 'geluTanh' | 'silu' }>({
  name: 'activationBackward',
  backward: () => {
    throw new StrataError('backward', 'double backward through activation gradients is not supported');
  },
});

/** The gradient kernel of an activation (see Backend.activationBackward for what `saved` is). */
export function activationBackward(op: 'relu' | 'tanh' | 'sigmoid' | 'gelu' | 'geluTanh' | 'silu', g: Tensor, saved: Tensor): Tensor {
  const b = backendOf(op, g, saved);
  const out = wrap(b, b.activationBackward(op, g, saved), g.shape, g.dtype);
  record(activationBackwardDef, [g, saved], out, [], { op });
  return out;
}

// ---------------------------------------------------------------- parametrised activations

const leakyReluDef = defineOp<{ slope: number }>({
  name: 'leakyRelu',
  backward: (ctx, [g]) => {
    const [x] = ctx.saved;
    return [wrap(x.backend, x.backend.leakyReluBackward(g, x, ctx.attrs.slope), x.shape, g.dtype)];
  },
});
/** max(0,x) + slope·min(0,x). */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  floatInput('leakyRelu', x);
  const out = wrap(x.backend, x.backend.leakyRelu(x, negativeSlope), x.shape, x.dtype);
  record(leakyReluDef, [x], out, [x], { slope: negativeSlope });
  return out;
}

const eluDef = defineOp<{ alpha: number }>({
  name: 'elu',
  backward: (ctx, [g]) => {
    const [x] = ctx.saved;
    return [wrap(x.backend, x.backend.eluBackward(g, x, ctx.attrs.alpha), x.shape, g.dtype)];
  },
});
/** x for x > 0, alpha·(eˣ − 1) otherwise (Clevert et al., 2015). */
export function elu(x: Tensor, alpha = 1): Tensor {
  floatInput('elu', x);
  const out = wrap(x.backend, x.backend.elu(x, alpha), x.shape, x.dtype);
  record(eluDef, [x], out, [x], { alpha });
  return out;
}

const softplusDef = defineOp<{ beta: number; threshold: number }>({
  name: 'softplus',
  backward: (ctx, [g]) => {
    const [x] = ctx.saved;
    return [wrap(x.backend, x.backend.softplusBackward(g, x, ctx.attrs.beta, ctx.attrs.threshold), x.shape, g.dtype)];
  },
});
/** log(1 + e^(βx))/β, linear where βx > threshold. */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  floatInput('softplus', x);
  const out = wrap(x.backend, x.backend.softplus(x, beta, threshold), x.shape, x.dtype);
  record(softplusDef, [x], out, [x], { beta, threshold });
  return out;
}

function floatInput(op: string, x: Tensor): void {
  if (!(x instanceof Tensor)) throw new StrataError(op, `expected a Tensor, got ${describe(x)}`);
  x.checkAlive(op);
  if (!isFloating(x.dtype)) throw new StrataError(op, `expected a float32 or float64 tensor, got ${x.dtype}; convert with .float()`);
}

// ---------------------------------------------------------------- clamp, where, masked fill

const clampDef = defineOp<{ min: number | null; max: number | null }>({
  name: 'clamp',
  backward: (ctx, [g]) => {
    const [x] = ctx.saved;
    const { min, max } = ctx.attrs;
    let keepMask: Tensor | null = null;
    if (min !== null) keepMask = ge(x, min);
    if (max !== null) keepMask = keepMask ? logicalAnd(keepMask, le(x, max)) : le(x, max);
    return [keepMask ? where(keepMask, g, 0) : g];
  },
});

/** Limits values to [min, max] (either may be null). */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  if (!(x instanceof Tensor)) throw new StrataError('clamp', `expected a Tensor, got ${describe(x)}`);
  x.checkAlive('clamp');
  const lo = min ?? null, hi = max ?? null;
  if (lo === null && hi === null) throw new StrataError('clamp', 'at least one of min and max must be given');
  const out = wrap(x.backend, x.backend.clamp(x, lo, hi), x.shape, x.dtype);
  record(clampDef, [x], out, [x], { min: lo, max: hi });
  return out;
}

interface WhereAttrs { a: number | null; b: number | null }
const whereDef = defineOp<WhereAttrs>({
  name: 'where',
  backward: (ctx, [g]) => {
    const cond = ctx.saved[0];
    return [
      null,
      ctx.needs(1) ? sumToShape(where(cond, g, 0), ctx.inputs[1].shape) : null,
      ctx.needs(2) ? sumToShape(where(cond, 0, g), ctx.inputs[2].shape) : null,
    ];
  },
});

/** Elementwise cond ? a : b, broadcasting all three. cond must be bool. */
export function where(cond: Tensor, a: TS, b: TS): Tensor {
  const op = 'where';
  if (!(cond instanceof Tensor)) throw new StrataError(op, `expected condition to be a bool Tensor, got ${describe(cond)}`);
  if (cond.dtype !== 'bool') throw new StrataError(op, `condition must be a bool tensor, got ${cond.dtype}; compare first (e.g. x.gt(0))`);
  checkOperand(op, 'input', a);
  checkOperand(op, 'other', b);
  const backend = backendOf(op, cond, a, b);
  let shape = cond.shape.slice();
  if (a instanceof Tensor) shape = broadcastShapes(op, shape, a.shape);
  if (b instanceof Tensor) shape = broadcastShapes(op, shape, b.shape);
  let dtype: DType;
  if (a instanceof Tensor && b instanceof Tensor) dtype = promoteTensors(a, b);
  else if (a instanceof Tensor) dtype = promoteWithScalar(a.dtype, b as number);
  else if (b instanceof Tensor) dtype = promoteWithScalar(b.dtype, a as number);
  else dtype = Number.isInteger(a) && Number.isInteger(b) ? 'int64' : 'float32';
  const out = wrap(backend, backend.where(cond, a, b, shape, dtype), shape, dtype);
  record(whereDef, [cond, a, b], out, [cond], { a: a instanceof Tensor ? null : a, b: b instanceof Tensor ? null : b });
  return out;
}

/** x with `value` where mask (bool, broadcast to x) is true. */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  if (!(mask instanceof Tensor) || mask.dtype !== 'bool') {
    throw new StrataError('maskedFill', `mask must be a bool tensor, got ${describe(mask)}`);
  }
  const shape = broadcastShapes('maskedFill', x.shape, mask.shape);
  if (!shapesEqual(shape, x.shape)) throw new StrataError('maskedFill', `mask of shape [${mask.shape.join(',')}] does not broadcast to the input's shape [${x.shape.join(',')}]`);
  return where(mask, fullLike(x, value), x);
}

/** True when all |a − b| <= atol + rtol·|b| (shapes broadcast). */
export function allclose(a: Tensor, b: Tensor, rtol = 1e-5, atol = 1e-8): boolean {
  const ok = le(abs(sub(a, b)), add(mul(abs(b), rtol), atol));
  const nanA = isnan(a), nanB = isnan(b);
  const anyNan = logicalOr(nanA, nanB);
  const vals = ok.data();
  const nan = anyNan.data();
  let res = true;
  for (let i = 0; i < vals.length; i++) if (!vals[i] || nan[i]) res = false;
  for (const t of [ok, nanA, nanB, anyNan]) t.dispose();
  return res;
}

/** True when shapes and all values are equal. */
export function equal(a: Tensor, b: Tensor): boolean {
  if (!shapesEqual(a.shape, b.shape)) return false;
  const e = eq(a, b);
  const v = e.data();
  e.dispose();
  for (let i = 0; i < v.length; i++) if (!v[i]) return false;
  return true;
}
