// ShuffleNet V2 (Ma et al., 2018) in torchvision's layout: channel split, depthwise convolution and channel
// shuffle; the x0.5, x1.0, x1.5 and x2.0 widths.
import type { Tensor } from '../tensor/tensor.js';
import { StrataError } from '../tensor/errors.js';
import { Module } from '../nn/module.js';
import { Conv2d } from '../nn/layers/conv.js';
import { BatchNorm2d } from '../nn/layers/norm.js';
import { ReLU } from '../nn/layers/activation.js';
import { MaxPool2d } from '../nn/layers/pool.js';
import { Linear } from '../nn/layers/linear.js';
import { Sequential } from '../nn/layers/container.js';
import * as F from '../ops/index.js';
import type { ImageTask } from './basic.js';
import { cfgInts, cfgNum, stemFor, type StemKind } from './util.js';

/**
 * Channel shuffle (Zhang et al., ShuffleNet, 2018): view the C channels as [groups, C/groups], transpose,
 * flatten, so the next grouped convolution sees channels from every group.
 * x: [N, C, H, W] → [N, C, H, W] with channel g·(C/groups) + i moved to i·groups + g.
 */
export function channelShuffle(x: Tensor, groups: number): Tensor {
  const [n, c, h, w] = x.shape;
  if (x.ndim !== 4 || c % groups !== 0) throw new StrataError('channelShuffle', `expected [N, C, H, W] with C divisible by ${groups}, got [${x.shape.join(', ')}]`);
  return x.reshape([n, groups, c / groups, h, w]).transpose(1, 2).reshape([n, c, h, w]);
}

function depthwise(c: number, stride: number): Conv2d {
  return new Conv2d(c, c, 3, { stride, padding: 1, groups: c, bias: false });
}

/**
 * ShuffleNet V2's unit (Ma, Zhang, Zheng & Sun, ECCV 2018, Fig. 3c/d). Stride 1: split the channels in
 * half, keep one half, run the other through 1×1 conv-BN-ReLU, 3×3 depthwise conv-BN, 1×1 conv-BN-ReLU
 * (branch2), concatenate, shuffle. Stride 2: both branches see the whole input (branch1: 3×3 depthwise
 * stride 2 conv-BN, 1×1 conv-BN-ReLU) and the width doubles.
 * x: [N, inp, H, W] → [N, oup, ⌈H/stride⌉, ⌈W/stride⌉].
 */
export class ShuffleV2Block extends Module {
  branch1: Sequential | null;
  branch2: Sequential;
  constructor(readonly inp: number, readonly oup: number, readonly stride: number) {
    super();
    if (stride < 1 || stride > 3) throw new StrataError('ShuffleV2Block', `stride must be 1, 2 or 3, got ${stride}`);
    const bf = oup >> 1;
    if (oup % 2 !== 0) throw new StrataError('ShuffleV2Block', `output channels must be even, got ${oup}`);
    if (stride === 1 && inp !== bf << 1) throw new StrataError('ShuffleV2Block', `with stride 1 the input must have ${bf << 1} channels (the output's), got ${inp}`);
    this.branch1 = stride > 1
      ? new Sequential(depthwise(inp, stride), new BatchNorm2d(inp), new Conv2d(inp, bf, 1, { bias: false }), new BatchNorm2d(bf), new ReLU())
      : null;
    this.branch2 = new Sequential(
      new Conv2d(stride > 1 ? inp : bf, bf, 1, { bias: false }), new BatchNorm2d(bf), new ReLU(),
      depthwise(bf, stride), new BatchNorm2d(bf),
      new Conv2d(bf, bf, 1, { bias: false }), new BatchNorm2d(bf), new ReLU(),
    );
  }
  forward(x: Tensor): Tensor {
    let out: Tensor;
    if (this.branch1) {
      out = F.cat([this.branch1.forward(x), this.branch2.forward(x)], 1);
    } else {
      const [x1, x2] = x.chunk(2, 1);
      out = F.cat([x1, this.branch2.forward(x2)], 1);
    }
    return channelShuffle(out, 2);
  }
}

/** Stage output channels of torchvision's widths: [stem, stage2, stage3, stage4, conv5]. */
export const SHUFFLENET_V2_CHANNELS: Readonly<Record<string, readonly number[]>> = {
  '0.5': [24, 48, 96, 192, 1024],
  '1': [24, 116, 232, 464, 1024],
  '1.5': [24, 176, 352, 704, 1024],
  '2': [24, 244, 488, 976, 2048],
};

export interface ShuffleNetV2Config {
  /** 0.5, 1, 1.5 or 2 (the channel table of the paper's Table 5), unless stagesOutChannels is given. */
  scale?: number;
  /** Units per stage ([4, 8, 4]). */
  stagesRepeats?: number[];
  /** [stem, stage2, stage3, stage4, conv5] channels. */
  stagesOutChannels?: number[];
  /** 'auto' (default), 'imagenet' (3×3 stride-2 conv and 3×3 stride-2 max-pool) or 'small' (3×3 stride-1 conv, no max-pool). */
  stem?: 'auto' | StemKind;
}

/**
 * ShuffleNet V2 ("ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design", Ma, Zhang,
 * Zheng & Sun, ECCV 2018) in torchvision's layout: conv1 (3×3 stride 2, BN, ReLU), max-pool, stage2–4
 * (a stride-2 unit then stride-1 units), conv5 (1×1, BN, ReLU), global mean and fc. x1.0 has 2,278,604
 * parameters and 0.145 G multiply-adds for 1000 classes at 224×224. PyTorch's default initialisation.
 * x: [N, C, H, W] → logits [N, numClasses].
 */
export class ShuffleNetV2 extends Module {
  conv1: Sequential;
  maxpool: MaxPool2d | null;
  stage2: Sequential;
  stage3: Sequential;
  stage4: Sequential;
  conv5: Sequential;
  fc: Linear;
  readonly stem: StemKind;
  constructor(readonly task: ImageTask, config: ShuffleNetV2Config = {}, name = 'shufflenet_v2') {
    super();
    const cfg = config as Record<string, unknown>;
    const scale = cfgNum(name, cfg, 'scale', 1);
    const table = SHUFFLENET_V2_CHANNELS[String(scale)];
    if (!table && cfg.stagesOutChannels === undefined) throw new StrataError(name, `config.scale must be 0.5, 1, 1.5 or 2 (or give stagesOutChannels), got ${scale}`);
    const ch = cfgInts(name, cfg, 'stagesOutChannels', table ?? [], 5);
    const repeats = cfgInts(name, cfg, 'stagesRepeats', [4, 8, 4], 3);
    this.stem = stemFor(name, task, cfg);
    this.conv1 = new Sequential(
      new Conv2d(task.inChannels, ch[0], 3, { stride: this.stem === 'imagenet' ? 2 : 1, padding: 1, bias: false }),
      new BatchNorm2d(ch[0]), new ReLU(),
    );
    this.maxpool = this.stem === 'imagenet' ? new MaxPool2d(3, { stride: 2, padding: 1 }) : null;
    let c = ch[0];
    const stage = (out: number, n: number) => {
      const units: Module[] = [new ShuffleV2Block(c, out, 2)];
      for (let i = 1; i < n; i++) units.push(new ShuffleV2Block(out, out, 1));
      c = out;
      return new Sequential(...units);
    };
    this.stage2 = stage(ch[1], repeats[0]);
    this.stage3 = stage(ch[2], repeats[1]);
    this.stage4 = stage(ch[3], repeats[2]);
    this.conv5 = new Sequential(new Conv2d(c, ch[4], 1, { bias: false }), new BatchNorm2d(ch[4]), new ReLU());
    this.fc = new Linear(ch[4], task.numClasses);
  }
  forward(x: Tensor): Tensor {
    let y = this.conv1.forward(x);
    if (this.maxpool) y = this.maxpool.forward(y);
    y = this.conv5.forward(this.stage4.forward(this.stage3.forward(this.stage2.forward(y))));
    return this.fc.forward(y.mean([2, 3]));
  }
}

/** ShuffleNet V2 x0.5 (Ma et al., 2018). */
export function shufflenetV2x0_5(task: ImageTask, config: ShuffleNetV2Config = {}): ShuffleNetV2 {
  return new ShuffleNetV2(task, { scale: 0.5, ...config }, 'shufflenet_v2_x0_5');
}
/** ShuffleNet V2 x1.0 (Ma et al., 2018). */
export function shufflenetV2x1_0(task: ImageTask, config: ShuffleNetV2Config = {}): ShuffleNetV2 {
  return new ShuffleNetV2(task, { scale: 1, ...config }, 'shufflenet_v2_x1_0');
}
/** ShuffleNet V2 x1.5 (Ma et al., 2018). */
export function shufflenetV2x1_5(task: ImageTask, config: ShuffleNetV2Config = {}): ShuffleNetV2 {
  return new ShuffleNetV2(task, { scale: 1.5, ...config }, 'shufflenet_v2_x1_5');
}
/** ShuffleNet V2 x2.0 (Ma et al., 2018). */
export function shufflenetV2x2_0(task: ImageTask, config: ShuffleNetV2Config = {}): ShuffleNetV2 {
  return new ShuffleNetV2(task, { scale: 2, ...config }, 'shufflenet_v2_x2_0');
}
