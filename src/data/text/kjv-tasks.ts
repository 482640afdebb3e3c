// Tasks built from the King James Bible, all on the chapter split of kjvSplitOf: next-character
// (or next-token) language modelling, kjv-genre verse classification (and its bag-of-words baseline),
// and kjv-restore (seq2seq).
import { StrataError } from '../../tensor/errors.js';
import { LanguageModelingDataset, Seq2SeqDataset, TextClassificationDataset } from './datasets.js';
import { BowLogisticRegression, type LogisticRegressionOptions } from './bow.js';
import { checkSplit, KJV_BOOKS, KJV_GENRES, KJV_SPLITS, kjvVerses, type KJVSplit, type Verse } from './kjv.js';
import { CharTokenizer, detokenize, splitWords, WordTokenizer } from './tokenizers.js';
import type { Tokenizer } from './vocab.js';

export interface KJVOptions {
  split?: KJVSplit;
  /** The KJV file (default /usr/lib/bible.data). */
  path?: string;
}

/** A split's text for language modelling: its verses' texts, each followed by '\n', in canonical order. */
export function kjvText(split: KJVSplit | 'all' = 'train', opts: { path?: string } = {}): string {
  return kjvVerses(split, opts).map((v) => `${v.text}\n`).join('');
}

const charTokenizers = new Map<string, CharTokenizer>();

/** The character tokenizer of the KJV language model: every character of the train split's text. */
export function kjvCharTokenizer(opts: { path?: string } = {}): CharTokenizer {
  const key = opts.path ?? '';
  let tok = charTokenizers.get(key);
  if (!tok) charTokenizers.set(key, (tok = CharTokenizer.fromText(kjvText('train', opts))));
  return tok;
}

export interface KJVLanguageModelingOptions extends KJVOptions {
  /** Tokens per window (x and y each hold this many). */
  contextLength: number;
  /** Start of window i = i·stride (default contextLength: non-overlapping windows). */
  stride?: number;
  /** Default: kjvCharTokenizer() (characters of the train split); pass the same one for every split. */
  tokenizer?: Tokenizer;
}

/**
 * Next-token prediction on the KJV: the split's text (kjvText: verses joined by '\n', in canonical
 * order, chapters of the split only) encoded with the tokenizer, cut into windows of contextLength
 * (x) with their one-step-shifted targets (y). Deterministic: no shuffling inside the dataset.
 * Split texts: 3,307,059 train, 423,179 validation and 407,612 test characters (63 distinct
 * characters in train: vocabSize 67 with the specials).
 */
export class KJVLanguageModeling extends LanguageModelingDataset {
  readonly split: KJVSplit;
  readonly tokenizer: Tokenizer;
  constructor(opts: KJVLanguageModelingOptions) {
    const op = 'KJVLanguageModeling';
    if (!opts || typeof opts !== 'object') throw new StrataError(op, 'expected options {contextLength, split?, stride?, tokenizer?}');
    const split = checkSplit(op, opts.split ?? 'train');
    const tokenizer = opts.tokenizer ?? kjvCharTokenizer(opts);
    super(tokenizer.encode(kjvText(split, opts)), opts.contextLength, opts.stride);
    this.split = split;
    this.tokenizer = tokenizer;
  }
}

/**
 * kjv-genre: each verse's text labelled with the genre of its book (KJV_GENRES; the book → genre
 * mapping is documented on KJV_BOOKS), on the chapter split. 31102 verses: train 24888, validation
 * 3186, test 3028. Class counts (law, history, wisdom, prophets, gospels, epistles):
 * train [4624, 5663, 3843, 4412, 3774, 2572], validation [587, 683, 558, 562, 483, 313],
 * test [641, 672, 384, 516, 529, 286]. Majority-class accuracy on test: 672/3028 = 22.2%; the
 * BowLogisticRegression baseline (TF-IDF, defaults) reaches 74.4% on validation and 76.0% on test.
 */
export class KJVGenre extends TextClassificationDataset {
  static readonly classes = KJV_GENRES;
  readonly split: KJVSplit;
  readonly verses: readonly Verse[];
  constructor(opts: KJVOptions = {}) {
    const split = checkSplit('KJVGenre', opts.split ?? 'train');
    const verses = kjvVerses(split, opts);
    super(verses.map((v) => v.text), verses.map((v) => KJV_BOOKS[v.bookIndex].genre), KJV_GENRES);
    this.split = split;
    this.verses = verses;
  }
}

/** The source side of kjv-restore: the verse's words lower-cased, punctuation removed, single spaces. */
export function restoreSource(text: string): string {
  return splitWords(text, 'punct', true).filter((t) => /[\p{L}\p{N}]/u.test(t)).join(' ');
}

/**
 * The trivial kjv-restore baseline a model must beat: capitalise the first letter and the word "i",
 * and end with a period.
 */
export function restoreBaseline(source: string): string {
  const words = source.split(' ').filter((w) => w.length > 0).map((w) => (w === 'i' ? 'I' : w));
  if (words.length === 0) return '';
  words[0] = words[0][0].toUpperCase() + words[0].slice(1);
  return detokenize([...words, '.']);
}

export interface KJVRestorationOptions extends KJVOptions {
  /** Keep verses of at most this many words (default 16, for quick training; Infinity for all). */
  maxWords?: number;
}

/**
 * kjv-restore, a sequence-to-sequence task: restore a verse's capitalisation and punctuation.
 * Source: the verse lower-cased with every punctuation mark removed (restoreSource), e.g.
 * "in the beginning god created the heaven and the earth"; target: the verse as printed,
 * "In the beginning God created the heaven and the earth.". A model must place , ; : . ? ! ( ) and
 * learn which words are capitalised (God, LORD vs Lord, names, sentence starts). Mostly monotonic, so
 * attention helps and a small GRU encoder–decoder learns it. Scored by corpus BLEU-4 (`bleu`, on
 * bleuTokenize tokens, case-sensitive) and exact match; compare with restoreBaseline.
 * Verses of at most maxWords words (default 16): train 5870, validation 718, test 633 (all verses:
 * 24888 / 3186 / 3028). On the default test set restoreBaseline scores BLEU 62.7 and exact match 5.2%;
 * `strata train --model seq2seq --dataset kjv-restore --minutes 10 --epochs 1000 --threads 1` (the
 * dataset's recipe: Luong attention, copy scores, words seen twice, dropout 0.2) reaches BLEU 83.7 and
 * exact match 30.7% (51 epochs).
 */
export class KJVRestoration extends Seq2SeqDataset {
  readonly split: KJVSplit;
  readonly verses: readonly Verse[];
  readonly maxWords: number;
  constructor(opts: KJVRestorationOptions = {}) {
    const op = 'KJVRestoration';
    const split = checkSplit(op, opts.split ?? 'train');
    const maxWords = opts.maxWords ?? 16;
    if (!(maxWords >= 1)) throw new StrataError(op, `maxWords must be at least 1, got ${opts.maxWords}`);
    const verses: Verse[] = [];
    const sources: string[] = [];
    for (const v of kjvVerses(split, opts)) {
      const src = restoreSource(v.text);
      if (src.split(' ').length > maxWords) continue;
      verses.push(v);
      sources.push(src);
    }
    super(sources, verses.map((v) => v.text));
    this.split = split;
    this.verses = verses;
    this.maxWords = maxWords;
  }

  /**
   * Word tokenizers for this task built from (training) pairs: source lower-cased words, target cased
   * words and punctuation marks ('punct' split, so target decode(encode(verse)) gives back the verse).
   */
  static tokenizers(train: Seq2SeqDataset, opts: { maxSize?: number; minFreq?: number } = {}): { source: WordTokenizer; target: WordTokenizer } {
    return {
      source: WordTokenizer.fromTexts(train.sources, { split: 'punct', lower: true, ...opts }),
      target: WordTokenizer.fromTexts(train.targets, { split: 'punct', lower: false, ...opts }),
    };
  }
}

/**
 * Trains the bag-of-words logistic-regression baseline on kjv-genre's train split and reports its
 * accuracy on every split (defaults: TF-IDF over the 20000 most frequent words seen twice, 8 epochs of
 * Adam; validation 74.4%, test 76.0%). A learned text classifier should beat these numbers.
 */
export function kjvGenreBaseline(opts: LogisticRegressionOptions & { path?: string } = {}): { model: BowLogisticRegression; accuracy: Record<KJVSplit, number> } {
  const sets = Object.fromEntries(KJV_SPLITS.map((split) => [split, new KJVGenre({ split, path: opts.path })])) as Record<KJVSplit, KJVGenre>;
  const model = BowLogisticRegression.fit(sets.train, opts);
  const accuracy = Object.fromEntries(KJV_SPLITS.map((s) => [s, model.accuracy(sets[s])])) as Record<KJVSplit, number>;
  return { model, accuracy };
}
