// The Tensor: a handle to backend storage with shape, dtype and autograd state; methods delegate to src/ops.
import type { Backend, Handle } from '../backends/backend.js';
import type { Node } from '../autograd/graph.js';
import { savedTensors } from '../autograd/graph.js';
import { runBackward, type BackwardOptions } from '../autograd/engine.js';
import * as ops from '../ops/index.js';
import type { DType, TypedArray } from './dtype.js';
import { isFloating } from './dtype.js';
import { StrataError, fmtShape } from './errors.js';
import { _wire, rebound, track, untrack } from './memory.js';
import { isDeviceString, type Device, type DeviceLike } from './device.js';
import type { Shape } from './shape.js';
import { numel } from './shape.js';
import { formatTensor } from './print.js';

/** Shared by a tensor and its views: bumped by every in-place op, checked by backward. */
export interface VersionCounter { v: number }

export type Scalar = number;
export type TensorOrScalar = Tensor | number;
export type NestedArray = number | boolean | NestedArray[];

/**
 * An n-dimensional array on a backend, with reverse-mode autograd.
 * @example
 * const x = st.tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * x.mul(x).sum().backward();   // x.grad = 2x
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** The kernels and the device this tensor's storage lives on (changes only by Module.to's in-place move). */
  backend: Backend;
  /** Whether gradients flow to this tensor. Settable on leaves (tensors no op produced). */
  requiresGrad = false;
  /** Accumulated gradient, after backward(). */
  grad: Tensor | null = null;
  /** The op that produced this tensor, for autograd; null for leaves. */
  gradFn: Node | null = null;
  /** Set on module parameters (see nn.Parameter): modules find their parameters by it. */
  isParameter = false;
  /** @internal */ _handle: Handle;
  /** @internal */ _isView: boolean;
  private versionCounter: VersionCounter | null;
  private viewBase: Tensor | null;
  /** @internal */ _outputNr = 0;
  /** @internal */ _accumulator: Node | null = null;
  /** @internal the scope that will dispose this tensor (null: the finalizer will). */
  _scope: object | null = null;
  /** @internal registered with the finalizer. */
  _finalized = false;
  private disposed = false;

  /** @internal Use the creation functions (st.tensor, st.zeros, …). */
  constructor(backend: Backend, handle: Handle, shape: readonly number[], dtype: DType, viewOf?: Tensor) {
    this.backend = backend;
    this._handle = handle;
    this.shape = shape;
    this.dtype = dtype;
    this._isView = viewOf !== undefined;
    // NOTE: the version counter is made on first use (most tensors never need one); a view shares its base's.
    this.versionCounter = null;
    this.viewBase = viewOf ?? null;
    track(this);
  }

  /** @internal Shared by a tensor and its views: bumped by in-place ops, checked by backward. */
  get _version(): VersionCounter {
    if (this.versionCounter === null) {
      this.versionCounter = this.viewBase ? this.viewBase._version : { v: 0 };
      this.viewBase = null;
    }
    return this.versionCounter;
  }

  /** @internal The backend handle; throws if the tensor was disposed. */
  get handle(): Handle {
    if (this.disposed) throw disposedError(this);
    return this._handle;
  }

  /** Where the storage lives: cpu or cuda:N (as torch's tensor.device). */
  get device(): Device {
    return this.backend.device;
  }
  /** True for tensors on a CUDA device. */
  get isCuda(): boolean {
    return this.backend.device.type === 'cuda';
  }

  /**
   * @internal Moves this tensor's storage in place to `backend` (Module.to: parameters keep their identity,
   * so optimizers holding them follow). Frees the old storage; the gradient moves too.
   */
  _rebind(backend: Backend, handle: Handle): void {
    this.checkAlive('to');
    const old = this.backend, oldHandle = this._handle;
    this.backend = backend;
    this._handle = handle;
    this._isView = false;
    rebound(this);
    old.free(oldHandle);
    if (this.grad) {
      const g = this.grad;
      this.grad = ops.toDevice(g, backend);
      if (this.grad !== g) g.dispose();
    }
  }

  get ndim(): number {
    return this.shape.length;
  }
  /** Number of dimensions (as torch's dim()). */
  dim(): number {
    return this.shape.length;
  }
  get numel(): number {
    return numel(this.shape);
  }
  /** The shape, or the size of one dimension. */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    if (dim === undefined) return this.shape.slice();
    const d = dim < 0 ? dim + this.shape.length : dim;
    if (d < 0 || d >= this.shape.length) throw new StrataError('size', `dimension ${dim} out of range for shape ${fmtShape(this.shape)}`);
    return this.shape[d];
  }
  get isLeaf(): boolean {
    return this.gradFn === null;
  }
  get isDisposed(): boolean {
    return this.disposed;
  }

  // ---- memory

  /** Frees the storage now (and the gradient's). Using the tensor afterwards throws. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    untrack(this);
    this.backend.free(this._handle);
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- read back

  /** A row-major copy of the values: Float32Array, Float64Array, Int32Array, BigInt64Array (int64) or Uint8Array (bool). */
  data(): TypedArray {
    return this.backend.read(this.checkAlive('data'));
  }
  /** The values as nested JS arrays (int64 as numbers, bool as booleans). */
  toArray(): NestedArray {
    const flat = this.data();
    const conv: (v: number | bigint) => number | boolean = this.dtype === 'bool' ? (v) => v !== 0 : (v) => Number(v);
    const build = (dim: number, off: number): NestedArray => {
      if (dim === this.shape.length) return conv(flat[off]);
      const n = this.shape[dim];
      let stride = 1;
      for (let i = dim + 1; i < this.shape.length; i++) stride *= this.shape[i];
      const out: NestedArray[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = build(dim + 1, off + i * stride);
      return out;
    };
    return build(0, 0);
  }
  /** The value of a one-element tensor. */
  item(): number {
    if (this.numel !== 1) throw new StrataError('item', `only one-element tensors can be converted to a number; this one has shape ${fmtShape(this.shape)}`);
    return Number(this.data()[0]);
  }
  /** A flat list of the values as numbers. */
  tolist(): number[] {
    return Array.from(this.data() as ArrayLike<number | bigint>, (v) => Number(v));
  }

  toString(): string {
    return formatTensor(this);
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.isDisposed ? `Tensor(disposed, shape=${fmtShape(this.shape)}, dtype=${this.dtype})` : formatTensor(this);
  }

  // ---- autograd

  /** Computes gradients of this tensor with respect to the graph's leaves (scalar tensors need no `gradient`). */
  backward(gradient?: Tensor, opts?: BackwardOptions): void {
    let g = gradient;
    if (!g) {
      if (this.numel !== 1) throw new StrataError('backward', `grad can be implicitly created only for scalar outputs; this tensor has shape ${fmtShape(this.shape)}: pass a gradient of that shape`);
      g = ops.onesLike(this);
    } else if (g.shape.join() !== this.shape.join()) {
      throw new StrataError('backward', `gradient of shape ${fmtShape(g.shape)} does not match the tensor's shape ${fmtShape(this.shape)}`);
    }
    runBackward([this], [g], opts);
  }
  /** Sets requiresGrad in place (leaves only) and returns this. */
  requiresGrad_(on = true): this {
    if (!this.isLeaf && !on) throw new StrataError('requiresGrad_', 'can only change requiresGrad of leaf tensors; use detach() to get a tensor without history');
    if (on && !isFloating(this.dtype)) throw new StrataError('requiresGrad_', `only floating-point tensors can require gradients; this one is ${this.dtype}`);
    this.requiresGrad = on;
    return this;
  }
  /** A tensor sharing storage, cut from the graph. */
  detach(): Tensor {
    return ops.detach(this);
  }
  /** Sets .grad to null, disposing it. */
  zeroGrad(): void {
    if (this.grad) this.grad.dispose();
    this.grad = null;
  }

  /** @internal */
  checkAlive(op: string): this {
    if (this.disposed) throw disposedError(this, op);
    return this;
  }

  // ---- conversion
  /**
   * A copy on another device ('cpu', 'cuda', 'cuda:1', st.device(…)) or backend ('js', 'native'), or
   * converted to a dtype; this tensor itself when nothing changes. Differentiable.
   * nonBlocking: an asynchronous host↔device copy (from pinned memory, as torch's non_blocking).
   * @example const g = x.to('cuda'); const h = g.to('float64');
   */
  to(target: DType | 'js' | 'native' | DeviceLike, opts: { nonBlocking?: boolean } = {}): Tensor {
    if (target === 'js' || target === 'native') return ops.toBackend(this, target);
    if (typeof target !== 'string' || isDeviceString(target)) return ops.toDevice(this, target, opts);
    return ops.cast(this, target as DType);
  }
  /** A copy on CUDA device `index` (default: cuda:0, or the current CUDA device). */
  cuda(index?: number): Tensor {
    return ops.toDevice(this, index === undefined ? 'cuda' : `cuda:${index}`);
  }
  /** A copy on the CPU (this tensor when it is there). */
  cpu(): Tensor {
    return ops.toDevice(this, 'cpu');
  }
  /** A copy in page-locked host memory, for asynchronous copies to a GPU (CPU tensors of a CUDA build). */
  pinMemory(): Tensor {
    return ops.pinMemory(this);
  }
  /** Whether the storage is page-locked host memory. */
  isPinned(): boolean {
    return this.backend.isPinned?.(this.checkAlive('isPinned')) ?? false;
  }
  float(): Tensor { return ops.cast(this, 'float32'); }
  double(): Tensor { return ops.cast(this, 'float64'); }
  int(): Tensor { return ops.cast(this, 'int32'); }
  long(): Tensor { return ops.cast(this, 'int64'); }
  bool(): Tensor { return ops.cast(this, 'bool'); }
  clone(): Tensor { return ops.clone(this); }
  contiguous(): Tensor { return ops.contiguous(this); }

  // ---- elementwise arithmetic
  add(other: TensorOrScalar, alpha?: number): Tensor { return ops.add(this, other, alpha); }
  sub(other: TensorOrScalar, alpha?: number): Tensor { return ops.sub(this, other, alpha); }
  mul(other: TensorOrScalar): Tensor { return ops.mul(this, other); }
  div(other: TensorOrScalar): Tensor { return ops.div(this, other); }
  pow(exponent: TensorOrScalar): Tensor { return ops.pow(this, exponent); }
  maximum(other: TensorOrScalar): Tensor { return ops.maximum(this, other); }
  minimum(other: TensorOrScalar): Tensor { return ops.minimum(this, other); }
  remainder(other: TensorOrScalar): Tensor { return ops.remainder(this, other); }
  floorDivide(other: TensorOrScalar): Tensor { return ops.floorDivide(this, other); }
  neg(): Tensor { return ops.neg(this); }
  exp(): Tensor { return ops.exp(this); }
  log(): Tensor { return ops.log(this); }
  log1p(): Tensor { return ops.log1p(this); }
  expm1(): Tensor { return ops.expm1(this); }
  sqrt(): Tensor { return ops.sqrt(this); }
  rsqrt(): Tensor { return ops.rsqrt(this); }
  square(): Tensor { return ops.square(this); }
  abs(): Tensor { return ops.abs(this); }
  sign(): Tensor { return ops.sign(this); }
  reciprocal(): Tensor { return ops.reciprocal(this); }
  sin(): Tensor { return ops.sin(this); }
  cos(): Tensor { return ops.cos(this); }
  erf(): Tensor { return ops.erf(this); }
  floor(): Tensor { return ops.floor(this); }
  ceil(): Tensor { return ops.ceil(this); }
  round(): Tensor { return ops.round(this); }
  trunc(): Tensor { return ops.trunc(this); }
  clamp(min?: number | null, max?: number | null): Tensor { return ops.clamp(this, min, max); }
  clip(min?: number | null, max?: number | null): Tensor { return ops.clamp(this, min, max); }

  // ---- activations
  tanh(): Tensor { return ops.tanh(this); }
  sigmoid(): Tensor { return ops.sigmoid(this); }
  relu(): Tensor { return ops.relu(this); }
  leakyRelu(negativeSlope?: number): Tensor { return ops.leakyRelu(this, negativeSlope); }
  elu(alpha?: number): Tensor { return ops.elu(this, alpha); }
  gelu(approximate?: 'none' | 'tanh'): Tensor { return ops.gelu(this, approximate); }
  silu(): Tensor { return ops.silu(this); }
  softplus(beta?: number, threshold?: number): Tensor { return ops.softplus(this, beta, threshold); }
  softmax(dim: number): Tensor { return ops.softmax(this, dim); }
  logSoftmax(dim: number): Tensor { return ops.logSoftmax(this, dim); }

  // ---- comparisons and selection
  eq(other: TensorOrScalar): Tensor { return ops.eq(this, other); }
  ne(other: TensorOrScalar): Tensor { return ops.ne(this, other); }
  lt(other: TensorOrScalar): Tensor { return ops.lt(this, other); }
  le(other: TensorOrScalar): Tensor { return ops.le(this, other); }
  gt(other: TensorOrScalar): Tensor { return ops.gt(this, other); }
  ge(other: TensorOrScalar): Tensor { return ops.ge(this, other); }
  logicalNot(): Tensor { return ops.logicalNot(this); }
  logicalAnd(other: Tensor): Tensor { return ops.logicalAnd(this, other); }
  logicalOr(other: Tensor): Tensor { return ops.logicalOr(this, other); }
  isnan(): Tensor { return ops.isnan(this); }
  /** Elementwise select: where this (bool) is true take a, else b. */
  where(a: TensorOrScalar, b: TensorOrScalar): Tensor { return ops.where(this, a, b); }
  maskedFill(mask: Tensor, value: number): Tensor { return ops.maskedFill(this, mask, value); }
  allclose(other: Tensor, rtol?: number, atol?: number): boolean { return ops.allclose(this, other, rtol, atol); }
  equal(other: Tensor): boolean { return ops.equal(this, other); }

  // ---- reductions
  sum(dim?: number | number[] | null, keepdim?: boolean): Tensor { return ops.sum(this, dim, keepdim); }
  mean(dim?: number | number[] | null, keepdim?: boolean): Tensor { return ops.mean(this, dim, keepdim); }
  prod(dim?: number | null, keepdim?: boolean): Tensor { return ops.prod(this, dim, keepdim); }
  var(dim?: number | number[] | null, opts?: { correction?: number; keepdim?: boolean }): Tensor { return ops.variance(this, dim, opts); }
  std(dim?: number | number[] | null, opts?: { correction?: number; keepdim?: boolean }): Tensor { return ops.std(this, dim, opts); }
  /** Maximum over all elements; with dim, { values, indices } along it. */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  max(dim?: number, keepdim?: boolean): Tensor | { values: Tensor; indices: Tensor } {
    return dim === undefined ? ops.amax(this) : ops.maxDim(this, dim, keepdim);
  }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  min(dim?: number, keepdim?: boolean): Tensor | { values: Tensor; indices: Tensor } {
    return dim === undefined ? ops.amin(this) : ops.minDim(this, dim, keepdim);
  }
  amax(dim?: number | number[] | null, keepdim?: boolean): Tensor { return ops.amax(this, dim, keepdim); }
  amin(dim?: number | number[] | null, keepdim?: boolean): Tensor { return ops.amin(this, dim, keepdim); }
  argmax(dim?: number | null, keepdim?: boolean): Tensor { return ops.argmax(this, dim, keepdim); }
  argmin(dim?: number | null, keepdim?: boolean): Tensor { return ops.argmin(this, dim, keepdim); }
  logsumexp(dim: number | number[], keepdim?: boolean): Tensor { return ops.logsumexp(this, dim, keepdim); }
  cumsum(dim: number): Tensor { return ops.cumsum(this, dim); }
  all(dim?: number | number[] | null, keepdim?: boolean): Tensor { return ops.all(this, dim, keepdim); }
  any(dim?: number | number[] | null, keepdim?: boolean): Tensor { return ops.any(this, dim, keepdim); }
  norm(p?: number, dim?: number | number[] | null, keepdim?: boolean): Tensor { return ops.norm(this, p, dim, keepdim); }
  topk(k: number, dim?: number, largest?: boolean, sorted?: boolean): { values: Tensor; indices: Tensor } { return ops.topk(this, k, dim, largest, sorted); }
  sort(dim?: number, descending?: boolean): { values: Tensor; indices: Tensor } { return ops.sort(this, dim, descending); }

  // ---- linear algebra
  matmul(other: Tensor): Tensor { return ops.matmul(this, other); }
  mm(other: Tensor): Tensor { return ops.mm(this, other); }
  bmm(other: Tensor): Tensor { return ops.bmm(this, other); }

  // ---- shape
  reshape(...shape: number[] | [readonly number[]]): Tensor { return ops.reshape(this, flatArgs(shape)); }
  view(...shape: number[] | [readonly number[]]): Tensor { return ops.view(this, flatArgs(shape)); }
  permute(...dims: number[] | [readonly number[]]): Tensor { return ops.permute(this, flatArgs(dims)); }
  transpose(dim0: number, dim1: number): Tensor { return ops.transpose(this, dim0, dim1); }
  /** Transpose of a 2-D tensor (or 0/1-D as is). */
  t(): Tensor { return ops.t(this); }
  /** Transpose of the last two dimensions. */
  get mT(): Tensor { return ops.transpose(this, -2, -1); }
  squeeze(dim?: number | number[]): Tensor { return ops.squeeze(this, dim); }
  unsqueeze(dim: number): Tensor { return ops.unsqueeze(this, dim); }
  flatten(startDim?: number, endDim?: number): Tensor { return ops.flatten(this, startDim, endDim); }
  unflatten(dim: number, sizes: readonly number[]): Tensor { return ops.unflatten(this, dim, sizes); }
  expand(...shape: number[] | [readonly number[]]): Tensor { return ops.expand(this, flatArgs(shape)); }
  expandAs(other: Tensor): Tensor { return ops.expand(this, other.shape); }
  repeat(...reps: number[] | [readonly number[]]): Tensor { return ops.repeat(this, flatArgs(reps)); }
  /** Elements [start, end) with step along dim (negative start/end count from the end). */
  slice(dim: number, start?: number | null, end?: number | null, step?: number): Tensor { return ops.slice(this, dim, start, end, step); }
  narrow(dim: number, start: number, length: number): Tensor { return ops.narrow(this, dim, start, length); }
  /** The index-th slice along dim, with dim removed (as x[index] for dim 0). */
  select(dim: number, index: number): Tensor { return ops.select(this, dim, index); }
  split(sizeOrSections: number | readonly number[], dim?: number): Tensor[] { return ops.split(this, sizeOrSections, dim); }
  chunk(chunks: number, dim?: number): Tensor[] { return ops.chunk(this, chunks, dim); }
  unbind(dim?: number): Tensor[] { return ops.unbind(this, dim); }
  flip(dims: number | readonly number[]): Tensor { return ops.flip(this, dims); }

  // ---- indexing
  indexSelect(dim: number, index: Tensor): Tensor { return ops.indexSelect(this, dim, index); }
  gather(dim: number, index: Tensor): Tensor { return ops.gather(this, dim, index); }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return ops.scatterAdd(this, dim, index, src); }
  indexAdd(dim: number, index: Tensor, src: Tensor): Tensor { return ops.indexAdd(this, dim, index, src); }

  // ---- in place (no autograd through leaves that require grad)
  copy_(src: Tensor): this { ops.copyInPlace(this, src); return this; }
  fill_(value: number): this { ops.fillInPlace(this, value); return this; }
  zero_(): this { ops.fillInPlace(this, 0); return this; }
  add_(other: TensorOrScalar, alpha = 1): this { ops.addInPlace(this, other, alpha); return this; }
  sub_(other: TensorOrScalar, alpha = 1): this { ops.addInPlace(this, other, -alpha); return this; }
  mul_(other: TensorOrScalar): this { ops.mulInPlace(this, other); return this; }
}

function flatArgs(a: number[] | [readonly number[]]): number[] {
  return a.length === 1 && Array.isArray(a[0]) ? (a[0] as number[]).slice() : (a as number[]);
}

function disposedError(t: Tensor, op = 'tensor'): StrataError {
  return new StrataError(op, `tensor of shape ${fmtShape(t.shape)} (${t.dtype}) was disposed; it was freed by dispose(), a using block, or the st.tidy() it was made in (return it from the scope or st.keep() it to use it afterwards)`);
}

export function isTensor(v: unknown): v is Tensor {
  return v instanceof Tensor;
}

_wire(isTensor, savedTensors);
