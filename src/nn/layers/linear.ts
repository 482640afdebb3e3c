// Fully connected layers and shape utilities: Linear, Bilinear-free basics, Identity, Flatten, Unflatten.
import { empty } from './util.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module, Parameter } from '../module.js';
import { resetLinearLike_ } from '../init.js';
import * as F from '../../ops/index.js';
import type { DType } from '../../tensor/dtype.js';

export interface LinearOptions {
  bias?: boolean;
  dtype?: DType;
}

/**
 * y = x·Wᵀ + b. x: [*, inFeatures] → [*, outFeatures].
 * Initialised as PyTorch: W, b ~ U(−1/√inFeatures, 1/√inFeatures).
 */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions = {}) {
    super();
    this.weight = Parameter(empty([outFeatures, inFeatures], opts.dtype));
    this.bias = opts.bias ?? true ? Parameter(empty([outFeatures], opts.dtype)) : null;
    this.resetParameters();
  }
  resetParameters(): void {
    resetLinearLike_(this.weight, this.bias);
  }
  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/** Returns its input. */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Flattens dims startDim..endDim (default: all but the batch dim). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.flatten(x, this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

/** Splits one dim into `sizes`. */
export class Unflatten extends Module {
  constructor(readonly dim: number, readonly sizes: readonly number[]) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.unflatten(x, this.dim, this.sizes);
  }
}
