// Squeeze-and-excitation (Hu et al., 2018): the channel-attention unit that SE-ResNets (resnet.ts, config.se)
// put on each residual branch.
import type { Tensor } from '../tensor/tensor.js';
import { Module } from '../nn/module.js';
import { Linear } from '../nn/layers/linear.js';
import { ReLU, Sigmoid } from '../nn/layers/activation.js';
import { StrataError } from '../tensor/errors.js';

/**
 * Squeeze-and-excitation unit ("Squeeze-and-Excitation Networks", Hu, Shen & Sun, CVPR 2018):
 * s = σ(W₂·ReLU(W₁·mean_{h,w}(x))), y = x · s per channel. W₁: C → C/r, W₂: C/r → C, both with bias
 * (the paper's two fully connected layers; 2·C·C/r + C/r + C parameters).
 * x: [N, C, H, W] → [N, C, H, W].
 */
export class SqueezeExcitation extends Module {
  fc1: Linear;
  relu: ReLU;
  fc2: Linear;
  sigmoid: Sigmoid;
  readonly hidden: number;
  constructor(readonly channels: number, readonly reduction = 16) {
    super();
    if (!Number.isInteger(channels) || channels < 1 || !(reduction >= 1)) throw new StrataError('SqueezeExcitation', `needs channels ≥ 1 and reduction ≥ 1, got ${channels} and ${reduction}`);
    // at least one hidden unit, so tiny test widths still have a bottleneck
    this.hidden = Math.max(1, Math.floor(channels / reduction));
    this.fc1 = new Linear(channels, this.hidden);
    this.relu = new ReLU();
    this.fc2 = new Linear(this.hidden, channels);
    this.sigmoid = new Sigmoid();
  }
  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.channels) throw new StrataError('SqueezeExcitation', `expected [N, ${this.channels}, H, W], got [${x.shape.join(', ')}]`);
    const s = this.sigmoid.forward(this.fc2.forward(this.relu.forward(this.fc1.forward(x.mean([2, 3])))));
    return x.mul(s.reshape([x.shape[0], this.channels, 1, 1]));
  }
  override extraRepr(): string {
    return `${this.channels}, reduction=${this.reduction}`;
  }
}
