// Creating tensors: from arrays and typed arrays, constants, ranges, and seeded random numbers.
import type { Backend, BackendName } from '../backends/backend.js';
import { backendByName, backendForDevice, getBackend } from '../backends/registry.js';
import { toDevice, type DeviceLike } from '../tensor/device.js';
import { allocTyped, checkDType, dtypeOfTyped, isFloating, type DType, type TypedArray } from '../tensor/dtype.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { checkNumel, checkShape, numel, type Shape } from '../tensor/shape.js';
import { Tensor, type NestedArray } from '../tensor/tensor.js';
import { wrap } from './util.js';

export interface TensorOptions {
  /** Default float32 (bool for boolean data; a typed array's own type). */
  dtype?: DType;
  requiresGrad?: boolean;
  /** Default: the current backend (`st.setBackend`). */
  backend?: BackendName | Backend;
  /** 'cpu', 'cuda', 'cuda:N' (default: the default device, `st.setDefaultDevice`); wins over `backend`'s device. */
  device?: DeviceLike;
}
export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

export function resolveBackend(b: BackendName | Backend | undefined, device?: DeviceLike): Backend {
  const base = b === undefined ? getBackend() : typeof b === 'string' ? backendByName(b) : b;
  if (device === undefined) return base;
  const d = toDevice('tensor', device);
  return d.equals(base.device) ? base : backendForDevice('tensor', d, base);
}

function finish(t: Tensor, opts: TensorOptions | undefined, op: string): Tensor {
  if (opts?.requiresGrad) {
    if (!isFloating(t.dtype)) {
      t.dispose();
      throw new StrataError(op, `only floating-point tensors can require gradients; dtype is ${t.dtype}`);
    }
    t.requiresGrad = true;
  }
  return t;
}

/** Converts values to the canonical typed array of `dtype`. */
export function toTyped(values: ArrayLike<number | bigint | boolean>, dtype: DType): TypedArray {
  const n = values.length;
  const out = allocTyped(dtype, n);
  if (dtype === 'int64') {
    const o = out as BigInt64Array;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      o[i] = typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
    }
  } else if (dtype === 'bool') {
    const o = out as Uint8Array;
    for (let i = 0; i < n; i++) o[i] = values[i] ? 1 : 0;
  } else {
    const o = out as Float32Array | Float64Array | Int32Array;
    for (let i = 0; i < n; i++) o[i] = Number(values[i]);
  }
  return out;
}

function flattenNested(op: string, data: NestedArray): { shape: number[]; flat: (number | boolean)[] } {
  const shape: number[] = [];
  let probe: NestedArray = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const flat: (number | boolean)[] = [];
  const walk = (x: NestedArray, dim: number) => {
    if (dim === shape.length) {
      if (Array.isArray(x)) throw new StrataError(op, `ragged nested array: expected a number at depth ${dim}, found an array`);
      if (typeof x !== 'number' && typeof x !== 'boolean') throw new StrataError(op, `expected numbers or booleans, found ${typeof x}`);
      flat.push(x);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[dim]) {
      throw new StrataError(op, `ragged nested array: expected length ${shape[dim]} at depth ${dim}, found ${Array.isArray(x) ? x.length : typeof x}`);
    }
    for (const v of x) walk(v, dim + 1);
  };
  walk(data, 0);
  return { shape, flat };
}

/**
 * A tensor from nested arrays, a number, or a typed array (with `shape`; default 1-D).
 * @example st.tensor([[1, 2], [3, 4]]); st.tensor(new Int32Array([1, 2, 3]), { dtype: 'int64' })
 */
export function tensor(data: NestedArray | ArrayBufferView | readonly number[], opts: TensorOptions & { shape?: readonly number[] } = {}): Tensor {
  const op = 'tensor';
  const backend = resolveBackend(opts.backend, opts.device);
  let shape: number[];
  let typed: TypedArray;
  let dtype: DType;
  if (ArrayBuffer.isView(data)) {
    const view = data as unknown as ArrayLike<number | bigint>;
    const own = dtypeOfTyped(data);
    // NOTE: Uint8Array holds pixels more often than masks: it becomes float32 unless dtype says bool.
    dtype = opts.dtype ? checkDType(op, opts.dtype) : own && !(data instanceof Uint8Array) ? own : 'float32';
    shape = opts.shape ? checkShape(op, opts.shape) : [view.length];
    if (numel(shape) !== view.length) throw new StrataError(op, `shape ${fmtShape(shape)} needs ${numel(shape)} values, the typed array has ${view.length}`);
    typed = own === dtype && !(data instanceof Uint8Array && dtype !== 'bool') ? (data as TypedArray) : toTyped(view, dtype);
  } else {
    const { shape: s, flat } = flattenNested(op, data as NestedArray);
    const isBool = flat.length > 0 && flat.every((v) => typeof v === 'boolean');
    dtype = opts.dtype ? checkDType(op, opts.dtype) : isBool ? 'bool' : 'float32';
    shape = opts.shape ? checkShape(op, opts.shape) : s;
    if (numel(shape) !== flat.length) throw new StrataError(op, `shape ${fmtShape(shape)} needs ${numel(shape)} values, got ${flat.length}`);
    if (dtype !== 'float32' && dtype !== 'float64' && dtype !== 'bool') {
      for (const v of flat) if (typeof v === 'number' && !Number.isInteger(v)) throw new StrataError(op, `value ${v} is not an integer, but dtype is ${dtype}`);
    }
    typed = toTyped(flat, dtype);
  }
  return finish(wrap(backend, backend.fromData(typed, shape, dtype), shape, dtype), opts, op);
}

/** A 0-d tensor holding one number. */
export function scalarTensor(value: number, opts: TensorOptions = {}): Tensor {
  return full([], value, opts);
}

function shapeArg(op: string, shape: number | readonly number[]): number[] {
  return typeof shape === 'number' ? checkShape(op, [shape]) : checkShape(op, shape);
}

export function full(shape: number | readonly number[], value: number, opts: TensorOptions = {}): Tensor {
  return fullImpl('full', shape, value, opts);
}
function fullImpl(op: string, shape: number | readonly number[], value: number, opts: TensorOptions): Tensor {
  const s = shapeArg(op, shape);
  const dtype = checkDType(op, opts.dtype ?? 'float32');
  const backend = resolveBackend(opts.backend, opts.device);
  // NOTE: the js backend holds a tensor in one typed array; native allocates through ATen, which reports its own failures.
  if (backend.name === 'js') checkNumel(op, numel(s), `shape ${fmtShape(s)}`);
  return finish(wrap(backend, backend.full(s, value, dtype), s, dtype), opts, op);
}
export function zeros(shape: number | readonly number[], opts: TensorOptions = {}): Tensor {
  return fullImpl('zeros', shape, 0, opts);
}
export function ones(shape: number | readonly number[], opts: TensorOptions = {}): Tensor {
  return fullImpl('ones', shape, 1, opts);
}
/** Like-constructors keep the reference's dtype and backend unless overridden. */
export function fullLike(t: Tensor, value: number, opts: TensorOptions = {}): Tensor {
  return full(t.shape, value, { dtype: t.dtype, backend: t.backend, ...opts });
}
export function zerosLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return fullLike(t, 0, opts);
}
export function onesLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return fullLike(t, 1, opts);
}

/** Values start, start+step, … < end. `arange(5)` is [0..4]; integer arguments give int64 unless dtype says otherwise. */
export function arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (step === 0 || !Number.isFinite(step)) throw new StrataError('arange', `step must be a non-zero finite number, got ${step}`);
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new StrataError('arange', `start and end must be finite numbers, got start=${start}, end=${end}`);
  const n = checkNumel('arange', Math.max(0, Math.ceil((end - start) / step)), `the range from ${start} to ${end} by ${step}`);
  const dtype = opts.dtype ?? (Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step) ? 'int64' : 'float32');
  const vals = new Float64Array(n);
  for (let i = 0; i < n; i++) vals[i] = start + i * step;
  return tensor(toTyped(vals, dtype), { ...opts, dtype, shape: [n] });
}

/** `steps` values evenly spaced from start to end inclusive. */
export function linspace(start: number, end: number, steps: number, opts: TensorOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new StrataError('linspace', `steps must be a non-negative integer, got ${steps}`);
  checkNumel('linspace', steps, `steps=${steps}`);
  const vals = new Float64Array(steps);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  // NOTE: the second half counts back from `end`, as PyTorch does, so the last value is exactly `end`.
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) vals[i] = i < half ? start + step * i : end - step * (steps - 1 - i);
  if (steps === 1) vals[0] = start;
  const dtype = opts.dtype ?? 'float32';
  return tensor(toTyped(vals, dtype), { ...opts, dtype, shape: [steps] });
}

/** The n×m identity. */
export function eye(n: number, m = n, opts: TensorOptions = {}): Tensor {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(m) || m < 0) throw new StrataError('eye', `n and m must be non-negative integers, got n=${n}, m=${m}`);
  checkNumel('eye', n * m, `the ${n}×${m} identity`);
  const dtype = opts.dtype ?? 'float32';
  const vals = new Float64Array(n * m);
  for (let i = 0; i < Math.min(n, m); i++) vals[i * m + i] = 1;
  return tensor(toTyped(vals, dtype), { ...opts, dtype, shape: [n, m] });
}

function randomFill(op: string, shape: number | readonly number[], opts: RandomOptions, sample: (g: Generator) => number, defaultDtype: DType): Tensor {
  const s = shapeArg(op, shape);
  const dtype = checkDType(op, opts.dtype ?? defaultDtype);
  const g = opts.generator ?? defaultGenerator;
  const n = checkNumel(op, numel(s), `shape ${fmtShape(s)}`);
  const vals = allocTyped(dtype === 'int64' ? 'float64' : dtype, n) as Float32Array | Float64Array | Int32Array | Uint8Array;
  for (let i = 0; i < n; i++) vals[i] = sample(g);
  return tensor(dtype === 'int64' ? toTyped(vals, 'int64') : vals, { ...opts, dtype, shape: s });
}

/** Uniform samples in [0, 1). */
export function rand(shape: number | readonly number[], opts: RandomOptions = {}): Tensor {
  if (opts.dtype && !isFloating(opts.dtype)) throw new StrataError('rand', `dtype must be floating point, got ${opts.dtype}`);
  return randomFill('rand', shape, opts, opts.dtype === 'float64' ? (g) => g.random() : (g) => g.random24(), 'float32');
}
/** Standard normal samples. */
export function randn(shape: number | readonly number[], opts: RandomOptions = {}): Tensor {
  if (opts.dtype && !isFloating(opts.dtype)) throw new StrataError('randn', `dtype must be floating point, got ${opts.dtype}`);
  return randomFill('randn', shape, opts, (g) => g.normal(), 'float32');
}
/** Uniform integers in [low, high); int64 by default. */
export function randint(low: number, high: number, shape: number | readonly number[], opts: RandomOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) throw new StrataError('randint', `need integers low < high, got low=${low}, high=${high}`);
  return randomFill('randint', shape, opts, (g) => g.randint(low, high), 'int64');
}
/** A random permutation of 0..n-1 (int64). */
export function randperm(n: number, opts: RandomOptions = {}): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new StrataError('randperm', `n must be a non-negative integer, got ${n}`);
  checkNumel('randperm', n, `n=${n}`);
  const g = opts.generator ?? defaultGenerator;
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = g.randint(0, i + 1);
    const t = p[i]; p[i] = p[j]; p[j] = t;
  }
  const dtype = opts.dtype ?? 'int64';
  return tensor(toTyped(p, dtype), { ...opts, dtype, shape: [n] });
}
export function randLike(t: Tensor, opts: RandomOptions = {}): Tensor {
  return rand(t.shape, { dtype: t.dtype, backend: t.backend, ...opts });
}
export function randnLike(t: Tensor, opts: RandomOptions = {}): Tensor {
  return randn(t.shape, { dtype: t.dtype, backend: t.backend, ...opts });
}
