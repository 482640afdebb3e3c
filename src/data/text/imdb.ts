// The IMDB movie-review sentiment data set (Maas et al. 2011) from its aclImdb folder: train/ and test/
// with pos/ and neg/ (and train/unsup/), one review per file named <id>_<rating>.txt.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StrataError } from '../../tensor/errors.js';
import { TextClassificationDataset } from './datasets.js';

export const IMDB_CLASSES: readonly string[] = ['neg', 'pos'];
const URL = 'https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz';
const NAME = /^(\d+)_(\d+)\.txt$/;

export interface IMDBOptions {
  /** The aclImdb folder (or a folder holding it). */
  root: string;
  /** 'train' (25000 labelled), 'test' (25000 labelled) or 'unsup' (train/unsup: 50000 unlabelled, y = -1). Default 'train'. */
  split?: 'train' | 'test' | 'unsup';
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Large Movie Review Dataset (Maas et al. 2011, "Learning Word Vectors for Sentiment Analysis"):
 * reviews labelled neg (0, ratings 1-4) or pos (1, ratings 7-10). Order: neg files then pos files,
 * each by increasing id. Texts are raw (they hold `<br />` tags, which the basic_english split removes).
 */
export class IMDB extends TextClassificationDataset {
  static readonly classes = IMDB_CLASSES;
  readonly root: string;
  readonly split: 'train' | 'test' | 'unsup';
  /** Review ids (from the file names). */
  readonly ids: Int32Array;
  /** Star ratings from the file names (1-10; 0 in unsup). */
  readonly ratings: Int32Array;
  /** File paths relative to root, e.g. "train/pos/0_9.txt". */
  readonly files: readonly string[];

  constructor(opts: IMDBOptions) {
    const op = 'IMDB';
    if (!opts || typeof opts.root !== 'string') throw new StrataError(op, `pass root: the aclImdb folder (download ${URL} and extract it)`);
    const split = opts.split ?? 'train';
    if (!['train', 'test', 'unsup'].includes(split)) throw new StrataError(op, `split must be 'train', 'test' or 'unsup', got ${JSON.stringify(split)}`);
    if (!isDir(opts.root)) throw new StrataError(op, `the folder ${opts.root} does not exist; download ${URL}, extract it and pass the aclImdb folder as root`);
    const root = isDir(join(opts.root, 'aclImdb')) && !isDir(join(opts.root, 'train')) && !isDir(join(opts.root, 'test')) ? join(opts.root, 'aclImdb') : opts.root;
    const parts: [string, number, (r: number) => boolean, string][] = split === 'unsup'
      ? [['train/unsup', -1, (r) => r === 0, 'rated 0']]
      : [[`${split}/neg`, 0, (r) => r >= 1 && r <= 4, 'rated 1-4'], [`${split}/pos`, 1, (r) => r >= 7 && r <= 10, 'rated 7-10']];
    const texts: string[] = [], labels: number[] = [], ids: number[] = [], ratings: number[] = [], files: string[] = [];
    for (const [sub, label, ok, rule] of parts) {
      const dir = join(root, sub);
      if (!isDir(dir)) {
        throw new StrataError(op, `missing the folder ${sub} in ${root}${root === opts.root ? '' : ` (found aclImdb inside ${opts.root})`}; expected aclImdb's layout train/{pos,neg,unsup} and test/{pos,neg} (download ${URL})`);
      }
      const entries: { id: number; rating: number; name: string }[] = [];
      const seen = new Map<number, string>();
      for (const name of readdirSync(dir)) {
        if (name.startsWith('.')) continue;
        const m = NAME.exec(name);
        if (!m) throw new StrataError(op, `${sub}/${name}: review files must be named <id>_<rating>.txt (e.g. 0_9.txt)`);
        const id = Number(m[1]), rating = Number(m[2]);
        if (!ok(rating)) throw new StrataError(op, `${sub}/${name} has rating ${rating}, but ${sub} reviews are ${rule}`);
        if (seen.has(id)) throw new StrataError(op, `${sub}/${name} and ${sub}/${seen.get(id)} have the same review id ${id}`);
        seen.set(id, name);
        entries.push({ id, rating, name });
      }
      entries.sort((a, b) => a.id - b.id);
      for (const e of entries) {
        texts.push(readFileSync(join(dir, e.name), 'utf8'));
        labels.push(label);
        ids.push(e.id);
        ratings.push(e.rating);
        files.push(`${sub}/${e.name}`);
      }
    }
    super(texts, labels, IMDB_CLASSES);
    this.root = root;
    this.split = split;
    this.ids = Int32Array.from(ids);
    this.ratings = Int32Array.from(ratings);
    this.files = files;
  }
}
