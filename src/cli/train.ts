// `strata train`: train a model on an image or text dataset into a run folder (resumable).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as st from '../index.js';
import { flags, UsageError, type Args } from './args.js';
import { applyRuntime, defineCommand, RUNTIME_FLAGS } from './command.js';
import { isTextDataset, spread, TEXT_DATASET_NAMES, TEXT_TRAIN_FLAGS } from './text-datasets.js';
import { textJob, textRunConfig } from './text.js';
import { prepareRunFolder, removeStaleTemporaries, type TrainJob } from './run-folder.js';
import { FINETUNE_FLAGS, fineTuneConfig, fineTuneData, fineTuneModel, snapshotSchedule } from './finetune.js';

const { StrataError } = st;
const { writeFileAtomic: atomicWriteFile } = st.io;
const { DataLoader, Subset, TensorDataset, IMAGE_DATASETS, imageDataset, taskOf, transformFor } = st.data;
const { createModel, getModel, modelNames } = st.models;
const { Trainer, TrainingDiverged, ProgressLogger, TimeLimit, EarlyStopping, forwardFor } = st.train;
const { readTrainConfig, readTrainProgress, restoreTrainState, saveModel, saveTrainState } = st.train;
type Dataset<S> = st.data.Dataset<S>;
type ImageSample = st.data.ImageSample;
type Transform = st.data.Transform;
type Trainer = st.train.Trainer;
type Batch = st.train.Batch;
type EpochLog = st.train.EpochLog;
type Optimizer<G extends st.optim.GroupBase> = st.optim.Optimizer<G>;
type GroupBase = st.optim.GroupBase;

const TRAIN_FLAGS = flags({
  model: { type: 'string', help: `model (${modelNames().join(', ')})`, default: 'cnn', valueName: 'NAME', check: (v: string) => (modelNames().includes(v) ? null : `unknown model '${v}'; available: ${modelNames().join(', ')}`) },
  dataset: { type: 'string', help: `dataset: images (${Object.keys(IMAGE_DATASETS).join(', ')}) or text (${TEXT_DATASET_NAMES.join(', ')})`, default: 'fashion-mnist', valueName: 'NAME' },
  'data-dir': { type: 'string', help: 'folder with the dataset files', valueName: 'DIR', defaultText: "where the dataset's Debian package puts them" },
  epochs: { type: 'int', help: 'epochs to train', default: 5, min: 1 },
  minutes: { type: 'number', help: 'stop after this many minutes instead (with --epochs as an upper bound)', gt: 0 },
  'batch-size': { type: 'int', help: 'batch size', default: 64, min: 1 },
  lr: { type: 'number', help: 'learning rate; the peak rate with --scheduler onecycle', gt: 0, defaultText: '3e-3 for adam/adamw with onecycle, else 1e-3; sgd 0.05, adagrad 0.01' },
  optimizer: { type: 'string', help: 'optimizer', default: 'adam', choices: ['adam', 'adamw', 'sgd', 'rmsprop', 'adagrad'] },
  momentum: { type: 'number', help: 'SGD momentum', default: 0.9, min: 0 },
  'weight-decay': { type: 'number', help: 'weight decay', default: 0, min: 0 },
  scheduler: { type: 'string', help: 'learning-rate schedule (onecycle: Smith & Topin, warm-up then annealing, per batch)', default: 'onecycle', choices: ['none', 'step', 'cosine', 'onecycle', 'plateau'] },
  'clip-grad': { type: 'number', help: 'clip the gradient norm to this value', gt: 0 },
  augment: { type: 'boolean', help: 'random crops and flips on the training images' },
  'early-stop': { type: 'int', help: 'stop when test loss has not improved for N epochs', min: 1 },
  workers: { type: 'int', help: 'data-loading worker threads', default: 0, min: 0, max: 256 },
  subset: { type: 'int', help: 'train on the first N training images only (text: N samples spread evenly over the split) (quick runs)', min: 1 },
  seed: { type: 'int', help: 'random seed (initialisation, shuffling, augmentation)', default: 0, min: 0 },
  out: { type: 'string', help: 'run folder for config.json, metrics.jsonl, model.safetensors', valueName: 'DIR', defaultText: 'runs/MODEL-DATASET' },
  resume: { type: 'boolean', help: 'continue the run in --out from its last completed epoch' },
  quiet: { type: 'boolean', help: 'only the final result' },
  store: { type: 'string', help: 'run store to record the run in (STRATA_STORE=none: off)', valueName: 'PATH', defaultText: 'STRATA_STORE or ~/.strata/runs.db' },
  ...RUNTIME_FLAGS,
  ...TEXT_TRAIN_FLAGS,
  ...FINETUNE_FLAGS,
});
type TrainArgs = Args<typeof TRAIN_FLAGS>;

function makeOptimizer(name: string, params: st.Tensor[] | { params: st.Tensor[]; lr?: number }[], lr: number | undefined, config: Record<string, unknown>, oneCycle: boolean): Optimizer<GroupBase> {
  const wd = Number(config.weightDecay ?? 0);
  switch (name) {
    case 'adam': return new st.optim.Adam(params, { lr: lr ?? (oneCycle ? 3e-3 : 1e-3), weightDecay: wd });
    case 'adamw': return new st.optim.AdamW(params, { lr: lr ?? (oneCycle ? 3e-3 : 1e-3), weightDecay: wd || 0.01 });
    case 'sgd': return new st.optim.SGD(params, { lr: lr ?? 0.05, momentum: Number(config.momentum ?? 0.9), weightDecay: wd });
    case 'rmsprop': return new st.optim.RMSprop(params, { lr: lr ?? 1e-3, weightDecay: wd });
    case 'adagrad': return new st.optim.Adagrad(params, { lr: lr ?? 1e-2, weightDecay: wd });
  }
  throw new StrataError('train', `unknown optimizer '${name}'`);
}

/** The settings that define a run (stored in config.json and checked on --resume). */
function runConfig(a: TrainArgs): Record<string, unknown> {
  return {
    model: a.get('model'), dataset: a.get('dataset'), epochs: a.get('epochs'), batchSize: a.get('batch-size'),
    lr: a.get('lr') ?? null, optimizer: a.get('optimizer'), momentum: a.get('momentum'), weightDecay: a.get('weight-decay'),
    scheduler: a.get('scheduler'), clipGrad: a.get('clip-grad') ?? null, augment: a.get('augment'), seed: a.get('seed'),
    subset: a.get('subset') ?? null, evalSubset: a.get('eval-subset') ?? null, minutes: a.get('minutes') ?? null, ...fineTuneConfig(a),
  };
}

/** The image part of `strata train`: a dataset with normalisation and augmentation, an image model. */
function imageJob(a: TrainArgs, config: Record<string, unknown>): TrainJob {
  const dsEntry = imageDataset(String(config.dataset));
  const dataDir = a.get('data-dir');
  const fullTrain = dsEntry.load(true, dataDir);
  const subset = (config.subset as number | null) ?? null;
  const fullTest = dsEntry.load(false, dataDir);
  const evalIdx = spread(config.evalSubset as number | null, fullTest.length);
  const { train: trainSet, test: testSet, task } = fineTuneData(config, subset ? new Subset(fullTrain, Array.from({ length: Math.min(subset, fullTrain.length) }, (_, i) => i)) : fullTrain, evalIdx ? new Subset(fullTest, evalIdx) : fullTest, taskOf(fullTrain));
  st.manualSeed(Number(config.seed));
  const model = createModel(String(config.model), task);
  const workers = a.get('workers');
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
function inMemory(ds: Dataset<ImageSample>, transform: Transform): st.data.TensorDataset | null {
  if (TensorDataset.bytesFor(ds, transform) > IN_MEMORY_MAX_BYTES) return null;
  return TensorDataset.from(ds, { transform, maxBytes: IN_MEMORY_MAX_BYTES });
}

export const command = defineCommand({
  name: 'train',
  summary: 'train a model on an image or text dataset into a run folder',
  usage: '--model NAME --dataset NAME [--epochs N | --minutes M] [--out DIR] [options]',
  flags: TRAIN_FLAGS,
  run: train,
});

async function train(a: TrainArgs): Promise<number> {
  applyRuntime(a);
  const out = a.get('out') ?? join('runs', `${a.get('model')}-${a.get('dataset')}`);
  const statePath = join(out, 'train-state.safetensors');
  const text = isTextDataset(a.get('dataset'));
  let config = text ? { ...runConfig(a), ...textRunConfig(a.all(), (k) => a.given(k)) } : runConfig(a);
  if (a.get('resume')) {
    if (!existsSync(statePath)) throw new StrataError('train', `--resume: ${statePath} does not exist (nothing to resume); run without --resume to start`);
    const saved = readTrainConfig(statePath);
    // a damaged state is refused before any data is read
    const done = readTrainProgress(statePath).epoch;
    if (a.given('epochs') && a.get('epochs') < done) throw new UsageError('train', `--epochs ${a.get('epochs')} is fewer than the ${done} epochs ${out} has done; give more to extend the run`);
    const flagOf = (k: string) => k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()) as keyof typeof TRAIN_FLAGS & string;
    const plan = ['epochs', 'minutes'];
    const diffs = Object.keys(saved).filter((k) => !plan.includes(k) && JSON.stringify(saved[k]) !== JSON.stringify(config[k]) && Object.hasOwn(TRAIN_FLAGS, flagOf(k)) && a.given(flagOf(k)));
    if (diffs.length) throw new StrataError('train', `--resume: these settings differ from the saved run: ${diffs.map((k) => `${k} (saved ${JSON.stringify(saved[k])})`).join(', ')}; drop them to continue the run as it was`);
    // the run continues its own plan (epochs, time budget); --epochs or --minutes on resume extend it
    config = {
      ...saved,
      epochs: a.given('epochs') ? a.get('epochs') : saved.epochs ?? a.get('epochs'),
      minutes: a.given('minutes') ? a.get('minutes') : saved.minutes ?? null,
    };
    if (config.minutes != null && Number(config.minutesUsed ?? 0) >= Number(config.minutes)) {
      throw new UsageError('train', `--resume: the run has used its ${config.minutes}-minute budget; give a larger --minutes to extend it`);
    }
    if (done >= Number(config.epochs)) {
      process.stderr.write(`${out} has done all ${done} epochs of its plan; nothing to resume (give --epochs N to extend it)\n`);
      return 0;
    }
  }
  const modelName = String(config.model);
  const entry = getModel(modelName);
  const textData = isTextDataset(String(config.dataset));
  if (!textData && !Object.hasOwn(IMAGE_DATASETS, String(config.dataset))) {
    throw new UsageError('train', `unknown dataset '${config.dataset}'; available: ${Object.keys(IMAGE_DATASETS).join(', ')} (images), ${TEXT_DATASET_NAMES.join(', ')} (text)`);
  }
  if (entry.kind === 'text' && !textData) {
    throw new UsageError('train', `'${modelName}' is a text model; train it on a text dataset (${TEXT_DATASET_NAMES.join(', ')}), not '${config.dataset}'`);
  }
  // the run folder is checked before any data is read
  prepareRunFolder('train', out);
  const stale = removeStaleTemporaries(out);
  if (stale.length && !a.get('quiet')) process.stderr.write(`removed ${stale.length} temporary file(s) a killed run left in ${out}\n`);
  const job = textData ? await textJob(a.get('data-dir'), config) : imageJob(a, config);
  return runJob(a, out, config, job);
}

/** The shared part of every run: optimizer, schedule, time limit, the run folder, resume and checkpoints. */
async function runJob(a: TrainArgs, out: string, config: Record<string, unknown>, job: TrainJob): Promise<number> {
  const statePath = join(out, 'train-state.safetensors');
  const { model, trainLoader } = job;
  const ft = fineTuneModel(model, config, a.get('resume') || a.get('quiet') ? null : process.stderr);
  const optimizer = makeOptimizer(String(config.optimizer), ft.params, (config.lr as number | null) ?? undefined, config, config.scheduler === 'onecycle');
  const epochs = Number(config.epochs);
  const minutes = (config.minutes as number | null | undefined) ?? undefined;
  // minutes of the time budget spent by earlier sessions of this run (before a --resume)
  const usedBefore = Number(config.minutesUsed ?? 0);
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

  const quiet = a.get('quiet');
  const callbacks: st.train.Callback[] = [];
  // the job's own metrics join the epoch log before it is printed and saved
  if (job.annotate) callbacks.push({ onEpochEnd: (_t: Trainer, log: EpochLog) => job.annotate!(log) });
  if (!quiet) callbacks.push(new ProgressLogger(process.stderr, { epochs: minutes === undefined ? epochs : undefined }));
  let timedScheduler: st.optim.LRScheduler | null = null;
  const start = performance.now();
  const minutesUsed = () => usedBefore + (performance.now() - start) / 60000;
  if (minutes !== undefined) {
    callbacks.push(new TimeLimit(minutes - usedBefore));
    if (scheduler instanceof st.optim.LRScheduler && interval === 'step') {
      timedScheduler = scheduler;
      callbacks.push({ onBatchEnd: () => timedScheduler!.stepTo(Math.min(TIME_STEPS - 1, Math.floor((minutesUsed() / minutes) * TIME_STEPS))) });
    }
  }
  callbacks.push(...ft.callbacks);
  if (snap) callbacks.push(snap.callback);
  const early = a.get('early-stop');
  if (early) callbacks.push(new EarlyStopping({ monitor: `${job.validationName}_loss`, patience: early }));

  const trainer = new Trainer({
    model, optimizer, scheduler: timedScheduler ? null : scheduler, schedulerInterval: interval, callbacks, validationName: job.validationName,
    clipGradNorm: (config.clipGrad as number | null) ?? null, numClasses: job.numClasses, forward: job.forward, lossFn: job.lossFn,
  });
  const metricsPath = join(out, 'metrics.jsonl');
  if (a.get('resume')) {
    const p = restoreTrainState(statePath, { model, optimizer, scheduler, loader: trainLoader, config });
    trainer.epoch = p.epoch;
    trainer.globalStep = p.globalStep;
    trainer.history.push(...p.history);
    // metrics.jsonl is rewritten from the saved history: a line written after the last saved state is dropped
    atomicWriteFile(metricsPath, p.history.map((h) => JSON.stringify(h) + '\n').join(''));
    const at = trainLoader.state();
    if (!quiet) process.stderr.write(at.batch > 0 ? `resuming ${out} in epoch ${p.epoch + 1} at batch ${at.batch}\n` : `resuming ${out} after epoch ${p.epoch}\n`);
  } else {
    atomicWriteFile(metricsPath, '');
  }
  const runSettings = Object.fromEntries(Object.entries(config).filter(([k]) => k !== 'minutesUsed'));
  const fullConfig = { ...runSettings, task: job.task, ...job.extraConfig, backend: st.getBackend().name, threads: st.getNumThreads(), strata: st.VERSION };
  atomicWriteFile(join(out, 'config.json'), JSON.stringify(fullConfig, null, 2) + '\n');
  callbacks.push(st.lab.recordRun({ kind: 'train', config: fullConfig, runDir: out, store: a.get('store'), device: `${fullConfig.backend} cpu, ${fullConfig.threads} threads` }));

  const sign = job.best.mode === 'max' ? 1 : -1;
  const score = (log: EpochLog) => sign * (log[job.best.key] ?? -sign * Infinity);
  let best = -Infinity;
  for (const h of trainer.history) best = Math.max(best, score(h));
  const save = (t: Trainer, progress: { epoch: number; history: EpochLog[] }) => {
    config.minutesUsed = minutesUsed();
    saveTrainState(statePath, { model, optimizer, scheduler, loader: trainLoader, config }, { ...progress, globalStep: t.globalStep });
  };
  // an epoch cut short by --minutes: the loader's position at the cut, so a resume goes on from there
  let cutState: ReturnType<typeof trainLoader.state> | null = null;
  callbacks.push({
    onBatchEnd: (t: Trainer) => {
      if (t.stopTraining === 'now') cutState = trainLoader.state();
    },
    onEpochEnd: (t: Trainer, log: EpochLog) => {
      // NOTE: a diverged epoch (a NaN or infinite loss) saves nothing: the last good checkpoint stays the resume point
      const bad = Object.entries(log).filter(([, v]) => typeof v === 'number' && !Number.isFinite(v)).map(([k, v]) => `${k} ${v}`);
      if (bad.length) throw new TrainingDiverged(`epoch ${log.epoch} diverged (${bad.join(', ')}); lower --lr (now ${config.lr ?? 'the default'}) or set --clip-grad`);
      const history = [...t.history, log];
      // the state first (the file a resume reads), then the metrics line, then the user-facing weights
      const cut = t.partialEpoch && cutState !== null && (log.partial ?? 0) < trainLoader.length;
      if (cut) {
        // the weights after the cut, with the loader inside epoch N: a resume finishes epoch N
        trainLoader.loadState(cutState!);
        save(t, { epoch: log.epoch - 1, history: t.history });
      } else save(t, { epoch: log.epoch, history });
      atomicWriteFile(metricsPath, history.map((h) => JSON.stringify(h) + '\n').join(''));
      saveModel(join(out, 'model.safetensors'), model, { config: fullConfig, epoch: log.epoch, metrics: log });
      if (score(log) > best) {
        best = score(log);
        saveModel(join(out, 'best.safetensors'), model, { config: fullConfig, epoch: log.epoch, metrics: log });
      }
    },
  } satisfies st.train.Callback);

  try {
    await trainer.fit(trainLoader, { epochs, validation: job.validation });
  } catch (e) {
    if (!(e instanceof TrainingDiverged)) throw e;
    const kept = trainer.history.length ? `${statePath} still holds epoch ${trainer.history[trainer.history.length - 1].epoch}, the last good one` : 'no epoch had completed, so there is nothing to resume';
    throw new TrainingDiverged(`${e.message.replace(/^train: /, '')}; stopped before saving: ${kept}`);
  } finally {
    await trainLoader.close();
  }
  const last = trainer.history[trainer.history.length - 1];
  if (!last) throw new StrataError('train', 'no epoch completed');
  process.stdout.write(`${job.result(last)}\nrun folder: ${out}\n`);
  return 0;
}
