// CIFAR ResNets (He et al., 2016, §4.2): ResNet-20/56 (depth 6n+2) with the option-A (zero-padding) or option-B
// (projection) shortcut, built from resnet.ts's BasicBlock.
import type { Tensor } from '../tensor/tensor.js';
import { StrataError } from '../tensor/errors.js';
import { Module } from '../nn/module.js';
import { Conv2d } from '../nn/layers/conv.js';
import { BatchNorm2d } from '../nn/layers/norm.js';
import { ReLU } from '../nn/layers/activation.js';
import { MaxPool2d, AdaptiveAvgPool2d } from '../nn/layers/pool.js';
import { Linear } from '../nn/layers/linear.js';
import { Sequential } from '../nn/layers/container.js';
import * as F from '../ops/index.js';
import type { ImageTask } from './basic.js';
import { BasicBlock, conv1x1 } from './resnet.js';
import { cfgNum, initWeights, stemFor, type StemKind } from './util.js';

/**
 * He et al.'s option-A shortcut: subsample by the stride (every stride-th row and column) and zero-pad
 * the new channels, half before and half after the old ones; no parameters.
 * x: [N, inPlanes, H, W] → [N, outPlanes, ⌈H/stride⌉, ⌈W/stride⌉].
 */
export class ZeroPadShortcut extends Module {
  constructor(readonly inPlanes: number, readonly outPlanes: number, readonly stride: number) {
    super();
    if (outPlanes < inPlanes) throw new StrataError('ZeroPadShortcut', `cannot pad ${inPlanes} channels down to ${outPlanes}`);
  }
  forward(x: Tensor): Tensor {
    let y = x;
    if (this.stride !== 1) y = F.slice(F.slice(y, 2, 0, null, this.stride), 3, 0, null, this.stride);
    const extra = this.outPlanes - this.inPlanes;
    return extra ? F.pad(y, [0, 0, 0, 0, extra >> 1, extra - (extra >> 1)]) : y;
  }
  override extraRepr(): string {
    return `${this.inPlanes} → ${this.outPlanes}, stride=${this.stride}`;
  }
}

export interface CifarResNetConfig {
  /** 6n + 2 (20, 32, 44, 56, 110). */
  depth?: number;
  /** Filters of the first stage (16); the stages have width, 2·width, 4·width. */
  width?: number;
  /** 'A' (default, the paper's CIFAR choice): zero-padding identity; 'B': 1×1 conv + batch norm projection where the shape changes. */
  shortcut?: 'A' | 'B';
  /** 'auto' (default: 3×3 stride-1 stem up to 64 px), 'small' or 'imagenet' (7×7 stride-2 conv and max-pool, for 224-px inputs). */
  stem?: 'auto' | StemKind;
}

/**
 * The CIFAR-10 ResNets of "Deep Residual Learning for Image Recognition" (He, Zhang, Ren & Sun, CVPR 2016,
 * §4.2): a 3×3 conv to 16 filters, three stages of n basic blocks on 32×32, 16×16 and 8×8 maps (16, 32, 64
 * filters), global average pooling and a linear layer; depth 6n + 2. Shortcuts are option A by default
 * (identity, zero-padded when the width doubles: ResNet-20 has 0.27 M parameters), option B on request.
 * x: [N, C, H, W] → logits [N, numClasses].
 */
export class CifarResNet extends Module {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  relu: ReLU;
  maxpool: MaxPool2d | null;
  layer1: Sequential;
  layer2: Sequential;
  layer3: Sequential;
  avgpool: AdaptiveAvgPool2d;
  fc: Linear;
  readonly stem: StemKind;
  readonly shortcut: 'A' | 'B';
  constructor(readonly task: ImageTask, config: CifarResNetConfig = {}, name = 'cifar_resnet') {
    super();
    const cfg = config as Record<string, unknown>;
    const depth = cfgNum(name, cfg, 'depth', 20, { int: true, min: 8 });
    if ((depth - 2) % 6 !== 0) throw new StrataError(name, `config.depth must be 6n + 2 (20, 32, 44, 56, 110), got ${depth}`);
    const n = (depth - 2) / 6;
    const width = cfgNum(name, cfg, 'width', 16, { int: true, min: 1 });
    const sc = cfg.shortcut ?? 'A';
    if (sc !== 'A' && sc !== 'B') throw new StrataError(name, `config.shortcut must be 'A' or 'B', got ${JSON.stringify(sc)}`);
    this.shortcut = sc;
    this.stem = stemFor(name, task, cfg);
    this.conv1 = this.stem === 'imagenet'
      ? new Conv2d(task.inChannels, width, 7, { stride: 2, padding: 3, bias: false })
      : new Conv2d(task.inChannels, width, 3, { padding: 1, bias: false });
    this.bn1 = new BatchNorm2d(width);
    this.relu = new ReLU();
    this.maxpool = this.stem === 'imagenet' ? new MaxPool2d(3, { stride: 2, padding: 1 }) : null;
    let inplanes = width;
    const make = (planes: number, stride: number): Sequential => {
      const mods: Module[] = [];
      for (let i = 0; i < n; i++) {
        const s = i === 0 ? stride : 1;
        let ds: Module | null = null;
        if (s !== 1 || inplanes !== planes) {
          ds = sc === 'A' ? new ZeroPadShortcut(inplanes, planes, s) : new Sequential(conv1x1(inplanes, planes, s), new BatchNorm2d(planes));
        }
        mods.push(new BasicBlock(inplanes, planes, s, ds));
        inplanes = planes;
      }
      return new Sequential(...mods);
    };
    this.layer1 = make(width, 1);
    this.layer2 = make(width * 2, 2);
    this.layer3 = make(width * 4, 2);
    this.avgpool = new AdaptiveAvgPool2d(1);
    this.fc = new Linear(width * 4, task.numClasses);
    initWeights(this, { conv: 'kaimingFanOut', linear: 'default', zeroBias: false });
  }
  forward(x: Tensor): Tensor {
    let y = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
    if (this.maxpool) y = this.maxpool.forward(y);
    y = this.layer3.forward(this.layer2.forward(this.layer1.forward(y)));
    return this.fc.forward(this.avgpool.forward(y).flatten(1));
  }
}

/** ResNet-20 for CIFAR (He et al., 2016, §4.2): n = 3, option-A shortcuts, 0.27 M parameters. */
export function resnet20(task: ImageTask, config: CifarResNetConfig = {}): CifarResNet {
  return new CifarResNet(task, { depth: 20, ...config }, 'resnet20');
}
/** ResNet-56 for CIFAR (He et al., 2016, §4.2): n = 9, option-A shortcuts, 0.85 M parameters. */
export function resnet56(task: ImageTask, config: CifarResNetConfig = {}): CifarResNet {
  return new CifarResNet(task, { depth: 56, ...config }, 'resnet56');
}
