// The Tokenizer interface every text tokenizer implements, the four special tokens they share
// (<pad>=0, <unk>=1, <bos>=2, <eos>=3) and the helpers they use to check ids and options.
import { StrataError } from '../../tensor/errors.js';

/** The special tokens, in id order: every tokenizer reserves ids 0..3 for them. */
export const SPECIAL_TOKENS: readonly string[] = ['<pad>', '<unk>', '<bos>', '<eos>'];
export const PAD_ID = 0;
export const UNK_ID = 1;
export const BOS_ID = 2;
export const EOS_ID = 3;
export const NUM_SPECIAL = SPECIAL_TOKENS.length;

export interface EncodeOptions {
  /** Prepend <bos> (default false). */
  addBos?: boolean;
  /** Append <eos> (default false). */
  addEos?: boolean;
}

export interface DecodeOptions {
  /**
   * Drop <pad>, <bos> and <eos> (default true); <unk> is always written as the text "<unk>".
   * With false every special token is written as its name.
   */
  skipSpecial?: boolean;
}

/** A tokenizer's plain-JSON form (`toJSON()`), e.g. to store in a checkpoint's config; `tokenizerFromJSON` rebuilds it. */
export type TokenizerJSON =
  | { type: 'char'; version: 1; chars: string[] }
  | { type: 'word'; version: 1; words: string[]; lower: boolean; split: string }
  | { type: 'bpe'; version: 1; merges: [number, number][]; pattern: string };

/**
 * Text ↔ token ids. Ids 0..3 are the special tokens <pad>, <unk>, <bos>, <eos> (see SPECIAL_TOKENS),
 * so a batch padded with 0 never collides with a real token.
 */
export interface Tokenizer {
  readonly type: 'char' | 'word' | 'bpe';
  /** Number of ids (specials included): valid ids are 0..vocabSize-1. */
  readonly vocabSize: number;
  readonly padId: number;
  readonly unkId: number;
  readonly bosId: number;
  readonly eosId: number;
  /** The text's token ids. */
  encode(text: string, opts?: EncodeOptions): number[];
  /** The text of token ids; throws a StrataError on an id outside [0, vocabSize). */
  decode(ids: ArrayLike<number>, opts?: DecodeOptions): string;
  /** The text's tokens as strings (the pieces encode maps to ids). */
  tokenize(text: string): string[];
  /** The string of one id (specials as their names). */
  idToToken(id: number): string;
  /** The id of one token string (<unk>'s id when it is not in the vocabulary). */
  tokenToId(token: string): number;
  toJSON(): TokenizerJSON;
}

/** Throws unless `id` is an integer id of a vocabulary of `size`. */
export function checkId(op: string, id: number, size: number, pos?: number): void {
  if (!Number.isInteger(id) || id < 0 || id >= size) {
    throw new StrataError(op, `token id ${id}${pos === undefined ? '' : ` at position ${pos}`} is out of range for a vocabulary of ${size} (valid: 0..${size - 1})`);
  }
}

/** Wraps ids with <bos>/<eos> as the options ask. */
export function withSpecials(ids: number[], opts: EncodeOptions | undefined): number[] {
  if (opts?.addBos) ids.unshift(BOS_ID);
  if (opts?.addEos) ids.push(EOS_ID);
  return ids;
}

/** Checks an optional positive-integer option. */
export function checkPositiveInt(op: string, name: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new StrataError(op, `${name} must be a positive integer, got ${v}`);
}

/** Iterates a corpus given as one string or many. */
export function* corpusTexts(op: string, corpus: string | Iterable<string>): Iterable<string> {
  if (typeof corpus === 'string') {
    yield corpus;
    return;
  }
  if (corpus === null || typeof (corpus as Iterable<string>)[Symbol.iterator] !== 'function') {
    throw new StrataError(op, `expected the corpus as a string or an iterable of strings, got ${corpus === null ? 'null' : typeof corpus}`);
  }
  let i = 0;
  for (const t of corpus) {
    if (typeof t !== 'string') throw new StrataError(op, `corpus item ${i} is ${typeof t}, expected a string`);
    yield t;
    i++;
  }
}

/**
 * The `maxSize` most frequent keys with count >= minFreq, most frequent first, ties broken by code-unit
 * order of the key (as torchtext's build_vocab_from_iterator), so the result does not depend on corpus order.
 */
export function topByFrequency(counts: Map<string, number>, maxSize = Infinity, minFreq = 1): string[] {
  const items = [...counts].filter(([, c]) => c >= minFreq);
  items.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return items.slice(0, maxSize).map(([k]) => k);
}
