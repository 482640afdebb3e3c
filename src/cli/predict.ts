// `strata predict`: classify a PNG image or a test-set sample with a trained run.
import { StrataError } from '../tensor/errors.js';
import { tensor } from '../ops/creation.js';
import { noGrad } from '../autograd/grad-mode.js';
import { imageToArray, readPng } from '../data/png.js';
import { compose, resize } from '../data/transforms.js';
import type { NDArray } from '../data/ndarray.js';
import { Generator } from '../tensor/random.js';
import type { ImageTask } from '../models/basic.js';
import { flags, type Args } from './args.js';
import { applyRuntime, defineCommand, RUNTIME_FLAGS } from './command.js';
import { imageDataset, transformFor } from './datasets.js';
import { loadRun } from './run-folder.js';

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
  summary: 'classify an image file (PNG) or a data-set sample with a trained run',
  usage: '--checkpoint DIR (IMAGE.png | --index N)',
  flags: PREDICT_FLAGS,
  positionals: { name: 'IMAGE.png', max: 1 },
  run: predict,
});

async function predict(a: Args<typeof PREDICT_FLAGS>): Promise<number> {
  applyRuntime(a.get('backend'), a.get('threads'));
  const { model, config } = loadRun(a.need('checkpoint'), a.get('weights'));
  const task = config.task as ImageTask;
  const ds = imageDataset(String(config.dataset));
  let x: NDArray, label: number | null = null, source: string;
  // further inputs beside the image (task.inputs, e.g. audio) come from the dataset's sample
  const inputNames = Object.keys(task.inputs ?? {});
  let extra: NDArray[] = [];
  let classes: readonly string[] = Array.from({ length: task.numClasses }, (_, i) => String(i));
  const idx = a.get('index');
  if (idx !== undefined) {
    const test = ds.load(false, a.get('data-dir'));
    classes = test.classes ?? classes;
    if (idx < 0 || idx >= test.length) throw new StrataError('predict', `--index ${idx} is out of range for the ${test.length}-image test set`);
    const s = test.get(idx) as { x: NDArray; y: number } & Record<string, unknown>;
    x = s.x;
    extra = inputNames.map((n) => s[n] as NDArray);
    label = s.y;
    source = `test sample ${idx}`;
  } else {
    const file = a.positional[0];
    if (!file) throw new StrataError('predict', 'give an image file (PNG) or --index N');
    if (inputNames.length) throw new StrataError('predict', `${String(config.model)} also takes ${inputNames.join(', ')} beside the image; predict a test sample with --index N`);
    const arr = imageToArray(readPng(file), { channels: task.inChannels === 1 ? 1 : 3 });
    if (a.get('invert')) for (let i = 0; i < arr.data.length; i++) arr.data[i] = 255 - arr.data[i];
    x = compose([resize([task.height, task.width])]).apply(arr, new Generator(0));
    source = file;
    try {
      classes = ds.load(false, a.get('data-dir')).classes ?? classes;
    } catch {
      // class names are optional
    }
  }
  const input = transformFor(ds, false, false).apply(x, new Generator(0));
  const probs = noGrad(() => {
    const t = tensor(input.data as Float32Array, { shape: [1, ...input.shape] });
    const more = extra.map((e) => tensor(e.data as Float32Array, { shape: [1, ...e.shape] }));
    const p = model.forward(t, ...more).softmax(1);
    const v = Array.from(p.data() as Float32Array);
    t.dispose();
    for (const m of more) m.dispose();
    p.dispose();
    return v;
  });
  const ranked = probs.map((p, i) => ({ i, p })).sort((u, v) => v.p - u.p).slice(0, a.get('top'));
  if (a.get('json')) {
    process.stdout.write(JSON.stringify({ source, label, predictions: ranked.map((r) => ({ class: r.i, name: classes[r.i], probability: r.p })) }, null, 2) + '\n');
    return 0;
  }
  const lines = [`${source}${label !== null ? ` (true class: ${classes[label]})` : ''}`];
  for (const r of ranked) lines.push(`  ${classes[r.i].padEnd(14)} ${(100 * r.p).toFixed(2)}%`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
