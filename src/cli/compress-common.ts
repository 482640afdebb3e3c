// What prune, quantize and distill share: a run's data loaders, test accuracy, writing the result's run folder.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as st from '../index.js';
import { StrataError } from '../tensor/errors.js';
import { DataLoader } from '../data/loader.js';
import { Trainer } from '../train/trainer.js';
import type { ImageTask } from '../models/basic.js';
import { imageDataset, transformFor, forwardFor } from './datasets.js';
import { isTextDataset } from './text-datasets.js';
import { UsageError } from './args.js';

/** Train and test loaders of the image data set a run was trained on (the first `limit` training images, when given). */
export function runLoaders(cmd: string, config: Record<string, unknown>, o: { batchSize: number; dataDir?: string; shuffle?: boolean; limit?: number }) {
  if (isTextDataset(String(config.dataset))) throw new StrataError(cmd, `${cmd} takes image-classification runs; this run is on '${config.dataset}'`);
  const ds = imageDataset(String(config.dataset));
  let train = ds.load(true, o.dataDir);
  if (o.limit !== undefined && o.limit < train.length) train = new st.data.Subset(train, Array.from({ length: o.limit }, (_, i) => i)) as unknown as typeof train;
  const test = ds.load(false, o.dataDir);
  return {
    train: new DataLoader(train, { batchSize: o.batchSize, shuffle: o.shuffle ?? true, transform: transformFor(ds, false, false) }),
    test: new DataLoader(test, { batchSize: 500, transform: transformFor(ds, false, false) }),
  };
}

/** Test-set accuracy (fraction) and loss of a model. */
export async function testAccuracy(model: st.nn.Module, config: Record<string, unknown>, test: DataLoader<any, any>): Promise<{ accuracy: number; loss: number }> {
  const dummy = st.zeros([1]);
  const trainer = new Trainer({ model, optimizer: new st.optim.SGD([st.nn.Parameter(dummy)], { lr: 0 }), forward: forwardFor(model, config.task as ImageTask) });
  const r = await trainer.evaluate(test);
  dummy.dispose();
  return { accuracy: r.accuracy, loss: r.loss };
}

/** Writes model.safetensors (compressed) and config.json into a run folder. */
export function writeCompressedRun(out: string, model: st.nn.Module, config: Record<string, unknown>, metrics: Record<string, unknown>, report?: st.compress.QuantizeReport): string {
  mkdirSync(out, { recursive: true });
  const file = join(out, 'model.safetensors');
  st.compress.saveCompressed(file, model, { config, metrics, report });
  writeFileSync(join(out, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  writeFileSync(join(out, 'metrics.jsonl'), JSON.stringify(metrics) + '\n');
  return file;
}

export function needOut(cmd: string, out: string | undefined): string {
  if (!out) throw new UsageError(cmd, '--out DIR is required (the run folder to write)');
  if (existsSync(join(out, 'model.safetensors'))) throw new StrataError(cmd, `${out} already holds a model; choose another --out`);
  return out;
}
