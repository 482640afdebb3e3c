// Which backend new tensors go to: `setBackend('native' | 'js')`, `setDefaultDevice('cuda')`, or STRATA_BACKEND
// and STRATA_DEVICE; native falls back to js. One backend object per (kernel library, device).
import type { Backend, BackendName } from './backend.js';
import { StrataError } from '../tensor/errors.js';
import { CPU, Device, toDevice, type DeviceLike } from '../tensor/device.js';
import { _wireBackends } from '../tensor/memory.js';
import { _wirePrintDefault } from '../tensor/print.js';
import { jsBackend } from './js/index.js';
import { addonFns, cudaDeviceCount, cudaUnavailableReason, loadNative, nativeLoadError, nativeOnDevice } from './native/index.js';

let current: Backend | null = null;
let defaultDevice: Device | null = null;
let warned = false;
const FIX = 'bash setup.sh (or: npm run build:native, with libtorch-dev or PyTorch installed)';

/** The device named by STRATA_DEVICE (STRATA_TEST_DEVICE for the test suite), else the CPU. */
function envDevice(): Device {
  const env = process.env.STRATA_DEVICE || process.env.STRATA_TEST_DEVICE;
  if (!env) return CPU;
  if (env === 'auto') return cudaDeviceCount() > 0 ? new Device('cuda', 0) : CPU;
  return toDevice('STRATA_DEVICE', env);
}

/** The native kernels on `device`; throws naming `op` when that device cannot be had. */
export function nativeBackendOn(op: string, d: DeviceLike): Backend {
  const dev = toDevice(op, d).resolved();
  const base = loadNative();
  if (!base) throw new StrataError(op, `the native backend is not available (${nativeLoadError()}); build it with: ${FIX}`);
  if (dev.type === 'cpu') return base;
  const n = cudaDeviceCount();
  if (n === 0) throw new StrataError(op, `CUDA is not available: ${cudaUnavailableReason()}`);
  if (dev.index! >= n) throw new StrataError(op, `${dev} does not exist: this machine has ${n} CUDA device(s) (cuda:0${n > 1 ? `…cuda:${n - 1}` : ''})`);
  // NOTE: the test suite on a GPU (STRATA_TEST_DEVICE=cuda) compares CUDA results with CPU float32 ones at
  // float32 tolerances, so it turns TensorFloat-32 off, as PyTorch's own test suite does.
  if (process.env.STRATA_TEST_DEVICE && !tf32Checked) {
    tf32Checked = true;
    addonFns()?.setAllowTF32(false, false);
  }
  return nativeOnDevice(dev);
}
let tf32Checked = false;

/** The backend of this name (native: on the default device); throws if native cannot be loaded. */
export function backendByName(name: BackendName): Backend {
  if (name === 'js') return jsBackend;
  if (name === 'native') return nativeBackendOn('setBackend', getDefaultDevice());
  throw new StrataError('setBackend', `unknown backend ${JSON.stringify(name)}; expected 'native' or 'js'`);
}

/**
 * The backend for tensors on `device`: the CPU of `like`'s kernel library (js stays js), or the native
 * kernels on a CUDA device (the js backend has the CPU only).
 */
export function backendForDevice(op: string, d: DeviceLike, like: Backend = getBackend()): Backend {
  const dev = toDevice(op, d);
  if (dev.type === 'cpu') return like.name === 'js' ? jsBackend : nativeBackendOn(op, CPU);
  return nativeBackendOn(op, dev);
}

/** Chooses the backend for new tensors. */
export function setBackend(name: BackendName): void {
  current = backendByName(name);
}

/** The device new tensors are created on (`st.setDefaultDevice`, or STRATA_DEVICE). */
export function getDefaultDevice(): Device {
  defaultDevice ??= envDevice();
  return defaultDevice;
}

/**
 * Makes `device` the default for new tensors, as torch.set_default_device: 'cuda' / 'cuda:N' select the
 * native kernels on that GPU; 'cpu' the CPU of the current kernel library.
 */
export function setDefaultDevice(d: DeviceLike): void {
  const dev = toDevice('setDefaultDevice', d).resolved();
  const like = current ?? getBackend();
  current = backendForDevice('setDefaultDevice', dev, like);
  defaultDevice = dev;
}

/** The backend new tensors are created on. */
export function getBackend(): Backend {
  if (current) return current;
  const env = process.env.STRATA_BACKEND;
  if (env === 'js' || env === 'native') {
    current = backendByName(env);
    return current;
  }
  if (env) throw new StrataError('STRATA_BACKEND', `unknown backend ${JSON.stringify(env)}; expected 'native' or 'js'`);
  const dev = getDefaultDevice();
  if (dev.type === 'cuda') {
    current = nativeBackendOn('STRATA_DEVICE', dev);
    return current;
  }
  const native = loadNative();
  if (native) {
    current = native;
  } else {
    if (!warned) {
      warned = true;
      process.emitWarning(`strata: native backend unavailable (${nativeLoadError()}); using the slower js backend. To fix: ${FIX}`);
    }
    current = jsBackend;
  }
  return current;
}

/** Backends that have been loaded (for memory()); the native kernels on every device share one count. */
export function loadedBackends(): Backend[] {
  const out: Backend[] = [jsBackend];
  const n = loadNative(false);
  if (n) out.push(n);
  return out;
}

_wireBackends(loadedBackends);
_wirePrintDefault(() => getBackend());
