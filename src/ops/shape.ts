// Shape ops: views (view, reshape, permute, expand, slice, squeeze), joins (cat, stack), splits, flip, pad.
import { defineOp, record } from '../autograd/graph.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { inferShape, normDim, normDims, numel, shapesEqual, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { zeros } from './creation.js';
import { sumToShape } from './reduce.js';
import { backendOf, describe, expectTensor, wrap } from './util.js';

const reshapeDef = defineOp({
  name: 'reshape',
  backward: (ctx, [g]) => [reshape(g, ctx.inputs[0].shape)],
});

/** x with a new shape, sharing storage; throws if x's strides do not allow it (use reshape). One dim may be -1. */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  expectTensor('view', 'input', x);
  const s = inferShape('view', x.shape, shape);
  const h = x.backend.view(x, s);
  if (h === null) {
    throw new StrataError('view', `shape ${fmtShape(s)} is not compatible with the input's shape ${fmtShape(x.shape)} and strides (the input is not contiguous); use reshape(), or contiguous() first`);
  }
  const out = wrap(x.backend, h, s, x.dtype, x);
  record(reshapeDef, [x], out, [], undefined);
  return out;
}

/** x with a new shape: a view when the strides allow, else a copy. One dim may be -1. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  expectTensor('reshape', 'input', x);
  const s = inferShape('reshape', x.shape, shape);
  const b = x.backend;
  const h = b.view(x, s);
  let out: Tensor;
  if (h !== null) out = wrap(b, h, s, x.dtype, x);
  else {
    const tmp = wrap(b, b.contiguous(x), x.shape, x.dtype);
    out = wrap(b, b.view(tmp, s)!, s, x.dtype);
    tmp.dispose();
  }
  record(reshapeDef, [x], out, [], undefined);
  return out;
}

const permuteDef = defineOp<{ inverse: number[] }>({
  name: 'permute',
  backward: (ctx, [g]) => [permute(g, ctx.attrs.inverse)],
});

/** Reorders dimensions (a view). */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const op = 'permute';
  expectTensor(op, 'input', x);
  if (dims.length !== x.ndim) throw new StrataError(op, `got ${dims.length} dims [${dims.join(',')}] for a tensor of shape ${fmtShape(x.shape)}`);
  const d = dims.map((v) => normDim(op, v, x.ndim));
  if (new Set(d).size !== d.length) throw new StrataError(op, `dims [${dims.join(',')}] repeat a dimension`);
  const shape = d.map((i) => x.shape[i]);
  const out = wrap(x.backend, x.backend.permute(x, d), shape, x.dtype, x);
  const inverse = new Array<number>(d.length);
  d.forEach((v, i) => (inverse[v] = i));
  record(permuteDef, [x], out, [], { inverse });
  return out;
}

/** Swaps two dimensions (a view). */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  expectTensor('transpose', 'input', x);
  const a = normDim('transpose', dim0, x.ndim), b = normDim('transpose', dim1, x.ndim);
  if (x.ndim < 2) return x;
  const dims = Array.from({ length: x.ndim }, (_, i) => i);
  [dims[a], dims[b]] = [dims[b], dims[a]];
  return permute(x, dims);
}

/** Transpose of a matrix; 0-D and 1-D tensors are returned as is. */
export function t(x: Tensor): Tensor {
  expectTensor('t', 'input', x);
  if (x.ndim > 2) throw new StrataError('t', `expects a tensor with <= 2 dimensions, got shape ${fmtShape(x.shape)}; use transpose(dim0, dim1) or mT`);
  return x.ndim < 2 ? x : transpose(x, 0, 1);
}

/** Removes size-1 dims (all, or the given ones that are size 1). */
export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  expectTensor('squeeze', 'input', x);
  const dims = dim === undefined ? null : normDims('squeeze', dim, x.ndim);
  const shape = x.shape.filter((s, i) => !(s === 1 && (dims === null || dims.includes(i))));
  return shape.length === x.ndim ? x : reshape(x, shape);
}

/** Inserts a size-1 dim at `dim` (-1 appends). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  expectTensor('unsqueeze', 'input', x);
  const d = normDim('unsqueeze', dim, x.ndim + 1);
  const shape = x.shape.slice();
  shape.splice(d, 0, 1);
  return reshape(x, shape);
}

/** Merges dims startDim..endDim into one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  expectTensor('flatten', 'input', x);
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normDim('flatten', startDim, x.ndim), e = normDim('flatten', endDim, x.ndim);
  if (s > e) throw new StrataError('flatten', `startDim ${startDim} comes after endDim ${endDim}`);
  const shape = [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

/** Splits dim into `sizes` (one may be -1). */
export function unflatten(x: Tensor, dim: number, sizes: readonly number[]): Tensor {
  expectTensor('unflatten', 'input', x);
  const d = normDim('unflatten', dim, x.ndim);
  const inner = inferShape('unflatten', [x.shape[d]], sizes);
  return reshape(x, [...x.shape.slice(0, d), ...inner, ...x.shape.slice(d + 1)]);
}

const expandDef = defineOp({
  name: 'expand',
  backward: (ctx, [g]) => [sumToShape(g, ctx.inputs[0].shape)],
});

/** Broadcasts size-1 dims to `shape` without copying (-1 keeps a dim; new dims go in front). */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const op = 'expand';
  expectTensor(op, 'input', x);
  if (shape.length < x.ndim) throw new StrataError(op, `the target shape ${fmtShape(shape)} has fewer dims than the input's ${fmtShape(x.shape)}`);
  const lead = shape.length - x.ndim;
  const out = shape.map((s, i) => {
    if (i < lead) {
      if (s < 0) throw new StrataError(op, `-1 is not allowed for the new leading dim ${i} in ${fmtShape(shape)}`);
      return s;
    }
    const have = x.shape[i - lead];
    if (s === -1) return have;
    if (have !== s && have !== 1) throw new StrataError(op, `cannot expand shape ${fmtShape(x.shape)} to ${fmtShape(shape)}: dim ${i} is ${have}, not 1`);
    return s;
  });
  if (shapesEqual(out, x.shape)) return x;
  const res = wrap(x.backend, x.backend.expand(x, out), out, x.dtype, x);
  record(expandDef, [x], res, [], undefined);
  return res;
}

/** Tiles x `reps` times along each dim (a copy), as torch's repeat. */
export function repeat(x: Tensor, reps: readonly number[]): Tensor {
  expectTensor('repeat', 'input', x);
  if (reps.length < x.ndim) throw new StrataError('repeat', `needs at least ${x.ndim} repetitions for shape ${fmtShape(x.shape)}, got [${reps.join(',')}]`);
  const lead = reps.length - x.ndim;
  const src = [...new Array<number>(lead).fill(1), ...x.shape];
  const inter: number[] = [], big: number[] = [], final: number[] = [];
  src.forEach((s, i) => {
    inter.push(1, s);
    big.push(reps[i], s);
    final.push(reps[i] * s);
  });
  return reshape(expand(reshape(x, inter), big), final);
}

interface SliceAttrs { dim: number; start: number; end: number; step: number }
const sliceDef = defineOp<SliceAttrs>({
  name: 'slice',
  backward: (ctx, [g]) => [sliceScatter(g, ctx.inputs[0].shape, ctx.attrs)],
});
const sliceScatterDef = defineOp<SliceAttrs>({
  name: 'sliceScatter',
  backward: (ctx, [g]) => {
    const { dim, start, end, step } = ctx.attrs;
    return [slice(g, dim, start, end, step)];
  },
});

/** Zeros of `shape` with g written at the slice (the gradient of slice). */
function sliceScatter(g: Tensor, shape: Shape, a: SliceAttrs): Tensor {
  const b = g.backend;
  const z = zeros(shape, { dtype: g.dtype, backend: b });
  const viewOfZ = wrap(b, b.slice(z, a.dim, a.start, a.end, a.step), g.shape, g.dtype, z);
  b.copy_(viewOfZ, g);
  viewOfZ.dispose();
  record(sliceScatterDef, [g], z, [], a);
  return z;
}

/** Elements [start, end) with `step` along dim, as a view (negative start/end count from the end). */
export function slice(x: Tensor, dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
  const op = 'slice';
  expectTensor(op, 'input', x);
  if (x.ndim === 0) throw new StrataError(op, 'cannot slice a 0-d tensor');
  const d = normDim(op, dim, x.ndim);
  const n = x.shape[d];
  if (!Number.isInteger(step) || step < 1) throw new StrataError(op, `step must be a positive integer, got ${step}`);
  const norm = (v: number | null | undefined, dflt: number) => {
    if (v === null || v === undefined) return dflt;
    if (!Number.isInteger(v)) throw new StrataError(op, `start and end must be integers, got ${v}`);
    const r = v < 0 ? v + n : v;
    return Math.min(Math.max(r, 0), n);
  };
  const s = norm(start, 0);
  const e = Math.max(norm(end, n), s);
  if (s === 0 && e === n && step === 1) return x;
  const len = Math.ceil((e - s) / step);
  const shape = x.shape.slice();
  shape[d] = len;
  const out = wrap(x.backend, x.backend.slice(x, d, s, e, step), shape, x.dtype, x);
  record(sliceDef, [x], out, [], { dim: d, start: s, end: e, step });
  return out;
}

/** `length` elements from `start` along dim (a view); throws when out of range. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  expectTensor('narrow', 'input', x);
  const d = normDim('narrow', dim, x.ndim);
  const n = x.shape[d];
  const s = start < 0 ? start + n : start;
  if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > n) {
    throw new StrataError('narrow', `start ${start} and length ${length} are out of range for dim ${dim} of size ${n}`);
  }
  return slice(x, d, s, s + length);
}

/** The index-th slice along dim with that dim removed (x[i] for dim 0). */
export function select(x: Tensor, dim: number, index: number): Tensor {
  expectTensor('select', 'input', x);
  const d = normDim('select', dim, x.ndim);
  const n = x.shape[d];
  const i = index < 0 ? index + n : index;
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new StrataError('select', `index ${index} is out of range for dim ${dim} of size ${n}`);
  return squeeze(slice(x, d, i, i + 1), d);
}

/** Splits into chunks of `size` (or of the listed sizes) along dim. */
export function split(x: Tensor, sizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  expectTensor('split', 'input', x);
  const d = normDim('split', dim, x.ndim);
  const n = x.shape[d];
  let sizes: number[];
  if (typeof sizeOrSections === 'number') {
    if (!Number.isInteger(sizeOrSections) || sizeOrSections < 1) throw new StrataError('split', `split size must be a positive integer, got ${sizeOrSections}`);
    sizes = [];
    for (let i = 0; i < n; i += sizeOrSections) sizes.push(Math.min(sizeOrSections, n - i));
    if (n === 0) sizes = [0];
  } else {
    sizes = sizeOrSections.slice();
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== n) throw new StrataError('split', `sizes [${sizes.join(',')}] sum to ${total}, but dim ${dim} has size ${n}`);
  }
  const out: Tensor[] = [];
  let off = 0;
  for (const s of sizes) {
    out.push(slice(x, d, off, off + s));
    off += s;
  }
  return out;
}

/** Splits into `chunks` nearly equal parts along dim (the last may be smaller). */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  expectTensor('chunk', 'input', x);
  if (!Number.isInteger(chunks) || chunks < 1) throw new StrataError('chunk', `chunks must be a positive integer, got ${chunks}`);
  const n = x.shape[normDim('chunk', dim, x.ndim)];
  return split(x, Math.max(1, Math.ceil(n / chunks)), dim);
}

/** The slices along dim, each with dim removed. */
export function unbind(x: Tensor, dim = 0): Tensor[] {
  expectTensor('unbind', 'input', x);
  const d = normDim('unbind', dim, x.ndim);
  return Array.from({ length: x.shape[d] }, (_, i) => select(x, d, i));
}

const flipDef = defineOp<{ dims: number[] }>({
  name: 'flip',
  backward: (ctx, [g]) => [flip(g, ctx.attrs.dims)],
});

/** Reverses the order of elements along dims (a copy). */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  expectTensor('flip', 'input', x);
  const d = normDims('flip', dims, x.ndim);
  const out = wrap(x.backend, x.backend.flip(x, d), x.shape, x.dtype);
  record(flipDef, [x], out, [], { dims: d });
  return out;
}

const catDef = defineOp<{ dim: number; sizes: number[] }>({
  name: 'cat',
  backward: (ctx, [g]) => split(g, ctx.attrs.sizes, ctx.attrs.dim),
});

/** Concatenates tensors of equal shape except along dim. */
export function cat(xs: readonly Tensor[], dim = 0): Tensor {
  const op = 'cat';
  if (!Array.isArray(xs) || xs.length === 0) throw new StrataError(op, 'expected a non-empty array of tensors');
  xs.forEach((x, i) => {
    if (!(x instanceof Tensor)) throw new StrataError(op, `element ${i} is not a Tensor (${describe(x)})`);
  });
  const backend = backendOf(op, ...xs);
  const ref = xs[0];
  const d = normDim(op, dim, ref.ndim);
  let dtype = ref.dtype;
  let total = 0;
  xs.forEach((x: Tensor, i: number) => {
    if (x.ndim !== ref.ndim || x.shape.some((s: number, j: number) => j !== d && s !== ref.shape[j])) {
      throw new StrataError(op, `tensor ${i} has shape ${fmtShape(x.shape)}, which does not match ${fmtShape(ref.shape)} outside dim ${d}`);
    }
    if (x.dtype !== dtype) throw new StrataError(op, `tensor ${i} is ${x.dtype} but tensor 0 is ${dtype}; convert them to one dtype first`);
    total += x.shape[d];
  });
  const shape = ref.shape.slice();
  shape[d] = total;
  if (xs.length === 1) return ref;
  const out = wrap(backend, backend.cat(xs, d, shape), shape, dtype);
  record(catDef, xs, out, [], { dim: d, sizes: xs.map((x) => x.shape[d]) });
  return out;
}

/** Stacks equal-shaped tensors along a new dim. */
export function stack(xs: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) throw new StrataError('stack', 'expected a non-empty array of tensors');
  const ref = xs[0];
  xs.forEach((x, i) => {
    if (!(x instanceof Tensor)) throw new StrataError('stack', `element ${i} is not a Tensor (${describe(x)})`);
    if (!shapesEqual(x.shape, ref.shape)) throw new StrataError('stack', `tensor ${i} has shape ${fmtShape(x.shape)}, tensor 0 has ${fmtShape(ref.shape)}; stack needs equal shapes`);
  });
  const d = normDim('stack', dim, ref.ndim + 1);
  return cat(xs.map((x) => unsqueeze(x, d)), d);
}

const padDef = defineOp<{ pads: number[]; value: number }>({
  name: 'pad',
  backward: (ctx, [g]) => {
    let r = g;
    const p = ctx.attrs.pads;
    for (let k = 0; k < p.length / 2; k++) {
      const d = g.ndim - 1 - k;
      r = slice(r, d, p[2 * k], g.shape[d] - p[2 * k + 1]);
    }
    return [r];
  },
});

/** Constant padding: pads = [lastLeft, lastRight, prevLeft, prevRight, …] as torch.nn.functional.pad. */
export function pad(x: Tensor, pads: readonly number[], value = 0): Tensor {
  const op = 'pad';
  expectTensor(op, 'input', x);
  if (pads.length % 2 !== 0 || pads.length / 2 > x.ndim) throw new StrataError(op, `pads must have an even length of at most ${2 * x.ndim} for shape ${fmtShape(x.shape)}, got [${pads.join(',')}]`);
  if (pads.some((p) => !Number.isInteger(p) || p < 0)) throw new StrataError(op, `pads must be non-negative integers, got [${pads.join(',')}]`);
  const shape = x.shape.slice();
  for (let k = 0; k < pads.length / 2; k++) shape[x.ndim - 1 - k] += pads[2 * k] + pads[2 * k + 1];
  const out = wrap(x.backend, x.backend.pad(x, pads, value, shape), shape, x.dtype);
  record(padDef, [x], out, [], { pads: pads.slice(), value });
  return out;
}
