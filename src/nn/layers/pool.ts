// Pooling and resampling layers: max and average (1-D, 2-D), adaptive average and max pooling, pixel shuffle, upsample.
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import * as F from '../../ops/index.js';
import type { AvgPoolOptions, PoolOptions } from '../../ops/conv.js';

type IntOrList = number | readonly number[];

export class MaxPool2d extends Module {
  constructor(readonly kernelSize: IntOrList, readonly opts: PoolOptions = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.maxPool2d(x, this.kernelSize, this.opts);
  }
  override extraRepr(): string {
    return `kernelSize=${JSON.stringify(this.kernelSize)}${this.opts.stride ? `, stride=${JSON.stringify(this.opts.stride)}` : ''}`;
  }
}
export class MaxPool1d extends Module {
  constructor(readonly kernelSize: number, readonly opts: PoolOptions = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.maxPool1d(x, this.kernelSize, this.opts);
  }
}
export class AvgPool2d extends Module {
  constructor(readonly kernelSize: IntOrList, readonly opts: AvgPoolOptions = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, this.opts);
  }
  override extraRepr(): string {
    return `kernelSize=${JSON.stringify(this.kernelSize)}`;
  }
}
export class AvgPool1d extends Module {
  constructor(readonly kernelSize: number, readonly opts: AvgPoolOptions = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.avgPool1d(x, this.kernelSize, this.opts);
  }
}
/** Averages to a fixed output size (global average pooling with 1). */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | readonly (number | null)[]) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.outputSize);
  }
  override extraRepr(): string {
    return `outputSize=${JSON.stringify(this.outputSize)}`;
  }
}
export class AdaptiveAvgPool1d extends Module {
  constructor(readonly outputSize: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool1d(x, this.outputSize);
  }
}

/** Max pooling to a fixed output size: [N, C, H, W] → [N, C, oh, ow]. */
export class AdaptiveMaxPool2d extends Module {
  constructor(readonly outputSize: number | readonly (number | null)[]) { super(); }
  forward(x: Tensor): Tensor { return F.adaptiveMaxPool2d(x, this.outputSize); }
}

/** [N, C·r², H, W] → [N, C, H·r, W·r]. */
export class PixelShuffle extends Module {
  constructor(readonly upscaleFactor: number) { super(); }
  forward(x: Tensor): Tensor { return F.pixelShuffle(x, this.upscaleFactor); }
}

/** [N, C, H·r, W·r] → [N, C·r², H, W]. */
export class PixelUnshuffle extends Module {
  constructor(readonly downscaleFactor: number) { super(); }
  forward(x: Tensor): Tensor { return F.pixelUnshuffle(x, this.downscaleFactor); }
}

/** Resizes by `size` or `scaleFactor` with 'nearest', 'linear' or 'bilinear' (torch.nn.Upsample). */
export class Upsample extends Module {
  constructor(readonly opts: F.InterpolateOptions) { super(); }
  forward(x: Tensor): Tensor { return F.interpolate(x, this.opts); }
}
