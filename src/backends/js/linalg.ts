// js kernels: matrix multiplication (cache-blocked, batched with broadcasting) and the linear layer.
import type { Shape } from '../../tensor/shape.js';
import { contiguousStrides, numel } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { alloc, values, type JsHandle, type Store } from './storage.js';

const KB = 256; // k-block: a panel of B rows that stays in L2
const JB = 512; // j-block: the part of a C row updated per pass

/**
 * C[m×n] += A[m×k]·B[k×n], all row-major with the given offsets; i-k-j order so the innermost loop
 * streams contiguous rows of B and C, blocked over k and j to stay in cache.
 */
export function gemm(
  m: number, n: number, k: number,
  A: Store, aOff: number, B: Store, bOff: number, C: Store, cOff: number,
): void {
  for (let j0 = 0; j0 < n; j0 += JB) {
    const j1 = Math.min(n, j0 + JB);
    for (let k0 = 0; k0 < k; k0 += KB) {
      const k1 = Math.min(k, k0 + KB);
      for (let i = 0; i < m; i++) {
        const cRow = cOff + i * n;
        const aRow = aOff + i * k;
        let kk = k0;
        // four rows of B per pass: fewer loads and stores of C
        for (; kk + 3 < k1; kk += 4) {
          const a0 = A[aRow + kk], a1 = A[aRow + kk + 1], a2 = A[aRow + kk + 2], a3 = A[aRow + kk + 3];
          const b0 = bOff + kk * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
          for (let j = j0; j < j1; j++) {
            C[cRow + j] += a0 * B[b0 + j] + a1 * B[b1 + j] + a2 * B[b2 + j] + a3 * B[b3 + j];
          }
        }
        for (; kk < k1; kk++) {
          const a = A[aRow + kk];
          const b0 = bOff + kk * n;
          for (let j = j0; j < j1; j++) C[cRow + j] += a * B[b0 + j];
        }
      }
    }
  }
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
