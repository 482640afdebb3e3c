// keras.preprocessing.sequence: padSequences, Keras' pad_sequences (pad or truncate at the start or end).
import { StrataError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import * as F from '../ops/index.js';

export interface PadSequencesOptions {
  /** Length of every row (default: the longest sequence). */
  maxlen?: number | null;
  /** Element type of the result (default 'int32', as Keras). */
  dtype?: DType;
  /** Where the padding goes: 'pre' (default, as Keras) or 'post'. */
  padding?: 'pre' | 'post';
  /** Which end of a longer sequence is cut: 'pre' (default, keeps the end, as Keras) or 'post'. */
  truncating?: 'pre' | 'post';
  /** The padding value (default 0). */
  value?: number;
}

/**
 * keras.preprocessing.sequence.pad_sequences: sequences (arrays of numbers) → a tensor [N, maxlen],
 * each row the sequence cut to maxlen (from the start with truncating 'pre') and padded with `value`
 * (before it with padding 'pre').
 * @example padSequences([[1, 2, 3], [4]], { maxlen: 2 }) // [[2, 3], [0, 4]]
 */
export function padSequences(sequences: readonly ArrayLike<number>[], opts: PadSequencesOptions = {}): Tensor {
  const op = 'padSequences';
  if (!Array.isArray(sequences)) throw new StrataError(op, 'expected an array of sequences (arrays of numbers)');
  sequences.forEach((s, i) => {
    if (s === null || typeof s !== 'object' || typeof s.length !== 'number') throw new StrataError(op, `sequence ${i} is not an array of numbers`);
  });
  const padding = opts.padding ?? 'pre', truncating = opts.truncating ?? 'pre';
  for (const [name, v] of [['padding', padding], ['truncating', truncating]] as const) {
    if (v !== 'pre' && v !== 'post') throw new StrataError(op, `${name} must be 'pre' or 'post', got ${JSON.stringify(v)}`);
  }
  const maxlen = opts.maxlen ?? sequences.reduce((m, s) => Math.max(m, s.length), 0);
  if (!Number.isInteger(maxlen) || maxlen < 0) throw new StrataError(op, `maxlen must be a non-negative integer, got ${String(opts.maxlen)}`);
  const dtype = opts.dtype ?? 'int32';
  const value = opts.value ?? 0;
  const integral = dtype !== 'float32' && dtype !== 'float64';
  if (typeof value !== 'number' || !Number.isFinite(value) || (integral && !Number.isInteger(value))) throw new StrataError(op, `value must be a finite number${integral ? ` (an integer for dtype ${dtype})` : ''}, got ${String(value)}`);
  const out = new Float64Array(sequences.length * maxlen).fill(value);
  sequences.forEach((s, i) => {
    const n = Math.min(s.length, maxlen);
    const src = truncating === 'pre' ? s.length - n : 0;
    const dst = i * maxlen + (padding === 'pre' ? maxlen - n : 0);
    for (let k = 0; k < n; k++) {
      const v = s[src + k];
      if (typeof v !== 'number' || !Number.isFinite(v) || (integral && !Number.isInteger(v))) throw new StrataError(op, `sequence ${i} holds ${String(v)} at position ${src + k}; expected ${integral ? 'integers' : 'finite numbers'} for dtype ${dtype}`);
      out[dst + k] = v;
    }
  });
  return F.tensor(out, { shape: [sequences.length, maxlen], dtype });
}

/** keras.preprocessing.sequence. */
export const sequence = { padSequences };
