// Containers: Sequential, ModuleList, ModuleDict.
import type { Tensor } from '../../tensor/tensor.js';
import { StrataError } from '../../tensor/errors.js';
import { Module } from '../module.js';

/** Runs modules in order, each on the previous one's output. Accepts modules, or a record of named modules. */
export class Sequential extends Module {
  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    const first = modules[0];
    if (modules.length === 1 && first && !(first instanceof Module)) {
      for (const [k, m] of Object.entries(first)) this.add(k, m);
    } else {
      (modules as Module[]).forEach((m, i) => this.add(String(i), m));
    }
  }
  /** Appends a module under `name`. */
  add(name: string, m: Module): this {
    if (!(m instanceof Module)) throw new StrataError('Sequential', `element '${name}' is not a Module`);
    (this as unknown as Record<string, Module>)[name] = m;
    return this;
  }
  get length(): number {
    return this.children().length;
  }
  at(i: number): Module {
    const c = this.children();
    const m = c[i < 0 ? i + c.length : i];
    if (!m) throw new StrataError('Sequential', `index ${i} out of range for ${c.length} modules`);
    return m;
  }
  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.children()) y = m.forward(y);
    return y;
  }
}

/** A list of modules whose parameters are registered (index them with at()). */
export class ModuleList extends Module {
  private count = 0;
  constructor(modules: Iterable<Module> = []) {
    super();
    for (const m of modules) this.append(m);
  }
  append(m: Module): this {
    (this as unknown as Record<string, Module>)[String(this.count++)] = m;
    return this;
  }
  get length(): number {
    return this.count;
  }
  at(i: number): Module {
    const m = (this as unknown as Record<string, Module>)[String(i < 0 ? i + this.count : i)];
    if (!m) throw new StrataError('ModuleList', `index ${i} out of range for ${this.count} modules`);
    return m;
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }
  forward(): never {
    throw new StrataError('ModuleList', 'a ModuleList has no forward; iterate over it in your module');
  }
}

/** Named modules whose parameters are registered. */
export class ModuleDict extends Module {
  constructor(modules: Record<string, Module> = {}) {
    super();
    for (const [k, m] of Object.entries(modules)) this.set(k, m);
  }
  set(name: string, m: Module): this {
    (this as unknown as Record<string, Module>)[name] = m;
    return this;
  }
  get(name: string): Module {
    const m = (this as unknown as Record<string, unknown>)[name];
    if (!(m instanceof Module)) throw new StrataError('ModuleDict', `no module named '${name}'`);
    return m;
  }
  keys(): string[] {
    return [...this.namedChildren()].map(([k]) => k);
  }
  forward(): never {
    throw new StrataError('ModuleDict', 'a ModuleDict has no forward; look modules up with get()');
  }
}
