// Normalisation layers: BatchNorm1d/2d (running statistics), LayerNorm, GroupNorm, InstanceNorm2d.
import type { Tensor } from '../../tensor/tensor.js';
import { StrataError, fmtShape } from '../../tensor/errors.js';
import { Module, Parameter } from '../module.js';
import * as F from '../../ops/index.js';
import type { DType } from '../../tensor/dtype.js';
import { noGrad } from '../../autograd/grad-mode.js';

export interface BatchNormOptions {
  eps?: number;
  /** Weight of the new batch statistic in the running average; null for a cumulative average. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
  dtype?: DType;
}

/**
 * A module with running statistics (batch, instance and synchronised batch norm). NOTE: the buffers carry
 * PyTorch's names, since state-dict keys are an interchange format (torchvision checkpoints say
 * bn1.running_mean); the camelCase accessors are the TypeScript face.
 */
export abstract class RunningStatsModule extends Module {
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare num_batches_tracked: Tensor | null;
  /** Registers the three buffers (zeros, ones, a 0 count) or, without tracking, null ones. */
  protected initRunningStats(numFeatures: number, track: boolean, dtype: DType): void {
    this.registerBuffer('running_mean', track ? F.zeros([numFeatures], { dtype }) : null);
    this.registerBuffer('running_var', track ? F.ones([numFeatures], { dtype }) : null);
    this.registerBuffer('num_batches_tracked', track ? F.zeros([], { dtype: 'int64' }) : null);
  }
  get runningMean(): Tensor | null { return this.running_mean; }
  set runningMean(t: Tensor | null) { this.running_mean = t; }
  get runningVar(): Tensor | null { return this.running_var; }
  set runningVar(t: Tensor | null) { this.running_var = t; }
  get numBatchesTracked(): Tensor | null { return this.num_batches_tracked; }
  set numBatchesTracked(t: Tensor | null) { this.num_batches_tracked = t; }
}

/** Batch norm's parameters and buffers with PyTorch's defaults (BatchNorm1d/2d, and SyncBatchNorm in src/distributed). */
export abstract class BatchNormState extends RunningStatsModule {
  weight: Tensor | null;
  bias: Tensor | null;
  readonly eps: number;
  readonly momentum: number | null;
  constructor(readonly numFeatures: number, opts: BatchNormOptions) {
    super();
    const dtype = opts.dtype ?? 'float32';
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    const affine = opts.affine ?? true;
    this.weight = affine ? Parameter(F.ones([numFeatures], { dtype })) : null;
    this.bias = affine ? Parameter(F.zeros([numFeatures], { dtype })) : null;
    this.initRunningStats(numFeatures, opts.trackRunningStats ?? true, dtype);
  }
}

abstract class BatchNormBase extends BatchNormState {
  constructor(numFeatures: number, opts: BatchNormOptions, private readonly dims: number[], private readonly name: string) {
    super(numFeatures, opts);
  }
  forward(x: Tensor): Tensor {
    if (!this.dims.includes(x.ndim)) {
      throw new StrataError(this.name, `expected a ${this.dims.join(' or ')}-D input, got shape ${fmtShape(x.shape)}`);
    }
    const useBatchStats = this.training || !this.runningMean;
    let momentum = this.momentum ?? 0;
    if (this.training && this.numBatchesTracked) {
      const n = this.numBatchesTracked;
      noGrad(() => n.add_(1));
      if (this.momentum === null) momentum = 1 / n.item();
    }
    return F.batchNorm(x, {
      weight: this.weight, bias: this.bias,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      training: useBatchStats, momentum, eps: this.eps,
    });
  }
  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}`;
  }
}

/** Batch normalisation over [N, C] or [N, C, L] (Ioffe & Szegedy, 2015). */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, opts, [2, 3], 'BatchNorm1d');
  }
}
/** Batch normalisation over [N, C, H, W]. */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, opts, [4], 'BatchNorm2d');
  }
}

/** Normalises over the trailing normalizedShape dims (Ba et al., 2016). */
export class LayerNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  readonly normalizedShape: number[];
  constructor(normalizedShape: number | readonly number[], readonly opts: { eps?: number; elementwiseAffine?: boolean; bias?: boolean; dtype?: DType } = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape.slice();
    const affine = opts.elementwiseAffine ?? true;
    const dtype = opts.dtype ?? 'float32';
    this.weight = affine ? Parameter(F.ones(this.normalizedShape, { dtype })) : null;
    this.bias = affine && (opts.bias ?? true) ? Parameter(F.zeros(this.normalizedShape, { dtype })) : null;
  }
  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.normalizedShape, this.weight, this.bias, this.opts.eps ?? 1e-5);
  }
  override extraRepr(): string {
    return `[${this.normalizedShape}], eps=${this.opts.eps ?? 1e-5}`;
  }
}

/** Normalises groups of channels of [N, C, *] (Wu & He, 2018). */
export class GroupNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  constructor(readonly numGroups: number, readonly numChannels: number, readonly opts: { eps?: number; affine?: boolean; dtype?: DType } = {}) {
    super();
    if (numChannels % numGroups !== 0) throw new StrataError('GroupNorm', `numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`);
    const affine = opts.affine ?? true;
    const dtype = opts.dtype ?? 'float32';
    this.weight = affine ? Parameter(F.ones([numChannels], { dtype })) : null;
    this.bias = affine ? Parameter(F.zeros([numChannels], { dtype })) : null;
  }
  forward(x: Tensor): Tensor {
    return F.groupNorm(x, this.numGroups, this.weight, this.bias, this.opts.eps ?? 1e-5);
  }
  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}`;
  }
}

/**
 * Instance normalisation over [N, C, H, W] (torch.nn.InstanceNorm2d): each sample's channel is normalised
 * over H×W. As PyTorch: affine and trackRunningStats default to false; with running stats, eval mode uses them.
 */
export class InstanceNorm2d extends RunningStatsModule {
  weight: Tensor | null;
  bias: Tensor | null;
  readonly eps: number;
  readonly momentum: number;
  constructor(readonly numFeatures: number, opts: { eps?: number; momentum?: number; affine?: boolean; trackRunningStats?: boolean; dtype?: DType } = {}) {
    super();
    const dtype = opts.dtype ?? 'float32';
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    const affine = opts.affine ?? false;
    this.weight = affine ? Parameter(F.ones([numFeatures], { dtype })) : null;
    this.bias = affine ? Parameter(F.zeros([numFeatures], { dtype })) : null;
    this.initRunningStats(numFeatures, opts.trackRunningStats ?? false, dtype);
  }
  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 && x.ndim !== 3) throw new StrataError('InstanceNorm2d', `expected a 4-D [N, C, H, W] or 3-D [C, H, W] input, got shape ${fmtShape(x.shape)}`);
    if (x.ndim === 3) return F.squeeze(this.forward(F.unsqueeze(x, 0)), 0);
    if (x.shape[1] !== this.numFeatures) throw new StrataError('InstanceNorm2d', `expected ${this.numFeatures} channels, got shape ${fmtShape(x.shape)}`);
    const useInputStats = this.training || !this.runningMean;
    if (this.training && this.numBatchesTracked) {
      const n = this.numBatchesTracked;
      noGrad(() => n.add_(1));
    }
    return F.instanceNorm(x, { runningMean: this.runningMean, runningVar: this.runningVar, weight: this.weight, bias: this.bias, useInputStats, momentum: this.momentum, eps: this.eps });
  }
  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, affine=${this.weight !== null}, trackRunningStats=${this.runningMean !== null}`;
  }
}
