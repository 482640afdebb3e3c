// Wide residual networks WRN-d-k (Zagoruyko & Komodakis, 2016): pre-activation basic blocks, widened k times.
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
import { cfgNum, initWeights, stemFor, type StemKind } from './util.js';

/**
 * The wide basic block B(3,3) of "Wide Residual Networks" (Zagoruyko & Komodakis, BMVC 2016), pre-activation:
 * conv2(dropout(relu(bn2(conv1(relu(bn1(x))))))) + shortcut, where the shortcut is x, or a bias-free 1×1
 * (strided) convolution of relu(bn1(x)) when the width or stride changes.
 * x: [N, inPlanes, H, W] → [N, outPlanes, ⌈H/stride⌉, ⌈W/stride⌉].
 */
export class WideBasic extends Module {
  bn1: BatchNorm2d;
  relu1: ReLU;
  conv1: Conv2d;
  bn2: BatchNorm2d;
  relu2: ReLU;
  dropout: Dropout | null;
  conv2: Conv2d;
  shortcut: Conv2d | null;
  constructor(readonly inPlanes: number, readonly outPlanes: number, readonly stride: number, dropRate = 0) {
    super();
    this.bn1 = new BatchNorm2d(inPlanes);
    this.relu1 = new ReLU();
    this.conv1 = new Conv2d(inPlanes, outPlanes, 3, { stride, padding: 1, bias: false });
    this.bn2 = new BatchNorm2d(outPlanes);
    this.relu2 = new ReLU();
    this.dropout = dropRate > 0 ? new Dropout(dropRate) : null;
    this.conv2 = new Conv2d(outPlanes, outPlanes, 3, { padding: 1, bias: false });
    this.shortcut = inPlanes !== outPlanes || stride !== 1 ? new Conv2d(inPlanes, outPlanes, 1, { stride, bias: false }) : null;
  }
  forward(x: Tensor): Tensor {
    const o = this.relu1.forward(this.bn1.forward(x));
    let y = this.relu2.forward(this.bn2.forward(this.conv1.forward(o)));
    if (this.dropout) y = this.dropout.forward(y);
    y = this.conv2.forward(y);
    return y.add(this.shortcut ? this.shortcut.forward(o) : x);
  }
}

export interface WideResNetConfig {
  /** d = 6n + 4 (16, 22, 28, 40). */
  depth?: number;
  /** Widening factor k. */
  widen?: number;
  /** Base width (16): the stages have 16k, 32k and 64k channels. */
  width?: number;
  /** Dropout between the block's convolutions (the paper uses 0.3 on some runs). */
  dropout?: number;
  /** 'auto' (default: 3×3 stride-1 stem up to 64 px), 'small' or 'imagenet' (7×7 stride-2 conv and max-pool). */
  stem?: 'auto' | StemKind;
}

/**
 * WRN-d-k ("Wide Residual Networks", Zagoruyko & Komodakis, BMVC 2016): 3×3 conv to 16 channels, three
 * groups of n = (d − 4)/6 wide basic blocks with 16k, 32k, 64k channels (strides 1, 2, 2), then BN, ReLU,
 * global average pooling and a linear layer. WRN-28-10 has 36.5 M parameters on CIFAR-10.
 * x: [N, C, H, W] → logits [N, numClasses].
 */
export class WideResNet extends Module {
  conv1: Conv2d;
  maxpool: MaxPool2d | null;
  block1: Sequential;
  block2: Sequential;
  block3: Sequential;
  bn: BatchNorm2d;
  relu: ReLU;
  avgpool: AdaptiveAvgPool2d;
  fc: Linear;
  readonly stem: StemKind;
  constructor(readonly task: ImageTask, config: WideResNetConfig = {}, name = 'wrn') {
    super();
    const cfg = config as Record<string, unknown>;
    const depth = cfgNum(name, cfg, 'depth', 28, { int: true, min: 10 });
    if ((depth - 4) % 6 !== 0) throw new StrataError(name, `config.depth must be 6n + 4 (16, 22, 28, 40), got ${depth}`);
    const n = (depth - 4) / 6;
    const k = cfgNum(name, cfg, 'widen', 10, { int: true, min: 1 });
    const width = cfgNum(name, cfg, 'width', 16, { int: true, min: 1 });
    const drop = cfgNum(name, cfg, 'dropout', 0, { min: 0 });
    this.stem = stemFor(name, task, cfg);
    const ch = [width, width * k, 2 * width * k, 4 * width * k];
    this.conv1 = this.stem === 'imagenet'
      ? new Conv2d(task.inChannels, ch[0], 7, { stride: 2, padding: 3, bias: false })
      : new Conv2d(task.inChannels, ch[0], 3, { padding: 1, bias: false });
    this.maxpool = this.stem === 'imagenet' ? new MaxPool2d(3, { stride: 2, padding: 1 }) : null;
    const group = (inP: number, outP: number, stride: number) =>
      new Sequential(...Array.from({ length: n }, (_, i) => new WideBasic(i === 0 ? inP : outP, outP, i === 0 ? stride : 1, drop)));
    this.block1 = group(ch[0], ch[1], 1);
    this.block2 = group(ch[1], ch[2], 2);
    this.block3 = group(ch[2], ch[3], 2);
    this.bn = new BatchNorm2d(ch[3]);
    this.relu = new ReLU();
    this.avgpool = new AdaptiveAvgPool2d(1);
    this.fc = new Linear(ch[3], task.numClasses);
    initWeights(this, { conv: 'kaimingFanOut', linear: 'default', zeroBias: true });
  }
  forward(x: Tensor): Tensor {
    let y = this.conv1.forward(x);
    if (this.maxpool) y = this.maxpool.forward(y);
    y = this.block3.forward(this.block2.forward(this.block1.forward(y)));
    y = this.relu.forward(this.bn.forward(y));
    return this.fc.forward(this.avgpool.forward(y).flatten(1));
  }
}

/** WRN-28-10 (Zagoruyko & Komodakis, 2016): n = 4 blocks per group, widening 10. */
export function wrn28_10(task: ImageTask, config: WideResNetConfig = {}): WideResNet {
  return new WideResNet(task, { depth: 28, widen: 10, ...config }, 'wrn28_10');
}
/** WRN-16-4 (Zagoruyko & Komodakis, 2016): n = 2 blocks per group, widening 4. */
export function wrn16_4(task: ImageTask, config: WideResNetConfig = {}): WideResNet {
  return new WideResNet(task, { depth: 16, widen: 4, ...config }, 'wrn16_4');
}
