// Unstructured magnitude pruning with masks kept beside the weights (as torch.nn.utils.prune), made
// permanent by `removePruning`; Zhu & Gupta's gradual (cubic) sparsity schedule; sparsity counts.
import { StrataError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/grad-mode.js';
import { tidy, keep } from '../tensor/memory.js';
import type { Module } from '../nn/module.js';
import { Conv2d } from '../nn/layers/conv.js';
import { Linear } from '../nn/layers/linear.js';

/** A pruned parameter: the module, the parameter's name and its 0/1 mask (float, same shape). */
export interface PruneTarget {
  name: string;
  module: Module;
  param: string;
}

/** The weights pruned by default: every Conv2d and Linear weight (biases and norms stay dense, as in Han et al.). */
export function prunableWeights(model: Module): PruneTarget[] {
  return [...model.namedModules()]
    .filter(([, m]) => m instanceof Conv2d || m instanceof Linear)
    .map(([name, module]) => ({ name: name ? `${name}.weight` : 'weight', module, param: 'weight' }));
}

const MASKS = new WeakMap<Module, Map<string, { mask: Tensor; remove: () => void }>>();

function weightOf(t: PruneTarget): Tensor {
  return (t.module as unknown as Record<string, Tensor>)[t.param];
}

/** The k-th smallest |value| over the given tensors (k ≥ 1): the pruning threshold. */
function kthAbs(ts: Tensor[], k: number): number {
  const total = ts.reduce((n, t) => n + t.numel, 0);
  const all = new Float32Array(total);
  let o = 0;
  for (const t of ts) {
    const d = tidy(() => t.abs().contiguous().data()) as Float32Array;
    all.set(d, o);
    o += d.length;
  }
  all.sort();
  return all[k - 1];
}

export interface PruneOptions {
  /** Fraction of the weights set to zero, in [0, 1). */
  sparsity: number;
  /** 'global': one threshold over all targets (Han et al.); 'layer': the same fraction in each. Default 'global'. */
  scope?: 'global' | 'layer';
  /** What to prune (default: every Conv2d and Linear weight). */
  targets?: PruneTarget[];
}

/**
 * Magnitude pruning: the smallest-|w| weights get a 0 in a mask kept beside the weight; the weight is
 * multiplied by it now and after every optimizer step (call `applyMasks` after `step`), so pruned
 * weights stay 0 through fine-tuning. Calling it again with a higher sparsity prunes further (masks
 * only ever lose ones). Returns the sparsity reached over the targets.
 * @example compress.prune(model, { sparsity: 0.9 }); // train, calling compress.applyMasks(model) after each step
 */
export function prune(model: Module, opts: PruneOptions): number {
  const { sparsity } = opts;
  if (!(sparsity >= 0 && sparsity < 1)) throw new StrataError('prune', `sparsity must be in [0, 1), got ${sparsity}`);
  const targets = opts.targets ?? prunableWeights(model);
  if (!targets.length) throw new StrataError('prune', 'the model has no Conv2d or Linear weights to prune');
  const groups = (opts.scope ?? 'global') === 'global' ? [targets] : targets.map((t) => [t]);
  noGrad(() => {
    for (const g of groups) {
      // rank the weights as masked now, so already-pruned ones count first
      const ws = g.map((t) => maskedWeight(t));
      const n = ws.reduce((s, w) => s + w.numel, 0);
      const k = Math.round(sparsity * n);
      const thr = k > 0 ? kthAbs(ws, k) : -1;
      g.forEach((t, i) => {
        // NOTE: ties at the threshold are all pruned, so the reached sparsity can exceed the asked one slightly.
        const mask = keep(tidy(() => ws[i].abs().gt(thr).to('float32')));
        setMask(t, mask);
        ws[i].dispose();
      });
    }
  });
  applyMasks(model);
  return sparsityOf(targets.map(weightOf));
}

function maskedWeight(t: PruneTarget): Tensor {
  const m = MASKS.get(t.module)?.get(t.param);
  const w = weightOf(t);
  return m ? w.mul(m.mask) : w.detach().contiguous();
}

function setMask(t: PruneTarget, mask: Tensor): void {
  let per = MASKS.get(t.module);
  if (!per) MASKS.set(t.module, (per = new Map()));
  per.get(t.param)?.mask.dispose();
  per.set(t.param, { mask, remove: () => undefined });
}

/** Multiplies every masked weight by its mask (after each optimizer step during fine-tuning). */
export function applyMasks(model: Module): void {
  noGrad(() => {
    for (const m of model.modules()) {
      const per = MASKS.get(m);
      if (!per) continue;
      for (const [p, { mask }] of per) (m as unknown as Record<string, Tensor>)[p].mul_(mask);
    }
  });
}

/** The masks of a model by parameter name (e.g. 'fc1.weight'), as torch's `weight_mask` buffers. */
export function masks(model: Module): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, m] of model.namedModules()) {
    for (const [p, { mask }] of MASKS.get(m) ?? []) out[name ? `${name}.${p}` : p] = mask;
  }
  return out;
}

/** Makes pruning permanent (torch's prune.remove): weights keep their zeros, masks are dropped. */
export function removePruning(model: Module): void {
  applyMasks(model);
  for (const m of model.modules()) {
    const per = MASKS.get(m);
    if (!per) continue;
    for (const { mask } of per.values()) mask.dispose();
    MASKS.delete(m);
  }
}

/** Fraction of exact zeros over the tensors. */
export function sparsityOf(ts: Tensor[]): number {
  let zeros = 0, n = 0;
  for (const t of ts) {
    zeros += tidy(() => t.eq(0).sum().item());
    n += t.numel;
  }
  return n ? zeros / n : 0;
}

/** Non-zero counts of a model's prunable weights and of all its parameters. */
export function countNonZero(model: Module): { prunable: number; prunableNonZero: number; params: number; nonZero: number } {
  const pw = prunableWeights(model).map(weightOf);
  const nz = (ts: Tensor[]) => ts.reduce((s, t) => s + t.numel - tidy(() => t.eq(0).sum().item()), 0);
  const all = model.parameters();
  return { prunable: pw.reduce((s, t) => s + t.numel, 0), prunableNonZero: nz(pw), params: all.reduce((s, t) => s + t.numel, 0), nonZero: nz(all) };
}

/**
 * Zhu & Gupta (2017)'s gradual pruning schedule: s_t = s_f + (s_i − s_f)(1 − (t − t0)/(nΔt))³ for
 * t in [t0, t0 + nΔt], s_i before, s_f after. Steps are whatever unit the caller counts (epochs, steps).
 */
export function cubicSparsity(step: number, opts: { initial?: number; final: number; begin?: number; end: number }): number {
  const si = opts.initial ?? 0, b = opts.begin ?? 0;
  if (!(opts.end > b)) throw new StrataError('prune', `the schedule's end (${opts.end}) must come after its begin (${b})`);
  if (step <= b) return si;
  if (step >= opts.end) return opts.final;
  return opts.final + (si - opts.final) * (1 - (step - b) / (opts.end - b)) ** 3;
}
