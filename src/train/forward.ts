// How the Trainer calls a model whose task has further inputs beside the image (e.g. audio).
import { StrataError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Module } from '../nn/module.js';
import type { ImageTask } from '../models/basic.js';
import type { Batch } from './trainer.js';

/** How the Trainer calls a model on a task with further inputs: model.forward(x, ...those batch fields); undefined for images alone. */
export function forwardFor(model: Module, task: ImageTask): ((x: Tensor, b: Batch) => Tensor) | undefined {
  const names = Object.keys(task.inputs ?? {});
  if (!names.length) return undefined;
  return (x, b) => {
    const extra = names.map((n) => {
      if (!b[n]) throw new StrataError('forwardFor', `the model needs input '${n}', which the batch does not have`);
      return b[n];
    });
    return model.forward(x, ...extra) as Tensor;
  };
}

