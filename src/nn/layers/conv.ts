// Convolution layers: Conv1d, Conv2d (groups: depthwise and grouped convolution), ConvTranspose1d/2d.
import { empty, tuple } from './util.js';
import type { Tensor } from '../../tensor/tensor.js';
import { StrataError } from '../../tensor/errors.js';
import { Module, Parameter } from '../module.js';
import { resetLinearLike_ } from '../init.js';
import * as F from '../../ops/index.js';
import type { DType } from '../../tensor/dtype.js';

type IntOrList = number | readonly number[];

export interface ConvLayerOptions {
  stride?: IntOrList;
  padding?: IntOrList | 'valid' | 'same';
  dilation?: IntOrList;
  /** groups = inChannels gives depthwise convolution. */
  groups?: number;
  bias?: boolean;
  dtype?: DType;
  /** How padding fills in: zeros (default), or by reflection, edge replication or wrap-around (PyTorch's padding_mode). */
  paddingMode?: 'zeros' | F.PadMode;
}
export interface ConvTransposeLayerOptions {
  stride?: IntOrList;
  padding?: IntOrList;
  outputPadding?: IntOrList;
  dilation?: IntOrList;
  groups?: number;
  bias?: boolean;
  dtype?: DType;
}

abstract class ConvNd extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly kernelSize: number[];
  readonly groups: number;
  constructor(
    readonly inChannels: number, readonly outChannels: number, kernelSize: IntOrList, dims: number,
    transposed: boolean, groups: number, bias: boolean, dtype: DType | undefined, name: string,
  ) {
    super();
    if (!Number.isInteger(groups) || groups < 1 || inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new StrataError(name, `inChannels (${inChannels}) and outChannels (${outChannels}) must both be divisible by groups (${groups})`);
    }
    this.kernelSize = tuple(kernelSize, dims);
    this.groups = groups;
    const wShape = transposed
      ? [inChannels, outChannels / groups, ...this.kernelSize]
      : [outChannels, inChannels / groups, ...this.kernelSize];
    this.weight = Parameter(empty(wShape, dtype));
    this.bias = bias ? Parameter(empty([outChannels], dtype)) : null;
    this.resetParameters();
  }
  /** PyTorch's default: kaiming_uniform(a=√5) for weights, U(±1/√fan_in) for bias. */
  resetParameters(): void {
    resetLinearLike_(this.weight, this.bias);
  }
  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize}]${this.groups > 1 ? `, groups=${this.groups}` : ''}${this.bias ? '' : ', bias=false'}`;
  }
}

/**
 * With a paddingMode other than 'zeros', pads x itself (PyTorch's _reversed_padding_repeated_twice: 'same'
 * puts the odd element on the right) and lets the convolution run unpadded.
 */
function padForMode(x: Tensor, o: ConvLayerOptions, kernel: number[], name: string): { x: Tensor; padding: ConvLayerOptions['padding'] } {
  const mode = o.paddingMode ?? 'zeros';
  if (mode === 'zeros') return { x, padding: o.padding };
  if (!['reflect', 'replicate', 'circular'].includes(mode)) throw new StrataError(name, `paddingMode must be 'zeros', 'reflect', 'replicate' or 'circular', got ${JSON.stringify(mode)}`);
  const n = kernel.length;
  const dil = tuple(o.dilation ?? 1, n);
  let lr: [number, number][];
  if (o.padding === 'same') lr = kernel.map((k, i) => { const t = dil[i] * (k - 1); return [Math.floor(t / 2), t - Math.floor(t / 2)]; });
  else if (o.padding === 'valid' || o.padding === undefined) lr = kernel.map(() => [0, 0]);
  else lr = tuple(o.padding, n).map((p) => [p, p]);
  const pads = lr.reverse().flat();
  return { x: pads.some((p) => p > 0) ? F.padMode(x, pads, mode) : x, padding: 0 };
}

/** x: [N, Cin, L] → [N, Cout, Lout]. */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number, readonly opts: ConvLayerOptions = {}) {
    super(inChannels, outChannels, kernelSize, 1, false, opts.groups ?? 1, opts.bias ?? true, opts.dtype, 'Conv1d');
  }
  forward(x: Tensor): Tensor {
    const { x: xp, padding } = padForMode(x, this.opts, this.kernelSize, 'Conv1d');
    return F.conv1d(xp, this.weight, this.bias, { stride: this.opts.stride, padding, dilation: this.opts.dilation, groups: this.groups });
  }
}

/**
 * x: [N, Cin, H, W] → [N, Cout, Hout, Wout]. `groups` splits channels into independent groups
 * (groups = Cin: depthwise; with a 1×1 conv after it: depthwise-separable, Chollet 2017).
 */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrList, readonly opts: ConvLayerOptions = {}) {
    super(inChannels, outChannels, kernelSize, 2, false, opts.groups ?? 1, opts.bias ?? true, opts.dtype, 'Conv2d');
  }
  forward(x: Tensor): Tensor {
    const { x: xp, padding } = padForMode(x, this.opts, this.kernelSize, 'Conv2d');
    return F.conv2d(xp, this.weight, this.bias, { stride: this.opts.stride, padding, dilation: this.opts.dilation, groups: this.groups });
  }
  override extraRepr(): string {
    const o = this.opts;
    const extras = [o.stride !== undefined && o.stride !== 1 ? `stride=${JSON.stringify(o.stride)}` : '', o.padding !== undefined && o.padding !== 0 ? `padding=${JSON.stringify(o.padding)}` : ''].filter(Boolean);
    return super.extraRepr() + (extras.length ? ', ' + extras.join(', ') : '');
  }
}

/** x: [N, Cin, L] → [N, Cout, Lout], the gradient of Conv1d with respect to its input. */
export class ConvTranspose1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number, readonly opts: ConvTransposeLayerOptions = {}) {
    super(inChannels, outChannels, kernelSize, 1, true, opts.groups ?? 1, opts.bias ?? true, opts.dtype, 'ConvTranspose1d');
  }
  forward(x: Tensor): Tensor {
    return F.convTranspose1d(x, this.weight, this.bias, { ...this.opts, groups: this.groups });
  }
}

/** x: [N, Cin, H, W] → [N, Cout, Hout, Wout] (upsampling, decoders). */
export class ConvTranspose2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrList, readonly opts: ConvTransposeLayerOptions = {}) {
    super(inChannels, outChannels, kernelSize, 2, true, opts.groups ?? 1, opts.bias ?? true, opts.dtype, 'ConvTranspose2d');
  }
  forward(x: Tensor): Tensor {
    return F.convTranspose2d(x, this.weight, this.bias, { ...this.opts, groups: this.groups });
  }
}
