// Shape ops: views (view, reshape, permute, expand, slice, squeeze), joins (cat, stack), splits, flip, pad;
// composed ones: roll, tril/triu, movedim, diagonal, repeatInterleave, pixelShuffle, padMode.
import { defineOp, record } from '../autograd/graph.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { inferShape, normDim, normDims, numel, shapesEqual, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { tensor as tensorOf, zeros } from './creation.js';
import { where as whereOp } from './elementwise.js';
import { indexSelect as indexSelectOp } from './indexing.js';
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

// ---------------------------------------------------------------- composed shape ops (roll, tril, movedim, …)
// Built from the primitives above (slices, cat, indexSelect, where), so both backends and autograd come free.

function indexTensor(values: readonly number[], like: Tensor): Tensor {
  return tensorOf(values, { dtype: 'int64', backend: like.backend });
}

/**
 * Shifts elements along dims by `shifts` (wrapping around), as torch.roll; with no dims, x is
 * flattened, rolled and reshaped back.
 * @example st.roll(st.tensor([1, 2, 3, 4]), 1)   // [4, 1, 2, 3]
 */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
  const op = 'roll';
  expectTensor(op, 'input', x);
  const s = typeof shifts === 'number' ? [shifts] : shifts.slice();
  if (dims === undefined) {
    if (s.length !== 1) throw new StrataError(op, `without dims, shifts must be one integer, got [${s.join(',')}]`);
    return reshape(roll(flatten(x), s[0], 0), x.shape);
  }
  const d = typeof dims === 'number' ? [dims] : dims.slice();
  if (d.length !== s.length) throw new StrataError(op, `shifts [${s.join(',')}] and dims [${d.join(',')}] must have the same length`);
  let out = x;
  d.forEach((dim, i) => {
    const k = normDim(op, dim, x.ndim);
    const n = x.shape[k];
    if (n === 0) return;
    const sh = ((s[i] % n) + n) % n;
    if (sh === 0) return;
    out = cat([slice(out, k, n - sh, n), slice(out, k, 0, n - sh)], k);
  });
  return out;
}

function triangle(op: string, x: Tensor, diagonal: number, lower: boolean): Tensor {
  expectTensor(op, 'input', x);
  if (x.ndim < 2) throw new StrataError(op, `expects a tensor with at least 2 dimensions, got shape ${fmtShape(x.shape)}`);
  if (!Number.isInteger(diagonal)) throw new StrataError(op, `diagonal must be an integer, got ${diagonal}`);
  const r = x.shape[x.ndim - 2], c = x.shape[x.ndim - 1];
  const keep: boolean[] = [];
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) keep.push(lower ? j - i <= diagonal : j - i >= diagonal);
  const mask = tensorOf(keep, { dtype: 'bool', backend: x.backend, shape: [r, c] });
  return whereOp(mask, x, 0);
}

/** Lower triangle of the last two dims (elements with j − i <= diagonal), the rest zero. x: [..., R, C]. */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return triangle('tril', x, diagonal, true);
}

/** Upper triangle of the last two dims (elements with j − i >= diagonal), the rest zero. x: [..., R, C]. */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return triangle('triu', x, diagonal, false);
}

/** Moves dims `source` to positions `destination` (a view), as torch.movedim. */
export function movedim(x: Tensor, source: number | readonly number[], destination: number | readonly number[]): Tensor {
  const op = 'movedim';
  expectTensor(op, 'input', x);
  const src = (typeof source === 'number' ? [source] : source.slice()).map((v) => normDim(op, v, x.ndim));
  const dst = (typeof destination === 'number' ? [destination] : destination.slice()).map((v) => normDim(op, v, x.ndim));
  if (src.length !== dst.length) throw new StrataError(op, `source [${src.join(',')}] and destination [${dst.join(',')}] must have the same length`);
  if (new Set(src).size !== src.length || new Set(dst).size !== dst.length) throw new StrataError(op, 'source and destination must not repeat a dimension');
  const order = new Array<number>(x.ndim).fill(-1);
  src.forEach((s, i) => (order[dst[i]] = s));
  const rest = Array.from({ length: x.ndim }, (_, i) => i).filter((i) => !src.includes(i));
  let k = 0;
  for (let i = 0; i < x.ndim; i++) if (order[i] === -1) order[i] = rest[k++];
  return permute(x, order);
}

/**
 * The diagonal with `offset` of the planes given by dim1 and dim2 (moved to the last dim), as torch.diagonal.
 * x: [..., R, ..., C, ...] → [..., L] with L the diagonal's length.
 */
export function diagonal(x: Tensor, offset = 0, dim1 = 0, dim2 = 1): Tensor {
  const op = 'diagonal';
  expectTensor(op, 'input', x);
  if (x.ndim < 2) throw new StrataError(op, `expects a tensor with at least 2 dimensions, got shape ${fmtShape(x.shape)}`);
  const a = normDim(op, dim1, x.ndim), b = normDim(op, dim2, x.ndim);
  if (a === b) throw new StrataError(op, `dim1 and dim2 must differ, both are ${a}`);
  let m = movedim(x, [a, b], [x.ndim - 2, x.ndim - 1]);
  const lead = m.shape.slice(0, -2);
  m = offset >= 0 ? slice(m, -1, Math.min(offset, m.shape[m.ndim - 1])) : slice(m, -2, Math.min(-offset, m.shape[m.ndim - 2]));
  const r = m.shape[m.ndim - 2], c = m.shape[m.ndim - 1];
  const len = Math.min(r, c);
  if (len === 0) return reshape(slice(m, -1, 0, 0), [...lead, 0]);
  // NOTE: element (i, i) of a row-major [len, c] block sits at i·(c + 1) of its flattening.
  const flat = reshape(slice(m, -2, 0, len), [...lead, len * c]);
  return slice(flat, -1, 0, (len - 1) * (c + 1) + 1, c + 1);
}

/**
 * Repeats each element `repeats` times along dim (a number, or an int tensor/list with one count per
 * element), as torch.repeat_interleave; without dim, x is flattened first.
 * @example st.repeatInterleave(st.tensor([1, 2]), 2)   // [1, 1, 2, 2]
 */
export function repeatInterleave(x: Tensor, repeats: number | readonly number[] | Tensor, dim?: number): Tensor {
  const op = 'repeatInterleave';
  expectTensor(op, 'input', x);
  const src = dim === undefined ? flatten(x) : x;
  const d = dim === undefined ? 0 : normDim(op, dim, x.ndim);
  const n = src.shape[d];
  const counts = typeof repeats === 'number' ? new Array<number>(n).fill(repeats)
    : repeats instanceof Tensor ? Array.from(repeats.data() as ArrayLike<number | bigint>, Number) : repeats.slice();
  if (counts.length === 1 && n !== 1) while (counts.length < n) counts.push(counts[0]);
  if (counts.length !== n) throw new StrataError(op, `repeats has ${counts.length} counts for a dimension of size ${n}`);
  if (counts.some((c) => !Number.isInteger(c) || c < 0)) throw new StrataError(op, `repeats must be non-negative integers, got [${counts.join(',')}]`);
  const idx: number[] = [];
  counts.forEach((c, i) => { for (let k = 0; k < c; k++) idx.push(i); });
  return indexSelectOp(src, d, indexTensor(idx, x));
}

/** Rearranges [N, C·r², H, W] into [N, C, H·r, W·r] (Shi et al., 2016, ESPCN), as torch.pixel_shuffle. */
export function pixelShuffle(x: Tensor, upscaleFactor: number): Tensor {
  const op = 'pixelShuffle';
  expectTensor(op, 'input', x);
  const r = upscaleFactor;
  if (!Number.isInteger(r) || r < 1) throw new StrataError(op, `upscaleFactor must be a positive integer, got ${r}`);
  if (x.ndim < 3 || x.shape[x.ndim - 3] % (r * r) !== 0) throw new StrataError(op, `expects [..., C·${r * r}, H, W] (channels divisible by upscaleFactor² = ${r * r}), got shape ${fmtShape(x.shape)}`);
  const lead = x.shape.slice(0, -3);
  const [c, h, w] = x.shape.slice(-3);
  const k = lead.length;
  const y = reshape(x, [...lead, c / (r * r), r, r, h, w]);
  const order = [...lead.map((_, i) => i), k, k + 3, k + 1, k + 4, k + 2];
  return reshape(permute(y, order), [...lead, c / (r * r), h * r, w * r]);
}

/** The inverse of pixelShuffle: [N, C, H·r, W·r] → [N, C·r², H, W]. */
export function pixelUnshuffle(x: Tensor, downscaleFactor: number): Tensor {
  const op = 'pixelUnshuffle';
  expectTensor(op, 'input', x);
  const r = downscaleFactor;
  if (!Number.isInteger(r) || r < 1) throw new StrataError(op, `downscaleFactor must be a positive integer, got ${r}`);
  if (x.ndim < 3 || x.shape[x.ndim - 1] % r !== 0 || x.shape[x.ndim - 2] % r !== 0) throw new StrataError(op, `expects [..., C, H, W] with H and W divisible by ${r}, got shape ${fmtShape(x.shape)}`);
  const lead = x.shape.slice(0, -3);
  const [c, h, w] = x.shape.slice(-3);
  const k = lead.length;
  const y = reshape(x, [...lead, c, h / r, r, w / r, r]);
  const order = [...lead.map((_, i) => i), k, k + 2, k + 4, k + 1, k + 3];
  return reshape(permute(y, order), [...lead, c * r * r, h / r, w / r]);
}

/** Padding modes of torch.nn.functional.pad other than 'constant'. */
export type PadMode = 'reflect' | 'replicate' | 'circular';

/**
 * Pads the last pads.length/2 dims by reflection (without repeating the edge), replication of the edge,
 * or wrapping around, as torch.nn.functional.pad(x, pads, mode). pads = [lastLeft, lastRight, prevLeft, …].
 */
export function padMode(x: Tensor, pads: readonly number[], mode: PadMode): Tensor {
  const op = `pad(mode='${mode}')`;
  expectTensor(op, 'input', x);
  if (pads.length % 2 !== 0 || pads.length / 2 > x.ndim) throw new StrataError(op, `pads must have an even length of at most ${2 * x.ndim} for shape ${fmtShape(x.shape)}, got [${pads.join(',')}]`);
  if (pads.some((p) => !Number.isInteger(p) || p < 0)) throw new StrataError(op, `pads must be non-negative integers, got [${pads.join(',')}]`);
  let out = x;
  for (let k = 0; k < pads.length / 2; k++) {
    const d = x.ndim - 1 - k, n = x.shape[d], lo = pads[2 * k], hi = pads[2 * k + 1];
    if (lo === 0 && hi === 0) continue;
    if (mode === 'reflect' && (lo >= n || hi >= n)) throw new StrataError(op, `padding (${lo}, ${hi}) must be less than the size ${n} of dim ${d} (shape ${fmtShape(x.shape)})`);
    if (mode === 'circular' && (lo > n || hi > n)) throw new StrataError(op, `padding (${lo}, ${hi}) must be at most the size ${n} of dim ${d} (shape ${fmtShape(x.shape)})`);
    if (n === 0) throw new StrataError(op, `cannot pad an empty dim ${d} (shape ${fmtShape(x.shape)})`);
    const idx: number[] = [];
    for (let i = -lo; i < n + hi; i++) {
      if (mode === 'replicate') idx.push(Math.min(Math.max(i, 0), n - 1));
      else if (mode === 'circular') idx.push(((i % n) + n) % n);
      else idx.push(i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);
    }
    out = indexSelectOp(out, d, indexTensor(idx, x));
  }
  return out;
}
