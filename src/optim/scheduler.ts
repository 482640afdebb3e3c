// Learning-rate schedulers: step, multi-step, exponential, cosine (with warm-up, with restarts), one-cycle, cyclic,
// polynomial, lambda, reduce-on-plateau.
import { StrataError } from '../tensor/errors.js';
import type { GroupBase, Optimizer } from './optimizer.js';

/** A scheduler's saveable state. */
export type SchedulerState = Record<string, unknown>;

/** Base of epoch/step schedulers: `step()` advances and sets each group's lr to lrAt(baseLr, t). */
export abstract class LRScheduler {
  readonly baseLrs: number[];
  /** Number of step() calls so far. */
  lastEpoch = 0;
  constructor(readonly optimizer: Optimizer<GroupBase>) {
    this.baseLrs = optimizer.paramGroups.map((g) => (g as { initialLr?: number }).initialLr ?? g.lr);
    optimizer.paramGroups.forEach((g, i) => ((g as { initialLr?: number }).initialLr = this.baseLrs[i]));
    // NOTE: subclasses call apply() at the end of their constructors: their fields are not set yet here.
  }
  protected abstract lrAt(baseLr: number, t: number): number;
  step(): void {
    this.lastEpoch++;
    this.apply();
  }
  /** Jumps to step t (e.g. a position computed from elapsed time in a time-limited run). */
  stepTo(t: number): void {
    this.lastEpoch = t;
    this.apply();
  }
  protected apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.lrAt(this.baseLrs[i], this.lastEpoch)));
  }
  /** The current learning rates, one per group. */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
  stateDict(): SchedulerState {
    return { lastEpoch: this.lastEpoch, baseLrs: this.baseLrs.slice() };
  }
  loadStateDict(s: SchedulerState): void {
    this.lastEpoch = Number(s.lastEpoch);
    this.apply();
  }
}

/** lr·gamma^⌊t/stepSize⌋. */
export class StepLR extends LRScheduler {
  constructor(opt: Optimizer<GroupBase>, readonly stepSize: number, readonly gamma = 0.1) {
    super(opt);
    this.apply();
  }
  protected lrAt(base: number, t: number): number {
    return base * Math.pow(this.gamma, Math.floor(t / this.stepSize));
  }
}

/** lr·gamma^(number of milestones reached). */
export class MultiStepLR extends LRScheduler {
  constructor(opt: Optimizer<GroupBase>, readonly milestones: readonly number[], readonly gamma = 0.1) {
    super(opt);
    this.apply();
  }
  protected lrAt(base: number, t: number): number {
    return base * Math.pow(this.gamma, this.milestones.filter((m) => m <= t).length);
  }
}

/** lr·gamma^t. */
export class ExponentialLR extends LRScheduler {
  constructor(opt: Optimizer<GroupBase>, readonly gamma: number) {
    super(opt);
    this.apply();
  }
  protected lrAt(base: number, t: number): number {
    return base * Math.pow(this.gamma, t);
  }
}

/** Linear interpolation of the factor from startFactor to endFactor over totalIters. */
export class LinearLR extends LRScheduler {
  constructor(opt: Optimizer<GroupBase>, readonly startFactor = 1 / 3, readonly endFactor = 1, readonly totalIters = 5) {
    super(opt);
    this.apply();
  }
  protected lrAt(base: number, t: number): number {
    const f = this.startFactor + (this.endFactor - this.startFactor) * Math.min(t, this.totalIters) / this.totalIters;
    return base * f;
  }
}

/** etaMin + (lr − etaMin)·(1 + cos(π·t/tMax))/2 (Loshchilov & Hutter, 2017, without restarts). */
export class CosineAnnealingLR extends LRScheduler {
  constructor(opt: Optimizer<GroupBase>, readonly tMax: number, readonly etaMin = 0) {
    super(opt);
    this.apply();
  }
  protected lrAt(base: number, t: number): number {
    return this.etaMin + (base - this.etaMin) * (1 + Math.cos(Math.PI * t / this.tMax)) / 2;
  }
}

/**
 * Linear warm-up from warmupStartFactor·lr to lr over warmupSteps, then cosine decay to minLr at
 * totalSteps (the schedule Transformers are usually trained with). Step it once per batch.
 */
export class CosineWithWarmup extends LRScheduler {
  constructor(opt: Optimizer<GroupBase>, readonly warmupSteps: number, readonly totalSteps: number, readonly minLr = 0, readonly warmupStartFactor = 0) {
    if (totalSteps <= warmupSteps) throw new StrataError('CosineWithWarmup', `totalSteps (${totalSteps}) must exceed warmupSteps (${warmupSteps})`);
    super(opt);
    this.apply();
  }
  protected lrAt(base: number, t: number): number {
    if (t < this.warmupSteps) return base * (this.warmupStartFactor + (1 - this.warmupStartFactor) * t / this.warmupSteps);
    const p = Math.min(1, (t - this.warmupSteps) / (this.totalSteps - this.warmupSteps));
    return this.minLr + (base - this.minLr) * (1 + Math.cos(Math.PI * p)) / 2;
  }
}

export interface OneCycleOptions {
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
  /** Cycle SGD momentum or Adam's beta1 inversely to the lr, between base and max momentum. */
  cycleMomentum?: boolean;
  baseMomentum?: number;
  maxMomentum?: number;
}

/**
 * Smith & Topin (2019): lr rises to maxLr then anneals far below the start; step it once per batch.
 * maxLr is one rate for every group or one per group (as torch's max_lr list, e.g. a fine-tuned backbone's lower rate).
 */
export class OneCycleLR extends LRScheduler {
  private readonly phases: { end: number; lr: [string, string]; mom: [string, string] }[];
  private readonly o: Required<OneCycleOptions>;
  private readonly maxLrs: number[];
  constructor(opt: Optimizer<GroupBase>, readonly maxLr: number | number[], readonly totalSteps: number, opts: OneCycleOptions = {}) {
    const o: Required<OneCycleOptions> = {
      pctStart: 0.3, annealStrategy: 'cos', divFactor: 25, finalDivFactor: 1e4, threePhase: false,
      cycleMomentum: true, baseMomentum: 0.85, maxMomentum: 0.95, ...opts,
    };
    const maxLrs = Array.isArray(maxLr) ? maxLr : opt.paramGroups.map(() => maxLr);
    if (maxLrs.length !== opt.paramGroups.length) throw new StrataError('OneCycleLR', `got ${maxLrs.length} max learning rates for ${opt.paramGroups.length} parameter groups`);
    opt.paramGroups.forEach((g, i) => ((g as { initialLr?: number }).initialLr = maxLrs[i] / o.divFactor));
    super(opt);
    this.maxLrs = maxLrs;
    this.o = o;
    const up = o.pctStart * totalSteps - 1;
    this.phases = o.threePhase
      ? [
        { end: up, lr: ['initial', 'max'], mom: ['max', 'base'] },
        { end: 2 * o.pctStart * totalSteps - 2, lr: ['max', 'initial'], mom: ['base', 'max'] },
        { end: totalSteps - 1, lr: ['initial', 'min'], mom: ['max', 'max'] },
      ]
      : [
        { end: up, lr: ['initial', 'max'], mom: ['max', 'base'] },
        { end: totalSteps - 1, lr: ['max', 'min'], mom: ['base', 'max'] },
      ];
    this.apply();
  }
  private anneal(start: number, end: number, pct: number): number {
    return this.o.annealStrategy === 'cos' ? end + (start - end) / 2 * (Math.cos(Math.PI * pct) + 1) : (end - start) * pct + start;
  }
  private at(t: number, maxLr: number): { lr: number; mom: number } {
    const init = maxLr / this.o.divFactor;
    const vals: Record<string, number> = { initial: init, max: maxLr, min: init / this.o.finalDivFactor };
    const moms: Record<string, number> = { base: this.o.baseMomentum, max: this.o.maxMomentum };
    let start = 0;
    for (let i = 0; i < this.phases.length; i++) {
      const ph = this.phases[i];
      if (t <= ph.end || i === this.phases.length - 1) {
        const pct = (t - start) / (ph.end - start);
        return { lr: this.anneal(vals[ph.lr[0]], vals[ph.lr[1]], pct), mom: this.anneal(moms[ph.mom[0]], moms[ph.mom[1]], pct) };
      }
      start = ph.end;
    }
    return { lr: vals.min, mom: moms.max };
  }
  protected lrAt(): number {
    return 0;
  }
  protected override apply(): void {
    if (!this.phases) return;
    if (this.lastEpoch > this.totalSteps) throw new StrataError('OneCycleLR', `stepped ${this.lastEpoch} times, past totalSteps=${this.totalSteps}`);
    this.optimizer.paramGroups.forEach((g, i) => {
      const { lr, mom } = this.at(this.lastEpoch, this.maxLrs[i]);
      g.lr = lr;
      if (!this.o.cycleMomentum) return;
      const gg = g as unknown as { betas?: [number, number]; momentum?: number };
      if (gg.betas) gg.betas = [mom, gg.betas[1]];
      else if (gg.momentum !== undefined) gg.momentum = mom;
    });
  }
}

export interface PlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  minLr?: number;
  eps?: number;
}

/** Multiplies the lr by factor when a metric stops improving for `patience` epochs; step(metric). */
export class ReduceLROnPlateau {
  private best: number;
  private badEpochs = 0;
  private cooldownLeft = 0;
  private readonly o: Required<PlateauOptions>;
  constructor(readonly optimizer: Optimizer<GroupBase>, opts: PlateauOptions = {}) {
    this.o = { mode: 'min', factor: 0.1, patience: 10, threshold: 1e-4, thresholdMode: 'rel', cooldown: 0, minLr: 0, eps: 1e-8, ...opts };
    if (this.o.factor >= 1) throw new StrataError('ReduceLROnPlateau', `factor must be < 1, got ${this.o.factor}`);
    this.best = this.o.mode === 'min' ? Infinity : -Infinity;
  }
  private better(a: number, best: number): boolean {
    const { mode, thresholdMode, threshold } = this.o;
    if (mode === 'min') return thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return thresholdMode === 'rel' ? a > best * (1 + threshold) : a > best + threshold;
  }
  step(metric: number): void {
    if (this.better(metric, this.best)) {
      this.best = metric;
      this.badEpochs = 0;
    } else this.badEpochs++;
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.badEpochs = 0;
    }
    if (this.badEpochs > this.o.patience) {
      for (const g of this.optimizer.paramGroups) {
        const next = Math.max(g.lr * this.o.factor, this.o.minLr);
        if (g.lr - next > this.o.eps) g.lr = next;
      }
      this.cooldownLeft = this.o.cooldown;
      this.badEpochs = 0;
    }
  }
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
  stateDict(): SchedulerState {
    return { best: this.best, badEpochs: this.badEpochs, cooldownLeft: this.cooldownLeft };
  }
  loadStateDict(s: SchedulerState): void {
    this.best = Number(s.best);
    this.badEpochs = Number(s.badEpochs);
    this.cooldownLeft = Number(s.cooldownLeft);
  }
}

// ---------------------------------------------------------------- LambdaLR, PolynomialLR, warm restarts, cyclic

/** lr·lrLambda(t), as torch.optim.lr_scheduler.LambdaLR (one function for every group). */
export class LambdaLR extends LRScheduler {
  constructor(opt: Optimizer<GroupBase>, readonly lrLambda: (epoch: number) => number) {
    super(opt);
    this.apply();
  }
  protected lrAt(base: number, t: number): number {
    return base * this.lrLambda(t);
  }
}

/** lr·(1 − min(t, totalIters)/totalIters)^power, as torch.optim.lr_scheduler.PolynomialLR. */
export class PolynomialLR extends LRScheduler {
  constructor(opt: Optimizer<GroupBase>, readonly totalIters = 5, readonly power = 1) {
    super(opt);
    if (!(totalIters > 0)) throw new StrataError('PolynomialLR', `totalIters must be > 0, got ${totalIters}`);
    this.apply();
  }
  protected lrAt(base: number, t: number): number {
    return base * Math.pow(1 - Math.min(t, this.totalIters) / this.totalIters, this.power);
  }
}

/**
 * Cosine annealing with warm restarts (Loshchilov & Hutter, 2017, SGDR): the cosine restarts after
 * t0, then t0·tMult, t0·tMult², … steps, as torch.optim.lr_scheduler.CosineAnnealingWarmRestarts.
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  constructor(opt: Optimizer<GroupBase>, readonly t0: number, readonly tMult = 1, readonly etaMin = 0) {
    super(opt);
    if (!(Number.isInteger(t0) && t0 > 0)) throw new StrataError('CosineAnnealingWarmRestarts', `t0 must be a positive integer, got ${t0}`);
    if (!(Number.isInteger(tMult) && tMult >= 1)) throw new StrataError('CosineAnnealingWarmRestarts', `tMult must be an integer >= 1, got ${tMult}`);
    this.apply();
  }
  protected lrAt(base: number, t: number): number {
    let tCur = t, tI = this.t0;
    if (this.tMult === 1) tCur = t % this.t0;
    else if (t >= this.t0) {
      const n = Math.floor(Math.log((t / this.t0) * (this.tMult - 1) + 1) / Math.log(this.tMult));
      tCur = t - (this.t0 * (Math.pow(this.tMult, n) - 1)) / (this.tMult - 1);
      tI = this.t0 * Math.pow(this.tMult, n);
    }
    return this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2;
  }
}

/** Options of CyclicLR, as torch.optim.lr_scheduler.CyclicLR. */
export interface CyclicLROptions {
  stepSizeUp?: number;
  stepSizeDown?: number | null;
  mode?: 'triangular' | 'triangular2' | 'exp_range';
  gamma?: number;
  /** Cycle the optimizer's momentum inversely to the lr between baseMomentum and maxMomentum (default true). */
  cycleMomentum?: boolean;
  baseMomentum?: number;
  maxMomentum?: number;
}

/**
 * Cyclical learning rates (Smith, 2017): the lr goes from baseLr up to maxLr in stepSizeUp steps and back
 * in stepSizeDown; 'triangular2' halves the amplitude each cycle, 'exp_range' scales it by gamma^t.
 * The lrs given here replace the optimizer's (as PyTorch does).
 */
export class CyclicLR extends LRScheduler {
  readonly maxLr: number;
  private readonly up: number;
  private readonly total: number;
  private readonly o: Required<Omit<CyclicLROptions, 'stepSizeDown'>>;
  constructor(opt: Optimizer<GroupBase>, readonly baseLr: number, maxLr: number, opts: CyclicLROptions = {}) {
    opt.paramGroups.forEach((g) => {
      g.lr = baseLr;
      (g as { initialLr?: number }).initialLr = baseLr;
    });
    super(opt);
    this.maxLr = maxLr;
    this.o = { stepSizeUp: 2000, mode: 'triangular', gamma: 1, cycleMomentum: true, baseMomentum: 0.8, maxMomentum: 0.9, ...opts };
    const down = opts.stepSizeDown ?? this.o.stepSizeUp;
    this.total = this.o.stepSizeUp + down;
    this.up = this.o.stepSizeUp / this.total;
    if (!(this.total > 0)) throw new StrataError('CyclicLR', `stepSizeUp + stepSizeDown must be > 0, got ${this.total}`);
    if (this.o.cycleMomentum) {
      for (const g of opt.paramGroups as unknown as Record<string, unknown>[]) {
        if (!('momentum' in g)) throw new StrataError('CyclicLR', "the optimizer has no 'momentum' to cycle (as in PyTorch, Adam's betas are not cycled); pass cycleMomentum: false");
      }
    }
    this.apply();
  }
  private position(t: number): { x: number; cycle: number } {
    const cycle = Math.floor(1 + t / this.total);
    const x = 1 + t / this.total - cycle;
    return { x: x <= this.up ? x / this.up : (x - 1) / (this.up - 1), cycle };
  }
  private scale(cycle: number, t: number): number {
    if (this.o.mode === 'triangular2') return 1 / Math.pow(2, cycle - 1);
    if (this.o.mode === 'exp_range') return Math.pow(this.o.gamma, t);
    return 1;
  }
  protected lrAt(_base: number, t: number): number {
    const { x, cycle } = this.position(t);
    return this.baseLr + (this.maxLr - this.baseLr) * x * this.scale(cycle, t);
  }
  protected override apply(): void {
    super.apply();
    if (!this.o?.cycleMomentum) return;
    const { x, cycle } = this.position(this.lastEpoch);
    const m = this.o.maxMomentum - (this.o.maxMomentum - this.o.baseMomentum) * x * this.scale(cycle, this.lastEpoch);
    for (const g of this.optimizer.paramGroups as unknown as Record<string, unknown>[]) g.momentum = m;
  }
}
