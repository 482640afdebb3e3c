// Generic text datasets: labelled texts (TextClassificationDataset), their token ids
// (TokenizedDataset), source/target pairs (Seq2SeqDataset) and next-token windows (LanguageModelingDataset).
import { StrataError } from '../../tensor/errors.js';
import { checkIndex, type Dataset } from '../dataset.js';
import type { NDArray } from '../ndarray.js';
import { truncateIds, type Side } from './sequence.js';
import type { Tokenizer } from './vocab.js';

/** One labelled text; y = -1 marks an unlabelled text (IMDB's unsup split). */
export interface TextClassSample {
  text: string;
  y: number;
}

export interface TokenizeOptions {
  /** Cut each sequence to this many ids (after <bos>/<eos> are added). */
  maxLength?: number;
  /** Which end to cut (default 'right': keep the beginning). */
  truncation?: Side;
  addBos?: boolean;
  addEos?: boolean;
}

function checkTokenizer(op: string, tok: Tokenizer): void {
  if (!tok || typeof tok.encode !== 'function' || !Number.isInteger(tok.vocabSize)) throw new StrataError(op, 'expected a tokenizer (CharTokenizer, WordTokenizer or ByteBPETokenizer)');
}

function encodeAll(op: string, tok: Tokenizer, texts: readonly string[], o: TokenizeOptions): Int32Array[] {
  checkTokenizer(op, tok);
  if (o.maxLength !== undefined && (!Number.isInteger(o.maxLength) || o.maxLength < 1)) throw new StrataError(op, `maxLength must be a positive integer, got ${o.maxLength}`);
  return texts.map((t) => {
    const ids = tok.encode(t, { addBos: o.addBos, addEos: o.addEos });
    return Int32Array.from(o.maxLength === undefined ? ids : truncateIds(ids, o.maxLength, o.truncation ?? 'right'));
  });
}

/** Texts with class labels (index into `classes`). */
export class TextClassificationDataset implements Dataset<TextClassSample> {
  readonly texts: readonly string[];
  readonly labels: Int32Array;
  readonly classes: readonly string[];

  constructor(texts: readonly string[], labels: ArrayLike<number>, classes: readonly string[]) {
    const op = 'TextClassificationDataset';
    if (!Array.isArray(texts)) throw new StrataError(op, 'expected texts as an array of strings');
    if (!Array.isArray(classes) || classes.length === 0) throw new StrataError(op, 'expected a non-empty array of class names');
    if (labels.length !== texts.length) throw new StrataError(op, `${texts.length} texts but ${labels.length} labels`);
    texts.forEach((t, i) => {
      if (typeof t !== 'string') throw new StrataError(op, `text ${i} is ${typeof t}, expected a string`);
    });
    this.labels = Int32Array.from(labels);
    for (let i = 0; i < this.labels.length; i++) {
      const l = this.labels[i];
      if (l !== labels[i] || l < -1 || l >= classes.length) throw new StrataError(op, `label ${labels[i]} at index ${i} is out of range [0, ${classes.length}) (-1 marks an unlabelled text)`);
    }
    this.texts = texts;
    this.classes = classes.slice();
  }

  get length(): number {
    return this.texts.length;
  }

  get(i: number): TextClassSample {
    checkIndex('TextClassificationDataset.get', i, this.texts.length);
    return { text: this.texts[i], y: this.labels[i] };
  }

  /** Samples per class (unlabelled ones not counted). */
  classCounts(): number[] {
    const c = new Array<number>(this.classes.length).fill(0);
    for (const l of this.labels) if (l >= 0) c[l]++;
    return c;
  }

  /** The texts as token ids, for a DataLoader with `textCollate()`: samples {x: int32 [L], y: class}. */
  encode(tokenizer: Tokenizer, opts: TokenizeOptions = {}): TokenizedDataset<number> {
    return new TokenizedDataset(encodeAll('TextClassificationDataset.encode', tokenizer, this.texts, opts), Array.from(this.labels));
  }
}

/** Token-id samples {x: int32 [L], y}: y a class (number) or target ids (NDArray int32 [L']). */
export class TokenizedDataset<Y extends number | NDArray<Int32Array>> implements Dataset<{ x: NDArray<Int32Array>; y: Y }> {
  constructor(readonly ids: readonly Int32Array[], readonly targets: readonly (number | Int32Array)[]) {
    if (ids.length !== targets.length) throw new StrataError('TokenizedDataset', `${ids.length} inputs but ${targets.length} targets`);
  }
  get length(): number {
    return this.ids.length;
  }
  get(i: number): { x: NDArray<Int32Array>; y: Y } {
    checkIndex('TokenizedDataset.get', i, this.ids.length);
    const x = this.ids[i], t = this.targets[i];
    return { x: { data: x, shape: [x.length] }, y: (typeof t === 'number' ? t : { data: t, shape: [(t as Int32Array).length] }) as Y };
  }
  /** The longest input, in ids. */
  maxLength(): number {
    return this.ids.reduce((m, a) => Math.max(m, a.length), 0);
  }
}

/** One source/target text pair. */
export interface Seq2SeqPair {
  source: string;
  target: string;
}

/** Source/target text pairs. */
export class Seq2SeqDataset implements Dataset<Seq2SeqPair> {
  constructor(readonly sources: readonly string[], readonly targets: readonly string[]) {
    if (sources.length !== targets.length) throw new StrataError('Seq2SeqDataset', `${sources.length} sources but ${targets.length} targets`);
  }
  get length(): number {
    return this.sources.length;
  }
  get(i: number): Seq2SeqPair {
    checkIndex('Seq2SeqDataset.get', i, this.sources.length);
    return { source: this.sources[i], target: this.targets[i] };
  }
  /**
   * Token ids for an encoder–decoder: x = source ids (no specials), y = [<bos>, target ids…, <eos>];
   * feed y[:, :-1] to the decoder and score its outputs against y[:, 1:].
   */
  encode(sourceTokenizer: Tokenizer, targetTokenizer: Tokenizer, opts: { maxSourceLength?: number; maxTargetLength?: number } = {}): TokenizedDataset<NDArray<Int32Array>> {
    const op = 'Seq2SeqDataset.encode';
    const x = encodeAll(op, sourceTokenizer, this.sources, { maxLength: opts.maxSourceLength });
    const y = encodeAll(op, targetTokenizer, this.targets, { maxLength: opts.maxTargetLength, addBos: true, addEos: true });
    return new TokenizedDataset<NDArray<Int32Array>>(x, y);
  }
}

/** A next-token sample: x = ids[s, s+T), y = ids[s+1, s+T+1). */
export interface LMSample {
  x: NDArray<Int32Array>;
  y: NDArray<Int32Array>;
}

/**
 * Fixed-length windows over one long id sequence for next-token prediction: window i starts at
 * i·stride (default stride = contextLength, non-overlapping); x is contextLength ids and y the same
 * window shifted by one. Length: floor((ids.length − contextLength − 1) / stride) + 1. Samples are
 * fixed-size NDArrays, so the default collate gives x, y int64 [B, T].
 */
export class LanguageModelingDataset implements Dataset<LMSample> {
  readonly ids: Int32Array;
  readonly contextLength: number;
  readonly stride: number;

  constructor(ids: ArrayLike<number>, contextLength: number, stride = contextLength) {
    const op = 'LanguageModelingDataset';
    if (!Number.isInteger(contextLength) || contextLength < 1) throw new StrataError(op, `contextLength must be a positive integer, got ${contextLength}`);
    if (!Number.isInteger(stride) || stride < 1) throw new StrataError(op, `stride must be a positive integer, got ${stride}`);
    this.ids = ids instanceof Int32Array ? ids : Int32Array.from(ids);
    if (this.ids.length < contextLength + 1) throw new StrataError(op, `${this.ids.length} ids are too few for one window of contextLength ${contextLength} (needs ${contextLength + 1})`);
    this.contextLength = contextLength;
    this.stride = stride;
  }

  get length(): number {
    return Math.floor((this.ids.length - this.contextLength - 1) / this.stride) + 1;
  }

  get(i: number): LMSample {
    checkIndex('LanguageModelingDataset.get', i, this.length);
    const s = i * this.stride, t = this.contextLength;
    return { x: { data: this.ids.subarray(s, s + t), shape: [t] }, y: { data: this.ids.subarray(s + 1, s + t + 1), shape: [t] } };
  }
}
