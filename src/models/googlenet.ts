// GoogLeNet / Inception v1 (Szegedy et al., 2015): the Inception block (1×1, 3×3, 5×5 and pooling branches,
// concatenated) and the 22-layer network in torchvision's layout, without the auxiliary classifiers.
import type { Tensor } from '../tensor/tensor.js';
import { StrataError } from '../tensor/errors.js';
import { Module } from '../nn/module.js';
import { Conv2d } from '../nn/layers/conv.js';
import { BatchNorm2d } from '../nn/layers/norm.js';
import { Dropout } from '../nn/layers/activation.js';
import { MaxPool2d, AdaptiveAvgPool2d } from '../nn/layers/pool.js';
import { Linear } from '../nn/layers/linear.js';
import { Sequential } from '../nn/layers/container.js';
import * as F from '../ops/index.js';
import type { ImageTask } from './basic.js';
import { cfgNum, initWeights, scaled, stemFor, type StemKind } from './util.js';

/** torchvision's BasicConv2d: bias-free conv, batch norm (eps 0.001), ReLU. */
export class BasicConv2d extends Module {
  conv: Conv2d;
  bn: BatchNorm2d;
  constructor(inChannels: number, outChannels: number, kernelSize: number, opts: { stride?: number; padding?: number } = {}) {
    super();
    this.conv = new Conv2d(inChannels, outChannels, kernelSize, { stride: opts.stride ?? 1, padding: opts.padding ?? 0, bias: false });
    this.bn = new BatchNorm2d(outChannels, { eps: 0.001 });
  }
  forward(x: Tensor): Tensor {
    return F.relu(this.bn.forward(this.conv.forward(x)));
  }
}

/**
 * The Inception module of "Going Deeper with Convolutions" (Szegedy et al., CVPR 2015, Fig. 2b): four
 * branches on the same input, concatenated along channels — 1×1 conv (ch1x1); 1×1 reduction then 3×3
 * (ch3x3red → ch3x3); 1×1 reduction then 5×5 (ch5x5red → ch5x5); 3×3 stride-1 max-pool then 1×1 (poolProj).
 * branch3Kernel = 3 reproduces torchvision's GoogLeNet, which uses a 3×3 conv in the third branch
 * (pytorch/vision#906) and so has 6,624,904 rather than 7,005,832 parameters.
 * x: [N, inChannels, H, W] → [N, ch1x1 + ch3x3 + ch5x5 + poolProj, H, W].
 */
export class Inception extends Module {
  branch1: BasicConv2d;
  branch2: Sequential;
  branch3: Sequential;
  branch4: Sequential;
  readonly outChannels: number;
  constructor(
    readonly inChannels: number, ch1x1: number, ch3x3red: number, ch3x3: number, ch5x5red: number, ch5x5: number, poolProj: number,
    branch3Kernel: 3 | 5 = 5,
  ) {
    super();
    this.branch1 = new BasicConv2d(inChannels, ch1x1, 1);
    this.branch2 = new Sequential(new BasicConv2d(inChannels, ch3x3red, 1), new BasicConv2d(ch3x3red, ch3x3, 3, { padding: 1 }));
    this.branch3 = new Sequential(new BasicConv2d(inChannels, ch5x5red, 1), new BasicConv2d(ch5x5red, ch5x5, branch3Kernel, { padding: branch3Kernel >> 1 }));
    this.branch4 = new Sequential(new MaxPool2d(3, { stride: 1, padding: 1, ceilMode: true }), new BasicConv2d(inChannels, poolProj, 1));
    this.outChannels = ch1x1 + ch3x3 + ch5x5 + poolProj;
  }
  forward(x: Tensor): Tensor {
    return F.cat([this.branch1.forward(x), this.branch2.forward(x), this.branch3.forward(x), this.branch4.forward(x)], 1);
  }
}

/** Table 1 of Szegedy et al.: #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj of each Inception module. */
const TABLE1: Record<string, readonly number[]> = {
  inception3a: [64, 96, 128, 16, 32, 32],
  inception3b: [128, 128, 192, 32, 96, 64],
  inception4a: [192, 96, 208, 16, 48, 64],
  inception4b: [160, 112, 224, 24, 64, 64],
  inception4c: [128, 128, 256, 24, 64, 64],
  inception4d: [112, 144, 288, 32, 64, 64],
  inception4e: [256, 160, 320, 32, 128, 128],
  inception5a: [256, 160, 320, 32, 128, 128],
  inception5b: [384, 192, 384, 48, 128, 128],
};

export interface GoogLeNetConfig {
  /** Scales every channel count of Table 1 and the stem (1). */
  widthMult?: number;
  /** 5 (the paper, default) or 3 (torchvision's weights' layout). */
  branch3Kernel?: 3 | 5;
  dropout?: number;
  /** 'auto' (default), 'imagenet' (7×7 stride-2 conv, max-pools) or 'small' (3×3 stride-1 first conv, no max-pool before inception3a). */
  stem?: 'auto' | StemKind;
}

/**
 * GoogLeNet ("Going Deeper with Convolutions", Szegedy et al., CVPR 2015) with batch norm in every conv as
 * torchvision builds it: conv1 7×7/2, max-pool, conv2 1×1, conv3 3×3, max-pool, inception 3a–3b, max-pool,
 * 4a–4e, max-pool, 5a–5b, global average pooling, dropout 0.2, fc. The auxiliary classifiers are left out
 * (torchvision's aux_logits=false). Weights: truncated normal(0, 0.01) for convolutions and fc, as torchvision.
 * x: [N, C, H, W] → logits [N, numClasses].
 */
export class GoogLeNet extends Module {
  conv1: BasicConv2d;
  maxpool1: MaxPool2d | null;
  conv2: BasicConv2d;
  conv3: BasicConv2d;
  maxpool2: MaxPool2d | null;
  inception3a: Inception;
  inception3b: Inception;
  maxpool3: MaxPool2d;
  inception4a: Inception;
  inception4b: Inception;
  inception4c: Inception;
  inception4d: Inception;
  inception4e: Inception;
  maxpool4: MaxPool2d;
  inception5a: Inception;
  inception5b: Inception;
  avgpool: AdaptiveAvgPool2d;
  dropout: Dropout;
  fc: Linear;
  readonly stem: StemKind;
  constructor(readonly task: ImageTask, config: GoogLeNetConfig = {}, name = 'googlenet') {
    super();
    const cfg = config as Record<string, unknown>;
    const wm = cfgNum(name, cfg, 'widthMult', 1);
    if (!(wm > 0)) throw new StrataError(name, `config.widthMult must be positive, got ${wm}`);
    const k3 = cfgNum(name, cfg, 'branch3Kernel', 5, { int: true });
    if (k3 !== 3 && k3 !== 5) throw new StrataError(name, `config.branch3Kernel must be 3 or 5, got ${k3}`);
    this.stem = stemFor(name, task, cfg);
    const s = (c: number) => scaled(c, wm);
    const big = this.stem === 'imagenet';
    this.conv1 = big ? new BasicConv2d(task.inChannels, s(64), 7, { stride: 2, padding: 3 }) : new BasicConv2d(task.inChannels, s(64), 3, { padding: 1 });
    this.maxpool1 = big ? new MaxPool2d(3, { stride: 2, ceilMode: true }) : null;
    this.conv2 = new BasicConv2d(s(64), s(64), 1);
    this.conv3 = new BasicConv2d(s(64), s(192), 3, { padding: 1 });
    this.maxpool2 = big ? new MaxPool2d(3, { stride: 2, ceilMode: true }) : null;
    let c = s(192);
    const inception = (key: string): Inception => {
      const [a, b, d, e, f, g] = TABLE1[key].map(s);
      const m = new Inception(c, a, b, d, e, f, g, k3);
      c = m.outChannels;
      return m;
    };
    this.inception3a = inception('inception3a');
    this.inception3b = inception('inception3b');
    this.maxpool3 = new MaxPool2d(3, { stride: 2, ceilMode: true });
    this.inception4a = inception('inception4a');
    this.inception4b = inception('inception4b');
    this.inception4c = inception('inception4c');
    this.inception4d = inception('inception4d');
    this.inception4e = inception('inception4e');
    this.maxpool4 = new MaxPool2d(2, { stride: 2, ceilMode: true });
    this.inception5a = inception('inception5a');
    this.inception5b = inception('inception5b');
    this.avgpool = new AdaptiveAvgPool2d(1);
    this.dropout = new Dropout(cfgNum(name, cfg, 'dropout', 0.2, { min: 0 }));
    this.fc = new Linear(c, task.numClasses);
    initWeights(this, { conv: 'truncNormal', linear: 'truncNormal', zeroBias: false });
  }
  forward(x: Tensor): Tensor {
    let y = this.conv1.forward(x);
    if (this.maxpool1) y = this.maxpool1.forward(y);
    y = this.conv3.forward(this.conv2.forward(y));
    if (this.maxpool2) y = this.maxpool2.forward(y);
    y = this.maxpool3.forward(this.inception3b.forward(this.inception3a.forward(y)));
    for (const m of [this.inception4a, this.inception4b, this.inception4c, this.inception4d, this.inception4e]) y = m.forward(y);
    y = this.inception5b.forward(this.inception5a.forward(this.maxpool4.forward(y)));
    return this.fc.forward(this.dropout.forward(this.avgpool.forward(y).flatten(1)));
  }
}

/** GoogLeNet (Szegedy et al., 2015) with the paper's 5×5 third branch. */
export function googlenet(task: ImageTask, config: GoogLeNetConfig = {}): GoogLeNet {
  return new GoogLeNet(task, config, 'googlenet');
}
