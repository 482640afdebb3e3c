// Byte-level BPE (GPT-2 style): UTF-8 bytes as base tokens, a pre-tokenisation regex, and merges
// learned from a corpus with incrementally updated pair counts and a lazy max-heap.
import { StrataError } from '../../tensor/errors.js';
import {
  BOS_ID, checkId, corpusTexts, EOS_ID, NUM_SPECIAL, PAD_ID, SPECIAL_TOKENS, UNK_ID, withSpecials,
  type DecodeOptions, type EncodeOptions, type Tokenizer, type TokenizerJSON,
} from './vocab.js';

/** GPT-2's pre-tokenisation pattern (contractions, letters, digits, other symbols, whitespace). */
export const GPT2_PATTERN = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`;

/** Id of byte b. */
export const BYTE_OFFSET = NUM_SPECIAL;
/** Id of the first merged token (merge k has id FIRST_MERGE_ID + k). */
export const FIRST_MERGE_ID = NUM_SPECIAL + 256;
const MAX_VOCAB = 1 << 21;
const KEY = 1 << 21; // pair key = left * KEY + right (< 2^42, exact in a double)

/** GPT-2's bytes_to_unicode: each byte as a printable character (space → 'Ġ', newline → 'Ċ'). */
const BYTE_CHARS: string[] = (() => {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const out = new Array<string>(256);
  for (const b of bs) out[b] = String.fromCodePoint(b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (out[b] === undefined) out[b] = String.fromCodePoint(256 + n++);
  return out;
})();

export interface BPETrainOptions {
  /** Final vocabulary size: 4 specials + 256 bytes + merges (so at least 260). */
  vocabSize: number;
  /** Stop merging when the most frequent pair occurs fewer times than this (default 2). */
  minFrequency?: number;
  /** Pre-tokenisation regex source, compiled with flags 'gu' (default GPT2_PATTERN). */
  pattern?: string;
}

function compilePattern(op: string, pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'gu');
  } catch (e) {
    throw new StrataError(op, `the pre-tokenisation pattern is not a valid regular expression: ${(e as Error).message}`);
  }
}

/** A max-heap of (count, pair key): higher count first, then smaller key (smaller left id, then right id). */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];
  get size(): number {
    return this.keys.length;
  }
  private above(i: number, j: number): boolean {
    return this.counts[i] > this.counts[j] || (this.counts[i] === this.counts[j] && this.keys[i] < this.keys[j]);
  }
  private swap(i: number, j: number): void {
    const c = this.counts[i]; this.counts[i] = this.counts[j]; this.counts[j] = c;
    const k = this.keys[i]; this.keys[i] = this.keys[j]; this.keys[j] = k;
  }
  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.keys.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.above(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): [number, number] {
    const top: [number, number] = [this.counts[0], this.keys[0]];
    const lastC = this.counts.pop()!, lastK = this.keys.pop()!;
    if (this.keys.length > 0) {
      this.counts[0] = lastC;
      this.keys[0] = lastK;
      let i = 0;
      const n = this.keys.length;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < n && this.above(l, m)) m = l;
        if (r < n && this.above(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

/**
 * Byte-level byte-pair encoding (Sennrich et al. 2016, "Neural Machine Translation of Rare Words with
 * Subword Units"; byte-level as in GPT-2, Radford et al. 2019). Ids: 0..3 the specials, 4..259 the
 * bytes 0..255, then one id per merge in the order learned. Every string encodes without <unk>
 * (decode of a byte sequence that is not valid UTF-8 gives U+FFFD for the bad bytes).
 * @example
 * const bpe = ByteBPETokenizer.train(text, { vocabSize: 1000 });
 * bpe.decode(bpe.encode(s)) === s   // for every string s
 */
export class ByteBPETokenizer implements Tokenizer {
  readonly type = 'bpe' as const;
  readonly padId = PAD_ID;
  readonly unkId = UNK_ID;
  readonly bosId = BOS_ID;
  readonly eosId = EOS_ID;
  /** Merge k joins the ids [left, right] into id FIRST_MERGE_ID + k. */
  readonly merges: readonly (readonly [number, number])[];
  readonly pattern: string;
  private readonly regex: RegExp;
  private readonly ranks = new Map<number, number>();
  private readonly bytes: Uint8Array[] = [];
  private readonly cache = new Map<string, number[]>();
  private readonly utf8 = new TextEncoder();
  private readonly utf8Decoder = new TextDecoder('utf-8');

  constructor(merges: readonly (readonly [number, number])[], opts: { pattern?: string } = {}) {
    const op = 'ByteBPETokenizer';
    this.pattern = opts.pattern ?? GPT2_PATTERN;
    this.regex = compilePattern(op, this.pattern);
    if (!Array.isArray(merges)) throw new StrataError(op, 'expected merges as an array of [left, right] id pairs');
    for (let b = 0; b < 256; b++) this.bytes.push(Uint8Array.of(b));
    merges.forEach((m, k) => {
      const id = FIRST_MERGE_ID + k;
      if (!Array.isArray(m) || m.length !== 2) throw new StrataError(op, `merge ${k} is not a [left, right] pair`);
      const [a, b] = m;
      for (const x of [a, b]) {
        if (!Number.isInteger(x) || x < BYTE_OFFSET || x >= id) throw new StrataError(op, `merge ${k} ([${a}, ${b}]) refers to id ${x}, but only ids ${BYTE_OFFSET}..${id - 1} (bytes and earlier merges) exist before it`);
      }
      const key = a * KEY + b;
      if (this.ranks.has(key)) throw new StrataError(op, `merge ${k} ([${a}, ${b}]) repeats merge ${this.ranks.get(key)}`);
      this.ranks.set(key, k);
      const ba = this.bytes[a - BYTE_OFFSET], bb = this.bytes[b - BYTE_OFFSET];
      const joined = new Uint8Array(ba.length + bb.length);
      joined.set(ba);
      joined.set(bb, ba.length);
      this.bytes.push(joined);
    });
    this.merges = merges.map(([a, b]) => [a, b] as const);
  }

  /**
   * Learns merges from a corpus (one string or many; pre-tokens never cross strings): pre-tokenise
   * with the regex, count each distinct pre-token once with its frequency, then repeatedly merge the
   * most frequent adjacent pair (ties: the pair with the smaller left id, then smaller right id) until
   * vocabSize or until no pair occurs minFrequency times.
   * NOTE: pair counts are updated incrementally (only words containing the merged pair are rescanned),
   * so training costs about O(corpus + merges · affected words), not O(corpus · merges).
   */
  static train(corpus: string | Iterable<string>, opts: BPETrainOptions): ByteBPETokenizer {
    const op = 'ByteBPETokenizer.train';
    if (!opts || !Number.isInteger(opts.vocabSize) || opts.vocabSize < FIRST_MERGE_ID || opts.vocabSize > MAX_VOCAB) {
      throw new StrataError(op, `vocabSize must be an integer in [${FIRST_MERGE_ID}, ${MAX_VOCAB}] (4 specials + 256 bytes + merges), got ${opts?.vocabSize}`);
    }
    const minFrequency = opts.minFrequency ?? 2;
    if (!Number.isInteger(minFrequency) || minFrequency < 1) throw new StrataError(op, `minFrequency must be a positive integer, got ${opts.minFrequency}`);
    const pattern = opts.pattern ?? GPT2_PATTERN;
    const regex = compilePattern(op, pattern);

    const wordFreq = new Map<string, number>();
    for (const text of corpusTexts(op, corpus)) {
      for (const m of text.matchAll(regex)) {
        if (m[0].length === 0) throw new StrataError(op, `the pre-tokenisation pattern matched an empty string at offset ${m.index}; it must match at least one character`);
        wordFreq.set(m[0], (wordFreq.get(m[0]) ?? 0) + 1);
      }
    }
    const enc = new TextEncoder();
    const words: number[][] = [];
    const freqs: number[] = [];
    for (const [w, f] of wordFreq) {
      const bytes = enc.encode(w);
      if (bytes.length < 2) continue; // a single byte has no pair to merge
      words.push(Array.from(bytes, (b) => b + BYTE_OFFSET));
      freqs.push(f);
    }
    const pairCount = new Map<number, number>();
    const where = new Map<number, Set<number>>();
    for (let wi = 0; wi < words.length; wi++) {
      const w = words[wi], f = freqs[wi];
      for (let i = 0; i + 1 < w.length; i++) {
        const key = w[i] * KEY + w[i + 1];
        pairCount.set(key, (pairCount.get(key) ?? 0) + f);
        let s = where.get(key);
        if (!s) where.set(key, (s = new Set()));
        s.add(wi);
      }
    }
    const heap = new PairHeap();
    for (const [key, c] of pairCount) heap.push(c, key);

    const merges: [number, number][] = [];
    const delta = new Map<number, number>();
    while (FIRST_MERGE_ID + merges.length < opts.vocabSize && heap.size > 0) {
      const [count, key] = heap.pop();
      if (pairCount.get(key) !== count) continue; // stale entry; the current count was pushed when it changed
      if (count < minFrequency) break;
      const a = Math.floor(key / KEY), b = key - a * KEY;
      const id = FIRST_MERGE_ID + merges.length;
      merges.push([a, b]);
      delta.clear();
      for (const wi of where.get(key)!) {
        const w = words[wi], f = freqs[wi];
        let found = false;
        for (let i = 0; i + 1 < w.length; i++) if (w[i] === a && w[i + 1] === b) { found = true; break; }
        if (!found) continue; // the word lost this pair to an earlier merge
        const nw: number[] = [];
        for (let i = 0; i < w.length; i++) {
          if (i + 1 < w.length && w[i] === a && w[i + 1] === b) {
            nw.push(id);
            i++;
          } else nw.push(w[i]);
        }
        for (let i = 0; i + 1 < w.length; i++) {
          const k = w[i] * KEY + w[i + 1];
          delta.set(k, (delta.get(k) ?? 0) - f);
        }
        for (let i = 0; i + 1 < nw.length; i++) {
          const k = nw[i] * KEY + nw[i + 1];
          delta.set(k, (delta.get(k) ?? 0) + f);
          if (nw[i] === id || nw[i + 1] === id) {
            let s = where.get(k);
            if (!s) where.set(k, (s = new Set()));
            s.add(wi);
          }
        }
        words[wi] = nw;
      }
      where.delete(key);
      for (const [k, d] of delta) {
        if (d === 0) continue;
        const c = (pairCount.get(k) ?? 0) + d;
        if (c > 0) {
          pairCount.set(k, c);
          heap.push(c, k);
        } else {
          pairCount.delete(k);
          where.delete(k);
        }
      }
    }
    return new ByteBPETokenizer(merges, { pattern });
  }

  static fromJSON(json: TokenizerJSON): ByteBPETokenizer {
    if (!json || json.type !== 'bpe' || !Array.isArray(json.merges)) throw new StrataError('ByteBPETokenizer.fromJSON', 'expected the JSON of a BPE tokenizer ({type: "bpe", merges, pattern})');
    return new ByteBPETokenizer(json.merges, { pattern: json.pattern });
  }

  get vocabSize(): number {
    return FIRST_MERGE_ID + this.merges.length;
  }

  /** The ids of one pre-token: its bytes, merged by rank (lowest-ranked adjacent pair first) as GPT-2 does. */
  private encodeWord(word: string): number[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    let w = Array.from(this.utf8.encode(word), (b) => b + BYTE_OFFSET);
    while (w.length > 1) {
      let best = -1, bestRank = Infinity;
      for (let i = 0; i + 1 < w.length; i++) {
        const r = this.ranks.get(w[i] * KEY + w[i + 1]);
        if (r !== undefined && r < bestRank) { bestRank = r; best = i; }
      }
      if (best < 0) break;
      const a = w[best], b = w[best + 1], id = FIRST_MERGE_ID + bestRank;
      const nw: number[] = [];
      for (let i = 0; i < w.length; i++) {
        if (i + 1 < w.length && w[i] === a && w[i + 1] === b) {
          nw.push(id);
          i++;
        } else nw.push(w[i]);
      }
      w = nw;
    }
    if (this.cache.size >= 100_000) this.cache.clear();
    this.cache.set(word, w);
    return w;
  }

  /** The pre-tokens of text (the regex's matches). */
  preTokenize(text: string): string[] {
    if (typeof text !== 'string') throw new StrataError('ByteBPETokenizer.preTokenize', `expected a string, got ${typeof text}`);
    return Array.from(text.matchAll(this.regex), (m) => m[0]);
  }

  encode(text: string, opts?: EncodeOptions): number[] {
    if (typeof text !== 'string') throw new StrataError('ByteBPETokenizer.encode', `expected a string, got ${typeof text}`);
    const ids: number[] = [];
    for (const m of text.matchAll(this.regex)) for (const id of this.encodeWord(m[0])) ids.push(id);
    return withSpecials(ids, opts);
  }

  /** The UTF-8 bytes a token stands for (empty for specials). */
  tokenBytes(id: number): Uint8Array {
    checkId('ByteBPETokenizer.tokenBytes', id, this.vocabSize);
    return id < NUM_SPECIAL ? new Uint8Array(0) : this.bytes[id - BYTE_OFFSET].slice();
  }

  decode(ids: ArrayLike<number>, opts?: DecodeOptions): string {
    const skip = opts?.skipSpecial ?? true;
    const parts: string[] = [];
    let run: Uint8Array[] = [];
    let len = 0;
    const flush = () => {
      if (run.length === 0) return;
      const buf = new Uint8Array(len);
      let o = 0;
      for (const r of run) { buf.set(r, o); o += r.length; }
      parts.push(this.utf8Decoder.decode(buf));
      run = [];
      len = 0;
    };
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      checkId('ByteBPETokenizer.decode', id, this.vocabSize, i);
      if (id < NUM_SPECIAL) {
        if (skip && id !== UNK_ID) continue;
        flush();
        parts.push(SPECIAL_TOKENS[id]);
      } else {
        const bytes = this.bytes[id - BYTE_OFFSET];
        run.push(bytes);
        len += bytes.length;
      }
    }
    flush();
    return parts.join('');
  }

  /** A token as text in GPT-2's printable byte alphabet (e.g. ' the' → 'Ġthe'); specials as their names. */
  idToToken(id: number): string {
    checkId('ByteBPETokenizer.idToToken', id, this.vocabSize);
    if (id < NUM_SPECIAL) return SPECIAL_TOKENS[id];
    return Array.from(this.bytes[id - BYTE_OFFSET], (b) => BYTE_CHARS[b]).join('');
  }

  tokenToId(token: string): number {
    const s = SPECIAL_TOKENS.indexOf(token);
    if (s >= 0) return s;
    if (!this.tokenIndex) {
      this.tokenIndex = new Map();
      for (let id = BYTE_OFFSET; id < this.vocabSize; id++) this.tokenIndex.set(this.idToToken(id), id);
    }
    return this.tokenIndex.get(token) ?? UNK_ID;
  }
  private tokenIndex: Map<string, number> | null = null;

  /** The text's tokens in GPT-2's printable byte alphabet. */
  tokenize(text: string): string[] {
    return this.encode(text).map((id) => this.idToToken(id));
  }

  toJSON(): TokenizerJSON {
    return { type: 'bpe', version: 1, merges: this.merges.map(([a, b]) => [a, b]), pattern: this.pattern };
  }
}
