// Run folders written by `strata train`: loading a trained model with its config, config.json, and the
// class report that train, eval and the text commands print.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './args.js';
import * as st from '../index.js';

const { ConfusionMatrix, loadModelFile } = st.train;
const { createModel } = st.models;
type Batch = st.train.Batch;
type BatchSource = st.train.BatchSource;
type EpochLog = st.train.EpochLog;
type EvalResult = st.train.EvalResult;
type DataLoader<S, B> = st.data.DataLoader<S, B>;

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
  let model: st.nn.Module;
  try {
    model = createModel(String(config.model), config.task as st.models.ImageTask, (config.modelConfig as Record<string, unknown> | undefined) ?? {});
    model.loadStateDict(stateDict);
  } catch (e) {
    if (e instanceof st.StrataError) throw new st.StrataError(cmd, `${file}: ${e.message}`);
    throw e;
  }
  for (const t of Object.values(stateDict)) t.dispose();
  model.eval();
  return { model, config };
}

const codeOf = (e: unknown) => String((e as { code?: unknown }).code ?? (e as Error).message);

/**
 * Makes the run folder (and missing parents) and checks that files can be written there, before any
 * data is loaded: a file in the way, a missing or read-only parent or a pseudo file system (/proc) is a
 * UsageError naming the flag and the path. (Node's recursive mkdir loops forever under /proc, so the
 * parents are made one by one.)
 */
export function prepareRunFolder(cmd: string, out: string, flag = '--out'): void {
  const abs = resolve(out);
  const missing: string[] = [];
  for (let p = abs; ; p = dirname(p)) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      const code = codeOf(e);
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(p) !== p) {
        missing.unshift(p);
        continue;
      }
      throw new UsageError(cmd, `${flag} ${out}: cannot read ${p} (${code})`);
    }
    if (!isDir) throw new UsageError(cmd, `${flag} ${out}: ${p} is a file, not a folder; give a folder for the run`);
    break;
  }
  for (const m of missing) {
    try {
      mkdirSync(m);
    } catch (e) {
      throw new UsageError(cmd, `${flag} ${out}: cannot create the folder ${m} (${codeOf(e)}); choose a folder you can write to`);
    }
  }
  const probe = join(abs, `.strata-write-test-${process.pid}`);
  try {
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (e) {
    throw new UsageError(cmd, `${flag} ${out}: cannot write files in ${abs} (${codeOf(e)}); choose a folder you can write to`);
  }
}

/**
 * Removes temporary files of atomic writes (`.NAME.PID.HEX.tmp`) that a killed process left in a run
 * folder (those of live processes stay). Returns the names removed.
 */
export function removeStaleTemporaries(dir: string): string[] {
  const removed: string[] = [];
  for (const f of existsSync(dir) ? readdirSync(dir) : []) {
    const m = /^\..+\.(\d+)\.[0-9a-f]+\.tmp$/.exec(f);
    if (!m) continue;
    const pid = Number(m[1]);
    let alive = pid === process.pid;
    try {
      if (!alive) {
        process.kill(pid, 0);
        alive = true;
      }
    } catch (e) {
      alive = codeOf(e) === 'EPERM';
    }
    if (alive) continue;
    try {
      unlinkSync(join(dir, f));
      removed.push(f);
    } catch {
      // gone already
    }
  }
  return removed;
}

/**
 * Progress of an evaluation pass on a terminal (strata eval scores up to 190 s in silence otherwise): the
 * callbacks to give the Trainer, and `done()` to clear the line before the results are printed.
 */
export function evalProgress(): { callbacks: st.train.Callback[]; done(): void } {
  const tty = Boolean(process.stderr.isTTY);
  return {
    callbacks: tty ? [new st.train.ProgressLogger(process.stderr)] : [],
    done: () => {
      if (tty) process.stderr.write('\r\x1b[K');
    },
  };
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
  // the class column fits the longest name (T-shirt/top, Ankle boot), up to 24 characters
  const w = Math.min(24, Math.max(5, ...classes.map((c) => c.length))) + 1;
  return [
    `accuracy: ${(100 * r.accuracy).toFixed(2)}%   loss: ${r.loss.toFixed(4)}   macro F1: ${(100 * r.macroF1).toFixed(2)}%`,
    '',
    'class'.padEnd(w) + 'precision  recall      F1  support',
    ...classes.map((c, i) => `${c.slice(0, w - 1).padEnd(w)}${(100 * r.report.precision[i]).toFixed(1).padStart(9)}${(100 * r.report.recall[i]).toFixed(1).padStart(8)}${(100 * r.report.f1[i]).toFixed(1).padStart(8)}${String(r.report.support[i]).padStart(9)}`),
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
