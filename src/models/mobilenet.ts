// MobileNets: depthwise-separable convolution and MobileNetV1 (Howard et al., 2017); inverted residuals with
// linear bottlenecks and MobileNetV2 (Sandler et al., 2018) in torchvision's layout.
import type { Tensor } from '../tensor/tensor.js';
import { StrataError } from '../tensor/errors.js';
import { Module } from '../nn/module.js';
import { BatchNorm2d } from '../nn/layers/norm.js';
import { Conv2d } from '../nn/layers/conv.js';
import { Dropout } from '../nn/layers/activation.js';
import { AdaptiveAvgPool2d } from '../nn/layers/pool.js';
import { Linear } from '../nn/layers/linear.js';
import { Sequential } from '../nn/layers/container.js';
import * as F from '../ops/index.js';
import type { ImageTask } from './basic.js';
import { cfgNum, convBNAct, initWeights, makeDivisible, scaled, stemFor, type StemKind } from './util.js';

/**
 * Depthwise-separable convolution (Howard et al., 2017; Chollet, 2017): a 3×3 depthwise convolution
 * (groups = channels) with BN and ReLU, then a 1×1 pointwise convolution with BN and ReLU.
 * Costs C·9 + C·C' multiply-adds per output pixel instead of a full 3×3 conv's C·C'·9.
 * x: [N, inChannels, H, W] → [N, outChannels, ⌈H/stride⌉, ⌈W/stride⌉].
 */
export class DepthwiseSeparableConv extends Module {
  dw: Sequential;
  pw: Sequential;
  constructor(readonly inChannels: number, readonly outChannels: number, readonly stride = 1) {
    super();
    this.dw = convBNAct(inChannels, inChannels, 3, { stride, groups: inChannels });
    this.pw = convBNAct(inChannels, outChannels, 1);
  }
  forward(x: Tensor): Tensor {
    return this.pw.forward(this.dw.forward(x));
  }
}

export interface MobileNetV1Config {
  /** Width multiplier α (1): every layer's channels are scaled by it. */
  widthMult?: number;
  /** 'auto' (default), 'imagenet' (first conv stride 2) or 'small' (first conv stride 1, as the CIFAR MobileNet). */
  stem?: 'auto' | StemKind;
}

/** Table 1 of Howard et al.: [output channels, stride] of the 13 depthwise-separable layers. */
const V1_LAYERS: readonly [number, number][] = [
  [64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2],
  [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1],
];

/**
 * MobileNetV1 ("MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications", Howard et
 * al., 2017): a 3×3 stride-2 conv to 32 channels, 13 depthwise-separable layers (Table 1), global average
 * pooling and a linear layer. 4.2 M parameters and 569 M multiply-adds at α = 1 on 224×224.
 * x: [N, C, H, W] → logits [N, numClasses].
 */
export class MobileNetV1 extends Module {
  features: Sequential;
  avgpool: AdaptiveAvgPool2d;
  fc: Linear;
  readonly stem: StemKind;
  constructor(readonly task: ImageTask, config: MobileNetV1Config = {}, name = 'mobilenet_v1') {
    super();
    const cfg = config as Record<string, unknown>;
    const a = cfgNum(name, cfg, 'widthMult', 1);
    if (!(a > 0)) throw new StrataError(name, `config.widthMult must be positive, got ${a}`);
    this.stem = stemFor(name, task, cfg);
    let c = scaled(32, a);
    const mods: Module[] = [convBNAct(task.inChannels, c, 3, { stride: this.stem === 'imagenet' ? 2 : 1 })];
    for (const [out, s] of V1_LAYERS) {
      const o = scaled(out, a);
      mods.push(new DepthwiseSeparableConv(c, o, s));
      c = o;
    }
    this.features = new Sequential(...mods);
    this.avgpool = new AdaptiveAvgPool2d(1);
    this.fc = new Linear(c, task.numClasses);
    initWeights(this, { conv: 'kaimingFanOut', linear: 'default', zeroBias: true });
  }
  forward(x: Tensor): Tensor {
    return this.fc.forward(this.avgpool.forward(this.features.forward(x)).flatten(1));
  }
}

/**
 * MobileNetV2's inverted residual (Sandler et al., 2018): 1×1 expansion to t·C with ReLU6 (skipped when
 * t = 1), 3×3 depthwise conv with ReLU6 (the stride), 1×1 linear projection with BN and no activation;
 * the input is added when stride = 1 and the width is kept. torchvision's layout: conv = Sequential of
 * [ConvBNReLU6 (expand), ConvBNReLU6 (depthwise), Conv2d, BatchNorm2d].
 * x: [N, inp, H, W] → [N, oup, ⌈H/stride⌉, ⌈W/stride⌉].
 */
export class InvertedResidual extends Module {
  conv: Sequential;
  readonly useResConnect: boolean;
  constructor(readonly inp: number, readonly oup: number, readonly stride: number, readonly expandRatio: number) {
    super();
    if (stride !== 1 && stride !== 2) throw new StrataError('InvertedResidual', `stride must be 1 or 2, got ${stride}`);
    const hidden = Math.round(inp * expandRatio);
    this.useResConnect = stride === 1 && inp === oup;
    const mods: Module[] = [];
    if (expandRatio !== 1) mods.push(convBNAct(inp, hidden, 1, { act: 'relu6' }));
    mods.push(
      convBNAct(hidden, hidden, 3, { stride, groups: hidden, act: 'relu6' }),
      new Conv2d(hidden, oup, 1, { bias: false }),
      new BatchNorm2d(oup),
    );
    this.conv = new Sequential(...mods);
  }
  forward(x: Tensor): Tensor {
    const y = this.conv.forward(x);
    return this.useResConnect ? x.add(y) : y;
  }
}

export interface MobileNetV2Config {
  /** Width multiplier (1). */
  widthMult?: number;
  /** Channels are rounded to multiples of this (8); 1 turns rounding off. */
  roundNearest?: number;
  /** Rows [t, c, n, s]: expansion, output channels, repeats, first stride (the paper's Table 2 by default). */
  invertedResidualSetting?: [number, number, number, number][];
  /** Channels of the last 1×1 conv (1280, scaled only when widthMult > 1). */
  lastChannel?: number;
  dropout?: number;
  /** 'auto' (default), 'imagenet' or 'small' (first conv and the first stride-2 stage at stride 1: total stride 8, as the CIFAR MobileNetV2). */
  stem?: 'auto' | StemKind;
}

const V2_SETTING: [number, number, number, number][] = [
  [1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1],
];

/**
 * MobileNetV2 ("MobileNetV2: Inverted Residuals and Linear Bottlenecks", Sandler, Howard, Zhu, Zhmoginov &
 * Chen, CVPR 2018) in torchvision's layout: features.0 (3×3 stride-2 conv, BN, ReLU6), features.1–17
 * (inverted residuals), features.18 (1×1 conv to 1280, BN, ReLU6), then global average pooling and
 * classifier = [Dropout(0.2), Linear]. 3,504,872 parameters and 0.301 G multiply-adds for 1000 classes at
 * 224×224. Initialisation as torchvision: kaiming-normal (fan_out) convolutions, linear N(0, 0.01), biases 0.
 * x: [N, C, H, W] → logits [N, numClasses].
 */
export class MobileNetV2 extends Module {
  features: Sequential;
  classifier: Sequential;
  readonly stem: StemKind;
  readonly lastChannel: number;
  constructor(readonly task: ImageTask, config: MobileNetV2Config = {}, name = 'mobilenet_v2') {
    super();
    const cfg = config as Record<string, unknown>;
    const wm = cfgNum(name, cfg, 'widthMult', 1);
    if (!(wm > 0)) throw new StrataError(name, `config.widthMult must be positive, got ${wm}`);
    const round = cfgNum(name, cfg, 'roundNearest', 8, { int: true, min: 1 });
    const setting = (cfg.invertedResidualSetting ?? V2_SETTING) as [number, number, number, number][];
    if (!Array.isArray(setting) || setting.length === 0 || setting.some((r) => !Array.isArray(r) || r.length !== 4 || r.some((v) => !(typeof v === 'number' && v > 0)))) {
      throw new StrataError(name, `config.invertedResidualSetting must be a non-empty list of [t, c, n, s] rows, got ${JSON.stringify(setting)}`);
    }
    this.stem = stemFor(name, task, cfg);
    let input = makeDivisible(32 * wm, round);
    this.lastChannel = makeDivisible(cfgNum(name, cfg, 'lastChannel', 1280, { int: true, min: 1 }) * Math.max(1, wm), round);
    const mods: Module[] = [convBNAct(task.inChannels, input, 3, { stride: this.stem === 'imagenet' ? 2 : 1, act: 'relu6' })];
    let keptStride = this.stem === 'small';
    for (const [t, c, n, s0] of setting) {
      let s = s0;
      if (keptStride && s === 2) {
        s = 1;
        keptStride = false;
      }
      const out = makeDivisible(c * wm, round);
      for (let i = 0; i < n; i++) {
        mods.push(new InvertedResidual(input, out, i === 0 ? s : 1, t));
        input = out;
      }
    }
    mods.push(convBNAct(input, this.lastChannel, 1, { act: 'relu6' }));
    this.features = new Sequential(...mods);
    this.classifier = new Sequential(new Dropout(cfgNum(name, cfg, 'dropout', 0.2, { min: 0 })), new Linear(this.lastChannel, task.numClasses));
    initWeights(this, { conv: 'kaimingFanOut', linear: 'normal', zeroBias: true });
  }
  forward(x: Tensor): Tensor {
    const f = this.features.forward(x);
    return this.classifier.forward(F.adaptiveAvgPool2d(f, 1).flatten(1));
  }
}

/** MobileNetV1 at α = 1 (Howard et al., 2017). */
export function mobilenetV1(task: ImageTask, config: MobileNetV1Config = {}): MobileNetV1 {
  return new MobileNetV1(task, config, 'mobilenet_v1');
}
/** MobileNetV2 at width 1 (Sandler et al., 2018). */
export function mobilenetV2(task: ImageTask, config: MobileNetV2Config = {}): MobileNetV2 {
  return new MobileNetV2(task, config, 'mobilenet_v2');
}
