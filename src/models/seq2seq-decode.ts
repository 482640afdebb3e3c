// Seq2seq data and decoding: batches for teacher forcing, encoded pairs with the <Unk> copy target, the
// copy map, and greedy decoding that copies attended source words for <unk> (a simple copy mechanism).
import { tensor } from '../ops/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import type { NDArray } from '../data/ndarray.js';
import { detokenize } from '../data/text/tokenizers.js';
import type { Seq2SeqDataset, TokenizedDataset } from '../data/text/datasets.js';
import { padSequences } from '../data/text/sequence.js';
import { NUM_SPECIAL, type Tokenizer } from '../data/text/vocab.js';
import type { Seq2Seq } from './seq2seq.js';

const int64 = (data: Int32Array, shape: number[]) => tensor(data, { dtype: 'int64', shape });

/** An encoded pair: source ids x, target ids y (<bos> … <eos>). */
export type IdsSample = { x: NDArray<Int32Array>; y: NDArray<Int32Array> };
/** A seq2seq training batch (see seq2seqCollate). */
export type Seq2SeqBatch = { x: Tensor; y: Tensor; yIn: Tensor; sel: Tensor };

/**
 * Seq2seq batches: x the padded sources [B, S]; yIn the decoder inputs [B, L] (<bos> and the target but
 * its last token, padded); y the next tokens at the real (non-padding) positions only, flattened [M],
 * and sel their positions in the flattened [B·L] decoder outputs, so the loss and the token accuracy
 * skip padding.
 */
export function seq2seqCollate(samples: IdsSample[]): Seq2SeqBatch {
  const src = padSequences(samples.map((s) => s.x));
  const yIn = padSequences(samples.map((s) => s.y.data.subarray(0, s.y.data.length - 1)));
  const L = yIn.ids.shape[1];
  const y: number[] = [], sel: number[] = [];
  samples.forEach((s, k) => {
    for (let i = 1; i < s.y.data.length; i++) {
      y.push(s.y.data[i]);
      sel.push(k * L + i - 1);
    }
  });
  return {
    x: int64(src.ids.data, src.ids.shape), yIn: int64(yIn.ids.data, yIn.ids.shape),
    y: int64(Int32Array.from(y), [y.length]), sel: int64(Int32Array.from(sel), [sel.length]),
  };
}

const SENTENCE_END = new Set(['.', '?', '!']);

/**
 * Decoded target ids → text, with each <unk> replaced by the source word it attended most (align: the
 * source position per id; sourceWords: the source's tokens), capitalised at the start of the text or
 * after . ? ! (a simple copy mechanism for words outside the target vocabulary); CAP_UNK likewise, always
 * capitalised.
 */
export function decodeWithCopy(ids: readonly number[], align: readonly number[], sourceWords: readonly string[], target: Tokenizer): string {
  const words: string[] = [];
  ids.forEach((id, i) => {
    if (id === target.padId || id === target.bosId || id === target.eosId) return;
    let w = target.idToToken(id);
    const cap = id !== target.unkId && id === target.tokenToId(CAP_UNK);
    if ((id === target.unkId || cap) && sourceWords[align[i]] !== undefined) {
      w = sourceWords[align[i]];
      if (cap || words.length === 0 || SENTENCE_END.has(words[words.length - 1])) w = w[0].toUpperCase() + w.slice(1);
    }
    words.push(w);
  });
  return detokenize(words);
}

/**
 * The target word of a capitalised word outside the target vocabulary. Seq2seq runs with copy add it to
 * the target vocabulary; decodeWithCopy replaces it with the attended source word, capitalised.
 */
export const CAP_UNK = '<Unk>';

/**
 * Seq2seq pairs encoded for training and scoring: as Seq2SeqDataset.encode, and where the target
 * vocabulary has CAP_UNK, every <unk> standing for a capitalised word becomes CAP_UNK.
 */
export function encodePairs(ds: Seq2SeqDataset, source: Tokenizer, target: Tokenizer, lengths: { maxSourceLength?: number; maxTargetLength?: number }): TokenizedDataset<NDArray<Int32Array>> {
  const enc = ds.encode(source, target, lengths);
  const capUnk = target.tokenToId(CAP_UNK);
  if (capUnk === target.unkId) return enc;
  enc.targets.forEach((y: number | Int32Array, i: number) => {
    const words = target.tokenize(ds.targets[i]);
    // y = [<bos>, ids of words…, <eos>]
    for (let k = 0; k < words.length && k + 1 < (y as Int32Array).length; k++) {
      if ((y as Int32Array)[k + 1] === target.unkId && /^\p{Lu}/u.test(words[k])) (y as Int32Array)[k + 1] = capUnk;
    }
  });
  return enc;
}

/** The copy map of a seq2seq model: each source word's target ids as written and capitalised (<unk>, or for the capitalised word CAP_UNK where the target vocabulary has it, where absent). */
export function setCopyMap(model: Seq2Seq, source: Tokenizer, target: Tokenizer): void {
  const asWritten: number[] = [], capitalised: number[] = [];
  const capUnk = target.tokenToId(CAP_UNK);
  for (let i = 0; i < source.vocabSize; i++) {
    const w = i >= NUM_SPECIAL ? source.idToToken(i) : null;
    asWritten.push(w ? target.tokenToId(w) : target.unkId);
    const cap = w ? target.tokenToId(w[0].toUpperCase() + w.slice(1)) : target.unkId;
    // a source word outside either vocabulary may still be copied capitalised
    capitalised.push((w || i === source.unkId) && cap === target.unkId ? capUnk : cap);
  }
  model.setCopyMap(asWritten, capitalised);
}

/**
 * Greedy decoding of sources in batches: the decoded target texts (<unk> copied from sourceWords, see decodeWithCopy).
 * @example
 * const texts = greedyDecode(model, encoded.ids, sources.map((s) => source.tokenize(s)), target);
 */
export function greedyDecode(model: Seq2Seq, sources: readonly Int32Array[], sourceWords: readonly (readonly string[])[], target: Tokenizer, batchSize = 128): string[] {
  const out: string[] = [];
  for (let i = 0; i < sources.length; i += batchSize) {
    const p = padSequences(sources.slice(i, i + batchSize));
    const src = int64(p.ids.data, p.ids.shape);
    const r = model.greedyAligned(src);
    r.ids.forEach((ids, k) => out.push(decodeWithCopy(ids, r.align[k], sourceWords[i + k], target)));
    src.dispose();
  }
  return out;
}
