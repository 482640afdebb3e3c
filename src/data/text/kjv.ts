// The King James Bible from Debian's bible-kjv-text (/usr/lib/bible.data): its windowed-LZW file
// format, the verse lines, the 66 books with their genres, and the fixed chapter-based split.
import { existsSync, readFileSync } from 'node:fs';
import { StrataError } from '../../tensor/errors.js';

/** Where Debian's bible-kjv-text package puts the compressed text. */
export const KJV_DEFAULT_PATH = '/usr/lib/bible.data';
const INSTALL = 'install it with `apt-get install bible-kjv` (which pulls in bible-kjv-text, the package holding /usr/lib/bible.data), or pass path';

/** The six genre classes of kjv-genre, index = label. */
export const KJV_GENRES: readonly string[] = ['law', 'history', 'wisdom', 'prophets', 'gospels', 'epistles'];

/** One book: its name, the abbreviation bible.data uses, testament and genre (an index into KJV_GENRES). */
export interface KJVBook {
  name: string;
  abbrev: string;
  testament: 'OT' | 'NT';
  genre: number;
}

/**
 * The 66 books in canonical order, with the genre mapping of kjv-genre:
 * - 0 law: Genesis–Deuteronomy (the Pentateuch, 5 books);
 * - 1 history: Joshua–Esther (12);
 * - 2 wisdom (poetry and wisdom): Job, Psalms, Proverbs, Ecclesiastes, Song of Solomon (5);
 * - 3 prophets (major and minor): Isaiah–Malachi, Lamentations and Daniel included (17);
 * - 4 gospels: Matthew, Mark, Luke, John and Acts (5);
 * - 5 epistles: Romans–Jude and Revelation (22).
 */
export const KJV_BOOKS: readonly KJVBook[] = (() => {
  const table: [string, string][] = [
    ['Genesis', 'Ge'], ['Exodus', 'Exo'], ['Leviticus', 'Lev'], ['Numbers', 'Num'], ['Deuteronomy', 'Deu'],
    ['Joshua', 'Josh'], ['Judges', 'Jdgs'], ['Ruth', 'Ruth'], ['1 Samuel', '1Sm'], ['2 Samuel', '2Sm'], ['1 Kings', '1Ki'],
    ['2 Kings', '2Ki'], ['1 Chronicles', '1Chr'], ['2 Chronicles', '2Chr'], ['Ezra', 'Ezra'], ['Nehemiah', 'Neh'], ['Esther', 'Est'],
    ['Job', 'Job'], ['Psalms', 'Psa'], ['Proverbs', 'Prv'], ['Ecclesiastes', 'Eccl'], ['Song of Solomon', 'SSol'],
    ['Isaiah', 'Isa'], ['Jeremiah', 'Jer'], ['Lamentations', 'Lam'], ['Ezekiel', 'Eze'], ['Daniel', 'Dan'], ['Hosea', 'Hos'],
    ['Joel', 'Joel'], ['Amos', 'Amos'], ['Obadiah', 'Obad'], ['Jonah', 'Jonah'], ['Micah', 'Mic'], ['Nahum', 'Nahum'],
    ['Habakkuk', 'Hab'], ['Zephaniah', 'Zep'], ['Haggai', 'Hag'], ['Zechariah', 'Zec'], ['Malachi', 'Mal'],
    ['Matthew', 'Mat'], ['Mark', 'Mark'], ['Luke', 'Luke'], ['John', 'John'], ['Acts', 'Acts'],
    ['Romans', 'Rom'], ['1 Corinthians', '1Cor'], ['2 Corinthians', '2Cor'], ['Galatians', 'Gal'], ['Ephesians', 'Eph'],
    ['Philippians', 'Phi'], ['Colossians', 'Col'], ['1 Thessalonians', '1Th'], ['2 Thessalonians', '2Th'], ['1 Timothy', '1Tim'],
    ['2 Timothy', '2Tim'], ['Titus', 'Titus'], ['Philemon', 'Phmn'], ['Hebrews', 'Heb'], ['James', 'Jas'], ['1 Peter', '1Pet'],
    ['2 Peter', '2Pet'], ['1 John', '1Jn'], ['2 John', '2Jn'], ['3 John', '3Jn'], ['Jude', 'Jude'], ['Revelation', 'Rev'],
  ];
  // first book index of each genre: law 0, history 5 (Joshua), wisdom 17 (Job), prophets 22 (Isaiah), gospels 39 (Matthew), epistles 44 (Romans)
  const starts = [0, 5, 17, 22, 39, 44];
  return table.map(([name, abbrev], i) => {
    let genre = 0;
    while (genre + 1 < starts.length && i >= starts[genre + 1]) genre++;
    return Object.freeze({ name, abbrev, testament: i < 39 ? 'OT' as const : 'NT' as const, genre });
  });
})();

/** One verse. `index` counts verses from 0 (Genesis 1:1) to 31101; `chapterIndex` chapters from 0 to 1188. */
export interface Verse {
  index: number;
  bookIndex: number;
  book: string;
  chapter: number;
  verse: number;
  chapterIndex: number;
  text: string;
}

export type KJVSplit = 'train' | 'validation' | 'test';
export const KJV_SPLITS: readonly KJVSplit[] = ['train', 'validation', 'test'];

/**
 * The fixed split every KJV task uses, by chapter: chapters are numbered 0..1188 in canonical order
 * (Genesis 1 = 0, Revelation 22 = 1188); chapterIndex % 10 === 0 → test, === 5 → validation, else
 * train (80% / 10% / 10% of chapters). Whole chapters stay together, so no test verse has its
 * neighbours in training; the split is the same for the language model, kjv-genre and kjv-restore.
 */
export function kjvSplitOf(chapterIndex: number): KJVSplit {
  const r = chapterIndex % 10;
  return r === 0 ? 'test' : r === 5 ? 'validation' : 'train';
}

export function checkSplit(op: string, split: unknown): KJVSplit {
  if (!KJV_SPLITS.includes(split as KJVSplit)) throw new StrataError(op, `split must be one of ${KJV_SPLITS.join(', ')}, got ${JSON.stringify(split)}`);
  return split as KJVSplit;
}

/** "Genesis 1:1". */
export function kjvReference(v: Pick<Verse, 'book' | 'chapter' | 'verse'>): string {
  return `${v.book} ${v.chapter}:${v.verse}`;
}

// ---------------------------------------------------------------- bible.data

/**
 * Decodes one LZW stream as written by compress(1) (no header): codes start at 9 bits and grow to
 * `maxBits`; code 256 clears the table when `blockMode`. `expected` is the output size when known.
 * NOTE: compress writes codes in groups of 8; when the code width changes (or on a clear) the reader
 * skips to the end of the current group of 8 codes, or every later code is misread.
 */
export function decodeLzw(input: Uint8Array, maxBits = 16, blockMode = true, expected = 0): Uint8Array {
  const op = 'decodeLzw';
  if (!(maxBits >= 9 && maxBits <= 16)) throw new StrataError(op, `maxBits must be in 9..16, got ${maxBits}`);
  const size = 1 << maxBits;
  const prefix = new Int32Array(size);
  const suffix = new Uint8Array(size);
  const stack = new Uint8Array(size);
  let out = new Uint8Array(Math.max(expected, 1024));
  let n = 0;
  const first = blockMode ? 257 : 256;
  let free = first;
  let bits = 9;
  let bitPos = 0, groupStart = 0;
  const totalBits = input.length * 8;
  let prev = -1, finChar = 0;
  const align = () => {
    const g = bits * 8;
    bitPos = groupStart + Math.ceil((bitPos - groupStart) / g) * g;
    groupStart = bitPos;
  };
  while (bitPos + bits <= totalBits) {
    const byte = bitPos >> 3;
    const word = input[byte] | ((input[byte + 1] ?? 0) << 8) | ((input[byte + 2] ?? 0) << 16);
    const code = (word >>> (bitPos & 7)) & ((1 << bits) - 1);
    bitPos += bits;
    if (code === 256 && blockMode) {
      free = first;
      align();
      bits = 9;
      prev = -1;
      continue;
    }
    let sp = 0;
    let c = code;
    if (prev < 0) {
      if (code > 255) throw new StrataError(op, `corrupt data: the first code after a reset is ${code} (must be a byte)`);
    } else if (code > free || (code === free && free >= size)) {
      throw new StrataError(op, `corrupt data: code ${code} at bit ${bitPos - bits} refers past the table (next free entry ${free})`);
    } else if (code === free) {
      stack[sp++] = finChar; // the KwKwK case: the new entry is prev + its own first byte
      c = prev;
    }
    while (c >= 256) {
      stack[sp++] = suffix[c];
      c = prefix[c];
    }
    finChar = c;
    stack[sp++] = c;
    if (n + sp > out.length) {
      const grown = new Uint8Array(Math.max(out.length * 2, n + sp));
      grown.set(out.subarray(0, n));
      out = grown;
    }
    while (sp > 0) out[n++] = stack[--sp];
    if (prev >= 0 && free < size) {
      prefix[free] = prev;
      suffix[free] = finChar;
      free++;
    }
    prev = code;
    if (free > (1 << bits) - 1 && bits < maxBits) {
      align();
      bits++;
    }
  }
  return out.subarray(0, n);
}

/**
 * The text of bible.data (the Bible Retrieval System's "Text Storage Library" format, Chip Chapin 1989):
 * bytes 0-3 'EC02', a description up to byte 84, then big-endian u32 window size (65536) and window
 * count W, W+1 u32 file offsets of the windows' compressed data (the last is the file size), a 3-byte
 * compress(1) header (1f 9d, then flags: block mode | max bits), and W LZW streams, each decoding to
 * one window of the text (every window full but the last).
 */
export function decodeBibleData(bytes: Uint8Array, where = 'bible.data'): string {
  const op = 'kjv';
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== 'EC02' || bytes.length < 0x5c) throw new StrataError(op, `${where}: not a Bible Retrieval System data file (expected magic 'EC02', got ${JSON.stringify(magic)})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const windowSize = view.getUint32(0x54), windows = view.getUint32(0x58);
  const table = 0x5c, headerAt = table + 4 * (windows + 1);
  if (windows === 0 || headerAt + 3 > bytes.length) throw new StrataError(op, `${where}: truncated header (${windows} windows, ${bytes.length} bytes)`);
  const offsets = Array.from({ length: windows + 1 }, (_, i) => view.getUint32(table + 4 * i));
  if (bytes[headerAt] !== 0x1f || bytes[headerAt + 1] !== 0x9d) throw new StrataError(op, `${where}: missing the compress(1) header 1f 9d at byte ${headerAt}`);
  const flags = bytes[headerAt + 2];
  const maxBits = flags & 0x1f, blockMode = (flags & 0x80) !== 0;
  if (offsets[windows] !== bytes.length) throw new StrataError(op, `${where}: the window table ends at byte ${offsets[windows]} but the file has ${bytes.length} bytes (truncated?)`);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let w = 0; w < windows; w++) {
    if (!(offsets[w] >= headerAt + 3 && offsets[w] < offsets[w + 1])) throw new StrataError(op, `${where}: window ${w} has a bad offset ${offsets[w]}`);
    const text = decodeLzw(bytes.subarray(offsets[w], offsets[w + 1]), maxBits, blockMode, windowSize);
    if (text.length > windowSize || (w < windows - 1 && text.length !== windowSize)) {
      throw new StrataError(op, `${where}: window ${w} decodes to ${text.length} bytes, expected ${windowSize}; the file is corrupt`);
    }
    parts.push(text);
    total += text.length;
  }
  const all = new Uint8Array(total);
  let o = 0;
  for (const p of parts) { all.set(p, o); o += p.length; }
  return new TextDecoder('latin1').decode(all);
}

const LINE = /^([1-3]?[A-Za-z]+)(\d+):(\d+) (.*)$/;

/**
 * Parses the text's verse lines, e.g. "Ge1:1 In the beginning God created the heaven and the earth.",
 * in canonical order (the first line, the file's title, is skipped). Throws on unknown books,
 * out-of-order chapters or verses, or lines that are not verses.
 */
export function parseKJV(text: string, where = 'KJV text'): Verse[] {
  const op = 'kjv';
  const byAbbrev = new Map(KJV_BOOKS.map((b, i) => [b.abbrev, i]));
  const verses: Verse[] = [];
  const lines = text.split('\n');
  let book = -1, chapter = 0, verseNo = 0, chapterIndex = -1;
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln].replace(/\r$/, '');
    if (line.trim() === '') continue;
    const m = LINE.exec(line);
    if (!m) {
      if (ln === 0) continue; // the title line
      throw new StrataError(op, `${where}, line ${ln + 1}: not a verse line ("<book><chapter>:<verse> <text>"): ${JSON.stringify(line.slice(0, 60))}`);
    }
    const b = byAbbrev.get(m[1]);
    if (b === undefined) throw new StrataError(op, `${where}, line ${ln + 1}: unknown book abbreviation ${JSON.stringify(m[1])}`);
    const c = Number(m[2]), v = Number(m[3]);
    if (b !== book) {
      if (b < book) throw new StrataError(op, `${where}, line ${ln + 1}: ${KJV_BOOKS[b].name} after ${KJV_BOOKS[book].name}; books must be in canonical order`);
      book = b;
      chapter = 0;
    }
    if (c !== chapter) {
      if (c !== chapter + 1 || v !== 1) throw new StrataError(op, `${where}, line ${ln + 1}: ${KJV_BOOKS[b].name} ${c}:${v} follows chapter ${chapter}; chapters must start at verse 1 and follow each other`);
      chapter = c;
      verseNo = 0;
      chapterIndex++;
    }
    if (v !== verseNo + 1) throw new StrataError(op, `${where}, line ${ln + 1}: ${KJV_BOOKS[b].name} ${c}:${v} follows verse ${verseNo}`);
    verseNo = v;
    verses.push(Object.freeze({ index: verses.length, bookIndex: b, book: KJV_BOOKS[b].name, chapter: c, verse: v, chapterIndex, text: m[4] }));
  }
  if (verses.length === 0) throw new StrataError(op, `${where}: no verses found`);
  return verses;
}

const cache = new Map<string, readonly Verse[]>();

/**
 * All verses of the King James Version (31102 of them for the full text), read from `path`: Debian's
 * bible.data (default /usr/lib/bible.data, decoded directly, no subprocess) or a plain-text file of
 * verse lines in the same form ("Ge1:1 In the beginning …"). Cached per path within the process.
 */
export function loadKJV(opts: { path?: string } = {}): readonly Verse[] {
  const path = opts.path ?? KJV_DEFAULT_PATH;
  const hit = cache.get(path);
  if (hit) return hit;
  if (!existsSync(path)) throw new StrataError('kjv', `the King James Bible text ${path} does not exist; ${INSTALL}`);
  const bytes = readFileSync(path);
  const isData = bytes.length >= 4 && bytes.toString('latin1', 0, 4) === 'EC02';
  const text = isData ? decodeBibleData(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), path) : bytes.toString('utf8');
  const verses = Object.freeze(parseKJV(text, path));
  cache.set(path, verses);
  return verses;
}

/** The verses of one split (see kjvSplitOf), in canonical order. */
export function kjvVerses(split: KJVSplit | 'all' = 'all', opts: { path?: string } = {}): readonly Verse[] {
  const all = loadKJV(opts);
  if (split === 'all') return all;
  checkSplit('kjvVerses', split);
  return all.filter((v) => kjvSplitOf(v.chapterIndex) === split);
}
