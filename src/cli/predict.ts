// `strata predict`: classify a PNG image or a test-set sample with a trained run.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as st from '../index.js';
import { flags, UsageError, type Args } from './args.js';
import { applyRuntime, defineCommand, RUNTIME_FLAGS } from './command.js';
import { loadRun } from './run-folder.js';

const { StrataError, Generator, tensor, noGrad } = st;
const { imageToArray, readPng, compose, resize, imageDataset, transformFor } = st.data;
type NDArray = st.data.NDArray;
type ImageTask = st.models.ImageTask;

const PREDICT_FLAGS = flags({
  checkpoint: { type: 'string', help: 'run folder (or .safetensors model file)', valueName: 'DIR' },
  weights: { type: 'string', help: 'which weights in the run folder', default: 'model', choices: ['model', 'best'] },
  index: { type: 'int', help: 'classify test-set sample N instead of an image file', min: 0 },
  'data-dir': { type: 'string', help: 'dataset folder, for --index', valueName: 'DIR' },
  top: { type: 'int', help: 'how many classes to list', default: 3, min: 1 },
  invert: { type: 'boolean', help: 'invert pixel values (a dark drawing on a light background; Fashion-MNIST is light on black)' },
  json: { type: 'boolean', help: 'print JSON' },
  ...RUNTIME_FLAGS,
});

export const command = defineCommand({
  name: 'predict',
  summary: 'classify PNG images (files or folders: a table of top-k per file) or a test-set sample with a trained run',
  usage: '--checkpoint DIR (IMAGE.png… | FOLDER… | --index N)',
  flags: PREDICT_FLAGS,
  positionals: { name: 'IMAGE.png' },
  run: predict,
});

/** The PNG files of the arguments: files as given, folders as their *.png files (sorted). */
function imageFiles(args: readonly string[]): string[] {
  const files: string[] = [];
  for (const p of args) {
    let dir = false;
    try {
      dir = statSync(p).isDirectory();
    } catch {
      throw new StrataError('predict', `${p} does not exist; give PNG files or folders of them`);
    }
    if (!dir) {
      files.push(p);
      continue;
    }
    const pngs = readdirSync(p).filter((f) => f.toLowerCase().endsWith('.png')).sort();
    if (!pngs.length) throw new StrataError('predict', `the folder ${p} has no .png files`);
    files.push(...pngs.map((f) => join(p, f)));
  }
  return files;
}

interface Item { source: string; x: NDArray; extra: NDArray[]; label: number | null }

async function predict(a: Args<typeof PREDICT_FLAGS>): Promise<number> {
  applyRuntime(a);
  const idx = a.get('index');
  if (idx === undefined && a.positional.length === 0) throw new UsageError('predict', 'give image files (PNG), folders of them, or --index N');
  if (idx !== undefined && a.positional.length) throw new UsageError('predict', `give image files or --index N, not both (got ${a.positional.join(', ')} and --index ${idx})`);
  const { model, config } = loadRun(a.need('checkpoint'), a.get('weights'), 'predict');
  const task = config.task as ImageTask;
  const ds = imageDataset(String(config.dataset));
  // further inputs beside the image (task.inputs, e.g. audio) come from the dataset's sample
  const inputNames = Object.keys(task.inputs ?? {});
  let classes: readonly string[] = Array.from({ length: task.numClasses }, (_, i) => String(i));
  const items: Item[] = [];
  if (idx !== undefined) {
    const test = ds.load(false, a.get('data-dir'));
    classes = test.classes ?? classes;
    if (idx >= test.length) throw new UsageError('predict', `--index ${idx} is out of range for the ${test.length}-image test set`);
    const s = test.get(idx) as { x: NDArray; y: number } & Record<string, unknown>;
    items.push({ source: `test sample ${idx}`, x: s.x, extra: inputNames.map((n) => s[n] as NDArray), label: s.y });
  } else {
    if (inputNames.length) throw new StrataError('predict', `${String(config.model)} also takes ${inputNames.join(', ')} beside the image; predict a test sample with --index N`);
    for (const file of imageFiles(a.positional)) {
      const arr = imageToArray(readPng(file), { channels: task.inChannels === 1 ? 1 : 3 });
      if (a.get('invert')) for (let i = 0; i < arr.data.length; i++) arr.data[i] = 255 - arr.data[i];
      items.push({ source: file, x: compose([resize([task.height, task.width])]).apply(arr, new Generator(0)), extra: [], label: null });
    }
    try {
      classes = ds.load(false, a.get('data-dir')).classes ?? classes;
    } catch {
      // class names are optional
    }
  }
  const transform = transformFor(ds, false, false);
  const results = items.map((item) => {
    const input = transform.apply(item.x, new Generator(0));
    const probs = noGrad(() => {
      const t = tensor(input.data as Float32Array, { shape: [1, ...input.shape] });
      const more = item.extra.map((e) => tensor(e.data as Float32Array, { shape: [1, ...e.shape] }));
      const p = st.train.withPrecision(st.train.getDefaultPrecision(), () => model.forward(t, ...more)).softmax(1);
      const v = Array.from(p.data() as Float32Array);
      t.dispose();
      for (const m of more) m.dispose();
      p.dispose();
      return v;
    });
    const ranked = probs.map((p, i) => ({ i, p })).sort((u, v) => v.p - u.p).slice(0, a.get('top'));
    return { source: item.source, label: item.label, predictions: ranked.map((r) => ({ class: r.i, name: classes[r.i], probability: r.p })) };
  });
  if (a.get('json')) {
    process.stdout.write(JSON.stringify(results.length === 1 ? results[0] : results, null, 2) + '\n');
    return 0;
  }
  if (results.length === 1) {
    const r = results[0];
    const lines = [`${r.source}${r.label !== null ? ` (true class: ${classes[r.label]})` : ''}`];
    for (const p of r.predictions) lines.push(`  ${p.name.padEnd(14)} ${(100 * p.probability).toFixed(2)}%`);
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  }
  // a table: one row per file, its top-k classes with probabilities
  const w = Math.max(4, ...results.map((r) => r.source.length));
  const cell = (p: { name: string; probability: number }) => `${p.name} ${(100 * p.probability).toFixed(1)}%`;
  const cw = Math.max(...results.flatMap((r) => r.predictions.map((p) => cell(p).length)));
  const head = `${'file'.padEnd(w)}  ${Array.from({ length: a.get('top') }, (_, k) => `top ${k + 1}`.padEnd(cw)).join('  ')}`;
  process.stdout.write([head.trimEnd(), ...results.map((r) => `${r.source.padEnd(w)}  ${r.predictions.map((p) => cell(p).padEnd(cw)).join('  ')}`.trimEnd())].join('\n') + '\n');
  return 0;
}
