// Fine-tuning helpers: load the matching part of a state dict with a report, freeze by glob, parameter
// groups for a pre-trained backbone, unfreezing after N epochs, and few-label subsets of a data set.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/grad-mode.js';
import { isFloating } from '../tensor/dtype.js';
import { Generator } from '../tensor/random.js';
import type { Module } from '../nn/module.js';
import type { Dataset } from '../data/dataset.js';
import { loadSafetensors } from '../io/safetensors.js';
import { loadTorch } from '../io/torch.js';
import type { Callback, Trainer } from '../train/trainer.js';

/** What loadMatching did with every key: loaded, skipped (with why) or left as initialised. */
export interface LoadReport {
  /** Keys copied from the checkpoint (name and shape matched). */
  loaded: string[];
  /** Keys in both whose shape or dtype differ (e.g. a head for another class count): left as initialised. */
  skipped: { key: string; reason: string }[];
  /** Keys of the model the checkpoint lacks: left as initialised (new). */
  missing: string[];
  /** Keys of the checkpoint the model lacks: ignored. */
  unexpected: string[];
}

/**
 * Copies every tensor whose name and shape match into the model (in place) and reports the rest; never
 * throws on a difference (PyTorch's `load_state_dict(strict=False)` still refuses shape mismatches; this
 * is the fine-tuning variant that skips them). Floating tensors of another float dtype are converted.
 * @example
 * const r = loadMatching(model, loadStateDictFile('runs/pretrained'));
 * // r.loaded: ['features.0.weight', …], r.skipped: [{ key: 'classifier.3.weight', reason: 'shape [5, 128] …' }]
 */
export function loadMatching(model: Module, sd: Record<string, Tensor>): LoadReport {
  const own = model.stateDict();
  const report: LoadReport = { loaded: [], skipped: [], missing: [], unexpected: [] };
  noGrad(() => {
    for (const [k, mine] of Object.entries(own)) {
      const t = sd[k];
      if (!t) {
        report.missing.push(k);
        continue;
      }
      if (mine.shape.join() !== t.shape.join()) {
        report.skipped.push({ key: k, reason: `shape ${fmtShape(t.shape)} in the checkpoint, ${fmtShape(mine.shape)} in the model` });
        continue;
      }
      let src = t.backend === mine.backend ? t : t.to(mine.backend.name);
      if (src.dtype !== mine.dtype) {
        if (!isFloating(src.dtype) || !isFloating(mine.dtype)) {
          report.skipped.push({ key: k, reason: `dtype ${t.dtype} in the checkpoint, ${mine.dtype} in the model` });
          continue;
        }
        src = src.to(mine.dtype);
      }
      mine.copy_(src);
      report.loaded.push(k);
    }
  });
  for (const k of Object.keys(sd)) if (!(k in own)) report.unexpected.push(k);
  return report;
}

/** A LoadReport as a few lines for a log: counts, and the keys that were not loaded. */
export function formatLoadReport(r: LoadReport, source = 'the checkpoint'): string {
  const lines = [`init from ${source}: loaded ${r.loaded.length} tensor(s), skipped ${r.skipped.length}, new ${r.missing.length}, ignored ${r.unexpected.length}`];
  for (const s of r.skipped) lines.push(`  skipped ${s.key}: ${s.reason}`);
  if (r.missing.length) lines.push(`  new (left as initialised): ${r.missing.join(', ')}`);
  if (r.unexpected.length) lines.push(`  ignored (not in the model): ${r.unexpected.slice(0, 8).join(', ')}${r.unexpected.length > 8 ? `, … (${r.unexpected.length - 8} more)` : ''}`);
  return lines.join('\n');
}

/**
 * The tensors of a run folder (its model.safetensors), a .safetensors file, or a PyTorch file (.pt/.pth
 * holding a state dict, as torch.save(model.state_dict())). The caller disposes them.
 */
export function loadStateDictFile(path: string): Record<string, Tensor> {
  if (!existsSync(path)) throw new StrataError('init', `${path} does not exist; pass a run folder, a .safetensors file or a PyTorch .pt/.pth state dict`);
  let file = path;
  if (statSync(path).isDirectory()) {
    file = join(path, 'model.safetensors');
    if (!existsSync(file)) throw new StrataError('init', `${path} is a folder without model.safetensors; pass a run folder written by strata train or strata pretrain`);
  }
  if (file.endsWith('.safetensors')) return loadSafetensors(file).tensors;
  if (/\.(pt|pth|bin)$/.test(file)) {
    const flat = loadTorch(file);
    // a {'state_dict': sd} or {'model': sd} wrapper flattens to prefixed names: strip the prefix
    const out: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(flat)) out[k.replace(/^(state_dict|model)\./, '')] = v;
    if (!Object.keys(out).length) throw new StrataError('init', `${file} holds no tensors by name (expected torch.save(model.state_dict()))`);
    return out;
  }
  throw new StrataError('init', `${file}: unknown weights format; use a run folder, .safetensors, or .pt/.pth`);
}

/** A glob over dotted parameter names as a RegExp: `*` is any run of characters (dots included), `?` one. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`);
}

/** The names of the model's parameters matching any of the globs (comma-separated in one string is allowed). */
export function matchParameters(model: Module, patterns: string | string[]): string[] {
  const res = (Array.isArray(patterns) ? patterns : patterns.split(',')).map((p) => p.trim()).filter(Boolean).map(globToRegExp);
  return [...model.namedParameters()].filter(([n]) => res.some((r) => r.test(n))).map(([n]) => n);
}

/**
 * Sets requiresGrad on the parameters whose names match a glob (as torch's `p.requires_grad_(False)`
 * over `named_parameters()`); returns the names it changed. A pattern that matches nothing is an error
 * (a typo would otherwise freeze nothing, silently).
 * @example requiresGradByPattern(model, 'features.*', false)
 */
export function requiresGradByPattern(model: Module, patterns: string | string[], on: boolean): string[] {
  const list = (Array.isArray(patterns) ? patterns : patterns.split(',')).map((p) => p.trim()).filter(Boolean);
  const params = [...model.namedParameters()];
  const hit: string[] = [];
  for (const pat of list) {
    const re = globToRegExp(pat);
    const names = params.filter(([n]) => re.test(n));
    if (!names.length) {
      const some = params.slice(0, 6).map(([n]) => n).join(', ');
      throw new StrataError('freeze', `pattern '${pat}' matches no parameter; names look like: ${some}${params.length > 6 ? ', …' : ''}`);
    }
    for (const [n, p] of names) {
      p.requiresGrad = on && isFloating(p.dtype);
      hit.push(n);
    }
  }
  return [...new Set(hit)];
}

/**
 * Two parameter groups for fine-tuning: the pre-trained parameters (those named in `pretrained`) at
 * `lrBackbone`, the rest (new heads) at the optimizer's default rate. Frozen parameters stay in their
 * group (an unfrozen one then trains at its group's rate). Groups that would be empty are left out.
 * @example new optim.Adam(backboneGroups(model, report.loaded, 1e-4), { lr: 1e-3 })
 */
export function backboneGroups(model: Module, pretrained: Iterable<string>, lrBackbone: number): { params: Tensor[]; lr?: number }[] {
  const names = new Set(pretrained);
  const backbone: Tensor[] = [], rest: Tensor[] = [];
  for (const [n, p] of model.namedParameters()) (names.has(n) ? backbone : rest).push(p);
  const groups: { params: Tensor[]; lr?: number }[] = [];
  if (backbone.length) groups.push({ params: backbone, lr: lrBackbone });
  if (rest.length) groups.push({ params: rest });
  return groups;
}

/** A Trainer callback that sets requiresGrad back on the named parameters when epoch `after` + 1 begins. */
export function unfreezeAfter(model: Module, names: string[], after: number, log?: (line: string) => void): Callback {
  return {
    onEpochBegin(_t: Trainer, epoch: number) {
      if (epoch !== after + 1) return;
      const set = new Set(names);
      for (const [n, p] of model.namedParameters()) if (set.has(n)) p.requiresGrad = isFloating(p.dtype);
      log?.(`epoch ${epoch}: unfroze ${names.length} parameter(s)\n`);
    },
  };
}

/**
 * Indices of a labelled subset for semi-supervised runs: `perClass` samples of every class, or a
 * `fraction` of the set stratified by class (at least one per class), drawn with `seed`. Sorted.
 */
export function labelSubsetIndices(labels: ArrayLike<number>, o: { fraction?: number; perClass?: number; seed?: number }): number[] {
  if ((o.fraction === undefined) === (o.perClass === undefined)) throw new StrataError('labelSubset', 'give exactly one of fraction (--label-fraction) and perClass (--labels-per-class)');
  if (o.fraction !== undefined && !(o.fraction > 0 && o.fraction <= 1)) throw new StrataError('labelSubset', `the label fraction must be in (0, 1], got ${o.fraction}`);
  if (o.perClass !== undefined && !(Number.isInteger(o.perClass) && o.perClass > 0)) throw new StrataError('labelSubset', `labels per class must be a positive integer, got ${o.perClass}`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)!.push(i);
  }
  const g = new Generator(o.seed ?? 0);
  const out: number[] = [];
  for (const [c, idx] of [...byClass.entries()].sort((a, b) => a[0] - b[0])) {
    const want = o.perClass ?? Math.max(1, Math.round(idx.length * o.fraction!));
    if (want > idx.length) throw new StrataError('labelSubset', `class ${c} has ${idx.length} samples, fewer than the ${want} asked for`);
    // partial Fisher-Yates with the seeded generator
    const a = idx.slice();
    for (let i = 0; i < want; i++) {
      const j = i + Math.floor(g.random() * (a.length - i));
      [a[i], a[j]] = [a[j], a[i]];
    }
    out.push(...a.slice(0, want));
  }
  return out.sort((x, y) => x - y);
}

/** The label of every sample of a classification data set (reads each sample's y). */
export function labelsOf(ds: Dataset<{ y: unknown }>): Int32Array {
  const out = new Int32Array(ds.length);
  for (let i = 0; i < ds.length; i++) {
    const y = ds.get(i).y as number | { data: ArrayLike<number> };
    out[i] = typeof y === 'number' ? y : Number(y.data[0]);
  }
  return out;
}

/**
 * The samples of the given classes with labels renumbered 0…k−1 in the order given (e.g. classes 5–9 of
 * Fashion-MNIST as a 5-class task); `classes` names follow when the base set has them.
 */
export class ClassSubset<S extends { y: number }> implements Dataset<S> {
  readonly indices: Int32Array;
  readonly classes?: readonly string[];
  private readonly map = new Map<number, number>();
  constructor(readonly dataset: Dataset<S> & { readonly classes?: readonly string[] }, keep: readonly number[]) {
    if (!keep.length) throw new StrataError('ClassSubset', 'needs at least one class');
    keep.forEach((c, i) => this.map.set(c, i));
    const labels = labelsOf(dataset);
    const idx: number[] = [];
    for (let i = 0; i < labels.length; i++) if (this.map.has(labels[i])) idx.push(i);
    if (!idx.length) throw new StrataError('ClassSubset', `no sample has a class among ${keep.join(', ')}`);
    this.indices = Int32Array.from(idx);
    if (dataset.classes) this.classes = keep.map((c) => dataset.classes![c] ?? String(c));
  }
  get length(): number {
    return this.indices.length;
  }
  get(i: number, g?: Generator): S {
    const s = this.dataset.get(this.indices[i], g);
    return { ...s, y: this.map.get(s.y)! };
  }
}

/** Parses a class list such as '0-4' or '0,2,5-7'. */
export function parseClassList(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new StrataError('classes', `'${part}' is not a class index or range (e.g. 0-4 or 0,2,5-7)`);
    const a = Number(m[1]), b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new StrataError('classes', `range '${part}' runs backwards`);
    for (let c = a; c <= b; c++) if (!out.includes(c)) out.push(c);
  }
  if (!out.length) throw new StrataError('classes', 'an empty class list');
  return out;
}

export interface FineTuneOptions {
  /** A run folder, .safetensors or .pt/.pth state dict to start from. */
  init?: string;
  /** Globs over parameter names to freeze (comma-separated). */
  freeze?: string;
  /** Learning rate of the pre-trained (loaded) parameters; the rest use the optimizer's rate. */
  lrBackbone?: number;
}

/**
 * The fine-tuning setup of a model before training: loads `init` (loadMatching), freezes `freeze`, and
 * builds the parameter groups (backbone at lrBackbone). Returns the load report, the frozen names and
 * the parameters (or groups) to hand to the optimizer.
 */
export function prepareFineTune(model: Module, o: FineTuneOptions): { report: LoadReport | null; frozen: string[]; params: Tensor[] | { params: Tensor[]; lr?: number }[] } {
  let report: LoadReport | null = null;
  if (o.init) {
    const sd = loadStateDictFile(o.init);
    try {
      report = loadMatching(model, sd);
    } finally {
      for (const t of Object.values(sd)) t.dispose();
    }
    if (!report.loaded.length) throw new StrataError('init', `${o.init}: no tensor matched the model by name and shape (${report.unexpected.length} in the file, e.g. ${report.unexpected.slice(0, 3).join(', ')}); is it the same architecture?`);
  }
  const frozen = o.freeze ? requiresGradByPattern(model, o.freeze, false) : [];
  if (o.lrBackbone !== undefined) {
    if (!report) throw new StrataError('lr-backbone', 'a separate backbone learning rate needs pre-trained weights: add --init');
    return { report, frozen, params: backboneGroups(model, report.loaded, o.lrBackbone) };
  }
  return { report, frozen, params: model.parameters() };
}
