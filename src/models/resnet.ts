// ResNet (He et al., 2016) in torchvision's layout and parameter names: BasicBlock, Bottleneck, ResNet-18/34/50,
// and SE-ResNet-18/50 (a squeeze-and-excitation unit on each residual branch, Hu et al., 2018).
import type { Tensor } from '../tensor/tensor.js';
import { StrataError } from '../tensor/errors.js';
import { Module } from '../nn/module.js';
import { Conv2d } from '../nn/layers/conv.js';
import { BatchNorm2d } from '../nn/layers/norm.js';
import { ReLU } from '../nn/layers/activation.js';
import { MaxPool2d, AdaptiveAvgPool2d } from '../nn/layers/pool.js';
import { Linear } from '../nn/layers/linear.js';
import { Sequential } from '../nn/layers/container.js';
import { constant_ } from '../nn/init.js';
import type { ImageTask } from './basic.js';
import { SqueezeExcitation } from './senet.js';
import { cfgBool, cfgInts, cfgNum, initWeights, stemFor, type StemKind } from './util.js';

/** 3×3 convolution, padding 1, no bias (torchvision's conv3x3). */
export function conv3x3(inPlanes: number, outPlanes: number, stride = 1): Conv2d {
  return new Conv2d(inPlanes, outPlanes, 3, { stride, padding: 1, bias: false });
}
/** 1×1 convolution, no bias (torchvision's conv1x1). */
export function conv1x1(inPlanes: number, outPlanes: number, stride = 1): Conv2d {
  return new Conv2d(inPlanes, outPlanes, 1, { stride, bias: false });
}

/** Options of a residual block: a squeeze-and-excitation unit on the residual branch (reduction r). */
export interface BlockOptions {
  se?: boolean;
  seReduction?: number;
}

/**
 * ResNet's basic block ("Deep Residual Learning for Image Recognition", He, Zhang, Ren & Sun, CVPR 2016):
 * relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), two 3×3 convolutions, the first with the stride.
 * `downsample` maps x to the output's shape when stride ≠ 1 or the width changes (a 1×1 conv + BN in
 * torchvision; CIFAR ResNets may pass a parameter-free zero-padding shortcut instead).
 * x: [N, inplanes, H, W] → [N, planes, ⌈H/stride⌉, ⌈W/stride⌉].
 */
export class BasicBlock extends Module {
  static readonly expansion = 1;
  conv1: Conv2d;
  bn1: BatchNorm2d;
  relu: ReLU;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  se: SqueezeExcitation | null;
  downsample: Module | null;
  constructor(readonly inplanes: number, readonly planes: number, readonly stride = 1, downsample: Module | null = null, opts: BlockOptions = {}) {
    super();
    this.conv1 = conv3x3(inplanes, planes, stride);
    this.bn1 = new BatchNorm2d(planes);
    this.relu = new ReLU();
    this.conv2 = conv3x3(planes, planes);
    this.bn2 = new BatchNorm2d(planes);
    this.se = opts.se ? new SqueezeExcitation(planes, opts.seReduction ?? 16) : null;
    this.downsample = downsample;
  }
  forward(x: Tensor): Tensor {
    let out = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
    out = this.bn2.forward(this.conv2.forward(out));
    if (this.se) out = this.se.forward(out);
    const identity = this.downsample ? this.downsample.forward(x) : x;
    return this.relu.forward(out.add(identity));
  }
  /** The batch norm that closes the residual branch (zeroed by zeroInitResidual). */
  get lastBN(): BatchNorm2d {
    return this.bn2;
  }
}

/**
 * ResNet's bottleneck block (He et al., CVPR 2016), torchvision's "v1.5" placement of the stride on the 3×3
 * convolution: 1×1 (planes) → 3×3 (planes, stride) → 1×1 (4·planes), each followed by batch norm, ReLU after
 * the first two and after the sum with the shortcut.
 * x: [N, inplanes, H, W] → [N, 4·planes, ⌈H/stride⌉, ⌈W/stride⌉].
 */
export class Bottleneck extends Module {
  static readonly expansion = 4;
  conv1: Conv2d;
  bn1: BatchNorm2d;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  conv3: Conv2d;
  bn3: BatchNorm2d;
  relu: ReLU;
  se: SqueezeExcitation | null;
  downsample: Module | null;
  constructor(readonly inplanes: number, readonly planes: number, readonly stride = 1, downsample: Module | null = null, opts: BlockOptions = {}) {
    super();
    this.conv1 = conv1x1(inplanes, planes);
    this.bn1 = new BatchNorm2d(planes);
    this.conv2 = conv3x3(planes, planes, stride);
    this.bn2 = new BatchNorm2d(planes);
    this.conv3 = conv1x1(planes, planes * Bottleneck.expansion);
    this.bn3 = new BatchNorm2d(planes * Bottleneck.expansion);
    this.relu = new ReLU();
    this.se = opts.se ? new SqueezeExcitation(planes * Bottleneck.expansion, opts.seReduction ?? 16) : null;
    this.downsample = downsample;
  }
  forward(x: Tensor): Tensor {
    let out = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
    out = this.relu.forward(this.bn2.forward(this.conv2.forward(out)));
    out = this.bn3.forward(this.conv3.forward(out));
    if (this.se) out = this.se.forward(out);
    const identity = this.downsample ? this.downsample.forward(x) : x;
    return this.relu.forward(out.add(identity));
  }
  get lastBN(): BatchNorm2d {
    return this.bn3;
  }
}

export interface ResNetConfig {
  /** 'basic' (ResNet-18/34) or 'bottleneck' (ResNet-50 and deeper). */
  block?: 'basic' | 'bottleneck';
  /** Blocks per stage (four stages; [2, 2, 2, 2] is ResNet-18). */
  layers?: number[];
  /** Channels of the stem and first stage (64); stage i has width·2^i planes. */
  width?: number;
  /** 'auto' (default), 'imagenet' (7×7 stride-2 conv, 3×3 stride-2 max-pool) or 'small' (3×3 stride-1 conv, no max-pool). */
  stem?: 'auto' | StemKind;
  /** Zero each residual branch's last batch-norm weight, so every block starts as the identity (Goyal et al., 2017). */
  zeroInitResidual?: boolean;
  /** Squeeze-and-excitation units on the residual branches (SE-ResNet). */
  se?: boolean;
  /** SE reduction ratio r (16). */
  seReduction?: number;
}

/**
 * ResNet ("Deep Residual Learning for Image Recognition", He, Zhang, Ren & Sun, CVPR 2016) with torchvision's
 * module names (conv1, bn1, layer1…layer4, fc) so state dicts line up key for key (batch-norm buffers included:
 * bn1.running_mean). Weights are initialised as torchvision does:
 * kaiming-normal (fan_out) convolutions, batch norm 1/0, PyTorch's default Linear.
 * For small inputs (≤ 64 px, or config.stem 'small') the stem is a 3×3 stride-1 conv without max-pool, as the
 * CIFAR versions of ResNet-18/34/50 are usually run.
 * x: [N, C, H, W] → logits [N, numClasses].
 */
export class ResNet extends Module {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  relu: ReLU;
  maxpool: MaxPool2d | null;
  layer1: Sequential;
  layer2: Sequential;
  layer3: Sequential;
  layer4: Sequential;
  avgpool: AdaptiveAvgPool2d;
  fc: Linear;
  readonly stem: StemKind;
  private inplanes: number;
  constructor(readonly task: ImageTask, config: ResNetConfig = {}, name = 'resnet') {
    super();
    const cfg = config as Record<string, unknown>;
    const blockKind = cfg.block ?? 'basic';
    if (blockKind !== 'basic' && blockKind !== 'bottleneck') throw new StrataError(name, `config.block must be 'basic' or 'bottleneck', got ${JSON.stringify(blockKind)}`);
    const layers = cfgInts(name, cfg, 'layers', [2, 2, 2, 2], 4);
    const width = cfgNum(name, cfg, 'width', 64, { int: true, min: 1 });
    const blockOpts: BlockOptions = { se: cfgBool(name, cfg, 'se', false), seReduction: cfgNum(name, cfg, 'seReduction', 16, { min: 1 }) };
    this.stem = stemFor(name, task, cfg);
    this.inplanes = width;
    this.conv1 = this.stem === 'imagenet'
      ? new Conv2d(task.inChannels, width, 7, { stride: 2, padding: 3, bias: false })
      : new Conv2d(task.inChannels, width, 3, { stride: 1, padding: 1, bias: false });
    this.bn1 = new BatchNorm2d(width);
    this.relu = new ReLU();
    this.maxpool = this.stem === 'imagenet' ? new MaxPool2d(3, { stride: 2, padding: 1 }) : null;
    const expansion = blockKind === 'basic' ? BasicBlock.expansion : Bottleneck.expansion;
    const make = (planes: number, blocks: number, stride: number): Sequential => {
      let downsample: Module | null = null;
      if (stride !== 1 || this.inplanes !== planes * expansion) {
        downsample = new Sequential(conv1x1(this.inplanes, planes * expansion, stride), new BatchNorm2d(planes * expansion));
      }
      const mods: Module[] = [];
      for (let i = 0; i < blocks; i++) {
        const inp = i === 0 ? this.inplanes : planes * expansion;
        const s = i === 0 ? stride : 1;
        const ds = i === 0 ? downsample : null;
        mods.push(blockKind === 'basic' ? new BasicBlock(inp, planes, s, ds, blockOpts) : new Bottleneck(inp, planes, s, ds, blockOpts));
      }
      this.inplanes = planes * expansion;
      return new Sequential(...mods);
    };
    this.layer1 = make(width, layers[0], 1);
    this.layer2 = make(width * 2, layers[1], 2);
    this.layer3 = make(width * 4, layers[2], 2);
    this.layer4 = make(width * 8, layers[3], 2);
    this.avgpool = new AdaptiveAvgPool2d(1);
    this.fc = new Linear(width * 8 * expansion, task.numClasses);
    initWeights(this, { conv: 'kaimingFanOut', linear: 'default', zeroBias: false });
    if (cfgBool(name, cfg, 'zeroInitResidual', false)) {
      for (const m of this.modules()) if ((m instanceof BasicBlock || m instanceof Bottleneck) && m.lastBN.weight) constant_(m.lastBN.weight, 0);
    }
  }
  forward(x: Tensor): Tensor {
    let y = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
    if (this.maxpool) y = this.maxpool.forward(y);
    y = this.layer4.forward(this.layer3.forward(this.layer2.forward(this.layer1.forward(y))));
    return this.fc.forward(this.avgpool.forward(y).flatten(1));
  }
}

/** ResNet-18 (He et al., 2016): basic blocks [2, 2, 2, 2]; 11,689,512 parameters for 1000 classes at 224×224. */
export function resnet18(task: ImageTask, config: ResNetConfig = {}): ResNet {
  return new ResNet(task, { block: 'basic', layers: [2, 2, 2, 2], ...config }, 'resnet18');
}
/** ResNet-34 (He et al., 2016): basic blocks [3, 4, 6, 3]. */
export function resnet34(task: ImageTask, config: ResNetConfig = {}): ResNet {
  return new ResNet(task, { block: 'basic', layers: [3, 4, 6, 3], ...config }, 'resnet34');
}
/** ResNet-50 (He et al., 2016): bottleneck blocks [3, 4, 6, 3]; 25,557,032 parameters for 1000 classes. */
export function resnet50(task: ImageTask, config: ResNetConfig = {}): ResNet {
  return new ResNet(task, { block: 'bottleneck', layers: [3, 4, 6, 3], ...config }, 'resnet50');
}
/**
 * SE-ResNet-18 ("Squeeze-and-Excitation Networks", Hu, Shen & Sun, CVPR 2018, on ResNet-18): a
 * squeeze-and-excitation unit (reduction 16) after each block's last batch norm, before the shortcut is added.
 */
export function seResnet18(task: ImageTask, config: ResNetConfig = {}): ResNet {
  return new ResNet(task, { block: 'basic', layers: [2, 2, 2, 2], se: true, ...config }, 'se_resnet18');
}
/** SE-ResNet-50 (Hu et al., CVPR 2018): ResNet-50's bottlenecks, each with a squeeze-and-excitation unit (reduction 16). */
export function seResnet50(task: ImageTask, config: ResNetConfig = {}): ResNet {
  return new ResNet(task, { block: 'bottleneck', layers: [3, 4, 6, 3], se: true, ...config }, 'se_resnet50');
}
