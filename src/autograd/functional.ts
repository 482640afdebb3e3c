// torch.autograd.grad: gradients of outputs with respect to chosen inputs, without touching .grad.
import { StrataError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import * as ops from '../ops/index.js';
import { runBackward, type BackwardOptions } from './engine.js';

/**
 * Gradients of `outputs` with respect to `inputs` (null where an input is unused, unless allowUnused is false).
 * @example const [dx] = st.grad(y, [x], { createGraph: true });
 */
export function grad(
  outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[],
  opts: BackwardOptions & { gradOutputs?: readonly Tensor[]; allowUnused?: boolean } = {},
): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? (outputs as readonly Tensor[]) : [outputs as Tensor];
  const ins = Array.isArray(inputs) ? (inputs as readonly Tensor[]) : [inputs as Tensor];
  const seeds = outs.map((o, i) => {
    const g = opts.gradOutputs?.[i];
    if (g) return g;
    if (o.numel !== 1) throw new StrataError('grad', `output ${i} has shape [${o.shape.join(',')}]; pass gradOutputs for non-scalar outputs`);
    return ops.onesLike(o);
  });
  const res = runBackward(outs, seeds, opts, ins)!;
  if (opts.allowUnused === false) {
    res.forEach((r, i) => {
      if (r === null) throw new StrataError('grad', `input ${i} was not used to compute the outputs (pass allowUnused to get null)`);
    });
  }
  return res;
}
