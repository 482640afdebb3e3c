// Pooling layers: max and average (1-D, 2-D) and adaptive average pooling.
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
