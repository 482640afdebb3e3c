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
  const { metadata } = loadSafetensors(path);
  if (metadata.format !== STATE_FORMAT) throw new StrataError('resume', `${path} is not a strata training state (format '${metadata.format ?? 'none'}')`);
  return JSON.parse(metadata.config) as Record<string, unknown>;
}

/** Restores a training state into freshly built objects; returns the progress to continue from. */
export function restoreTrainState(path: string, s: TrainState): SavedProgress {
  const { tensors, metadata } = loadSafetensors(path);
  if (metadata.format !== STATE_FORMAT) throw new StrataError('resume', `${path} is not a strata training state (format '${metadata.format ?? 'none'}')`);
  const model: Record<string, Tensor> = {};
  const optTensors: Record<number, Record<string, StateValue>> = {};
  for (const [k, t] of Object.entries(tensors)) {
    if (k.startsWith('model.')) model[k.slice(6)] = t;
    else if (k.startsWith('optimizer.')) {
      const [, i, ...name] = k.split('.');
      (optTensors[Number(i)] ??= {})[name.join('.')] = t;
    }
  }
  s.model.loadStateDict(model);
  const o = JSON.parse(metadata.optimizer) as { paramGroups: OptimizerState['paramGroups']; scalars: Record<number, Record<string, number>> };
  for (const [i, sc] of Object.entries(o.scalars)) Object.assign((optTensors[Number(i)] ??= {}), sc);
  s.optimizer.loadStateDict({ paramGroups: o.paramGroups, state: optTensors });
  const sched = JSON.parse(metadata.scheduler) as SchedulerState | null;
  if (sched && s.scheduler) s.scheduler.loadStateDict(sched);
  const loader = JSON.parse(metadata.loader) as LoaderState | null;
  if (loader && s.loader) s.loader.loadState(loader);
  defaultGenerator.setState(JSON.parse(metadata.rng) as number[]);
  for (const t of Object.values(tensors)) t.dispose();
  return { epoch: Number(metadata.epoch), globalStep: Number(metadata.global_step), history: JSON.parse(metadata.history) as EpochLog[] };
}
