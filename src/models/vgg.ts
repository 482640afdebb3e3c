// VGG (Simonyan & Zisserman, 2015): configurations A/B/D/E (VGG-11/13/16/19), optionally with batch norm, in
// torchvision's layout.
import type { Tensor } from '../tensor/tensor.js';
import { StrataError } from '../tensor/errors.js';
import { Module } from '../nn/module.js';
import { Conv2d } from '../nn/layers/conv.js';
import { BatchNorm2d } from '../nn/layers/norm.js';
import { ReLU, Dropout } from '../nn/layers/activation.js';
import { MaxPool2d, AdaptiveAvgPool2d } from '../nn/layers/pool.js';
import { Linear } from '../nn/layers/linear.js';
import { Sequential } from '../nn/layers/container.js';
import type { ImageTask } from './basic.js';
import { cfgBool, cfgNum, initWeights, scaled, stemFor, type StemKind } from './util.js';

/** Table 1 of Simonyan & Zisserman: 3×3 conv widths, 'M' for a 2×2 max-pool. */
export const VGG_CFGS: Readonly<Record<number, readonly (number | 'M')[]>> = {
  11: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  13: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  16: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  19: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
};

export interface VGGConfig {
  /** 11, 13, 16 or 19 weight layers. */
  depth?: number;
  /** Batch norm after every convolution (torchvision's vgg*_bn). */
  batchNorm?: boolean;
  /** Scales the convolution widths and the classifier's hidden layers (1). */
  widthMult?: number;
  /** Hidden units of the two fully connected layers (4096; 'imagenet' head only). */
  hidden?: number;
  dropout?: number;
  /**
   * 'auto' (default), 'imagenet' (7×7 adaptive average pool and three fully connected layers) or 'small'
   * (the CIFAR VGG: max-pools in ceil mode, so 28-px inputs reach 1×1, global average pool and one linear layer).
   */
  stem?: 'auto' | StemKind;
}

/**
 * VGG ("Very Deep Convolutional Networks for Large-Scale Image Recognition", Simonyan & Zisserman, ICLR 2015)
 * in torchvision's layout: features (3×3 convs with bias, [BN,] ReLU, max-pools), avgpool (adaptive 7×7),
 * classifier = [Linear(512·49, 4096), ReLU, Dropout, Linear(4096, 4096), ReLU, Dropout, Linear]. VGG-16 has
 * 138,357,544 parameters for 1000 classes. Initialisation as torchvision: kaiming-normal (fan_out)
 * convolutions, linear N(0, 0.01), biases 0.
 * x: [N, C, H, W] → logits [N, numClasses].
 */
export class VGG extends Module {
  features: Sequential;
  avgpool: AdaptiveAvgPool2d;
  classifier: Sequential;
  readonly stem: StemKind;
  constructor(readonly task: ImageTask, config: VGGConfig = {}, name = 'vgg') {
    super();
    const cfg = config as Record<string, unknown>;
    const depth = cfgNum(name, cfg, 'depth', 16, { int: true });
    const layout = VGG_CFGS[depth];
    if (!layout) throw new StrataError(name, `config.depth must be 11, 13, 16 or 19, got ${depth}`);
    const bn = cfgBool(name, cfg, 'batchNorm', false);
    const wm = cfgNum(name, cfg, 'widthMult', 1);
    if (!(wm > 0)) throw new StrataError(name, `config.widthMult must be positive, got ${wm}`);
    const drop = cfgNum(name, cfg, 'dropout', 0.5, { min: 0 });
    this.stem = stemFor(name, task, cfg);
    const mods: Module[] = [];
    let c = task.inChannels;
    for (const v of layout) {
      if (v === 'M') {
        mods.push(new MaxPool2d(2, { stride: 2, ceilMode: this.stem === 'small' }));
      } else {
        const o = scaled(v, wm);
        mods.push(new Conv2d(c, o, 3, { padding: 1 }));
        if (bn) mods.push(new BatchNorm2d(o));
        mods.push(new ReLU());
        c = o;
      }
    }
    this.features = new Sequential(...mods);
    if (this.stem === 'imagenet') {
      const hidden = scaled(cfgNum(name, cfg, 'hidden', 4096, { int: true, min: 1 }), wm);
      this.avgpool = new AdaptiveAvgPool2d(7);
      this.classifier = new Sequential(
        new Linear(c * 49, hidden), new ReLU(), new Dropout(drop),
        new Linear(hidden, hidden), new ReLU(), new Dropout(drop),
        new Linear(hidden, task.numClasses),
      );
    } else {
      this.avgpool = new AdaptiveAvgPool2d(1);
      this.classifier = new Sequential(new Linear(c, task.numClasses));
    }
    initWeights(this, { conv: 'kaimingFanOut', linear: 'normal', zeroBias: true });
  }
  forward(x: Tensor): Tensor {
    return this.classifier.forward(this.avgpool.forward(this.features.forward(x)).flatten(1));
  }
}

/** VGG-11 (configuration A of Simonyan & Zisserman, 2015). */
export function vgg11(task: ImageTask, config: VGGConfig = {}): VGG {
  return new VGG(task, { depth: 11, ...config }, 'vgg11');
}
/** VGG-11 with batch norm. */
export function vgg11Bn(task: ImageTask, config: VGGConfig = {}): VGG {
  return new VGG(task, { depth: 11, batchNorm: true, ...config }, 'vgg11_bn');
}
/** VGG-16 (configuration D of Simonyan & Zisserman, 2015). */
export function vgg16(task: ImageTask, config: VGGConfig = {}): VGG {
  return new VGG(task, { depth: 16, ...config }, 'vgg16');
}
/** VGG-16 with batch norm. */
export function vgg16Bn(task: ImageTask, config: VGGConfig = {}): VGG {
  return new VGG(task, { depth: 16, batchNorm: true, ...config }, 'vgg16_bn');
}
