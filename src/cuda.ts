// st.cuda and st.backends: CUDA devices, synchronisation, the caching allocator's memory counters, TF32.
// Tensors reach a GPU with x.to('cuda'), module.to('cuda') or st.setDefaultDevice('cuda').
import { addonFns, cudaDeviceCount, cudaSupport, cudaUnavailableReason } from './backends/native/index.js';
import { getDefaultDevice } from './backends/registry.js';
import { toDevice, type DeviceLike } from './tensor/device.js';
import { StrataError } from './tensor/errors.js';

type Fn = (...args: unknown[]) => unknown;

function cudaFns(op: string): Record<string, Fn> {
  const a = addonFns();
  if (!a || cudaDeviceCount() === 0) throw new StrataError(op, `CUDA is not available: ${cudaUnavailableReason()}`);
  return a;
}

/** The CUDA device index meant by `d` (default: the default device if it is CUDA, else cuda:0). */
function indexOf(op: string, d?: DeviceLike | number): number {
  if (typeof d === 'number') return d;
  const dev = d === undefined ? getDefaultDevice() : toDevice(op, d);
  if (dev.type !== 'cuda') {
    if (d === undefined) return 0;
    throw new StrataError(op, `${dev} is not a CUDA device`);
  }
  return dev.index ?? 0;
}

export interface CudaDeviceProperties {
  name: string;
  /** Bytes of device memory. */
  totalMemory: number;
  /** Compute capability. */
  major?: number;
  minor?: number;
  multiProcessorCount?: number;
}

/** True when the native addon was built with CUDA and a GPU is usable. */
export function isAvailable(): boolean {
  return cudaDeviceCount() > 0;
}
/** Number of usable CUDA devices (0 without CUDA). */
export function deviceCount(): number {
  return cudaDeviceCount();
}
/** Why CUDA is unavailable, with what to do (null when it is available). */
export function unavailableReason(): string | null {
  return cudaDeviceCount() > 0 ? null : cudaUnavailableReason();
}
/** Name, memory and compute capability of a device. */
export function getDeviceProperties(d?: DeviceLike | number): CudaDeviceProperties {
  const op = 'cuda.getDeviceProperties';
  return cudaFns(op).cudaDeviceProperties(indexOf(op, d)) as CudaDeviceProperties;
}
export function getDeviceName(d?: DeviceLike | number): string {
  return getDeviceProperties(d).name;
}
/** Waits until every kernel queued on the device has finished (for timing). */
export function synchronize(d?: DeviceLike | number): void {
  const op = 'cuda.synchronize';
  cudaFns(op).cudaSynchronize(indexOf(op, d));
}

function stats(op: string, d?: DeviceLike | number): number[] {
  if (cudaSupport() !== 'full' && cudaDeviceCount() > 0) {
    throw new StrataError(op, 'memory statistics need an addon built with CUDA\'s headers (scripts/gpu-check.sh builds one)');
  }
  return cudaFns(op).cudaMemoryStats(indexOf(op, d)) as number[];
}
/** Bytes held by tensors on the device (the caching allocator's count, as torch.cuda.memory_allocated). */
export function memoryAllocated(d?: DeviceLike | number): number {
  return stats('cuda.memoryAllocated', d)[0];
}
/** The peak of memoryAllocated since the start or the last resetPeakMemoryStats. */
export function maxMemoryAllocated(d?: DeviceLike | number): number {
  return stats('cuda.maxMemoryAllocated', d)[1];
}
/** Bytes the caching allocator holds from the driver (as torch.cuda.memory_reserved). */
export function memoryReserved(d?: DeviceLike | number): number {
  return stats('cuda.memoryReserved', d)[2];
}
export function maxMemoryReserved(d?: DeviceLike | number): number {
  return stats('cuda.maxMemoryReserved', d)[3];
}
export function resetPeakMemoryStats(d?: DeviceLike | number): void {
  const op = 'cuda.resetPeakMemoryStats';
  cudaFns(op).cudaResetPeakMemoryStats(indexOf(op, d));
}
/** Returns the caching allocator's unused blocks to the driver (other processes can then use them). */
export function emptyCache(): void {
  const a = addonFns();
  if (a && cudaDeviceCount() > 0) a.cudaEmptyCache();
}

function tf32(matmul: boolean | null, cudnn: boolean | null): [boolean, boolean] {
  const a = addonFns();
  if (!a || typeof a.setAllowTF32 !== 'function') return [false, true];
  return a.setAllowTF32(matmul, cudnn) as [boolean, boolean];
}

/**
 * PyTorch's switches for TensorFloat-32 (10-bit mantissa) math on Ampere and newer GPUs, with PyTorch's
 * defaults: off for matmuls, on for cuDNN convolutions.
 * @example st.backends.cuda.matmul.allowTF32 = true;
 */
export const backends = {
  cuda: {
    matmul: {
      get allowTF32(): boolean { return tf32(null, null)[0]; },
      set allowTF32(on: boolean) { tf32(on, null); },
    },
  },
  cudnn: {
    get allowTF32(): boolean { return tf32(null, null)[1]; },
    set allowTF32(on: boolean) { tf32(null, on); },
  },
};
