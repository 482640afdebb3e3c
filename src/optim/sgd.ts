// SGD with momentum, dampening, Nesterov momentum and weight decay (torch.optim.SGD's update rule).
import { zerosLike } from '../ops/creation.js';
import { StrataError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, type ParamGroup, type ParamsArg, type StateValue } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  maximize: boolean;
}

export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsArg<SGDOptions>, opts: Partial<SGDOptions> & { lr?: number } = {}) {
    const o: SGDOptions = { lr: 1e-3, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false, ...opts };
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) throw new StrataError('SGD', 'Nesterov momentum requires a momentum > 0 and zero dampening');
    if (!(o.lr >= 0)) throw new StrataError('SGD', `invalid learning rate ${o.lr}`);
    super(params, o);
  }
  protected update(p: Tensor, g: Tensor, state: Record<string, StateValue>, group: ParamGroup<SGDOptions>): void {
    let buf: Tensor | null = null;
    let firstStep = false;
    if (group.momentum !== 0) {
      buf = state.momentum_buffer as Tensor | undefined ?? null;
      if (!buf) {
        buf = this.stateTensor(zerosLike(p));
        state.momentum_buffer = buf;
        firstStep = true;
      }
    }
    p.backend.sgdStep(p, g, buf, { ...group, firstStep });
    p._version.v++;
  }
}
