// The text datasets the CLI knows by name (kjv, kjv-genre, kjv-restore, imdb): their splits, the kind of
// task each serves, and which text models fit which kind.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { StrataError } from '../tensor/errors.js';
import { flags } from './args.js';
import type { TextClassificationDataset } from '../data/text/datasets.js';
import { KJVGenre, KJVRestoration, kjvText } from '../data/text/kjv-tasks.js';
import { IMDB } from '../data/text/imdb.js';
import { KJV_DEFAULT_PATH } from '../data/text/kjv.js';

/** lm: next-token prediction on one long text; classification: labelled texts; seq2seq: text pairs. */
export type TextKind = 'lm' | 'classification' | 'seq2seq';
export type TextSplit = 'train' | 'validation' | 'test';

export interface TextDatasetEntry {
  description: string;
  kind: TextKind;
  /** The split each epoch is scored on: 'validation' for language models (val_loss), else 'test' as image runs. */
  evalSplit: TextSplit;
  /** Splits there are (imdb has no validation split). */
  splits: readonly TextSplit[];
  /** Tokens per sequence unless --context says otherwise. */
  defaultContext: number;
  /** This dataset's defaults for the text flags the user leaves out (its tuned recipe). */
  defaults?: TextRecipe;
}

/** Defaults of text flags (camelCase flag names) that a dataset may set. */
export interface TextRecipe {
  minFreq?: number;
  attention?: 'bahdanau' | 'luong';
  copy?: boolean;
  labelSmoothing?: number;
  width?: number;
  dropout?: number;
  lr?: number;
}

export const TEXT_DATASETS: Record<string, TextDatasetEntry> = {
  kjv: {
    description: 'King James Bible, character-level language modelling on the chapter split (Debian bible-kjv; --data-dir: the bible.data file)',
    kind: 'lm', evalSplit: 'validation', splits: ['train', 'validation', 'test'], defaultContext: 128,
  },
  'kjv-genre': {
    description: "KJV verses labelled by their book's genre (law, history, wisdom, prophets, gospels, epistles), chapter split",
    kind: 'classification', evalSplit: 'test', splits: ['train', 'validation', 'test'], defaultContext: 128,
  },
  'kjv-restore': {
    description: 'KJV verses of at most 16 words: restore capitalisation and punctuation (seq2seq, BLEU and exact match)',
    kind: 'seq2seq', evalSplit: 'test', splits: ['train', 'validation', 'test'], defaultContext: 48,
    // the recipe that beats the capitalise-and-full-stop baseline within 10 minutes on 1 thread: words seen
    // twice (an <unk> or <Unk> in the output copies the attended source word), the batched Luong decoder,
    // copy scores, dropout 0.2
    defaults: { minFreq: 2, attention: 'luong', copy: true, dropout: 0.2 },
  },
  imdb: {
    description: 'IMDB movie reviews, positive/negative (--data-dir: the aclImdb folder)',
    kind: 'classification', evalSplit: 'test', splits: ['train', 'test'], defaultContext: 256,
  },
};
export const TEXT_DATASET_NAMES = Object.keys(TEXT_DATASETS);

/** The kind of text task each text model is built for. */
export const TEXT_MODEL_KINDS: Record<string, TextKind> = {
  'char-lstm': 'lm', 'char-transformer': 'lm', gpt: 'lm',
  'gru-classifier': 'classification', 'lstm-classifier': 'classification', 'transformer-classifier': 'classification', bert: 'classification',
  seq2seq: 'seq2seq',
};

export function isTextDataset(name: string): boolean {
  return Object.hasOwn(TEXT_DATASETS, name);
}

export function textDataset(name: string): TextDatasetEntry {
  const e = TEXT_DATASETS[name];
  if (!e) throw new StrataError('train', `unknown text dataset '${name}'; available: ${TEXT_DATASET_NAMES.join(', ')}`);
  return e;
}

export function checkTextSplit(cmd: string, name: string, split: string): TextSplit {
  const e = textDataset(name);
  if (!e.splits.includes(split as TextSplit)) throw new StrataError(cmd, `${name} has no '${split}' split; it has ${e.splits.join(', ')}`);
  return split as TextSplit;
}

/** The KJV file: --data-dir is the bible.data file itself or a folder holding it. */
function kjvPath(dataDir?: string): string {
  if (!dataDir) return KJV_DEFAULT_PATH;
  try {
    if (statSync(dataDir).isDirectory()) return join(dataDir, 'bible.data');
  } catch {
    // a missing path: loadKJV names it
  }
  return dataDir;
}

/** A language-modelling split's text (kjv). */
export function lmText(name: string, split: TextSplit, dataDir?: string): string {
  if (name !== 'kjv') throw new StrataError('train', `'${name}' is not a language-modelling dataset`);
  return kjvText(split, { path: kjvPath(dataDir) });
}

/** A classification split (kjv-genre, imdb). */
export function classificationSplit(name: string, split: TextSplit, dataDir?: string): TextClassificationDataset {
  if (name === 'kjv-genre') return new KJVGenre({ split, path: kjvPath(dataDir) });
  if (name === 'imdb') {
    if (!dataDir) throw new StrataError('train', 'imdb needs --data-dir, the aclImdb folder (https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz, extracted)');
    checkTextSplit('train', name, split);
    return new IMDB({ root: dataDir, split: split as 'train' | 'test' });
  }
  throw new StrataError('train', `'${name}' is not a classification dataset`);
}

/** A seq2seq split (kjv-restore). */
export function seq2seqSplit(name: string, split: TextSplit, dataDir?: string): KJVRestoration {
  if (name !== 'kjv-restore') throw new StrataError('train', `'${name}' is not a seq2seq dataset`);
  return new KJVRestoration({ split, path: kjvPath(dataDir) });
}

/** n indices spread evenly over [0, total) (all of them when n ≥ total): --subset and --eval-subset. */
export function spread(n: number | null | undefined, total: number): number[] | null {
  if (n === null || n === undefined || n >= total) return null;
  if (!Number.isInteger(n) || n < 1) throw new StrataError('train', `a subset needs a positive number of samples, got ${n}`);
  return Array.from({ length: n }, (_, i) => Math.floor((i * total) / n));
}

/** `strata train` flags that only text runs read. */
export const TEXT_TRAIN_FLAGS = flags({
  context: { type: 'int', help: 'text: tokens per sequence: the language-model window, the classifier/seq2seq truncation', min: 1, defaultText: '128; imdb 256, kjv-restore 48' },
  width: { type: 'int', help: 'text: model width (hidden size, or d_model of transformers)', min: 1, defaultText: "the model's" },
  layers: { type: 'int', help: 'text: recurrent or transformer layers', min: 1, defaultText: "the model's" },
  heads: { type: 'int', help: 'text: attention heads of transformer models', min: 1, defaultText: "the model's" },
  dropout: { type: 'number', help: 'text: dropout probability', min: 0, lt: 1, defaultText: "the model's" },
  'vocab-size': { type: 'int', help: 'text: the word vocabulary of classifiers and seq2seq (most frequent training words)', default: 20000, min: 1 },
  'min-freq': { type: 'int', help: 'text: keep only words seen at least N times in training, classifiers and seq2seq (a seq2seq <unk> output copies the attended source word)', min: 1, defaultText: '1; kjv-restore 2' },
  attention: { type: 'string', help: 'seq2seq: bahdanau (additive, a decoder step loop) or luong (general attention after a GRU run over all steps, faster)', choices: ['bahdanau', 'luong'], defaultText: 'bahdanau; kjv-restore luong' },
  copy: { type: 'boolean', help: 'seq2seq: copy scores, attention weights added to the logits of the attended source words as written and capitalised (default off; kjv-restore on; --copy=false turns it off)' },
  'label-smoothing': { type: 'number', help: 'text: label smoothing of the cross-entropy loss of classifiers and seq2seq', min: 0, max: 1, defaultText: '0' },
  'eval-subset': { type: 'int', help: 'text: score each epoch on N samples of the evaluation split, spread evenly (quick runs)', min: 1 },
});
