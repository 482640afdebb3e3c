// The training loop (fit/evaluate) with callbacks, gradient accumulation, clipping, LR scheduling and NaN detection.
import { toDevice } from '../ops/convert.js';
import { StrataError } from '../tensor/errors.js';
import { tidy } from '../tensor/memory.js';
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/grad-mode.js';
import type { Module } from '../nn/module.js';
import type { GroupBase, Optimizer } from '../optim/optimizer.js';
import { LRScheduler, ReduceLROnPlateau } from '../optim/scheduler.js';
import { clipGradNorm_ } from '../optim/clip.js';
import { crossEntropy } from '../ops/loss.js';
import { ClassificationMeter, type ClassReport } from './metrics.js';

/** A batch: inputs and targets, and any further inputs by name (e.g. `audio` beside the images `x`). */
export interface Batch {
  x: Tensor;
  y: Tensor;
  [input: string]: Tensor | undefined;
}
/** Batches from a DataLoader, an array, or any (async) iterable; `length` (batches per epoch) enables progress bars. */
export type BatchSource = (Iterable<Batch> | AsyncIterable<Batch>) & { length?: number };

/** One epoch's record (also a line of metrics.jsonl). */
export interface EpochLog {
  epoch: number;
  train_loss: number;
  train_accuracy: number;
  val_loss?: number;
  val_accuracy?: number;
  val_macro_f1?: number;
  /** Present when a time limit ended the epoch early: the batches it ran. */
  partial?: number;
  lr: number;
  epoch_seconds: number;
  [k: string]: number | undefined;
}

export interface StepInfo {
  epoch: number;
  /** Batch index within the epoch (0-based). */
  batch: number;
  /** Batches per epoch, when the source knows. */
  batches?: number;
  loss: number;
  /** Samples seen so far this epoch. */
  samples: number;
  /** Seconds since the epoch began. */
  elapsed: number;
}

export interface Callback {
  onTrainBegin?(t: Trainer): void | Promise<void>;
  onEpochBegin?(t: Trainer, epoch: number): void | Promise<void>;
  onBatchEnd?(t: Trainer, step: StepInfo): void | Promise<void>;
  /** May add fields to the log before it is recorded (e.g. test metrics). */
  onEpochEnd?(t: Trainer, log: EpochLog): void | Promise<void>;
  onTrainEnd?(t: Trainer, history: EpochLog[]): void | Promise<void>;
}

export interface TrainerOptions {
  model: Module;
  optimizer: Optimizer<GroupBase>;
  /** Default: cross-entropy on class indices. */
  lossFn?: (output: Tensor, target: Tensor) => Tensor;
  /** What produces the output the loss sees (default: model.forward(x)); gets the whole batch for models with more inputs. */
  forward?: (x: Tensor, batch: Batch) => Tensor;
  scheduler?: LRScheduler | ReduceLROnPlateau | null;
  /** When the scheduler steps: after every optimizer step, or after every epoch (default). */
  schedulerInterval?: 'step' | 'epoch';
  /** ReduceLROnPlateau's metric (default val_loss, else train_loss). */
  plateauMetric?: string;
  callbacks?: Callback[];
  /** Optimizer step every k batches, on the mean gradient. */
  gradAccumulation?: number;
  /** Clip the gradients' total 2-norm to this value. */
  clipGradNorm?: number | null;
  /** For accuracy and the confusion matrix; default: the output's last dim. */
  numClasses?: number;
  /** Free each batch's tensors after its step (default). Pass false when the source reuses its tensors. */
  disposeBatches?: boolean;
  /** Prefix of the validation metrics in epoch logs (default 'val': val_loss, val_accuracy, val_macro_f1). */
  validationName?: string;
  /**
   * Weight of the model's auxiliary losses (see auxLossOf, e.g. a mixture of experts' load balancing) added
   * to the training loss (default 0.01, Switch Transformer's α; 0 leaves them out). Their epoch mean is
   * logged as train_aux_loss; train_loss stays the task loss.
   */
  auxLossWeight?: number;
}

/** A module with an auxiliary training loss from its last forward (e.g. nn.MixtureOfExperts). */
export interface HasAuxLoss {
  auxLoss(): Tensor | null;
}

/**
 * The sum of auxLoss() over the model's modules that have one (null when none has a loss): what the
 * Trainer adds, times auxLossWeight, to the training loss. Call it right after the forward that made them.
 */
export function auxLossOf(model: Module): Tensor | null {
  let total: Tensor | null = null;
  for (const m of model.modules()) {
    const f = (m as Partial<HasAuxLoss>).auxLoss;
    const l = typeof f === 'function' ? f.call(m) : null;
    if (l) total = total ? total.add(l) : l;
  }
  return total;
}

export interface EvalResult {
  loss: number;
  accuracy: number;
  macroF1: number;
  report: ClassReport;
  confusion: number[][];
}

/** Raised when the loss becomes NaN or infinite. */
export class TrainingDiverged extends StrataError {
  constructor(message: string) {
    super('train', message);
    this.name = 'TrainingDiverged';
  }
}

/**
 * Trains a model on batches, Keras-style, with PyTorch's semantics underneath.
 * @example
 * const trainer = new Trainer({ model, optimizer: new optim.Adam(model.parameters()) });
 * await trainer.fit(trainLoader, { epochs: 5, validation: testLoader });
 */
export class Trainer {
  readonly model: Module;
  readonly optimizer: Optimizer<GroupBase>;
  readonly callbacks: Callback[];
  /** Epochs completed (also the index of the next epoch). */
  epoch = 0;
  /** Optimizer steps taken. */
  globalStep = 0;
  /** Set by a callback: true ends fit() after the current epoch (early stopping), 'now' after the current batch (time limits). */
  stopTraining: boolean | 'now' = false;
  /** True when the last epoch was cut short by stopTraining = 'now'. */
  partialEpoch = false;
  readonly history: EpochLog[] = [];
  private readonly lossFn: (o: Tensor, y: Tensor) => Tensor;
  private readonly forward: (x: Tensor, batch: Batch) => Tensor;

  constructor(readonly opts: TrainerOptions) {
    this.model = opts.model;
    this.optimizer = opts.optimizer;
    this.callbacks = opts.callbacks ?? [];
    this.lossFn = opts.lossFn ?? ((o, y) => crossEntropy(o, y));
    this.forward = opts.forward ?? ((x) => this.model.forward(x) as Tensor);
  }

  private async emit<K extends keyof Callback>(name: K, ...args: unknown[]): Promise<void> {
    for (const cb of this.callbacks) {
      const f = cb[name] as ((...a: unknown[]) => void | Promise<void>) | undefined;
      if (f) await f.apply(cb, [this, ...args]);
    }
  }

  /** The first group's learning rate. */
  get lr(): number {
    return this.optimizer.paramGroups[0].lr;
  }

  /** Runs epochs this.epoch+1 … epochs; returns the history. */
  async fit(train: BatchSource, o: { epochs: number; validation?: BatchSource | null }): Promise<EpochLog[]> {
    const accum = this.opts.gradAccumulation ?? 1;
    if (!Number.isInteger(accum) || accum < 1) throw new StrataError('fit', `gradAccumulation must be a positive integer, got ${accum}`);
    this.stopTraining = false;
    await this.emit('onTrainBegin');
    while (this.epoch < o.epochs && !this.stopTraining) {
      const epoch = this.epoch + 1;
      await this.emit('onEpochBegin', epoch);
      this.model.train();
      const t0 = performance.now();
      let meter: ClassificationMeter | null = null;
      let batch = 0, samples = 0, pending = 0, auxSum = 0, auxCount = 0;
      const auxWeight = this.opts.auxLossWeight ?? 0.01;
      this.optimizer.zeroGrad();
      for await (const b0 of train as AsyncIterable<Batch>) {
        const b = this.onModelDevice(b0);
        const loss = tidy(() => {
          const out = this.forward(b.x, b);
          let l = this.lossFn(out, b.y);
          const value = l.item();
          const aux = auxWeight !== 0 ? auxLossOf(this.model) : null;
          if (aux) {
            const a = aux.item();
            auxSum += a;
            auxCount++;
            l = l.add(aux.mul(auxWeight));
          }
          const total = aux ? l.item() : value;
          if (!Number.isFinite(total)) {
            throw new TrainingDiverged(`the loss is ${total} at epoch ${epoch}, batch ${batch}; lower the learning rate (now ${this.lr}) or clip the gradients (clipGradNorm / --clip-grad)`);
          }
          (accum > 1 ? l.div(accum) : l).backward();
          meter ??= new ClassificationMeter(this.opts.numClasses ?? out.shape[out.ndim - 1]);
          meter.update(out, b.y, value);
          return value;
        });
        pending++;
        if (pending === accum) {
          this.optimizerStep();
          pending = 0;
        }
        samples += b.y.shape[0] ?? 0;
        this.release(b);
        await this.emit('onBatchEnd', { epoch, batch, batches: train.length, loss, samples, elapsed: (performance.now() - t0) / 1000 } satisfies StepInfo);
        batch++;
        if (this.stopRequested() === 'now') break;
      }
      if (pending > 0) this.optimizerStep();
      const seconds = (performance.now() - t0) / 1000;
      this.partialEpoch = this.stopRequested() === 'now';
      if (!meter) throw new StrataError('fit', 'the training data produced no batches');
      const m = meter as ClassificationMeter;
      const log: EpochLog = { epoch, train_loss: m.loss, train_accuracy: m.accuracy, lr: this.lr, epoch_seconds: seconds };
      // an epoch cut short by a time limit is still evaluated and logged, marked partial
      if (this.partialEpoch) log.partial = batch;
      if (auxCount > 0) log.train_aux_loss = auxSum / auxCount;
      if (o.validation) {
        const v = await this.evaluate(o.validation);
        const p = this.opts.validationName ?? 'val';
        log[`${p}_loss`] = v.loss;
        log[`${p}_accuracy`] = v.accuracy;
        log[`${p}_macro_f1`] = v.macroF1;
      }
      const sched = this.opts.scheduler;
      if (sched instanceof ReduceLROnPlateau) {
        const key = this.opts.plateauMetric ?? (log.val_loss !== undefined ? 'val_loss' : 'train_loss');
        const metric = log[key];
        if (metric === undefined) throw new StrataError('fit', `ReduceLROnPlateau monitors '${key}', which the epoch log does not have`);
        sched.step(metric);
      } else if (sched && (this.opts.schedulerInterval ?? 'epoch') === 'epoch') sched.step();
      this.epoch = epoch;
      await this.emit('onEpochEnd', log);
      this.history.push(log);
    }
    await this.emit('onTrainEnd', this.history);
    return this.history;
  }

  // NOTE: a method, so TypeScript does not narrow the field across callbacks that set it.
  private stopRequested(): boolean | 'now' {
    return this.stopTraining;
  }

  /**
   * The batch on the model's device: a model on a GPU gets its batches copied there (asynchronously from a
   * pinned loader's memory), the host copies freed. Other batches pass unchanged.
   */
  private onModelDevice(b: Batch): Batch {
    const target = this.model.parameters()[0]?.backend;
    if (!target || target.device.type === 'cpu') return b;
    const out: Batch = { ...b };
    for (const [k, v] of Object.entries(b)) {
      if (v instanceof Tensor && v.backend !== target) {
        (out as Record<string, unknown>)[k] = toDevice(v, target, { nonBlocking: v.isPinned() });
        if (this.opts.disposeBatches !== false) v.dispose();
      }
    }
    return out;
  }

  private release(b: Batch): void {
    if (this.opts.disposeBatches === false) return;
    // every tensor of the batch: x, y and any others a collate adds (masks, lengths, decoder inputs)
    for (const v of Object.values(b)) if (v instanceof Tensor) v.dispose();
  }

  private optimizerStep(): void {
    if (this.opts.clipGradNorm) clipGradNorm_(this.model.parameters(), this.opts.clipGradNorm);
    this.optimizer.step();
    this.optimizer.zeroGrad();
    this.globalStep++;
    const sched = this.opts.scheduler;
    if (sched instanceof LRScheduler && this.opts.schedulerInterval === 'step') sched.step();
  }

  /** Loss, accuracy, macro F1 and the confusion matrix over a data source (eval mode, no gradients). */
  async evaluate(data: BatchSource): Promise<EvalResult> {
    const wasTraining = this.model.training;
    this.model.eval();
    let meter: ClassificationMeter | null = null;
    try {
      for await (const b0 of data as AsyncIterable<Batch>) {
        const b = this.onModelDevice(b0);
        noGrad(() => tidy(() => {
          const out = this.forward(b.x, b);
          const l = this.lossFn(out, b.y).item();
          meter ??= new ClassificationMeter(this.opts.numClasses ?? out.shape[out.ndim - 1]);
          meter.update(out, b.y, l);
        }));
        this.release(b);
      }
    } finally {
      this.model.train(wasTraining);
    }
    if (!meter) throw new StrataError('evaluate', 'the data produced no batches');
    const m = meter as ClassificationMeter;
    const report = m.confusion.report();
    return { loss: m.loss, accuracy: report.accuracy, macroF1: report.macroF1, report, confusion: m.confusion.counts };
  }
}
