// Ensembles: one model made of trained members — probability averaging, majority voting, stacking (a
// meta-learner on the members' probabilities) — registered in the zoo as 'ensemble', so an ensemble is
// one model file that eval and predict load like any other.
import { StrataError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { keep, tidy } from '../tensor/memory.js';
import { noGrad } from '../autograd/grad-mode.js';
import { Module } from '../nn/module.js';
import { Linear } from '../nn/layers/linear.js';
import { ReLU } from '../nn/layers/activation.js';
import { Sequential, ModuleList } from '../nn/layers/container.js';
import { cat, stack } from '../ops/shape.js';
import { oneHot } from '../ops/indexing.js';
import { createModel, registerModel } from '../models/registry.js';
import { fitClassifier, type FitClassifierOptions } from '../reuse/probe.js';
import type { ImageTask } from '../models/basic.js';

export type EnsembleMethod = 'mean' | 'vote' | 'stack';

/** A member as stored in the ensemble's config: its zoo name and model config. */
export interface MemberSpec {
  model: string;
  modelConfig?: Record<string, unknown>;
}

export interface EnsembleConfig {
  method: EnsembleMethod;
  members: MemberSpec[];
  /** Stacking's meta-learner: multinomial logistic regression (default) or an MLP with one hidden layer of 64. */
  meta?: 'logreg' | 'mlp';
}

/**
 * An ensemble of classifiers over the same classes. forward(x) gives log-probabilities [N, classes]:
 * `mean` the log of the members' mean softmax; `vote` the log of the vote shares (each member votes
 * its argmax; ties go to the higher mean probability); `stack` the meta-learner's logits on the members'
 * concatenated probabilities (fit it with fitStacking on data the members did not train on).
 * Member parameters are frozen.
 */
export class Ensemble extends Module {
  members: ModuleList;
  meta: Module | null;
  constructor(members: Module[], readonly numClasses: number, readonly method: EnsembleMethod = 'mean', metaKind: 'logreg' | 'mlp' = 'logreg') {
    super();
    if (!members.length) throw new StrataError('Ensemble', 'needs at least one member');
    this.members = new ModuleList(members);
    for (const m of members) m.requiresGrad_(false);
    const inF = members.length * numClasses;
    this.meta = method !== 'stack' ? null : metaKind === 'mlp' ? new Sequential(new Linear(inF, 64), new ReLU(), new Linear(64, numClasses)) : new Linear(inF, numClasses);
  }
  /** Each member's softmax, [M, N, classes] (members in eval mode, no gradients). */
  memberProbs(x: Tensor): Tensor {
    return noGrad(() => stack(this.members.children().map((m) => {
      m.eval();
      const out = m.forward(x) as Tensor;
      if (out.shape[out.ndim - 1] !== this.numClasses) throw new StrataError('Ensemble', `a member gives ${out.shape[out.ndim - 1]} outputs, the ensemble expects ${this.numClasses} classes`);
      return out.softmax(-1);
    }), 0));
  }
  forward(x: Tensor): Tensor {
    const p = this.memberProbs(x);
    if (this.method === 'mean') return p.mean(0).clamp(1e-12).log();
    if (this.method === 'vote') {
      const votes = oneHot(p.argmax(-1), this.numClasses).float().sum(0);
      const score = votes.add(p.mean(0).mul(1e-3));
      return score.div(score.sum(-1, true)).clamp(1e-12).log();
    }
    const m = p.shape[0];
    const feats = p.permute([1, 0, 2]).reshape([x.shape[0], m * this.numClasses]);
    return this.meta!.forward(feats) as Tensor;
  }
}

/** Builds an ensemble from its stored config (what the zoo's 'ensemble' entry does); weights loaded by the caller. */
export function ensembleFromConfig(task: ImageTask, c: EnsembleConfig): Ensemble {
  if (!c || !Array.isArray(c.members) || !c.members.length) throw new StrataError('ensemble', 'the model config has no members; an ensemble file is written by strata ensemble');
  const members = c.members.map((s) => createModel(s.model, task, s.modelConfig ?? {}));
  return new Ensemble(members, task.numClasses, c.method ?? 'mean', c.meta ?? 'logreg');
}

registerModel('ensemble', {
  description: 'an ensemble of trained runs (strata ensemble): mean of probabilities, majority vote, or stacking',
  kind: 'image',
  build: (t, c = {}) => ensembleFromConfig(t, c as unknown as EnsembleConfig),
});

/** The meta-learner's training (reuse.fitClassifier's options: Adam, shuffled mini-batches). */
export type StackingOptions = FitClassifierOptions;

/**
 * Fits a stacking ensemble's meta-learner on the members' probabilities for (x, y) batches — a hold-out
 * split or out-of-fold predictions that the members did not train on. Returns the meta-learner's
 * training accuracy. The batches are disposed.
 */
export async function fitStacking(e: Ensemble, batches: Iterable<{ x: Tensor; y: Tensor }> | AsyncIterable<{ x: Tensor; y: Tensor }>, o: StackingOptions = {}): Promise<number> {
  if (!e.meta) throw new StrataError('fitStacking', `the ensemble's method is '${e.method}'; only 'stack' has a meta-learner`);
  const fs: Tensor[] = [], ys: Tensor[] = [];
  for await (const b of batches as AsyncIterable<{ x: Tensor; y: Tensor }>) {
    fs.push(keep(tidy(() => { const p = e.memberProbs(b.x); return p.permute([1, 0, 2]).reshape([b.x.shape[0], -1]).contiguous(); })));
    ys.push(keep(b.y.long()));
    b.x.dispose();
  }
  const feats = predictionsToFeatures(fs), labels = keep(cat(ys, 0));
  // NOTE: cat of one tensor may return that tensor itself: keep what the result is
  for (const t of [...fs, ...ys]) if (t !== feats && t !== labels) t.dispose();
  const acc = fitMeta(e.meta, feats, labels, o);
  feats.dispose();
  labels.dispose();
  return acc;
}

function predictionsToFeatures(fs: Tensor[]): Tensor {
  if (!fs.length) throw new StrataError('fitStacking', 'the data produced no batches');
  return keep(cat(fs, 0));
}

/** Trains the meta-learner (cross-entropy, Adam) on features [N, M·classes] and labels [N]; returns its training accuracy. */
export function fitMeta(meta: Module, feats: Tensor, labels: Tensor, o: StackingOptions = {}): number {
  meta.train();
  fitClassifier(meta, feats, labels, o);
  meta.eval();
  return noGrad(() => tidy(() => (meta.forward(feats) as Tensor).argmax(1).eq(labels).float().mean().item()));
}

export { CyclicCosineLR } from './snapshot.js';
