// Evaluation of learned features without labels in the training loop: frozen features of a data set,
// a linear probe (multinomial logistic regression trained by strata) and k-nearest-neighbour accuracy.
import { StrataError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { Generator } from '../tensor/random.js';
import { keep, tidy } from '../tensor/memory.js';
import { noGrad } from '../autograd/grad-mode.js';
import type { Module } from '../nn/module.js';
import { Linear } from '../nn/layers/linear.js';
import { Adam } from '../optim/adam.js';
import { cat } from '../ops/shape.js';
import { tensor } from '../ops/creation.js';
import { crossEntropy } from '../ops/loss.js';
import { norm } from '../ops/reduce.js';

/** Batches of inputs and labels (a DataLoader of {x, y}, or an array of them). */
export type LabelledBatches = Iterable<{ x: Tensor; y: Tensor }> | AsyncIterable<{ x: Tensor; y: Tensor }>;

/** Runs `encoder` (eval mode, no gradients) over the batches: features [N, D] and labels [N] (int64). Disposes the batches. */
export async function extractFeatures(encoder: Module, batches: LabelledBatches): Promise<{ features: Tensor; labels: Tensor }> {
  const wasTraining = encoder.training;
  encoder.eval();
  const fs: Tensor[] = [], ys: Tensor[] = [];
  try {
    for await (const b of batches as AsyncIterable<{ x: Tensor; y: Tensor }>) {
      fs.push(keep(noGrad(() => tidy(() => (encoder.forward(b.x) as Tensor).detach().contiguous()))));
      ys.push(keep(b.y.long()));
      if (ys[ys.length - 1] !== b.y) b.y.dispose();
      b.x.dispose();
    }
  } finally {
    encoder.train(wasTraining);
  }
  if (!fs.length) throw new StrataError('extractFeatures', 'the data produced no batches');
  const features = keep(cat(fs, 0)), labels = keep(cat(ys, 0));
  // NOTE: cat of one tensor may return that tensor itself: keep what the result is
  for (const t of [...fs, ...ys]) if (t !== features && t !== labels) t.dispose();
  return { features, labels };
}

export interface LinearProbeOptions {
  numClasses: number;
  /** Passes over the training features (default 30). */
  epochs?: number;
  lr?: number;
  batchSize?: number;
  /** L2 penalty on the weights (default 1e-4, Adam's coupled weight decay). */
  weightDecay?: number;
  seed?: number;
}

/** Options of a small classifier fitted on features held in memory. */
export interface FitClassifierOptions {
  epochs?: number;
  lr?: number;
  batchSize?: number;
  weightDecay?: number;
  seed?: number;
}

/**
 * Fits `model` (a linear probe, a stacking meta-learner) on features [N, D] and labels [N]: cross-entropy and
 * Adam (default lr 1e-2, weight decay 1e-4) over seeded shuffled mini-batches (default 256, 50 epochs).
 */
export function fitClassifier(model: Module, feats: Tensor, labels: Tensor, o: FitClassifierOptions = {}): void {
  const n = feats.shape[0], bs = o.batchSize ?? 256, epochs = o.epochs ?? 50;
  const opt = new Adam(model.parameters(), { lr: o.lr ?? 1e-2, weightDecay: o.weightDecay ?? 1e-4 });
  const g = new Generator(o.seed ?? 0);
  for (let e = 0; e < epochs; e++) {
    const perm = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(g.random() * (i + 1));
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    for (let s = 0; s < n; s += bs) {
      tidy(() => {
        const idx = tensor(perm.subarray(s, Math.min(n, s + bs)), { backend: feats.backend }).long();
        const loss = crossEntropy(model.forward(feats.indexSelect(0, idx)) as Tensor, labels.indexSelect(0, idx));
        opt.zeroGrad();
        loss.backward();
        opt.step();
      });
    }
  }
  opt.dispose();
}

/**
 * A linear probe: standardise the features with the training set's mean and std, fit a multinomial
 * logistic regression (one Linear layer, cross-entropy, Adam) on the training features, return its
 * accuracy on the test features and the fitted layer.
 */
export function linearProbe(train: { features: Tensor; labels: Tensor }, test: { features: Tensor; labels: Tensor }, o: LinearProbeOptions): { accuracy: number; trainAccuracy: number; layer: Linear } {
  const d = train.features.shape[1];
  const epochs = o.epochs ?? 30;
  const { mean, std } = tidy(() => ({ mean: keep(train.features.mean(0, true)), std: keep(train.features.std(0, { keepdim: true }).add(1e-6)) }));
  const layer = new Linear(d, o.numClasses);
  layer.to(train.features.backend.name);
  const xs = tidy(() => keep(train.features.sub(mean).div(std)));
  fitClassifier(layer, xs, train.labels, { ...o, epochs });
  const acc = (f: Tensor, y: Tensor) => noGrad(() => tidy(() => layer.forward(f.sub(mean).div(std)).argmax(1).eq(y).float().mean().item()));
  const trainAccuracy = acc(train.features, train.labels);
  const accuracy = acc(test.features, test.labels);
  for (const t of [mean, std, xs]) t.dispose();
  return { accuracy, trainAccuracy, layer };
}

/**
 * k-NN accuracy (cosine similarity, majority vote among the k nearest training features, ties to the
 * nearest), computed in chunks of test rows.
 */
export function knnAccuracy(train: { features: Tensor; labels: Tensor }, test: { features: Tensor; labels: Tensor }, k = 20, numClasses?: number): number {
  const ytr = Array.from(train.labels.data() as BigInt64Array, Number);
  const yte = Array.from(test.labels.data() as BigInt64Array, Number);
  const classes = numClasses ?? Math.max(...ytr, ...yte) + 1;
  if (k < 1 || k > ytr.length) throw new StrataError('knnAccuracy', `k must be in [1, ${ytr.length}], got ${k}`);
  const unit = (f: Tensor) => f.div(norm(f, 2, 1, true).clamp(1e-8));
  const trn = tidy(() => keep(unit(train.features).t().contiguous()));
  let correct = 0;
  const chunk = 500;
  for (let s = 0; s < yte.length; s += chunk) {
    const idx = noGrad(() => tidy(() => {
      const q = unit(test.features.narrow(0, s, Math.min(chunk, yte.length - s)));
      return q.matmul(trn).topk(k, 1).indices.contiguous();
    }));
    const nn = Array.from(idx.data() as BigInt64Array, Number);
    idx.dispose();
    const rows = nn.length / k;
    for (let r = 0; r < rows; r++) {
      const votes = new Array<number>(classes).fill(0);
      for (let j = 0; j < k; j++) votes[ytr[nn[r * k + j]]] += 1 + (k - j) * 1e-6;
      let best = 0;
      for (let c = 1; c < classes; c++) if (votes[c] > votes[best]) best = c;
      if (best === yte[s + r]) correct++;
    }
  }
  trn.dispose();
  return correct / yte.length;
}
