// The native backend's kernels: each forwards to one addon function with slot numbers and plain values.
import { availableParallelism } from 'node:os';
import type { ActivationOp, Backend, BackendInfo, BinaryOp, ReduceOp, Reduction, UnaryOp } from '../backend.js';
import type { DType, TypedArray } from '../../tensor/dtype.js';
import { StrataError } from '../../tensor/errors.js';
import type { Shape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Addon } from './load.js';
import type { Device } from '../../tensor/device.js';

const DTYPE_CODE: Record<DType, number> = { float32: 0, float64: 1, int32: 2, int64: 3, bool: 4, bfloat16: 5, float16: 6 };
const DEVICE_CODE = { cpu: 0, cuda: 1 } as const;
const REDUCE_CODE: Record<ReduceOp, number> = { sum: 0, mean: 1, prod: 2, amax: 3, amin: 4, all: 5, any: 6 };
const REDUCTION_CODE: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };

type Slot = number;

/** Rethrows an addon exception as a StrataError naming the kernel. */
function fail(kernel: string, e: unknown): never {
  if (e instanceof StrataError) throw e;
  const msg = e instanceof Error ? e.message : String(e);
  throw new StrataError(kernel, `native kernel failed: ${msg}`);
}

function codes(list: unknown, what: string): Map<string, number> {
  if (!Array.isArray(list)) throw new StrataError('native', `the addon does not list its ${what}; rebuild it (npm run build:native)`);
  return new Map(list.map((n: string, i: number) => [n, i]));
}

/** The kernels of `addon` for tensors on `device` (one backend object per device; see Backend.device). */
export function makeNativeBackend(addon: Addon, device: Device): Backend {
  const A = addon as unknown as Record<string, (...args: unknown[]) => any>;
  const devType = DEVICE_CODE[device.type];
  const devIndex = device.index ?? 0;
  const unaryCode = codes(A.unaryOps, 'unary ops');
  const binaryCode = codes(A.binaryOps, 'binary ops');
  const actCode = codes(A.activationOps, 'activation ops');
  const s = (t: Tensor): Slot => t.handle as Slot;
  const os = (t: Tensor | null): Slot | null => (t ? (t.handle as Slot) : null);
  const opSlot = (v: Tensor | number): Slot => (typeof v === 'number' ? -1 : (v.handle as Slot));
  const opNum = (v: Tensor | number): number => (typeof v === 'number' ? v : 0);
  /** Calls a kernel that may throw, translating the error. */
  const call = <R>(name: string, ...args: unknown[]): R => {
    try {
      return A[name](...args) as R;
    } catch (e) {
      fail(name, e);
    }
  };

  if (device.type === 'cpu') {
    const envThreads = Number(process.env.STRATA_THREADS);
    A.setNumThreads(Number.isInteger(envThreads) && envThreads > 0 ? envThreads : availableParallelism());
  }

  const b: Backend = {
    name: 'native',
    device,
    info(): BackendInfo {
      const i = A.info() as { version: string; threads: number; parallel: string; cuda: boolean };
      const par = /ATen parallel backend: (\S+)/.exec(i.parallel)?.[1] ?? 'unknown';
      if (device.type === 'cuda') return { name: 'native', atenVersion: i.version, threads: i.threads, detail: `ATen CUDA kernels on ${device}` };
      return { name: 'native', atenVersion: i.version, threads: i.threads, detail: `ATen CPU kernels, ${par} thread pool${i.cuda ? ', CUDA available' : ''}` };
    },
    setNumThreads(n: number) {
      call('setNumThreads', n);
    },
    stats() {
      const [tensors, bytes] = A.stats() as [number, number];
      return { tensors, bytes };
    },

    fromData: (data: TypedArray, shape: Shape, dtype: DType) => call('fromData', data, shape, DTYPE_CODE[dtype], devType, devIndex),
    read: (x) => call('read', s(x)),
    free: (h) => A.free(h as Slot),
    trackExternal: (hs) => A.trackExternal(hs as Slot[]),
    full: (shape, value, dtype) => call('full', shape, value, DTYPE_CODE[dtype], devType, devIndex),
    cast: (x, dtype) => call('cast', s(x), DTYPE_CODE[dtype]),
    contiguous: (x) => call('contiguous', s(x)),
    toDevice: (x, to, nonBlocking) => call('toDevice', s(x), DEVICE_CODE[to.type], to.index ?? 0, nonBlocking),
    pinMemory: (x) => call('pinMemory', s(x)),
    isPinned: (x) => call('isPinned', s(x)),

    view: (x, shape) => call('view', s(x), shape),
    permute: (x, dims) => call('permute', s(x), dims),
    expand: (x, shape) => call('expand', s(x), shape),
    slice: (x, dim, start, end, step) => call('slice', s(x), dim, start, end, step),

    copy_: (dst, src) => call('copy_', s(dst), s(src)),
    fill_: (dst, v) => call('fill_', s(dst), v),
    add_: (dst, src, alpha) => call('add_', s(dst), opSlot(src), opNum(src), alpha),
    mul_: (dst, v) => call('mul_', s(dst), opSlot(v), opNum(v)),

    unary(op: UnaryOp, x, outDtype) {
      try {
        return A.unary(unaryCode.get(op), x.handle, DTYPE_CODE[outDtype]);
      } catch (e) {
        fail(op, e);
      }
    },
    binary(op: BinaryOp, a, bb, _shape, outDtype) {
      try {
        return A.binary(binaryCode.get(op), opSlot(a), opNum(a), opSlot(bb), opNum(bb), DTYPE_CODE[outDtype]);
      } catch (e) {
        fail(op, e);
      }
    },
    where: (cond, a, bb, _shape, outDtype) => call('where', s(cond), opSlot(a), opNum(a), opSlot(bb), opNum(bb), DTYPE_CODE[outDtype]),
    clamp: (x, min, max) => call('clamp', s(x), min, max),
    leakyRelu: (x, slope) => call('leakyRelu', s(x), slope),
    elu: (x, alpha) => call('elu', s(x), alpha),
    softplus: (x, beta, threshold) => call('softplus', s(x), beta, threshold),
    activationBackward: (op: ActivationOp, g, saved) => call('activationBackward', actCode.get(op), s(g), s(saved)),
    leakyReluBackward: (g, x, slope) => call('leakyReluBackward', s(g), s(x), slope),
    eluBackward: (g, x, alpha) => call('eluBackward', s(g), s(x), alpha),
    softplusBackward: (g, x, beta, threshold) => call('softplusBackward', s(g), s(x), beta, threshold),

    reduce: (op, x, dims, keepdim, outDtype) => call('reduce', REDUCE_CODE[op], s(x), dims, keepdim, DTYPE_CODE[outDtype]),
    variance: (x, dims, correction, keepdim) => call('variance', s(x), dims, correction, keepdim),
    reduceWithIndex: (op, x, dim, keepdim) => call('reduceWithIndex', op === 'max' ? 0 : 1, s(x), dim, keepdim),
    logsumexp: (x, dims, keepdim) => call('logsumexp', s(x), dims, keepdim),
    cumsum: (x, dim, outDtype) => call('cumsum', s(x), dim, DTYPE_CODE[outDtype]),
    topk: (x, k, dim, largest, sorted) => call('topk', s(x), k, dim, largest, sorted),
    sort: (x, dim, descending) => call('sort', s(x), dim, descending),
    valueSelectingBackward: (g, dim, indices, shape, keepdim) => call('valueSelectingBackward', s(g), dim, s(indices), shape, keepdim),
    softmax: (x, dim, log) => call('softmax', s(x), dim, log),
    softmaxBackward: (g, y, dim, log) => call('softmaxBackward', s(g), s(y), dim, log),

    matmul: (a, bb) => call('matmul', s(a), s(bb)),
    linear: (x, w, bias) => call('linear', s(x), s(w), os(bias)),

    cat: (xs, dim) => call('cat', xs.map(s), dim),
    indexSelect: (x, dim, index) => call('indexSelect', s(x), dim, s(index)),
    gather: (x, dim, index) => call('gather', s(x), dim, s(index)),
    scatterAdd: (x, dim, index, src) => call('scatterAdd', s(x), dim, s(index), s(src)),
    indexAdd: (x, dim, index, src) => call('indexAdd', s(x), dim, s(index), s(src)),
    flip: (x, dims) => call('flip', s(x), dims),
    pad: (x, pads, value) => call('pad', s(x), pads, value),

    convolution: (x, w, bias, stride, padding, dilation, transposed, outputPadding, groups) =>
      call('convolution', s(x), s(w), os(bias), stride, padding, dilation, transposed, outputPadding, groups),
    convolutionBackward: (gy, x, w, stride, padding, dilation, transposed, outputPadding, groups, mask) =>
      call('convolutionBackward', s(gy), s(x), s(w), stride, padding, dilation, transposed, outputPadding, groups, mask),
    maxPool2d: (x, kernel, stride, padding, dilation, ceilMode) => call('maxPool2d', s(x), kernel, stride, padding, dilation, ceilMode),
    maxPool2dBackward: (gy, x, indices, kernel, stride, padding, dilation, ceilMode) =>
      call('maxPool2dBackward', s(gy), s(x), s(indices), kernel, stride, padding, dilation, ceilMode),
    avgPool2d: (x, kernel, stride, padding, ceilMode, countIncludePad, divisorOverride) =>
      call('avgPool2d', s(x), kernel, stride, padding, ceilMode, countIncludePad, divisorOverride),
    avgPool2dBackward: (gy, x, kernel, stride, padding, ceilMode, countIncludePad, divisorOverride) =>
      call('avgPool2dBackward', s(gy), s(x), kernel, stride, padding, ceilMode, countIncludePad, divisorOverride),
    adaptiveAvgPool2d: (x, outputSize) => call('adaptiveAvgPool2d', s(x), outputSize),
    adaptiveAvgPool2dBackward: (gy, x) => call('adaptiveAvgPool2dBackward', s(gy), s(x)),

    batchNorm: (x, w, bias, rm, rv, training, momentum, eps) => call('batchNorm', s(x), os(w), os(bias), os(rm), os(rv), training, momentum, eps),
    batchNormBackward: (gy, x, w, rm, rv, sm, si, training, eps, mask) =>
      call('batchNormBackward', s(gy), s(x), os(w), os(rm), os(rv), s(sm), s(si), training, eps, mask),
    layerNorm: (x, shape, w, bias, eps) => call('layerNorm', s(x), shape, os(w), os(bias), eps),
    layerNormBackward: (gy, x, shape, mean, rstd, w, bias, mask) => call('layerNormBackward', s(gy), s(x), shape, s(mean), s(rstd), os(w), os(bias), mask),
    groupNorm: (x, w, bias, groups, eps) => call('groupNorm', s(x), os(w), os(bias), groups, eps),
    groupNormBackward: (gy, x, mean, rstd, w, groups, mask) => call('groupNormBackward', s(gy), s(x), s(mean), s(rstd), os(w), groups, mask),

    nllLoss: (logp, target, weight, reduction, ignoreIndex) => call('nllLoss', s(logp), s(target), os(weight), REDUCTION_CODE[reduction], ignoreIndex),
    nllLossBackward: (g, logp, target, weight, reduction, ignoreIndex, totalWeight) =>
      call('nllLossBackward', s(g), s(logp), s(target), os(weight), REDUCTION_CODE[reduction], ignoreIndex, s(totalWeight)),
    embeddingBackward: (g, indices, numWeights, paddingIdx) => call('embeddingBackward', s(g), s(indices), numWeights, paddingIdx),
    bernoulli: (shape, p, dtype, seed) => call('bernoulli', shape, p, DTYPE_CODE[dtype], seed, devType, devIndex),

    lstmForward: (x, h0, c0, wIh, wHh, bIh, bHh, mask, reverse) => call('lstmForward', s(x), s(h0), s(c0), s(wIh), s(wHh), os(bIh), os(bHh), os(mask), reverse),
    lstmBackward: (dOut, dhN, dcN, x, wIh, wHh, hAll, cAll, gates, mask, reverse, n) =>
      call('lstmBackward', s(dOut), s(dhN), s(dcN), s(x), s(wIh), s(wHh), s(hAll), s(cAll), s(gates), os(mask), reverse, n.input, n.weights, n.bias),
    gruForward: (x, h0, wIh, wHh, bIh, bHh, mask, reverse) => call('gruForward', s(x), s(h0), s(wIh), s(wHh), os(bIh), os(bHh), os(mask), reverse),
    gruBackward: (dOut, dhN, x, wIh, wHh, hAll, gates, hpn, mask, reverse, n) =>
      call('gruBackward', s(dOut), s(dhN), s(x), s(wIh), s(wHh), s(hAll), s(gates), s(hpn), os(mask), reverse, n.input, n.weights, n.bias),
    rnnForward: (x, h0, wIh, wHh, bIh, bHh, mask, reverse, relu) => call('rnnForward', s(x), s(h0), s(wIh), s(wHh), os(bIh), os(bHh), os(mask), reverse, relu),
    rnnBackward: (dOut, dhN, x, wIh, wHh, hAll, mask, reverse, relu, n) =>
      call('rnnBackward', s(dOut), s(dhN), s(x), s(wIh), s(wHh), s(hAll), os(mask), reverse, relu, n.input, n.weights, n.bias),

    dropout: (x, p, seed) => call('dropout', s(x), p, seed),

    attention: (q, k, v, mask, causal, scale, dropoutP, seed, needWeights) =>
      call('attention', s(q), s(k), s(v), os(mask), causal, scale, dropoutP, seed, needWeights),
    attentionBackward: (gOut, gW, q, k, v, probs, scale, causal, dropoutP, seed, wantScores) =>
      call('attentionBackward', s(gOut), os(gW), s(q), s(k), s(v), s(probs), scale, causal, dropoutP, seed, wantScores),

    adamStep: (p, g, m, v, vMax, o) =>
      call('adamStep', s(p), s(g), s(m), s(v), os(vMax), o.lr, o.beta1, o.beta2, o.eps, o.weightDecay, o.decoupled, o.step, o.maximize),
    sgdStep: (p, g, buf, o) =>
      call('sgdStep', s(p), s(g), os(buf), o.lr, o.momentum, o.dampening, o.nesterov, o.weightDecay, o.firstStep, o.maximize),
  };
  return b;
}
