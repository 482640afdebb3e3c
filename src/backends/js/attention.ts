// js kernels: fused scaled dot-product attention and its gradient, one batch matrix at a time with strided gemms.
import type { Tensor } from '../../tensor/tensor.js';
import { H, alloc, type JsHandle, type Store } from './storage.js';
import { gemmStrided } from './linalg.js';
import { hashKey, hashUniform24 } from './random.js';

/** A strided [M, N] matrix per batch index of t [..., M, N]. */
interface Mats { data: Store; offsets: number[]; rs: number; cs: number }

function mats(t: Tensor): Mats {
  const h = H(t);
  const nb = t.ndim - 2;
  let count = 1;
  for (let d = 0; d < nb; d++) count *= t.shape[d];
  const offsets = new Array<number>(count);
  for (let r = 0; r < count; r++) {
    let rem = r, off = h.offset;
    for (let d = nb - 1; d >= 0; d--) {
      const n = t.shape[d];
      off += (rem % n) * h.strides[d];
      rem = Math.floor(rem / n);
    }
    offsets[r] = off;
  }
  return { data: h.data, offsets, rs: h.strides[nb], cs: h.strides[nb + 1] };
}

/** Dropout's keep scale for element i of the weights (0 when dropped), native's mask. */
function dropMask(dropoutP: number, seed: number): (i: number) => number {
  const key = hashKey(seed), threshold = (1 - dropoutP) * 16777216, scale = dropoutP < 1 ? 1 / (1 - dropoutP) : 0;
  return (i) => (hashUniform24(key, i) < threshold ? scale : 0);
}

export function attention(
  q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, causal: boolean, scale: number, dropoutP: number, seed: number, needWeights: boolean,
): [JsHandle, JsHandle, JsHandle | null] {
  const L = q.shape[q.ndim - 2], S = k.shape[k.ndim - 2], E = q.shape[q.ndim - 1], Ev = v.shape[v.ndim - 1];
  const batch = q.shape.slice(0, -2);
  const Q = mats(q), K = mats(k), V = mats(v), M = mask ? mats(mask) : null;
  const out = alloc(q.dtype, [...batch, L, Ev]);
  const probs = alloc(q.dtype, [...batch, L, S]);
  const drop = dropoutP > 0 ? dropMask(dropoutP, seed) : null;
  const dropped = drop && needWeights ? alloc(q.dtype, [...batch, L, S]) : null;
  const s = new Float64Array(L * S), w = new Float64Array(L * S);
  const O = out.data, P = probs.data;
  for (let b = 0; b < Q.offsets.length; b++) {
    s.fill(0);
    gemmStrided(L, S, E, Q.data, Q.offsets[b], Q.rs, Q.cs, K.data, K.offsets[b], K.cs, K.rs, s, 0, S);
    const base = b * L * S;
    for (let i = 0; i < L; i++) {
      const row = i * S;
      let mx = -Infinity;
      for (let j = 0; j < S; j++) {
        let x = s[row + j] * scale;
        if (M) x += M.data[M.offsets[b] + i * M.rs + j * M.cs];
        if (causal && j > i) x = -Infinity;
        s[row + j] = x;
        if (x > mx || x !== x) mx = x;
      }
      // NOTE: a row whose scores are all −∞ (every key masked) would be 0/0; its weights are zero instead.
      if (mx === -Infinity) {
        for (let j = 0; j < S; j++) s[row + j] = 0;
      } else {
        let sum = 0;
        for (let j = 0; j < S; j++) {
          const e = Math.exp(s[row + j] - mx);
          s[row + j] = e;
          sum += e;
        }
        for (let j = 0; j < S; j++) s[row + j] /= sum;
      }
      for (let j = 0; j < S; j++) {
        const pij = s[row + j];
        P[base + row + j] = pij;
        // the dropout mask hashes the flat index into [..., L, S]
        w[row + j] = drop ? pij * drop(base + row + j) : pij;
        if (dropped) dropped.data[base + row + j] = w[row + j];
      }
    }
    const ob = b * L * Ev;
    if (O instanceof Float64Array) {
      gemmStrided(L, Ev, S, w, 0, S, 1, V.data, V.offsets[b], V.rs, V.cs, O, ob, Ev);
    } else {
      const tmp = new Float64Array(L * Ev);
      gemmStrided(L, Ev, S, w, 0, S, 1, V.data, V.offsets[b], V.rs, V.cs, tmp, 0, Ev);
      O.set(tmp, ob);
    }
  }
  return [out, probs, dropped];
}

export function attentionBackward(
  gOut: Tensor, gWeights: Tensor | null, q: Tensor, k: Tensor, v: Tensor, probs: Tensor, scale: number, _causal: boolean,
  dropoutP: number, seed: number, wantScores: boolean,
): [JsHandle, JsHandle, JsHandle, JsHandle | null] {
  const L = q.shape[q.ndim - 2], S = k.shape[k.ndim - 2], E = q.shape[q.ndim - 1], Ev = v.shape[v.ndim - 1];
  const G = mats(gOut), GW = gWeights ? mats(gWeights) : null, Q = mats(q), K = mats(k), V = mats(v), P = mats(probs);
  const drop = dropoutP > 0 ? dropMask(dropoutP, seed) : null;
  const gq = alloc(q.dtype, q.shape), gk = alloc(k.dtype, k.shape), gv = alloc(v.dtype, v.shape);
  const gsOut = wantScores ? alloc(q.dtype, [...q.shape.slice(0, -2), L, S]) : null;
  const w = new Float64Array(L * S), gp = new Float64Array(L * S);
  const tq = new Float64Array(L * E), tk = new Float64Array(S * E), tv = new Float64Array(S * Ev);
  for (let b = 0; b < Q.offsets.length; b++) {
    for (let i = 0; i < L; i++) {
      for (let j = 0; j < S; j++) {
        const pij = P.data[P.offsets[b] + i * P.rs + j * P.cs];
        w[i * S + j] = drop ? pij * drop((b * L + i) * S + j) : pij;
      }
    }
    // gv = wᵀ·g
    tv.fill(0);
    gemmStrided(S, Ev, L, w, 0, 1, S, G.data, G.offsets[b], G.rs, G.cs, tv, 0, Ev);
    // gp = g·vᵀ (+ gWeights), through dropout, then the softmax gradient p·(gp − Σ gp·p)
    gp.fill(0);
    gemmStrided(L, S, Ev, G.data, G.offsets[b], G.rs, G.cs, V.data, V.offsets[b], V.cs, V.rs, gp, 0, S);
    for (let i = 0; i < L; i++) {
      let dot = 0;
      for (let j = 0; j < S; j++) {
        const idx = i * S + j;
        let x = gp[idx];
        if (GW) x += GW.data[GW.offsets[b] + i * GW.rs + j * GW.cs];
        if (drop) x *= drop((b * L + i) * S + j);
        gp[idx] = x;
        dot += x * P.data[P.offsets[b] + i * P.rs + j * P.cs];
      }
      for (let j = 0; j < S; j++) {
        const idx = i * S + j;
        gp[idx] = P.data[P.offsets[b] + i * P.rs + j * P.cs] * (gp[idx] - dot);
      }
    }
    // gq = scale·gs·k, gk = scale·gsᵀ·q
    tq.fill(0);
    gemmStrided(L, E, S, gp, 0, S, 1, K.data, K.offsets[b], K.rs, K.cs, tq, 0, E);
    tk.fill(0);
    gemmStrided(S, E, L, gp, 0, 1, S, Q.data, Q.offsets[b], Q.rs, Q.cs, tk, 0, E);
    for (let i = 0; i < L * E; i++) gq.data[b * L * E + i] = tq[i] * scale;
    for (let i = 0; i < S * E; i++) gk.data[b * S * E + i] = tk[i] * scale;
    gv.data.set(tv, b * S * Ev);
    if (gsOut) gsOut.data.set(gp, b * L * S);
  }
  return [gq, gk, gv, gsOut];
}
