// Equal-budget comparison of model structures: every structure trains on the same data, budget and (with the
// shared recipe) the same optimizer and schedule, K seeds each; then its costs are measured. Each training is a
// `strata train` child process in OUT/runs/MODEL-sSEED (J at a time, the cores split between them); a run with
// a result.json is finished and kept, so a killed compare resumes where it stopped.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { noGrad } from '../autograd/grad-mode.js';
import { randn } from '../ops/creation.js';
import { getNumThreads, setNumThreads } from '../info.js';
import { getBackend } from '../backends/registry.js';
import { writeFileAtomic } from '../io/atomic.js';
import { StrataError } from '../tensor/errors.js';
import { tidy } from '../tensor/memory.js';
import { createModel, getModel } from '../models/registry.js';
import type { ImageTask } from '../models/basic.js';
import { loadModelFile } from '../train/checkpoint.js';
import { summary } from './summary.js';
import { RunStore, storeDisabled } from './store.js';

export interface CompareOptions {
  models: string[];
  dataset: string;
  /** The budget: epochs, or minutes of training per run (then epochs is only an upper bound). */
  epochs?: number;
  minutes?: number;
  seeds?: number;
  /** Trainings at a time; each gets threads / jobs threads. */
  jobs?: number;
  /** shared: one optimizer and schedule for all (Adam, one-cycle); per-model: each family's usual recipe. */
  recipe?: 'shared' | 'per-model';
  out: string;
  store?: string;
  dataDir?: string;
  /** Train on the first N training images (quick runs). */
  subset?: number;
  batchSize?: number;
  augment?: boolean;
  /** Threads in all (default: the backend's). */
  threads?: number;
  log?: (line: string) => void;
}

/** One training run's record (OUT/runs/NAME/result.json). */
export interface RunResult {
  model: string;
  seed: number;
  dir: string;
  epochs: number;
  testAccuracy: number;
  testMacroF1: number;
  trainSeconds: number;
  /** Peak resident memory of the training process (bytes), from the run store; null without a store. */
  peakMemoryBytes: number | null;
  curve: { epoch: number; testAccuracy: number; trainLoss: number }[];
}

/** Costs of one structure (measured once per structure). */
export interface ModelCosts {
  params: number;
  macs: number;
  weightBytes: number;
  activationBytesPerSample: number;
  /** Median seconds of one forward pass at batch 1, and samples per second at batch 256, on `device`. */
  latencyMs: number;
  throughput: number;
  device: string;
}

export interface ModelRow extends ModelCosts {
  model: string;
  seeds: number;
  accuracyMean: number;
  accuracyStd: number;
  macroF1Mean: number;
  macroF1Std: number;
  trainSecondsMean: number;
  peakMemoryBytes: number | null;
  /** Mean test accuracy per epoch over the seeds. */
  curve: { epoch: number; testAccuracy: number }[];
  /** Cost axes on which no other structure is at least as accurate and at most as costly (one strictly). */
  pareto: string[];
}

export interface CompareResults {
  options: Omit<CompareOptions, 'log'>;
  recipe: Record<string, Record<string, string | number>>;
  runs: RunResult[];
  models: ModelRow[];
  pareto: Record<CostAxis, string[]>;
  createdAt: string;
}

export type CostAxis = 'macs' | 'params' | 'latencyMs';
export const COST_AXES: CostAxis[] = ['macs', 'params', 'latencyMs'];

/** The training flags of each structure under a recipe. */
export function recipeFor(model: string, recipe: 'shared' | 'per-model'): Record<string, string | number> {
  if (recipe === 'shared') return { optimizer: 'adam', scheduler: 'onecycle' };
  if (/^(vit|mixer)/.test(model)) return { optimizer: 'adamw', scheduler: 'onecycle', lr: 1e-3, 'weight-decay': 0.05 };
  if (/^(resnet|wrn|se_|densenet|mobilenet|shufflenet|vgg|googlenet)/.test(model)) return { optimizer: 'sgd', scheduler: 'onecycle', lr: 0.05, momentum: 0.9, 'weight-decay': 5e-4 };
  return { optimizer: 'adam', scheduler: 'onecycle' };
}

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../../../bin/strata.js');

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const std = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / (xs.length - 1)));

function readJsonl(path: string): Record<string, number>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, number>);
}

function validate(o: CompareOptions): void {
  if (!o.models.length) throw new StrataError('compare', '--models needs at least one model name (e.g. mlp,cnn,resnet20)');
  for (const m of o.models) {
    const e = getModel(m);
    if (e.kind !== 'image') throw new StrataError('compare', `'${m}' is a text model; compare takes image models`);
  }
  if ((o.epochs === undefined) === (o.minutes === undefined)) throw new StrataError('compare', 'give the budget as exactly one of --epochs N or --minutes M');
  if (o.minutes !== undefined && !(o.minutes > 0)) throw new StrataError('compare', `--minutes must be positive, got ${o.minutes}`);
  if (o.epochs !== undefined && !(o.epochs >= 1)) throw new StrataError('compare', `--epochs must be at least 1, got ${o.epochs}`);
  if ((o.seeds ?? 1) < 1 || (o.jobs ?? 1) < 1) throw new StrataError('compare', '--seeds and --jobs must be at least 1');
}

/** Trains one run as a child `strata train`; resolves with its result (or throws naming the run and its stderr). */
function trainRun(o: CompareOptions, model: string, seed: number, dir: string, threads: number): Promise<void> {
  const flags: Record<string, string | number> = {
    model, dataset: o.dataset, seed, threads, out: dir, 'batch-size': o.batchSize ?? 64, ...recipeFor(model, o.recipe ?? 'shared'),
    ...(o.minutes !== undefined ? { minutes: o.minutes, epochs: 1000 } : { epochs: o.epochs! }),
    ...(o.subset ? { subset: o.subset } : {}), ...(o.dataDir ? { 'data-dir': o.dataDir } : {}), ...(o.store ? { store: o.store } : {}),
  };
  const args = [CLI, 'train', ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, String(v)]), '--quiet', ...(o.augment ? ['--augment'] : [])];
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, STRATA_RUN_GROUP: resolve(o.out) }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('error', rej);
    child.on('close', (code) => (code === 0 ? res() : rej(new StrataError('compare', `training ${model} seed ${seed} failed (exit ${code}); its folder is ${dir}:\n${err.trim()}`))));
  });
}

function runResult(o: CompareOptions, model: string, seed: number, dir: string): RunResult {
  const hist = readJsonl(join(dir, 'metrics.jsonl'));
  const last = hist[hist.length - 1];
  if (!last) throw new StrataError('compare', `${dir}/metrics.jsonl has no epoch; the run did not train`);
  let peak: number | null = null;
  if (!storeDisabled(o.store)) {
    try {
      const s = RunStore.open(o.store);
      const row = s.list().find((r) => r.runDir === resolve(dir) && r.status === 'finished');
      peak = row?.final.peak_rss_bytes ?? null;
      s.close();
    } catch {
      peak = null; // the store is optional here: the run folder holds the result
    }
  }
  return {
    model, seed, dir, epochs: last.epoch, testAccuracy: last.test_accuracy, testMacroF1: last.test_macro_f1,
    trainSeconds: hist.reduce((a, h) => a + (h.epoch_seconds ?? 0), 0), peakMemoryBytes: peak,
    curve: hist.map((h) => ({ epoch: h.epoch, testAccuracy: h.test_accuracy, trainLoss: h.train_loss })),
  };
}

/** Parameters, multiply-adds, bytes and speed of a trained structure (weights from its run folder). */
export function measureCosts(dir: string, reps = 20): ModelCosts {
  const { stateDict, config } = loadModelFile(join(dir, 'model.safetensors'));
  const task = config.task as ImageTask;
  const model = createModel(String(config.model), task);
  model.loadStateDict(stateDict);
  for (const t of Object.values(stateDict)) t.dispose();
  model.eval();
  const shape = [task.inChannels, task.height, task.width];
  const s = summary(model, shape);
  const time = (batch: number, n: number) => {
    const x = randn([batch, ...shape]);
    const run = () => noGrad(() => tidy(() => { model.forward(x); }));
    run();
    const t: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      run();
      t.push(performance.now() - t0);
    }
    x.dispose();
    return t.sort((a, b) => a - b)[t.length >> 1];
  };
  const latencyMs = time(1, reps);
  const throughput = 256 / (time(256, Math.max(3, reps >> 3)) / 1000);
  for (const p of model.parameters()) p.dispose();
  return { params: s.params, macs: s.macs, weightBytes: s.weightBytes, activationBytesPerSample: s.activationBytes, latencyMs, throughput, device: `${getBackend().name} cpu, ${getNumThreads()} threads` };
}

/** The structures not dominated on (accuracy, cost): no other is at least as accurate and at most as costly, one of them strictly. */
export function paretoFront<T>(rows: T[], acc: (r: T) => number, cost: (r: T) => number): T[] {
  return rows.filter((r) => !rows.some((q) => q !== r && acc(q) >= acc(r) && cost(q) <= cost(r) && (acc(q) > acc(r) || cost(q) < cost(r))));
}

/** Aggregates runs (mean ± std over seeds) and costs into per-structure rows with their Pareto marks. */
export function aggregate(runs: RunResult[], costs: Record<string, ModelCosts>): { models: ModelRow[]; pareto: Record<CostAxis, string[]> } {
  const models: ModelRow[] = [...new Set(runs.map((r) => r.model))].filter((m) => costs[m]).map((m) => {
    const rs = runs.filter((r) => r.model === m);
    const epochs = [...new Set(rs.flatMap((r) => r.curve.map((c) => c.epoch)))].sort((a, b) => a - b);
    const peaks = rs.map((r) => r.peakMemoryBytes).filter((x): x is number => x !== null);
    return {
      model: m, seeds: rs.length, ...costs[m],
      accuracyMean: mean(rs.map((r) => r.testAccuracy)), accuracyStd: std(rs.map((r) => r.testAccuracy)),
      macroF1Mean: mean(rs.map((r) => r.testMacroF1)), macroF1Std: std(rs.map((r) => r.testMacroF1)),
      trainSecondsMean: mean(rs.map((r) => r.trainSeconds)), peakMemoryBytes: peaks.length ? Math.max(...peaks) : null,
      curve: epochs.map((e) => ({ epoch: e, testAccuracy: mean(rs.flatMap((r) => r.curve.filter((c) => c.epoch === e).map((c) => c.testAccuracy))) })),
      pareto: [],
    };
  });
  const pareto = {} as Record<CostAxis, string[]>;
  for (const axis of COST_AXES) {
    pareto[axis] = paretoFront(models, (r) => r.accuracyMean, (r) => r[axis]).map((r) => r.model);
    for (const r of models) if (pareto[axis].includes(r.model)) r.pareto.push(axis);
  }
  return { models, pareto };
}

/**
 * Trains every structure K times on one budget, measures its costs, and writes OUT/results.json (the report
 * files are written by writeReport). Finished runs in OUT are kept: calling it again resumes.
 * @example await st.lab.compare({ models: ['mlp', 'cnn'], dataset: 'fashion-mnist', minutes: 1, seeds: 2, out: 'lab/fmnist' })
 */
export async function compare(o: CompareOptions): Promise<CompareResults> {
  validate(o);
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const seeds = o.seeds ?? 1;
  const jobs = Math.min(o.jobs ?? 1, o.models.length * seeds);
  const totalThreads = o.threads ?? getNumThreads();
  const perJob = Math.max(1, Math.floor(totalThreads / jobs));
  mkdirSync(join(o.out, 'runs'), { recursive: true });
  // the store is made here, once, before the trainings that record into it start together
  if (!storeDisabled(o.store)) {
    try {
      RunStore.open(o.store).close();
    } catch (e) {
      log(`warning: the run store cannot be opened (${(e as Error).message}); runs are kept in their folders only`);
    }
  }
  const todo = o.models.flatMap((model) => Array.from({ length: seeds }, (_, seed) => ({ model, seed, dir: join(o.out, 'runs', `${model}-s${seed}`) })));
  const runs: RunResult[] = [];
  const pending = todo.filter((t) => {
    const f = join(t.dir, 'result.json');
    if (existsSync(f)) {
      runs.push(JSON.parse(readFileSync(f, 'utf8')) as RunResult);
      return false;
    }
    return true;
  });
  if (runs.length) log(`compare: resuming ${o.out}: ${runs.length} of ${todo.length} runs already finished`);
  const t0 = performance.now();
  let done = runs.length;
  const queue = [...pending];
  const worker = async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      rmSync(t.dir, { recursive: true, force: true }); // an unfinished run starts over on the same budget
      log(`compare: [${done + 1}/${todo.length}] training ${t.model} seed ${t.seed} (${perJob} thread${perJob > 1 ? 's' : ''})`);
      await trainRun(o, t.model, t.seed, t.dir, perJob);
      const r = runResult(o, t.model, t.seed, t.dir);
      writeFileAtomic(join(t.dir, 'result.json'), JSON.stringify(r, null, 2) + '\n');
      runs.push(r);
      done++;
      log(`compare: [${done}/${todo.length}] ${t.model} seed ${t.seed}: test accuracy ${(100 * r.testAccuracy).toFixed(2)}% after ${r.epochs} epoch(s), ${r.trainSeconds.toFixed(0)} s (${((performance.now() - t0) / 60000).toFixed(1)} min elapsed)`);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));

  // costs: measured one structure at a time with every thread (no training runs beside them)
  const costs: Record<string, ModelCosts> = {};
  const prevThreads = getNumThreads();
  setNumThreads(totalThreads);
  try {
    for (const m of o.models) {
      const dir = join(o.out, 'runs', `${m}-s0`);
      const f = join(dir, 'costs.json');
      if (existsSync(f)) costs[m] = JSON.parse(readFileSync(f, 'utf8')) as ModelCosts;
      else {
        log(`compare: measuring ${m} (multiply-adds, memory, latency at batch 1, throughput at batch 256)`);
        costs[m] = measureCosts(dir);
        writeFileAtomic(f, JSON.stringify(costs[m], null, 2) + '\n');
      }
    }
  } finally {
    setNumThreads(prevThreads);
  }
  recordCosts(o, runs, costs);
  runs.sort((a, b) => o.models.indexOf(a.model) - o.models.indexOf(b.model) || a.seed - b.seed);
  const { models, pareto } = aggregate(runs, costs);
  const { log: _log, ...options } = o;
  const results: CompareResults = {
    options, recipe: Object.fromEntries(o.models.map((m) => [m, recipeFor(m, o.recipe ?? 'shared')])), runs, models, pareto, createdAt: new Date().toISOString(),
  };
  writeFileAtomic(join(o.out, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  return results;
}

/** Adds each structure's costs to its runs' rows in the store (so the dashboard can plot them); a store error is a warning. */
function recordCosts(o: CompareOptions, runs: RunResult[], costs: Record<string, ModelCosts>): void {
  if (storeDisabled(o.store)) return;
  try {
    const s = RunStore.open(o.store);
    const rows = s.list();
    for (const r of runs) {
      const row = rows.find((x) => x.runDir === resolve(r.dir));
      const { device: _d, ...c } = costs[r.model];
      if (row) s.finishRun(row.id, { ...c, latency_ms: c.latencyMs }, row.status === 'failed' ? 'failed' : 'finished');
    }
    s.close();
  } catch (e) {
    (o.log ?? ((l: string) => process.stderr.write(l + '\n')))(`warning: costs not added to the run store: ${(e as Error).message}`);
  }
}

/** Reads OUT/results.json. */
export function readResults(out: string): CompareResults {
  const f = join(out, 'results.json');
  if (!existsSync(f)) throw new StrataError('compare', `${f} does not exist; --report takes a folder written by strata compare --out`);
  return JSON.parse(readFileSync(f, 'utf8')) as CompareResults;
}
