// `strata pretrain`: self-supervised pre-training (autoencoder, denoising, vae, simclr) of a zoo model's
// encoder into a run folder that `train --init`, `probe`, `summary` and `eval` read.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as st from '../index.js';
import { flags, type Args } from './args.js';
import { applyRuntime, defineCommand, RUNTIME_FLAGS } from './command.js';
const { IMAGE_DATASETS, imageDataset, taskOf, transformFor } = st.data;

const FLAGS = flags({
  method: { type: 'string', help: 'objective', choices: st.reuse.PRETRAIN_METHODS },
  model: { type: 'string', help: 'zoo classifier whose encoder (everything before its last linear layer) is pre-trained', default: 'cnn' },
  dataset: { type: 'string', help: `image dataset (${Object.keys(IMAGE_DATASETS).join(', ')}); labels are never read`, default: 'fashion-mnist' },
  'data-dir': { type: 'string', help: 'folder with the dataset files' },
  epochs: { type: 'int', help: 'epochs (upper bound with --minutes)', default: 100 },
  minutes: { type: 'number', help: 'time budget in minutes' },
  'batch-size': { type: 'int', help: 'batch size (SimCLR: N images, 2N views)', default: 256 },
  lr: { type: 'number', help: 'Adam learning rate (cosine decay to 0)', default: 1e-3 },
  noise: { type: 'number', help: 'denoising: std of the Gaussian noise on the normalised input', default: 1.0 },
  temperature: { type: 'number', help: 'simclr: NT-Xent temperature', default: 0.5 },
  subset: { type: 'int', help: 'pre-train on the first N training images only' },
  classes: { type: 'string', help: "pre-train on these classes' images only (e.g. '0-4')" },
  seed: { type: 'int', help: 'random seed', default: 0 },
  out: { type: 'string', help: 'run folder (config.json, metrics.jsonl, model.safetensors; vae: samples.png)' },
  quiet: { type: 'boolean', help: 'only the final line' },
  ...RUNTIME_FLAGS,
});

export const command = defineCommand({
  name: 'pretrain',
  summary: "self-supervised pre-training (autoencoder, denoising, vae, simclr) of a model's encoder into a run folder",
  usage: '--method autoencoder|denoising|vae|simclr --model NAME --dataset D [--minutes N] --out DIR',
  flags: FLAGS,
  run: cmdPretrain,
});

async function cmdPretrain(a: Args<typeof FLAGS>): Promise<number> {
  applyRuntime(a);
  const method = a.need('method') as st.reuse.PretrainMethod;
  const dsName = a.get('dataset')!;
  const ds = imageDataset(dsName);
  const full = ds.load(true, a.get('data-dir'));
  let train: st.data.Dataset<st.data.ImageSample> = full;
  if (a.given('classes')) train = new st.reuse.ClassSubset(train, st.reuse.parseClassList(a.get('classes')!));
  if (a.given('subset')) train = new st.data.Subset(train, Array.from({ length: Math.min(a.get('subset')!, train.length) }, (_, i) => i));
  const task = taskOf(full);
  const seed = a.get('seed')!;
  st.manualSeed(seed);
  const model = st.models.createModel(a.get('model')!, task);
  const mem = st.data.TensorDataset.from(train, { transform: transformFor(ds, false, false) });
  const loader = new st.data.DataLoader<unknown, st.train.Batch>(mem, { batchSize: a.get('batch-size')!, shuffle: true, dropLast: true, generator: new st.Generator(seed + 1) });
  const testMem = st.data.TensorDataset.from(new st.data.Subset(ds.load(false, a.get('data-dir')), Array.from({ length: 1000 }, (_, i) => i)), { transform: transformFor(ds, false, false) });
  const val = new st.data.DataLoader<unknown, st.train.Batch>(testMem, { batchSize: 500 });
  const out = a.get('out') ?? join('runs', `${method}-${a.get('model')}-${dsName}`);
  mkdirSync(out, { recursive: true });
  const config = {
    model: a.get('model'), dataset: dsName, task, method, epochs: a.get('epochs'), minutes: a.get('minutes') ?? null, batchSize: a.get('batch-size'),
    lr: a.get('lr'), noise: method === 'denoising' ? a.get('noise') : null, temperature: method === 'simclr' ? a.get('temperature') : null,
    subset: a.get('subset') ?? null, classes: a.get('classes') ?? null, seed, pretrain: true, backend: st.getBackend().name, threads: st.getNumThreads(), strata: st.VERSION,
  };
  st.io.writeFileAtomic(join(out, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  const lines: string[] = [];
  const quiet = a.get('quiet');
  let lastPrint = 0;
  const { encoder, objective, history } = await st.reuse.pretrain({
    method, model, task, mean: ds.mean, std: ds.std, train: loader, validation: val, epochs: a.get('epochs')!, minutes: a.get('minutes'),
    lr: a.get('lr'), seed, noise: a.get('noise'), temperature: a.get('temperature'),
    onBatch: (i) => {
      if (quiet || i.elapsed - lastPrint < 10) return;
      lastPrint = i.elapsed;
      process.stderr.write(`epoch ${i.epoch} batch ${i.batch + 1}/${loader.length}  ${method} loss ${i.loss.toFixed(4)}  ${i.elapsed.toFixed(0)} s\n`);
    },
    onEpoch: (log) => {
      lines.push(JSON.stringify(log) + '\n');
      st.io.writeFileAtomic(join(out, 'metrics.jsonl'), lines.join(''));
      st.train.saveModel(join(out, 'model.safetensors'), model, { config, epoch: log.epoch, metrics: log });
      if (!quiet) process.stderr.write(`epoch ${log.epoch}${log.partial !== undefined ? ' (partial)' : ''}  train_loss ${log.train_loss.toFixed(4)}${log.test_loss !== undefined ? `  test_loss ${log.test_loss.toFixed(4)}` : ''}${log.test_elbo !== undefined ? `  test ELBO ${log.test_elbo.toFixed(2)} nats/image` : ''}  ${log.epoch_seconds.toFixed(1)} s\n`);
    },
  });
  if (objective instanceof st.reuse.VAE) {
    const first = testMem.fields.x.narrow(0, 0, 8);
    st.io.writeFileAtomic(join(out, 'samples.png'), st.reuse.vaeFigure(objective, first, ds.mean, ds.std));
  }
  void encoder;
  const last = history[history.length - 1];
  process.stdout.write(`${method} pre-training: ${history.length} epoch(s), train loss ${last.train_loss.toFixed(4)}${last.test_elbo !== undefined ? `, test ELBO ${last.test_elbo.toFixed(2)} nats/image` : last.test_loss !== undefined ? `, test loss ${last.test_loss.toFixed(4)}` : ''}\nrun folder: ${out} (the ${method === 'simclr' ? 'projection head is dropped; the ' : ''}classifier head is untrained: fine-tune with strata train --init ${out}, or strata probe --checkpoint ${out})\n`);
  return 0;
}
