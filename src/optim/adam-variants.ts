// Adam variants: NAdam (Dozat, 2016), RAdam (Liu et al., 2020) and Adamax (Kingma & Ba, 2015, §7),
// written with tensor ops as torch.optim's single-tensor paths in PyTorch 1.13 (same state names).
import { amax } from '../ops/reduce.js';
import { stack } from '../ops/shape.js';
import { zerosLike } from '../ops/creation.js';
import { StrataError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, type ParamGroup, type ParamsArg, type StateValue } from './optimizer.js';

interface AdamLike { lr: number; betas: [number, number]; eps: number; weightDecay: number }

function checkAdamLike(name: string, o: AdamLike): void {
  if (!(o.lr >= 0)) throw new StrataError(name, `invalid learning rate ${o.lr}`);
  if (!(o.betas[0] >= 0 && o.betas[0] < 1 && o.betas[1] >= 0 && o.betas[1] < 1)) throw new StrataError(name, `betas must be in [0, 1), got [${o.betas}]`);
  if (!(o.eps >= 0)) throw new StrataError(name, `invalid eps ${o.eps}`);
  if (!(o.weightDecay >= 0)) throw new StrataError(name, `invalid weightDecay ${o.weightDecay}`);
}

export interface NAdamOptions extends AdamLike { momentumDecay: number }

/**
 * Adam with Nesterov momentum; the momentum schedule μ_t = β1(1 − ½·0.96^(t·momentumDecay)).
 * NOTE: follows PyTorch 2.x; 1.13 multiplies μ_t into the next-step product twice (fixed upstream in 2.0).
 */
export class NAdam extends Optimizer<NAdamOptions> {
  constructor(params: ParamsArg<NAdamOptions>, opts: Partial<NAdamOptions> = {}) {
    const o: NAdamOptions = { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3, ...opts };
    checkAdamLike('NAdam', o);
    if (!(o.momentumDecay >= 0)) throw new StrataError('NAdam', `invalid momentumDecay ${o.momentumDecay}`);
    super(params, o);
  }
  protected update(p: Tensor, grad: Tensor, state: Record<string, StateValue>, group: ParamGroup<NAdamOptions>): void {
    if (state.step === undefined) {
      state.step = 0;
      state.mu_product = 1;
      state.exp_avg = this.stateTensor(zerosLike(p));
      state.exp_avg_sq = this.stateTensor(zerosLike(p));
    }
    const t = (state.step as number) + 1;
    state.step = t;
    const [b1, b2] = group.betas;
    const g = group.weightDecay !== 0 ? grad.add(p, group.weightDecay) : grad;
    const mu = b1 * (1 - 0.5 * Math.pow(0.96, t * group.momentumDecay));
    const muNext = b1 * (1 - 0.5 * Math.pow(0.96, (t + 1) * group.momentumDecay));
    const muProduct = (state.mu_product as number) * mu;
    state.mu_product = muProduct;
    const m = state.exp_avg as Tensor, v = state.exp_avg_sq as Tensor;
    m.mul_(b1).add_(g, 1 - b1);
    v.mul_(b2).add_(g.mul(g), 1 - b2);
    const denom = v.div(1 - Math.pow(b2, t)).sqrt().add(group.eps);
    p.add_(g.div(denom), (-group.lr * (1 - mu)) / (1 - muProduct));
    p.add_(m.div(denom), (-group.lr * muNext) / (1 - muProduct * muNext));
  }
}

export type RAdamOptions = AdamLike;

/** Rectified Adam: plain momentum SGD while the variance estimate is unreliable (ρ_t <= 5), then rectified Adam. */
export class RAdam extends Optimizer<RAdamOptions> {
  constructor(params: ParamsArg<RAdamOptions>, opts: Partial<RAdamOptions> = {}) {
    const o: RAdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, ...opts };
    checkAdamLike('RAdam', o);
    super(params, o);
  }
  protected update(p: Tensor, grad: Tensor, state: Record<string, StateValue>, group: ParamGroup<RAdamOptions>): void {
    if (state.step === undefined) {
      state.step = 0;
      state.exp_avg = this.stateTensor(zerosLike(p));
      state.exp_avg_sq = this.stateTensor(zerosLike(p));
    }
    const t = (state.step as number) + 1;
    state.step = t;
    const [b1, b2] = group.betas;
    const g = group.weightDecay !== 0 ? grad.add(p, group.weightDecay) : grad;
    const m = state.exp_avg as Tensor, v = state.exp_avg_sq as Tensor;
    m.mul_(b1).add_(g, 1 - b1);
    v.mul_(b2).add_(g.mul(g), 1 - b2);
    const bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
    const mHat = m.div(bc1);
    const rhoInf = 2 / (1 - b2) - 1;
    const rhoT = rhoInf - (2 * t * Math.pow(b2, t)) / bc2;
    if (rhoT > 5) {
      const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
      const adaptive = v.sqrt().add(group.eps).reciprocal().mul(Math.sqrt(bc2));
      p.add_(mHat.mul(adaptive), -group.lr * rect);
    } else {
      p.add_(mHat, -group.lr);
    }
  }
}

export type AdamaxOptions = AdamLike;

/** Adam with the infinity norm: u_t = max(β2·u_{t−1}, |g| + eps); step lr/(1 − β1^t) · m_t/u_t. */
export class Adamax extends Optimizer<AdamaxOptions> {
  constructor(params: ParamsArg<AdamaxOptions>, opts: Partial<AdamaxOptions> = {}) {
    const o: AdamaxOptions = { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, ...opts };
    checkAdamLike('Adamax', o);
    super(params, o);
  }
  protected update(p: Tensor, grad: Tensor, state: Record<string, StateValue>, group: ParamGroup<AdamaxOptions>): void {
    if (state.step === undefined) {
      state.step = 0;
      state.exp_avg = this.stateTensor(zerosLike(p));
      state.exp_inf = this.stateTensor(zerosLike(p));
    }
    const t = (state.step as number) + 1;
    state.step = t;
    const [b1, b2] = group.betas;
    const g = group.weightDecay !== 0 ? grad.add(p, group.weightDecay) : grad;
    const m = state.exp_avg as Tensor, u = state.exp_inf as Tensor;
    m.mul_(b1).add_(g, 1 - b1);
    u.copy_(amax(stack([u.mul(b2), g.abs().add(group.eps)], 0), 0));
    p.add_(m.div(u), -group.lr / (1 - Math.pow(b1, t)));
  }
}
