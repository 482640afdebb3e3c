// Multimodal fusion of an image and an audio clip (e.g. Audio-Visual Fashion-MNIST): unimodal baselines and
// early (feature concatenation), late (averaged logits) and cross-modal attention fusion.
import type { Tensor } from '../tensor/tensor.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { Module, Parameter } from '../nn/module.js';
import { Conv1d, Conv2d } from '../nn/layers/conv.js';
import { Linear } from '../nn/layers/linear.js';
import { BatchNorm1d, BatchNorm2d, LayerNorm } from '../nn/layers/norm.js';
import { MultiheadAttention } from '../nn/layers/attention.js';
import { normal_ } from '../nn/init.js';
import * as F from '../ops/index.js';
import type { ImageTask } from './basic.js';
import { cfgNum } from './util.js';

export interface FusionConfig {
  /** Width of each modality's feature vector, and of the attention tokens (default 64). */
  width?: number;
  /** Attention heads of fusion_cross (default 4). */
  numHeads?: number;
}

/** The audio input of a task: task.inputs.audio = [frames, features]; a clear error when the dataset has none. */
export function audioShape(name: string, task: ImageTask): [number, number] {
  const s = task.inputs?.audio;
  if (!s || s.length !== 2) {
    throw new StrataError(name, `needs a dataset with an audio input [frames, features] beside the images (e.g. --dataset av-fashion-mnist); this task has ${s ? `audio ${fmtShape(s)}` : 'no audio input'}`);
  }
  return [s[0], s[1]];
}

/**
 * The image branch: two conv 3×3 (16, 32 channels) + BN + ReLU + 2×2 max-pool stages. tokens(x): the final
 * feature map as H/4·W/4 tokens of 32 features [N, HW/16, 32]; forward(x): ReLU(Linear(flatten)) [N, width].
 */
export class ImageEncoder extends Module {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  fc: Linear | null;
  /** width null: no fc (only tokens() is used). */
  constructor(readonly task: ImageTask, readonly width: number | null) {
    super();
    this.conv1 = new Conv2d(task.inChannels, 16, 3, { padding: 1, bias: false });
    this.bn1 = new BatchNorm2d(16);
    this.conv2 = new Conv2d(16, 32, 3, { padding: 1, bias: false });
    this.bn2 = new BatchNorm2d(32);
    this.fc = width === null ? null : new Linear(32 * Math.floor(task.height / 4) * Math.floor(task.width / 4), width);
  }
  /** x [N, C, H, W] → [N, 32, H/4, W/4]. */
  featureMap(x: Tensor): Tensor {
    const h = F.maxPool2d(F.relu(this.bn1.forward(this.conv1.forward(x))), 2);
    return F.maxPool2d(F.relu(this.bn2.forward(this.conv2.forward(h))), 2);
  }
  tokens(x: Tensor): Tensor {
    return F.transpose(F.flatten(this.featureMap(x), 2), 1, 2);
  }
  forward(x: Tensor): Tensor {
    if (!this.fc) throw new StrataError('ImageEncoder', 'built without a feature width (width null): use tokens()');
    return F.relu(this.fc.forward(F.flatten(this.featureMap(x), 1)));
  }
}

/**
 * The audio branch over [N, frames, features] (log-mel): two conv1d (kernel 5, 32 channels) + BN + ReLU along
 * time. tokens(a): [N, frames, 32]; forward(a): ReLU(Linear(mean ‖ max over time)) [N, width].
 */
export class AudioEncoder extends Module {
  conv1: Conv1d;
  bn1: BatchNorm1d;
  conv2: Conv1d;
  bn2: BatchNorm1d;
  fc: Linear | null;
  /** width null: no fc (only tokens() is used). */
  constructor(readonly frames: number, readonly features: number, readonly width: number | null) {
    super();
    this.conv1 = new Conv1d(features, 32, 5, { padding: 2, bias: false });
    this.bn1 = new BatchNorm1d(32);
    this.conv2 = new Conv1d(32, 32, 5, { padding: 2, bias: false });
    this.bn2 = new BatchNorm1d(32);
    this.fc = width === null ? null : new Linear(64, width);
  }
  /** a [N, frames, features] → [N, 32, frames]. */
  featureMap(a: Tensor): Tensor {
    if (a.ndim !== 3 || a.shape[1] !== this.frames || a.shape[2] !== this.features) {
      throw new StrataError('AudioEncoder', `expected audio [N, ${this.frames}, ${this.features}] (frames × features), got ${fmtShape(a.shape)}`);
    }
    const h = F.relu(this.bn1.forward(this.conv1.forward(F.transpose(a, 1, 2))));
    return F.relu(this.bn2.forward(this.conv2.forward(h)));
  }
  tokens(a: Tensor): Tensor {
    return F.transpose(this.featureMap(a), 1, 2);
  }
  forward(a: Tensor): Tensor {
    if (!this.fc) throw new StrataError('AudioEncoder', 'built without a feature width (width null): use tokens()');
    const h = this.featureMap(a);
    return F.relu(this.fc.forward(F.cat([F.mean(h, 2), F.amax(h, 2)], 1)));
  }
}

/** The image alone: ImageEncoder → Linear head. forward(x, audio?) ignores the audio. */
export class ImageOnly extends Module {
  image: ImageEncoder;
  head: Linear;
  constructor(task: ImageTask, config: FusionConfig = {}) {
    super();
    const w = cfgNum('av_image', config as Record<string, unknown>, 'width', 64, { int: true, min: 1 });
    this.image = new ImageEncoder(task, w);
    this.head = new Linear(w, task.numClasses);
  }
  forward(x: Tensor, _audio?: Tensor): Tensor {
    return this.head.forward(this.image.forward(x));
  }
}

/** The audio alone: AudioEncoder → Linear head. forward(x, audio) ignores the image. */
export class AudioOnly extends Module {
  audio: AudioEncoder;
  head: Linear;
  constructor(task: ImageTask, config: FusionConfig = {}, name = 'av_audio') {
    super();
    const w = cfgNum(name, config as Record<string, unknown>, 'width', 64, { int: true, min: 1 });
    const [frames, feats] = audioShape(name, task);
    this.audio = new AudioEncoder(frames, feats, w);
    this.head = new Linear(w, task.numClasses);
  }
  forward(_x: Tensor, audio: Tensor): Tensor {
    return this.head.forward(this.audio.forward(audio));
  }
}

/**
 * Early (feature-level) fusion: the two branches' feature vectors concatenated, then a joint MLP
 * (Linear 2·width → width, ReLU, Linear → classes). forward(x [N, C, H, W], audio [N, frames, features]).
 */
export class EarlyFusion extends Module {
  image: ImageEncoder;
  audio: AudioEncoder;
  fc: Linear;
  head: Linear;
  constructor(task: ImageTask, config: FusionConfig = {}) {
    super();
    const w = cfgNum('fusion_early', config as Record<string, unknown>, 'width', 64, { int: true, min: 1 });
    const [frames, feats] = audioShape('fusion_early', task);
    this.image = new ImageEncoder(task, w);
    this.audio = new AudioEncoder(frames, feats, w);
    this.fc = new Linear(2 * w, w);
    this.head = new Linear(w, task.numClasses);
  }
  forward(x: Tensor, audio: Tensor): Tensor {
    const h = F.cat([this.image.forward(x), this.audio.forward(audio)], 1);
    return this.head.forward(F.relu(this.fc.forward(h)));
  }
}

/** Late fusion: an ImageOnly and an AudioOnly network, their logits averaged (trained jointly through the average). */
export class LateFusion extends Module {
  imageNet: ImageOnly;
  audioNet: AudioOnly;
  constructor(task: ImageTask, config: FusionConfig = {}) {
    super();
    this.imageNet = new ImageOnly(task, config);
    this.audioNet = new AudioOnly(task, config, 'fusion_late');
  }
  forward(x: Tensor, audio: Tensor): Tensor {
    return F.mul(F.add(this.imageNet.forward(x), this.audioNet.forward(x, audio)), 0.5);
  }
}

/**
 * Cross-modal attention fusion: the image's H/4·W/4 feature-map tokens and the audio's frames, each projected to
 * `width` with learned position embeddings; the image tokens attend to the audio frames (MultiheadAttention,
 * queries from the image, keys and values from the audio; pre-norm, residual), then a pre-norm MLP block
 * (width → 2·width → width); the head reads every image token (flattened, as the image branch reads its
 * feature map: the positions keep the image's layout) through Linear(tokens·width → width), ReLU, Linear.
 * forward(x [N, C, H, W], audio [N, frames, features]) → [N, classes].
 */
export class CrossModalFusion extends Module {
  image: ImageEncoder;
  audio: AudioEncoder;
  imageProj: Linear;
  audioProj: Linear;
  imagePos: Tensor;
  audioPos: Tensor;
  normQ: LayerNorm;
  normKV: LayerNorm;
  attention: MultiheadAttention;
  norm2: LayerNorm;
  fc1: Linear;
  fc2: Linear;
  norm: LayerNorm;
  fc: Linear;
  head: Linear;
  constructor(task: ImageTask, config: FusionConfig = {}) {
    super();
    const c = config as Record<string, unknown>;
    const w = cfgNum('fusion_cross', c, 'width', 64, { int: true, min: 1 });
    const heads = cfgNum('fusion_cross', c, 'numHeads', 4, { int: true, min: 1 });
    if (w % heads !== 0) throw new StrataError('fusion_cross', `config.width ${w} must be divisible by config.numHeads ${heads}`);
    const [frames, feats] = audioShape('fusion_cross', task);
    const tokens = Math.floor(task.height / 4) * Math.floor(task.width / 4);
    this.image = new ImageEncoder(task, null);
    this.audio = new AudioEncoder(frames, feats, null);
    this.imageProj = new Linear(32, w);
    this.audioProj = new Linear(32, w);
    this.imagePos = Parameter(normal_(F.zeros([1, tokens, w]), 0, 0.02));
    this.audioPos = Parameter(normal_(F.zeros([1, frames, w]), 0, 0.02));
    this.normQ = new LayerNorm(w);
    this.normKV = new LayerNorm(w);
    this.attention = new MultiheadAttention(w, heads, { batchFirst: true });
    this.norm2 = new LayerNorm(w);
    this.fc1 = new Linear(w, 2 * w);
    this.fc2 = new Linear(2 * w, w);
    this.norm = new LayerNorm(w);
    this.fc = new Linear(tokens * w, w);
    this.head = new Linear(w, task.numClasses);
  }
  forward(x: Tensor, audio: Tensor): Tensor {
    const q = F.add(this.imageProj.forward(this.image.tokens(x)), this.imagePos);
    const kv = this.normKV.forward(F.add(this.audioProj.forward(this.audio.tokens(audio)), this.audioPos));
    const [att] = this.attention.forward(this.normQ.forward(q), kv, kv, { needWeights: false });
    let h = F.add(q, att);
    h = F.add(h, this.fc2.forward(F.gelu(this.fc1.forward(this.norm2.forward(h)))));
    return this.head.forward(F.relu(this.fc.forward(F.flatten(this.norm.forward(h), 1))));
  }
}
