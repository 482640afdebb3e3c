// Snapshot ensembles (Huang et al., 2017): one run whose learning rate restarts K times (cyclic cosine
// annealing); the model at the end of every cycle is a member.
import { StrataError } from '../tensor/errors.js';
import type { GroupBase, Optimizer } from '../optim/optimizer.js';
import { LRScheduler } from '../optim/scheduler.js';

/**
 * lr(t) = base/2 · (cos(π · (t mod T)/T) + 1) with T = totalSteps / cycles: K cosine cycles from the base
 * rate to near 0, restarting at the base rate (Huang et al., 2017, eq. 2). Step it once per batch.
 */
export class CyclicCosineLR extends LRScheduler {
  readonly cycleSteps: number;
  constructor(optimizer: Optimizer<GroupBase>, readonly cycles: number, readonly totalSteps: number) {
    super(optimizer);
    if (!Number.isInteger(cycles) || cycles < 1) throw new StrataError('CyclicCosineLR', `cycles must be a positive integer, got ${cycles}`);
    if (!(totalSteps >= cycles)) throw new StrataError('CyclicCosineLR', `totalSteps (${totalSteps}) must be at least the number of cycles (${cycles})`);
    this.cycleSteps = totalSteps / cycles;
    this.apply();
  }
  protected lrAt(base: number, t: number): number {
    const pos = (t % this.cycleSteps) / this.cycleSteps;
    return (base / 2) * (Math.cos(Math.PI * pos) + 1);
  }
}
