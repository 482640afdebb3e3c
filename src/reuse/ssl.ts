// Self-supervised objectives over any zoo classifier used as an encoder: convolutional autoencoder and its
// denoising variant, a VAE (ELBO), SimCLR (two augmented views, NT-Xent); the batch augmentation SimCLR uses.
import { StrataError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { Generator } from '../tensor/random.js';
import { Module } from '../nn/module.js';
import { Linear, Unflatten } from '../nn/layers/linear.js';
import { ConvTranspose2d } from '../nn/layers/conv.js';
import { ReLU } from '../nn/layers/activation.js';
import { Sequential } from '../nn/layers/container.js';
import { cat } from '../ops/shape.js';
import { eye, randnLike, tensor } from '../ops/creation.js';
import { norm } from '../ops/reduce.js';
import { crossEntropy, binaryCrossEntropyWithLogits, mseLoss } from '../ops/loss.js';
import type { ImageTask } from '../models/basic.js';

/**
 * A classifier seen as an encoder: its output is the input of its last Linear layer (the head), found by
 * name; the head still runs (cheap) but its output is ignored. `headPrefix` names the head's parameters,
 * which pre-training leaves out of the saved weights.
 * @example const enc = new Encoder(models.createModel('cnn', task)); enc.forward(x) // [N, 128]
 */
export class Encoder extends Module {
  readonly headPrefix: string;
  readonly featureDim: number;
  private captured: Tensor | null = null;
  constructor(readonly model: Module) {
    super();
    const linears = [...model.namedModules()].filter(([, m]) => m instanceof Linear) as [string, Linear][];
    if (!linears.length) throw new StrataError('Encoder', `${model.constructor.name} has no Linear layer to take features before; use a classifier with a linear head`);
    const [name, head] = linears[linears.length - 1];
    this.headPrefix = name;
    this.featureDim = head.inFeatures;
    head.registerForwardPreHook((_m, inputs) => {
      this.captured = inputs[0] as Tensor;
    });
  }
  /** x: [N, C, H, W] → features [N, featureDim]. */
  forward(x: Tensor): Tensor {
    this.captured = null;
    this.model.forward(x);
    const f = this.captured as Tensor | null;
    if (!f) throw new StrataError('Encoder', `the head '${this.headPrefix}' did not run in ${this.model.constructor.name}.forward`);
    this.captured = null;
    return f.ndim > 2 ? f.flatten(1) : f;
  }
  /** The encoder's weights without the head (what a pre-training run saves). */
  backboneStateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(this.model.stateDict())) if (!k.startsWith(this.headPrefix + '.')) out[k] = t;
    return out;
  }
}

/** Features → image: Linear to 64 × H/4 × W/4, two stride-2 transposed convolutions (H and W divisible by 4). */
export class ConvDecoder extends Module {
  net: Sequential;
  constructor(inFeatures: number, task: ImageTask) {
    super();
    if (task.height % 4 || task.width % 4) throw new StrataError('ConvDecoder', `needs height and width divisible by 4, got ${task.height}×${task.width}`);
    const h = task.height / 4, w = task.width / 4;
    this.net = new Sequential(
      new Linear(inFeatures, 64 * h * w), new ReLU(), new Unflatten(1, [64, h, w]),
      new ConvTranspose2d(64, 32, 4, { stride: 2, padding: 1 }), new ReLU(),
      new ConvTranspose2d(32, task.inChannels, 4, { stride: 2, padding: 1 }),
    );
  }
  forward(z: Tensor): Tensor {
    return this.net.forward(z);
  }
}

/**
 * A convolutional autoencoder: encoder, then ConvDecoder; the loss is the mean squared error to the
 * (normalised) input. With `noise` > 0 it is a denoising autoencoder (Vincent et al., 2008): the encoder
 * sees x + noise·ε, the target is the clean x.
 */
export class Autoencoder extends Module {
  decoder: ConvDecoder;
  constructor(readonly encoder: Encoder, task: ImageTask, readonly noise = 0) {
    super();
    this.decoder = new ConvDecoder(encoder.featureDim, task);
  }
  forward(x: Tensor): Tensor {
    return this.decoder.forward(this.encoder.forward(x));
  }
  loss(x: Tensor): Tensor {
    const input = this.noise > 0 && this.training ? x.add(randnLike(x).mul(this.noise)) : x;
    return mseLoss(this.forward(input), x);
  }
}

/**
 * A variational autoencoder (Kingma & Welling, 2014) on the encoder's features: Gaussian posterior
 * (μ, log σ²), standard normal prior, Bernoulli decoder over pixels in [0, 1].
 * loss = −ELBO per image in nats = Σ_pixels BCE + KL(q(z|x) ‖ N(0, I)).
 */
export class VAE extends Module {
  mu: Linear;
  logvar: Linear;
  decoder: ConvDecoder;
  constructor(readonly encoder: Encoder, task: ImageTask, readonly latent = 16) {
    super();
    this.mu = new Linear(encoder.featureDim, latent);
    this.logvar = new Linear(encoder.featureDim, latent);
    this.decoder = new ConvDecoder(latent, task);
  }
  /** x → (pixel logits of the reconstruction, μ, log σ²). */
  forward(x: Tensor): [Tensor, Tensor, Tensor] {
    const h = this.encoder.forward(x);
    const mu = this.mu.forward(h), logvar = this.logvar.forward(h);
    const z = this.training ? mu.add(randnLike(mu).mul(logvar.mul(0.5).exp())) : mu;
    return [this.decoder.forward(z), mu, logvar];
  }
  /** x: normalised input; pixels: the same images in [0, 1]. Returns −ELBO (mean over the batch) and its parts. */
  loss(x: Tensor, pixels: Tensor): { loss: Tensor; recon: Tensor; kl: Tensor } {
    const [logits, mu, logvar] = this.forward(x);
    const n = x.shape[0];
    const recon = binaryCrossEntropyWithLogits(logits, pixels, { reduction: 'sum' }).div(n);
    // KL(N(μ, σ²) ‖ N(0, 1)) = −½ Σ (1 + log σ² − μ² − σ²)
    const kl = logvar.add(1).sub(mu.square()).sub(logvar.exp()).sum().mul(-0.5 / n);
    return { loss: recon.add(kl), recon, kl };
  }
  /** Images decoded from z ~ N(0, I): sigmoid of the decoder's logits, [n, C, H, W]. */
  sample(n: number, generator?: Generator): Tensor {
    const z = tensor(Float32Array.from({ length: n * this.latent }, () => (generator ?? new Generator(0)).normal()), { shape: [n, this.latent], backend: this.mu.weight.backend });
    return this.decoder.forward(z).sigmoid();
  }
}

/**
 * NT-Xent (Chen et al., 2020, SimCLR): for projections z1, z2 [N, D] of two views of the same N images,
 * cross-entropy over cosine similarities / τ, each view's positive its twin, the other 2N − 2 negatives.
 */
export function ntXent(z1: Tensor, z2: Tensor, temperature = 0.5): Tensor {
  if (z1.shape.join() !== z2.shape.join() || z1.ndim !== 2) throw new StrataError('ntXent', `needs two [N, D] projections of the same shape, got [${z1.shape}] and [${z2.shape}]`);
  const n = z1.shape[0];
  const z = cat([z1, z2], 0);
  const zn = z.div(norm(z, 2, 1, true).clamp(1e-8));
  // NOTE: the self-similarity (1/τ) is pushed to −1e9 so it never counts as a candidate
  const sim = zn.matmul(zn.t()).div(temperature).sub(eye(2 * n, 2 * n, { backend: z.backend }).mul(1e9));
  const target = tensor(Int32Array.from({ length: 2 * n }, (_, i) => (i < n ? i + n : i - n)), { backend: z.backend }).long();
  return crossEntropy(sim, target);
}

/** SimCLR: the encoder, a 2-layer projection head (dropped after pre-training), NT-Xent on two views. */
export class SimCLR extends Module {
  projector: Sequential;
  constructor(readonly encoder: Encoder, readonly projectionDim = 64, readonly temperature = 0.5) {
    super();
    const d = encoder.featureDim;
    this.projector = new Sequential(new Linear(d, d), new ReLU(), new Linear(d, projectionDim));
  }
  forward(x: Tensor): Tensor {
    return this.projector.forward(this.encoder.forward(x));
  }
  loss(view1: Tensor, view2: Tensor): Tensor {
    return ntXent(this.forward(view1), this.forward(view2), this.temperature);
  }
}

export interface AugmentOptions {
  /** Value of an empty (background) pixel in the normalised input, e.g. (0 − mean) / std. */
  background: number;
  /** Smallest area fraction of the random resized crop (default 0.35). */
  minScale?: number;
  /** Horizontal flips with probability ½ (default true). */
  flip?: boolean;
  /** Brightness/contrast jitter strength (default 0.4). */
  jitter?: number;
  /** Probability of a cut-out square of a quarter of the side (default 0.5). */
  cutout?: number;
}

/**
 * SimCLR-style augmentation of a normalised batch [N, C, H, W], per sample: random resized crop (area
 * ≥ minScale, aspect 3/4–4/3, nearest neighbour), horizontal flip, contrast/brightness jitter, cut-out.
 * Runs in JS on the batch's values (cheap next to the encoder) and returns a new tensor on x's backend.
 */
export function augmentBatch(x: Tensor, g: Generator, o: AugmentOptions): Tensor {
  if (x.ndim !== 4) throw new StrataError('augmentBatch', `needs images [N, C, H, W], got [${x.shape}]`);
  const [n, c, h, w] = x.shape;
  const src = x.data() as Float32Array;
  const out = new Float32Array(src.length);
  const minScale = o.minScale ?? 0.35, jitter = o.jitter ?? 0.4, cutout = o.cutout ?? 0.5;
  for (let i = 0; i < n; i++) {
    const area = (minScale + (1 - minScale) * g.random()) * h * w;
    const ratio = Math.exp(Math.log(3 / 4) + g.random() * Math.log(16 / 9));
    const ch = Math.max(4, Math.min(h, Math.round(Math.sqrt(area / ratio))));
    const cw = Math.max(4, Math.min(w, Math.round(Math.sqrt(area * ratio))));
    const y0 = Math.floor(g.random() * (h - ch + 1)), x0 = Math.floor(g.random() * (w - cw + 1));
    const flip = (o.flip ?? true) && g.random() < 0.5;
    const scale = 1 + jitter * (2 * g.random() - 1), shift = jitter * (2 * g.random() - 1);
    const cut = g.random() < cutout;
    const cs = Math.max(1, Math.round(h / 4));
    const cy = Math.floor(g.random() * (h - cs + 1)), cx = Math.floor(g.random() * (w - cs + 1));
    for (let k = 0; k < c; k++) {
      const base = (i * c + k) * h * w;
      for (let yy = 0; yy < h; yy++) {
        const sy = y0 + Math.min(ch - 1, Math.floor(((yy + 0.5) * ch) / h));
        for (let xx = 0; xx < w; xx++) {
          const tx = flip ? w - 1 - xx : xx;
          const sx = x0 + Math.min(cw - 1, Math.floor(((tx + 0.5) * cw) / w));
          let v = src[base + sy * w + sx];
          v = (v - o.background) * scale + o.background + shift;
          if (cut && yy >= cy && yy < cy + cs && xx >= cx && xx < cx + cs) v = o.background;
          out[base + yy * w + xx] = v;
        }
      }
    }
  }
  return tensor(out, { shape: [n, c, h, w], backend: x.backend });
}
