// Keras-style layers: built lazily from the first input's shape, channels-last images, activations by name.
import { StrataError, fmtShape } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from '../nn/module.js';
import { Conv2d } from '../nn/layers/conv.js';
import { Linear } from '../nn/layers/linear.js';
import { Embedding as NnEmbedding } from '../nn/layers/embedding.js';
import { xavierUniform_, zeros_ } from '../nn/init.js';
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

/** A Keras layer: forward builds the inner modules on first use from the input shape. */
export abstract class Layer extends Module {
  /** Shape of one sample (without the batch dim), for the first layer of a Sequential. */
  inputShape: number[] | null = null;
  built = false;
  activation: Activation = 'linear';
  protected abstract build(inputShape: readonly number[]): void;
  protected abstract call_(x: Tensor): Tensor;
  forward(x: Tensor): Tensor {
    if (!this.built) {
      this.build(x.shape);
      this.built = true;
    }
    return this.call_(x);
  }
  /** The output before the activation (a softmax fused into the loss needs it). */
  forwardLogits(x: Tensor): Tensor {
    const a = this.activation;
    this.activation = 'linear';
    try {
      return this.forward(x);
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
  }
  protected build(): void {}
  protected call_(x: Tensor): Tensor {
    return F.dropout(x, this.rate, this.training);
  }
}

/** keras.layers.Embedding: int ids [N, T] → [N, T, outputDim]. */
export class Embedding extends Layer {
  emb: NnEmbedding;
  constructor(readonly inputDim: number, readonly outputDim: number, opts: { inputLength?: number } = {}) {
    super();
    this.emb = new NnEmbedding(inputDim, outputDim);
    // Keras: uniform(-0.05, 0.05)
    noGrad(() => this.emb.weight.copy_(F.rand(this.emb.weight.shape).mul(0.1).sub(0.05)));
    this.inputShape = opts.inputLength ? [opts.inputLength] : null;
  }
  protected build(): void {}
  protected call_(x: Tensor): Tensor {
    return this.emb.forward(x.dtype === 'int64' ? x : x.long());
  }
}

