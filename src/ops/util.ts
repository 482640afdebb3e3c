// Helpers shared by the op files: wrapping handles, checking operands, summing broadcast gradients.
import type { Backend, Handle } from '../backends/backend.js';
import { getBackend } from '../backends/registry.js';
import { isFloating, type DType } from '../tensor/dtype.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import type { Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/** Wraps a kernel's result. Pass `viewOf` when the handle shares storage with that tensor. */
export function wrap(backend: Backend, handle: Handle, shape: Shape, dtype: DType, viewOf?: Tensor): Tensor {
  // NOTE: shapes are never mutated after a tensor is made, so tensors may share one shape array.
  return new Tensor(backend, handle, shape, dtype, viewOf);
}

/** The backend all tensor operands share; throws naming the op when they differ. */
export function backendOf(op: string, ...xs: (Tensor | number | null | undefined)[]): Backend {
  let b: Backend | null = null;
  for (const x of xs) {
    if (x instanceof Tensor) {
      x.checkAlive(op);
      if (b === null) b = x.backend;
      else if (b !== x.backend) throw mismatch(op, b, x.backend);
    }
  }
  return b ?? getBackend();
}

/** The error for operands on different backends or devices. */
export function mismatch(op: string, a: Backend, b: Backend): StrataError {
  if (a.name === b.name) {
    return new StrataError(op, `expected all tensors on the same device, but found ${a.device} and ${b.device}; move one with .to('${a.device}')`);
  }
  const where = a.device.equals(b.device) ? '' : ` (${a.name} on ${a.device}, ${b.name} on ${b.device})`;
  return new StrataError(op, `tensors are on different backends (${a.name} and ${b.name}); move one with .to('${a.name}')${where}`);
}

export function expectTensor(op: string, name: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new StrataError(op, `expected ${name} to be a Tensor, got ${describe(x)}`);
  return x.checkAlive(op);
}

export function describe(x: unknown): string {
  if (x instanceof Tensor) return `Tensor${fmtShape(x.shape)} ${x.dtype}`;
  if (Array.isArray(x)) return 'an array';
  if (x === null) return 'null';
  return typeof x;
}

/** Floating-point operands: float32 or float64 (bfloat16 and float16 too, which only the native backend makes). */
export function expectFloat(op: string, x: Tensor, name = 'input'): void {
  if (!isFloating(x.dtype)) {
    throw new StrataError(op, `expected ${name} to be float32 or float64, got ${x.dtype}${fmtShape(x.shape)}; convert with .float()`);
  }
}

export function expectIndex(op: string, x: Tensor, name = 'index'): void {
  if (x.dtype !== 'int64' && x.dtype !== 'int32') {
    throw new StrataError(op, `expected ${name} to be an int64 (or int32) tensor, got ${x.dtype}${fmtShape(x.shape)}; convert with .long()`);
  }
}

export function expectInt(op: string, name: string, v: unknown, min = -Infinity): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new StrataError(op, `expected ${name} to be an integer${min > -Infinity ? ` >= ${min}` : ''}, got ${String(v)}`);
  }
  return v;
}

/** Expands an int or a list to `n` ints (kernel sizes, strides, paddings). */
export function expandParam(op: string, name: string, v: number | readonly number[], n: number, min = 0): number[] {
  const list = typeof v === 'number' ? new Array<number>(n).fill(v) : v.slice();
  if (list.length === 1 && n > 1) while (list.length < n) list.push(list[0]);
  if (list.length !== n || list.some((x) => !Number.isInteger(x) || x < min)) {
    throw new StrataError(op, `expected ${name} to be an integer >= ${min} or a list of ${n}, got ${JSON.stringify(v)}`);
  }
  return list;
}
