// Callbacks: progress display, JSON-lines metrics, early stopping, best-checkpoint saving.
import { appendFileSync } from 'node:fs';
import type { Callback, EpochLog, StepInfo, Trainer } from './trainer.js';

/** A progress bar on a TTY (redrawn at most 10 times a second), plain lines otherwise. */
export class ProgressLogger implements Callback {
  private last = 0;
  constructor(
    readonly out: NodeJS.WriteStream = process.stderr,
    readonly opts: { everyBatches?: number; epochs?: number; tty?: boolean } = {},
  ) {}
  private get tty(): boolean {
    return this.opts.tty ?? Boolean(this.out.isTTY);
  }
  onBatchEnd(_t: Trainer, s: StepInfo): void {
    const now = performance.now();
    const rate = s.samples / Math.max(s.elapsed, 1e-9);
    if (this.tty) {
      if (now - this.last < 100 && s.batch + 1 !== s.batches) return;
      this.last = now;
      const total = s.batches;
      const frac = total ? (s.batch + 1) / total : 0;
      const width = 30;
      const filled = Math.round(frac * width);
      const bar = total ? `[${'='.repeat(Math.max(0, filled - 1))}${filled ? '>' : ''}${' '.repeat(width - filled)}] ${s.batch + 1}/${total}` : `batch ${s.batch + 1}`;
      const eta = total ? ` eta ${Math.max(0, (s.elapsed / (s.batch + 1)) * (total - s.batch - 1)).toFixed(0)}s` : '';
      this.out.write(`\repoch ${s.epoch}${this.opts.epochs ? `/${this.opts.epochs}` : ''} ${bar} loss ${s.loss.toFixed(4)} ${rate.toFixed(0)} samples/s${eta}   `);
    } else {
      const every = this.opts.everyBatches ?? 200;
      if ((s.batch + 1) % every === 0) this.out.write(`epoch ${s.epoch} batch ${s.batch + 1}${s.batches ? `/${s.batches}` : ''} loss ${s.loss.toFixed(4)} ${rate.toFixed(0)} samples/s\n`);
    }
  }
  onEpochEnd(_t: Trainer, log: EpochLog): void {
    if (this.tty) this.out.write('\n');
    const parts = [`epoch ${log.epoch}${this.opts.epochs ? `/${this.opts.epochs}` : ''}`, `train_loss ${log.train_loss.toFixed(4)}`, `train_acc ${(log.train_accuracy * 100).toFixed(2)}%`];
    for (const [k, v] of Object.entries(log)) {
      if (['epoch', 'train_loss', 'train_accuracy', 'lr', 'epoch_seconds'].includes(k) || v === undefined) continue;
      parts.push(k.endsWith('accuracy') || k.endsWith('f1') ? `${k} ${(v * 100).toFixed(2)}%` : `${k} ${v.toFixed(4)}`);
    }
    parts.push(`lr ${log.lr.toExponential(2)}`, `${log.epoch_seconds.toFixed(1)} s`);
    this.out.write(parts.join('  ') + '\n');
  }
}

/** Appends each epoch's log as one JSON object per line. */
export class JsonlLogger implements Callback {
  constructor(readonly path: string, readonly extra: () => Record<string, unknown> = () => ({})) {}
  onEpochEnd(_t: Trainer, log: EpochLog): void {
    appendFileSync(this.path, JSON.stringify({ ...log, ...this.extra() }) + '\n');
  }
}

/** Stops training when `monitor` has not improved by minDelta for `patience` epochs. */
export class EarlyStopping implements Callback {
  best: number;
  wait = 0;
  stoppedEpoch: number | null = null;
  constructor(readonly opts: { monitor?: string; patience?: number; mode?: 'min' | 'max'; minDelta?: number } = {}) {
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }
  get mode(): 'min' | 'max' {
    return this.opts.mode ?? ((this.opts.monitor ?? 'val_loss').includes('acc') || (this.opts.monitor ?? '').includes('f1') ? 'max' : 'min');
  }
  onEpochEnd(t: Trainer, log: EpochLog): void {
    const key = this.opts.monitor ?? 'val_loss';
    const v = log[key];
    if (v === undefined) return;
    const d = this.opts.minDelta ?? 0;
    const improved = this.mode === 'min' ? v < this.best - d : v > this.best + d;
    if (improved) {
      this.best = v;
      this.wait = 0;
    } else if (++this.wait >= (this.opts.patience ?? 3)) {
      t.stopTraining = true;
      this.stoppedEpoch = log.epoch;
    }
  }
}

/** Calls `save` whenever `monitor` reaches a new best (or every epoch when saveBestOnly is false). */
export class ModelCheckpoint implements Callback {
  best: number;
  constructor(readonly save: (t: Trainer, log: EpochLog) => void | Promise<void>, readonly opts: { monitor?: string; mode?: 'min' | 'max'; saveBestOnly?: boolean } = {}) {
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }
  get mode(): 'min' | 'max' {
    return this.opts.mode ?? ((this.opts.monitor ?? 'val_loss').includes('acc') ? 'max' : 'min');
  }
  async onEpochEnd(t: Trainer, log: EpochLog): Promise<void> {
    const v = log[this.opts.monitor ?? 'val_loss'];
    const better = v !== undefined && (this.mode === 'min' ? v < this.best : v > this.best);
    if (better) this.best = v!;
    if (better || this.opts.saveBestOnly === false) await this.save(t, log);
  }
}

/** Stops training after `minutes` of wall-clock time, at the end of the batch that crosses it. */
export class TimeLimit implements Callback {
  private start = 0;
  constructor(readonly minutes: number) {}
  onTrainBegin(): void {
    this.start = performance.now();
  }
  onBatchEnd(t: Trainer): void {
    if ((performance.now() - this.start) / 60000 >= this.minutes) t.stopTraining = 'now';
  }
}
