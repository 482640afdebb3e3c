// Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019), with amsgrad.
import { zerosLike } from '../ops/creation.js';
import { StrataError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, type ParamGroup, type ParamsArg, type StateValue } from './optimizer.js';

export interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

abstract class AdamBase extends Optimizer<AdamOptions> {
  constructor(params: ParamsArg<AdamOptions>, opts: Partial<AdamOptions>, private readonly decoupled: boolean, defaultDecay: number) {
    const o: AdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: defaultDecay, amsgrad: false, maximize: false, ...opts };
    const name = decoupled ? 'AdamW' : 'Adam';
    if (!(o.lr >= 0)) throw new StrataError(name, `invalid learning rate ${o.lr}`);
    if (!(o.betas[0] >= 0 && o.betas[0] < 1 && o.betas[1] >= 0 && o.betas[1] < 1)) throw new StrataError(name, `betas must be in [0, 1), got [${o.betas}]`);
    if (!(o.eps >= 0)) throw new StrataError(name, `invalid eps ${o.eps}`);
    super(params, o);
  }
  protected update(p: Tensor, g: Tensor, state: Record<string, StateValue>, group: ParamGroup<AdamOptions>): void {
    if (state.step === undefined) {
      state.step = 0;
      state.exp_avg = this.stateTensor(zerosLike(p));
      state.exp_avg_sq = this.stateTensor(zerosLike(p));
      if (group.amsgrad) state.max_exp_avg_sq = this.stateTensor(zerosLike(p));
    }
    state.step = (state.step as number) + 1;
    p.backend.adamStep(p, g, state.exp_avg as Tensor, state.exp_avg_sq as Tensor, group.amsgrad ? (state.max_exp_avg_sq as Tensor) : null, {
      lr: group.lr, beta1: group.betas[0], beta2: group.betas[1], eps: group.eps, weightDecay: group.weightDecay,
      decoupled: this.decoupled, step: state.step as number, maximize: group.maximize,
    });
    p._version.v++;
  }
}

/** Adam: adaptive moment estimation; weightDecay adds L2 to the gradient. */
export class Adam extends AdamBase {
  constructor(params: ParamsArg<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, opts, false, 0);
  }
}

/** AdamW: Adam with decoupled weight decay (default 0.01, as PyTorch). */
export class AdamW extends AdamBase {
  constructor(params: ParamsArg<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, opts, true, 0.01);
  }
}
