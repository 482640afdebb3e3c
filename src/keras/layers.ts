// Keras-style layers: built lazily from the first input's shape, channels-last images, activations by name,
// recurrent layers (SimpleRNN, LSTM, GRU, Bidirectional) and global 1-d pooling, with Keras' padding masks.
import { StrataError, fmtShape } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from '../nn/module.js';
import { Conv2d } from '../nn/layers/conv.js';
import { Linear } from '../nn/layers/linear.js';
import { Embedding as NnEmbedding } from '../nn/layers/embedding.js';
import { orthogonal_, xavierUniform_, zeros_ } from '../nn/init.js';
import { Parameter } from '../nn/module.js';
import { isFloating } from '../tensor/dtype.js';
import * as F from '../ops/index.js';
import { noGrad } from '../autograd/grad-mode.js';

export type Activation = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'gelu' | 'elu' | 'selu' | null;

export function activate(x: Tensor, a: Activation | undefined): Tensor {
  switch (a ?? 'linear') {
    case 'linear': case null: return x;
    case 'relu': return F.relu(x);
    case 'sigmoid': return F.sigmoid(x);
    case 'tanh': return F.tanh(x);
    case 'softmax': return F.softmax(x, -1);
    case 'gelu': return F.gelu(x);
    case 'elu': return F.elu(x);
    case 'selu': return F.mul(F.elu(x, 1.6732632423543772), 1.0507009873554805);
  }
  throw new StrataError('keras', `unknown activation '${String(a)}'`);
}

/**
 * A Keras layer: forward builds the inner modules on first use from the input shape. A padding mask
 * ([N, T] bool, true at real steps; Keras' `mask`) travels beside the tensor through a Sequential:
 * Embedding({maskZero: true}) makes it, layers that support masking pass it on (computeMask), and the
 * recurrent and global pooling layers use it.
 */
export abstract class Layer extends Module {
  /** Shape of one sample (without the batch dim), for the first layer of a Sequential. */
  inputShape: number[] | null = null;
  built = false;
  activation: Activation = 'linear';
  /** Whether the input's mask passes through unchanged (Keras' supports_masking); otherwise it stops here. */
  protected supportsMasking = false;
  /** Creates the weights for the first input (its shape; its dtype and backend where the layer follows them). */
  protected abstract build(inputShape: readonly number[], input: Tensor): void;
  protected abstract call_(x: Tensor, mask: Tensor | null): Tensor;
  /** The output's mask given the input and its mask (Keras' compute_mask). */
  computeMask(x: Tensor, mask: Tensor | null): Tensor | null {
    return this.supportsMasking ? mask : null;
  }
  forward(x: Tensor, mask: Tensor | null = null): Tensor {
    if (!this.built) {
      this.build(x.shape, x);
      this.built = true;
    }
    return this.call_(x, mask);
  }
  /** The output before the activation (a softmax fused into the loss needs it). */
  forwardLogits(x: Tensor, mask: Tensor | null = null): Tensor {
    const a = this.activation;
    this.activation = 'linear';
    try {
      return this.forward(x, mask);
    } finally {
      this.activation = a;
    }
  }
}

type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

/** keras.layers.Conv2D on channels-last input [N, H, W, C] (a view: ATen convolves channels-last strides natively). */
export class Conv2D extends Layer {
  conv: Conv2d | null = null;
  readonly kernelSize: [number, number];
  constructor(readonly filters: number, kernelSize: Pair, readonly opts: { activation?: Activation; inputShape?: number[]; padding?: 'valid' | 'same'; strides?: Pair; useBias?: boolean } = {}) {
    super();
    this.kernelSize = pair(kernelSize);
    this.activation = opts.activation ?? 'linear';
    this.inputShape = opts.inputShape ?? null;
  }
  protected build(s: readonly number[]): void {
    if (s.length !== 4) throw new StrataError('Conv2D', `expected input [batch, height, width, channels], got ${fmtShape(s)}`);
    this.conv = new Conv2d(s[3], this.filters, this.kernelSize, { padding: this.opts.padding ?? 'valid', stride: this.opts.strides ?? 1, bias: this.opts.useBias ?? true });
    // Keras initialises kernels Glorot-uniform and biases to zero
    xavierUniform_(this.conv.weight);
    if (this.conv.bias) zeros_(this.conv.bias);
  }
  protected call_(x: Tensor): Tensor {
    const y = this.conv!.forward(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1);
    return activate(y, this.activation);
  }
}

/** keras.layers.MaxPooling2D on [N, H, W, C]. */
export class MaxPooling2D extends Layer {
  readonly poolSize: [number, number];
  constructor(poolSize: Pair = 2, readonly opts: { strides?: Pair } = {}) {
    super();
    this.poolSize = pair(poolSize);
  }
  protected build(): void {}
  protected call_(x: Tensor): Tensor {
    return F.maxPool2d(x.permute(0, 3, 1, 2), this.poolSize, { stride: this.opts.strides ?? this.poolSize }).permute(0, 2, 3, 1);
  }
}

/** keras.layers.Flatten: [N, ...] → [N, prod(...)]. */
export class Flatten extends Layer {
  protected build(): void {}
  protected call_(x: Tensor): Tensor {
    return F.flatten(x, 1);
  }
}

/** keras.layers.Dense: applies to the last dim. */
export class Dense extends Layer {
  linear: Linear | null = null;
  constructor(readonly units: number, opts: { activation?: Activation; inputShape?: number[] } = {}) {
    super();
    this.activation = opts.activation ?? 'linear';
    this.inputShape = opts.inputShape ?? null;
    this.supportsMasking = true;
  }
  protected build(s: readonly number[]): void {
    this.linear = new Linear(s[s.length - 1], this.units);
    xavierUniform_(this.linear.weight);
    zeros_(this.linear.bias!);
  }
  protected call_(x: Tensor): Tensor {
    return activate(this.linear!.forward(x), this.activation);
  }
}

export class Dropout extends Layer {
  constructor(readonly rate: number) {
    super();
    this.supportsMasking = true;
  }
  protected build(): void {}
  protected call_(x: Tensor): Tensor {
    return F.dropout(x, this.rate, this.training);
  }
}

/**
 * keras.layers.Embedding: int ids [N, T] → [N, T, outputDim], initialised U(−0.05, 0.05) as Keras.
 * With maskZero, id 0 is padding: the layer emits the mask ids ≠ 0 [N, T] for the layers after it.
 */
export class Embedding extends Layer {
  emb: NnEmbedding;
  readonly maskZero: boolean;
  constructor(readonly inputDim: number, readonly outputDim: number, opts: { inputLength?: number; maskZero?: boolean } = {}) {
    super();
    this.emb = new NnEmbedding(inputDim, outputDim);
    // Keras: uniform(-0.05, 0.05)
    noGrad(() => this.emb.weight.copy_(F.rand(this.emb.weight.shape).mul(0.1).sub(0.05)));
    this.inputShape = opts.inputLength ? [opts.inputLength] : null;
    this.maskZero = opts.maskZero ?? false;
  }
  protected build(): void {}
  protected call_(x: Tensor): Tensor {
    return this.emb.forward(x.dtype === 'int64' ? x : x.long());
  }
  override computeMask(x: Tensor): Tensor | null {
    return this.maskZero ? F.ne(x, 0) : null;
  }
}

// ---------------------------------------------------------------- recurrent layers

export interface RecurrentOptions {
  /** Return the whole output sequence [N, T, units] instead of the last output [N, units] (default false). */
  returnSequences?: boolean;
  /** Process the sequence backwards; with returnSequences the output is in reversed order, as Keras (default false). */
  goBackwards?: boolean;
  /** Fraction of the input units dropped in training, one mask per sequence shared by all steps, as Keras (default 0). */
  dropout?: number;
  /** Only 0: the fused recurrent kernels have no dropout on the recurrent state. */
  recurrentDropout?: number;
  /** Biases (default true). */
  useBias?: boolean;
  /** 'tanh' (default); SimpleRNN also takes 'relu'. */
  activation?: Activation;
  /** LSTM and GRU: only 'sigmoid' (Keras' default). */
  recurrentActivation?: Activation;
  /** LSTM: forget-gate bias initialised to 1 (default true, as Keras). */
  unitForgetBias?: boolean;
  /** GRU: only true (Keras 2's default, and PyTorch's GRU): the reset gate multiplies W_hn·h + b_hn. */
  resetAfter?: boolean;
  inputShape?: number[];
}

type RecurrentKind = 'SimpleRNN' | 'LSTM' | 'GRU';
const RECURRENT_GATES: Record<RecurrentKind, number> = { SimpleRNN: 1, LSTM: 4, GRU: 3 };

/**
 * The Keras recurrent layers' shared part, over strata's fused sequence kernels (F.rnn, F.lstm, F.gru)
 * on batch-major input [N, T, features]. Parameters use PyTorch's layout (weight_ih [G·units, features],
 * weight_hh [G·units, units]; Keras' kernel and recurrent_kernel transposed) and Keras' initialisers:
 * Glorot-uniform input weights, orthogonal recurrent weights, zero biases (LSTM forget gate 1).
 * SimpleRNN and LSTM have one bias [G·units] as Keras; GRU (reset_after=True) has bias_ih and bias_hh, as
 * Keras' bias of shape [2, 3·units]. NOTE: differences from Keras: gate order in the weights is
 * PyTorch's (LSTM i, f, g, o = Keras' i, f, c, o; GRU r, z, n where Keras has z, r, h), so Keras GRU
 * weights need their gate blocks swapped to load; at masked (padding) steps the output is 0 where
 * Keras repeats the previous output (the state is carried over in both, and the last output is the
 * last real step's); activations are fixed (tanh, sigmoid gates; SimpleRNN tanh or relu) and
 * recurrent_dropout, stateful and return_state are not supported.
 */
abstract class RecurrentLayer extends Layer {
  weight_ih: Tensor | null = null;
  weight_hh: Tensor | null = null;
  bias: Tensor | null = null;
  bias_hh: Tensor | null = null;
  readonly returnSequences: boolean;
  readonly goBackwards: boolean;
  readonly dropout: number;
  readonly useBias: boolean;

  constructor(private readonly kind: RecurrentKind, readonly units: number, readonly opts: RecurrentOptions) {
    super();
    if (!Number.isInteger(units) || units < 1) throw new StrataError(kind, `units must be a positive integer, got ${String(units)}`);
    const act = opts.activation ?? 'tanh';
    if (act !== 'tanh' && !(kind === 'SimpleRNN' && act === 'relu')) {
      throw new StrataError(kind, `activation '${String(act)}' is not supported: the fused kernels use ${kind === 'SimpleRNN' ? "'tanh' or 'relu'" : "'tanh'"}`);
    }
    this.activation = act;
    if (kind !== 'SimpleRNN' && (opts.recurrentActivation ?? 'sigmoid') !== 'sigmoid') {
      throw new StrataError(kind, `recurrentActivation '${String(opts.recurrentActivation)}' is not supported: the gates use 'sigmoid'`);
    }
    if ((opts.recurrentDropout ?? 0) !== 0) throw new StrataError(kind, 'recurrentDropout is not supported (the fused kernels have no dropout on the state); use dropout, which drops inputs');
    if (kind === 'GRU' && opts.resetAfter === false) throw new StrataError(kind, 'resetAfter: false is not supported; the GRU kernel applies the reset gate after the recurrent product (Keras 2 and PyTorch default)');
    const p = opts.dropout ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new StrataError(kind, `dropout must be in [0, 1), got ${String(p)}`);
    this.dropout = p;
    this.returnSequences = opts.returnSequences ?? false;
    this.goBackwards = opts.goBackwards ?? false;
    this.useBias = opts.useBias ?? true;
    this.inputShape = opts.inputShape ?? null;
  }

  /** A fresh, unbuilt layer with the same configuration (Bidirectional's backward copy). */
  abstract cloneWith(opts: RecurrentOptions): RecurrentLayer;

  protected build(s: readonly number[], x: Tensor): void {
    if (s.length !== 3) throw new StrataError(this.kind, `expected input [batch, timesteps, features], got ${fmtShape(s)}`);
    const G = RECURRENT_GATES[this.kind], H = this.units;
    // the weights follow a floating input's dtype and backend
    const z = (shape: number[]) => Parameter(F.zeros(shape, isFloating(x.dtype) ? { dtype: x.dtype, backend: x.backend } : {}));
    this.weight_ih = xavierUniform_(z([G * H, s[2]]));
    this.weight_hh = orthogonal_(z([G * H, H]));
    if (this.useBias) {
      this.bias = z([G * H]);
      if (this.kind === 'GRU') this.bias_hh = z([G * H]);
      if (this.kind === 'LSTM' && (this.opts.unitForgetBias ?? true)) noGrad(() => F.narrow(this.bias!, 0, H, H).fill_(1));
    }
  }

  override computeMask(_x: Tensor, mask: Tensor | null): Tensor | null {
    return this.returnSequences ? mask : null;
  }

  protected call_(x: Tensor, mask: Tensor | null): Tensor {
    if (!isFloating(x.dtype)) throw new StrataError(this.kind, `expected a float input [batch, timesteps, features], got ${x.dtype}${fmtShape(x.shape)}; put an Embedding before it for token ids`);
    const [N, T, I] = x.shape;
    let m = mask;
    if (m !== null && (m.ndim !== 2 || m.shape[0] !== N || m.shape[1] !== T)) throw new StrataError(this.kind, `mask ${fmtShape(m.shape)} does not match the input ${fmtShape(x.shape)}; expected [${N}, ${T}]`);
    let xi = x;
    if (this.goBackwards) {
      xi = F.flip(xi, 1);
      if (m) m = F.flip(m, 1);
    }
    if (this.dropout > 0 && this.training) xi = F.mul(xi, F.dropout(F.ones([N, 1, I], { dtype: x.dtype, backend: x.backend }), this.dropout, true));
    const w = [this.weight_ih!, this.weight_hh!];
    // NOTE: a single Keras bias is passed as b_ih with a zero b_hh (no gradient flows into the zeros)
    if (this.useBias) w.push(this.bias!, this.bias_hh ?? F.zerosLike(this.bias!));
    const opts = { batchFirst: true, bias: this.useBias, mask: m, training: this.training, name: this.kind };
    const r = this.kind === 'LSTM' ? F.lstm(xi, null, w, opts)
      : this.kind === 'GRU' ? F.gru(xi, null, w, opts)
      : F.rnn(xi, null, w, { ...opts, nonlinearity: this.activation === 'relu' ? 'relu' : 'tanh' });
    return this.returnSequences ? r.output : F.select(r.hN, 0, 0);
  }
}

/** keras.layers.SimpleRNN(units): h_t = tanh(x_t·W + h_{t−1}·U + b) over [N, T, features] (see RecurrentLayer for the differences from Keras). */
export class SimpleRNN extends RecurrentLayer {
  constructor(units: number, opts: RecurrentOptions = {}) {
    super('SimpleRNN', units, opts);
  }
  cloneWith(opts: RecurrentOptions): SimpleRNN {
    return new SimpleRNN(this.units, { ...this.opts, ...opts });
  }
}

/** keras.layers.LSTM(units) (Hochreiter & Schmidhuber, 1997) over [N, T, features], forget-gate bias 1 (see RecurrentLayer). */
export class LSTM extends RecurrentLayer {
  constructor(units: number, opts: RecurrentOptions = {}) {
    super('LSTM', units, opts);
  }
  cloneWith(opts: RecurrentOptions): LSTM {
    return new LSTM(this.units, { ...this.opts, ...opts });
  }
}

/**
 * keras.layers.GRU(units) (Cho et al., 2014) with reset_after=True, the same cell as PyTorch's GRU:
 * n = tanh(W_in·x + b_in + r∘(W_hn·h + b_hn)), h' = (1 − z)∘n + z∘h (see RecurrentLayer).
 */
export class GRU extends RecurrentLayer {
  constructor(units: number, opts: RecurrentOptions = {}) {
    super('GRU', units, opts);
  }
  cloneWith(opts: RecurrentOptions): GRU {
    return new GRU(this.units, { ...this.opts, ...opts });
  }
}

export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave';

/**
 * keras.layers.Bidirectional(layer): the layer on the sequence and a copy of it (fresh weights) on the
 * reversed sequence, merged ('concat' by default: [N, (T,) 2·units]). The backward outputs are put back in
 * time order; with a mask each direction skips the padding.
 */
export class Bidirectional extends Layer {
  forwardLayer: RecurrentLayer;
  backwardLayer: RecurrentLayer;
  readonly mergeMode: MergeMode;
  constructor(layer: RecurrentLayer, opts: { mergeMode?: MergeMode; backwardLayer?: RecurrentLayer; inputShape?: number[] } = {}) {
    super();
    if (!(layer instanceof RecurrentLayer)) throw new StrataError('Bidirectional', 'expected a recurrent layer (SimpleRNN, LSTM or GRU)');
    const mode = opts.mergeMode ?? 'concat';
    if (!['concat', 'sum', 'mul', 'ave'].includes(mode)) throw new StrataError('Bidirectional', `mergeMode must be 'concat', 'sum', 'mul' or 'ave', got ${JSON.stringify(mode)}`);
    this.mergeMode = mode;
    this.forwardLayer = layer;
    this.backwardLayer = opts.backwardLayer ?? layer.cloneWith({ goBackwards: !layer.goBackwards });
    if (this.backwardLayer.returnSequences !== layer.returnSequences) throw new StrataError('Bidirectional', 'the forward and backward layers must agree on returnSequences');
    this.inputShape = opts.inputShape ?? layer.inputShape;
  }
  protected build(): void {}
  override computeMask(_x: Tensor, mask: Tensor | null): Tensor | null {
    return this.forwardLayer.returnSequences ? mask : null;
  }
  protected call_(x: Tensor, mask: Tensor | null): Tensor {
    const f = this.forwardLayer.forward(x, mask);
    let b = this.backwardLayer.forward(x, mask);
    if (this.forwardLayer.returnSequences) b = F.flip(b, 1);
    switch (this.mergeMode) {
      case 'concat': return F.cat([f, b], -1);
      case 'sum': return F.add(f, b);
      case 'mul': return F.mul(f, b);
      case 'ave': return F.mul(F.add(f, b), 0.5);
    }
  }
}

// ---------------------------------------------------------------- global pooling over time

function checkSeq(name: string, x: Tensor, mask: Tensor | null): Tensor | null {
  if (x.ndim !== 3) throw new StrataError(name, `expected input [batch, steps, features], got ${fmtShape(x.shape)}`);
  if (mask === null) return null;
  if (mask.ndim !== 2 || mask.shape[0] !== x.shape[0] || mask.shape[1] !== x.shape[1]) throw new StrataError(name, `mask ${fmtShape(mask.shape)} does not match the input ${fmtShape(x.shape)}`);
  return F.unsqueeze(mask.dtype === 'bool' ? mask : F.ne(mask, 0), -1);
}

/** keras.layers.GlobalAveragePooling1D: [N, T, C] → [N, C], the mean over the real (unmasked) steps. */
export class GlobalAveragePooling1D extends Layer {
  protected build(): void {}
  protected call_(x: Tensor, mask: Tensor | null): Tensor {
    const m = checkSeq('GlobalAveragePooling1D', x, mask);
    if (!m) return F.mean(x, 1);
    const w = F.cast(m, x.dtype);
    // NOTE: a row with no real step gives 0 (Keras divides by zero)
    return F.div(F.sum(F.mul(x, w), 1), F.clamp(F.sum(w, 1), 1, null));
  }
}

/**
 * keras.layers.GlobalMaxPooling1D: [N, T, C] → [N, C], the maximum over the real (unmasked) steps.
 * NOTE: Keras ignores the mask here, but its recurrent layers repeat the last real output over the padding,
 * so the maximum is the same; strata's output 0 there, hence the masked maximum (a row with no real step gives -∞).
 */
export class GlobalMaxPooling1D extends Layer {
  protected build(): void {}
  protected call_(x: Tensor, mask: Tensor | null): Tensor {
    const m = checkSeq('GlobalMaxPooling1D', x, mask);
    return F.amax(m ? F.where(m, x, -Infinity) : x, 1);
  }
}
