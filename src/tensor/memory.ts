// Deterministic release of tensor storage: scopes (`tidy`), `keep`, a finalizer as safety net, and `memory()`.
import type { Backend, Handle } from '../backends/backend.js';
import { ITEMSIZE } from './dtype.js';
import { StrataError } from './errors.js';
import type { Tensor } from './tensor.js';

interface Scope {
  tensors: Tensor[];
  parent: Scope | null;
}

let current: Scope | null = null;
let liveTensors = 0;
let created = 0;

interface Holding { backend: Backend; handle: Handle }

// NOTE: the finalizer is a safety net for tensors created outside any scope; it runs some time after
// the garbage collector finds the tensor unreachable. Scopes and dispose() release at once.
const registry = new FinalizationRegistry<Holding>((h) => {
  liveTensors--;
  h.backend.free(h.handle);
});

// NOTE: registering with a FinalizationRegistry (and unregistering on dispose) costs about 0.4 µs,
// a third of a small op. Tensors outside any scope wait in `pending` and are registered in batches
// (at 256, or on the next turn of the event loop), so those disposed soon after creation never pay.
const pending: Tensor[] = [];
let flushScheduled = false;

// NOTE: the same flush tells a backend with storage outside the JS heap (native) how much memory the
// finalizer now holds, so the garbage collector feels its pressure; memory that scopes and dispose()
// free deterministically is never reported (it only made V8 run full collections that found nothing).
function flushPending(): void {
  let handles: Map<Backend, Handle[]> | null = null;
  let external = 0, count = 0;
  for (const t of pending) {
    if (!t.isDisposed && t._scope === null && !t._finalized) {
      registry.register(t, { backend: t.backend, handle: t._handle }, t);
      t._finalized = true;
      if (t.backend.trackExternal) {
        external += t.numel * ITEMSIZE[t.dtype];
        count++;
        handles ??= new Map();
        const hs = handles.get(t.backend);
        if (hs) hs.push(t._handle);
        else handles.set(t.backend, [t._handle]);
      }
    }
  }
  pending.length = 0;
  if (handles) for (const [b, hs] of handles) b.trackExternal!(hs);
  if (count > 0) noteHeldSinceTurn(external, count);
}

// NOTE: FinalizationRegistry callbacks run only when the event loop turns (V8 posts them as tasks), so
// a synchronous loop that leaves native tensors to the finalizer frees none of them however often the
// collector runs: a PyTorch-style MLP loop without tidy grew by ~0.68 GB per 1,000 steps. Nothing can
// free them before the loop yields; strata warns once when that backlog passes both `backlogWarnBytes`
// and `backlogWarnTensors` (many tensors: a loop, not a data set loaded before the first await).
let heldSinceTurn = 0;
let heldTensorsSinceTurn = 0;
let backlogWarned = false;
let backlogWarnBytes = 256 * 2 ** 20;
let backlogWarnTensors = 4096;

function noteHeldSinceTurn(bytes: number, tensors: number): void {
  heldSinceTurn += bytes;
  heldTensorsSinceTurn += tensors;
  if (backlogWarned || heldSinceTurn < backlogWarnBytes || heldTensorsSinceTurn < backlogWarnTensors) return;
  backlogWarned = true;
  // NOTE: emitted at once (not through process.emitWarning, which waits for the synchronous loop to end)
  const w = Object.assign(new Error(
    `${(heldSinceTurn / 2 ** 20).toFixed(0)} MiB in ${heldTensorsSinceTurn} native tensors made outside st.tidy() wait for the garbage collector's finalizers, ` +
    'which run only when the event loop turns, so this synchronous loop frees none of them and memory keeps growing. ' +
    'Wrap each step in st.tidy(() => ...), dispose() tensors, or yield between steps (await new Promise(setImmediate)).',
  ), { name: 'Warning', code: 'STRATA_FINALIZER_BACKLOG' });
  process.emit('warning', w);
}

/** @internal for tests: the backlog that triggers the warning, and re-arming it. */
export function _setBacklogWarning(bytes = 256 * 2 ** 20, tensors = 4096): void {
  backlogWarnBytes = bytes;
  backlogWarnTensors = tensors;
  backlogWarned = false;
  heldSinceTurn = 0;
  heldTensorsSinceTurn = 0;
}

function onTurn(): void {
  flushScheduled = false;
  heldSinceTurn = 0;
  heldTensorsSinceTurn = 0;
  flushPending();
}

function toFinalizer(t: Tensor): void {
  pending.push(t);
  if (pending.length >= 256) flushPending();
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(onTurn).unref();
  }
}

/** Called by Tensor's constructor: the tensor belongs to the innermost scope, or to the finalizer. */
export function track(t: Tensor): void {
  liveTensors++;
  created++;
  if (current) {
    t._scope = current;
    current.tensors.push(t);
  } else {
    toFinalizer(t);
  }
}

/** Called after a tensor's storage moved in place (Tensor._rebind): the finalizer must free the new handle. */
export function rebound(t: Tensor): void {
  if (t._finalized) {
    registry.unregister(t);
    t._finalized = false;
  }
  if (t._scope === null) toFinalizer(t);
}

/** Called by Tensor.dispose(). */
export function untrack(t: Tensor): void {
  liveTensors--;
  if (t._finalized) {
    registry.unregister(t);
    t._finalized = false;
    // disposed by hand after all: no longer waiting for a finalizer
    if (t.backend.trackExternal && heldTensorsSinceTurn > 0) {
      heldSinceTurn = Math.max(0, heldSinceTurn - t.numel * ITEMSIZE[t.dtype]);
      heldTensorsSinceTurn--;
    }
  }
}

function adoptIntoParent(t: Tensor, parent: Scope | null): void {
  t._scope = parent;
  if (parent) parent.tensors.push(t);
  else toFinalizer(t);
}

/** Anything a scope may return: tensors, arrays and plain objects of them, or other values. */
function collectTensors(x: unknown, out: Set<Tensor>, isTensor: (v: unknown) => v is Tensor, depth = 0): void {
  if (depth > 8 || x === null || typeof x !== 'object') return;
  if (isTensor(x)) {
    out.add(x);
    return;
  }
  if (Array.isArray(x)) {
    for (const v of x) collectTensors(v, out, isTensor, depth + 1);
  } else if (x instanceof Map) {
    for (const v of x.values()) collectTensors(v, out, isTensor, depth + 1);
  } else if (Object.getPrototypeOf(x) === Object.prototype) {
    for (const v of Object.values(x as Record<string, unknown>)) collectTensors(v, out, isTensor, depth + 1);
  }
}

let isTensorFn: (v: unknown) => v is Tensor = (v): v is Tensor => false;
let graphSavedFn: (roots: Iterable<Tensor>) => Iterable<Tensor> = () => [];
/** @internal wiring set by tensor.ts and the autograd engine, so this module imports neither. */
export function _wire(isTensor: (v: unknown) => v is Tensor, graphSaved: (roots: Iterable<Tensor>) => Iterable<Tensor>): void {
  isTensorFn = isTensor;
  graphSavedFn = graphSaved;
}

/**
 * Runs `fn` and disposes every tensor created inside it, except those it returns (tensors, or arrays
 * and plain objects of tensors) and the tensors their autograd graph saved for backward.
 * @example const loss = st.tidy(() => model.forward(x).sub(y).square().mean());
 */
export function tidy<R>(fn: () => R): R {
  const scope: Scope = { tensors: [], parent: current };
  current = scope;
  let result: R;
  try {
    result = fn();
  } catch (e) {
    current = scope.parent;
    releaseScope(scope, new Set());
    throw e;
  }
  current = scope.parent;
  if (result instanceof Promise) {
    releaseScope(scope, new Set());
    throw new StrataError('tidy', 'the function returned a Promise; scopes are synchronous. Await outside tidy(), or dispose tensors with dispose()/using');
  }
  const kept = new Set<Tensor>();
  collectTensors(result, kept, isTensorFn);
  for (const t of [...kept]) if (t.gradFn) for (const s of graphSavedFn([t])) kept.add(s);
  releaseScope(scope, kept);
  return result;
}

function releaseScope(scope: Scope, kept: Set<Tensor>): void {
  for (const t of scope.tensors) {
    if (t._scope !== scope || t.isDisposed) continue;
    if (kept.has(t)) adoptIntoParent(t, scope.parent);
    else t.dispose();
  }
  scope.tensors.length = 0;
}

/** Exempts tensors from disposal by the scopes they were made in (module parameters, optimizer state). */
export function keep<T>(x: T): T {
  const found = new Set<Tensor>();
  collectTensors(x, found, isTensorFn);
  for (const t of found) {
    if (t._scope !== null && !t.isDisposed) {
      t._scope = null;
      toFinalizer(t);
    }
  }
  return x;
}

/** @internal the innermost scope, as an opaque token (null outside any). */
export function currentScope(): object | null {
  return current;
}

/** True while inside `tidy()`. */
export function inScope(): boolean {
  return current !== null;
}

export interface MemoryInfo {
  /** Tensors created and not yet disposed or collected. */
  tensors: number;
  /** Bytes of tensor storage alive on each backend that has been loaded. */
  bytes: number;
  backends: Record<string, { tensors: number; bytes: number }>;
  /** Tensors created since the process started. */
  created: number;
}

let backendsFn: () => Backend[] = () => [];
/** @internal */
export function _wireBackends(f: () => Backend[]): void {
  backendsFn = f;
}

/** Live tensors and bytes (as `tf.memory()`): what a training loop must keep flat. */
export function memory(): MemoryInfo {
  const backends: MemoryInfo['backends'] = {};
  let bytes = 0;
  for (const b of backendsFn()) {
    const s = b.stats();
    backends[b.name] = s;
    bytes += s.bytes;
  }
  return { tensors: liveTensors, bytes, backends, created };
}
