// `strata predict`: classify a PNG image or a test-set sample with a trained run.
import { StrataError } from '../tensor/errors.js';
import { tensor } from '../ops/creation.js';
import { noGrad } from '../autograd/grad-mode.js';
import { readPng } from '../data/png.js';
import { applyTransforms, outputShape } from '../data/transforms.js';
import { Generator } from '../tensor/random.js';
import type { ImageTask } from '../models/basic.js';
import { helpText, parseArgs, type FlagSpec } from './args.js';
import { imageDataset, transformsFor } from './datasets.js';
import { loadRun } from './train.js';

const SPEC: Record<string, FlagSpec> = {
  checkpoint: { type: 'string', help: 'run folder (or .safetensors model file)' },
  weights: { type: 'string', help: 'which weights in the run folder', default: 'model', choices: ['model', 'best'] },
  index: { type: 'int', help: 'classify test-set sample N instead of an image file' },
  'data-dir': { type: 'string', help: 'dataset folder, for --index' },
  top: { type: 'int', help: 'how many classes to list', default: 3 },
  invert: { type: 'boolean', help: 'invert pixel values (dark drawing on a light background)' },
  json: { type: 'boolean', help: 'print JSON' },
  backend: { type: 'string', help: 'kernel backend', choices: ['native', 'js'] },
  help: { type: 'boolean', help: 'show this help' },
};

/** A PNG as [C, H, W] floats in [0, 1], converted to the model's channel count and size (nearest-neighbour resize). */
function pngToInput(path: string, task: ImageTask, invert: boolean): Float32Array {
  const img = readPng(path);
  const { inChannels: C, height: H, width: W } = task;
  const out = new Float32Array(C * H * W);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const sy = Math.min(img.height - 1, Math.floor(((y + 0.5) * img.height) / H));
      const sx = Math.min(img.width - 1, Math.floor(((x + 0.5) * img.width) / W));
      const p = (sy * img.width + sx) * img.channels;
      const color = img.channels >= 3 ? [img.data[p], img.data[p + 1], img.data[p + 2]] : [img.data[p], img.data[p], img.data[p]];
      const alpha = img.channels === 2 || img.channels === 4 ? img.data[p + img.channels - 1] / 255 : 1;
      for (let c = 0; c < C; c++) {
        // grayscale models get luminance; transparent pixels count as background (0)
        let v = C === 1 ? (0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2]) / 255 : color[c] / 255;
        v *= alpha;
        out[(c * H + y) * W + x] = invert ? 1 - v : v;
      }
    }
  }
  return out;
}

export async function cmdPredict(argv: string[]): Promise<number> {
  const a = parseArgs('predict', argv, SPEC);
  if (a.bool('help')) {
    process.stdout.write(helpText('usage: strata predict --checkpoint DIR (IMAGE.png | --index N)', SPEC));
    return 0;
  }
  const be = a.str('backend');
  if (be) (await import('../backends/registry.js')).setBackend(be as 'native' | 'js');
  const { model, config } = loadRun(a.need('checkpoint'), a.str('weights'));
  const task = config.task as ImageTask;
  const ds = imageDataset(String(config.dataset));
  const specs = transformsFor(ds, false, false);
  let raw: Float32Array, label: number | null = null, source: string;
  let classes: readonly string[] = Array.from({ length: task.numClasses }, (_, i) => String(i));
  const idx = a.num('index');
  if (idx !== undefined) {
    const test = ds.load(false, a.str('data-dir'));
    classes = test.classes;
    if (idx < 0 || idx >= test.length) throw new StrataError('predict', `--index ${idx} is out of range for the ${test.length}-image test set`);
    const s = test.get(idx);
    raw = s.image;
    label = s.label;
    source = `test sample ${idx}`;
  } else {
    const file = a.positional[0];
    if (!file) throw new StrataError('predict', 'give an image file (PNG) or --index N');
    raw = pngToInput(file, task, a.bool('invert'));
    source = file;
    try {
      classes = ds.load(false, a.str('data-dir')).classes;
    } catch {
      // class names are optional
    }
  }
  const shape = outputShape(specs, [task.inChannels, task.height, task.width]);
  const x = new Float32Array(shape[0] * shape[1] * shape[2]);
  applyTransforms(specs, raw, 0, [task.inChannels, task.height, task.width], x, 0, new Generator(0), new Float32Array(raw.length));
  const probs = noGrad(() => {
    const input = tensor(x, { shape: [1, ...shape] });
    const p = model.forward(input).softmax(1);
    const v = Array.from(p.data() as Float32Array);
    input.dispose();
    p.dispose();
    return v;
  });
  const ranked = probs.map((p, i) => ({ i, p })).sort((u, v) => v.p - u.p).slice(0, a.num('top'));
  if (a.bool('json')) {
    process.stdout.write(JSON.stringify({ source, label, predictions: ranked.map((r) => ({ class: r.i, name: classes[r.i], probability: r.p })) }, null, 2) + '\n');
    return 0;
  }
  const lines = [`${source}${label !== null ? ` (true class: ${classes[label]})` : ''}`];
  for (const r of ranked) lines.push(`  ${classes[r.i].padEnd(14)} ${(100 * r.p).toFixed(2)}%`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
