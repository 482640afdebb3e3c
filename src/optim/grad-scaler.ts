// Loss scaling for float16 mixed precision (as torch.amp.GradScaler): the loss is multiplied by a large
// factor so that small gradients survive float16, the gradients are divided back before the step, and steps
// whose gradients overflowed are skipped while the factor shrinks.
import { noGrad } from '../autograd/grad-mode.js';
import { tidy } from '../tensor/memory.js';
import { StrataError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { abs, amax, stack, mul } from '../ops/index.js';
import type { GroupBase, Optimizer } from './optimizer.js';

export interface GradScalerOptions {
  /** Starting scale (default 2^16). */
  initScale?: number;
  /** Factor the scale grows by after growthInterval steps without overflow (default 2). */
  growthFactor?: number;
  /** Factor it shrinks by when a step overflows (default 0.5). */
  backoffFactor?: number;
  growthInterval?: number;
  /** false makes every method a pass-through (default true). */
  enabled?: boolean;
}

/**
 * @example
 * const scaler = new st.optim.GradScaler();
 * const loss = st.autocast({ dtype: 'float16' }, () => lossFn(model.forward(x), y));
 * scaler.scale(loss).backward();
 * scaler.step(opt);   // skipped when a gradient is inf/NaN
 * scaler.update();
 */
export class GradScaler {
  private scaleValue: number;
  private readonly growthFactor: number;
  private readonly backoffFactor: number;
  private readonly growthInterval: number;
  readonly enabled: boolean;
  private growthTracker = 0;
  private unscaled = new Map<object, boolean>();
  private foundInf = false;

  constructor(opts: GradScalerOptions = {}) {
    this.scaleValue = opts.initScale ?? 65536;
    this.growthFactor = opts.growthFactor ?? 2;
    this.backoffFactor = opts.backoffFactor ?? 0.5;
    this.growthInterval = opts.growthInterval ?? 2000;
    this.enabled = opts.enabled ?? true;
    if (!(this.scaleValue > 0 && Number.isFinite(this.scaleValue))) throw new StrataError('GradScaler', `initScale must be a positive finite number, got ${opts.initScale}`);
    if (!(this.growthFactor > 1)) throw new StrataError('GradScaler', `growthFactor must be > 1, got ${opts.growthFactor}`);
    if (!(this.backoffFactor > 0 && this.backoffFactor < 1)) throw new StrataError('GradScaler', `backoffFactor must be in (0, 1), got ${opts.backoffFactor}`);
    if (!(Number.isInteger(this.growthInterval) && this.growthInterval >= 1)) throw new StrataError('GradScaler', `growthInterval must be a positive integer, got ${opts.growthInterval}`);
  }

  /** loss · scale (the tensor to call backward() on). */
  scale(loss: Tensor): Tensor {
    return this.enabled ? mul(loss, this.scaleValue) : loss;
  }

  getScale(): number {
    return this.enabled ? this.scaleValue : 1;
  }

  /** Divides the optimizer's gradients by the scale in place and notes whether any is inf or NaN. */
  unscale_(optimizer: Optimizer<GroupBase>): void {
    if (!this.enabled) return;
    if (this.unscaled.get(optimizer)) throw new StrataError('GradScaler.unscale_', 'unscale_() was already called on this optimizer since the last update()');
    const grads = optimizer.paramGroups.flatMap((g) => g.params).map((p) => p.grad).filter((g): g is Tensor => g !== null);
    const inv = 1 / this.scaleValue;
    noGrad(() => tidy(() => {
      if (grads.length) {
        // one read-back for all gradients: NaN and ±inf propagate through abs and amax
        const worst = amax(stack(grads.map((g) => amax(abs(g)).float()))).item();
        if (!Number.isFinite(worst)) this.foundInf = true;
      }
      for (const g of grads) g.mul_(inv);
    }));
    this.unscaled.set(optimizer, true);
  }

  /** optimizer.step() unless the gradients overflowed (then the step is skipped). Returns whether it stepped. */
  step(optimizer: Optimizer<GroupBase>): boolean {
    if (!this.enabled) {
      optimizer.step();
      return true;
    }
    if (!this.unscaled.get(optimizer)) this.unscale_(optimizer);
    if (this.foundInf) return false;
    optimizer.step();
    return true;
  }

  /** Adjusts the scale after a step: shrink on overflow, grow after growthInterval clean steps. */
  update(): void {
    if (!this.enabled) return;
    if (this.foundInf) {
      this.scaleValue *= this.backoffFactor;
      this.growthTracker = 0;
    } else if (++this.growthTracker >= this.growthInterval) {
      this.scaleValue *= this.growthFactor;
      this.growthTracker = 0;
    }
    this.foundInf = false;
    this.unscaled.clear();
  }

  stateDict(): { scale: number; growthTracker: number } {
    return { scale: this.scaleValue, growthTracker: this.growthTracker };
  }
  loadStateDict(s: { scale: number; growthTracker: number }): void {
    this.scaleValue = s.scale;
    this.growthTracker = s.growthTracker;
  }
}
