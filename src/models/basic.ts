// The first models: an MLP, the seeds' two-convolution CNN, and LeNet-5.
import type { Tensor } from '../tensor/tensor.js';
import { Module } from '../nn/module.js';
import { Linear, Flatten } from '../nn/layers/linear.js';
import { Conv2d } from '../nn/layers/conv.js';
import { MaxPool2d, AvgPool2d } from '../nn/layers/pool.js';
import { ReLU, Tanh, Dropout } from '../nn/layers/activation.js';
import { Sequential } from '../nn/layers/container.js';

/** Input shape [C, H, W] and number of classes: what a classifier is built for. */
export interface ImageTask {
  inChannels: number;
  height: number;
  width: number;
  numClasses: number;
  /** Per-sample shapes of further inputs beside the image, by batch field (e.g. { audio: [32, 32] }); forward(x, ...them) in this order. */
  inputs?: Record<string, number[]>;
}

export interface MLPConfig {
  hidden?: number[];
  dropout?: number;
}

/** A multilayer perceptron on flattened inputs (default 784-256-128-10). */
export class MLP extends Module {
  flatten = new Flatten();
  layers: Sequential;
  constructor(readonly task: ImageTask, readonly config: MLPConfig = {}) {
    super();
    const hidden = config.hidden ?? [256, 128];
    const dims = [task.inChannels * task.height * task.width, ...hidden];
    const mods: Module[] = [];
    for (let i = 0; i < hidden.length; i++) {
      mods.push(new Linear(dims[i], dims[i + 1]), new ReLU());
      if (config.dropout) mods.push(new Dropout(config.dropout));
    }
    mods.push(new Linear(dims[dims.length - 1], task.numClasses));
    this.layers = new Sequential(...mods);
  }
  forward(x: Tensor): Tensor {
    return this.layers.forward(this.flatten.forward(x));
  }
}

export interface CNNConfig {
  channels?: [number, number];
  hidden?: number;
  dropout?: number;
}

/**
 * The seeds' CNN: conv 3×3 (32), ReLU, max-pool 2, conv 3×3 (64), ReLU, max-pool 2, flatten,
 * linear 128, ReLU, linear to the classes.
 */
export class CNN extends Module {
  features: Sequential;
  classifier: Sequential;
  constructor(readonly task: ImageTask, readonly config: CNNConfig = {}) {
    super();
    const [c1, c2] = config.channels ?? [32, 64];
    const hidden = config.hidden ?? 128;
    this.features = new Sequential(
      new Conv2d(task.inChannels, c1, 3), new ReLU(), new MaxPool2d(2),
      new Conv2d(c1, c2, 3), new ReLU(), new MaxPool2d(2),
    );
    const h = Math.floor((Math.floor((task.height - 2) / 2) - 2) / 2);
    const w = Math.floor((Math.floor((task.width - 2) / 2) - 2) / 2);
    const head: Module[] = [new Flatten(), new Linear(c2 * h * w, hidden), new ReLU()];
    if (config.dropout) head.push(new Dropout(config.dropout));
    head.push(new Linear(hidden, task.numClasses));
    this.classifier = new Sequential(...head);
  }
  forward(x: Tensor): Tensor {
    return this.classifier.forward(this.features.forward(x));
  }
}

/**
 * LeNet-5 (LeCun et al., 1998) for 28×28 inputs: the first convolution pads by 2 so the
 * original 32×32 arithmetic holds; average pooling and tanh as in the paper.
 */
export class LeNet5 extends Module {
  features: Sequential;
  classifier: Sequential;
  constructor(readonly task: ImageTask) {
    super();
    const pad = task.height === 28 ? 2 : 0;
    this.features = new Sequential(
      new Conv2d(task.inChannels, 6, 5, { padding: pad }), new Tanh(), new AvgPool2d(2),
      new Conv2d(6, 16, 5), new Tanh(), new AvgPool2d(2),
    );
    const h = Math.floor((Math.floor((task.height + 2 * pad - 4) / 2) - 4) / 2);
    const w = Math.floor((Math.floor((task.width + 2 * pad - 4) / 2) - 4) / 2);
    this.classifier = new Sequential(
      new Flatten(), new Linear(16 * h * w, 120), new Tanh(), new Linear(120, 84), new Tanh(), new Linear(84, task.numClasses),
    );
  }
  forward(x: Tensor): Tensor {
    return this.classifier.forward(this.features.forward(x));
  }
}
