// The native backend: kernels run in the C++ addon over ATen; tensors are slots in the addon's table.
// One backend object per device: the CPU one, and one for each CUDA device used.
import type { Backend } from '../backend.js';
import { CPU, type Device } from '../../tensor/device.js';
import { addonError, addonTried, loadAddon, type Addon } from './load.js';
import { makeNativeBackend } from './kernels.js';

let backend: Backend | null = null;
const onDevice = new Map<string, Backend>();

/** The native backend on the CPU, loading the addon on first use (when `tryLoad`); null if it cannot load. */
export function loadNative(tryLoad = true): Backend | null {
  if (backend) return backend;
  if (!tryLoad && !addonTried()) return null;
  const addon = loadAddon();
  if (!addon) return null;
  backend = makeNativeBackend(addon, CPU);
  return backend;
}

/** The native kernels on `device` (resolved: cuda:N); the addon must load. */
export function nativeOnDevice(device: Device): Backend {
  const cpu = loadNative();
  if (!cpu) throw new Error(`native backend unavailable: ${addonError()}`);
  if (device.type === 'cpu') return cpu;
  const key = device.toString();
  let b = onDevice.get(key);
  if (!b) {
    b = makeNativeBackend(loadAddon()!, device);
    onDevice.set(key, b);
  }
  return b;
}

export function nativeLoadError(): string {
  return addonError();
}

type Fn = (...args: unknown[]) => unknown;
/** The addon's functions, or null when it does not load. */
export function addonFns(): Record<string, Fn> | null {
  const a: Addon | null = loadNative() ? loadAddon() : null;
  return a as unknown as Record<string, Fn> | null;
}

/** CUDA devices the addon can use (0 without the addon, a CUDA libtorch, a driver or a GPU). */
export function cudaDeviceCount(): number {
  const a = addonFns();
  if (!a || typeof a.cudaDeviceCount !== 'function') return 0;
  return a.cudaDeviceCount() as number;
}

/** How the addon was built: 'none' (CPU libtorch), 'lite' (CUDA without its headers), 'full'. */
export function cudaSupport(): 'none' | 'lite' | 'full' {
  const a = addonFns();
  if (!a || typeof a.cudaSupport !== 'function') return 'none';
  return a.cudaSupport() as 'none' | 'lite' | 'full';
}

/** Why there is no CUDA device, with what to do about it. */
export function cudaUnavailableReason(): string {
  const a = addonFns();
  if (!a) return `the native backend is not available (${addonError()})`;
  if (cudaSupport() === 'none') {
    return 'the native addon was built against a libtorch without CUDA (Debian\'s libtorch-dev is CPU-only). ' +
      'Build it against a CUDA PyTorch: LIBTORCH=$(python3 -c "import torch,os;print(os.path.dirname(torch.__file__))") npm run build:native ' +
      '(or run scripts/gpu-check.sh on a machine with an NVIDIA GPU)';
  }
  return 'the addon has CUDA support but found no usable GPU (check nvidia-smi and the driver, and CUDA_VISIBLE_DEVICES)';
}
