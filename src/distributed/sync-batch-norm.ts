// SyncBatchNorm: batch normalisation whose statistics are those of the global batch (all ranks), with a
// differentiable all-reduce so that the backward pass is that of one process over the whole batch.
import { defineOp, record } from '../autograd/graph.js';
import { noGrad } from '../autograd/grad-mode.js';
import { Module } from '../nn/module.js';
import { BatchNorm1d, BatchNorm2d, BatchNormState, type BatchNormOptions } from '../nn/layers/norm.js';
import * as F from '../ops/index.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { allReduce, getWorldSize, isInitialized } from './process-group.js';

const allReduceSumDef = defineOp<undefined>({
  name: 'allReduceSum',
  // y = Σ_r x_r on every rank, and each rank's loss depends on its y: ∂L/∂x_r = Σ_k ∂L_k/∂y_k
  backward: (_ctx, [g]) => [reduced(g)],
});

function reduced(x: Tensor): Tensor {
  const y = noGrad(() => F.contiguous(x.clone()));
  allReduce(y, 'sum').waitSync();
  return y;
}

/** Σ over ranks of `x`, differentiable (the gradient is all-reduced as well). */
export function allReduceSumWithGrad(x: Tensor): Tensor {
  const y = reduced(x);
  record(allReduceSumDef, [x], y, [], undefined);
  return y;
}

/**
 * Batch normalisation over the batch of every rank together (torch.nn.SyncBatchNorm): input
 * [N, C, *]; in training the mean and variance are those of all ranks' samples, reduced with two small
 * all-reduces per forward (and two per backward). In eval mode, or outside a process group, it is
 * BatchNorm. State-dict keys are BatchNorm's.
 * @example
 * const model = st.nn.SyncBatchNorm.convertSyncBatchnorm(cnn);   // before wrapping it in DDP
 */
export class SyncBatchNorm extends BatchNormState {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, opts);
  }

  forward(x: Tensor): Tensor {
    const op = 'SyncBatchNorm';
    if (x.ndim < 2 || x.shape[1] !== this.numFeatures) {
      throw new StrataError(op, `expected input [N, ${this.numFeatures}, *], got shape ${fmtShape(x.shape)}`);
    }
    let momentum = this.momentum ?? 0;
    if (this.training && this.numBatchesTracked) {
      const n = this.numBatchesTracked;
      noGrad(() => n.add_(1));
      if (this.momentum === null) momentum = 1 / n.item();
    }
    const useBatchStats = this.training || !this.runningMean;
    if (!useBatchStats || !isInitialized() || getWorldSize() === 1) {
      return F.batchNorm(x, { weight: this.weight, bias: this.bias, runningMean: this.runningMean, runningVar: this.runningVar, training: useBatchStats, momentum, eps: this.eps });
    }
    const c = this.numFeatures;
    const dims = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
    const bshape = [1, c, ...Array.from({ length: x.ndim - 2 }, () => 1)];
    const localCount = x.numel / c;
    // 1. global mean (the count rides along in the same all-reduce)
    const s1 = allReduceSumWithGrad(F.cat([F.sum(x, dims), F.full([1], localCount, { dtype: x.dtype, backend: x.backend })]));
    const count = noGrad(() => F.narrow(s1, 0, c, 1).item());
    const mean = F.div(F.narrow(s1, 0, 0, c), count);
    // 2. global variance, two-pass (Σ(x - mean)², no cancellation)
    const d = F.sub(x, F.reshape(mean, bshape));
    const s2 = allReduceSumWithGrad(F.sum(F.square(d), dims));
    const varBiased = F.div(s2, count);
    if (this.runningMean && this.runningVar) {
      const rm = this.runningMean, rv = this.runningVar;
      noGrad(() => {
        rm.mul_(1 - momentum).add_(mean.detach().mul(momentum));
        rv.mul_(1 - momentum).add_(s2.detach().div(Math.max(count - 1, 1)).mul(momentum));
      });
    }
    let y = F.mul(d, F.reshape(F.rsqrt(F.add(varBiased, this.eps)), bshape));
    if (this.weight) y = F.mul(y, F.reshape(this.weight, bshape));
    if (this.bias) y = F.add(y, F.reshape(this.bias, bshape));
    return y;
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}`;
  }

  /**
   * Replaces every BatchNorm1d/2d below `module` (and `module` itself) with a SyncBatchNorm holding
   * the same weights and statistics (torch.nn.SyncBatchNorm.convert_sync_batchnorm); returns the result.
   */
  static convertSyncBatchnorm(module: Module): Module {
    if (module instanceof BatchNorm1d || module instanceof BatchNorm2d) {
      const bn = module;
      const s = new SyncBatchNorm(bn.numFeatures, { eps: bn.eps, momentum: bn.momentum, affine: bn.weight !== null, trackRunningStats: bn.runningMean !== null, dtype: (bn.weight ?? bn.runningMean)?.dtype });
      noGrad(() => {
        if (bn.weight && s.weight) s.weight.copy_(bn.weight);
        if (bn.bias && s.bias) s.bias.copy_(bn.bias);
        if (bn.runningMean && s.runningMean) s.runningMean.copy_(bn.runningMean);
        if (bn.runningVar && s.runningVar) s.runningVar.copy_(bn.runningVar);
        if (bn.numBatchesTracked && s.numBatchesTracked) s.numBatchesTracked.copy_(bn.numBatchesTracked);
      });
      s.training = bn.training;
      return s;
    }
    const self = module as unknown as Record<string, unknown>;
    for (const [k, child] of module.namedChildren()) {
      const converted = SyncBatchNorm.convertSyncBatchnorm(child);
      if (converted !== child) self[k] = converted;
    }
    return module;
  }
}
