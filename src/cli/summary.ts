// `strata summary`: a model's layer table (output shapes, parameters, multiply-adds) and totals.
import * as st from '../index.js';
import { flags, parseCommandLine, UsageError, type Args } from './args.js';
import { loadRun } from './run-folder.js';
import { applyRuntime, defineCommand, RUNTIME_FLAGS, specOf } from './command.js';

const { StrataError } = st;
const { createModel, getModel, modelNames } = st.models;
const { formatSummary, summary } = st.lab;

const SUMMARY_FLAGS = flags({
  model: { type: 'string', help: `model name (${modelNames().join(', ')})`, valueName: 'NAME' },
  checkpoint: { type: 'string', help: 'a trained run folder (or its .safetensors file) instead of --model: its model at its input size', valueName: 'DIR' },
  weights: { type: 'string', help: 'which weights in the run folder', default: 'model', choices: ['model', 'best'] },
  input: { type: 'string', help: 'input shape CxHxW', default: '1x28x28', valueName: 'CxHxW' },
  classes: { type: 'int', help: 'number of classes', min: 1, defaultText: '10 for inputs of at most 64×64 px, as MNIST/CIFAR; 1000 above, as ImageNet' },
  json: { type: 'boolean', help: 'print JSON (params, macs, layers, memory)' },
  bench: { type: 'boolean', help: 'also measure latency (batch 1) and throughput (--batch-size) on the current backend, inference and training' },
  'batch-size': { type: 'int', help: 'batch size for --bench throughput', default: 32, min: 1 },
  ...RUNTIME_FLAGS,
});

export const command = defineCommand({
  name: 'summary',
  summary: "a model's layers, output shapes, parameters and multiply-adds",
  usage: '(--model NAME [--input CxHxW] | --checkpoint DIR) [--json] [--bench]',
  flags: SUMMARY_FLAGS,
  run: summaryCommand,
});

/** `strata summary ARGV` in-process (tests): the exit code. */
export function cmdSummary(argv: string[]): number {
  return summaryCommand(parseCommandLine('summary', argv, specOf(command)));
}

export function parseShape(cmd: string, s: string): number[] {
  const dims = s.split(/[x×,]/).map(Number);
  if (dims.length !== 3 || dims.some((d) => !Number.isInteger(d) || d < 1)) throw new StrataError(cmd, `--input must look like 3x32x32 (channels x height x width), got '${s}'`);
  return dims;
}

/** 10 classes for small inputs (≤ 64 px on the shorter side: MNIST, CIFAR), 1000 for larger ones (ImageNet). */
export function defaultClasses(height: number, width: number): number {
  return Math.min(height, width) <= 64 ? 10 : 1000;
}

function summaryCommand(a: Args<typeof SUMMARY_FLAGS>): number {
  applyRuntime(a);
  const ckpt = a.get('checkpoint');
  if (ckpt !== undefined && a.given('model')) throw new UsageError('summary', 'give --model NAME or --checkpoint DIR, not both');
  let name: string, model: st.nn.Module, input: number[], classes: number | null, makeInput: (() => st.Tensor) | undefined;
  if (ckpt !== undefined) {
    // a trained run: its model with its weights, at the input size it was trained on
    const run = loadRun(ckpt, a.get('weights'), 'summary');
    name = String(run.config.model);
    model = run.model;
    const task = run.config.task as Partial<st.models.ImageTask> & Partial<st.models.TextTask>;
    if (task.inChannels !== undefined) {
      input = [task.inChannels, task.height!, task.width!];
      classes = task.numClasses ?? null;
    } else {
      if (name === 'seq2seq') throw new StrataError('summary', `${ckpt} is a seq2seq run: its forward takes source and target sequences, which summary does not feed; summary takes image runs and language-model or classifier runs`);
      input = [task.contextLength!];
      classes = task.numClasses ?? null;
      makeInput = () => st.zeros([1, task.contextLength!], { dtype: 'int64' });
    }
  } else {
    name = a.need('model');
    const entry = getModel(name);
    if (entry.kind !== 'image') throw new StrataError('summary', `'${name}' is a ${entry.kind} model; summary takes image models (one input of shape CxHxW), or a trained run of any model with --checkpoint`);
    input = parseShape('summary', a.get('input'));
    classes = a.get('classes') ?? defaultClasses(input[1], input[2]);
    model = createModel(name, { inChannels: input[0], height: input[1], width: input[2], numClasses: classes });
  }
  if (a.get('bench') && makeInput) throw new UsageError('summary', '--bench measures image models (random image batches); this run is a text model');
  const s = summary(model, input, makeInput ? { input: makeInput } : {});
  const b = a.get('bench') ? st.lab.benchModel(model, input, classes ?? 10, a.get('batch-size')) : null;
  if (a.get('json')) {
    process.stdout.write(JSON.stringify({ model: name, input, classes, params: s.params, trainableParams: s.trainableParams, macs: s.macs, otherOps: s.otherOps, activationBytes: s.activationBytes, weightBytes: s.weightBytes, layers: s.rows, ...(b ? { bench: b } : {}) }, null, 2) + '\n');
  } else {
    process.stdout.write(formatSummary(s, name) + '\n');
    if (b) {
      process.stdout.write([
        `measured on ${b.backend} (${b.threads} threads):`,
        `  inference latency (batch 1):      ${b.latencyMs.toFixed(2)} ms`,
        `  inference throughput (batch ${b.batchSize}): ${b.inferencePerSecond.toFixed(1)} samples/s`,
        `  training throughput (batch ${b.batchSize}):  ${b.trainPerSecond.toFixed(1)} samples/s (forward, backward, SGD step)`,
      ].join('\n') + '\n');
    }
  }
  model.dispose();
  return 0;
}
