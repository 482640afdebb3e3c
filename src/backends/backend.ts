// The kernel interface every backend implements: allocate, read back, run a kernel on handles.
// The op layer (src/ops) validates arguments, infers shapes and dtypes and records autograd;
// a backend only computes. Kernels never see autograd and never return a shape.
import type { DType, TypedArray } from '../tensor/dtype.js';
import type { Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Device } from '../tensor/device.js';

export type BackendName = 'js' | 'native';

/** An opaque reference to backend storage: a slot number for native, a strided view for js. */
export type Handle = unknown;

export type UnaryOp =
  | 'neg' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'abs' | 'sign' | 'tanh' | 'sigmoid' | 'relu'
  | 'gelu' | 'geluTanh' | 'silu' | 'sin' | 'cos' | 'floor' | 'ceil' | 'round' | 'trunc' | 'reciprocal'
  | 'log1p' | 'expm1' | 'erf' | 'square' | 'logicalNot' | 'isnan' | 'isinf';

export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'remainder' | 'floorDivide' | 'atan2'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'logicalAnd' | 'logicalOr' | 'logicalXor';

/** Activations whose backward has a dedicated kernel. `relu`, `gelu`, `geluTanh`, `silu` take the
 * forward input x; `tanh` and `sigmoid` take the forward output y. */
export type ActivationOp = 'relu' | 'tanh' | 'sigmoid' | 'gelu' | 'geluTanh' | 'silu';

export type ReduceOp = 'sum' | 'mean' | 'prod' | 'amax' | 'amin' | 'all' | 'any';
export type Reduction = 'none' | 'mean' | 'sum';

type H = Handle;
type T = Tensor;
type Grads3 = [H | null, H | null, H | null];
type RnnGrads6 = [H | null, H, H | null, H | null, H | null, H | null];
type RnnGrads7 = [H | null, H, H, H | null, H | null, H | null, H | null];

export interface BackendInfo {
  name: BackendName;
  /** libtorch/ATen version for native, null for js. */
  atenVersion: string | null;
  threads: number;
  detail?: string;
}

/**
 * A kernel backend. Inputs are Tensors of this backend (any strides); outputs are new handles
 * the op layer wraps. Shapes and dtypes passed in (`outShape`, `outDtype`) are already validated.
 */
export interface Backend {
  readonly name: BackendName;
  /**
   * Where this backend's tensors live. One backend object serves one device (the native kernels on
   * CPU and on each CUDA device are separate objects), so a tensor's device is its backend's and ops
   * on operands of different devices are refused like operands of different backends.
   */
  readonly device: Device;
  info(): BackendInfo;
  setNumThreads(n: number): void;
  /** Live storage on this backend: tensors and bytes. */
  stats(): { tensors: number; bytes: number };

  // ---- memory and conversion
  /** Copies `data` (canonical typed array of `dtype`, row-major) into a new tensor. */
  fromData(data: TypedArray, shape: Shape, dtype: DType): H;
  /** A row-major copy of x's values, in the canonical typed array of x.dtype. */
  read(x: T): TypedArray;
  free(h: H): void;
  /**
   * Tells the garbage collector about the memory of these tensors, now owned by the finalizer (backends
   * whose storage lives outside the JS heap; tensors in scopes or disposed at once are never reported).
   */
  trackExternal?(hs: H[]): void;
  full(shape: Shape, value: number, dtype: DType): H;
  cast(x: T, dtype: DType): H;
  /** A new row-major tensor with x's values. */
  contiguous(x: T): H;
  /**
   * x copied to `device` (a backend of the same kernel library on that device wraps the handle); x's own
   * handle when it is there already. nonBlocking: asynchronous host↔device copies (from pinned memory).
   */
  toDevice?(x: T, device: Device, nonBlocking: boolean): H;
  /** A copy of CPU tensor x in page-locked memory, for asynchronous copies to a GPU. */
  pinMemory?(x: T): H;
  isPinned?(x: T): boolean;

  // ---- views: share x's storage
  /** x viewed as `shape`, or null when x's strides do not allow it without a copy. */
  view(x: T, shape: Shape): H | null;
  permute(x: T, dims: readonly number[]): H;
  expand(x: T, shape: Shape): H;
  /** Elements start, start+step, … < end along dim (0 <= start <= end <= size, step >= 1). */
  slice(x: T, dim: number, start: number, end: number, step: number): H;

  // ---- in place (the op layer checks autograd and bumps versions)
  /** dst ← src (src broadcast to dst's shape, converted to dst's dtype). */
  copy_(dst: T, src: T): void;
  fill_(dst: T, value: number): void;
  /** dst ← dst + alpha·src (src broadcast to dst). */
  add_(dst: T, src: T | number, alpha: number): void;
  /** dst ← dst · s. */
  mul_(dst: T, s: T | number): void;

  // ---- elementwise
  unary(op: UnaryOp, x: T, outDtype: DType): H;
  /** At least one of a, b is a tensor; numbers broadcast as scalars. */
  binary(op: BinaryOp, a: T | number, b: T | number, outShape: Shape, outDtype: DType): H;
  where(cond: T, a: T | number, b: T | number, outShape: Shape, outDtype: DType): H;
  clamp(x: T, min: number | null, max: number | null): H;
  leakyRelu(x: T, slope: number): H;
  elu(x: T, alpha: number): H;
  softplus(x: T, beta: number, threshold: number): H;
  activationBackward(op: ActivationOp, g: T, saved: T): H;
  leakyReluBackward(g: T, x: T, slope: number): H;
  eluBackward(g: T, x: T, alpha: number): H;
  softplusBackward(g: T, x: T, beta: number, threshold: number): H;

  // ---- reductions (dims sorted, unique, non-empty unless x is 0-d)
  reduce(op: ReduceOp, x: T, dims: readonly number[], keepdim: boolean, outDtype: DType): H;
  variance(x: T, dims: readonly number[], correction: number, keepdim: boolean): H;
  /** max/min along one dim: [values, int64 indices]. */
  reduceWithIndex(op: 'max' | 'min', x: T, dim: number, keepdim: boolean): [H, H];
  logsumexp(x: T, dims: readonly number[], keepdim: boolean): H;
  cumsum(x: T, dim: number, outDtype: DType): H;
  /** [values, int64 indices] of the k largest (or smallest) along dim. */
  topk(x: T, k: number, dim: number, largest: boolean, sorted: boolean): [H, H];
  sort(x: T, dim: number, descending: boolean): [H, H];
  /** Gradient of max/min along dim, topk and sort: zeros of `shape` with g put at `indices` along dim
   * (g and indices have `shape`'s rank when keepdim, else lack dim). ATen: value_selecting_reduction_backward. */
  valueSelectingBackward(g: T, dim: number, indices: T, shape: Shape, keepdim: boolean): H;
  softmax(x: T, dim: number, log: boolean): H;
  /** Gradient of softmax (log=false, y=softmax(x)) or log-softmax (log=true, y=logSoftmax(x)). */
  softmaxBackward(g: T, y: T, dim: number, log: boolean): H;

  // ---- linear algebra
  /** PyTorch matmul semantics (1-D promotion, broadcast batch dims); outShape already inferred. */
  matmul(a: T, b: T, outShape: Shape): H;
  /** y = x·wᵀ + b for x [..., in], w [out, in], b [out] or null. */
  linear(x: T, w: T, b: T | null, outShape: Shape): H;

  // ---- joining and indexing (index tensors are int64 and already range-checked)
  cat(xs: readonly T[], dim: number, outShape: Shape): H;
  indexSelect(x: T, dim: number, index: T): H;
  gather(x: T, dim: number, index: T): H;
  /** Out of place: a copy of x with src added at index along dim. */
  scatterAdd(x: T, dim: number, index: T, src: T): H;
  /** Out of place: a copy of x with src's slices added at index (1-D) along dim. */
  indexAdd(x: T, dim: number, index: T, src: T): H;
  flip(x: T, dims: readonly number[]): H;
  /** Constant padding; pads as in torch.nn.functional.pad: [lastLeft, lastRight, prevLeft, prevRight, …]. */
  pad(x: T, pads: readonly number[], value: number, outShape: Shape): H;

  // ---- convolution and pooling (spatial parameters have one entry per spatial dim)
  convolution(
    x: T, w: T, b: T | null, stride: readonly number[], padding: readonly number[], dilation: readonly number[],
    transposed: boolean, outputPadding: readonly number[], groups: number, outShape: Shape,
  ): H;
  convolutionBackward(
    gy: T, x: T, w: T, stride: readonly number[], padding: readonly number[], dilation: readonly number[],
    transposed: boolean, outputPadding: readonly number[], groups: number, mask: readonly [boolean, boolean, boolean],
  ): Grads3;
  /** [output, int64 indices into each H·W plane]. */
  maxPool2d(x: T, kernel: readonly number[], stride: readonly number[], padding: readonly number[], dilation: readonly number[], ceilMode: boolean, outShape: Shape): [H, H];
  /** Scatters gy to the indexed elements; the pooling parameters are those of the forward. */
  maxPool2dBackward(gy: T, x: T, indices: T, kernel: readonly number[], stride: readonly number[], padding: readonly number[], dilation: readonly number[], ceilMode: boolean): H;
  avgPool2d(x: T, kernel: readonly number[], stride: readonly number[], padding: readonly number[], ceilMode: boolean, countIncludePad: boolean, divisorOverride: number | null, outShape: Shape): H;
  avgPool2dBackward(gy: T, x: T, kernel: readonly number[], stride: readonly number[], padding: readonly number[], ceilMode: boolean, countIncludePad: boolean, divisorOverride: number | null): H;
  adaptiveAvgPool2d(x: T, outputSize: readonly [number, number]): H;
  adaptiveAvgPool2dBackward(gy: T, x: T): H;

  // ---- normalisation
  /** Training mode updates runningMean/runningVar in place (when given). Returns [y, saveMean, saveInvstd]. */
  batchNorm(x: T, w: T | null, b: T | null, runningMean: T | null, runningVar: T | null, training: boolean, momentum: number, eps: number): [H, H, H];
  batchNormBackward(gy: T, x: T, w: T | null, runningMean: T | null, runningVar: T | null, saveMean: T, saveInvstd: T, training: boolean, eps: number, mask: readonly [boolean, boolean, boolean]): Grads3;
  /** Returns [y, mean, rstd]. */
  layerNorm(x: T, normalizedShape: readonly number[], w: T | null, b: T | null, eps: number): [H, H, H];
  layerNormBackward(gy: T, x: T, normalizedShape: readonly number[], mean: T, rstd: T, w: T | null, b: T | null, mask: readonly [boolean, boolean, boolean]): Grads3;
  /** x [N, C, *]; returns [y, mean [N, G], rstd [N, G]]. */
  groupNorm(x: T, w: T | null, b: T | null, groups: number, eps: number): [H, H, H];
  groupNormBackward(gy: T, x: T, mean: T, rstd: T, w: T | null, groups: number, mask: readonly [boolean, boolean, boolean]): Grads3;

  // ---- losses, embedding, random
  /** logp [N, C], target int64 [N] (already range-checked except ignoreIndex). Returns [loss, totalWeight]. */
  nllLoss(logp: T, target: T, weight: T | null, reduction: Reduction, ignoreIndex: number): [H, H];
  nllLossBackward(g: T, logp: T, target: T, weight: T | null, reduction: Reduction, ignoreIndex: number, totalWeight: T): H;
  /** Gradient of an embedding lookup: sums g's rows [*, D] into a [numWeights, D] table, skipping paddingIdx (-1: none). */
  embeddingBackward(g: T, indices: T, numWeights: number, paddingIdx: number): H;
  /** 1 with probability p, else 0, from a generator seeded with `seed` (deterministic per backend). */
  bernoulli(shape: Shape, p: number, dtype: DType, seed: number): H;
  /**
   * x (floating) with each element zeroed with probability p and the rest scaled by 1/(1 − p); the mask is
   * a hash of (seed, row-major index), so the same call on the gradient is dropout's backward.
   */
  dropout(x: T, p: number, seed: number): H;

  // ---- attention (q, k, v, mask and the saved tensors share the batch dims [...]; any strides)
  /**
   * softmax(scale·q·kᵀ + mask) · v for q [..., L, E], k [..., S, E], v [..., S, Ev]; mask (float, added,
   * any strides, e.g. expanded) or null; causal masks key j > query i. Rows with every score −∞ get zero
   * weights. Dropout (p > 0) applies dropout(·, p, seed)'s mask to the weights. Returns [out [..., L, Ev],
   * probs (softmax before dropout) [..., L, S], the weights after dropout (only when needWeights and p > 0)].
   */
  attention(q: T, k: T, v: T, mask: T | null, causal: boolean, scale: number, dropoutP: number, seed: number, needWeights: boolean): [H, H, H | null];
  /**
   * Gradients of attention from gOut [..., L, Ev] and gWeights (of the weights after dropout) or null;
   * causal, dropoutP and seed as in the forward (the dropout mask is redrawn). Returns [gq, gk, gv,
   * gScores (the gradient of the masked scores, only when wantScores)].
   */
  attentionBackward(gOut: T, gWeights: T | null, q: T, k: T, v: T, probs: T, scale: number, causal: boolean, dropoutP: number, seed: number, wantScores: boolean): [H, H, H, H | null];

  // ---- recurrent layers: one layer in one direction over a whole sequence (layout: src/ops/rnn.ts).
  // x [T, B, I]; h0, c0 [B, H]; wIh [G·H, I]; wHh [G·H, H]; biases [G·H] or null; mask [T, B] of x's
  // dtype (1: valid step, 0: padding that keeps the state and outputs 0) or null; `reverse` runs the
  // steps T−1 … 0. Saved states hAll/cAll are [T+1, B, H]; without a mask `out` is a view of hAll.
  /** LSTM (gates i, f, g, o). Returns [out [T,B,H], hN, cN, hAll, cAll, gates [T,B,4H]]. */
  lstmForward(x: T, h0: T, c0: T, wIh: T, wHh: T, bIh: T | null, bHh: T | null, mask: T | null, reverse: boolean): [H, H, H, H, H, H];
  /** Returns [dx, dh0, dc0, dWih, dWhh, dbIh, dbHh] (null where `need` excludes them). */
  lstmBackward(dOut: T, dhN: T, dcN: T, x: T, wIh: T, wHh: T, hAll: T, cAll: T, gates: T, mask: T | null, reverse: boolean, need: RnnGradNeeds): RnnGrads7;
  /** GRU (gates r, z, n). Returns [out, hN, hAll, gates [T,B,3H], hpn [T,B,H] (W_hn·h + b_hn per step)]. */
  gruForward(x: T, h0: T, wIh: T, wHh: T, bIh: T | null, bHh: T | null, mask: T | null, reverse: boolean): [H, H, H, H, H];
  /** Returns [dx, dh0, dWih, dWhh, dbIh, dbHh]. */
  gruBackward(dOut: T, dhN: T, x: T, wIh: T, wHh: T, hAll: T, gates: T, hpn: T, mask: T | null, reverse: boolean, need: RnnGradNeeds): RnnGrads6;
  /** Elman RNN, h' = tanh or relu(W_ih·x + b_ih + W_hh·h + b_hh). Returns [out, hN, hAll]. */
  rnnForward(x: T, h0: T, wIh: T, wHh: T, bIh: T | null, bHh: T | null, mask: T | null, reverse: boolean, relu: boolean): [H, H, H];
  /** Returns [dx, dh0, dWih, dWhh, dbIh, dbHh]. */
  rnnBackward(dOut: T, dhN: T, x: T, wIh: T, wHh: T, hAll: T, mask: T | null, reverse: boolean, relu: boolean, need: RnnGradNeeds): RnnGrads6;

  // ---- optimizer steps: in place on the parameter and its state, all of one shape and dtype
  /** One Adam (decoupled: AdamW) step as torch.optim's single-tensor implementation. */
  adamStep(p: T, g: T, m: T, v: T, vMax: T | null, o: AdamStepOptions): void;
  /** One SGD step; `buf` is the momentum buffer (null without momentum). */
  sgdStep(p: T, g: T, buf: T | null, o: SgdStepOptions): void;
}

/** Which gradients a recurrent backward kernel computes (the initial states' always). */
export interface RnnGradNeeds {
  input: boolean;
  /** wIh and wHh. */
  weights: boolean;
  /** bIh and bHh (the layer has biases). */
  bias: boolean;
}
export interface AdamStepOptions {
  lr: number; beta1: number; beta2: number; eps: number; weightDecay: number;
  /** AdamW: decay the weights directly instead of adding to the gradient. */
  decoupled: boolean;
  /** 1-based step count (for bias correction). */
  step: number;
  maximize: boolean;
}
export interface SgdStepOptions {
  lr: number; momentum: number; dampening: number; nesterov: boolean; weightDecay: number;
  /** The first step initialises the momentum buffer to the gradient. */
  firstStep: boolean;
  maximize: boolean;
}
