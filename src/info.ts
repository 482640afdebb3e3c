// Version, backend and thread information (`strata info`), and the thread-count setting.
import { createRequire } from 'node:module';
import { getBackend, loadedBackends } from './backends/registry.js';
import type { BackendInfo } from './backends/backend.js';
import * as cuda from './cuda.js';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
export const VERSION: string = pkg.version;

let threads: number | null = null;

/** Sets the number of threads native kernels use (ATen's intra-op pool). */
export function setNumThreads(n: number): void {
  threads = n;
  for (const b of loadedBackends()) b.setNumThreads(n);
}
export function getNumThreads(): number {
  return threads ?? getBackend().info().threads;
}

export interface CudaInfo {
  available: boolean;
  devices: { index: number; name: string; totalMemory?: number; capability?: string }[];
  /** Why there is no CUDA device (null when there is one). */
  reason: string | null;
}

export interface Info {
  version: string;
  backend: BackendInfo;
  node: string;
  cuda: CudaInfo;
}

/** CUDA devices this build can use, or why there are none. */
export function cudaInfo(): CudaInfo {
  const n = cuda.deviceCount();
  const devices = Array.from({ length: n }, (_, index) => {
    const p = cuda.getDeviceProperties(index);
    return { index, name: p.name, totalMemory: p.totalMemory, capability: p.major === undefined ? undefined : `${p.major}.${p.minor}` };
  });
  return { available: n > 0, devices, reason: cuda.unavailableReason() };
}

/** What `strata info` prints. */
export function info(): Info {
  return { version: VERSION, backend: getBackend().info(), node: process.version, cuda: cudaInfo() };
}
