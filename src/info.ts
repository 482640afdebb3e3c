// Version, backend and thread information (`strata info`), and the thread-count setting.
import { createRequire } from 'node:module';
import { getBackend, loadedBackends } from './backends/registry.js';
import type { BackendInfo } from './backends/backend.js';

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

export interface Info {
  version: string;
  backend: BackendInfo;
  node: string;
}

/** What `strata info` prints. */
export function info(): Info {
  return { version: VERSION, backend: getBackend().info(), node: process.version };
}
