// The TS side of native/src/quantized.cc: int8 tensors (QTensor, a slot the Tensor API never sees),
// packed weights and the engine. Only the native backend has int8 kernels.
import { StrataError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { loadAddon } from '../backends/native/load.js';
import { loadNative, nativeLoadError } from '../backends/native/index.js';
import type { Backend } from '../backends/backend.js';

type Fn = (...args: unknown[]) => any;
let cached: { A: Record<string, Fn>; backend: Backend; engine: string } | null = null;

/** The engines preferred on x86, fastest first (measured: bench/compress.ts). */
const PREFERRED = ['fbgemm', 'x86', 'onednn', 'qnnpack'];

function addon(): { A: Record<string, Fn>; backend: Backend; engine: string } {
  if (cached) return cached;
  const backend = loadNative();
  const A = loadAddon() as unknown as Record<string, Fn> | null;
  if (!backend || !A) throw new StrataError('quantize', `int8 kernels need the native backend: ${nativeLoadError()}`);
  if (typeof A.qEngines !== 'function') throw new StrataError('quantize', 'the native addon has no int8 kernels; rebuild it (npm run build:native)');
  const engines = A.qEngines() as string[];
  const want = process.env.STRATA_QENGINE;
  const engine = want ?? PREFERRED.find((e) => engines.includes(e));
  if (!engine || !engines.includes(engine)) throw new StrataError('quantize', `quantized engine '${engine ?? 'none'}' is not available; this libtorch has: ${engines.join(', ') || 'none'}`);
  A.qSetEngine(engine);
  cached = { A, backend, engine };
  return cached;
}

/** The quantized engines this libtorch has, and the one strata uses (STRATA_QENGINE overrides). */
export function quantizedEngines(): { available: string[]; engine: string } {
  const { A, engine } = addon();
  return { available: A.qEngines() as string[], engine };
}

/** A quantized (quint8, per-tensor affine) activation held by the addon. Free it when done. */
export class QTensor {
  constructor(readonly slot: number, readonly shape: number[]) {}
  free(): void {
    addon().A.free(this.slot);
  }
}

function q(r: number[]): QTensor {
  return new QTensor(r[0], r.slice(1));
}

function call(name: string, ...args: unknown[]): number[] {
  try {
    return addon().A[name](...args) as number[];
  } catch (e) {
    throw new StrataError(name, `int8 kernel failed: ${(e as Error).message}`);
  }
}

function slotOf(t: Tensor): number {
  if (t.backend.name !== 'native') throw new StrataError('quantize', 'int8 kernels run on the native backend; move the tensor there (t.to("native"))');
  return t.handle as number;
}

/** x float → quint8 with (scale, zeroPoint). */
export function quantize(x: Tensor, scale: number, zeroPoint: number): QTensor {
  return q(call('qQuantize', slotOf(x.contiguous()), scale, zeroPoint));
}

/** quint8 → a float32 Tensor. */
export function dequantize(x: QTensor): Tensor {
  const r = call('qDequantize', x.slot);
  return new Tensor(addon().backend, r[0], r.slice(1), 'float32');
}

export const qk = {
  packLinear: (values: Tensor, scales: Tensor, bias: Tensor | null): number =>
    call('qPackLinear', slotOf(values), slotOf(scales), bias ? slotOf(bias) : null) as unknown as number,
  packConv: (values: Tensor, scales: Tensor, bias: Tensor | null, stride: number[], padding: number[], dilation: number[], groups: number): number =>
    call('qPackConv', slotOf(values), slotOf(scales), bias ? slotOf(bias) : null, stride, padding, dilation, groups) as unknown as number,
  freePacked: (id: number): void => void addon().A.qFreePacked(id),
  linear: (x: QTensor, packed: number, scale: number, zp: number, relu: boolean) => q(call('qLinear', x.slot, packed, scale, zp, relu)),
  linearDynamic: (x: Tensor, packed: number, relu: boolean): Tensor => {
    const r = call('qLinearDynamic', slotOf(x), packed, relu);
    return new Tensor(addon().backend, r[0], r.slice(1), 'float32');
  },
  conv2d: (x: QTensor, packed: number, scale: number, zp: number, relu: boolean) => q(call('qConv2d', x.slot, packed, scale, zp, relu)),
  add: (a: QTensor, b: QTensor, scale: number, zp: number, relu: boolean) => q(call('qAdd', a.slot, b.slot, scale, zp, relu)),
  maxPool2d: (x: QTensor, k: number[], s: number[], p: number[], d: number[], ceil: boolean) => q(call('qMaxPool2d', x.slot, k, s, p, d, ceil)),
  avgPool2d: (x: QTensor, k: number[], s: number[], p: number[]) => q(call('qAvgPool2d', x.slot, k, s, p)),
  adaptiveAvgPool2d: (x: QTensor, out: number[]) => q(call('qAdaptiveAvgPool2d', x.slot, out)),
  relu: (x: QTensor) => q(call('qRelu', x.slot)),
  reshape: (x: QTensor, shape: number[]) => q(call('qReshape', x.slot, shape)),
};
