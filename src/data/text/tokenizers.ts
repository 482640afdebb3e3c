// Character and word tokenizers built from a corpus, the word splitters (torchtext basic_english,
// Keras text_to_word_sequence, words-and-punctuation) and detokenize.
import { StrataError } from '../../tensor/errors.js';
import {
  BOS_ID, checkId, checkPositiveInt, corpusTexts, EOS_ID, NUM_SPECIAL, PAD_ID, SPECIAL_TOKENS, topByFrequency, UNK_ID, withSpecials,
  type DecodeOptions, type EncodeOptions, type Tokenizer, type TokenizerJSON,
} from './vocab.js';

/** Code-point order (String comparison is UTF-16 code-unit order, which differs above U+FFFF). */
function byCodePoint(a: string, b: string): number {
  return a.codePointAt(0)! - b.codePointAt(0)!;
}

function decodeWith(op: string, ids: ArrayLike<number>, size: number, tokens: readonly string[], opts: DecodeOptions | undefined): string[] {
  const skip = opts?.skipSpecial ?? true;
  const out: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    checkId(op, id, size, i);
    if (skip && (id === PAD_ID || id === BOS_ID || id === EOS_ID)) continue;
    out.push(id < NUM_SPECIAL ? SPECIAL_TOKENS[id] : tokens[id - NUM_SPECIAL]);
  }
  return out;
}

export interface VocabOptions {
  /** Keep at most this many (non-special) tokens, the most frequent (ties: code-unit order). Default: all. */
  maxSize?: number;
  /** Keep only tokens seen at least this often (default 1). */
  minFreq?: number;
}

function checkVocabOptions(op: string, opts: VocabOptions): void {
  checkPositiveInt(op, 'maxSize', opts.maxSize);
  checkPositiveInt(op, 'minFreq', opts.minFreq);
}

/**
 * One token per Unicode code point. Ids: the 4 specials, then the characters in code-point order.
 * Characters outside the vocabulary encode to <unk>.
 * @example
 * const tok = CharTokenizer.fromText('hello world');   // vocab: specials + ' ', d, e, h, l, o, r, w
 * tok.encode('hole')   // [7, 9, 8, 6]
 */
export class CharTokenizer implements Tokenizer {
  readonly type = 'char' as const;
  readonly padId = PAD_ID;
  readonly unkId = UNK_ID;
  readonly bosId = BOS_ID;
  readonly eosId = EOS_ID;
  /** The characters, id NUM_SPECIAL + i for chars[i]. */
  readonly chars: readonly string[];
  private readonly index = new Map<string, number>();

  /** A tokenizer over exactly these characters (each one code point, no duplicates), in this id order. */
  constructor(chars: readonly string[]) {
    const op = 'CharTokenizer';
    if (!Array.isArray(chars)) throw new StrataError(op, 'expected an array of characters');
    chars.forEach((c, i) => {
      if (typeof c !== 'string' || [...c].length !== 1) throw new StrataError(op, `entry ${i} (${JSON.stringify(c)}) is not a single character`);
      if (this.index.has(c)) throw new StrataError(op, `character ${JSON.stringify(c)} appears twice (entries ${this.index.get(c)! - NUM_SPECIAL} and ${i})`);
      this.index.set(c, NUM_SPECIAL + i);
    });
    this.chars = chars.slice();
  }

  /** The characters of a corpus (one string or many), listed in code-point order. */
  static fromText(corpus: string | Iterable<string>, opts: VocabOptions = {}): CharTokenizer {
    const op = 'CharTokenizer.fromText';
    checkVocabOptions(op, opts);
    const counts = new Map<string, number>();
    for (const text of corpusTexts(op, corpus)) for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    // NOTE: frequency ranking picks which characters stay; ids then follow code-point order.
    return new CharTokenizer(topByFrequency(counts, opts.maxSize, opts.minFreq).sort(byCodePoint));
  }

  static fromJSON(json: TokenizerJSON): CharTokenizer {
    if (!json || json.type !== 'char' || !Array.isArray(json.chars)) throw new StrataError('CharTokenizer.fromJSON', 'expected the JSON of a char tokenizer ({type: "char", chars})');
    return new CharTokenizer(json.chars);
  }

  get vocabSize(): number {
    return NUM_SPECIAL + this.chars.length;
  }

  tokenize(text: string): string[] {
    return [...text];
  }

  encode(text: string, opts?: EncodeOptions): number[] {
    if (typeof text !== 'string') throw new StrataError('CharTokenizer.encode', `expected a string, got ${typeof text}`);
    const ids: number[] = [];
    for (const ch of text) ids.push(this.index.get(ch) ?? UNK_ID);
    return withSpecials(ids, opts);
  }

  decode(ids: ArrayLike<number>, opts?: DecodeOptions): string {
    return decodeWith('CharTokenizer.decode', ids, this.vocabSize, this.chars, opts).join('');
  }

  idToToken(id: number): string {
    checkId('CharTokenizer.idToToken', id, this.vocabSize);
    return id < NUM_SPECIAL ? SPECIAL_TOKENS[id] : this.chars[id - NUM_SPECIAL];
  }

  tokenToId(token: string): number {
    const s = SPECIAL_TOKENS.indexOf(token);
    return s >= 0 ? s : this.index.get(token) ?? UNK_ID;
  }

  toJSON(): TokenizerJSON {
    return { type: 'char', version: 1, chars: this.chars.slice() };
  }
}

// ---------------------------------------------------------------- word splitting

/**
 * How WordTokenizer cuts text into words:
 * - 'basic_english': torchtext's basic_english normalisation: ' becomes a token, " is dropped, . , ( ) ! ?
 *   become tokens, ; : and `<br />` become spaces, then split on whitespace.
 * - 'keras': Keras' text_to_word_sequence: the characters !"#$%&()*+,-./:;<=>?@[\]^_`{|}~ tab and newline
 *   become spaces, then split on spaces (punctuation disappears).
 * - 'punct': words (letters, digits, with inner ' or - as in "LORD's", "Beer-sheba", and the plural
 *   possessive's final ' as in "sons'") and each other non-space character as its own token;
 *   detokenize undoes it on ordinary prose.
 */
export type WordSplit = 'basic_english' | 'keras' | 'punct';
export const WORD_SPLITS: readonly WordSplit[] = ['basic_english', 'keras', 'punct'];

const BASIC_ENGLISH: [RegExp, string][] = [
  [/'/g, " '  "], [/"/g, ''], [/\./g, ' . '], [/<br \/>/g, ' '], [/,/g, ' , '], [/\(/g, ' ( '], [/\)/g, ' ) '],
  [/!/g, ' ! '], [/\?/g, ' ? '], [/;/g, ' '], [/:/g, ' '], [/\s+/g, ' '],
];
const KERAS_FILTERS = /[!"#$%&()*+,\-./:;<=>?@[\\\]^_`{|}~\t\n]/g;
const PUNCT_SPLIT = /[\p{L}\p{N}\p{M}]+(?:['’-][\p{L}\p{N}\p{M}]+)*(?:(?<=[sS])['’])?|[^\s\p{L}\p{N}\p{M}]/gu;

/** Splits text into word tokens (see WordSplit); `lower` lower-cases first. */
export function splitWords(text: string, split: WordSplit = 'basic_english', lower = true): string[] {
  if (typeof text !== 'string') throw new StrataError('splitWords', `expected a string, got ${typeof text}`);
  const s = lower ? text.toLowerCase() : text;
  switch (split) {
    case 'basic_english': {
      let t = s;
      for (const [re, rep] of BASIC_ENGLISH) t = t.replace(re, rep);
      return t.split(' ').filter((w) => w.length > 0);
    }
    case 'keras':
      return s.replace(KERAS_FILTERS, ' ').split(' ').filter((w) => w.length > 0);
    case 'punct':
      return s.match(PUNCT_SPLIT) ?? [];
    default:
      throw new StrataError('splitWords', `unknown split ${JSON.stringify(split)}; expected one of ${WORD_SPLITS.join(', ')}`);
  }
}

const NO_SPACE_BEFORE = new Set(['.', ',', ';', ':', '!', '?', ')', ']', '}']);
const NO_SPACE_AFTER = new Set(['(', '[', '{']);

/**
 * Joins word tokens into text: single spaces, none before . , ; : ! ? ) ] } and none after ( [ {.
 * Inverts splitWords(text, 'punct', false) for prose written that way, e.g. every KJV verse.
 */
export function detokenize(tokens: readonly string[]): string {
  let out = '';
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (i > 0 && !NO_SPACE_BEFORE.has(t) && !NO_SPACE_AFTER.has(tokens[i - 1])) out += ' ';
    out += t;
  }
  return out;
}

export interface WordTokenizerOptions {
  /** Lower-case text before splitting (default true). */
  lower?: boolean;
  /** How to cut text into words (default 'basic_english'). */
  split?: WordSplit;
}

/**
 * One token per word (see WordSplit). Ids: the 4 specials, then the vocabulary, most frequent word first
 * (ties in code-unit order); words outside it encode to <unk>. decode joins words with `detokenize`.
 * @example
 * const tok = WordTokenizer.fromTexts(['The cat sat.', 'the dog sat'], { maxSize: 3 });
 * tok.tokenize('The cat!')   // ['the', 'cat', '!']
 */
export class WordTokenizer implements Tokenizer {
  readonly type = 'word' as const;
  readonly padId = PAD_ID;
  readonly unkId = UNK_ID;
  readonly bosId = BOS_ID;
  readonly eosId = EOS_ID;
  readonly words: readonly string[];
  readonly lower: boolean;
  readonly split: WordSplit;
  private readonly index = new Map<string, number>();

  /** A tokenizer over exactly these words (no duplicates), in this id order. */
  constructor(words: readonly string[], opts: WordTokenizerOptions = {}) {
    const op = 'WordTokenizer';
    this.lower = opts.lower ?? true;
    this.split = opts.split ?? 'basic_english';
    if (!WORD_SPLITS.includes(this.split)) throw new StrataError(op, `unknown split ${JSON.stringify(this.split)}; expected one of ${WORD_SPLITS.join(', ')}`);
    if (!Array.isArray(words)) throw new StrataError(op, 'expected an array of words');
    words.forEach((w, i) => {
      if (typeof w !== 'string' || w.length === 0) throw new StrataError(op, `entry ${i} is not a non-empty string`);
      if (this.index.has(w)) throw new StrataError(op, `word ${JSON.stringify(w)} appears twice (entries ${this.index.get(w)! - NUM_SPECIAL} and ${i})`);
      this.index.set(w, NUM_SPECIAL + i);
    });
    this.words = words.slice();
  }

  /** The vocabulary of a corpus (one string or many), most frequent first. */
  static fromTexts(corpus: string | Iterable<string>, opts: WordTokenizerOptions & VocabOptions = {}): WordTokenizer {
    const op = 'WordTokenizer.fromTexts';
    checkVocabOptions(op, opts);
    const split = opts.split ?? 'basic_english', lower = opts.lower ?? true;
    if (!WORD_SPLITS.includes(split)) throw new StrataError(op, `unknown split ${JSON.stringify(split)}; expected one of ${WORD_SPLITS.join(', ')}`);
    const counts = new Map<string, number>();
    for (const text of corpusTexts(op, corpus)) for (const w of splitWords(text, split, lower)) counts.set(w, (counts.get(w) ?? 0) + 1);
    for (const s of SPECIAL_TOKENS) counts.delete(s);
    return new WordTokenizer(topByFrequency(counts, opts.maxSize, opts.minFreq), { lower, split });
  }

  static fromJSON(json: TokenizerJSON): WordTokenizer {
    if (!json || json.type !== 'word' || !Array.isArray(json.words)) throw new StrataError('WordTokenizer.fromJSON', 'expected the JSON of a word tokenizer ({type: "word", words, lower, split})');
    return new WordTokenizer(json.words, { lower: json.lower, split: json.split as WordSplit });
  }

  get vocabSize(): number {
    return NUM_SPECIAL + this.words.length;
  }

  tokenize(text: string): string[] {
    return splitWords(text, this.split, this.lower);
  }

  encode(text: string, opts?: EncodeOptions): number[] {
    if (typeof text !== 'string') throw new StrataError('WordTokenizer.encode', `expected a string, got ${typeof text}`);
    return withSpecials(this.tokenize(text).map((w) => this.index.get(w) ?? UNK_ID), opts);
  }

  decode(ids: ArrayLike<number>, opts?: DecodeOptions): string {
    return detokenize(decodeWith('WordTokenizer.decode', ids, this.vocabSize, this.words, opts));
  }

  idToToken(id: number): string {
    checkId('WordTokenizer.idToToken', id, this.vocabSize);
    return id < NUM_SPECIAL ? SPECIAL_TOKENS[id] : this.words[id - NUM_SPECIAL];
  }

  tokenToId(token: string): number {
    const s = SPECIAL_TOKENS.indexOf(token);
    return s >= 0 ? s : this.index.get(token) ?? UNK_ID;
  }

  toJSON(): TokenizerJSON {
    return { type: 'word', version: 1, words: this.words.slice(), lower: this.lower, split: this.split };
  }
}
