// `strata train` and `strata eval`: train a model on a dataset into a run folder; evaluate a run folder.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as st from '../index.js';
import { StrataError } from '../tensor/errors.js';
import { writeFileAtomic as atomicWriteFile } from '../io/atomic.js';
import { DataLoader } from '../data/loader.js';
import { Subset, type Dataset, type ImageSample } from '../data/dataset.js';
import { TensorDataset } from '../data/tensor-dataset.js';
import type { Transform } from '../data/transforms.js';
import { createModel, getModel, modelNames } from '../models/registry.js';
import { Trainer, type Batch, type BatchSource, type EpochLog, type EvalResult } from '../train/trainer.js';
import { ProgressLogger, TimeLimit, EarlyStopping } from '../train/callbacks.js';
import { loadModelFile, readTrainConfig, restoreTrainState, saveModel, saveTrainState } from '../train/checkpoint.js';
import { ConfusionMatrix } from '../train/metrics.js';
import type { GroupBase, Optimizer } from '../optim/optimizer.js';
import { helpText, parseArgs, type FlagSpec, type Parsed } from './args.js';
import { IMAGE_DATASETS, forwardFor, imageDataset, taskOf, transformFor } from './datasets.js';
import { isTextDataset, TEXT_DATASET_NAMES, TEXT_TRAIN_FLAGS } from './text-datasets.js';
import { textEval, textJob, textRunConfig } from './text.js';
import { FINETUNE_FLAGS, fineTuneConfig, fineTuneData, fineTuneModel, snapshotSchedule } from './finetune.js';

const TRAIN_SPEC: Record<string, FlagSpec> = {
  model: { type: 'string', help: `model (${modelNames().join(', ')})`, default: 'cnn' },
  dataset: { type: 'string', help: `dataset: images (${Object.keys(IMAGE_DATASETS).join(', ')}) or text (${TEXT_DATASET_NAMES.join(', ')})`, default: 'fashion-mnist' },
  'data-dir': { type: 'string', help: 'folder with the dataset files (default: where its Debian package puts them)' },
  epochs: { type: 'int', help: 'epochs to train', default: 5 },
  minutes: { type: 'number', help: 'stop after this many minutes instead (with --epochs as an upper bound)' },
  'batch-size': { type: 'int', help: 'batch size', default: 64 },
  lr: { type: 'number', help: 'learning rate; the peak rate with --scheduler onecycle (default 3e-3 for adam/adamw with onecycle, else 1e-3; sgd 0.05, adagrad 0.01)' },
  optimizer: { type: 'string', help: 'optimizer', default: 'adam', choices: ['adam', 'adamw', 'sgd', 'rmsprop', 'adagrad'] },
  momentum: { type: 'number', help: 'SGD momentum', default: 0.9 },
  'weight-decay': { type: 'number', help: 'weight decay', default: 0 },
  scheduler: { type: 'string', help: 'learning-rate schedule (onecycle: Smith & Topin, warm-up then annealing, per batch)', default: 'onecycle', choices: ['none', 'step', 'cosine', 'onecycle', 'plateau'] },
  'clip-grad': { type: 'number', help: 'clip the gradient norm to this value' },
  augment: { type: 'boolean', help: 'random crops and flips on the training images' },
  'early-stop': { type: 'int', help: 'stop when test loss has not improved for N epochs' },
  workers: { type: 'int', help: 'data-loading worker threads', default: 0 },
  subset: { type: 'int', help: 'train on the first N training images only (text: N samples spread evenly over the split) (quick runs)' },
  backend: { type: 'string', help: 'kernel backend', choices: ['native', 'js'] },
  threads: { type: 'int', help: 'threads for native kernels (default: all cores)' },
  seed: { type: 'int', help: 'random seed (initialisation, shuffling, augmentation)', default: 0 },
  out: { type: 'string', help: 'run folder for config.json, metrics.jsonl, model.safetensors' },
  resume: { type: 'boolean', help: 'continue the run in --out from its last completed epoch' },
  quiet: { type: 'boolean', help: 'only the final result' },
  ...TEXT_TRAIN_FLAGS,
  ...FINETUNE_FLAGS,
  help: { type: 'boolean', help: 'show this help' },
};

function setupRuntime(a: Parsed): void {
  const be = a.str('backend');
  if (be) st.setBackend(be as 'native' | 'js');
  const th = a.num('threads');
  if (th !== undefined) st.setNumThreads(th);
}

function makeOptimizer(name: string, params: st.Tensor[] | { params: st.Tensor[]; lr?: number }[], lr: number | undefined, a: Parsed, oneCycle: boolean): Optimizer<GroupBase> {
  const wd = a.num('weight-decay') ?? 0;
  switch (name) {
    case 'adam': return new st.optim.Adam(params, { lr: lr ?? (oneCycle ? 3e-3 : 1e-3), weightDecay: wd });
    case 'adamw': return new st.optim.AdamW(params, { lr: lr ?? (oneCycle ? 3e-3 : 1e-3), weightDecay: wd || 0.01 });
    case 'sgd': return new st.optim.SGD(params, { lr: lr ?? 0.05, momentum: a.num('momentum'), weightDecay: wd });
    case 'rmsprop': return new st.optim.RMSprop(params, { lr: lr ?? 1e-3, weightDecay: wd });
    case 'adagrad': return new st.optim.Adagrad(params, { lr: lr ?? 1e-2, weightDecay: wd });
  }
  throw new StrataError('train', `unknown optimizer '${name}'`);
}

/** The settings that define a run (stored in config.json and checked on --resume). */
function runConfig(a: Parsed): Record<string, unknown> {
  return {
    model: a.str('model'), dataset: a.str('dataset'), epochs: a.num('epochs'), batchSize: a.num('batch-size'),
    lr: a.num('lr') ?? null, optimizer: a.str('optimizer'), momentum: a.num('momentum'), weightDecay: a.num('weight-decay'),
    scheduler: a.str('scheduler'), clipGrad: a.num('clip-grad') ?? null, augment: a.bool('augment'), seed: a.num('seed'),
    subset: a.num('subset') ?? null, ...fineTuneConfig(a),
  };
}

/**
 * What a run trains: the model (built after seeding), its data, how its output meets the loss, and how
 * its epochs are scored. Image and text runs each build one; runJob does the rest.
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

/** The image part of `strata train`: a dataset with normalisation and augmentation, an image model. */
function imageJob(a: Parsed, config: Record<string, unknown>): TrainJob {
  const dsEntry = imageDataset(String(config.dataset));
  const dataDir = a.str('data-dir');
  const fullTrain = dsEntry.load(true, dataDir);
  const subset = (config.subset as number | null) ?? null;
  const { train: trainSet, test: testSet, task } = fineTuneData(config, subset ? new Subset(fullTrain, Array.from({ length: Math.min(subset, fullTrain.length) }, (_, i) => i)) : fullTrain, dsEntry.load(false, dataDir), taskOf(fullTrain));
  st.manualSeed(Number(config.seed));
  const model = createModel(String(config.model), task);
  const workers = a.num('workers') ?? 0;
  const trainTransform = transformFor(dsEntry, true, Boolean(config.augment));
  const trainMem = config.augment || workers > 0 ? null : inMemory(trainSet, trainTransform);
  const trainLoader = new DataLoader<unknown, Batch>(trainMem ?? trainSet, {
    batchSize: Number(config.batchSize), shuffle: true, generator: new st.Generator(Number(config.seed) + 1),
    transform: trainMem ? undefined : trainTransform, numWorkers: workers,
  });
  const testTransform = transformFor(dsEntry, false, false);
  const testMem = inMemory(testSet, testTransform);
  const testLoader = new DataLoader<unknown, Batch>(testMem ?? testSet, { batchSize: 500, transform: testMem ? undefined : testTransform });
  return {
    task, model, trainLoader, validation: testLoader, validationName: 'test', numClasses: task.numClasses, forward: forwardFor(model, task),
    best: { key: 'test_accuracy', mode: 'max' },
    result: (last) => `test accuracy: ${(100 * (last.test_accuracy ?? 0)).toFixed(2)}% (epoch ${last.epoch}, test loss ${last.test_loss?.toFixed(4)}, macro F1 ${(100 * (last.test_macro_f1 ?? 0)).toFixed(2)}%)`,
  };
}

/** Bytes above which a data set stays on per-sample loading. */
const IN_MEMORY_MAX_BYTES = 2 ** 30;

/**
 * Without augmentation every epoch sees the same normalised images, so they are made once and each batch
 * is one index-select (as the PyTorch peer's pre-normalised tensors); null when the tensors (float32
 * images and int64 labels) would take over 1 GiB (then the loader transforms each sample every epoch).
 */
function inMemory(ds: Dataset<ImageSample>, transform: Transform): TensorDataset | null {
  if (TensorDataset.bytesFor(ds, transform) > IN_MEMORY_MAX_BYTES) return null;
  return TensorDataset.from(ds, { transform, maxBytes: IN_MEMORY_MAX_BYTES });
}

export async function cmdTrain(argv: string[]): Promise<number> {
  const a = parseArgs('train', argv, TRAIN_SPEC);
  if (a.bool('help')) {
    process.stdout.write(helpText('usage: strata train --model NAME --dataset NAME [--epochs N | --minutes M] --out DIR [options]', TRAIN_SPEC));
    return 0;
  }
  setupRuntime(a);
  const out = a.str('out') ?? join('runs', `${a.str('model')}-${a.str('dataset')}`);
  const statePath = join(out, 'train-state.safetensors');
  const text = isTextDataset(a.str('dataset')!);
  let config = text ? { ...runConfig(a), ...textRunConfig(a) } : runConfig(a);
  if (a.bool('resume')) {
    if (!existsSync(statePath)) throw new StrataError('train', `--resume: ${statePath} does not exist (nothing to resume); run without --resume to start`);
    const saved = readTrainConfig(statePath);
    const diffs = Object.keys(saved).filter((k) => k !== 'epochs' && JSON.stringify(saved[k]) !== JSON.stringify(config[k]) && argv.some((x) => x.startsWith(`--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`)));
    if (diffs.length) throw new StrataError('train', `--resume: these settings differ from the saved run: ${diffs.map((k) => `${k} (saved ${JSON.stringify(saved[k])})`).join(', ')}; drop them to continue the run as it was`);
    config = { ...saved, epochs: a.num('epochs') };
  }
  const modelName = String(config.model);
  const entry = getModel(modelName);
  const textData = isTextDataset(String(config.dataset));
  if (!textData && !Object.hasOwn(IMAGE_DATASETS, String(config.dataset))) {
    throw new StrataError('train', `unknown dataset '${config.dataset}'; available: ${Object.keys(IMAGE_DATASETS).join(', ')} (images), ${TEXT_DATASET_NAMES.join(', ')} (text)`);
  }
  if (entry.kind === 'text' && !textData) {
    throw new StrataError('train', `'${modelName}' is a text model; train it on a text dataset (${TEXT_DATASET_NAMES.join(', ')}), not '${config.dataset}'`);
  }
  const job = textData ? await textJob(a, config) : imageJob(a, config);
  return runJob(a, out, config, job);
}

/** The shared part of every run: optimizer, schedule, time limit, the run folder, resume and checkpoints. */
async function runJob(a: Parsed, out: string, config: Record<string, unknown>, job: TrainJob): Promise<number> {
  const statePath = join(out, 'train-state.safetensors');
  const { model, trainLoader } = job;
  const ft = fineTuneModel(model, config, a.bool('resume') || a.bool('quiet') ? null : process.stderr);
  const optimizer = makeOptimizer(String(config.optimizer), ft.params, (config.lr as number | null) ?? undefined, a, config.scheduler === 'onecycle');
  const epochs = Number(config.epochs);
  const minutes = a.num('minutes');
  // NOTE: with a time limit the schedule runs over the time budget, not over `epochs`: its position
  // is the elapsed fraction of the budget, in TIME_STEPS virtual steps.
  const TIME_STEPS = 100000;
  const stepsPerEpoch = minutes !== undefined ? TIME_STEPS / epochs : trainLoader.length;
  let scheduler: st.optim.LRScheduler | st.optim.ReduceLROnPlateau | null = null;
  let interval: 'step' | 'epoch' = 'epoch';
  switch (config.scheduler) {
    case 'step': scheduler = new st.optim.StepLR(optimizer, Math.max(1, Math.floor(epochs / 3))); break;
    case 'cosine': scheduler = new st.optim.CosineAnnealingLR(optimizer, epochs * stepsPerEpoch); interval = 'step'; break;
    case 'onecycle': scheduler = new st.optim.OneCycleLR(optimizer, optimizer.paramGroups.map((g) => g.lr), epochs * stepsPerEpoch); interval = 'step'; break;
    case 'plateau': scheduler = new st.optim.ReduceLROnPlateau(optimizer, { patience: 1 }); break;
  }
  const snap = snapshotSchedule(config, optimizer, stepsPerEpoch, (file, epoch) => saveModel(join(out, file), model, { config: { ...config, task: job.task, ...job.extraConfig }, epoch }));
  if (snap) {
    scheduler = snap.scheduler;
    interval = 'step';
  }

  const quiet = a.bool('quiet');
  const callbacks: st.train.Callback[] = [];
  // the job's own metrics join the epoch log before it is printed and saved
  if (job.annotate) callbacks.push({ onEpochEnd: (_t: Trainer, log: EpochLog) => job.annotate!(log) });
  if (!quiet) callbacks.push(new ProgressLogger(process.stderr, { epochs }));
  let timedScheduler: st.optim.LRScheduler | null = null;
  if (minutes !== undefined) {
    callbacks.push(new TimeLimit(minutes));
    if (scheduler instanceof st.optim.LRScheduler && interval === 'step') {
      timedScheduler = scheduler;
      const start = performance.now();
      callbacks.push({ onBatchEnd: () => timedScheduler!.stepTo(Math.min(TIME_STEPS - 1, Math.floor(((performance.now() - start) / 60000 / minutes) * TIME_STEPS))) });
    }
  }
  callbacks.push(...ft.callbacks);
  if (snap) callbacks.push(snap.callback);
  const early = a.num('early-stop');
  if (early) callbacks.push(new EarlyStopping({ monitor: `${job.validationName}_loss`, patience: early }));

  const trainer = new Trainer({
    model, optimizer, scheduler: timedScheduler ? null : scheduler, schedulerInterval: interval, callbacks, validationName: job.validationName,
    clipGradNorm: (config.clipGrad as number | null) ?? null, numClasses: job.numClasses, forward: job.forward, lossFn: job.lossFn,
  });
  mkdirSync(out, { recursive: true });
  const metricsPath = join(out, 'metrics.jsonl');
  if (a.bool('resume')) {
    const p = restoreTrainState(statePath, { model, optimizer, scheduler, loader: trainLoader, config });
    trainer.epoch = p.epoch;
    trainer.globalStep = p.globalStep;
    trainer.history.push(...p.history);
    // metrics.jsonl is rewritten from the saved history: a line written after the last saved state is dropped
    atomicWriteFile(metricsPath, p.history.map((h) => JSON.stringify(h) + '\n').join(''));
    if (!quiet) process.stderr.write(`resuming ${out} after epoch ${p.epoch}\n`);
  } else {
    atomicWriteFile(metricsPath, '');
  }
  const fullConfig = { ...config, task: job.task, ...job.extraConfig, backend: st.getBackend().name, threads: st.getNumThreads(), strata: st.VERSION };
  atomicWriteFile(join(out, 'config.json'), JSON.stringify(fullConfig, null, 2) + '\n');

  const sign = job.best.mode === 'max' ? 1 : -1;
  const score = (log: EpochLog) => sign * (log[job.best.key] ?? -sign * Infinity);
  let best = -Infinity;
  for (const h of trainer.history) best = Math.max(best, score(h));
  callbacks.push({
    onEpochEnd: (t: Trainer, log: EpochLog) => {
      const history = [...t.history, log];
      // the state first (the file a resume reads), then the metrics line, then the user-facing weights;
      // an epoch cut short by --minutes is logged and its weights saved, but it is not a resume point
      if (!t.partialEpoch) saveTrainState(statePath, { model, optimizer, scheduler, loader: trainLoader, config }, { epoch: log.epoch, globalStep: t.globalStep, history });
      atomicWriteFile(metricsPath, history.map((h) => JSON.stringify(h) + '\n').join(''));
      saveModel(join(out, 'model.safetensors'), model, { config: fullConfig, epoch: log.epoch, metrics: log });
      if (score(log) > best) {
        best = score(log);
        saveModel(join(out, 'best.safetensors'), model, { config: fullConfig, epoch: log.epoch, metrics: log });
      }
    },
  } satisfies st.train.Callback);

  await trainer.fit(trainLoader, { epochs, validation: job.validation });
  await trainLoader.close();
  const last = trainer.history[trainer.history.length - 1];
  if (!last) throw new StrataError('train', 'no epoch completed');
  process.stdout.write(`${job.result(last)}\nrun folder: ${out}\n`);
  return 0;
}

const EVAL_SPEC: Record<string, FlagSpec> = {
  checkpoint: { type: 'string', help: 'run folder (or a .safetensors model file)' },
  weights: { type: 'string', help: 'which weights in the run folder', default: 'model', choices: ['model', 'best'] },
  'data-dir': { type: 'string', help: 'dataset folder (default: the Debian package\'s)' },
  split: { type: 'string', help: 'text runs: the split to score (default: the one the run scored, validation for language models, else test)', choices: ['train', 'validation', 'test'] },
  backend: { type: 'string', help: 'kernel backend', choices: ['native', 'js'] },
  threads: { type: 'int', help: 'threads for native kernels' },
  json: { type: 'boolean', help: 'print JSON' },
  help: { type: 'boolean', help: 'show this help' },
};

/** Loads a trained model from a run folder or model file (image runs and text runs, with their model config). */
export function loadRun(path: string, weights = 'model', cmd = 'eval'): { model: st.nn.Module; config: Record<string, unknown> } {
  const file = path.endsWith('.safetensors') ? path : join(path, `${weights}.safetensors`);
  if (!existsSync(file)) throw new StrataError(cmd, `${file} does not exist; --checkpoint takes a run folder written by strata train (or its .safetensors file)`);
  const { stateDict, config } = loadModelFile(file);
  if (!config.model || !config.task) throw new StrataError(cmd, `${file} has no strata model config (was it written by strata train?)`);
  const model = createModel(String(config.model), config.task as st.models.ImageTask, (config.modelConfig as Record<string, unknown> | undefined) ?? {});
  model.loadStateDict(stateDict);
  for (const t of Object.values(stateDict)) t.dispose();
  model.eval();
  return { model, config };
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

export async function cmdEval(argv: string[]): Promise<number> {
  const a = parseArgs('eval', argv, EVAL_SPEC);
  if (a.bool('help')) {
    process.stdout.write(helpText('usage: strata eval --checkpoint DIR', EVAL_SPEC));
    return 0;
  }
  setupRuntime(a);
  const { model, config } = loadRun(a.need('checkpoint'), a.str('weights'));
  if (isTextDataset(String(config.dataset))) return textEval(a, model, config);
  const ds = imageDataset(String(config.dataset));
  const test = ds.load(false, a.str('data-dir'));
  const loader = new DataLoader(test, { batchSize: 500, transform: transformFor(ds, false, false) });
  const trainer = new Trainer({ model, optimizer: new st.optim.SGD(model.parameters(), { lr: 0 }), forward: forwardFor(model, config.task as st.models.ImageTask) });
  const r = await trainer.evaluate(loader);
  if (a.bool('json')) {
    process.stdout.write(JSON.stringify({ accuracy: r.accuracy, loss: r.loss, macro_f1: r.macroF1, per_class: r.report, confusion: r.confusion }, null, 2) + '\n');
    return 0;
  }
  const lines = [`${config.model} on ${config.dataset} test set (${test.length} images)`, ...formatClassReport(r, test.classes ?? [])];
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/** config.json of a run folder, if present. */
export function readRunConfig(dir: string): Record<string, unknown> | null {
  const p = join(dir, 'config.json');
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>) : null;
}

