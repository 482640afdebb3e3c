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

/** What the three variants share: their state, the step count, L2 weight decay and the first moment. */
abstract class AdamVariant<H extends AdamLike> extends Optimizer<H> {
  /**
   * Makes the state on the first step (step, then `extra`, exp_avg and the second-moment buffer `second`),
   * advances the step count, adds L2 weight decay to the gradient and updates exp_avg in place.
   */
  protected begin(p: Tensor, grad: Tensor, state: Record<string, StateValue>, group: ParamGroup<H>, second: string, extra: Record<string, StateValue> = {}) {
    if (state.step === undefined) {
      state.step = 0;
      Object.assign(state, extra);
      state.exp_avg = this.stateTensor(zerosLike(p));
      state[second] = this.stateTensor(zerosLike(p));
    }
    const t = (state.step as number) + 1;
    state.step = t;
    const g = group.weightDecay !== 0 ? grad.add(p, group.weightDecay) : grad;
    const m = state.exp_avg as Tensor;
    m.mul_(group.betas[0]).add_(g, 1 - group.betas[0]);
    return { t, g, m, s: state[second] as Tensor };
  }
}

export interface NAdamOptions extends AdamLike { momentumDecay: number }

/**
 * Adam with Nesterov momentum; the momentum schedule μ_t = β1(1 − ½·0.96^(t·momentumDecay)).
 * NOTE: follows PyTorch 2.x; 1.13 multiplies μ_t into the next-step product twice (fixed upstream in 2.0).
 */
export class NAdam extends AdamVariant<NAdamOptions> {
  constructor(params: ParamsArg<NAdamOptions>, opts: Partial<NAdamOptions> = {}) {
    const o: NAdamOptions = { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3, ...opts };
    checkAdamLike('NAdam', o);
    if (!(o.momentumDecay >= 0)) throw new StrataError('NAdam', `invalid momentumDecay ${o.momentumDecay}`);
    super(params, o);
  }
  protected update(p: Tensor, grad: Tensor, state: Record<string, StateValue>, group: ParamGroup<NAdamOptions>): void {
    const { t, g, m, s: v } = this.begin(p, grad, state, group, 'exp_avg_sq', { mu_product: 1 });
    const [b1, b2] = group.betas;
    const mu = b1 * (1 - 0.5 * Math.pow(0.96, t * group.momentumDecay));
    const muNext = b1 * (1 - 0.5 * Math.pow(0.96, (t + 1) * group.momentumDecay));
    const muProduct = (state.mu_product as number) * mu;
    state.mu_product = muProduct;
    v.mul_(b2).add_(g.mul(g), 1 - b2);
    const denom = v.div(1 - Math.pow(b2, t)).sqrt().add(group.eps);
    p.add_(g.div(denom), (-group.lr * (1 - mu)) / (1 - muProduct));
    p.add_(m.div(denom), (-group.lr * muNext) / (1 - muProduct * muNext));
  }
}

export type RAdamOptions = AdamLike;

/** Rectified Adam: plain momentum SGD while the variance estimate is unreliable (ρ_t <= 5), then rectified Adam. */
export class RAdam extends AdamVariant<RAdamOptions> {
  constructor(params: ParamsArg<RAdamOptions>, opts: Partial<RAdamOptions> = {}) {
    const o: RAdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, ...opts };
    checkAdamLike('RAdam', o);
    super(params, o);
  }
  protected update(p: Tensor, grad: Tensor, state: Record<string, StateValue>, group: ParamGroup<RAdamOptions>): void {
    const { t, g, m, s: v } = this.begin(p, grad, state, group, 'exp_avg_sq');
    const [b1, b2] = group.betas;
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
export class Adamax extends AdamVariant<AdamaxOptions> {
  constructor(params: ParamsArg<AdamaxOptions>, opts: Partial<AdamaxOptions> = {}) {
    const o: AdamaxOptions = { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, ...opts };
    checkAdamLike('Adamax', o);
    super(params, o);
  }
  protected update(p: Tensor, grad: Tensor, state: Record<string, StateValue>, group: ParamGroup<AdamaxOptions>): void {
    const { t, g, m, s: u } = this.begin(p, grad, state, group, 'exp_inf');
    const [b1, b2] = group.betas;
    u.copy_(amax(stack([u.mul(b2), g.abs().add(group.eps)], 0), 0));
    p.add_(m.div(u), -group.lr / (1 - Math.pow(b1, t)));
  }
}
