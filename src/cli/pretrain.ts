// `strata pretrain`: self-supervised pre-training (autoencoder, denoising, vae, simclr) of a zoo model's
// encoder into a run folder that `train --init`, `probe`, `summary` and `eval` read.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as st from '../index.js';
import { helpText, parseArgs, type FlagSpec } from './args.js';
import { IMAGE_DATASETS, imageDataset, taskOf, transformFor } from './datasets.js';

const SPEC: Record<string, FlagSpec> = {
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
  threads: { type: 'int', help: 'threads for native kernels' },
  backend: { type: 'string', help: 'kernel backend', choices: ['native', 'js'] },
  out: { type: 'string', help: 'run folder (config.json, metrics.jsonl, model.safetensors; vae: samples.png)' },
  quiet: { type: 'boolean', help: 'only the final line' },
  help: { type: 'boolean', help: 'show this help' },
};

export async function cmdPretrain(argv: string[]): Promise<number> {
  const a = parseArgs('pretrain', argv, SPEC);
  if (a.bool('help')) {
    process.stdout.write(helpText('usage: strata pretrain --method autoencoder|denoising|vae|simclr --model NAME --dataset D [--minutes N] --out DIR', SPEC));
    return 0;
  }
  if (a.str('backend')) st.setBackend(a.str('backend') as 'native' | 'js');
  if (a.has('threads')) st.setNumThreads(a.num('threads')!);
  const method = a.need('method') as st.reuse.PretrainMethod;
  const dsName = a.str('dataset')!;
  const ds = imageDataset(dsName);
  const full = ds.load(true, a.str('data-dir'));
  let train: st.data.Dataset<st.data.ImageSample> = full;
  if (a.has('classes')) train = new st.reuse.ClassSubset(train, st.reuse.parseClassList(a.str('classes')!));
  if (a.has('subset')) train = new st.data.Subset(train, Array.from({ length: Math.min(a.num('subset')!, train.length) }, (_, i) => i));
  const task = taskOf(full);
  const seed = a.num('seed')!;
  st.manualSeed(seed);
  const model = st.models.createModel(a.str('model')!, task);
  const mem = st.data.TensorDataset.from(train, { transform: transformFor(ds, false, false) });
  const loader = new st.data.DataLoader<unknown, st.train.Batch>(mem, { batchSize: a.num('batch-size')!, shuffle: true, dropLast: true, generator: new st.Generator(seed + 1) });
  const testMem = st.data.TensorDataset.from(new st.data.Subset(ds.load(false, a.str('data-dir')), Array.from({ length: 1000 }, (_, i) => i)), { transform: transformFor(ds, false, false) });
  const val = new st.data.DataLoader<unknown, st.train.Batch>(testMem, { batchSize: 500 });
  const out = a.str('out') ?? join('runs', `${method}-${a.str('model')}-${dsName}`);
  mkdirSync(out, { recursive: true });
  const config = {
    model: a.str('model'), dataset: dsName, task, method, epochs: a.num('epochs'), minutes: a.num('minutes') ?? null, batchSize: a.num('batch-size'),
    lr: a.num('lr'), noise: method === 'denoising' ? a.num('noise') : null, temperature: method === 'simclr' ? a.num('temperature') : null,
    subset: a.num('subset') ?? null, classes: a.str('classes') ?? null, seed, pretrain: true, backend: st.getBackend().name, threads: st.getNumThreads(), strata: st.VERSION,
  };
  st.io.writeFileAtomic(join(out, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  const lines: string[] = [];
  const quiet = a.bool('quiet');
  let lastPrint = 0;
  const { encoder, objective, history } = await st.reuse.pretrain({
    method, model, task, mean: ds.mean, std: ds.std, train: loader, validation: val, epochs: a.num('epochs')!, minutes: a.num('minutes'),
    lr: a.num('lr'), seed, noise: a.num('noise'), temperature: a.num('temperature'),
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
