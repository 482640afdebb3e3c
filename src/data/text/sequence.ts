// Id sequences into batches: truncation, padding (left or right), attention masks and lengths, the
// text collate for DataLoader ({x: int64 [B,T], y, mask, lengths}), and tokenizerFromJSON.
import { tensor } from '../../ops/creation.js';
import { StrataError } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { isNDArray, type NDArray } from '../ndarray.js';
import { ByteBPETokenizer } from './bpe.js';
import { CharTokenizer, WordTokenizer } from './tokenizers.js';
import { PAD_ID, type Tokenizer, type TokenizerJSON } from './vocab.js';

/** Rebuilds any tokenizer from its `toJSON()` (e.g. read back from a checkpoint's config). */
export function tokenizerFromJSON(json: TokenizerJSON | string): Tokenizer {
  const j = (typeof json === 'string' ? JSON.parse(json) : json) as TokenizerJSON;
  switch (j?.type) {
    case 'char': return CharTokenizer.fromJSON(j);
    case 'word': return WordTokenizer.fromJSON(j);
    case 'bpe': return ByteBPETokenizer.fromJSON(j);
    default: throw new StrataError('tokenizerFromJSON', `unknown tokenizer type ${JSON.stringify((j as { type?: unknown })?.type)}; expected 'char', 'word' or 'bpe'`);
  }
}

/** A sequence of token ids: a plain array, a typed array, or a 1-d NDArray. */
export type IdSequence = ArrayLike<number> | NDArray;

function idsOf(op: string, s: IdSequence, k: number): ArrayLike<number> {
  if (isNDArray(s)) {
    if (s.shape.length !== 1) throw new StrataError(op, `sequence ${k} has shape [${s.shape.join(',')}]; expected a 1-d sequence of ids`);
    return s.data;
  }
  if (s === null || typeof s !== 'object' || typeof (s as ArrayLike<number>).length !== 'number') throw new StrataError(op, `sequence ${k} is not an array of ids`);
  return s;
}

export type Side = 'left' | 'right';

export interface PadOptions {
  /** Cut sequences longer than this (default: no limit). */
  maxLength?: number;
  /** Which end to cut (default 'right': keep the beginning; 'left' keeps the end, as for a language-model context). */
  truncation?: Side;
  /** Which end to pad (default 'right'; 'left' puts the last tokens of every row in the last column). */
  padding?: Side;
  /** Pad to the longest sequence in the batch (default) or always to maxLength. */
  padTo?: 'longest' | 'maxLength';
  /** Round the padded length up to a multiple of this (default 1). */
  padToMultipleOf?: number;
  /** The id to pad with (default 0, <pad>). Use -100 for targets that crossEntropy should ignore. */
  padValue?: number;
}

/** A padded batch: ids [B,T], mask [B,T] (1 at tokens, 0 at padding) and each row's length after truncation. */
export interface PaddedBatch {
  ids: NDArray<Int32Array>;
  mask: NDArray<Uint8Array>;
  lengths: Int32Array;
}

function checkSide(op: string, name: string, v: unknown): Side {
  if (v !== 'left' && v !== 'right') throw new StrataError(op, `${name} must be 'left' or 'right', got ${JSON.stringify(v)}`);
  return v;
}

/** Cuts `ids` to at most maxLength, dropping tokens from the right (default) or the left. */
export function truncateIds(ids: ArrayLike<number>, maxLength: number, side: Side = 'right'): number[] {
  const op = 'truncateIds';
  if (!Number.isInteger(maxLength) || maxLength < 0) throw new StrataError(op, `maxLength must be a non-negative integer, got ${maxLength}`);
  checkSide(op, 'side', side);
  const a = Array.from(ids);
  if (a.length <= maxLength) return a;
  return side === 'right' ? a.slice(0, maxLength) : a.slice(a.length - maxLength);
}

/**
 * Truncates and pads id sequences into one [B,T] batch (as keras pad_sequences / torch pad_sequence,
 * with Hugging Face's padding_side/truncation_side). T is the longest length after truncation (or
 * maxLength with padTo 'maxLength'), rounded up to padToMultipleOf.
 * @example
 * padSequences([[5, 6, 7], [8]], { padding: 'left' })
 * // ids [[5,6,7],[0,0,8]], mask [[1,1,1],[0,0,1]], lengths [3,1]
 */
export function padSequences(seqs: readonly IdSequence[], opts: PadOptions = {}): PaddedBatch {
  const op = 'padSequences';
  if (!Array.isArray(seqs)) throw new StrataError(op, 'expected an array of id sequences');
  const maxLength = opts.maxLength ?? Infinity;
  if (maxLength !== Infinity && (!Number.isInteger(maxLength) || maxLength < 0)) throw new StrataError(op, `maxLength must be a non-negative integer, got ${opts.maxLength}`);
  const truncation = checkSide(op, 'truncation', opts.truncation ?? 'right');
  const padding = checkSide(op, 'padding', opts.padding ?? 'right');
  const padTo = opts.padTo ?? 'longest';
  if (padTo !== 'longest' && padTo !== 'maxLength') throw new StrataError(op, `padTo must be 'longest' or 'maxLength', got ${JSON.stringify(padTo)}`);
  if (padTo === 'maxLength' && maxLength === Infinity) throw new StrataError(op, "padTo 'maxLength' needs maxLength");
  const multiple = opts.padToMultipleOf ?? 1;
  if (!Number.isInteger(multiple) || multiple < 1) throw new StrataError(op, `padToMultipleOf must be a positive integer, got ${opts.padToMultipleOf}`);
  const padValue = opts.padValue ?? PAD_ID;
  if (!Number.isInteger(padValue)) throw new StrataError(op, `padValue must be an integer, got ${opts.padValue}`);

  const rows = seqs.map((s, k) => idsOf(op, s, k));
  const b = rows.length;
  const lengths = new Int32Array(b);
  let longest = 0;
  for (let k = 0; k < b; k++) {
    lengths[k] = Math.min(rows[k].length, maxLength);
    longest = Math.max(longest, lengths[k]);
  }
  let t = padTo === 'maxLength' ? maxLength : longest;
  t = Math.ceil(t / multiple) * multiple;
  const ids = new Int32Array(b * t).fill(padValue);
  const mask = new Uint8Array(b * t);
  for (let k = 0; k < b; k++) {
    const r = rows[k], n = lengths[k];
    const src = truncation === 'right' ? 0 : r.length - n;
    const dst = k * t + (padding === 'right' ? 0 : t - n);
    for (let i = 0; i < n; i++) {
      const v = r[src + i];
      if (!Number.isInteger(v)) throw new StrataError(op, `sequence ${k} holds ${v} at position ${src + i}; ids must be integers`);
      ids[dst + i] = v;
      mask[dst + i] = 1;
    }
  }
  return { ids: { data: ids, shape: [b, t] }, mask: { data: mask, shape: [b, t] }, lengths };
}

/** A text sample: token ids x and a target y (a class, or a sequence of ids for seq2seq). */
export interface TextSample {
  x: IdSequence;
  y: number | IdSequence;
}

/**
 * A collated text batch: x int64 [B,T]; mask bool [B,T] (true at real tokens, as Hugging Face's
 * attention_mask; torch's key_padding_mask is its logical not); lengths int64 [B]. y is int64 [B] for
 * classes, or int64 [B,T'] for sequence targets, then with yMask and yLengths.
 */
export type TextBatch = {
  x: Tensor;
  y: Tensor;
  mask: Tensor;
  lengths: Tensor;
  yMask?: Tensor;
  yLengths?: Tensor;
};

export interface TextCollateOptions extends PadOptions {
  /** Padding options for sequence targets y (default: the same as x's, except maxLength/padTo/padValue). */
  target?: PadOptions;
}

function int64(a: Int32Array, shape: number[]): Tensor {
  return tensor(a, { dtype: 'int64', shape });
}

/**
 * A DataLoader collate for text samples {x, y}: pads x (and sequence targets y) into int64 tensors
 * with masks and lengths. For a seq2seq target, pass `target: { padValue: -100 }` to have
 * crossEntropy ignore padded positions.
 * @example
 * const loader = new data.DataLoader(train.encode(tok, { maxLength: 64 }), { batchSize: 32, shuffle: true, collate: data.text.textCollate() });
 * for (const { x, y, mask, lengths } of loader) { ... }   // x [32,T] int64, y [32] int64
 */
export function textCollate(opts: TextCollateOptions = {}): (samples: TextSample[]) => TextBatch {
  const { target, ...xOpts } = opts;
  const yOpts: PadOptions = { truncation: xOpts.truncation, padding: xOpts.padding, padToMultipleOf: xOpts.padToMultipleOf, ...target };
  padSequences([], xOpts); // validates the options now rather than at the first batch
  padSequences([], yOpts);
  return (samples: TextSample[]): TextBatch => {
    const op = 'textCollate';
    if (!Array.isArray(samples) || samples.length === 0) throw new StrataError(op, 'cannot collate an empty batch');
    samples.forEach((s, k) => {
      if (s === null || typeof s !== 'object' || !('x' in s) || !('y' in s)) throw new StrataError(op, `sample ${k} is not an object {x, y}`);
    });
    const px = padSequences(samples.map((s) => s.x), xOpts);
    const b = samples.length;
    const out: TextBatch = {
      x: int64(px.ids.data, px.ids.shape),
      mask: tensor(px.mask.data, { dtype: 'bool', shape: px.mask.shape }),
      lengths: int64(px.lengths, [b]),
      y: undefined as unknown as Tensor,
    };
    if (typeof samples[0].y === 'number') {
      const y = new Int32Array(b);
      samples.forEach((s, k) => {
        if (typeof s.y !== 'number' || !Number.isInteger(s.y)) throw new StrataError(op, `sample ${k} has y ${typeof s.y === 'number' ? s.y : typeof s.y}, but sample 0 has an integer class`);
        y[k] = s.y;
      });
      out.y = int64(y, [b]);
    } else {
      samples.forEach((s, k) => {
        if (typeof s.y === 'number') throw new StrataError(op, `sample ${k} has a number y, but sample 0 has a sequence`);
      });
      const py = padSequences(samples.map((s) => s.y as IdSequence), yOpts);
      out.y = int64(py.ids.data, py.ids.shape);
      out.yMask = tensor(py.mask.data, { dtype: 'bool', shape: py.mask.shape });
      out.yLengths = int64(py.lengths, [b]);
    }
    return out;
  };
}
