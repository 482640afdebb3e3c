// `strata summary`: a model's layer table (output shapes, parameters, multiply-adds) and totals.
import { createModel, getModel, modelNames } from '../models/registry.js';
import { formatSummary, summary } from '../lab/summary.js';
import { StrataError } from '../tensor/errors.js';
import * as st from '../index.js';
import type { Module } from '../nn/module.js';
import { flags, parseCommandLine, type Args } from './args.js';
import { applyRuntime, defineCommand, RUNTIME_FLAGS, specOf } from './command.js';

const SUMMARY_FLAGS = flags({
  model: { type: 'string', help: `model name (${modelNames().join(', ')})`, valueName: 'NAME' },
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
  usage: '--model NAME [--input CxHxW] [--json] [--bench]',
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
  const name = a.need('model');
  const entry = getModel(name);
  if (entry.kind !== 'image') throw new StrataError('summary', `'${name}' is a ${entry.kind} model; summary takes image models (one input of shape CxHxW)`);
  applyRuntime(a.get('backend'), a.get('threads'));
  const [c, h, w] = parseShape('summary', a.get('input'));
  const classes = a.get('classes') ?? defaultClasses(h, w);
  const model = createModel(name, { inChannels: c, height: h, width: w, numClasses: classes });
  const s = summary(model, [c, h, w]);
  const b = a.get('bench') ? benchModel(model, [c, h, w], classes, a.get('batch-size')) : null;
  if (a.get('json')) {
    process.stdout.write(JSON.stringify({ model: name, input: [c, h, w], classes, params: s.params, trainableParams: s.trainableParams, macs: s.macs, otherOps: s.otherOps, activationBytes: s.activationBytes, weightBytes: s.weightBytes, layers: s.rows, ...(b ? { bench: b } : {}) }, null, 2) + '\n');
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

export interface ModelBench {
  backend: string;
  threads: number;
  batchSize: number;
  /** Median forward time of one sample in eval mode, milliseconds. */
  latencyMs: number;
  /** Samples per second in eval mode without gradients at batchSize. */
  inferencePerSecond: number;
  /** Samples per second of training (forward, cross-entropy, backward, SGD step) at batchSize. */
  trainPerSecond: number;
}

/** Median seconds of fn over a few runs after a warm-up, stopping after about 2 s of measuring. */
function timeIt(fn: () => void): number {
  fn();
  fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 5 || (times.length < 50 && performance.now() - start < 2000)) {
    const t = performance.now();
    fn();
    times.push((performance.now() - t) / 1000);
  }
  times.sort((x, y) => x - y);
  return times[times.length >> 1];
}

/** Latency and throughput of a model on the current backend (random inputs and labels). */
export function benchModel(model: Module, input: number[], classes: number, batchSize: number): ModelBench {
  if (!(batchSize >= 1)) throw new StrataError('summary', `--batch-size must be at least 1, got ${batchSize}`);
  const one = st.randn([1, ...input]), many = st.randn([batchSize, ...input]), y = st.randint(0, classes, [batchSize]);
  try {
    model.eval();
    const latency = st.noGrad(() => timeIt(() => st.tidy(() => { (model.forward(one) as st.Tensor).sum().item(); })));
    const inference = st.noGrad(() => timeIt(() => st.tidy(() => { (model.forward(many) as st.Tensor).sum().item(); })));
    model.train();
    const opt = new st.optim.SGD(model.parameters(), { lr: 1e-4 });
    const train = timeIt(() => st.tidy(() => {
      opt.zeroGrad();
      st.crossEntropy(model.forward(many) as st.Tensor, y).backward();
      opt.step();
    }));
    opt.zeroGrad();
    return { backend: st.getBackend().name, threads: st.getNumThreads(), batchSize, latencyMs: latency * 1000, inferencePerSecond: batchSize / inference, trainPerSecond: batchSize / train };
  } finally {
    one.dispose();
    many.dispose();
    y.dispose();
  }
}
