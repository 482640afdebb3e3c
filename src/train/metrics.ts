// Classification metrics: accuracy, top-k, confusion matrix, precision/recall/F1 (per class and macro).
import { StrataError, fmtShape } from '../tensor/errors.js';
import { noGrad } from '../autograd/grad-mode.js';
import { tidy } from '../tensor/memory.js';
import type { Tensor } from '../tensor/tensor.js';

/** Row-wise argmax of logits [N, C] as numbers (read back once). */
export function predictions(logits: Tensor): Int32Array {
  if (logits.ndim !== 2) throw new StrataError('predictions', `expected logits [N, C], got ${fmtShape(logits.shape)}`);
  const [n, c] = logits.shape;
  const v = logits.data() as Float32Array | Float64Array;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0, bv = v[i * c];
    for (let j = 1; j < c; j++) if (v[i * c + j] > bv) { bv = v[i * c + j]; best = j; }
    out[i] = best;
  }
  return out;
}

export function labelsOf(y: Tensor): Int32Array {
  const d = y.data();
  return Int32Array.from(d as ArrayLike<number | bigint>, (v) => Number(v));
}

/** Fraction of rows whose true label is among the k highest logits. */
export function topKAccuracy(logits: Tensor, labels: Tensor, k: number): number {
  const [n, c] = logits.shape;
  const v = logits.data() as Float32Array | Float64Array;
  const y = labelsOf(labels);
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const target = v[i * c + y[i]];
    let above = 0;
    for (let j = 0; j < c; j++) if (v[i * c + j] > target) above++;
    if (above < k) hits++;
  }
  return n ? hits / n : 0;
}

export interface ClassReport {
  precision: number[];
  recall: number[];
  f1: number[];
  support: number[];
  macroPrecision: number;
  macroRecall: number;
  macroF1: number;
  accuracy: number;
}

/** Counts [true class][predicted class], accumulated batch by batch. */
export class ConfusionMatrix {
  readonly counts: number[][];
  constructor(readonly numClasses: number) {
    this.counts = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  }
  /** Adds predictions and labels (arrays of class indices). */
  add(pred: ArrayLike<number>, labels: ArrayLike<number>): void {
    if (pred.length !== labels.length) throw new StrataError('ConfusionMatrix', `${pred.length} predictions but ${labels.length} labels`);
    for (let i = 0; i < pred.length; i++) {
      const t = labels[i], p = pred[i];
      if (t < 0 || t >= this.numClasses || p < 0 || p >= this.numClasses) {
        throw new StrataError('ConfusionMatrix', `class index out of range [0, ${this.numClasses}): label ${t}, prediction ${p}`);
      }
      this.counts[t][p]++;
    }
  }
  get total(): number {
    return this.counts.reduce((s, r) => s + r.reduce((a, b) => a + b, 0), 0);
  }
  /**
   * Precision, recall and F1 per class, their unweighted (macro) means, and accuracy.
   * NOTE: a class never predicted has precision 0 (and F1 0), as scikit-learn's zero_division=0.
   */
  report(): ClassReport {
    const C = this.numClasses;
    const precision: number[] = [], recall: number[] = [], f1: number[] = [], support: number[] = [];
    let correct = 0;
    for (let c = 0; c < C; c++) {
      const tp = this.counts[c][c];
      correct += tp;
      let predicted = 0;
      for (let t = 0; t < C; t++) predicted += this.counts[t][c];
      const actual = this.counts[c].reduce((a, b) => a + b, 0);
      const p = predicted ? tp / predicted : 0;
      const r = actual ? tp / actual : 0;
      precision.push(p);
      recall.push(r);
      f1.push(p + r ? (2 * p * r) / (p + r) : 0);
      support.push(actual);
    }
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / Math.max(1, a.length);
    return { precision, recall, f1, support, macroPrecision: mean(precision), macroRecall: mean(recall), macroF1: mean(f1), accuracy: this.total ? correct / this.total : 0 };
  }
  /** A printable table with class names. */
  format(names?: readonly string[]): string {
    const C = this.numClasses;
    const labels = Array.from({ length: C }, (_, i) => (names?.[i] ?? String(i)).slice(0, 24));
    const w = Math.max(6, ...this.counts.flat().map((v) => String(v).length + 1));
    const lw = Math.max(...labels.map((l) => l.length)) + 1;
    const head = ' '.repeat(lw) + Array.from({ length: C }, (_, i) => String(i).padStart(w)).join('');
    const rows = this.counts.map((r, i) => `${labels[i].padEnd(lw)}${r.map((v) => String(v).padStart(w)).join('')}`);
    return ['true \\ predicted', head, ...rows].join('\n');
  }
}

/** Accumulates loss, accuracy and the confusion matrix over batches. */
export class ClassificationMeter {
  private lossSum = 0;
  private n = 0;
  readonly confusion: ConfusionMatrix;
  constructor(readonly numClasses: number) {
    this.confusion = new ConfusionMatrix(numClasses);
  }
  /** loss: the batch's mean loss. */
  update(logits: Tensor, labels: Tensor, loss?: number): void {
    const pred = noGrad(() => tidy(() => predictions(logits)));
    const y = labelsOf(labels);
    this.confusion.add(pred, y);
    if (loss !== undefined) {
      this.lossSum += loss * y.length;
      this.n += y.length;
    }
  }
  get loss(): number {
    return this.n ? this.lossSum / this.n : NaN;
  }
  get accuracy(): number {
    return this.confusion.report().accuracy;
  }
}
