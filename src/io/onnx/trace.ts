// Tracing one forward pass: every op strata records (autograd's record(), seen through traceOps), with the
// module it ran in, so the exporter can map it to ONNX nodes.
import { traceOps } from '../../autograd/graph.js';
import { enableGrad } from '../../autograd/grad-mode.js';
import type { Module } from '../../nn/module.js';
import { Tensor } from '../../tensor/tensor.js';

/** One op as the forward ran it. */
export interface TracedOp {
  /** strata's op name (the autograd op: 'convolution', 'batchNorm', 'add', 'relu'…). */
  name: string;
  /** Tensor operands, numbers for scalar slots, null for absent optional ones. */
  inputs: (Tensor | number | null)[];
  outputs: Tensor[];
  /** What the op saved for backward (batch norm's running statistics sit here in eval mode). */
  saved: Tensor[];
  attrs: any;
  /** Dotted path of the innermost module running when the op ran ('' for the model itself). */
  module: string;
}

/**
 * Runs `model.forward(...inputs)` once with every op traced. Gradients are enabled and floating inputs
 * require grad while tracing, so that no op skips recording; the result is the forward's output as returned.
 */
export function traceForward(model: Module, inputs: Tensor[]): { ops: TracedOp[]; output: unknown; inputs: Tensor[] } {
  const ops: TracedOp[] = [];
  const stack: string[] = [];
  const remove: (() => void)[] = [];
  for (const [name, m] of model.namedModules()) {
    remove.push(m.registerForwardPreHook(() => stack.push(name)));
    remove.push(m.registerForwardHook(() => stack.pop()));
  }
  const traced = inputs.map((x) => {
    const c = x.detach();
    if (c.dtype === 'float32' || c.dtype === 'float64') c.requiresGrad = true;
    return c;
  });
  try {
    const output = enableGrad(() => traceOps((name, ins, outs, saved, attrs) => {
      ops.push({ name, inputs: ins.slice() as (Tensor | number | null)[], outputs: outs.slice(), saved: saved.slice(), attrs, module: stack[stack.length - 1] ?? '' });
    }, () => model.forward(...traced)));
    return { ops, output, inputs: traced };
  } finally {
    for (const r of remove) r();
  }
}

export function isTensor(v: unknown): v is Tensor {
  return v instanceof Tensor;
}
