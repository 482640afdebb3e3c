// js kernels: whole-sequence forward and backward of one LSTM, GRU or Elman RNN layer in one direction,
// with the same layout and step order as native/src/rnn.cc (input projection in one gemm, one gemm with
// W_hh per step, fused pointwise loops; backward's weight gradients in one gemm each).
import type { RnnGradNeeds } from '../backend.js';
import type { Tensor } from '../../tensor/tensor.js';
import { gemmStrided } from './linalg.js';
import { alloc, values, viewOf, type JsHandle, type Store } from './storage.js';

interface Seq { T: number; B: number; I: number; H: number; rev: boolean }

function seqOf(x: Tensor, wHh: Tensor, rev: boolean): Seq {
  return { T: x.shape[0], B: x.shape[1], I: x.shape[2], H: wHh.shape[1], rev };
}
/** Slot of hAll the step t reads, and the one it writes. */
const prevOf = (s: Seq, t: number) => t + (s.rev ? 1 : 0);
const curOf = (s: Seq, t: number) => t + (s.rev ? 0 : 1);
/** Step of the k-th forward iteration, and of the k-th backward iteration. */
const fwdStep = (s: Seq, k: number) => (s.rev ? s.T - 1 - k : k);
const bwdStep = (s: Seq, k: number) => (s.rev ? k : s.T - 1 - k);

const sigm = (v: number) => 1 / (1 + Math.exp(-v));

/** x·wIhᵀ + bias for every step: [T, B, G·H]. Biases add up (either may be null). */
function project(x: Tensor, wIh: Tensor, b1: Tensor | null, b2: Tensor | null): JsHandle {
  const [T, B, I] = x.shape;
  const GH = wIh.shape[0], rows = T * B;
  const out = alloc(x.dtype, [T, B, GH]), Y = out.data;
  if (b1 || b2) {
    const bias = new Float64Array(GH);
    for (const b of [b1, b2]) {
      if (!b) continue;
      const v = values(b);
      for (let j = 0; j < GH; j++) bias[j] += v[j];
    }
    for (let r = 0; r < rows; r++) Y.set(bias, r * GH);
  }
  // B(p, j) = wIh[j, p]: the transposed weight through strides
  gemmStrided(rows, GH, I, values(x), 0, I, 1, values(wIh), 0, 1, I, Y, 0, GH);
  return out;
}

/** hAll [T+1, B, H] with h0 in the slot the first step reads. */
function states(s: Seq, h0: Tensor): JsHandle {
  const all = alloc(h0.dtype, [s.T + 1, s.B, s.H]);
  all.data.set(values(h0) as never, (s.rev ? s.T : 0) * s.B * s.H);
  return all;
}

/** The output: a view of hAll's written states, or (with a mask) a new tensor the steps fill. */
function outputOf(s: Seq, hAll: JsHandle, masked: boolean, x: Tensor): JsHandle {
  const shape = [s.T, s.B, s.H];
  if (masked) return alloc(x.dtype, shape);
  return viewOf(hAll, (s.rev ? 0 : 1) * s.B * s.H, [s.B * s.H, s.H, 1], shape);
}

/** A copy of the final state [B, H]. */
function finalOf(s: Seq, all: JsHandle, x: Tensor): JsHandle {
  const out = alloc(x.dtype, [s.B, s.H]);
  const o = (s.rev ? 0 : s.T) * s.B * s.H;
  out.data.set(all.data.subarray(o, o + s.B * s.H) as never);
  return out;
}

/** C[rows×cols] += A[rows×k]·Wᵀ for W [cols, k] (per-step GEMM with W_hh, forward). */
function addTimesWt(rows: number, cols: number, k: number, A: Store, aOff: number, W: Store, C: Store, cOff: number): void {
  gemmStrided(rows, cols, k, A, aOff, k, 1, W, 0, 1, k, C, cOff, cols);
}

/** Gradients of the weights from the per-step gate gradients dgx (input side) and dgh (hidden side). */
function weightGrads(
  s: Seq, x: Tensor, wIh: Tensor, HA: Store, dgx: Store, dgh: Store, GH: number, need: RnnGradNeeds,
): [JsHandle | null, JsHandle | null, JsHandle | null, JsHandle | null, JsHandle | null] {
  const rows = s.T * s.B;
  let dx: JsHandle | null = null, dWih: JsHandle | null = null, dWhh: JsHandle | null = null;
  let dbIh: JsHandle | null = null, dbHh: JsHandle | null = null;
  if (need.input) {
    dx = alloc(x.dtype, [s.T, s.B, s.I]);
    gemmStrided(rows, s.I, GH, dgx, 0, GH, 1, values(wIh), 0, s.I, 1, dx.data, 0, s.I);
  }
  if (need.weights) {
    dWih = alloc(x.dtype, [GH, s.I]);
    gemmStrided(GH, s.I, rows, dgx, 0, 1, GH, values(x), 0, s.I, 1, dWih.data, 0, s.I);
    dWhh = alloc(x.dtype, [GH, s.H]);
    // the state each step read: hAll[prev(t)] for t = 0 … T−1
    gemmStrided(GH, s.H, rows, dgh, 0, 1, GH, HA, (s.rev ? 1 : 0) * s.B * s.H, s.H, 1, dWhh.data, 0, s.H);
  }
  if (need.bias) {
    const colSums = (D: Store) => {
      const acc = new Float64Array(GH);
      for (let r = 0; r < rows; r++) for (let j = 0, o = r * GH; j < GH; j++) acc[j] += D[o + j];
      const h = alloc(x.dtype, [GH]);
      h.data.set(acc);
      return h;
    };
    dbIh = colSums(dgx);
    dbHh = colSums(dgh);
  }
  return [dx, dWih, dWhh, dbIh, dbHh];
}

// ---------------------------------------------------------------- LSTM

export function lstmForward(
  x: Tensor, h0: Tensor, c0: Tensor, wIh: Tensor, wHh: Tensor, bIh: Tensor | null, bHh: Tensor | null, mask: Tensor | null, reverse: boolean,
): [JsHandle, JsHandle, JsHandle, JsHandle, JsHandle, JsHandle] {
  const s = seqOf(x, wHh, reverse), { T, B, H } = s, G4 = 4 * H;
  const gates = project(x, wIh, bIh, bHh), G = gates.data;
  const hAll = states(s, h0), cAll = states(s, c0), HA = hAll.data, CA = cAll.data;
  const out = outputOf(s, hAll, mask !== null, x), O = out.data;
  const Whh = values(wHh), M = mask ? values(mask) : null;
  for (let k = 0; k < T; k++) {
    const t = fwdStep(s, k), p = prevOf(s, t) * B * H, c = curOf(s, t) * B * H;
    addTimesWt(B, G4, H, HA, p, Whh, G, t * B * G4);
    for (let b = 0; b < B; b++) {
      const hp = p + b * H, hc = c + b * H, o = t * B * H + b * H;
      if (M && M[t * B + b] === 0) {
        for (let j = 0; j < H; j++) {
          HA[hc + j] = HA[hp + j];
          CA[hc + j] = CA[hp + j];
          O[o + j] = 0;
        }
        continue;
      }
      const g = (t * B + b) * G4;
      for (let j = 0; j < H; j++) {
        const i = (G[g + j] = sigm(G[g + j]));
        const f = (G[g + H + j] = sigm(G[g + H + j]));
        const gg = (G[g + 2 * H + j] = Math.tanh(G[g + 2 * H + j]));
        const og = (G[g + 3 * H + j] = sigm(G[g + 3 * H + j]));
        const cn = (CA[hc + j] = f * CA[hp + j] + i * gg);
        HA[hc + j] = og * Math.tanh(cn);
        if (M) O[o + j] = HA[hc + j];
      }
    }
  }
  return [out, finalOf(s, hAll, x), finalOf(s, cAll, x), hAll, cAll, gates];
}

export function lstmBackward(
  dOut: Tensor, dhN: Tensor, dcN: Tensor, x: Tensor, wIh: Tensor, wHh: Tensor, hAll: Tensor, cAll: Tensor, gates: Tensor,
  mask: Tensor | null, reverse: boolean, need: RnnGradNeeds,
): [JsHandle | null, JsHandle, JsHandle, JsHandle | null, JsHandle | null, JsHandle | null, JsHandle | null] {
  const s = seqOf(x, wHh, reverse), { T, B, H } = s, G4 = 4 * H;
  const Do = values(dOut), A = values(gates), CA = values(cAll), Whh = values(wHh), M = mask ? values(mask) : null;
  const dh = alloc(x.dtype, [B, H]), dc = alloc(x.dtype, [B, H]), Dh = dh.data, Dc = dc.data;
  Dh.set(values(dhN) as never);
  Dc.set(values(dcN) as never);
  const dgh = alloc(x.dtype, [T, B, G4]), DG = dgh.data;
  for (let k = 0; k < T; k++) {
    const t = bwdStep(s, k), p = prevOf(s, t) * B * H, c = curOf(s, t) * B * H;
    for (let b = 0; b < B; b++) {
      const g = (t * B + b) * G4;
      if (M && M[t * B + b] === 0) {
        DG.fill(0, g, g + G4);
        continue;
      }
      const r = b * H, o = t * B * H + b * H;
      for (let j = 0; j < H; j++) {
        const i = A[g + j], f = A[g + H + j], gg = A[g + 2 * H + j], og = A[g + 3 * H + j];
        const h = Dh[r + j] + Do[o + j];
        const tc = Math.tanh(CA[c + r + j]);
        const dct = Dc[r + j] + h * og * (1 - tc * tc);
        DG[g + j] = dct * gg * i * (1 - i);
        DG[g + H + j] = dct * CA[p + r + j] * f * (1 - f);
        DG[g + 2 * H + j] = dct * i * (1 - gg * gg);
        DG[g + 3 * H + j] = h * tc * og * (1 - og);
        Dc[r + j] = dct * f;
        Dh[r + j] = 0;
      }
    }
    gemmStrided(B, H, G4, DG, t * B * G4, G4, 1, Whh, 0, H, 1, Dh, 0, H);
  }
  const [dx, dWih, dWhh, dbIh, dbHh] = weightGrads(s, x, wIh, values(hAll), DG, DG, G4, need);
  return [dx, dh, dc, dWih, dWhh, dbIh, dbHh];
}

// ---------------------------------------------------------------- GRU

export function gruForward(
  x: Tensor, h0: Tensor, wIh: Tensor, wHh: Tensor, bIh: Tensor | null, bHh: Tensor | null, mask: Tensor | null, reverse: boolean,
): [JsHandle, JsHandle, JsHandle, JsHandle, JsHandle] {
  const s = seqOf(x, wHh, reverse), { T, B, H } = s, G3 = 3 * H;
  const gates = project(x, wIh, bIh, null), G = gates.data;
  const hAll = states(s, h0), HA = hAll.data;
  const hpn = alloc(x.dtype, [T, B, H]), HPN = hpn.data;
  const out = outputOf(s, hAll, mask !== null, x), O = out.data;
  const Whh = values(wHh), bh = bHh ? values(bHh) : null, M = mask ? values(mask) : null;
  const HP = new (G.constructor as new (n: number) => Store)(B * G3);
  for (let k = 0; k < T; k++) {
    const t = fwdStep(s, k), p = prevOf(s, t) * B * H, c = curOf(s, t) * B * H;
    if (bh) for (let b = 0; b < B; b++) HP.set(bh as never, b * G3);
    else HP.fill(0);
    addTimesWt(B, G3, H, HA, p, Whh, HP, 0);
    for (let b = 0; b < B; b++) {
      const hp = p + b * H, hc = c + b * H, o = t * B * H + b * H;
      if (M && M[t * B + b] === 0) {
        for (let j = 0; j < H; j++) {
          HA[hc + j] = HA[hp + j];
          O[o + j] = 0;
        }
        continue;
      }
      const g = (t * B + b) * G3, q = b * G3;
      for (let j = 0; j < H; j++) {
        const r = (G[g + j] = sigm(G[g + j] + HP[q + j]));
        const z = (G[g + H + j] = sigm(G[g + H + j] + HP[q + H + j]));
        const n = (G[g + 2 * H + j] = Math.tanh(G[g + 2 * H + j] + r * HP[q + 2 * H + j]));
        HPN[o + j] = HP[q + 2 * H + j];
        HA[hc + j] = (HA[hp + j] - n) * z + n;
        if (M) O[o + j] = HA[hc + j];
      }
    }
  }
  return [out, finalOf(s, hAll, x), hAll, gates, hpn];
}

export function gruBackward(
  dOut: Tensor, dhN: Tensor, x: Tensor, wIh: Tensor, wHh: Tensor, hAll: Tensor, gates: Tensor, hpn: Tensor,
  mask: Tensor | null, reverse: boolean, need: RnnGradNeeds,
): [JsHandle | null, JsHandle, JsHandle | null, JsHandle | null, JsHandle | null, JsHandle | null] {
  const s = seqOf(x, wHh, reverse), { T, B, H } = s, G3 = 3 * H;
  const Do = values(dOut), A = values(gates), HA = values(hAll), HPN = values(hpn), Whh = values(wHh), M = mask ? values(mask) : null;
  const dh = alloc(x.dtype, [B, H]), Dh = dh.data;
  Dh.set(values(dhN) as never);
  const dxp = alloc(x.dtype, [T, B, G3]), dhp = alloc(x.dtype, [T, B, G3]), DX = dxp.data, DH = dhp.data;
  for (let k = 0; k < T; k++) {
    const t = bwdStep(s, k), p = prevOf(s, t) * B * H;
    for (let b = 0; b < B; b++) {
      const g = (t * B + b) * G3;
      if (M && M[t * B + b] === 0) {
        DX.fill(0, g, g + G3);
        DH.fill(0, g, g + G3);
        continue;
      }
      const r0 = b * H, o = t * B * H + b * H;
      for (let j = 0; j < H; j++) {
        const r = A[g + j], z = A[g + H + j], n = A[g + 2 * H + j];
        const h = Dh[r0 + j] + Do[o + j];
        const dan = h * (1 - z) * (1 - n * n);
        const dar = dan * HPN[o + j] * r * (1 - r);
        const daz = h * (HA[p + r0 + j] - n) * z * (1 - z);
        DX[g + j] = dar; DX[g + H + j] = daz; DX[g + 2 * H + j] = dan;
        DH[g + j] = dar; DH[g + H + j] = daz; DH[g + 2 * H + j] = dan * r;
        Dh[r0 + j] = h * z;
      }
    }
    gemmStrided(B, H, G3, DH, t * B * G3, G3, 1, Whh, 0, H, 1, Dh, 0, H);
  }
  const [dx, dWih, dWhh, dbIh, dbHh] = weightGrads(s, x, wIh, HA, DX, DH, G3, need);
  return [dx, dh, dWih, dWhh, dbIh, dbHh];
}

// ---------------------------------------------------------------- Elman RNN

export function rnnForward(
  x: Tensor, h0: Tensor, wIh: Tensor, wHh: Tensor, bIh: Tensor | null, bHh: Tensor | null, mask: Tensor | null, reverse: boolean, relu: boolean,
): [JsHandle, JsHandle, JsHandle] {
  const s = seqOf(x, wHh, reverse), { T, B, H } = s;
  const pre = project(x, wIh, bIh, bHh), G = pre.data;
  const hAll = states(s, h0), HA = hAll.data;
  const out = outputOf(s, hAll, mask !== null, x), O = out.data;
  const Whh = values(wHh), M = mask ? values(mask) : null;
  for (let k = 0; k < T; k++) {
    const t = fwdStep(s, k), p = prevOf(s, t) * B * H, c = curOf(s, t) * B * H;
    addTimesWt(B, H, H, HA, p, Whh, G, t * B * H);
    for (let b = 0; b < B; b++) {
      const hp = p + b * H, hc = c + b * H, o = t * B * H + b * H;
      const masked = M !== null && M[t * B + b] === 0;
      for (let j = 0; j < H; j++) {
        if (masked) {
          HA[hc + j] = HA[hp + j];
          O[o + j] = 0;
          continue;
        }
        const v = G[o + j];
        HA[hc + j] = relu ? (v > 0 ? v : 0) : Math.tanh(v);
        if (M) O[o + j] = HA[hc + j];
      }
    }
  }
  return [out, finalOf(s, hAll, x), hAll];
}

export function rnnBackward(
  dOut: Tensor, dhN: Tensor, x: Tensor, wIh: Tensor, wHh: Tensor, hAll: Tensor, mask: Tensor | null, reverse: boolean, relu: boolean,
  need: RnnGradNeeds,
): [JsHandle | null, JsHandle, JsHandle | null, JsHandle | null, JsHandle | null, JsHandle | null] {
  const s = seqOf(x, wHh, reverse), { T, B, H } = s;
  const Do = values(dOut), HA = values(hAll), Whh = values(wHh), M = mask ? values(mask) : null;
  const dh = alloc(x.dtype, [B, H]), Dh = dh.data;
  Dh.set(values(dhN) as never);
  const dg = alloc(x.dtype, [T, B, H]), DG = dg.data;
  for (let k = 0; k < T; k++) {
    const t = bwdStep(s, k), c = curOf(s, t) * B * H;
    for (let b = 0; b < B; b++) {
      const r = b * H, o = t * B * H + r;
      if (M && M[t * B + b] === 0) {
        DG.fill(0, o, o + H);
        continue;
      }
      for (let j = 0; j < H; j++) {
        const h = Dh[r + j] + Do[o + j], y = HA[c + r + j];
        DG[o + j] = relu ? (y > 0 ? h : 0) : h * (1 - y * y);
        Dh[r + j] = 0;
      }
    }
    gemmStrided(B, H, H, DG, t * B * H, H, 1, Whh, 0, H, 1, Dh, 0, H);
  }
  const [dx, dWih, dWhh, dbIh, dbHh] = weightGrads(s, x, wIh, HA, DG, DG, H, need);
  return [dx, dh, dWih, dWhh, dbIh, dbHh];
}
