// Checkpoints in safetensors: model weights with their config, and the full training state for resuming.
import { existsSync } from 'node:fs';
import { StrataError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { defaultGenerator } from '../tensor/random.js';
import type { Module } from '../nn/module.js';
import type { GroupBase, Optimizer, OptimizerState, StateValue } from '../optim/optimizer.js';
import type { SchedulerState } from '../optim/scheduler.js';
import { loadSafetensors, saveSafetensors } from '../io/index.js';
import type { EpochLog } from './trainer.js';
import type { LoaderState } from '../data/loader.js';

export const MODEL_FORMAT = 'strata-model/1';
export const STATE_FORMAT = 'strata-train-state/1';

/** Writes model weights (PyTorch-style keys) with metadata: the model config, epoch and metrics. Atomic. */
export function saveModel(path: string, model: Module, meta: { config: Record<string, unknown>; epoch?: number; metrics?: Record<string, unknown> }): void {
  saveSafetensors(path, model.stateDict(), {
    format: MODEL_FORMAT,
    config: JSON.stringify(meta.config),
    epoch: String(meta.epoch ?? 0),
    metrics: JSON.stringify(meta.metrics ?? {}),
  });
}

/** Reads a model file: its tensors and its config (the caller builds the model and loads the weights). */
export function loadModelFile(path: string): { stateDict: Record<string, Tensor>; config: Record<string, unknown>; epoch: number; metrics: Record<string, unknown> } {
  if (!existsSync(path)) throw new StrataError('checkpoint', `${path} does not exist`);
  const { tensors, metadata } = loadSafetensors(path);
  const parse = (k: string) => {
    try {
      return JSON.parse(metadata[k] ?? '{}') as Record<string, unknown>;
    } catch {
      throw new StrataError('checkpoint', `${path}: metadata '${k}' is not valid JSON`);
    }
  };
  return { stateDict: tensors, config: parse('config'), epoch: Number(metadata.epoch ?? 0), metrics: parse('metrics') };
}

export interface TrainState {
  model: Module;
  optimizer: Optimizer<GroupBase>;
  scheduler?: { stateDict(): SchedulerState; loadStateDict(s: SchedulerState): void } | null;
  loader?: { state(): LoaderState; loadState(s: LoaderState): void } | null;
  config: Record<string, unknown>;
}

export interface SavedProgress {
  epoch: number;
  globalStep: number;
  history: EpochLog[];
}

/**
 * Writes everything a run needs to continue: weights, optimizer state, scheduler, data order, the
 * default generator, epoch and history, in ONE file (written atomically, so a kill leaves either the
 * previous state or the new one).
 */
export function saveTrainState(path: string, s: TrainState, p: SavedProgress): void {
  const tensors: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(s.model.stateDict())) tensors[`model.${k}`] = t;
  const opt = s.optimizer.stateDict();
  const scalars: Record<number, Record<string, number>> = {};
  for (const [i, st] of Object.entries(opt.state)) {
    for (const [k, v] of Object.entries(st)) {
      if (v instanceof Tensor) tensors[`optimizer.${i}.${k}`] = v;
      else (scalars[Number(i)] ??= {})[k] = v as number;
    }
  }
  saveSafetensors(path, tensors, {
    format: STATE_FORMAT,
    config: JSON.stringify(s.config),
    epoch: String(p.epoch),
    global_step: String(p.globalStep),
    history: JSON.stringify(p.history),
    optimizer: JSON.stringify({ paramGroups: opt.paramGroups, scalars }),
    scheduler: JSON.stringify(s.scheduler ? s.scheduler.stateDict() : null),
    loader: JSON.stringify(s.loader ? s.loader.state() : null),
    rng: JSON.stringify(defaultGenerator.getState()),
  });
}

/** The config stored in a training-state file (to rebuild the model before restoring). */
export function readTrainConfig(path: string): Record<string, unknown> {
  const { metadata } = loadSafetensors(path, { names: [] });
  if (metadata.format !== STATE_FORMAT) throw new StrataError('resume', `${path} is not a strata training state (format '${metadata.format ?? 'none'}')`);
  const config = stateMeta(path, metadata, 'config');
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw damaged(path, 'config', 'is not a JSON object');
  return config as Record<string, unknown>;
}

const damaged = (path: string, key: string, what: string) =>
  new StrataError('resume', `${path} is damaged: its '${key}' metadata ${what}; start the run again without --resume (or restore the file)`);

/** One JSON metadata entry of a training state; a StrataError naming the file and the entry when absent or not JSON. */
function stateMeta(path: string, metadata: Record<string, string>, key: string): unknown {
  const raw = metadata[key];
  if (raw === undefined) throw damaged(path, key, 'is missing');
  try {
    return JSON.parse(raw);
  } catch {
    throw damaged(path, key, `is not valid JSON (${JSON.stringify(raw.slice(0, 40))})`);
  }
}

/** A whole number ≥ 0 from a metadata entry, or a StrataError naming the file. */
function countMeta(path: string, metadata: Record<string, string>, key: string): number {
  const v = Number(metadata[key]);
  if (metadata[key] === undefined || metadata[key].trim() === '' || !Number.isInteger(v) || v < 0) throw damaged(path, key, `is ${JSON.stringify(metadata[key] ?? null)}, not a whole number`);
  return v;
}

/** The progress and optimizer, scheduler, loader and generator states of a training state, every entry checked (a StrataError naming the file and the entry otherwise). */
export function readTrainProgress(path: string, loaded?: { metadata: Record<string, string> }): SavedProgress & { optimizer: { paramGroups: OptimizerState['paramGroups']; scalars: Record<number, Record<string, number>> }; scheduler: SchedulerState | null; loader: LoaderState | null; rng: number[] } {
  // only the header is read (names: []) unless the caller has loaded the file
  const { metadata } = loaded ?? loadSafetensors(path, { names: [] });
  if (metadata.format !== STATE_FORMAT) throw new StrataError('resume', `${path} is not a strata training state (format '${metadata.format ?? 'none'}')`);
  const epoch = countMeta(path, metadata, 'epoch'), globalStep = countMeta(path, metadata, 'global_step');
  const history = stateMeta(path, metadata, 'history');
  if (!Array.isArray(history) || history.some((h) => h === null || typeof h !== 'object')) throw damaged(path, 'history', 'is not a list of epoch logs');
  const o = stateMeta(path, metadata, 'optimizer') as { paramGroups: OptimizerState['paramGroups']; scalars: Record<number, Record<string, number>> } | null;
  if (!o || typeof o !== 'object' || !Array.isArray(o.paramGroups) || typeof o.scalars !== 'object' || o.scalars === null) throw damaged(path, 'optimizer', 'is not an optimizer state ({paramGroups, scalars})');
  const scheduler = stateMeta(path, metadata, 'scheduler') as SchedulerState | null;
  const loader = stateMeta(path, metadata, 'loader') as LoaderState | null;
  const rng = stateMeta(path, metadata, 'rng');
  if (!Array.isArray(rng)) throw damaged(path, 'rng', 'is not a generator state');
  return { epoch, globalStep, history: history as EpochLog[], optimizer: o, scheduler, loader, rng: rng as number[] };
}

/** Restores a training state into freshly built objects; returns the progress to continue from. */
export function restoreTrainState(path: string, s: TrainState): SavedProgress {
  const loaded = loadSafetensors(path);
  const { tensors } = loaded;
  // every entry is read and checked before anything is restored
  const { epoch, globalStep, history, optimizer: o, scheduler: sched, loader, rng } = readTrainProgress(path, loaded);
  const model: Record<string, Tensor> = {};
  const optTensors: Record<number, Record<string, StateValue>> = {};
  for (const [k, t] of Object.entries(tensors)) {
    if (k.startsWith('model.')) model[k.slice(6)] = t;
    else if (k.startsWith('optimizer.')) {
      const [, i, ...name] = k.split('.');
      (optTensors[Number(i)] ??= {})[name.join('.')] = t;
    }
  }
  const named = <T>(what: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof StrataError) throw new StrataError('resume', `${path}: ${what}: ${e.message}`);
      throw e;
    }
  };
  named('the model weights do not fit', () => s.model.loadStateDict(model));
  for (const [i, sc] of Object.entries(o.scalars)) Object.assign((optTensors[Number(i)] ??= {}), sc);
  named('the optimizer state does not fit', () => s.optimizer.loadStateDict({ paramGroups: o.paramGroups, state: optTensors }));
  if (sched && s.scheduler) named('the scheduler state does not fit', () => s.scheduler!.loadStateDict(sched));
  if (loader && s.loader) named('the data-loader state does not fit', () => s.loader!.loadState(loader));
  defaultGenerator.setState(rng);
  for (const t of Object.values(tensors)) t.dispose();
  return { epoch, globalStep, history };
}
