// Callbacks: progress display, JSON-lines metrics, early stopping, best-checkpoint saving.
import { appendFileSync } from 'node:fs';
import type { Callback, EpochLog, EvalStepInfo, StepInfo, Trainer } from './trainer.js';

/** Minutes and seconds: 75 → "1:15". */
const clock = (seconds: number) => `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;

/**
 * A progress line on a TTY (redrawn at most 10 times a second, cleared and cut to the terminal's width,
 * so an 80-column terminal never wraps), plain lines otherwise. Shows the epoch, a bar, the running loss
 * and accuracy, throughput, elapsed time and the epoch's remaining time; evaluation passes show their own.
 */
export class ProgressLogger implements Callback {
  private last = 0;
  constructor(
    readonly out: NodeJS.WriteStream = process.stderr,
    readonly opts: { everyBatches?: number; epochs?: number; tty?: boolean; columns?: number } = {},
  ) {}
  private get tty(): boolean {
    return this.opts.tty ?? Boolean(this.out.isTTY);
  }
  private get columns(): number {
    return this.opts.columns ?? (this.out.columns || 80);
  }
  /** Redraws the line: carriage return, the text cut to the width, clear to the end of the line. */
  private draw(text: string): void {
    const max = Math.max(10, this.columns - 1);
    this.out.write(`\r${text.length > max ? text.slice(0, max) : text}\x1b[K`);
  }
  private bar(done: number, total: number, width: number): string {
    const filled = Math.round((done / total) * width);
    return `[${'='.repeat(Math.max(0, filled - 1))}${filled ? '>' : ''}${' '.repeat(width - filled)}]`;
  }
  onBatchEnd(_t: Trainer, s: StepInfo): void {
    const now = performance.now();
    const rate = s.samples / Math.max(s.elapsed, 1e-9);
    const acc = s.accuracy !== undefined ? ` acc ${(100 * s.accuracy).toFixed(1)}%` : '';
    const head = `epoch ${s.epoch}${this.opts.epochs ? `/${this.opts.epochs}` : ''}`;
    if (this.tty) {
      if (now - this.last < 100 && s.batch + 1 !== s.batches) return;
      this.last = now;
      const total = s.batches;
      const eta = total ? ` eta ${clock(Math.max(0, (s.elapsed / (s.batch + 1)) * (total - s.batch - 1)))}` : '';
      const tail = ` ${s.batch + 1}${total ? `/${total}` : ''} loss ${s.loss.toFixed(4)}${acc} ${rate.toFixed(0)}/s ${clock(s.elapsed)}${eta}`;
      // the bar takes what the numbers leave of the line (none on a very narrow terminal)
      const room = this.columns - 1 - head.length - tail.length - 3;
      const bar = total && room >= 10 ? ` ${this.bar(s.batch + 1, total, Math.min(30, room))}` : '';
      this.draw(`${head}${bar}${tail}`);
    } else {
      const every = this.opts.everyBatches ?? 200;
      if ((s.batch + 1) % every === 0) this.out.write(`${head} batch ${s.batch + 1}${s.batches ? `/${s.batches}` : ''} loss ${s.loss.toFixed(4)}${acc} ${rate.toFixed(0)} samples/s ${clock(s.elapsed)}\n`);
    }
  }
  onEvalBatchEnd(_t: Trainer, s: EvalStepInfo): void {
    if (!this.tty) return;
    const now = performance.now();
    if (now - this.last < 100 && s.batch + 1 !== s.batches) return;
    this.last = now;
    const total = s.batches;
    const eta = total ? ` eta ${clock(Math.max(0, (s.elapsed / (s.batch + 1)) * (total - s.batch - 1)))}` : '';
    this.draw(`evaluating ${s.batch + 1}${total ? `/${total}` : ''} batches, ${s.samples} samples ${clock(s.elapsed)}${eta}`);
  }
  onEpochEnd(_t: Trainer, log: EpochLog): void {
    if (this.tty) this.out.write('\r\x1b[K');
    const parts = [`epoch ${log.epoch}${this.opts.epochs ? `/${this.opts.epochs}` : ''}`, `train_loss ${log.train_loss.toFixed(4)}`, `train_acc ${(log.train_accuracy * 100).toFixed(2)}%`];
    for (const [k, v] of Object.entries(log)) {
      if (['epoch', 'train_loss', 'train_accuracy', 'lr', 'epoch_seconds', 'partial'].includes(k) || v === undefined) continue;
      parts.push(k.endsWith('accuracy') || k.endsWith('f1') || k.endsWith('exact_match') ? `${k} ${(v * 100).toFixed(2)}%` : k.endsWith('bleu') ? `${k} ${(v * 100).toFixed(2)}` : `${k} ${v.toFixed(4)}`);
    }
    parts.push(`lr ${log.lr.toExponential(2)}`, `${log.epoch_seconds.toFixed(1)} s`);
    if (log.partial !== undefined) parts.push(`(cut by the time limit after ${log.partial} batches)`);
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
