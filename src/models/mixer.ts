// MLP-Mixer (Tolstikhin et al., 2021): patch embedding, token-mixing and channel-mixing MLPs, in timm's layout.
import type { Tensor } from '../tensor/tensor.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { Module } from '../nn/module.js';
import { Conv2d } from '../nn/layers/conv.js';
import { Linear } from '../nn/layers/linear.js';
import { LayerNorm } from '../nn/layers/norm.js';
import { Dropout } from '../nn/layers/activation.js';
import { Sequential } from '../nn/layers/container.js';
import { normal_, truncNormal_, xavierUniform_, zeros_ } from '../nn/init.js';
import * as F from '../ops/index.js';
import type { ImageTask } from './basic.js';
import { cfgNum, stemFor } from './util.js';

export interface MixerConfig {
  /** Side of the square patches (default: 4 for inputs of at most 64 px, else 16). */
  patchSize?: number;
  /** Mixer blocks. */
  numBlocks?: number;
  /** Channels C of every token (the paper's hidden size). */
  hiddenDim?: number;
  /** Token-mixing MLP width D_S (default hiddenDim / 2, as timm's mlp_ratio 0.5). */
  tokensMlpDim?: number;
  /** Channel-mixing MLP width D_C (default 4·hiddenDim). */
  channelsMlpDim?: number;
  dropout?: number;
  stem?: string;
}

/** timm's Mlp: fc1 → GELU → dropout → fc2 → dropout. x [..., in] → [..., in]. */
export class MixerMlp extends Module {
  fc1: Linear;
  fc2: Linear;
  drop: Dropout;
  constructor(inFeatures: number, hiddenFeatures: number, dropout: number) {
    super();
    this.fc1 = new Linear(inFeatures, hiddenFeatures);
    this.fc2 = new Linear(hiddenFeatures, inFeatures);
    this.drop = new Dropout(dropout);
  }
  forward(x: Tensor): Tensor {
    return this.drop.forward(this.fc2.forward(this.drop.forward(F.gelu(this.fc1.forward(x)))));
  }
}

/**
 * One Mixer block: token mixing x + mlp_tokens(norm1(x)ᵀ)ᵀ (an MLP across the S patches, shared by every
 * channel), then channel mixing x + mlp_channels(norm2(x)) (an MLP across the C channels, shared by every
 * patch). LayerNorm eps 10⁻⁶. x [N, S, C] → [N, S, C].
 */
export class MixerBlock extends Module {
  norm1: LayerNorm;
  mlp_tokens: MixerMlp;
  norm2: LayerNorm;
  mlp_channels: MixerMlp;
  constructor(readonly hiddenDim: number, readonly seqLen: number, tokensMlpDim: number, channelsMlpDim: number, dropout: number) {
    super();
    this.norm1 = new LayerNorm(hiddenDim, { eps: 1e-6 });
    this.mlp_tokens = new MixerMlp(seqLen, tokensMlpDim, dropout);
    this.norm2 = new LayerNorm(hiddenDim, { eps: 1e-6 });
    this.mlp_channels = new MixerMlp(hiddenDim, channelsMlpDim, dropout);
  }
  forward(x: Tensor): Tensor {
    const t = F.transpose(this.mlp_tokens.forward(F.transpose(this.norm1.forward(x), 1, 2)), 1, 2);
    const y = F.add(x, t);
    return F.add(y, this.mlp_channels.forward(this.norm2.forward(y)));
  }
}

/** timm's PatchEmbed: `proj`, a P×P stride-P conv. [N, C, H, W] → [N, H·W/P², D]. */
export class PatchEmbed extends Module {
  proj: Conv2d;
  constructor(inChannels: number, hiddenDim: number, readonly patchSize: number) {
    super();
    this.proj = new Conv2d(inChannels, hiddenDim, patchSize, { stride: patchSize });
  }
  forward(x: Tensor): Tensor {
    const y = this.proj.forward(x);
    return F.transpose(F.flatten(y, 2), 1, 2);
  }
}

/**
 * MLP-Mixer (Tolstikhin et al., 2021, "MLP-Mixer: An all-MLP Architecture for Vision") in timm's MlpMixer
 * layout: `stem.proj` (per-patch linear embedding as a conv), `blocks.i` (MixerBlock: norm1, mlp_tokens,
 * norm2, mlp_channels, each Mlp with fc1/fc2), `norm`, global average pooling over patches, `head`.
 * Initialised as timm: Linear weights Xavier-uniform with N(0, 10⁻¹²) biases in the MLPs, the stem
 * LeCun-normal (truncated at ±2σ, bias 0), the head zero. Mixer-B/16 (P 16, 12 blocks, C 768, D_S 384,
 * D_C 3072) at 3×224×224 with 1000 classes has 59,880,472 parameters (the paper's Table 1: 59 M).
 * x [N, C, H, W] → logits [N, numClasses].
 */
export class MlpMixer extends Module {
  stem: PatchEmbed;
  blocks: Sequential;
  norm: LayerNorm;
  head: Linear;
  readonly seqLen: number;
  constructor(readonly task: ImageTask, readonly config: MixerConfig = {}, readonly name = 'MlpMixer', defaults: { patchSize: number; numBlocks: number; hiddenDim: number } = { patchSize: 16, numBlocks: 12, hiddenDim: 768 }) {
    super();
    const c = config as Record<string, unknown>;
    const P = cfgNum(name, c, 'patchSize', stemFor(name, task, c) === 'small' ? 4 : defaults.patchSize, { int: true, min: 1 });
    const nb = cfgNum(name, c, 'numBlocks', defaults.numBlocks, { int: true, min: 1 });
    const C = cfgNum(name, c, 'hiddenDim', defaults.hiddenDim, { int: true, min: 1 });
    const ds = cfgNum(name, c, 'tokensMlpDim', Math.floor(C / 2), { int: true, min: 1 });
    const dc = cfgNum(name, c, 'channelsMlpDim', 4 * C, { int: true, min: 1 });
    const p = cfgNum(name, c, 'dropout', 0, { min: 0 });
    if (task.height % P !== 0 || task.width % P !== 0) {
      throw new StrataError(name, `the input ${task.height}×${task.width} does not divide into ${P}×${P} patches; choose config.patchSize dividing both sides (e.g. 4 or 7 for 28×28, 4 or 8 for 32×32)`);
    }
    this.seqLen = (task.height / P) * (task.width / P);
    this.stem = new PatchEmbed(task.inChannels, C, P);
    this.blocks = new Sequential(...Array.from({ length: nb }, () => new MixerBlock(C, this.seqLen, ds, dc, p)));
    this.norm = new LayerNorm(C, { eps: 1e-6 });
    this.head = new Linear(C, task.numClasses);
    // timm's _init_weights (non-flax): LeCun-normal stem, Xavier MLPs, zero head
    const fanIn = task.inChannels * P * P;
    const std = Math.sqrt(1 / fanIn) / 0.87962566103423978;
    truncNormal_(this.stem.proj.weight, 0, std, -2 * std, 2 * std);
    zeros_(this.stem.proj.bias!);
    for (const m of this.blocks.modules()) {
      if (m instanceof MixerMlp) {
        for (const fc of [m.fc1, m.fc2]) {
          xavierUniform_(fc.weight);
          normal_(fc.bias!, 0, 1e-6);
        }
      }
    }
    zeros_(this.head.weight);
    zeros_(this.head.bias!);
  }
  forward(x: Tensor): Tensor {
    const t = this.task;
    if (x.ndim !== 4 || x.shape[1] !== t.inChannels || x.shape[2] !== t.height || x.shape[3] !== t.width) {
      throw new StrataError(this.name, `expected images [N, ${t.inChannels}, ${t.height}, ${t.width}] (the token-mixing MLPs fix the number of patches), got ${fmtShape(x.shape)}`);
    }
    const y = this.norm.forward(this.blocks.forward(this.stem.forward(x)));
    return this.head.forward(F.mean(y, 1));
  }
}

/** Mixer-B/16 (Tolstikhin et al., 2021, Table 1): patch 16, 12 blocks, C 768, D_S 384, D_C 3072; patch 4 on inputs of at most 64 px. */
export function mixerB16(task: ImageTask, config: MixerConfig = {}): MlpMixer {
  return new MlpMixer(task, config, 'mixer_b_16');
}

/** A small Mixer for 28×28 and 32×32 images: patch 4 (49 or 64 patches), 6 blocks, C 128, D_S 64, D_C 512. */
export function mixerTiny(task: ImageTask, config: MixerConfig = {}): MlpMixer {
  return new MlpMixer(task, config, 'mixer_tiny', { patchSize: 16, numBlocks: 6, hiddenDim: 128 });
}
