// Run folders written by `strata train`: loading a trained model with its config, config.json, and the
// class report that train, eval and the text commands print.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as st from '../index.js';
import { ConfusionMatrix } from '../train/metrics.js';
import type { Batch, BatchSource, EpochLog, EvalResult } from '../train/trainer.js';
import type { DataLoader } from '../data/loader.js';
import { createModel } from '../models/registry.js';
import { loadModelFile } from '../train/checkpoint.js';

/** Loads a trained model from a run folder or model file (image runs and text runs, with their model config). */
export function loadRun(path: string, weights = 'model', cmd = 'eval'): { model: st.nn.Module; config: Record<string, unknown> } {
  const file = path.endsWith('.safetensors') ? path : join(path, `${weights}.safetensors`);
  if (!existsSync(file)) throw new st.StrataError(cmd, `${file} does not exist; --checkpoint takes a run folder written by strata train (or its .safetensors file)`);
  if (st.compress.isCompressedFile(file)) {
    const r = st.compress.loadCompressed(file, (c) => createModel(String(c.model), c.task as st.models.ImageTask, (c.modelConfig as Record<string, unknown> | undefined) ?? {}));
    return { model: r.model, config: r.config };
  }
  const { stateDict, config } = loadModelFile(file);
  if (!config.model || !config.task) throw new st.StrataError(cmd, `${file} has no strata model config (was it written by strata train?)`);
  const model = createModel(String(config.model), config.task as st.models.ImageTask, (config.modelConfig as Record<string, unknown> | undefined) ?? {});
  model.loadStateDict(stateDict);
  for (const t of Object.values(stateDict)) t.dispose();
  model.eval();
  return { model, config };
}

/** config.json of a run folder, if present. */
export function readRunConfig(dir: string): Record<string, unknown> | null {
  const p = join(dir, 'config.json');
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>) : null;
}

/** Accuracy, loss, macro F1, the per-class table and the confusion matrix, as printed by strata eval. */
export function formatClassReport(r: EvalResult, classes: readonly string[]): string[] {
  const cm = new ConfusionMatrix(classes.length);
  r.confusion.forEach((row, i) => row.forEach((v, j) => (cm.counts[i][j] = v)));
  return [
    `accuracy: ${(100 * r.accuracy).toFixed(2)}%   loss: ${r.loss.toFixed(4)}   macro F1: ${(100 * r.macroF1).toFixed(2)}%`,
    '',
    'class'.padEnd(14) + 'precision  recall      F1  support',
    ...classes.map((c, i) => `${c.slice(0, 13).padEnd(14)}${(100 * r.report.precision[i]).toFixed(1).padStart(9)}${(100 * r.report.recall[i]).toFixed(1).padStart(8)}${(100 * r.report.f1[i]).toFixed(1).padStart(8)}${String(r.report.support[i]).padStart(9)}`),
    '',
    cm.format(classes),
  ];
}

/**
 * What a run trains: the model (built after seeding), its data, how its output meets the loss, and how
 * its epochs are scored. Image and text runs each build one; strata train does the rest.
 */
export interface TrainJob {
  /** The task the model was built for (stored in config.json to rebuild it). */
  task: object;
  model: st.nn.Module;
  trainLoader: DataLoader<unknown, Batch>;
  validation: BatchSource;
  /** Prefix of the evaluation metrics: 'test' (classifiers, seq2seq) or 'val' (language models). */
  validationName: string;
  numClasses: number;
  forward?: (x: st.Tensor, batch: Batch) => st.Tensor;
  lossFn?: (output: st.Tensor, target: st.Tensor) => st.Tensor;
  /** More to store in config.json and the model files (a text run's tokenizer and model config). */
  extraConfig?: Record<string, unknown>;
  /** Adds metrics to an epoch's log after evaluation (bits per character, BLEU). */
  annotate?: (log: EpochLog) => void | Promise<void>;
  /** The metric that picks best.safetensors. */
  best: { key: string; mode: 'max' | 'min' };
  /** The final line(s) on stdout. */
  result(last: EpochLog): string;
}
