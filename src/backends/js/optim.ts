// js kernels: fused optimizer steps, one pass over the parameter and its state.
import type { AdamStepOptions, SgdStepOptions } from '../backend.js';
import type { Tensor } from '../../tensor/tensor.js';
import { StrataError } from '../../tensor/errors.js';
import { H, type JsHandle } from './storage.js';

function dense(t: Tensor, what: string): JsHandle {
  const h = H(t);
  if (!h.contiguous) throw new StrataError('optimizer', `${what} must be contiguous`);
  return h;
}

export function adamStep(p: Tensor, g: Tensor, m: Tensor, v: Tensor, vMax: Tensor | null, o: AdamStepOptions): void {
  const P = dense(p, 'parameter'), G = dense(g, 'gradient'), M = dense(m, 'exp_avg'), V = dense(v, 'exp_avg_sq');
  const X = vMax ? dense(vMax, 'max_exp_avg_sq') : null;
  const n = p.numel;
  const { lr, beta1, beta2, eps, weightDecay, decoupled, step } = o;
  const bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
  const stepSize = lr / bc1, bc2Sqrt = Math.sqrt(bc2);
  const sign = o.maximize ? -1 : 1;
  const pd = P.data, gd = G.data, md = M.data, vd = V.data, xd = X?.data;
  const po = P.offset, go = G.offset, mo = M.offset, vo = V.offset, xo = X?.offset ?? 0;
  const decay = decoupled ? 1 - lr * weightDecay : 1;
  for (let i = 0; i < n; i++) {
    let grad = sign * gd[go + i];
    if (!decoupled && weightDecay !== 0) grad += weightDecay * pd[po + i];
    const mi = (md[mo + i] = beta1 * md[mo + i] + (1 - beta1) * grad);
    let vi = (vd[vo + i] = beta2 * vd[vo + i] + (1 - beta2) * grad * grad);
    if (xd) vi = xd[xo + i] = Math.max(xd[xo + i], vi);
    const denom = Math.sqrt(vi) / bc2Sqrt + eps;
    pd[po + i] = pd[po + i] * decay - stepSize * (mi / denom);
  }
}

export function sgdStep(p: Tensor, g: Tensor, buf: Tensor | null, o: SgdStepOptions): void {
  const P = dense(p, 'parameter'), G = dense(g, 'gradient');
  const B = buf ? dense(buf, 'momentum buffer') : null;
  const n = p.numel;
  const { lr, momentum, dampening, nesterov, weightDecay, firstStep } = o;
  const sign = o.maximize ? -1 : 1;
  const pd = P.data, gd = G.data, bd = B?.data;
  const po = P.offset, go = G.offset, bo = B?.offset ?? 0;
  for (let i = 0; i < n; i++) {
    let d = sign * gd[go + i];
    if (weightDecay !== 0) d += weightDecay * pd[po + i];
    if (bd) {
      const b = (bd[bo + i] = firstStep ? d : momentum * bd[bo + i] + (1 - dampening) * d);
      d = nesterov ? d + momentum * b : b;
    }
    pd[po + i] -= lr * d;
  }
}
