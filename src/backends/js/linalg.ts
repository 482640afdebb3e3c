// js kernels: matrix multiplication (packed, register-tiled gemm; batched with broadcasting) and the linear layer.
import type { Shape } from '../../tensor/shape.js';
import { contiguousStrides, numel } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { alloc, values, type JsHandle, type Store } from './storage.js';

// Blocking (BLIS-style): a KC×NC panel of B and an MC×KC block of A are packed into float64 buffers
// laid out for the MR×NR micro-kernel, so its loads are sequential whatever the operands' strides.
const MR = 4, NR = 4;
const KC = 256; // packed A block MC×KC (128 KiB) stays in L2, a B micro-panel NR×KC (8 KiB) in L1
const MC = 64;
const NC = 1024;
let packedA = new Float64Array(0);
let packedB = new Float64Array(0);
const edge = new Float64Array(MR * NR);

/** Grows the packing buffers (lazily, up to MC×KC and NC×KC) to hold blocks of the given sizes. */
function reserve(mc: number, nc: number, kc: number): void {
  const a = Math.ceil(mc / MR) * MR * kc, b = Math.ceil(nc / NR) * NR * kc;
  if (packedA.length < a) packedA = new Float64Array(Math.max(a, Math.min(2 * packedA.length, MC * KC)));
  if (packedB.length < b) packedB = new Float64Array(Math.max(b, Math.min(2 * packedB.length, NC * KC)));
}

/** Packs A[i0:i0+mc, p0:p0+kc] into MR-row panels (p-major within a panel), zero-padding the last panel. */
function packA(A: Store, aOff: number, aRs: number, aCs: number, i0: number, mc: number, p0: number, kc: number): void {
  const P = packedA;
  let o = 0;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = Math.min(MR, mc - ir);
    let base = aOff + (i0 + ir) * aRs + p0 * aCs;
    if (rows === MR) {
      for (let p = 0; p < kc; p++, base += aCs, o += MR) {
        P[o] = A[base];
        P[o + 1] = A[base + aRs];
        P[o + 2] = A[base + 2 * aRs];
        P[o + 3] = A[base + 3 * aRs];
      }
    } else {
      for (let p = 0; p < kc; p++, base += aCs, o += MR) {
        for (let r = 0; r < MR; r++) P[o + r] = r < rows ? A[base + r * aRs] : 0;
      }
    }
  }
}

/** Packs B[p0:p0+kc, j0:j0+nc] into NR-column panels (p-major within a panel), zero-padding the last panel. */
function packB(B: Store, bOff: number, bRs: number, bCs: number, p0: number, kc: number, j0: number, nc: number): void {
  const P = packedB;
  let o = 0;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = Math.min(NR, nc - jr);
    let base = bOff + p0 * bRs + (j0 + jr) * bCs;
    if (cols === NR) {
      for (let p = 0; p < kc; p++, base += bRs, o += NR) {
        P[o] = B[base];
        P[o + 1] = B[base + bCs];
        P[o + 2] = B[base + 2 * bCs];
        P[o + 3] = B[base + 3 * bCs];
      }
    } else {
      for (let p = 0; p < kc; p++, base += bRs, o += NR) {
        for (let c = 0; c < NR; c++) P[o + c] = c < cols ? B[base + c * bCs] : 0;
      }
    }
  }
}

/**
 * The 4×4 micro-kernel: C[c0.., mr×nr] += packed A panel (at pa) · packed B panel (at pb) over kc.
 * Sixteen scalar accumulators (V8 keeps most in registers); float64 accumulation.
 */
function kernel4x4(kc: number, pa: number, pb: number, C: Store, c0: number, ldc: number, mr: number, nr: number): void {
  const A = packedA, B = packedB;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0; p < kc; p++, pa += MR, pb += NR) {
    const a0 = A[pa], a1 = A[pa + 1], a2 = A[pa + 2], a3 = A[pa + 3];
    const b0 = B[pb], b1 = B[pb + 1], b2 = B[pb + 2], b3 = B[pb + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  if (mr === MR && nr === NR) {
    let o = c0;
    C[o] += c00; C[o + 1] += c01; C[o + 2] += c02; C[o + 3] += c03; o += ldc;
    C[o] += c10; C[o + 1] += c11; C[o + 2] += c12; C[o + 3] += c13; o += ldc;
    C[o] += c20; C[o + 1] += c21; C[o + 2] += c22; C[o + 3] += c23; o += ldc;
    C[o] += c30; C[o + 1] += c31; C[o + 2] += c32; C[o + 3] += c33;
    return;
  }
  const t = edge;
  t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03; t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
  t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23; t[12] = c30; t[13] = c31; t[14] = c32; t[15] = c33;
  for (let i = 0; i < mr; i++) for (let j = 0; j < nr; j++) C[c0 + i * ldc + j] += t[i * NR + j];
}

/** C += A·B for operands too thin to fill a micro-tile (m or n below 4): plain strided loops. */
function gemmThin(
  m: number, n: number, k: number, A: Store, aOff: number, aRs: number, aCs: number,
  B: Store, bOff: number, bRs: number, bCs: number, C: Store, cOff: number, ldc: number,
): void {
  if (n < NR) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0, a = aOff + i * aRs, b = bOff + j * bCs; p < k; p++, a += aCs, b += bRs) acc += A[a] * B[b];
        C[cOff + i * ldc + j] += acc;
      }
    }
    return;
  }
  for (let i = 0; i < m; i++) {
    const c = cOff + i * ldc;
    for (let p = 0; p < k; p++) {
      const a = A[aOff + i * aRs + p * aCs];
      const b = bOff + p * bRs;
      for (let j = 0; j < n; j++) C[c + j] += a * B[b + j * bCs];
    }
  }
}

/**
 * C[m×n] += A[m×k]·B[k×n] with arbitrary element strides: A(i,p) = A[aOff + i·aRs + p·aCs],
 * B(p,j) = B[bOff + p·bRs + j·bCs], C(i,j) = C[cOff + i·ldc + j]. Transposed operands are just
 * swapped strides. Packed panels and a 4×4 register tile; accumulation in float64.
 */
export function gemmStrided(
  m: number, n: number, k: number, A: Store, aOff: number, aRs: number, aCs: number,
  B: Store, bOff: number, bRs: number, bCs: number, C: Store, cOff: number, ldc: number,
): void {
  if (m === 0 || n === 0 || k === 0) return;
  if (m < MR || n < NR) {
    gemmThin(m, n, k, A, aOff, aRs, aCs, B, bOff, bRs, bCs, C, cOff, ldc);
    return;
  }
  reserve(Math.min(m, MC), Math.min(n, NC), Math.min(k, KC));
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packB(B, bOff, bRs, bCs, pc, kc, jc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packA(A, aOff, aRs, aCs, ic, mc, pc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          const cCol = cOff + jc + jr;
          for (let ir = 0; ir < mc; ir += MR) {
            kernel4x4(kc, ir * kc, jr * kc, C, cCol + (ic + ir) * ldc, ldc, Math.min(MR, mc - ir), nr);
          }
        }
      }
    }
  }
}

/** C[m×n] += A[m×k]·B[k×n], all row-major with the given offsets. */
export function gemm(
  m: number, n: number, k: number,
  A: Store, aOff: number, B: Store, bOff: number, C: Store, cOff: number,
): void {
  gemmStrided(m, n, k, A, aOff, k, 1, B, bOff, n, 1, C, cOff, n);
}

export function matmul(a: Tensor, b: Tensor, outShape: Shape): JsHandle {
  const out = alloc(a.dtype, outShape);
  const A = values(a), B = values(b);
  // promote 1-D operands
  const as = a.ndim === 1 ? [1, a.shape[0]] : a.shape.slice();
  const bs = b.ndim === 1 ? [b.shape[0], 1] : b.shape.slice();
  const m = as[as.length - 2], k = as[as.length - 1], n = bs[bs.length - 1];
  const batch = outShape.slice(0, Math.max(0, outShape.length - (a.ndim === 1 || b.ndim === 1 ? 1 : 2)));
  const nb = numel(batch);
  const aBatch = as.slice(0, -2), bBatch = bs.slice(0, -2);
  const aStr = batchStrides(aBatch, batch, m * k), bStr = batchStrides(bBatch, batch, k * n);
  const bIdx = contiguousStrides(batch);
  for (let t = 0; t < nb; t++) {
    let ao = 0, bo = 0, rem = t;
    for (let d = 0; d < batch.length; d++) {
      const i = Math.floor(rem / bIdx[d]);
      rem -= i * bIdx[d];
      ao += i * aStr[d];
      bo += i * bStr[d];
    }
    gemm(m, n, k, A, ao, B, bo, out.data, t * m * n);
  }
  return out;
}

/** Strides (in elements) of an operand's batch dims within the broadcast batch shape; 0 where broadcast. */
function batchStrides(own: readonly number[], batch: readonly number[], matSize: number): number[] {
  const lead = batch.length - own.length;
  const st = new Array<number>(batch.length).fill(0);
  let acc = matSize;
  for (let i = own.length - 1; i >= 0; i--) {
    st[lead + i] = own[i] === 1 ? 0 : acc;
    acc *= own[i];
  }
  return st;
}

export function linear(x: Tensor, w: Tensor, b: Tensor | null, outShape: Shape): JsHandle {
  const out = alloc(x.dtype, outShape);
  const inF = w.shape[1], outF = w.shape[0];
  const rows = numel(x.shape) / Math.max(inF, 1);
  const X = values(x);
  // y = x·wᵀ: transpose w once into [in, out] so gemm streams rows
  const W = values(w);
  const Wt = new (W.constructor as new (n: number) => Store)(inF * outF);
  for (let o = 0; o < outF; o++) for (let i = 0; i < inF; i++) Wt[i * outF + o] = W[o * inF + i];
  const Y = out.data;
  if (b) {
    const Bv = values(b);
    for (let r = 0; r < rows; r++) Y.set(Bv as never, r * outF);
  }
  gemm(rows, outF, inF, X, 0, Wt, 0, Y, 0);
  return out;
}
