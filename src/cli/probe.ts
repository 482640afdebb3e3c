// `strata probe`: how good a run's frozen features are without training it — a linear probe and k-NN accuracy.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as st from '../index.js';
import { flags, type Args } from './args.js';
import { applyRuntime, defineCommand, RUNTIME_FLAGS } from './command.js';
const { imageDataset, transformFor } = st.data;

const FLAGS = flags({
  checkpoint: { type: 'string', help: 'run folder (strata pretrain or strata train) or its .safetensors file' },
  'random-init': { type: 'boolean', help: "probe the same encoder at its random initialisation (the baseline), not the run's weights" },
  'train-size': { type: 'int', help: 'labelled training images the probe and k-NN use (the first N)', default: 10000 },
  'test-size': { type: 'int', help: 'test images scored (the first N)', default: 10000 },
  k: { type: 'int', help: 'neighbours for k-NN (cosine similarity, majority vote)', default: 20 },
  epochs: { type: 'int', help: 'linear probe epochs (Adam, lr 0.01)', default: 30 },
  classes: { type: 'string', help: "probe these classes only, renumbered (e.g. '5-9')" },
  'data-dir': { type: 'string', help: 'folder with the dataset files' },
  seed: { type: 'int', help: 'seed of the random initialisation (--random-init) and the probe', default: 0 },
  json: { type: 'boolean', help: 'print JSON' },
  ...RUNTIME_FLAGS,
});

export const command = defineCommand({
  name: 'probe',
  summary: "a run's frozen features: linear-probe and k-NN accuracy",
  usage: '--checkpoint RUN [--random-init] [--train-size N] [--k K]',
  flags: FLAGS,
  run: cmdProbe,
});

async function cmdProbe(a: Args<typeof FLAGS>): Promise<number> {
  applyRuntime(a);
  const path = a.need('checkpoint');
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'model.safetensors') : path;
  const { stateDict, config } = st.train.loadModelFile(file);
  if (!config.model || !config.task || !config.dataset) throw new st.StrataError('probe', `${file} has no model, task or dataset in its config (written by strata pretrain or strata train?)`);
  const seed = a.get('seed')!;
  st.manualSeed(seed);
  const model = st.models.createModel(String(config.model), config.task as st.models.ImageTask, (config.modelConfig as Record<string, unknown> | undefined) ?? {});
  if (!a.get('random-init')) st.reuse.loadMatching(model, stateDict);
  for (const t of Object.values(stateDict)) t.dispose();
  const encoder = new st.reuse.Encoder(model);
  const ds = imageDataset(String(config.dataset));
  const pick = (train: boolean, n: number) => {
    let set: st.data.Dataset<st.data.ImageSample> = ds.load(train, a.get('data-dir'));
    if (a.given('classes')) set = new st.reuse.ClassSubset(set, st.reuse.parseClassList(a.get('classes')!));
    const sub = new st.data.Subset(set, Array.from({ length: Math.min(n, set.length) }, (_, i) => i));
    return new st.data.DataLoader<unknown, st.train.Batch>(st.data.TensorDataset.from(sub, { transform: transformFor(ds, false, false) }), { batchSize: 500 });
  };
  const trainF = await st.reuse.extractFeatures(encoder, pick(true, a.get('train-size')!));
  const testF = await st.reuse.extractFeatures(encoder, pick(false, a.get('test-size')!));
  const numClasses = a.given('classes') ? st.reuse.parseClassList(a.get('classes')!).length : (config.task as st.models.ImageTask).numClasses;
  const lin = st.reuse.linearProbe(trainF, testF, { numClasses, epochs: a.get('epochs'), seed });
  const knn = st.reuse.knnAccuracy(trainF, testF, a.get('k')!, numClasses);
  const result = {
    checkpoint: path, weights: a.get('random-init') ? 'random initialisation' : 'run', model: config.model, feature_dim: encoder.featureDim,
    train_size: trainF.labels.shape[0], test_size: testF.labels.shape[0], linear_probe_accuracy: lin.accuracy, linear_probe_train_accuracy: lin.trainAccuracy,
    knn_accuracy: knn, k: a.get('k'),
  };
  if (existsSync(path) && statSync(path).isDirectory()) st.io.writeFileAtomic(join(path, a.get('random-init') ? 'probe-random-init.json' : 'probe.json'), JSON.stringify(result, null, 2) + '\n');
  if (a.get('json')) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else process.stdout.write(`${config.model} features (${encoder.featureDim}-d, ${result.weights}) on ${config.dataset}: linear probe ${(100 * lin.accuracy).toFixed(2)}%, ${a.get('k')}-NN ${(100 * knn).toFixed(2)}% (${result.train_size} labelled training images, ${result.test_size} test images)\n`);
  return 0;
}
