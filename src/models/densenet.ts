// DenseNet (Huang et al., 2017): dense layers and blocks, transitions, the B (bottleneck) and C (compression)
// variants; DenseNet-121 in torchvision's layout and DenseNet-BC-100 (k = 12) for CIFAR.
import type { Tensor } from '../tensor/tensor.js';
import { StrataError } from '../tensor/errors.js';
import { Module } from '../nn/module.js';
import { Conv2d } from '../nn/layers/conv.js';
import { BatchNorm2d } from '../nn/layers/norm.js';
import { ReLU, Dropout } from '../nn/layers/activation.js';
import { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from '../nn/layers/pool.js';
import { Linear } from '../nn/layers/linear.js';
import { Sequential } from '../nn/layers/container.js';
import * as F from '../ops/index.js';
import type { ImageTask } from './basic.js';
import { cfgInts, cfgNum, initWeights, stemFor, type StemKind } from './util.js';

/**
 * One layer of a dense block (Huang et al., CVPR 2017) producing `growthRate` new feature maps. With a
 * bottleneck (bnSize > 0, the "B" variant): BN-ReLU-Conv1×1 (bnSize·k) then BN-ReLU-Conv3×3 (k); without:
 * BN-ReLU-Conv3×3 (k) only (norm1, relu1, conv1). torchvision's names: norm1, relu1, conv1, norm2, relu2, conv2.
 * x: [N, C, H, W] → [N, growthRate, H, W].
 */
export class DenseLayer extends Module {
  norm1: BatchNorm2d;
  relu1: ReLU;
  conv1: Conv2d;
  norm2: BatchNorm2d | null;
  relu2: ReLU | null;
  conv2: Conv2d | null;
  dropout: Dropout | null;
  constructor(readonly numInputFeatures: number, readonly growthRate: number, readonly bnSize: number, dropRate = 0) {
    super();
    this.norm1 = new BatchNorm2d(numInputFeatures);
    this.relu1 = new ReLU();
    if (bnSize > 0) {
      this.conv1 = new Conv2d(numInputFeatures, bnSize * growthRate, 1, { bias: false });
      this.norm2 = new BatchNorm2d(bnSize * growthRate);
      this.relu2 = new ReLU();
      this.conv2 = new Conv2d(bnSize * growthRate, growthRate, 3, { padding: 1, bias: false });
    } else {
      this.conv1 = new Conv2d(numInputFeatures, growthRate, 3, { padding: 1, bias: false });
      this.norm2 = null;
      this.relu2 = null;
      this.conv2 = null;
    }
    this.dropout = dropRate > 0 ? new Dropout(dropRate) : null;
  }
  forward(x: Tensor): Tensor {
    let y = this.conv1.forward(this.relu1.forward(this.norm1.forward(x)));
    if (this.conv2) y = this.conv2.forward(this.relu2!.forward(this.norm2!.forward(y)));
    return this.dropout ? this.dropout.forward(y) : y;
  }
}

/**
 * A dense block: layer i sees the concatenation of the block's input and all earlier layers' outputs.
 * Children denselayer1…denselayerN (torchvision's names).
 * x: [N, C, H, W] → [N, C + numLayers·growthRate, H, W].
 */
export class DenseBlock extends Module {
  readonly numLayers: number;
  constructor(numLayers: number, numInputFeatures: number, bnSize: number, growthRate: number, dropRate = 0) {
    super();
    this.numLayers = numLayers;
    for (let i = 0; i < numLayers; i++) {
      (this as unknown as Record<string, Module>)[`denselayer${i + 1}`] = new DenseLayer(numInputFeatures + i * growthRate, growthRate, bnSize, dropRate);
    }
  }
  forward(x: Tensor): Tensor {
    let features = x;
    for (const layer of this.children()) features = F.cat([features, layer.forward(features)], 1);
    return features;
  }
}

/**
 * A transition between dense blocks: BN-ReLU-Conv1×1 (to ⌊θ·C⌋ channels, θ the compression) and 2×2
 * average pooling. x: [N, C, H, W] → [N, outFeatures, ⌊H/2⌋, ⌊W/2⌋].
 */
export class Transition extends Module {
  norm: BatchNorm2d;
  relu: ReLU;
  conv: Conv2d;
  pool: AvgPool2d;
  constructor(readonly numInputFeatures: number, readonly numOutputFeatures: number) {
    super();
    this.norm = new BatchNorm2d(numInputFeatures);
    this.relu = new ReLU();
    this.conv = new Conv2d(numInputFeatures, numOutputFeatures, 1, { bias: false });
    this.pool = new AvgPool2d(2, { stride: 2 });
  }
  forward(x: Tensor): Tensor {
    return this.pool.forward(this.conv.forward(this.relu.forward(this.norm.forward(x))));
  }
}

export interface DenseNetConfig {
  /** k, the feature maps each layer adds (32 for DenseNet-121, 12 for DenseNet-BC-100). */
  growthRate?: number;
  /** Layers per dense block ([6, 12, 24, 16] for DenseNet-121). */
  blockConfig?: number[];
  /** Channels of the stem convolution (64; 2k for the CIFAR BC nets). */
  numInitFeatures?: number;
  /** Bottleneck width factor (4: "B"; 0 for no bottleneck). */
  bnSize?: number;
  /** θ of the transitions (0.5: "C"; 1 for none). */
  compression?: number;
  dropRate?: number;
  /** 'auto' (default), 'imagenet' (7×7 stride-2 conv, BN, ReLU, 3×3 max-pool) or 'small' (a 3×3 stride-1 conv only, as the CIFAR DenseNets). */
  stem?: 'auto' | StemKind;
}

/**
 * DenseNet ("Densely Connected Convolutional Networks", Huang, Liu, van der Maaten & Weinberger, CVPR 2017) in
 * torchvision's layout: features = conv0, norm0, relu0, pool0, denseblock1, transition1, …, denseblockN,
 * norm5, then ReLU, global average pooling and `classifier`. Defaults give DenseNet-121 (BC: bottlenecks
 * and compression 0.5), 7,978,856 parameters for 1000 classes. Initialisation as torchvision: kaiming-normal
 * (fan_in) convolutions, batch norm 1/0, linear bias 0.
 * x: [N, C, H, W] → logits [N, numClasses].
 */
export class DenseNet extends Module {
  features: Sequential;
  classifier: Linear;
  readonly stem: StemKind;
  readonly numFeatures: number;
  constructor(readonly task: ImageTask, config: DenseNetConfig = {}, name = 'densenet') {
    super();
    const cfg = config as Record<string, unknown>;
    const k = cfgNum(name, cfg, 'growthRate', 32, { int: true, min: 1 });
    const blocks = cfgInts(name, cfg, 'blockConfig', [6, 12, 24, 16]);
    const init = cfgNum(name, cfg, 'numInitFeatures', 64, { int: true, min: 1 });
    const bnSize = cfgNum(name, cfg, 'bnSize', 4, { int: true, min: 0 });
    const theta = cfgNum(name, cfg, 'compression', 0.5);
    if (!(theta > 0 && theta <= 1)) throw new StrataError(name, `config.compression must be in (0, 1], got ${theta}`);
    const drop = cfgNum(name, cfg, 'dropRate', 0, { min: 0 });
    this.stem = stemFor(name, task, cfg);
    const mods: Record<string, Module> = this.stem === 'imagenet'
      ? {
        conv0: new Conv2d(task.inChannels, init, 7, { stride: 2, padding: 3, bias: false }),
        norm0: new BatchNorm2d(init),
        relu0: new ReLU(),
        pool0: new MaxPool2d(3, { stride: 2, padding: 1 }),
      }
      : { conv0: new Conv2d(task.inChannels, init, 3, { padding: 1, bias: false }) };
    let c = init;
    blocks.forEach((n, i) => {
      mods[`denseblock${i + 1}`] = new DenseBlock(n, c, bnSize, k, drop);
      c += n * k;
      if (i !== blocks.length - 1) {
        const out = Math.floor(c * theta);
        mods[`transition${i + 1}`] = new Transition(c, out);
        c = out;
      }
    });
    mods[`norm${blocks.length + 1}`] = new BatchNorm2d(c);
    this.features = new Sequential(mods);
    this.numFeatures = c;
    this.classifier = new Linear(c, task.numClasses);
    initWeights(this, { conv: 'kaimingFanIn', linear: 'default', zeroBias: true });
  }
  forward(x: Tensor): Tensor {
    const f = F.relu(this.features.forward(x));
    return this.classifier.forward(F.adaptiveAvgPool2d(f, 1).flatten(1));
  }
}

/** DenseNet-121 (Huang et al., 2017): k = 32, blocks [6, 12, 24, 16], 64 stem channels, BC. */
export function densenet121(task: ImageTask, config: DenseNetConfig = {}): DenseNet {
  return new DenseNet(task, { growthRate: 32, blockConfig: [6, 12, 24, 16], numInitFeatures: 64, bnSize: 4, compression: 0.5, ...config }, 'densenet121');
}
/**
 * DenseNet-BC-100 with k = 12 (Huang et al., 2017, CIFAR): three dense blocks of 16 bottleneck layers,
 * 2k = 24 stem channels, compression 0.5; 0.8 M parameters.
 */
export function densenetBC100(task: ImageTask, config: DenseNetConfig = {}): DenseNet {
  return new DenseNet(task, { growthRate: 12, blockConfig: [16, 16, 16], numInitFeatures: 24, bnSize: 4, compression: 0.5, ...config }, 'densenet_bc_100');
}
