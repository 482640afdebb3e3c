// Latency and throughput of a model on the current backend: inference at batch 1 and at a batch size,
// and training steps (forward, cross-entropy, backward, SGD step), each the median of timed runs.
import { getDefaultPrecision, withPrecision } from '../train/trainer.js';
import { randint, randn } from '../ops/creation.js';
import { crossEntropy } from '../ops/loss.js';
import { noGrad } from '../autograd/grad-mode.js';
import { tidy } from '../tensor/memory.js';
import type { Tensor } from '../tensor/tensor.js';
import { SGD } from '../optim/sgd.js';
import { getBackend } from '../backends/registry.js';
import { getNumThreads } from '../info.js';
import { StrataError } from '../tensor/errors.js';
import type { Module } from '../nn/module.js';

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

/**
 * Latency and throughput of a model on the current backend (random inputs and labels).
 * @example
 * const b = st.lab.benchModel(model, [1, 28, 28], 10, 32); // { latencyMs, inferencePerSecond, trainPerSecond, ... }
 */
export function benchModel(model: Module, input: number[], classes: number, batchSize: number): ModelBench {
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new StrataError('benchModel', `batchSize must be a positive integer, got ${batchSize}`);
  const one = randn([1, ...input]), many = randn([batchSize, ...input]), y = randint(0, classes, [batchSize]);
  try {
    model.eval();
    const latency = noGrad(() => timeIt(() => tidy(() => { (withPrecision(getDefaultPrecision(), () => model.forward(one)) as Tensor).sum().item(); })));
    const inference = noGrad(() => timeIt(() => tidy(() => { (withPrecision(getDefaultPrecision(), () => model.forward(many)) as Tensor).sum().item(); })));
    model.train();
    const opt = new SGD(model.parameters(), { lr: 1e-4 });
    const train = timeIt(() => tidy(() => {
      opt.zeroGrad();
      crossEntropy(withPrecision(getDefaultPrecision(), () => model.forward(many)) as Tensor, y).backward();
      opt.step();
    }));
    opt.zeroGrad();
    return { backend: getBackend().name, threads: getNumThreads(), batchSize, latencyMs: latency * 1000, inferencePerSecond: batchSize / inference, trainPerSecond: batchSize / train };
  } finally {
    one.dispose();
    many.dispose();
    y.dispose();
  }
}
