// RMSprop (Hinton's lecture 6e; centered variant of Graves 2013) and Adagrad (Duchi et al., 2011).
import { fullLike, zerosLike } from '../ops/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, type ParamGroup, type ParamsArg, type StateValue } from './optimizer.js';

export interface RMSpropOptions {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsArg<RMSpropOptions>, opts: Partial<RMSpropOptions> = {}) {
    super(params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false, ...opts });
  }
  protected update(p: Tensor, grad: Tensor, state: Record<string, StateValue>, group: ParamGroup<RMSpropOptions>): void {
    if (state.step === undefined) {
      state.step = 0;
      state.square_avg = this.stateTensor(zerosLike(p));
      if (group.momentum > 0) state.momentum_buffer = this.stateTensor(zerosLike(p));
      if (group.centered) state.grad_avg = this.stateTensor(zerosLike(p));
    }
    state.step = (state.step as number) + 1;
    let g = group.maximize ? grad.neg() : grad;
    if (group.weightDecay !== 0) g = g.add(p, group.weightDecay);
    const sq = state.square_avg as Tensor;
    sq.mul_(group.alpha).add_(g.mul(g), 1 - group.alpha);
    let avg: Tensor;
    if (group.centered) {
      const ga = state.grad_avg as Tensor;
      ga.mul_(group.alpha).add_(g, 1 - group.alpha);
      avg = sq.sub(ga.mul(ga)).sqrt().add(group.eps);
    } else {
      avg = sq.sqrt().add(group.eps);
    }
    if (group.momentum > 0) {
      const buf = state.momentum_buffer as Tensor;
      buf.mul_(group.momentum).add_(g.div(avg));
      p.add_(buf, -group.lr);
    } else {
      p.add_(g.div(avg), -group.lr);
    }
  }
}

export interface AdagradOptions {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
  maximize: boolean;
}

export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: ParamsArg<AdagradOptions>, opts: Partial<AdagradOptions> = {}) {
    super(params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false, ...opts });
  }
  protected update(p: Tensor, grad: Tensor, state: Record<string, StateValue>, group: ParamGroup<AdagradOptions>): void {
    if (state.step === undefined) {
      state.step = 0;
      state.sum = this.stateTensor(fullLike(p, group.initialAccumulatorValue));
    }
    state.step = (state.step as number) + 1;
    let g = group.maximize ? grad.neg() : grad;
    if (group.weightDecay !== 0) g = g.add(p, group.weightDecay);
    const clr = group.lr / (1 + ((state.step as number) - 1) * group.lrDecay);
    const sum = state.sum as Tensor;
    sum.add_(g.mul(g));
    p.add_(g.div(sum.sqrt().add(group.eps)), -clr);
  }
}
