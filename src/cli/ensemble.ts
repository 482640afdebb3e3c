// `strata ensemble`: trained runs combined into one model (mean, vote, stack) in a run folder that eval reads.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as st from '../index.js';
import { flags, type Args } from './args.js';
import { applyRuntime, defineCommand, RUNTIME_FLAGS } from './command.js';
import { loadRun } from './run-folder.js';
const { imageDataset, transformFor } = st.data;

const FLAGS = flags({
  checkpoints: { type: 'string', help: 'comma-separated run folders or .safetensors model files (the members)' },
  snapshots: { type: 'string', help: 'a run trained with strata train --snapshots K: its snapshot-*.safetensors are the members' },
  method: { type: 'string', help: 'mean of probabilities, majority vote, or stacking (a meta-learner on the members\' probabilities)', default: 'mean', choices: ['mean', 'vote', 'stack'] },
  meta: { type: 'string', help: 'stack: the meta-learner', default: 'logreg', choices: ['logreg', 'mlp'] },
  holdout: { type: 'int', help: 'stack: training images the meta-learner fits on, taken after those the members trained on (their --subset); the cheap hold-out option', default: 5000 },
  weights: { type: 'string', help: 'which weights of each run folder', default: 'model', choices: ['model', 'best'] },
  'data-dir': { type: 'string', help: 'folder with the dataset files' },
  seed: { type: 'int', help: 'seed of the meta-learner', default: 0 },
  out: { type: 'string', help: 'run folder for config.json, metrics.jsonl, model.safetensors' },
  quiet: { type: 'boolean', help: 'only the final line' },
  ...RUNTIME_FLAGS,
});

/** Test accuracy and loss of a model on a loader of the test set. */
async function score(model: st.nn.Module, loader: st.train.BatchSource): Promise<st.train.EvalResult> {
  const t = new st.train.Trainer({ model, optimizer: new st.optim.SGD([st.zeros([1], { requiresGrad: true })], { lr: 0 }) });
  return t.evaluate(loader);
}

export const command = defineCommand({
  name: 'ensemble',
  summary: "trained runs as one model: mean, vote or stacking (or the snapshots of one run)",
  usage: '--checkpoints runs/a,runs/b,… [--method mean|vote|stack] --out DIR  |  --snapshots RUN --out DIR',
  flags: FLAGS,
  run: cmdEnsemble,
});

async function cmdEnsemble(a: Args<typeof FLAGS>): Promise<number> {
  applyRuntime(a);
  let paths: string[];
  if (a.given('snapshots')) {
    const dir = a.get('snapshots')!;
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => /^snapshot-\d+\.safetensors$/.test(f)).sort((x, y) => Number(x.match(/\d+/)![0]) - Number(y.match(/\d+/)![0])) : [];
    if (!files.length) throw new st.StrataError('ensemble', `${dir} has no snapshot-*.safetensors; train it with strata train --snapshots K`);
    paths = files.map((f) => join(dir, f));
  } else {
    paths = a.need('checkpoints').split(',').map((s) => s.trim()).filter(Boolean);
  }
  if (paths.length < 2) throw new st.StrataError('ensemble', `an ensemble needs at least 2 members, got ${paths.length}`);
  const runs = paths.map((p) => loadRun(p, a.get('weights'), 'ensemble'));
  const c0 = runs[0].config;
  for (const [i, r] of runs.entries()) {
    if (r.config.dataset !== c0.dataset || JSON.stringify(r.config.task) !== JSON.stringify(c0.task)) {
      throw new st.StrataError('ensemble', `${paths[i]} was trained on ${r.config.dataset} ${JSON.stringify(r.config.task)}, ${paths[0]} on ${c0.dataset} ${JSON.stringify(c0.task)}; members must share the data set and classes`);
    }
  }
  const task = c0.task as st.models.ImageTask;
  const method = a.get('method') as st.ensemble.EnsembleMethod;
  const ens = new st.ensemble.Ensemble(runs.map((r) => r.model), task.numClasses, method, a.get('meta') as 'logreg' | 'mlp');
  const ds = imageDataset(String(c0.dataset));
  const transform = transformFor(ds, false, false);
  const testMem = st.data.TensorDataset.from(ds.load(false, a.get('data-dir')), { transform });
  const test = new st.data.DataLoader<unknown, st.train.Batch>(testMem, { batchSize: 500 });
  const extra: Record<string, unknown> = {};
  if (method === 'stack') {
    const seen = Math.max(...runs.map((r) => (r.config.subset as number | null) ?? Infinity));
    const full = ds.load(true, a.get('data-dir'));
    if (!Number.isFinite(seen)) throw new st.StrataError('ensemble', `--method stack: ${paths[runs.findIndex((r) => r.config.subset == null)]} trained on every training image, so no hold-out is left for the meta-learner; train the members with --subset N (e.g. 55000) to keep the rest for stacking`);
    const n = Math.min(a.get('holdout')!, full.length - seen);
    if (n < 100) throw new st.StrataError('ensemble', `--method stack: only ${full.length - seen} training images lie after the members' --subset ${seen}; train them with a smaller --subset`);
    const hold = st.data.TensorDataset.from(new st.data.Subset(full, Array.from({ length: n }, (_, i) => seen + i)), { transform });
    const acc = await st.ensemble.fitStacking(ens, new st.data.DataLoader<unknown, st.train.Batch>(hold, { batchSize: 500 }), { seed: a.get('seed') });
    Object.assign(extra, { holdout: { first: seen, count: n, kind: 'hold-out split (members did not train on it)' }, meta_train_accuracy: acc });
    if (!a.get('quiet')) process.stderr.write(`stacking: ${a.get('meta')} meta-learner fitted on training images ${seen}…${seen + n - 1} (hold-out), accuracy there ${(100 * acc).toFixed(2)}%\n`);
  }
  const members: Record<string, number> = {};
  for (const [i, r] of runs.entries()) {
    members[paths[i]] = (await score(r.model, test)).accuracy;
    if (!a.get('quiet')) process.stderr.write(`member ${paths[i]}: test accuracy ${(100 * members[paths[i]]).toFixed(2)}%\n`);
  }
  const res = await score(ens, test);
  await test.close();
  const out = a.get('out') ?? join('runs', `ensemble-${method}`);
  mkdirSync(out, { recursive: true });
  const modelConfig: st.ensemble.EnsembleConfig = { method, meta: a.get('meta') as 'logreg' | 'mlp', members: runs.map((r) => ({ model: String(r.config.model), modelConfig: (r.config.modelConfig as Record<string, unknown> | undefined) ?? {} })) };
  const config = { model: 'ensemble', dataset: c0.dataset, task, modelConfig, members: paths, ...extra, strata: st.VERSION };
  const accs = Object.values(members);
  const log = { epoch: 1, test_loss: res.loss, test_accuracy: res.accuracy, test_macro_f1: res.macroF1, best_member_accuracy: Math.max(...accs), mean_member_accuracy: accs.reduce((x, y) => x + y, 0) / accs.length };
  st.io.writeFileAtomic(join(out, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  st.io.writeFileAtomic(join(out, 'metrics.jsonl'), JSON.stringify({ ...log, members }) + '\n');
  st.train.saveModel(join(out, 'model.safetensors'), ens, { config, epoch: 1, metrics: log });
  process.stdout.write(`${method} ensemble of ${runs.length}: test accuracy ${(100 * res.accuracy).toFixed(2)}% (best member ${(100 * log.best_member_accuracy).toFixed(2)}%, member mean ${(100 * log.mean_member_accuracy).toFixed(2)}%)\nrun folder: ${out}\n`);
  return 0;
}
