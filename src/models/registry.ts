// The model zoo's registry: build a model by name for a task (what the CLI's --model uses).
import { StrataError } from '../tensor/errors.js';
import type { Module } from '../nn/module.js';
import { CNN, LeNet5, MLP, type ImageTask } from './basic.js';
import { BertClassifier, GPT, type TextTask } from './text.js';

/** A registered model: image models build from an ImageTask, text models from a TextTask. */
export type ModelEntry = ImageModelEntry | TextModelEntry;

interface EntryBase {
  /** One line for `strata train --help` and the README. */
  description: string;
}
export interface ImageModelEntry extends EntryBase {
  kind: 'image';
  build(task: ImageTask, config?: Record<string, unknown>): Module;
}
export interface TextModelEntry extends EntryBase {
  kind: 'text';
  build(task: TextTask, config?: Record<string, unknown>): Module;
}

const registry = new Map<string, ModelEntry>();

export function registerModel(name: string, entry: ModelEntry): void {
  registry.set(name, entry);
}

registerModel('mlp', { description: 'multilayer perceptron 784-256-128-10 (ReLU)', kind: 'image', build: (t, c) => new MLP(t, c) });
registerModel('cnn', { description: "the seeds' CNN: two 3×3 conv + max-pool blocks (32, 64), linear 128, linear 10", kind: 'image', build: (t, c) => new CNN(t, c) });
registerModel('lenet5', { description: 'LeNet-5 (LeCun et al., 1998): tanh, average pooling', kind: 'image', build: (t) => new LeNet5(t) });
registerModel('gpt', { description: 'GPT-style decoder-only language model: 4 pre-norm causal blocks, width 128, 4 heads, tied head', kind: 'text', build: (t, c) => new GPT(t, c) });
registerModel('bert', { description: 'BERT-style encoder classifier: 2 post-norm blocks, width 128, [CLS] or mean pooling, padding mask', kind: 'text', build: (t, c) => new BertClassifier(t, c) });

export function modelNames(): string[] {
  return [...registry.keys()];
}

export function getModel(name: string): ModelEntry {
  const e = registry.get(name);
  if (!e) throw new StrataError('model', `unknown model '${name}'; available: ${modelNames().join(', ')}`);
  return e;
}

/** Builds a model by name; image models take an ImageTask, text models a TextTask. */
export function createModel(name: string, task: ImageTask | TextTask, config: Record<string, unknown> = {}): Module {
  const e = getModel(name);
  const isText = typeof (task as TextTask).vocabSize === 'number';
  if (e.kind === 'text') {
    if (!isText) throw new StrataError('model', `'${name}' is a text model: it needs a TextTask { vocabSize, contextLength, numClasses? }`);
    return e.build(task as TextTask, config);
  }
  if (isText) throw new StrataError('model', `'${name}' is an image model: it needs an ImageTask { inChannels, height, width, numClasses }`);
  return e.build(task as ImageTask, config);
}
