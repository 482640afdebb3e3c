// Shapes, strides and broadcasting (NumPy/PyTorch rules), shared by every backend.
import { StrataError, fmtShape } from './errors.js';

export type Shape = readonly number[];

export function numel(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

/** Row-major (C-contiguous) strides of a shape, in elements. */
export function contiguousStrides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The broadcast of two shapes; throws naming `op` and both shapes if they do not broadcast. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  if (shapesEqual(a, b)) return a.slice();
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da !== db && da !== 1 && db !== 1) {
      throw new StrataError(op, `shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast (dimension ${i - n} is ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Normalises a possibly negative dimension index against `ndim`; throws if out of range. */
export function normDim(op: string, dim: number, ndim: number): number {
  const lo = -Math.max(ndim, 1), hi = Math.max(ndim, 1) - 1;
  if (!Number.isInteger(dim) || dim < lo || dim > hi) {
    throw new StrataError(op, `dimension ${dim} is out of range for a tensor of ${ndim} dimensions (expected ${lo}..${hi})`);
  }
  return dim < 0 ? dim + Math.max(ndim, 1) : dim;
}

/** Normalises a list of dims (or all dims when undefined); sorted, unique. */
export function normDims(op: string, dims: number | readonly number[] | undefined | null, ndim: number): number[] {
  if (dims === undefined || dims === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof dims === 'number' ? [dims] : dims;
  const out = list.map((d) => normDim(op, d, ndim));
  const uniq = [...new Set(out)].sort((x, y) => x - y);
  if (uniq.length !== out.length) throw new StrataError(op, `dimension list [${list.join(',')}] repeats a dimension`);
  return uniq;
}

/** Shape of a reduction over `dims`. */
export function reducedShape(shape: Shape, dims: readonly number[], keepdim: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (dims.includes(i)) {
      if (keepdim) out.push(1);
    } else out.push(shape[i]);
  }
  return out;
}

export function checkShape(op: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw new StrataError(op, `expected a shape (array of non-negative integers), got ${String(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new StrataError(op, `invalid shape ${JSON.stringify(shape)}: dimensions must be non-negative integers`);
  }
  return shape.slice();
}

/**
 * The most elements one tensor built in JavaScript may have: the longest typed array Node allocates
 * (2^32 on Node 20). Creation ops that fill values in JS, and the js backend, refuse more.
 */
export const MAX_NUMEL = 2 ** 32;

/** Throws a StrataError naming `op` when `n` elements (of `what`) cannot be one tensor; returns n. */
export function checkNumel(op: string, n: number, what: string): number {
  if (n > MAX_NUMEL || !(n >= 0)) {
    throw new StrataError(op, `${what} has ${n} elements, more than the ${MAX_NUMEL} one tensor can hold; use a smaller size`);
  }
  return n;
}

/** Resolves a single -1 in a target shape against `n` elements (reshape/view). */
export function inferShape(op: string, from: Shape, target: readonly number[]): number[] {
  const n = numel(from);
  let neg = -1, known = 1;
  for (let i = 0; i < target.length; i++) {
    const d = target[i];
    if (d === -1) {
      if (neg >= 0) throw new StrataError(op, `only one dimension can be -1, got ${fmtShape(target)}`);
      neg = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new StrataError(op, `invalid shape ${fmtShape(target)}`);
    } else known *= d;
  }
  const out = target.slice();
  if (neg >= 0) {
    if (known === 0 || n % known !== 0) throw new StrataError(op, `shape ${fmtShape(target)} is invalid for input of shape ${fmtShape(from)} (${n} elements)`);
    out[neg] = n / known;
  } else if (known !== n) {
    throw new StrataError(op, `shape ${fmtShape(target)} is invalid for input of shape ${fmtShape(from)} (${n} elements vs ${known})`);
  }
  return out;
}

/** PyTorch's computeStride: strides that view `oldShape/oldStrides` as `newShape`, or null if a copy is needed. */
export function viewStrides(oldShape: Shape, oldStrides: readonly number[], newShape: Shape): number[] | null {
  const newStrides = new Array<number>(newShape.length).fill(0);
  if (numel(oldShape) === 0 || oldShape.length === 0) return contiguousStrides(newShape);
  let viewD = newShape.length - 1;
  let chunkBase = oldStrides[oldStrides.length - 1] ?? 1;
  let tensorNumel = 1, viewNumel = 1;
  for (let d = oldShape.length - 1; d >= 0; d--) {
    tensorNumel *= oldShape[d];
    if (d === 0 || (oldShape[d - 1] !== 1 && oldStrides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        newStrides[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = oldStrides[d - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return newStrides;
}
