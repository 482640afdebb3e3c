// The model zoo's registry: build a model by name for a task (what the CLI's --model uses).
import { StrataError } from '../tensor/errors.js';
import type { Module } from '../nn/module.js';
import { CNN, LeNet5, MLP, type ImageTask } from './basic.js';

export interface ModelEntry {
  /** One line for `strata train --help` and the README. */
  description: string;
  /** The kind of data it consumes. */
  kind: 'image' | 'text';
  build(task: ImageTask, config?: Record<string, unknown>): Module;
}

const registry = new Map<string, ModelEntry>();

export function registerModel(name: string, entry: ModelEntry): void {
  registry.set(name, entry);
}

registerModel('mlp', { description: 'multilayer perceptron 784-256-128-10 (ReLU)', kind: 'image', build: (t, c) => new MLP(t, c) });
registerModel('cnn', { description: "the seeds' CNN: two 3×3 conv + max-pool blocks (32, 64), linear 128, linear 10", kind: 'image', build: (t, c) => new CNN(t, c) });
registerModel('lenet5', { description: 'LeNet-5 (LeCun et al., 1998): tanh, average pooling', kind: 'image', build: (t) => new LeNet5(t) });

export function modelNames(): string[] {
  return [...registry.keys()];
}

export function getModel(name: string): ModelEntry {
  const e = registry.get(name);
  if (!e) throw new StrataError('model', `unknown model '${name}'; available: ${modelNames().join(', ')}`);
  return e;
}

/** Builds a model by name. */
export function createModel(name: string, task: ImageTask, config: Record<string, unknown> = {}): Module {
  return getModel(name).build(task, config);
}
