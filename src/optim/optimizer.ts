// Optimizer: parameter groups with their hyperparameters, per-parameter state, zeroGrad, state dicts.
import { moveInPlace, toDevice } from '../ops/convert.js';
import { StrataError } from '../tensor/errors.js';
import { keep, tidy } from '../tensor/memory.js';
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/grad-mode.js';

/** Hyperparameters every group has. */
export interface GroupBase {
  lr: number;
}
/** A group of parameters sharing hyperparameters (as torch's param_groups). */
export type ParamGroup<H extends GroupBase> = H & { params: Tensor[] };
/** What a constructor accepts: parameters, or groups with some hyperparameters overridden. */
export type ParamsArg<H extends GroupBase> = Iterable<Tensor> | (Partial<H> & { params: Iterable<Tensor> })[];

export type StateValue = Tensor | number;

/** A serialisable optimizer state: tensors by parameter index, hyperparameters per group. */
export interface OptimizerState {
  state: Record<number, Record<string, StateValue>>;
  paramGroups: (Record<string, unknown> & { params: number[] })[];
}

export abstract class Optimizer<H extends GroupBase> {
  readonly paramGroups: ParamGroup<H>[] = [];
  /** Per-parameter state (PyTorch's names: step, exp_avg, exp_avg_sq, momentum_buffer, …). */
  readonly state = new Map<Tensor, Record<string, StateValue>>();

  constructor(params: ParamsArg<H>, readonly defaults: H) {
    const list = [...(params as Iterable<unknown>)];
    if (list.length === 0) throw new StrataError(this.constructor.name, 'got an empty parameter list');
    if (list[0] instanceof Tensor) this.addParamGroup({ params: list as Tensor[] } as Partial<H> & { params: Tensor[] });
    else for (const g of list as (Partial<H> & { params: Iterable<Tensor> })[]) this.addParamGroup(g);
  }

  addParamGroup(group: Partial<H> & { params: Iterable<Tensor> }): void {
    const params = [...group.params];
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new StrataError(this.constructor.name, `parameter ${i} is not a Tensor`);
      if (!p.isLeaf) throw new StrataError(this.constructor.name, `parameter ${i} is not a leaf tensor (it was computed by an op); optimize leaves only`);
      if (seen.has(p)) throw new StrataError(this.constructor.name, `parameter ${i} appears in more than one group`);
    });
    this.paramGroups.push({ ...this.defaults, ...group, params } as ParamGroup<H>);
  }

  /** Clears every parameter's gradient (sets .grad to null). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.zeroGrad();
  }

  /** Updates every parameter that has a gradient. */
  step(): void {
    noGrad(() => tidy(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          if (!p.grad) continue;
          let st = this.state.get(p);
          if (!st) {
            st = {};
            this.state.set(p, st);
          } else {
            // NOTE: state follows its parameter when the module moved to another device (Module.to)
            for (const v of Object.values(st)) if (v instanceof Tensor && v.backend !== p.backend) moveInPlace(v, p.backend);
          }
          this.update(p, p.grad, st, group);
        }
      }
    }));
  }

  /** One parameter's update; state tensors it creates must be kept (use `this.stateTensor`). */
  protected abstract update(p: Tensor, g: Tensor, state: Record<string, StateValue>, group: ParamGroup<H>): void;

  /** A state tensor that outlives the step's scope. */
  protected stateTensor(t: Tensor): Tensor {
    return keep(t);
  }

  stateDict(): OptimizerState {
    const index = new Map<Tensor, number>();
    let k = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const { params, ...hyper } = g;
      return { ...hyper, params: params.map((p) => { index.set(p, k); return k++; }) };
    });
    const state: OptimizerState['state'] = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state[i] = { ...s };
    }
    return { state, paramGroups };
  }

  /** Restores hyperparameters and state (tensors are copied into this optimizer's own). */
  loadStateDict(sd: OptimizerState): void {
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new StrataError('Optimizer.loadStateDict', `the state has ${sd.paramGroups.length} parameter groups, this optimizer ${this.paramGroups.length}`);
    }
    const params: Tensor[] = [];
    sd.paramGroups.forEach((g, i) => {
      const mine = this.paramGroups[i];
      if (g.params.length !== mine.params.length) {
        throw new StrataError('Optimizer.loadStateDict', `group ${i} has ${g.params.length} parameters in the state, ${mine.params.length} here`);
      }
      const { params: _ids, ...hyper } = g;
      Object.assign(mine, hyper);
      params.push(...mine.params);
    });
    for (const old of this.state.values()) for (const v of Object.values(old)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
    for (const [idx, s] of Object.entries(sd.state)) {
      const p = params[Number(idx)];
      if (!p) throw new StrataError('Optimizer.loadStateDict', `state for parameter ${idx}, which does not exist`);
      const copy: Record<string, StateValue> = {};
      for (const [k, v] of Object.entries(s)) {
        if (v instanceof Tensor) {
          if (v.shape.join() !== p.shape.join() && v.numel !== 1) {
            throw new StrataError('Optimizer.loadStateDict', `state '${k}' of parameter ${idx} has shape [${v.shape}] but the parameter has [${p.shape}]`);
          }
          copy[k] = keep(noGrad(() => toDevice(v, p.backend).clone()));
        } else copy[k] = v;
      }
      this.state.set(p, copy);
    }
  }

  /** Frees the state tensors. */
  dispose(): void {
    for (const s of this.state.values()) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
  }
}
