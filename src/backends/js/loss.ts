// js kernels: negative log-likelihood over [N, C] log-probabilities and its gradient (as ATen's nll_loss).
import type { Reduction } from '../backend.js';
import type { Tensor } from '../../tensor/tensor.js';
import { alloc, values, type JsHandle } from './storage.js';

/** logp [N, C], target [N] (range-checked by the op layer). Returns [loss, totalWeight]. */
export function nllLoss(logp: Tensor, target: Tensor, weight: Tensor | null, reduction: Reduction, ignoreIndex: number): [JsHandle, JsHandle] {
  const [n, c] = logp.shape;
  const L = values(logp), T = values(target), W = weight ? values(weight) : null;
  const total = alloc(logp.dtype, []);
  if (reduction === 'none') {
    // as ATen, totalWeight stays 0 when nothing is reduced
    const out = alloc(logp.dtype, [n]);
    for (let i = 0; i < n; i++) {
      const t = T[i];
      out.data[i] = t === ignoreIndex ? 0 : -L[i * c + t] * (W ? W[t] : 1);
    }
    return [out, total];
  }
  let sum = 0, tw = 0;
  for (let i = 0; i < n; i++) {
    const t = T[i];
    if (t === ignoreIndex) continue;
    const w = W ? W[t] : 1;
    sum -= L[i * c + t] * w;
    tw += w;
  }
  const out = alloc(logp.dtype, []);
  // NOTE: a mean over only ignored targets is 0/0 = NaN, as in PyTorch.
  out.data[0] = reduction === 'mean' ? sum / tw : sum;
  total.data[0] = tw;
  return [out, total];
}

export function nllLossBackward(g: Tensor, logp: Tensor, target: Tensor, weight: Tensor | null, reduction: Reduction, ignoreIndex: number, totalWeight: Tensor): JsHandle {
  const [n, c] = logp.shape;
  const G = values(g), T = values(target), W = weight ? values(weight) : null;
  const out = alloc(logp.dtype, logp.shape), O = out.data;
  const scale = reduction === 'none' ? 0 : reduction === 'mean' ? G[0] / values(totalWeight)[0] : G[0];
  for (let i = 0; i < n; i++) {
    const t = T[i];
    if (t === ignoreIndex) continue;
    const gi = reduction === 'none' ? G[i] : scale;
    O[i * c + t] = -gi * (W ? W[t] : 1);
  }
  return out;
}
