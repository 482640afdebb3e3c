// Self-supervised pre-training of a zoo classifier's encoder (labels never read): the loop, its epoch log,
// and a PNG grid of VAE samples and reconstructions.
import { StrataError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { Generator } from '../tensor/random.js';
import { tidy } from '../tensor/memory.js';
import { noGrad } from '../autograd/grad-mode.js';
import type { Module } from '../nn/module.js';
import { Adam } from '../optim/adam.js';
import { tensor } from '../ops/creation.js';
import type { ImageTask } from '../models/basic.js';
import { encodePng } from '../data/png.js';
import { Autoencoder, Encoder, SimCLR, VAE, augmentBatch } from './ssl.js';

export type PretrainMethod = 'autoencoder' | 'denoising' | 'vae' | 'simclr';
export const PRETRAIN_METHODS: readonly PretrainMethod[] = ['autoencoder', 'denoising', 'vae', 'simclr'];

export interface PretrainOptions {
  method: PretrainMethod;
  /** The classifier whose encoder is pre-trained (its head is left out of the result). */
  model: Module;
  task: ImageTask;
  /** Per-channel normalisation of the inputs (to recover pixels in [0, 1] for the VAE, and the background value). */
  mean: readonly number[];
  std: readonly number[];
  /** Normalised image batches {x} (labels, if present, are ignored). */
  train: Iterable<{ x: Tensor }> | AsyncIterable<{ x: Tensor }>;
  /** Held-out batches for a test loss per epoch (autoencoders and VAE). */
  validation?: Iterable<{ x: Tensor }> | AsyncIterable<{ x: Tensor }>;
  epochs: number;
  minutes?: number;
  lr?: number;
  seed?: number;
  /** Denoising: std of the Gaussian noise on the normalised input (default 1.0, about 0.35 of the pixel range on Fashion-MNIST). */
  noise?: number;
  /** SimCLR's temperature (default 0.5). */
  temperature?: number;
  onEpoch?: (log: PretrainLog) => void | Promise<void>;
  onBatch?: (info: { epoch: number; batch: number; loss: number; elapsed: number }) => void;
}

export interface PretrainLog {
  epoch: number;
  train_loss: number;
  test_loss?: number;
  /** VAE: the evidence lower bound on the test batches, nats per image (= −test_loss). */
  test_elbo?: number;
  partial?: number;
  lr: number;
  epoch_seconds: number;
  [k: string]: number | undefined;
}

/** The objective module of a method around an encoder (what pre-training trains). */
export function objectiveFor(method: PretrainMethod, encoder: Encoder, task: ImageTask, o: { noise?: number; temperature?: number } = {}): Autoencoder | VAE | SimCLR {
  switch (method) {
    case 'autoencoder': return new Autoencoder(encoder, task, 0);
    case 'denoising': return new Autoencoder(encoder, task, o.noise ?? 1.0);
    case 'vae': return new VAE(encoder, task);
    case 'simclr': return new SimCLR(encoder, 64, o.temperature ?? 0.5);
  }
  throw new StrataError('pretrain', `unknown method '${method}'; use one of ${PRETRAIN_METHODS.join(', ')}`);
}

function pixelsOf(x: Tensor, mean: readonly number[], std: readonly number[]): Tensor {
  const c = x.shape[1];
  const m = tensor(Float32Array.from({ length: c }, (_, i) => mean[i] ?? mean[0]), { shape: [1, c, 1, 1], backend: x.backend });
  const s = tensor(Float32Array.from({ length: c }, (_, i) => std[i] ?? std[0]), { shape: [1, c, 1, 1], backend: x.backend });
  return x.mul(s).add(m).clamp(0, 1);
}

/**
 * Pre-trains `model`'s encoder with the method (Adam, cosine decay over the epochs or the time budget).
 * Returns the encoder (its backboneStateDict is what to save), the objective and the epoch logs.
 */
export async function pretrain(o: PretrainOptions): Promise<{ encoder: Encoder; objective: Autoencoder | VAE | SimCLR; history: PretrainLog[] }> {
  const encoder = new Encoder(o.model);
  const objective = objectiveFor(o.method, encoder, o.task, o);
  objective.to(o.model.parameters()[0].backend.name);
  const baseLr = o.lr ?? 1e-3;
  const opt = new Adam(objective.parameters(), { lr: baseLr });
  const g = new Generator((o.seed ?? 0) + 7);
  const background = (0 - o.mean[0]) / o.std[0];
  const t0 = performance.now();
  const budget = o.minutes !== undefined ? o.minutes * 60000 : Infinity;
  const history: PretrainLog[] = [];
  let stop = false;
  const lossOf = (x: Tensor): Tensor => {
    if (objective instanceof SimCLR) {
      const v1 = augmentBatch(x, g, { background }), v2 = augmentBatch(x, g, { background });
      return objective.loss(v1, v2);
    }
    if (objective instanceof VAE) return objective.loss(x, pixelsOf(x, o.mean, o.std)).loss;
    return objective.loss(x);
  };
  for (let epoch = 1; epoch <= o.epochs && !stop; epoch++) {
    objective.train();
    const e0 = performance.now();
    let sum = 0, n = 0, batch = 0;
    for await (const b of o.train as AsyncIterable<{ x: Tensor; y?: Tensor }>) {
      // NOTE: cosine decay over the budget's elapsed fraction (time-limited) or over the epochs
      const frac = Number.isFinite(budget) ? Math.min(1, (performance.now() - t0) / budget) : (epoch - 1) / o.epochs;
      for (const pg of opt.paramGroups) pg.lr = baseLr * 0.5 * (1 + Math.cos(Math.PI * frac));
      const l = tidy(() => {
        const loss = lossOf(b.x);
        const v = loss.item();
        if (!Number.isFinite(v)) throw new StrataError('pretrain', `the ${o.method} loss is ${v} at epoch ${epoch}, batch ${batch}; lower --lr (now ${baseLr})`);
        opt.zeroGrad();
        loss.backward();
        opt.step();
        return v;
      });
      b.x.dispose();
      b.y?.dispose();
      sum += l * 1;
      n++;
      o.onBatch?.({ epoch, batch, loss: l, elapsed: (performance.now() - t0) / 1000 });
      batch++;
      if (performance.now() - t0 >= budget) {
        stop = true;
        break;
      }
    }
    if (!n) throw new StrataError('pretrain', 'the training data produced no batches');
    const log: PretrainLog = { epoch, train_loss: sum / n, lr: opt.paramGroups[0].lr, epoch_seconds: (performance.now() - e0) / 1000 };
    if (stop) log.partial = batch;
    if (o.validation && !(objective instanceof SimCLR)) {
      objective.eval();
      let vs = 0, vn = 0;
      for await (const b of o.validation as AsyncIterable<{ x: Tensor; y?: Tensor }>) {
        vs += noGrad(() => tidy(() => (objective instanceof VAE ? objective.loss(b.x, pixelsOf(b.x, o.mean, o.std)).loss : objective.loss(b.x)).item()));
        vn++;
        b.x.dispose();
        b.y?.dispose();
      }
      if (vn) {
        log.test_loss = vs / vn;
        if (objective instanceof VAE) log.test_elbo = -log.test_loss;
      }
    }
    history.push(log);
    await o.onEpoch?.(log);
  }
  opt.dispose();
  objective.eval();
  return { encoder, objective, history };
}

/**
 * A PNG (grayscale or RGB) grid: the first row `images` (e.g. inputs), the next rows further image sets of
 * the same shape (reconstructions, samples); values in [0, 1], [N, C, H, W] each.
 */
export function imageGridPng(rows: Tensor[], perRow = 8): Uint8Array {
  if (!rows.length) throw new StrataError('imageGridPng', 'no images');
  const [, c, h, w] = rows[0].shape;
  const pad = 2;
  const W = perRow * (w + pad) + pad, H = rows.length * (h + pad) + pad;
  const ch = c === 3 ? 3 : 1;
  const data = new Uint8Array(W * H * ch).fill(255);
  rows.forEach((t, r) => {
    const v = t.contiguous().data() as Float32Array;
    const n = Math.min(perRow, t.shape[0]);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < ch; k++) {
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const val = v[((i * c + k) * h + y) * w + x];
            const X = pad + i * (w + pad) + x, Y = pad + r * (h + pad) + y;
            data[(Y * W + X) * ch + k] = Math.round(255 * Math.min(1, Math.max(0, val)));
          }
        }
      }
    }
  });
  return encodePng({ width: W, height: H, channels: ch as 1 | 3, data });
}

/** VAE figure rows: test inputs, their reconstructions, and samples from the prior (pixels in [0, 1]). */
export function vaeFigure(vae: VAE, x: Tensor, mean: readonly number[], std: readonly number[], perRow = 8): Uint8Array {
  return noGrad(() => tidy(() => {
    vae.eval();
    const xs = x.narrow(0, 0, Math.min(perRow, x.shape[0]));
    const [logits] = vae.forward(xs);
    const samples = vae.sample(perRow * 2, new Generator(1));
    return imageGridPng([pixelsOf(xs, mean, std), logits.sigmoid(), samples.narrow(0, 0, perRow), samples.narrow(0, perRow, perRow)], perRow);
  }));
}

