// Which backend new tensors go to: `setBackend('native' | 'js')`, or STRATA_BACKEND; native falls back to js.
import type { Backend, BackendName } from './backend.js';
import { StrataError } from '../tensor/errors.js';
import { _wireBackends } from '../tensor/memory.js';
import { _wirePrintDefault } from '../tensor/print.js';
import { jsBackend } from './js/index.js';
import { loadNative, nativeLoadError } from './native/index.js';

let current: Backend | null = null;
let warned = false;
const FIX = 'bash setup.sh (or: npm run build:native, with libtorch-dev or PyTorch installed)';

/** The backend of this name; throws if native cannot be loaded. */
export function backendByName(name: BackendName): Backend {
  if (name === 'js') return jsBackend;
  if (name === 'native') {
    const b = loadNative();
    if (!b) throw new StrataError('setBackend', `the native backend is not available (${nativeLoadError()}); build it with: ${FIX}`);
    return b;
  }
  throw new StrataError('setBackend', `unknown backend ${JSON.stringify(name)}; expected 'native' or 'js'`);
}

/** Chooses the backend for new tensors. */
export function setBackend(name: BackendName): void {
  current = backendByName(name);
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

/** Backends that have been loaded (for memory()). */
export function loadedBackends(): Backend[] {
  const out: Backend[] = [jsBackend];
  const n = loadNative(false);
  if (n) out.push(n);
  return out;
}

_wireBackends(loadedBackends);
_wirePrintDefault(() => getBackend().name);
