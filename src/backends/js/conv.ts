// js kernels: convolution (im2col/col2im + the packed gemm, per image and group; 1-D as 2-D with
// height 1; transposed convolution as the input gradient of a convolution) and 2-D pooling.
import type { Shape } from '../../tensor/shape.js';
import { numel } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { gemmStrided } from './linalg.js';
import { alloc, values, type JsHandle, type Store } from './storage.js';

/**
 * The geometry of an im2col: an image [C, H, W] and its columns [C·kh·kw, oh·ow], where column
 * (oy, ox) of row (c, ki, kj) holds image[c, oy·sh − ph + ki·dh, ox·sw − pw + kj·dw] (0 outside).
 */
interface Geom {
  C: number; H: number; W: number;
  kh: number; kw: number; sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
  oh: number; ow: number;
}

/** True when the columns are the image itself (1×1 kernel, stride 1, no padding). */
function isIdentity(g: Geom): boolean {
  return g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.ph === 0 && g.pw === 0 && g.oh === g.H && g.ow === g.W;
}

/** The range [lo, hi) of output positions o with 0 <= o·s − p + k·d < n. */
function validRange(n: number, out: number, s: number, p: number, kd: number): [number, number] {
  const lo = Math.min(out, Math.max(0, Math.ceil((p - kd) / s)));
  const hi = Math.min(out, Math.floor((n - 1 + p - kd) / s) + 1);
  return [lo, Math.max(lo, hi)];
}

/** Writes the columns of image src[so..] into col (row-major [C·kh·kw, oh·ow]). */
function im2col(src: Store, so: number, g: Geom, col: Float64Array): void {
  const { C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow } = g;
  const P = oh * ow;
  let row = 0;
  for (let c = 0; c < C; c++) {
    const plane = so + c * H * W;
    for (let ki = 0; ki < kh; ki++) {
      const [y0, y1] = validRange(H, oh, sh, ph, ki * dh);
      for (let kj = 0; kj < kw; kj++, row++) {
        const [x0, x1] = validRange(W, ow, sw, pw, kj * dw);
        const r = row * P;
        if (y0 > 0) col.fill(0, r, r + y0 * ow);
        if (y1 < oh) col.fill(0, r + y1 * ow, r + P);
        for (let oy = y0; oy < y1; oy++) {
          const o = r + oy * ow;
          if (x0 > 0) col.fill(0, o, o + x0);
          if (x1 < ow) col.fill(0, o + x1, o + ow);
          let s = plane + (oy * sh - ph + ki * dh) * W + x0 * sw - pw + kj * dw;
          if (sw === 1) for (let ox = x0; ox < x1; ox++, s++) col[o + ox] = src[s];
          else for (let ox = x0; ox < x1; ox++, s += sw) col[o + ox] = src[s];
        }
      }
    }
  }
}

/** Adds the columns col back onto image dst[dOff..] (the adjoint of im2col). */
function col2im(col: Float64Array, g: Geom, dst: Store, dOff: number): void {
  const { C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow } = g;
  const P = oh * ow;
  let row = 0;
  for (let c = 0; c < C; c++) {
    const plane = dOff + c * H * W;
    for (let ki = 0; ki < kh; ki++) {
      const [y0, y1] = validRange(H, oh, sh, ph, ki * dh);
      for (let kj = 0; kj < kw; kj++, row++) {
        const [x0, x1] = validRange(W, ow, sw, pw, kj * dw);
        const r = row * P;
        for (let oy = y0; oy < y1; oy++) {
          const o = r + oy * ow;
          let d = plane + (oy * sh - ph + ki * dh) * W + x0 * sw - pw + kj * dw;
          for (let ox = x0; ox < x1; ox++, d += sw) dst[d] += col[o + ox];
        }
      }
    }
  }
}

/** The shared shape bookkeeping of a convolution; spatial params lifted to 2-D (1-D: height 1). */
interface ConvPlan {
  N: number; Cin: number; Cout: number; groups: number;
  /** Input and output spatial sizes. */
  H: number; W: number; oH: number; oW: number;
  /** im2col geometry per group: the input for a convolution, the output for a transposed one. */
  geom: Geom;
  /** Weight rows per group and their length: [Cout/g, Cin/g·k] (conv) or [Cin/g, Cout/g·k] (transposed). */
  wRows: number; wLen: number;
}

function lift2(v: readonly number[]): [number, number] {
  return v.length === 1 ? [0, v[0]] : [v[0], v[1]];
}

function plan(x: Tensor, w: Tensor, stride: readonly number[], padding: readonly number[], dilation: readonly number[], transposed: boolean, outputPadding: readonly number[], groups: number): ConvPlan {
  const nd = x.ndim - 2;
  const N = x.shape[0], Cin = x.shape[1];
  const H = nd === 2 ? x.shape[2] : 1, W = x.shape[x.ndim - 1];
  const kh = nd === 2 ? w.shape[2] : 1, kw = w.shape[w.ndim - 1];
  const [sh0, sw] = lift2(stride), [ph, pw] = lift2(padding), [dh0, dw] = lift2(dilation), [oph, opw] = lift2(outputPadding);
  const sh = nd === 2 ? sh0 : 1, dh = nd === 2 ? dh0 : 1;
  if (!transposed) {
    const Cout = w.shape[0];
    const oH = Math.floor((H + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
    const oW = Math.floor((W + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
    const Cg = Cin / groups;
    return {
      N, Cin, Cout, groups, H, W, oH, oW, wRows: Cout / groups, wLen: Cg * kh * kw,
      geom: { C: Cg, H, W, kh, kw, sh, sw, ph, pw, dh, dw, oh: oH, ow: oW },
    };
  }
  const Cout = w.shape[1] * groups;
  const oH = (H - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1;
  const oW = (W - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1;
  const Cg = Cout / groups;
  return {
    N, Cin, Cout, groups, H, W, oH, oW, wRows: Cin / groups, wLen: Cg * kh * kw,
    geom: { C: Cg, H: oH, W: oW, kh, kw, sh, sw, ph, pw, dh, dw, oh: H, ow: W },
  };
}

/**
 * Convolution (or transposed convolution) of x [N, Cin, (H,) W] with w. Per image and group:
 * conv: y = Wg·im2col(x); transposed: y = col2im(Wgᵀ·x). The bias is written first and gemm adds onto it.
 */
export function convolution(
  x: Tensor, w: Tensor, b: Tensor | null, stride: readonly number[], padding: readonly number[], dilation: readonly number[],
  transposed: boolean, outputPadding: readonly number[], groups: number, outShape: Shape,
): JsHandle {
  const out = alloc(x.dtype, outShape);
  const p = plan(x, w, stride, padding, dilation, transposed, outputPadding, groups);
  const { N, Cin, Cout, H, W, oH, oW, geom, wRows, wLen } = p;
  const X = values(x), Wt = values(w), O = out.data;
  const inP = H * W, outP = oH * oW;
  if (b) {
    const B = values(b);
    for (let n = 0; n < N; n++) for (let c = 0; c < Cout; c++) O.fill(B[c], (n * Cout + c) * outP, (n * Cout + c + 1) * outP);
  }
  const identity = isIdentity(geom);
  const cinG = Cin / groups, coutG = Cout / groups;
  const colLen = wLen * (transposed ? inP : outP);
  const col = identity ? null : new Float64Array(colLen);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < groups; g++) {
      const xOff = (n * Cin + g * cinG) * inP, oOff = (n * Cout + g * coutG) * outP, wOff = g * wRows * wLen;
      if (!transposed) {
        // y[coutG, outP] += W[coutG, wLen] · cols[wLen, outP]
        if (col) {
          im2col(X, xOff, geom, col);
          gemmStrided(wRows, outP, wLen, Wt, wOff, wLen, 1, col, 0, outP, 1, O, oOff, outP);
        } else gemmStrided(wRows, outP, wLen, Wt, wOff, wLen, 1, X, xOff, inP, 1, O, oOff, outP);
      } else if (col) {
        // cols[wLen, inP] = Wᵀ[wLen, cinG] · x[cinG, inP], then folded onto y
        col.fill(0);
        gemmStrided(wLen, inP, wRows, Wt, wOff, 1, wLen, X, xOff, inP, 1, col, 0, inP);
        col2im(col, geom, O, oOff);
      } else gemmStrided(wLen, inP, wRows, Wt, wOff, 1, wLen, X, xOff, inP, 1, O, oOff, outP);
    }
  }
  return out;
}

/**
 * Gradients of convolution: [gx, gw, gb] for the entries of mask that are true (null otherwise).
 * conv: gw += gy·colsᵀ, gx = col2im(Wᵀ·gy); transposed: gx = W·cols(gy), gw += x·cols(gy)ᵀ.
 */
export function convolutionBackward(
  gy: Tensor, x: Tensor, w: Tensor, stride: readonly number[], padding: readonly number[], dilation: readonly number[],
  transposed: boolean, outputPadding: readonly number[], groups: number, mask: readonly [boolean, boolean, boolean],
): [JsHandle | null, JsHandle | null, JsHandle | null] {
  const p = plan(x, w, stride, padding, dilation, transposed, outputPadding, groups);
  const { N, Cin, Cout, H, W, oH, oW, geom, wRows, wLen } = p;
  const GY = values(gy), inP = H * W, outP = oH * oW;
  let gb: JsHandle | null = null;
  if (mask[2]) {
    gb = alloc(gy.dtype, [Cout]);
    for (let c = 0; c < Cout; c++) {
      let acc = 0;
      for (let n = 0; n < N; n++) for (let i = (n * Cout + c) * outP, e = i + outP; i < e; i++) acc += GY[i];
      gb.data[c] = acc;
    }
  }
  if (!mask[0] && !mask[1]) return [null, null, gb];
  const X = values(x), Wt = values(w);
  const gx = mask[0] ? alloc(x.dtype, x.shape) : null;
  // NOTE: the weight gradient sums over the whole batch: accumulate it in float64, round once.
  const gwAcc = mask[1] ? new Float64Array(numel(w.shape)) : null;
  const identity = isIdentity(geom);
  const cinG = Cin / groups, coutG = Cout / groups;
  const col = identity ? null : new Float64Array(wLen * (transposed ? inP : outP));
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < groups; g++) {
      const xOff = (n * Cin + g * cinG) * inP, yOff = (n * Cout + g * coutG) * outP, wOff = g * wRows * wLen;
      if (!transposed) {
        if (gwAcc) {
          // gw[coutG, wLen] += gy[coutG, outP] · colsᵀ[outP, wLen]
          let B: Store = X, bOff = xOff;
          if (col) {
            im2col(X, xOff, geom, col);
            B = col;
            bOff = 0;
          }
          gemmStrided(wRows, wLen, outP, GY, yOff, outP, 1, B, bOff, 1, outP, gwAcc, wOff, wLen);
        }
        if (gx) {
          // cols[wLen, outP] = Wᵀ[wLen, coutG] · gy[coutG, outP], folded onto gx
          if (col) {
            col.fill(0);
            gemmStrided(wLen, outP, wRows, Wt, wOff, 1, wLen, GY, yOff, outP, 1, col, 0, outP);
            col2im(col, geom, gx.data, xOff);
          } else gemmStrided(wLen, outP, wRows, Wt, wOff, 1, wLen, GY, yOff, outP, 1, gx.data, xOff, inP);
        }
      } else {
        // cols of gy: [wLen, inP]
        let B: Store = GY, bOff = yOff;
        if (col) {
          im2col(GY, yOff, geom, col);
          B = col;
          bOff = 0;
        }
        // gx[cinG, inP] = W[cinG, wLen] · cols
        if (gx) gemmStrided(wRows, inP, wLen, Wt, wOff, wLen, 1, B, bOff, inP, 1, gx.data, xOff, inP);
        // gw[cinG, wLen] += x[cinG, inP] · colsᵀ[inP, wLen]
        if (gwAcc) gemmStrided(wRows, wLen, inP, X, xOff, inP, 1, B, bOff, 1, inP, gwAcc, wOff, wLen);
      }
    }
  }
  let gw: JsHandle | null = null;
  if (gwAcc) {
    gw = alloc(w.dtype, w.shape);
    gw.data.set(gwAcc);
  }
  return [gx, gw, gb];
}

// ---------------------------------------------------------------- pooling (x is [N, C, H, W])

function planes(x: Tensor): { planes: number; H: number; W: number } {
  return { planes: x.shape[0] * x.shape[1], H: x.shape[2], W: x.shape[3] };
}

/** Max over each window; indices are flat positions h·W + w within the plane, as in PyTorch. */
export function maxPool2d(
  x: Tensor, kernel: readonly number[], stride: readonly number[], padding: readonly number[], dilation: readonly number[],
  _ceilMode: boolean, outShape: Shape,
): [JsHandle, JsHandle] {
  const out = alloc(x.dtype, outShape), idx = alloc('int64', outShape);
  const { planes: np, H, W } = planes(x);
  const oH = outShape[2], oW = outShape[3];
  const [kh, kw] = kernel, [sh, sw] = stride, [ph, pw] = padding, [dh, dw] = dilation;
  const X = values(x), O = out.data, I = idx.data;
  let o = 0;
  for (let pl = 0; pl < np; pl++) {
    const base = pl * H * W;
    for (let oy = 0; oy < oH; oy++) {
      let y0 = oy * sh - ph;
      const y1 = Math.min(y0 + (kh - 1) * dh + 1, H);
      while (y0 < 0) y0 += dh;
      for (let ox = 0; ox < oW; ox++, o++) {
        let x0 = ox * sw - pw;
        const x1 = Math.min(x0 + (kw - 1) * dw + 1, W);
        while (x0 < 0) x0 += dw;
        let best = -Infinity, at = y0 * W + x0;
        for (let y = y0; y < y1; y += dh) {
          for (let xx = x0; xx < x1; xx += dw) {
            const i = y * W + xx, v = X[base + i];
            // NOTE: NaN wins (and a later NaN replaces an earlier one), matching ATen's CPU kernel
            if (v > best || v !== v) {
              best = v;
              at = i;
            }
          }
        }
        O[o] = best;
        I[o] = at;
      }
    }
  }
  return [out, idx];
}

/** Adds each output gradient to the input element its index names. */
export function maxPool2dBackward(gy: Tensor, x: Tensor, indices: Tensor): JsHandle {
  const gx = alloc(x.dtype, x.shape);
  const { planes: np, H, W } = planes(x);
  const GY = values(gy), I = values(indices), G = gx.data;
  const per = gy.shape[2] * gy.shape[3];
  for (let pl = 0, o = 0; pl < np; pl++) {
    const base = pl * H * W;
    for (let j = 0; j < per; j++, o++) G[base + I[o]] += GY[o];
  }
  return gx;
}

/** Calls f(outIndex, y0, y1, x0, x1, divisor) for each average-pool window, clipped to the input. */
function avgWindows(
  np: number, H: number, W: number, oH: number, oW: number, kernel: readonly number[], stride: readonly number[],
  padding: readonly number[], countIncludePad: boolean, divisorOverride: number | null,
  f: (pl: number, o: number, y0: number, y1: number, x0: number, x1: number, div: number) => void,
): void {
  const [kh, kw] = kernel, [sh, sw] = stride, [ph, pw] = padding;
  for (let pl = 0, o = 0; pl < np; pl++) {
    for (let oy = 0; oy < oH; oy++) {
      for (let ox = 0; ox < oW; ox++, o++) {
        let y0 = oy * sh - ph, x0 = ox * sw - pw;
        let y1 = Math.min(y0 + kh, H + ph), x1 = Math.min(x0 + kw, W + pw);
        // NOTE: the padded window size is clipped at input + padding (ceil mode), as in ATen
        const poolSize = (y1 - y0) * (x1 - x0);
        y0 = Math.max(y0, 0);
        x0 = Math.max(x0, 0);
        y1 = Math.min(y1, H);
        x1 = Math.min(x1, W);
        if (y0 >= y1 || x0 >= x1) continue;
        const div = divisorOverride ?? (countIncludePad ? poolSize : (y1 - y0) * (x1 - x0));
        f(pl, o, y0, y1, x0, x1, div);
      }
    }
  }
}

export function avgPool2d(
  x: Tensor, kernel: readonly number[], stride: readonly number[], padding: readonly number[], _ceilMode: boolean,
  countIncludePad: boolean, divisorOverride: number | null, outShape: Shape,
): JsHandle {
  const out = alloc(x.dtype, outShape);
  const { planes: np, H, W } = planes(x);
  const X = values(x), O = out.data;
  avgWindows(np, H, W, outShape[2], outShape[3], kernel, stride, padding, countIncludePad, divisorOverride, (pl, o, y0, y1, x0, x1, div) => {
    let s = 0;
    for (let y = y0; y < y1; y++) for (let i = pl * H * W + y * W + x0, e = i + x1 - x0; i < e; i++) s += X[i];
    O[o] = s / div;
  });
  return out;
}

export function avgPool2dBackward(
  gy: Tensor, x: Tensor, kernel: readonly number[], stride: readonly number[], padding: readonly number[], _ceilMode: boolean,
  countIncludePad: boolean, divisorOverride: number | null,
): JsHandle {
  const gx = alloc(x.dtype, x.shape);
  const { planes: np, H, W } = planes(x);
  const GY = values(gy), G = gx.data;
  avgWindows(np, H, W, gy.shape[2], gy.shape[3], kernel, stride, padding, countIncludePad, divisorOverride, (pl, o, y0, y1, x0, x1, div) => {
    const v = GY[o] / div;
    for (let y = y0; y < y1; y++) for (let i = pl * H * W + y * W + x0, e = i + x1 - x0; i < e; i++) G[i] += v;
  });
  return gx;
}

/** Adaptive window i of n over a length-L dim: [⌊i·L/n⌋, ⌈(i+1)·L/n⌉). */
function adaptiveStart(i: number, n: number, L: number): number {
  return Math.floor((i * L) / n);
}
function adaptiveEnd(i: number, n: number, L: number): number {
  return Math.ceil(((i + 1) * L) / n);
}

export function adaptiveAvgPool2d(x: Tensor, outputSize: readonly [number, number]): JsHandle {
  const [oH, oW] = outputSize;
  const out = alloc(x.dtype, [x.shape[0], x.shape[1], oH, oW]);
  const { planes: np, H, W } = planes(x);
  const X = values(x), O = out.data;
  for (let pl = 0, o = 0; pl < np; pl++) {
    for (let oy = 0; oy < oH; oy++) {
      const y0 = adaptiveStart(oy, oH, H), y1 = adaptiveEnd(oy, oH, H);
      for (let ox = 0; ox < oW; ox++, o++) {
        const x0 = adaptiveStart(ox, oW, W), x1 = adaptiveEnd(ox, oW, W);
        let s = 0;
        for (let y = y0; y < y1; y++) for (let i = pl * H * W + y * W + x0, e = i + x1 - x0; i < e; i++) s += X[i];
        O[o] = s / ((y1 - y0) * (x1 - x0));
      }
    }
  }
  return out;
}

export function adaptiveAvgPool2dBackward(gy: Tensor, x: Tensor): JsHandle {
  const gx = alloc(x.dtype, x.shape);
  const { planes: np, H, W } = planes(x);
  const oH = gy.shape[2], oW = gy.shape[3];
  const GY = values(gy), G = gx.data;
  for (let pl = 0, o = 0; pl < np; pl++) {
    for (let oy = 0; oy < oH; oy++) {
      const y0 = adaptiveStart(oy, oH, H), y1 = adaptiveEnd(oy, oH, H);
      for (let ox = 0; ox < oW; ox++, o++) {
        const x0 = adaptiveStart(ox, oW, W), x1 = adaptiveEnd(ox, oW, W);
        const v = GY[o] / ((y1 - y0) * (x1 - x0));
        for (let y = y0; y < y1; y++) for (let i = pl * H * W + y * W + x0, e = i + x1 - x0; i < e; i++) G[i] += v;
      }
    }
  }
  return gx;
}
