// Data types, their storage arrays, and PyTorch's type-promotion rules.
import { StrataError } from './errors.js';

/**
 * bfloat16 and float16 are the reduced-precision floats of mixed-precision training (st.autocast); they need
 * the native backend, and their values read back (`data()`) as a Float32Array.
 */
export type DType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'bfloat16' | 'float16';
export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'int64', 'bool', 'bfloat16', 'float16'];

/** The typed array a tensor's values are read back into (`Tensor.data()`). */
export type TypedArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
/** Typed arrays that hold numbers (everything but BigInt64Array). */
export type NumericArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export const ITEMSIZE: Record<DType, number> = { float32: 4, float64: 8, int32: 4, int64: 8, bool: 1, bfloat16: 2, float16: 2 };

export function isFloating(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'bfloat16' || d === 'float16';
}
/** bfloat16 or float16. */
export function isReducedFloat(d: DType): boolean {
  return d === 'bfloat16' || d === 'float16';
}
export function isIntegral(d: DType): boolean {
  return d === 'int32' || d === 'int64';
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, int64: 2, bfloat16: 3, float16: 3, float32: 4, float64: 5 };

/** Result dtype of combining two tensors (PyTorch's promote_types for the dtypes strata has). */
export function promoteTypes(a: DType, b: DType): DType {
  // NOTE: neither half format holds the other: bfloat16 with float16 gives float32, as in PyTorch
  if (RANK[a] === 3 && RANK[b] === 3 && a !== b) return 'float32';
  return RANK[a] >= RANK[b] ? a : b;
}

/** The category-aware promotion of a tensor with a JS number (a "weak" scalar, as in PyTorch):
 * the tensor keeps its dtype unless the scalar is of a higher category (float into int, number into bool). */
export function promoteWithScalar(t: DType, s: number | boolean): DType {
  if (typeof s === 'boolean') return t;
  if (!Number.isInteger(s) || !Number.isFinite(s)) return isFloating(t) ? t : 'float32';
  return t === 'bool' ? 'int64' : t;
}

export function checkDType(op: string, d: unknown): DType {
  if (typeof d === 'string' && (DTYPES as readonly string[]).includes(d)) return d as DType;
  throw new StrataError(op, `unknown dtype ${JSON.stringify(d)}; expected one of ${DTYPES.join(', ')}`);
}

/** Allocates the typed array a dtype is read back into. */
export function allocTyped(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'int32': return new Int32Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'bool': return new Uint8Array(n);
    case 'bfloat16': case 'float16': return new Float32Array(n);
  }
}

/** The dtype a typed array maps to when a tensor is built from it. */
export function dtypeOfTyped(a: ArrayBufferView): DType | null {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Uint8Array) return 'bool';
  return null;
}
