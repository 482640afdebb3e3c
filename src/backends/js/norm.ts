// js kernels: batch norm (with in-place running statistics), layer norm and group norm, and their gradients.
// Statistics are accumulated in double precision; variances are biased (divided by n) as in ATen.
import type { Tensor } from '../../tensor/tensor.js';
import { numel } from '../../tensor/shape.js';
import { H, alloc, values, type JsHandle, type Store } from './storage.js';

type Mask = readonly [boolean, boolean, boolean];
type Grads3 = [JsHandle | null, JsHandle | null, JsHandle | null];

/** N, C and the spatial size S of x [N, C, *]. */
function ncs(x: Tensor): [number, number, number] {
  let s = 1;
  for (let d = 2; d < x.ndim; d++) s *= x.shape[d];
  return [x.shape[0], x.shape[1], s];
}

/** Values of an optional per-channel tensor, or null. */
function maybe(t: Tensor | null): Store | null {
  return t ? values(t) : null;
}

/** Reads element i of a 1-D tensor through its strides. */
function at1(t: Tensor, i: number): number {
  const h = H(t);
  return h.data[h.offset + i * h.strides[0]];
}

/** Mean and biased variance (two passes) of each channel of X laid out [N, C, S]. */
function channelStats(X: Store, n: number, c: number, s: number): { mean: Float64Array; varb: Float64Array } {
  const mean = new Float64Array(c), varb = new Float64Array(c);
  const count = n * s;
  for (let ch = 0; ch < c; ch++) {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const base = (i * c + ch) * s;
      for (let k = 0; k < s; k++) sum += X[base + k];
    }
    const m = sum / count;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const base = (i * c + ch) * s;
      for (let k = 0; k < s; k++) {
        const d = X[base + k] - m;
        sq += d * d;
      }
    }
    mean[ch] = m;
    varb[ch] = sq / count;
  }
  return { mean, varb };
}

export function batchNorm(
  x: Tensor, w: Tensor | null, b: Tensor | null, runningMean: Tensor | null, runningVar: Tensor | null,
  training: boolean, momentum: number, eps: number,
): [JsHandle, JsHandle, JsHandle] {
  const [n, c, s] = ncs(x);
  const X = values(x), W = maybe(w), B = maybe(b);
  const y = alloc(x.dtype, x.shape), Y = y.data;
  const mean = new Float64Array(c), invstd = new Float64Array(c);
  let saveMean: JsHandle, saveInvstd: JsHandle;
  if (training) {
    const st = channelStats(X, n, c, s);
    const count = n * s;
    for (let ch = 0; ch < c; ch++) {
      mean[ch] = st.mean[ch];
      invstd[ch] = 1 / Math.sqrt(st.varb[ch] + eps);
    }
    // PyTorch's rule: running ← (1 − momentum)·running + momentum·batch, with the unbiased batch variance
    if (runningMean) {
      const h = H(runningMean);
      for (let ch = 0; ch < c; ch++) {
        const p = h.offset + ch * h.strides[0];
        h.data[p] = (1 - momentum) * h.data[p] + momentum * st.mean[ch];
      }
    }
    if (runningVar) {
      const h = H(runningVar);
      for (let ch = 0; ch < c; ch++) {
        const p = h.offset + ch * h.strides[0];
        h.data[p] = (1 - momentum) * h.data[p] + momentum * (st.varb[ch] * count) / (count - 1);
      }
    }
    saveMean = alloc(x.dtype, [c]);
    saveInvstd = alloc(x.dtype, [c]);
    saveMean.data.set(mean);
    saveInvstd.data.set(invstd);
  } else {
    for (let ch = 0; ch < c; ch++) {
      mean[ch] = at1(runningMean!, ch);
      invstd[ch] = 1 / Math.sqrt(at1(runningVar!, ch) + eps);
    }
    // as ATen: no batch statistics are saved in evaluation mode
    saveMean = alloc(x.dtype, [0]);
    saveInvstd = alloc(x.dtype, [0]);
  }
  for (let ch = 0; ch < c; ch++) {
    const scale = invstd[ch] * (W ? W[ch] : 1);
    const shift = (B ? B[ch] : 0) - mean[ch] * scale;
    for (let i = 0; i < n; i++) {
      const base = (i * c + ch) * s;
      for (let k = 0; k < s; k++) Y[base + k] = X[base + k] * scale + shift;
    }
  }
  return [y, saveMean, saveInvstd];
}

export function batchNormBackward(
  gy: Tensor, x: Tensor, w: Tensor | null, runningMean: Tensor | null, runningVar: Tensor | null,
  saveMean: Tensor, saveInvstd: Tensor, training: boolean, eps: number, mask: Mask,
): Grads3 {
  const [n, c, s] = ncs(x);
  const X = values(x), G = values(gy), W = maybe(w);
  const count = n * s;
  const gx = mask[0] ? alloc(x.dtype, x.shape) : null;
  const gw = mask[1] ? alloc(x.dtype, [c]) : null;
  const gb = mask[2] ? alloc(x.dtype, [c]) : null;
  const SM = training ? values(saveMean) : null, SI = training ? values(saveInvstd) : null;
  for (let ch = 0; ch < c; ch++) {
    const mean = training ? SM![ch] : at1(runningMean!, ch);
    const invstd = training ? SI![ch] : 1 / Math.sqrt(at1(runningVar!, ch) + eps);
    const wc = W ? W[ch] : 1;
    let sumG = 0, dot = 0;
    for (let i = 0; i < n; i++) {
      const base = (i * c + ch) * s;
      for (let k = 0; k < s; k++) {
        sumG += G[base + k];
        dot += G[base + k] * (X[base + k] - mean);
      }
    }
    if (gw) gw.data[ch] = dot * invstd;
    if (gb) gb.data[ch] = sumG;
    if (!gx) continue;
    const GX = gx.data;
    if (training) {
      // dx = w·invstd·(g − mean(g) − x̂·mean(g·x̂)), x̂ = (x − mean)·invstd
      const gMean = sumG / count, proj = (dot / count) * invstd * invstd;
      for (let i = 0; i < n; i++) {
        const base = (i * c + ch) * s;
        for (let k = 0; k < s; k++) GX[base + k] = (G[base + k] - gMean - (X[base + k] - mean) * proj) * invstd * wc;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const base = (i * c + ch) * s;
        for (let k = 0; k < s; k++) GX[base + k] = G[base + k] * invstd * wc;
      }
    }
  }
  return [gx, gw, gb];
}

/** Shape of layer norm's statistics: x's leading dims, then 1 for each normalised dim. */
function statShape(shape: readonly number[], k: number): number[] {
  return shape.map((v, i) => (i < shape.length - k ? v : 1));
}

export function layerNorm(x: Tensor, normalizedShape: readonly number[], w: Tensor | null, b: Tensor | null, eps: number): [JsHandle, JsHandle, JsHandle] {
  const d = numel(normalizedShape);
  const rows = d === 0 ? 0 : numel(x.shape) / d;
  const X = values(x), W = maybe(w), B = maybe(b);
  const y = alloc(x.dtype, x.shape), Y = y.data;
  const sshape = statShape(x.shape, normalizedShape.length);
  const mean = alloc(x.dtype, sshape), rstd = alloc(x.dtype, sshape);
  for (let r = 0; r < rows; r++) {
    const base = r * d;
    let sum = 0;
    for (let j = 0; j < d; j++) sum += X[base + j];
    const m = sum / d;
    let sq = 0;
    for (let j = 0; j < d; j++) {
      const t = X[base + j] - m;
      sq += t * t;
    }
    const rs = 1 / Math.sqrt(sq / d + eps);
    mean.data[r] = m;
    rstd.data[r] = rs;
    for (let j = 0; j < d; j++) Y[base + j] = (X[base + j] - m) * rs * (W ? W[j] : 1) + (B ? B[j] : 0);
  }
  return [y, mean, rstd];
}

/**
 * The input gradient of a normalisation over groups of `d` elements with one mean and rstd each:
 * dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), with ĝ = g·w and x̂ = (x − mean)·rstd.
 */
function normInputGrad(GX: Store, G: Store, X: Store, base: number, d: number, m: number, rs: number, wAt: (j: number) => number): void {
  let sg = 0, sgx = 0;
  for (let j = 0; j < d; j++) {
    const gh = G[base + j] * wAt(j);
    sg += gh;
    sgx += gh * (X[base + j] - m) * rs;
  }
  sg /= d;
  sgx /= d;
  for (let j = 0; j < d; j++) {
    const gh = G[base + j] * wAt(j);
    GX[base + j] = rs * (gh - sg - (X[base + j] - m) * rs * sgx);
  }
}

export function layerNormBackward(
  gy: Tensor, x: Tensor, normalizedShape: readonly number[], mean: Tensor, rstd: Tensor,
  w: Tensor | null, b: Tensor | null, mask: Mask,
): Grads3 {
  const d = numel(normalizedShape);
  const rows = d === 0 ? 0 : numel(x.shape) / d;
  const X = values(x), G = values(gy), M = values(mean), R = values(rstd), W = maybe(w);
  const gx = mask[0] ? alloc(x.dtype, x.shape) : null;
  const gw = mask[1] && w ? alloc(w.dtype, w.shape) : null;
  const gb = mask[2] && b ? alloc(b.dtype, b.shape) : null;
  const wAt = W ? (j: number) => W[j] : () => 1;
  for (let r = 0; r < rows; r++) {
    const base = r * d, m = M[r], rs = R[r];
    if (gx) normInputGrad(gx.data, G, X, base, d, m, rs, wAt);
    for (let j = 0; j < d; j++) {
      if (gw) gw.data[j] += G[base + j] * (X[base + j] - m) * rs;
      if (gb) gb.data[j] += G[base + j];
    }
  }
  return [gx, gw, gb];
}

export function groupNorm(x: Tensor, w: Tensor | null, b: Tensor | null, groups: number, eps: number): [JsHandle, JsHandle, JsHandle] {
  const [n, c, s] = ncs(x);
  const cg = c / groups, d = cg * s;
  const X = values(x), W = maybe(w), B = maybe(b);
  const y = alloc(x.dtype, x.shape), Y = y.data;
  const mean = alloc(x.dtype, [n, groups]), rstd = alloc(x.dtype, [n, groups]);
  for (let i = 0; i < n; i++) {
    for (let g = 0; g < groups; g++) {
      // the group's elements are contiguous: channels g·cg … (g+1)·cg − 1 of sample i
      const base = (i * c + g * cg) * s;
      let sum = 0;
      for (let j = 0; j < d; j++) sum += X[base + j];
      const m = d === 0 ? 0 : sum / d;
      let sq = 0;
      for (let j = 0; j < d; j++) {
        const t = X[base + j] - m;
        sq += t * t;
      }
      const rs = 1 / Math.sqrt((d === 0 ? 0 : sq / d) + eps);
      mean.data[i * groups + g] = m;
      rstd.data[i * groups + g] = rs;
      for (let j = 0; j < d; j++) {
        const ch = g * cg + Math.floor(j / s);
        Y[base + j] = (X[base + j] - m) * rs * (W ? W[ch] : 1) + (B ? B[ch] : 0);
      }
    }
  }
  return [y, mean, rstd];
}

export function groupNormBackward(gy: Tensor, x: Tensor, mean: Tensor, rstd: Tensor, w: Tensor | null, groups: number, mask: Mask): Grads3 {
  const [n, c, s] = ncs(x);
  const cg = c / groups, d = cg * s;
  const X = values(x), G = values(gy), M = values(mean), R = values(rstd), W = maybe(w);
  const gx = mask[0] ? alloc(x.dtype, x.shape) : null;
  const gw = mask[1] ? alloc(x.dtype, [c]) : null;
  const gb = mask[2] ? alloc(x.dtype, [c]) : null;
  for (let i = 0; i < n; i++) {
    for (let g = 0; g < groups; g++) {
      const base = (i * c + g * cg) * s, m = M[i * groups + g], rs = R[i * groups + g];
      if (gx) normInputGrad(gx.data, G, X, base, d, m, rs, W ? (j) => W[g * cg + Math.floor(j / s)] : () => 1);
      for (let j = 0; j < d; j++) {
        const ch = g * cg + Math.floor(j / s);
        if (gw) gw.data[ch] += G[base + j] * (X[base + j] - m) * rs;
        if (gb) gb.data[ch] += G[base + j];
      }
    }
  }
  return [gx, gw, gb];
}
