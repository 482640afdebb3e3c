// The bag-of-words baseline for text classification: TF / TF-IDF features over a word vocabulary
// (sparse rows) and a multinomial logistic regression on strata tensors trained with Adam.
import { tensor, zeros } from '../../ops/creation.js';
import { crossEntropy } from '../../ops/loss.js';
import { add, embedding, indexAdd, mul } from '../../ops/index.js';
import { Adam } from '../../optim/adam.js';
import { noGrad } from '../../autograd/grad-mode.js';
import type { BackendName } from '../../backends/backend.js';
import { StrataError } from '../../tensor/errors.js';
import { tidy } from '../../tensor/memory.js';
import { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { permutation } from '../dataset.js';
import type { TextClassificationDataset } from './datasets.js';
import { WordTokenizer, type WordSplit } from './tokenizers.js';
import { NUM_SPECIAL } from './vocab.js';

/** Row-compressed sparse rows: row i's columns indices[indptr[i]..indptr[i+1]) with their values. */
export interface SparseRows {
  indptr: Int32Array;
  indices: Int32Array;
  values: Float32Array;
  rows: number;
  cols: number;
}

export interface BowOptions {
  /** Vocabulary size: the most frequent words of the training texts (default 20000). */
  maxFeatures?: number;
  /** Ignore words seen fewer times than this in training (default 2). */
  minFreq?: number;
  /** Word splitting (default 'basic_english', lower-cased). */
  split?: WordSplit;
  /**
   * 'tfidf' (default): term count × idf, idf = ln((1 + n) / (1 + df)) + 1 (scikit-learn's smoothed idf);
   * 'tf': term counts; 'binary': 1 for each word present. Rows are then L2-normalised (unless normalize false).
   */
  weighting?: 'tfidf' | 'tf' | 'binary';
  /** Use 1 + ln(count) instead of the count (default false). */
  sublinearTf?: boolean;
  /** L2-normalise each row (default true). */
  normalize?: boolean;
}

/** Texts → sparse bag-of-words feature rows over a fixed word vocabulary (feature j = word j of the tokenizer). */
export class BowVectorizer {
  readonly tokenizer: WordTokenizer;
  /** Inverse document frequencies (all 1 unless weighting is 'tfidf'). */
  readonly idf: Float32Array;
  readonly weighting: 'tfidf' | 'tf' | 'binary';
  readonly sublinearTf: boolean;
  readonly normalize: boolean;

  private constructor(tokenizer: WordTokenizer, idf: Float32Array, o: Required<Pick<BowOptions, 'weighting' | 'sublinearTf' | 'normalize'>>) {
    this.tokenizer = tokenizer;
    this.idf = idf;
    this.weighting = o.weighting;
    this.sublinearTf = o.sublinearTf;
    this.normalize = o.normalize;
  }

  /** Learns the vocabulary (and idf) from training texts. */
  static fit(texts: readonly string[], opts: BowOptions = {}): BowVectorizer {
    const op = 'BowVectorizer.fit';
    const weighting = opts.weighting ?? 'tfidf';
    if (!['tfidf', 'tf', 'binary'].includes(weighting)) throw new StrataError(op, `weighting must be 'tfidf', 'tf' or 'binary', got ${JSON.stringify(weighting)}`);
    if (!Array.isArray(texts) || texts.length === 0) throw new StrataError(op, 'needs a non-empty array of training texts');
    const tokenizer = WordTokenizer.fromTexts(texts, { split: opts.split ?? 'basic_english', lower: true, maxSize: opts.maxFeatures ?? 20000, minFreq: opts.minFreq ?? 2 });
    const v = tokenizer.words.length;
    if (v === 0) throw new StrataError(op, `no word occurs minFreq (${opts.minFreq ?? 2}) times in the training texts`);
    const idf = new Float32Array(v).fill(1);
    if (weighting === 'tfidf') {
      const df = new Float64Array(v);
      for (const t of texts) for (const j of new Set(tokenizer.encode(t))) if (j >= NUM_SPECIAL) df[j - NUM_SPECIAL]++;
      for (let j = 0; j < v; j++) idf[j] = Math.log((1 + texts.length) / (1 + df[j])) + 1;
    }
    return new BowVectorizer(tokenizer, idf, { weighting, sublinearTf: opts.sublinearTf ?? false, normalize: opts.normalize ?? true });
  }

  /** Number of features (vocabulary words). */
  get numFeatures(): number {
    return this.idf.length;
  }

  /** The feature rows of texts (words outside the vocabulary are ignored). */
  transform(texts: readonly string[]): SparseRows {
    if (!Array.isArray(texts)) throw new StrataError('BowVectorizer.transform', 'expected an array of texts');
    const indptr = new Int32Array(texts.length + 1);
    const indices: number[] = [], values: number[] = [];
    texts.forEach((t, i) => {
      const counts = new Map<number, number>();
      for (const id of this.tokenizer.encode(t)) if (id >= NUM_SPECIAL) counts.set(id - NUM_SPECIAL, (counts.get(id - NUM_SPECIAL) ?? 0) + 1);
      const cols = [...counts.keys()].sort((a, b) => a - b);
      let norm = 0;
      const start = values.length;
      for (const j of cols) {
        const c = counts.get(j)!;
        const tf = this.weighting === 'binary' ? 1 : this.sublinearTf ? 1 + Math.log(c) : c;
        const w = tf * this.idf[j];
        indices.push(j);
        values.push(w);
        norm += w * w;
      }
      if (this.normalize && norm > 0) {
        const s = 1 / Math.sqrt(norm);
        for (let k = start; k < values.length; k++) values[k] *= s;
      }
      indptr[i + 1] = values.length;
    });
    return { indptr, indices: Int32Array.from(indices), values: Float32Array.from(values), rows: texts.length, cols: this.numFeatures };
  }
}

/**
 * Logits [rows.length, C] = x[rows]·W + b computed sparsely: the rows' nonzeros gather rows of W
 * (embedding), scaled by their values and summed per row (indexAdd), so no dense [B, V] batch is built.
 */
function sparseLogits(x: SparseRows, rows: ArrayLike<number>, weight: Tensor, bias: Tensor, backend?: BackendName): Tensor {
  let nnz = 0;
  for (let k = 0; k < rows.length; k++) nnz += x.indptr[rows[k] + 1] - x.indptr[rows[k]];
  const base = zeros([rows.length, weight.shape[1]], { backend });
  if (nnz === 0) return add(base, bias);
  const cols = new Int32Array(nnz), owner = new Int32Array(nnz), vals = new Float32Array(nnz);
  let o = 0;
  for (let k = 0; k < rows.length; k++) {
    for (let p = x.indptr[rows[k]]; p < x.indptr[rows[k] + 1]; p++, o++) {
      cols[o] = x.indices[p];
      owner[o] = k;
      vals[o] = x.values[p];
    }
  }
  const gathered = embedding(tensor(cols, { dtype: 'int64', shape: [nnz], backend }), weight);
  const scaled = mul(gathered, tensor(vals, { shape: [nnz, 1], backend }));
  return add(indexAdd(base, 0, tensor(owner, { dtype: 'int64', shape: [nnz], backend }), scaled), bias);
}

export interface LogisticRegressionOptions extends BowOptions {
  /** Passes over the training set (default 8). */
  epochs?: number;
  /** Samples per step (default 128). */
  batchSize?: number;
  /** Adam learning rate (default 0.02). */
  lr?: number;
  /** L2 penalty added to the gradient (Adam weightDecay, default 1e-5). */
  weightDecay?: number;
  /** Seeds the shuffling (default 0). */
  seed?: number;
  /** Backend for the tensors (default: the current one). */
  backend?: BackendName;
}

/** Per-split evaluation of a classifier. */
export interface ClassifierReport {
  accuracy: number;
  /** confusion[true][predicted]. */
  confusion: number[][];
  /** Recall of each class (NaN for a class absent from the split). */
  perClassRecall: number[];
  n: number;
}

/** Accuracy, confusion matrix and per-class recall of predictions against labels. */
export function classificationReport(pred: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): ClassifierReport {
  if (pred.length !== labels.length) throw new StrataError('classificationReport', `${pred.length} predictions but ${labels.length} labels`);
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  let hits = 0;
  for (let i = 0; i < labels.length; i++) {
    confusion[labels[i]][pred[i]]++;
    if (labels[i] === pred[i]) hits++;
  }
  const perClassRecall = confusion.map((row, c) => {
    const n = row.reduce((a, b) => a + b, 0);
    return n === 0 ? NaN : row[c] / n;
  });
  return { accuracy: labels.length === 0 ? NaN : hits / labels.length, confusion, perClassRecall, n: labels.length };
}

/**
 * The text-classification baseline: multinomial logistic regression on bag-of-words features
 * (BowVectorizer, TF-IDF by default), softmax(x·W + b) with W zero-initialised, trained by minibatch
 * Adam on the mean cross-entropy (x·W computed sparsely). A learned text classifier should beat its accuracy.
 * @example
 * const clf = BowLogisticRegression.fit(new KJVGenre({ split: 'train' }));
 * clf.accuracy(new KJVGenre({ split: 'test' }))
 */
export class BowLogisticRegression {
  /** [numFeatures, numClasses]. */
  readonly weight: Tensor;
  /** [numClasses]. */
  readonly bias: Tensor;
  /** Mean training loss of each epoch. */
  readonly history: number[];

  private constructor(readonly vectorizer: BowVectorizer, readonly classes: readonly string[], weight: Tensor, bias: Tensor, history: number[], private readonly backend?: BackendName) {
    this.weight = weight;
    this.bias = bias;
    this.history = history;
  }

  static fit(train: TextClassificationDataset, opts: LogisticRegressionOptions = {}): BowLogisticRegression {
    const op = 'BowLogisticRegression.fit';
    if (!train || !Array.isArray(train.texts) || !(train.labels instanceof Int32Array)) throw new StrataError(op, 'expected a TextClassificationDataset (texts, labels, classes)');
    const epochs = opts.epochs ?? 8, batchSize = opts.batchSize ?? 128;
    for (const [name, v] of [['epochs', epochs], ['batchSize', batchSize]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new StrataError(op, `${name} must be a positive integer, got ${v}`);
    }
    const keep: number[] = [];
    for (let i = 0; i < train.labels.length; i++) if (train.labels[i] >= 0) keep.push(i);
    if (keep.length === 0) throw new StrataError(op, 'the training set has no labelled texts');
    const texts = keep.map((i) => train.texts[i]);
    const labels = Int32Array.from(keep, (i) => train.labels[i]);
    const vec = BowVectorizer.fit(texts, opts);
    const x = vec.transform(texts);
    const c = train.classes.length, backend = opts.backend;
    const weight = zeros([vec.numFeatures, c], { backend }).requiresGrad_();
    const bias = zeros([c], { backend }).requiresGrad_();
    const optim = new Adam([weight, bias], { lr: opts.lr ?? 0.02, weightDecay: opts.weightDecay ?? 1e-5 });
    const g = new Generator(opts.seed ?? 0);
    const history: number[] = [];
    for (let e = 0; e < epochs; e++) {
      const order = permutation(labels.length, g);
      let total = 0;
      for (let s = 0; s < order.length; s += batchSize) {
        const rows = order.subarray(s, Math.min(s + batchSize, order.length));
        const loss = tidy(() => {
          const yb = tensor(Int32Array.from(rows, (r) => labels[r]), { dtype: 'int64', shape: [rows.length], backend });
          const l = crossEntropy(sparseLogits(x, rows, weight, bias, backend), yb);
          l.backward();
          return l.item();
        });
        optim.step();
        optim.zeroGrad();
        total += loss * rows.length;
      }
      history.push(total / labels.length);
    }
    return new BowLogisticRegression(vec, train.classes, weight, bias, history, backend);
  }

  /** Class scores [texts.length, numClasses] (logits). */
  logits(texts: readonly string[]): Tensor {
    const x = this.vectorizer.transform(texts);
    const all = Int32Array.from({ length: x.rows }, (_, i) => i);
    return noGrad(() => tidy(() => sparseLogits(x, all, this.weight, this.bias, this.backend)));
  }

  /** The most likely class of each text. */
  predict(texts: readonly string[]): Int32Array {
    const out = new Int32Array(texts.length);
    const step = 1024;
    for (let s = 0; s < texts.length; s += step) {
      const part = texts.slice(s, s + step);
      const am = tidy(() => Array.from(this.logits(part).argmax(1).data() as BigInt64Array, Number));
      out.set(am, s);
    }
    return out;
  }

  /** Accuracy, confusion matrix and per-class recall on a labelled dataset. */
  evaluate(ds: TextClassificationDataset): ClassifierReport {
    if (ds.classes.length !== this.classes.length) throw new StrataError('BowLogisticRegression.evaluate', `the model has ${this.classes.length} classes, the dataset ${ds.classes.length}`);
    const keep: number[] = [];
    for (let i = 0; i < ds.labels.length; i++) if (ds.labels[i] >= 0) keep.push(i);
    const pred = this.predict(keep.map((i) => ds.texts[i]));
    return classificationReport(pred, Int32Array.from(keep, (i) => ds.labels[i]), this.classes.length);
  }

  /** Fraction of a labelled dataset's texts classified correctly. */
  accuracy(ds: TextClassificationDataset): number {
    return this.evaluate(ds).accuracy;
  }
}
