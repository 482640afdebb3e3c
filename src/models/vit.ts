// Vision Transformer (Dosovitskiy et al., 2021) in torchvision's layout, its mixture-of-experts variant
// (V-MoE style MoE MLP blocks).
import type { Tensor } from '../tensor/tensor.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { Module, Parameter } from '../nn/module.js';
import { Conv2d } from '../nn/layers/conv.js';
import { Linear } from '../nn/layers/linear.js';
import { LayerNorm } from '../nn/layers/norm.js';
import { Dropout, GELU } from '../nn/layers/activation.js';
import { Sequential } from '../nn/layers/container.js';
import { MultiheadAttention } from '../nn/layers/attention.js';
import { ExpertMLP, MixtureOfExperts } from '../nn/layers/moe.js';
import { normal_, truncNormal_, xavierUniform_, zeros_ } from '../nn/init.js';
import * as F from '../ops/index.js';
import type { ImageTask } from './basic.js';
import { cfgNum, stemFor } from './util.js';

export interface ViTConfig {
  /** Side of the square patches (default: 4 for inputs of at most 64 px, else the model's published size, 16). */
  patchSize?: number;
  /** Encoder blocks (torchvision's num_layers). */
  numLayers?: number;
  /** Token width D (torchvision's hidden_dim). */
  hiddenDim?: number;
  numHeads?: number;
  /** MLP width as a multiple of hiddenDim (default 4); mlpDim overrides it. */
  mlpRatio?: number;
  mlpDim?: number;
  /** Dropout after the position embedding, attention block and MLP layers (default 0). */
  dropout?: number;
  /** Dropout on the attention weights (default 0). */
  attentionDropout?: number;
  /** 'auto' (default), 'small' or 'imagenet': which default patch size (see patchSize). */
  stem?: string;
  /** Mixture-of-experts MLPs: every `moeEvery`-th block (1-based: blocks moeEvery−1, 2·moeEvery−1, …); 0 = none. */
  moeEvery?: number;
  numExperts?: number;
  /** Experts per token (1 or 2). */
  moeK?: number;
  /** Expert capacity factor in training (null: unlimited) and in evaluation. */
  capacityFactor?: number | null;
  evalCapacityFactor?: number | null;
}

/**
 * The transformer MLP block of torchvision's ViT (torchvision.ops.MLP): a Sequential of Linear (0), GELU (1),
 * Dropout (2), Linear (3), Dropout (4); Linear weights Xavier-uniform, biases N(0, 10⁻¹²) as torchvision.
 */
export class ViTMLPBlock extends Sequential {
  constructor(inDim: number, mlpDim: number, dropout: number) {
    super(new Linear(inDim, mlpDim), new GELU(), new Dropout(dropout), new Linear(mlpDim, inDim), new Dropout(dropout));
    for (const m of this.children()) {
      if (m instanceof Linear) {
        xavierUniform_(m.weight);
        normal_(m.bias!, 0, 1e-6);
      }
    }
  }
}

/**
 * torchvision's ViT EncoderBlock, pre-norm: x = x + dropout(self_attention(ln_1(x))); x + mlp(ln_2(x)).
 * LayerNorm eps 10⁻⁶. `mlp` is a ViTMLPBlock, or a MixtureOfExperts in the MoE variant (dropped tokens
 * add zero, so the residual carries them through). x [N, T, D] → [N, T, D].
 */
export class ViTEncoderBlock extends Module {
  ln_1: LayerNorm;
  self_attention: MultiheadAttention;
  dropout: Dropout;
  ln_2: LayerNorm;
  mlp: ViTMLPBlock | MixtureOfExperts;
  constructor(readonly numHeads: number, readonly hiddenDim: number, mlp: ViTMLPBlock | MixtureOfExperts, dropout: number, attentionDropout: number) {
    super();
    this.ln_1 = new LayerNorm(hiddenDim, { eps: 1e-6 });
    this.self_attention = new MultiheadAttention(hiddenDim, numHeads, { dropout: attentionDropout, batchFirst: true });
    this.dropout = new Dropout(dropout);
    this.ln_2 = new LayerNorm(hiddenDim, { eps: 1e-6 });
    this.mlp = mlp;
  }
  forward(input: Tensor): Tensor {
    const h = this.ln_1.forward(input);
    const [a] = this.self_attention.forward(h, h, h, { needWeights: false });
    const x = F.add(this.dropout.forward(a), input);
    return F.add(x, this.mlp.forward(this.ln_2.forward(x)));
  }
}

/** torchvision's ViT Encoder: learned pos_embedding [1, T, D] ~ N(0, 0.02²) added, dropout, the blocks (`layers.encoder_layer_i`), final LayerNorm `ln`. */
export class ViTEncoder extends Module {
  pos_embedding: Tensor;
  dropout: Dropout;
  layers: Sequential;
  ln: LayerNorm;
  constructor(readonly seqLength: number, blocks: ViTEncoderBlock[], hiddenDim: number, dropout: number) {
    super();
    this.pos_embedding = Parameter(F.zeros([1, seqLength, hiddenDim]));
    normal_(this.pos_embedding, 0, 0.02);
    this.dropout = new Dropout(dropout);
    this.layers = new Sequential(Object.fromEntries(blocks.map((b, i) => [`encoder_layer_${i}`, b])));
    this.ln = new LayerNorm(hiddenDim, { eps: 1e-6 });
  }
  forward(x: Tensor): Tensor {
    return this.ln.forward(this.layers.forward(this.dropout.forward(F.add(x, this.pos_embedding))));
  }
}

/**
 * Vision Transformer (Dosovitskiy et al., 2021, "An Image is Worth 16x16 Words"), torchvision's
 * VisionTransformer layout and initialisation: `conv_proj` (a P×P stride-P conv: the linear patch
 * embedding; weights truncated N(0, 1/fan_in), bias 0), a learned `class_token` (zeros) prepended to the
 * H·W/P² patch tokens, `encoder` (learned position embeddings, numLayers pre-norm blocks of multi-head
 * self-attention and a GELU MLP, final LayerNorm), and `heads.head` (Linear, zero-initialised) on the class
 * token. ViT-B/16 (P 16, 12 layers, D 768, 12 heads, MLP 3072) at 3×224×224 with 1000 classes has
 * 86,567,656 parameters, as torchvision's vit_b_16.
 *
 * Multiply-adds (lab.summary) count the patch convolution, every linear layer (packed q/k/v projection,
 * out_proj, MLP, head) and the attention matmuls q·kᵀ and softmax·v (T²·D each per block, reported by
 * scaledDotProductAttention), torchvision's convention for its "GFLOPS" figure: ViT-B/16 at 224 is
 * 17,563,828,224 (torchvision: 17.564). Softmax, LayerNorm, GELU and additions are not counted.
 * Non-square inputs work (H and W each divisible by P). x [N, C, H, W] → logits [N, numClasses].
 */
export class VisionTransformer extends Module {
  class_token: Tensor;
  conv_proj: Conv2d;
  encoder: ViTEncoder;
  heads: Sequential;
  readonly patchSize: number;
  readonly hiddenDim: number;
  readonly gridH: number;
  readonly gridW: number;
  constructor(readonly task: ImageTask, readonly config: ViTConfig = {}, readonly name = 'VisionTransformer', defaults: Required<Pick<ViTConfig, 'numLayers' | 'hiddenDim' | 'numHeads'>> & { patchSize: number } = { numLayers: 12, hiddenDim: 768, numHeads: 12, patchSize: 16 }) {
    super();
    const c = config as Record<string, unknown>;
    const P = cfgNum(name, c, 'patchSize', stemFor(name, task, c) === 'small' ? 4 : defaults.patchSize, { int: true, min: 1 });
    const L = cfgNum(name, c, 'numLayers', defaults.numLayers, { int: true, min: 1 });
    const D = cfgNum(name, c, 'hiddenDim', defaults.hiddenDim, { int: true, min: 1 });
    const H = cfgNum(name, c, 'numHeads', defaults.numHeads, { int: true, min: 1 });
    const mlpDim = cfgNum(name, c, 'mlpDim', Math.round(D * cfgNum(name, c, 'mlpRatio', 4, { min: 0 })), { int: true, min: 1 });
    const p = cfgNum(name, c, 'dropout', 0, { min: 0 }), pa = cfgNum(name, c, 'attentionDropout', 0, { min: 0 });
    if (D % H !== 0) throw new StrataError(name, `config.hiddenDim ${D} must be divisible by config.numHeads ${H}`);
    if (task.height % P !== 0 || task.width % P !== 0) {
      throw new StrataError(name, `the input ${task.height}×${task.width} does not divide into ${P}×${P} patches; choose config.patchSize dividing both sides (e.g. 4 or 7 for 28×28, 4 or 8 for 32×32)`);
    }
    const moeEvery = cfgNum(name, c, 'moeEvery', 0, { int: true, min: 0 });
    const numExperts = cfgNum(name, c, 'numExperts', 4, { int: true, min: 1 });
    const moeK = cfgNum(name, c, 'moeK', 1, { int: true, min: 1 });
    const cap = (key: string, d: number | null): number | null => (c[key] === null ? null : c[key] === undefined ? d : cfgNum(name, c, key, 1, { min: 1e-9 }));
    const capacityFactor = cap('capacityFactor', 1.25);
    const evalCapacityFactor = cap('evalCapacityFactor', 2);
    this.patchSize = P;
    this.hiddenDim = D;
    this.gridH = task.height / P;
    this.gridW = task.width / P;
    this.class_token = Parameter(F.zeros([1, 1, D]));
    this.conv_proj = new Conv2d(task.inChannels, D, P, { stride: P });
    const fanIn = task.inChannels * P * P;
    truncNormal_(this.conv_proj.weight, 0, Math.sqrt(1 / fanIn));
    zeros_(this.conv_proj.bias!);
    const blocks: ViTEncoderBlock[] = [];
    for (let i = 0; i < L; i++) {
      const moe = moeEvery > 0 && (i + 1) % moeEvery === 0;
      let mlp: ViTMLPBlock | MixtureOfExperts;
      if (moe) {
        const m = new MixtureOfExperts(D, numExperts, { k: moeK, hiddenFeatures: mlpDim, capacityFactor, evalCapacityFactor, dropped: 'zero' });
        for (const e of m.experts) for (const fc of [(e as ExpertMLP).fc1, (e as ExpertMLP).fc2]) {
          xavierUniform_(fc.weight);
          normal_(fc.bias!, 0, 1e-6);
        }
        mlp = m;
      } else {
        mlp = new ViTMLPBlock(D, mlpDim, p);
      }
      blocks.push(new ViTEncoderBlock(H, D, mlp, p, pa));
    }
    this.encoder = new ViTEncoder(this.gridH * this.gridW + 1, blocks, D, p);
    const head = new Linear(D, task.numClasses);
    zeros_(head.weight);
    zeros_(head.bias!);
    this.heads = new Sequential({ head });
  }
  /** x [N, C, H, W] → tokens [N, 1 + H·W/P², D] before the encoder (class token first). */
  embed(x: Tensor): Tensor {
    const t = this.task;
    if (x.ndim !== 4 || x.shape[1] !== t.inChannels || x.shape[2] !== t.height || x.shape[3] !== t.width) {
      throw new StrataError(this.name, `expected images [N, ${t.inChannels}, ${t.height}, ${t.width}] (the position embeddings fix the size), got ${fmtShape(x.shape)}`);
    }
    const n = x.shape[0];
    const patches = F.permute(F.reshape(this.conv_proj.forward(x), [n, this.hiddenDim, this.gridH * this.gridW]), [0, 2, 1]);
    return F.cat([F.expand(this.class_token, [n, 1, this.hiddenDim]), patches], 1);
  }
  forward(x: Tensor): Tensor {
    const y = this.encoder.forward(this.embed(x));
    return this.heads.forward(F.select(y, 1, 0));
  }
}

/** ViT-B/16 (torchvision's vit_b_16): patch 16, 12 layers, width 768, 12 heads, MLP 3072; patch 4 on inputs of at most 64 px. */
export function vitB16(task: ImageTask, config: ViTConfig = {}): VisionTransformer {
  return new VisionTransformer(task, config, 'vit_b_16');
}

/** A small ViT for 28×28 and 32×32 images: patch 4 (7×7 or 8×8 tokens), 6 layers, width 64, 4 heads, MLP ratio 2. */
export function vitTiny(task: ImageTask, config: ViTConfig = {}): VisionTransformer {
  return new VisionTransformer(task, { mlpRatio: 2, ...config }, 'vit_tiny', { numLayers: 6, hiddenDim: 64, numHeads: 4, patchSize: 16 });
}

/**
 * vit_tiny with mixture-of-experts MLPs in every second block (as V-MoE, Riquelme et al., 2021): 4 experts,
 * top-2 routing, capacity factor 1.25 in training and 2 in evaluation. Trainer adds the experts' load-balancing
 * loss (auxLossWeight, default 0.01) to the training loss.
 */
export function vitMoeTiny(task: ImageTask, config: ViTConfig = {}): VisionTransformer {
  return new VisionTransformer(task, { mlpRatio: 2, moeEvery: 2, numExperts: 4, moeK: 2, ...config }, 'vit_moe_tiny', { numLayers: 6, hiddenDim: 64, numHeads: 4, patchSize: 16 });
}
