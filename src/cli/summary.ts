// `strata summary`: a model's layer table (output shapes, parameters, multiply-adds) and totals.
import { createModel, getModel, modelNames } from '../models/registry.js';
import { formatSummary, summary } from '../lab/summary.js';
import { StrataError } from '../tensor/errors.js';
import { helpText, parseArgs, type FlagSpec } from './args.js';

const SPEC: Record<string, FlagSpec> = {
  model: { type: 'string', help: `model name (${modelNames().join(', ')})` },
  input: { type: 'string', help: 'input shape CxHxW', default: '1x28x28' },
  classes: { type: 'int', help: 'number of classes (default 10 for inputs of at most 64×64 px, as MNIST/CIFAR; 1000 above, as ImageNet)' },
  json: { type: 'boolean', help: 'print JSON (params, macs, layers, memory)' },
  help: { type: 'boolean', help: 'show this help' },
};

export function parseShape(cmd: string, s: string): number[] {
  const dims = s.split(/[x×,]/).map(Number);
  if (dims.length !== 3 || dims.some((d) => !Number.isInteger(d) || d < 1)) throw new StrataError(cmd, `--input must look like 3x32x32 (channels x height x width), got '${s}'`);
  return dims;
}

/** 10 classes for small inputs (≤ 64 px on the shorter side: MNIST, CIFAR), 1000 for larger ones (ImageNet). */
export function defaultClasses(height: number, width: number): number {
  return Math.min(height, width) <= 64 ? 10 : 1000;
}

export function cmdSummary(argv: string[]): number {
  const a = parseArgs('summary', argv, SPEC);
  if (a.bool('help')) {
    process.stdout.write(helpText('usage: strata summary --model NAME [--input CxHxW] [--json]', SPEC));
    return 0;
  }
  const name = a.need('model');
  getModel(name);
  const [c, h, w] = parseShape('summary', a.str('input')!);
  const classes = a.num('classes') ?? defaultClasses(h, w);
  if (classes < 1) throw new StrataError('summary', `--classes must be at least 1, got ${classes}`);
  const model = createModel(name, { inChannels: c, height: h, width: w, numClasses: classes });
  const s = summary(model, [c, h, w]);
  if (a.bool('json')) {
    process.stdout.write(JSON.stringify({ model: name, input: [c, h, w], classes, params: s.params, trainableParams: s.trainableParams, macs: s.macs, otherOps: s.otherOps, activationBytes: s.activationBytes, weightBytes: s.weightBytes, layers: s.rows }, null, 2) + '\n');
  } else {
    process.stdout.write(formatSummary(s, name) + '\n');
  }
  model.dispose();
  return 0;
}
