// The native backend: kernels run in the C++ addon over ATen; tensors are slots in the addon's table.
import type { Backend } from '../backend.js';
import { addonError, addonTried, loadAddon } from './load.js';
import { makeNativeBackend } from './kernels.js';

let backend: Backend | null = null;

/** The native backend, loading the addon on first use (when `tryLoad`); null if it cannot load. */
export function loadNative(tryLoad = true): Backend | null {
  if (backend) return backend;
  if (!tryLoad && !addonTried()) return null;
  const addon = loadAddon();
  if (!addon) return null;
  backend = makeNativeBackend(addon);
  return backend;
}

export function nativeLoadError(): string {
  return addonError();
}
