// Module: the base of every layer and model. Owns parameters, buffers and sub-modules; calls stateless ops.
import { moveInPlace, toDevice } from '../ops/convert.js';
import { backendByName, backendForDevice } from '../backends/registry.js';
import { Device, isDeviceString, type DeviceLike } from '../tensor/device.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { keep } from '../tensor/memory.js';
import { isFloating, type DType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import type { BackendName } from '../backends/backend.js';
import { noGrad } from '../autograd/grad-mode.js';
import { shapesEqual } from '../tensor/shape.js';

/**
 * Marks a tensor as a module parameter: it requires grad (when floating point) and is exempt from
 * the scopes it was created in. Assign it to a module property and the module finds it.
 */
export function Parameter(t: Tensor, requiresGrad = true): Tensor {
  t.isParameter = true;
  if (requiresGrad && isFloating(t.dtype)) t.requiresGrad = true;
  keep(t);
  return t;
}

export type ForwardHook = (module: Module, inputs: unknown[], output: unknown) => void;
export type ForwardPreHook = (module: Module, inputs: unknown[]) => void;

/**
 * Keys strata wrote before its state dicts used PyTorch's names (batch norm's buffers), mapped on load
 * so old checkpoints keep loading.
 */
const LEGACY_KEYS: Record<string, string> = {
  runningMean: 'running_mean',
  runningVar: 'running_var',
  numBatchesTracked: 'num_batches_tracked',
};

/** Renames legacy last components (bn1.runningMean → bn1.running_mean) where the model has the new key and not the old. */
function mapLegacyKeys(sd: Record<string, Tensor>, own: Record<string, Tensor>): Record<string, Tensor> {
  let out: Record<string, Tensor> | null = null;
  for (const k of Object.keys(sd)) {
    const dot = k.lastIndexOf('.');
    const renamed = LEGACY_KEYS[k.slice(dot + 1)];
    if (!renamed || k in own) continue;
    const nk = k.slice(0, dot + 1) + renamed;
    if (!(nk in own) || nk in sd) continue;
    out ??= { ...sd };
    out[nk] = sd[k];
    delete out[k];
  }
  return out ?? sd;
}

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/**
 * The base class of layers and models, as torch.nn.Module. Sub-modules and parameters are found
 * on the instance's own properties (in assignment order); buffers are declared with registerBuffer.
 * @example
 * class Net extends nn.Module {
 *   fc1 = new nn.Linear(784, 128);
 *   fc2 = new nn.Linear(128, 10);
 *   forward(x: Tensor) { return this.fc2.forward(this.fc1.forward(x).relu()); }
 * }
 */
export abstract class Module {
  /** Training mode (dropout active, batch norm uses batch statistics). */
  training = true;
  private _buffers = new Map<string, { t: Tensor | null; persistent: boolean }>();
  private _hooks: ForwardHook[] = [];
  private _preHooks: ForwardPreHook[] = [];

  abstract forward(...args: any[]): any;

  /** Same as forward (runs forward hooks either way). */
  call(...args: any[]): any {
    return this.forward(...args);
  }

  /** Runs `hook(module, inputs, output)` after every forward; returns a function that removes it. */
  registerForwardHook(hook: ForwardHook): () => void {
    this._hooks.push(hook);
    this.installHookWrapper();
    return () => {
      this._hooks = this._hooks.filter((h) => h !== hook);
      this.installHookWrapper();
    };
  }

  /** Runs `hook(module, inputs)` before every forward; returns a function that removes it. */
  registerForwardPreHook(hook: ForwardPreHook): () => void {
    this._preHooks.push(hook);
    this.installHookWrapper();
    return () => {
      this._preHooks = this._preHooks.filter((h) => h !== hook);
      this.installHookWrapper();
    };
  }

  // NOTE: the wrapper is an own property shadowing the prototype's forward only while hooked,
  // so unhooked modules pay nothing.
  private installHookWrapper(): void {
    const hooked = this._hooks.length > 0 || this._preHooks.length > 0;
    const has = Object.prototype.hasOwnProperty.call(this, 'forward');
    if (hooked && !has) {
      const proto = Object.getPrototypeOf(this).forward as (...a: unknown[]) => unknown;
      Object.defineProperty(this, 'forward', {
        configurable: true, enumerable: false, writable: true,
        value: (...args: unknown[]) => {
          for (const h of this._preHooks) h(this, args);
          const out = proto.apply(this, args);
          for (const h of this._hooks) h(this, args, out);
          return out;
        },
      });
    } else if (!hooked && has) {
      delete (this as { forward?: unknown }).forward;
    }
  }

  // ---- registration

  /** Declares a buffer (state that is not a parameter, e.g. batch norm's running mean). */
  registerBuffer(name: string, t: Tensor | null, persistent = true): Tensor | null {
    if (t) keep(t);
    this._buffers.set(name, { t, persistent });
    Object.defineProperty(this, name, {
      configurable: true, enumerable: false,
      get: () => this._buffers.get(name)!.t,
      set: (v: Tensor | null) => {
        if (v) keep(v);
        this._buffers.get(name)!.t = v;
      },
    });
    return t;
  }

  /** Sets a parameter (or null) under `name`. */
  registerParameter(name: string, t: Tensor | null): Tensor | null {
    (this as unknown as Record<string, unknown>)[name] = t ? Parameter(t) : null;
    return t;
  }

  // ---- traversal

  /** Direct sub-modules with their property names. */
  *namedChildren(): Generator<[string, Module]> {
    for (const [k, v] of Object.entries(this)) {
      if (v instanceof Module) yield [k, v];
    }
  }
  children(): Module[] {
    return [...this.namedChildren()].map(([, m]) => m);
  }
  /** This module and all below it, with dotted names ('' for this one). */
  *namedModules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [k, m] of this.namedChildren()) yield* m.namedModules(prefix ? `${prefix}.${k}` : k);
  }
  modules(): Module[] {
    return [...this.namedModules()].map(([, m]) => m);
  }
  /** Own parameters (not recursing). */
  protected *ownParameters(): Generator<[string, Tensor]> {
    for (const [k, v] of Object.entries(this)) {
      if (v instanceof Tensor && v.isParameter) yield [k, v];
    }
  }
  *namedParameters(prefix = '', recurse = true): Generator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    for (const [mp, m] of recurse ? this.namedModules(prefix) : [[prefix, this] as [string, Module]]) {
      for (const [k, p] of m.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        yield [mp ? `${mp}.${k}` : k, p];
      }
    }
  }
  parameters(recurse = true): Tensor[] {
    return [...this.namedParameters('', recurse)].map(([, p]) => p);
  }
  *namedBuffers(prefix = '', recurse = true): Generator<[string, Tensor]> {
    for (const [mp, m] of recurse ? this.namedModules(prefix) : [[prefix, this] as [string, Module]]) {
      for (const [k, b] of m._buffers) if (b.t) yield [mp ? `${mp}.${k}` : k, b.t];
    }
  }
  buffers(recurse = true): Tensor[] {
    return [...this.namedBuffers('', recurse)].map(([, b]) => b);
  }
  /** Total number of parameter elements (trainable only, when asked). */
  numParameters(trainableOnly = false): number {
    return this.parameters().reduce((n, p) => n + (trainableOnly && !p.requiresGrad ? 0 : p.numel), 0);
  }

  // ---- modes

  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  eval(): this {
    return this.train(false);
  }
  /** Sets requiresGrad on every parameter (false freezes the module). */
  requiresGrad_(on = true): this {
    for (const p of this.parameters()) p.requiresGrad = on && isFloating(p.dtype);
    return this;
  }
  freeze(): this {
    return this.requiresGrad_(false);
  }
  unfreeze(): this {
    return this.requiresGrad_(true);
  }
  /** Sets every parameter's .grad to null. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }
  /** Calls fn on every module (children first), as torch's apply. */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  // ---- state

  /** Parameters and persistent buffers by dotted name (the tensors themselves, not copies). */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [mp, m] of this.namedModules()) {
      for (const [k, p] of m.ownParameters()) out[mp ? `${mp}.${k}` : k] = p;
      for (const [k, b] of m._buffers) if (b.t && b.persistent) out[mp ? `${mp}.${k}` : k] = b.t;
    }
    return out;
  }

  /**
   * Copies values into this module's parameters and buffers (in place, so optimizers keep working).
   * With strict (the default) every missing or unexpected key is an error; shape and dtype mismatches
   * always are. The error lists every difference.
   */
  loadStateDict(sd: Record<string, Tensor>, opts: { strict?: boolean } = {}): LoadResult {
    const strict = opts.strict ?? true;
    const own = this.stateDict();
    sd = mapLegacyKeys(sd, own);
    const missingKeys = Object.keys(own).filter((k) => !(k in sd));
    const unexpectedKeys = Object.keys(sd).filter((k) => !(k in own));
    const problems: string[] = [];
    for (const [k, t] of Object.entries(sd)) {
      const mine = own[k];
      if (!mine) continue;
      if (!shapesEqual(mine.shape, t.shape)) problems.push(`${k}: shape ${fmtShape(t.shape)} in the checkpoint, ${fmtShape(mine.shape)} in the model`);
      else if (mine.dtype !== t.dtype) problems.push(`${k}: dtype ${t.dtype} in the checkpoint, ${mine.dtype} in the model`);
    }
    if (strict) {
      for (const k of missingKeys) problems.push(`${k}: missing from the checkpoint`);
      for (const k of unexpectedKeys) problems.push(`${k}: in the checkpoint but not in the model`);
    }
    if (problems.length) {
      throw new StrataError('loadStateDict', `${problems.length} difference(s) between the checkpoint and the model:\n  ${problems.join('\n  ')}`);
    }
    noGrad(() => {
      for (const [k, t] of Object.entries(sd)) {
        const mine = own[k];
        if (mine) mine.copy_(t.backend === mine.backend ? t : toDevice(t, mine.backend));
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Moves every parameter and buffer to a device ('cpu', 'cuda', 'cuda:N') or backend, or converts floating
   * ones to a dtype (in place on the module). A move keeps the parameter objects (their storage moves), so an
   * optimizer made before it follows, its state too.
   * @example model.to('cuda');
   */
  to(target: BackendName | DType | DeviceLike): this {
    if (target instanceof Device || isDeviceString(target) || target === 'js' || target === 'native') {
      const first = this.parameters()[0] ?? this.buffers()[0];
      const dest = target === 'js' || target === 'native' ? backendByName(target) : backendForDevice('Module.to', target, first?.backend);
      noGrad(() => {
        for (const p of this.parameters()) moveInPlace(p, dest);
        for (const b of this.buffers()) moveInPlace(b, dest);
      });
      return this;
    }
    for (const m of this.modules()) {
      for (const [k, p] of [...m.ownParameters()]) {
        if (target !== 'js' && target !== 'native' && !isFloating(p.dtype)) continue;
        const moved = noGrad(() => p.to(target));
        if (moved !== p) {
          (m as unknown as Record<string, unknown>)[k] = Parameter(moved, p.requiresGrad);
          p.dispose();
        }
      }
      for (const b of m._buffers.values()) {
        if (!b.t || (target !== 'js' && target !== 'native' && !isFloating(b.t.dtype))) continue;
        const moved = b.t.to(target);
        if (moved !== b.t) {
          b.t.dispose();
          b.t = keep(moved);
        }
      }
    }
    return this;
  }

  /** Frees every parameter and buffer. */
  dispose(): void {
    for (const p of this.parameters()) p.dispose();
    for (const b of this.buffers()) b.dispose();
  }

  /** Extra text for this module's line in toString (e.g. "784, 128, bias=true"). */
  extraRepr(): string {
    return '';
  }

  toString(): string {
    const kids = [...this.namedChildren()];
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (!kids.length) return head + ')';
    const lines = kids.map(([k, m]) => `  (${k}): ${m.toString().split('\n').join('\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }
}
