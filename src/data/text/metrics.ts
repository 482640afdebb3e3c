// Sequence-generation metrics: corpus BLEU (Papineni et al. 2002) with brevity penalty, on tokens or
// on texts (tokenised with bleuTokenize), sentence BLEU, and exact match.
import { StrataError } from '../../tensor/errors.js';
import { splitWords } from './tokenizers.js';

/** BLEU's tokenisation of a text: words (with inner ' or -) and each punctuation mark; case is kept. */
export function bleuTokenize(text: string): string[] {
  return splitWords(text, 'punct', false);
}

export interface BleuOptions {
  /** Largest n-gram order (default 4: BLEU-4), with uniform weights 1/maxOrder. */
  maxOrder?: number;
  /**
   * Add-one smoothing of the n-gram precisions for n ≥ 2 (Lin & Och 2004), so a sentence with no
   * 4-gram match does not score 0. Default false (corpus BLEU as Papineni et al. define it).
   */
  smooth?: boolean;
}

export interface BleuResult {
  /** BLEU in [0, 1] (multiply by 100 for the usual scale). */
  bleu: number;
  /** Modified n-gram precisions p_1..p_N (clipped matches / candidate n-grams, before smoothing). */
  precisions: number[];
  brevityPenalty: number;
  /** Candidate length / reference length. */
  ratio: number;
  candidateLength: number;
  referenceLength: number;
  /** Clipped matches and candidate n-gram totals per order. */
  matches: number[];
  totals: number[];
}

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join('\u0000');
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

/**
 * Corpus BLEU of tokenised candidates against one or more tokenised references each (NLTK's
 * corpus_bleu argument order): p_n = Σ clipped n-gram matches / Σ candidate n-grams over the whole
 * corpus (a candidate n-gram counts at most as often as in any one reference), BP = 1 if c > r else
 * exp(1 − r/c) with c the total candidate length and r the total of each candidate's closest reference
 * length (ties: the shorter), BLEU = BP · exp(Σ_n log p_n / N); 0 when some p_n is 0 (unless smooth).
 */
export function corpusBleu(candidates: readonly (readonly string[])[], references: readonly (readonly (readonly string[])[])[], opts: BleuOptions = {}): BleuResult {
  const op = 'corpusBleu';
  const maxOrder = opts.maxOrder ?? 4;
  if (!Number.isInteger(maxOrder) || maxOrder < 1) throw new StrataError(op, `maxOrder must be a positive integer, got ${opts.maxOrder}`);
  if (!Array.isArray(candidates) || !Array.isArray(references)) throw new StrataError(op, 'expected arrays of candidates and of references');
  if (candidates.length !== references.length) throw new StrataError(op, `${candidates.length} candidates but ${references.length} reference sets`);
  const matches = new Array<number>(maxOrder).fill(0), totals = new Array<number>(maxOrder).fill(0);
  let c = 0, r = 0;
  candidates.forEach((cand, i) => {
    const refs = references[i];
    if (!Array.isArray(cand) || cand.some((t) => typeof t !== 'string')) throw new StrataError(op, `candidate ${i} is not an array of token strings (for texts use bleu())`);
    if (!Array.isArray(refs) || refs.length === 0 || refs.some((rf) => !Array.isArray(rf))) throw new StrataError(op, `references[${i}] must be a non-empty array of token arrays (one per reference)`);
    c += cand.length;
    let best = refs[0].length;
    for (const rf of refs) {
      const d = Math.abs(rf.length - cand.length), bd = Math.abs(best - cand.length);
      if (d < bd || (d === bd && rf.length < best)) best = rf.length;
    }
    r += best;
    for (let n = 1; n <= maxOrder; n++) {
      const cc = ngramCounts(cand, n);
      const maxRef = new Map<string, number>();
      for (const rf of refs) for (const [k, v] of ngramCounts(rf, n)) if (cc.has(k) && v > (maxRef.get(k) ?? 0)) maxRef.set(k, v);
      for (const [k, v] of cc) matches[n - 1] += Math.min(v, maxRef.get(k) ?? 0);
      totals[n - 1] += Math.max(cand.length - n + 1, 0);
    }
  });
  const precisions = matches.map((m, i) => (totals[i] > 0 ? m / totals[i] : 0));
  const bp = c === 0 ? 0 : c > r ? 1 : Math.exp(1 - r / c);
  let logSum = 0;
  let zero = c === 0;
  for (let i = 0; i < maxOrder && !zero; i++) {
    const smoothed = opts.smooth && i > 0;
    const p = smoothed ? (matches[i] + 1) / (totals[i] + 1) : precisions[i];
    if (p === 0) zero = true;
    else logSum += Math.log(p) / maxOrder;
  }
  return { bleu: zero ? 0 : bp * Math.exp(logSum), precisions, brevityPenalty: bp, ratio: r === 0 ? 0 : c / r, candidateLength: c, referenceLength: r, matches, totals };
}

/**
 * Corpus BLEU of texts: candidates[i] against references[i], a string (one reference) or an array of
 * strings (several); all tokenised with bleuTokenize.
 * @example bleu(['The cat sat on the mat.'], ['The cat sat on the mat.']).bleu   // 1
 */
export function bleu(candidates: readonly string[], references: readonly (string | readonly string[])[], opts: BleuOptions = {}): BleuResult {
  const op = 'bleu';
  if (!Array.isArray(candidates) || !Array.isArray(references)) throw new StrataError(op, 'expected an array of candidate texts and an array of references');
  if (candidates.length !== references.length) throw new StrataError(op, `${candidates.length} candidates but ${references.length} references`);
  const cands = candidates.map((t, i) => {
    if (typeof t !== 'string') throw new StrataError(op, `candidate ${i} is ${typeof t}, expected a string`);
    return bleuTokenize(t);
  });
  const refs = references.map((r, i) => {
    const list = typeof r === 'string' ? [r] : r;
    if (!Array.isArray(list) || list.length === 0 || list.some((x) => typeof x !== 'string')) throw new StrataError(op, `reference ${i} must be a string or a non-empty array of strings`);
    return list.map(bleuTokenize);
  });
  return corpusBleu(cands, refs, opts);
}

/** BLEU of one candidate text against its reference(s), add-one smoothed by default. */
export function sentenceBleu(candidate: string, references: string | readonly string[], opts: BleuOptions = {}): number {
  return bleu([candidate], [references], { smooth: true, ...opts }).bleu;
}

/** Fraction of candidates equal to their reference after trimming and collapsing whitespace. */
export function exactMatch(candidates: readonly string[], references: readonly string[]): number {
  const op = 'exactMatch';
  if (!Array.isArray(candidates) || !Array.isArray(references)) throw new StrataError(op, 'expected two arrays of strings');
  if (candidates.length !== references.length) throw new StrataError(op, `${candidates.length} candidates but ${references.length} references`);
  if (candidates.length === 0) throw new StrataError(op, 'needs at least one candidate');
  const norm = (s: string, what: string, i: number) => {
    if (typeof s !== 'string') throw new StrataError(op, `${what} ${i} is ${typeof s}, expected a string`);
    return s.trim().replace(/\s+/g, ' ');
  };
  let hits = 0;
  for (let i = 0; i < candidates.length; i++) if (norm(candidates[i], 'candidate', i) === norm(references[i], 'reference', i)) hits++;
  return hits / candidates.length;
}
