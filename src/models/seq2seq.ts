// A GRU encoder–decoder with additive (Bahdanau) or multiplicative (Luong) attention: teacher-forced
// forward for training, greedy decoding (with each token's attention argmax, for copying) for evaluation.
import type { Tensor } from '../tensor/tensor.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { tidy, keep } from '../tensor/memory.js';
import { noGrad } from '../autograd/grad-mode.js';
import { Module } from '../nn/module.js';
import { Embedding } from '../nn/layers/embedding.js';
import { Linear } from '../nn/layers/linear.js';
import { Dropout } from '../nn/layers/activation.js';
import { GRU, GRUCell } from '../nn/layers/rnn.js';
import { AdditiveAttention } from '../nn/layers/attention.js';
import * as F from '../ops/index.js';
import type { TextTask } from './text.js';

/** A sequence-to-sequence task: source vocabulary (vocabSize), target vocabulary and the longest target. */
export interface Seq2SeqTask extends TextTask {
  /** Target vocabulary (default vocabSize: a shared vocabulary). */
  targetVocabSize?: number;
  /** Longest decoded target, in tokens, for greedy decoding (default contextLength). */
  targetLength?: number;
}

/**
 * 'bahdanau': additive attention on the previous decoder state, a GRUCell step loop (the seeds' module);
 * 'luong': the decoder GRU runs over all target inputs at once, then general (bilinear) attention and the
 * output layer over all steps as batched products (Luong et al., 2015, global attention without input
 * feeding), several times faster to train.
 */
export type Seq2SeqAttention = 'bahdanau' | 'luong';
export const SEQ2SEQ_ATTENTIONS: readonly Seq2SeqAttention[] = ['bahdanau', 'luong'];

export interface Seq2SeqConfig {
  /** The attention and decoder structure (default 'bahdanau'). */
  attention?: Seq2SeqAttention;
  /**
   * Copy scores (default false): each step's attention weights, scaled by two gates the step computes,
   * are added to the logits of the target ids of the attended source words, as written and capitalised
   * (copyMap, set with setCopyMap), so copying a word needs no per-word learning.
   */
  copy?: boolean;
  /** Source and target embedding width (default 128). */
  embedDim?: number;
  /** Decoder hidden size and encoder hidden size per direction (default 128). */
  hiddenSize?: number;
  /** Attention width (default hiddenSize). */
  attentionSize?: number;
  /** Dropout on the embeddings and before the output layer (default 0). */
  dropout?: number;
  /** Special ids: padding (source and target, default 0), unknown word (default 1, the copy map's filler), begin (default 2) and end of sequence (default 3). */
  unkIdx?: number;
  padIdx?: number;
  bosIdx?: number;
  eosIdx?: number;
}

/** The encoder's output for decoding. */
export interface Encoded {
  /** [N, S, 2H]: both directions' states, zero at padding. */
  outputs: Tensor;
  /** [N, S] bool, true at padding. */
  padMask: Tensor;
  /** [N, H]: the decoder's initial state. */
  h0: Tensor;
  /** [N, S, A]: the attention's projection of the annotations (V·h_j, or Luong's W_a·h_j), computed once. */
  keys: Tensor;
  /** With copy: [N, 2S] int64, the target ids of each source word as written, then capitalised. */
  copyIds: Tensor | null;
}

/** Greedy decoding's output: each row's ids and, per id, the source position it attended most. */
export interface GreedyResult {
  ids: number[][];
  /** align[k][i]: argmax over source positions of the attention weights when ids[k][i] was produced. */
  align: number[][];
}

/**
 * An RNN encoder–decoder with additive attention (Bahdanau, Cho & Bengio, 2015, "Neural Machine
 * Translation by Jointly Learning to Align and Translate"), the seeds' attention module in use:
 * - encoder: embedding and a bidirectional GRU over each source's true length → annotations h_j [2H];
 * - the decoder's initial state s_0 = tanh(W_init·[→h_last; ←h_first]);
 * - at step i: context c_i = Σ_j α_ij h_j with α_i = softmax_j(aᵀ·tanh(W·s_{i−1} + V·h_j)) (padding
 *   masked out), s_i = GRUCell([emb(y_{i−1}); c_i], s_{i−1}), logits = W_o·[s_i; c_i; emb(y_{i−1})]
 *   (Bahdanau's deep output without its maxout layer).
 * forward(src [N, S], tgtIn [N, L]) → logits [N, L, targetVocab] with teacher forcing (tgtIn = <bos> and
 * the target without its last token); greedy(src) decodes. Parameters: source V_s·E, encoder GRU
 * 2·(3H·(E + H) + 6H), W_init 2H·H + H, target V_t·E, attention (H·A + A) + (2H·A + A) + (A + 1),
 * decoder cell 3H·(E + 2H + H) + 6H, output (3H + E)·V_t + V_t.
 *
 * With config.attention 'luong' (Luong, Pham & Manning, 2015, "Effective Approaches to Attention-based
 * Neural Machine Translation", global attention with the general score, no input feeding), the decoder
 * is s_i = GRU(emb(y_{i−1}), s_{i−1}) over all steps at once, α_i = softmax_j(s_iᵀ·W_a·h_j),
 * c_i = Σ_j α_ij h_j, h̃_i = tanh(W_c·[s_i; c_i]) and logits = W_o·h̃_i; teacher forcing then needs no
 * step loop. Parameters (after W_init and the target embedding): decoder GRU 3H·(E + H) + 6H, W_a 2H·H,
 * W_c 3H·H + H, output H·V_t + V_t.
 *
 * With config.copy, logits_i[w] += g_i·Σ_{j: lower(x_j) = w} α_ij + g'_i·Σ_{j: cap(x_j) = w} α_ij, where
 * (g_i, g'_i) = W_g·features_i + b_g (2·F + 2 parameters) and lower/cap map a source id to the target id
 * of the word as written and capitalised (the copyMap buffer [V_s, 2], <unk> where the target vocabulary
 * lacks it): a copy mechanism in logit space (cf. Gu et al., 2016, "Incorporating Copying Mechanism in
 * Sequence-to-Sequence Learning"), for tasks whose output mostly repeats the input.
 */
export class Seq2Seq extends Module {
  srcEmb: Embedding;
  encoder: GRU;
  bridge: Linear;
  tgtEmb: Embedding;
  attention: AdditiveAttention | Linear;
  decoder: GRUCell | GRU;
  combine: Linear | null = null;
  drop: Dropout;
  out: Linear;
  copyGate: Linear | null = null;
  declare copyMap: Tensor | null;
  readonly kind: Seq2SeqAttention;
  readonly padIdx: number;
  readonly bosIdx: number;
  readonly eosIdx: number;
  readonly unkIdx: number;
  readonly targetVocabSize: number;
  readonly targetLength: number;
  constructor(readonly task: Seq2SeqTask, readonly config: Seq2SeqConfig = {}) {
    super();
    const ok = (v: unknown) => Number.isInteger(v) && (v as number) >= 1;
    if (!task || !ok(task.vocabSize) || !ok(task.contextLength) || (task.targetVocabSize !== undefined && !ok(task.targetVocabSize)) || (task.targetLength !== undefined && !ok(task.targetLength))) {
      throw new StrataError('Seq2Seq', `expected a task { vocabSize, contextLength, targetVocabSize?, targetLength? } of positive integers, got ${JSON.stringify(task)}`);
    }
    const E = config.embedDim ?? 128, H = config.hiddenSize ?? 128, A = config.attentionSize ?? H;
    this.kind = config.attention ?? 'bahdanau';
    if (!SEQ2SEQ_ATTENTIONS.includes(this.kind)) throw new StrataError('Seq2Seq', `attention must be one of ${SEQ2SEQ_ATTENTIONS.join(', ')}, got ${JSON.stringify(config.attention)}`);
    this.padIdx = config.padIdx ?? 0;
    this.bosIdx = config.bosIdx ?? 2;
    this.eosIdx = config.eosIdx ?? 3;
    this.unkIdx = config.unkIdx ?? 1;
    this.targetVocabSize = task.targetVocabSize ?? task.vocabSize;
    this.targetLength = task.targetLength ?? task.contextLength;
    this.srcEmb = new Embedding(task.vocabSize, E, { paddingIdx: this.padIdx });
    this.encoder = new GRU(E, H, { bidirectional: true, batchFirst: true });
    this.bridge = new Linear(2 * H, H);
    this.tgtEmb = new Embedding(this.targetVocabSize, E, { paddingIdx: this.padIdx });
    if (this.kind === 'luong') {
      this.attention = new Linear(2 * H, H, { bias: false });
      this.decoder = new GRU(E, H, { batchFirst: true });
      this.combine = new Linear(3 * H, H);
    } else {
      this.attention = new AdditiveAttention(H, A, { keySize: 2 * H });
      this.decoder = new GRUCell(E + 2 * H, H);
    }
    this.drop = new Dropout(config.dropout ?? 0);
    const features = this.kind === 'luong' ? H : 3 * H + E;
    this.out = new Linear(features, this.targetVocabSize);
    if (config.copy) {
      this.copyGate = new Linear(features, 2);
      this.registerBuffer('copyMap', F.full([task.vocabSize, 2], this.unkIdx, { dtype: 'int64' }));
    } else {
      this.registerBuffer('copyMap', null);
    }
  }

  /**
   * The copy targets of every source id: asWritten[i] and capitalised[i] are the target ids of source
   * word i as written and with its first letter capitalised (<unk>, 1, where the target vocabulary lacks it).
   */
  setCopyMap(asWritten: ArrayLike<number>, capitalised: ArrayLike<number>): void {
    const V = this.task.vocabSize, op = 'Seq2Seq.setCopyMap';
    if (!this.copyMap) throw new StrataError(op, 'the model was built without copy (config.copy)');
    if (asWritten.length !== V || capitalised.length !== V) throw new StrataError(op, `expected two id lists of the source vocabulary's size ${V}, got ${asWritten.length} and ${capitalised.length}`);
    const data = new Int32Array(2 * V);
    for (let i = 0; i < V; i++) {
      for (const [c, id] of [asWritten[i], capitalised[i]].entries()) {
        if (!Number.isInteger(id) || id < 0 || id >= this.targetVocabSize) throw new StrataError(op, `target id ${id} (source id ${i}) is outside the target vocabulary [0, ${this.targetVocabSize})`);
        data[2 * i + c] = id;
      }
    }
    const old = this.copyMap;
    this.copyMap = F.tensor(data, { dtype: 'int64', shape: [V, 2], backend: old.backend });
    old.dispose();
  }

  /** logits [M, V] plus the copy scores of features [M, F], attention weights [M, S] and copy ids [M, 2S]. */
  private addCopy(logits: Tensor, features: Tensor, weights: Tensor, copyIds: Tensor): Tensor {
    const g = this.copyGate!.forward(features);
    const scores = F.cat([F.mul(weights, F.narrow(g, 1, 0, 1)), F.mul(weights, F.narrow(g, 1, 1, 1))], 1);
    return F.scatterAdd(logits, 1, copyIds, scores);
  }

  private checkIds(what: string, ids: Tensor): void {
    if ((ids.dtype !== 'int64' && ids.dtype !== 'int32') || ids.ndim !== 2) throw new StrataError('Seq2Seq', `expected ${what} ids as an int64 tensor [N, T], got ${ids.dtype}${fmtShape(ids.shape)}`);
  }

  /** src [N, S] (right-padded with padIdx) → annotations, padding mask and the decoder's initial state. */
  encode(src: Tensor): Encoded {
    this.checkIds('source', src);
    const padMask = F.eq(src, this.padIdx);
    const lengths = F.clamp(F.sum(F.logicalNot(padMask).to('int64'), 1), 1);
    const [outputs, hN] = this.encoder.forward(this.drop.forward(this.srcEmb.forward(src)), null, { lengths });
    // hN [2, N, H]: the forward direction's last valid state and the backward direction's state at step 0
    const h0 = F.tanh(this.bridge.forward(F.cat([F.select(hN, 0, 0), F.select(hN, 0, 1)], 1)));
    const keys = this.attention instanceof AdditiveAttention ? this.attention.projectKeys(outputs) : this.attention.forward(outputs);
    let copyIds: Tensor | null = null;
    if (this.copyMap) {
      const [N, S] = src.shape;
      // [N, S, 2] → [N, 2, S] → [N, 2S]: every source word's as-written ids, then its capitalised ids
      copyIds = F.reshape(F.contiguous(F.transpose(F.reshape(F.indexSelect(this.copyMap, 0, F.reshape(src.to('int64'), [-1])), [N, S, 2]), 1, 2)), [N, 2 * S]);
    }
    return { outputs, padMask, h0, keys, copyIds };
  }

  /** Luong attention: decoder states [N, L, H] → [features h̃ [N, L, H], weights [N, L, S]] (batched over the L steps). */
  private luong(states: Tensor, enc: Encoded): [Tensor, Tensor] {
    // NOTE: a large negative score rather than −∞ at padding, so that an all-padding row stays finite
    const scores = F.maskedFill(F.matmul(states, F.transpose(enc.keys, 1, 2)), F.unsqueeze(enc.padMask, 1), -1e9);
    const weights = F.softmax(scores, -1);
    const context = F.matmul(weights, enc.outputs);
    return [F.tanh(this.combine!.forward(F.cat([states, context], 2))), weights];
  }

  /** One decoder step: previous tokens [N] int64 and state s [N, H] → the new state, the output features [N, F] and the attention weights [N, S]. */
  private step(prev: Tensor, s: Tensor, enc: Encoded): { state: Tensor; features: Tensor; weights: Tensor } {
    const emb = this.drop.forward(this.tgtEmb.forward(prev));
    if (this.decoder instanceof GRU) {
      const [, hN] = this.decoder.forward(F.unsqueeze(emb, 1), F.unsqueeze(s, 0));
      const state = F.select(hN, 0, 0);
      const [features, weights] = this.luong(F.unsqueeze(state, 1), enc);
      return { state, features: F.squeeze(features, 1), weights: F.squeeze(weights, 1) };
    }
    const [context, weights] = (this.attention as AdditiveAttention).forward(s, enc.outputs, { keyPaddingMask: enc.padMask, keys: enc.keys });
    const state = this.decoder.forward(F.cat([emb, context], 1), s);
    return { state, features: F.cat([state, context, emb], 1), weights };
  }

  /** One decoder step: previous tokens [N] int64 and state s [N, H] → logits [N, targetVocab], the new state and the attention weights [N, S]. */
  decodeStep(prev: Tensor, s: Tensor, enc: Encoded): { logits: Tensor; state: Tensor; weights: Tensor } {
    const r = this.step(prev, s, enc);
    let logits = this.out.forward(this.drop.forward(r.features));
    if (enc.copyIds) logits = this.addCopy(logits, r.features, r.weights, enc.copyIds);
    return { logits, state: r.state, weights: r.weights };
  }

  /** Teacher forcing: the output layer's inputs [N, L, F], the attention weights [N, L, S] and the encoding. */
  private teacherForced(src: Tensor, tgtIn: Tensor): { features: Tensor; weights: Tensor; enc: Encoded } {
    this.checkIds('target', tgtIn);
    if (tgtIn.shape[0] !== src.shape[0]) throw new StrataError('Seq2Seq', `source batch ${src.shape[0]} and target batch ${tgtIn.shape[0]} differ`);
    const enc = this.encode(src);
    if (this.decoder instanceof GRU) {
      const [states] = this.decoder.forward(this.drop.forward(this.tgtEmb.forward(tgtIn)), F.unsqueeze(enc.h0, 0));
      const [features, weights] = this.luong(states, enc);
      return { features, weights, enc };
    }
    let s = enc.h0;
    const steps: Tensor[] = [], weights: Tensor[] = [];
    for (let i = 0; i < tgtIn.shape[1]; i++) {
      const r = this.step(F.select(tgtIn, 1, i), s, enc);
      steps.push(r.features);
      weights.push(r.weights);
      s = r.state;
    }
    return { features: F.stack(steps, 1), weights: F.stack(weights, 1), enc };
  }

  /** Teacher forcing: the output layer's inputs [N, L, F] (F = 3H + E, or H with Luong attention) for src [N, S] and decoder inputs tgtIn [N, L]. */
  features(src: Tensor, tgtIn: Tensor): Tensor {
    return this.teacherForced(src, tgtIn).features;
  }

  /** Teacher forcing: src [N, S], tgtIn [N, L] (<bos> then the target's tokens but its last) → logits [N, L, targetVocab]. */
  forward(src: Tensor, tgtIn?: Tensor): Tensor {
    if (!tgtIn) throw new StrataError('Seq2Seq', 'forward(src, tgtIn) needs the decoder input tgtIn [N, L] (teacher forcing); use greedy(src) to decode');
    const [N, L] = tgtIn.shape;
    return F.reshape(this.logitsAt(src, tgtIn, F.arange(0, N * L, 1, { dtype: 'int64', backend: src.backend })), [N, L, this.targetVocabSize]);
  }

  /**
   * Teacher-forced logits at some positions only: positions [M] int64 index the flattened [N·L] decoder
   * steps → [M, targetVocab]. With the padding left out, the output layer (the largest product) does
   * only the work the loss needs.
   */
  logitsAt(src: Tensor, tgtIn: Tensor, positions: Tensor): Tensor {
    const { features, weights, enc } = this.teacherForced(src, tgtIn);
    const f = F.indexSelect(F.reshape(features, [-1, features.shape[2]]), 0, positions);
    const logits = this.out.forward(this.drop.forward(f));
    if (!enc.copyIds) return logits;
    const [N, L, S] = weights.shape;
    const w = F.indexSelect(F.reshape(weights, [N * L, S]), 0, positions);
    const ids = F.indexSelect(F.reshape(F.expand(F.unsqueeze(enc.copyIds, 1), [N, L, 2 * S]), [N * L, 2 * S]), 0, positions);
    return this.addCopy(logits, f, w, ids);
  }

  /**
   * Greedy decoding without gradients: src [N, S] → each row's target ids (without <bos> and <eos>),
   * stopping at <eos> or after maxLength tokens (default targetLength).
   */
  greedy(src: Tensor, maxLength = this.targetLength): number[][] {
    return this.greedyAligned(src, maxLength).ids;
  }

  /**
   * greedy() that also returns, for every decoded id, the source position of its largest attention
   * weight (for copying a source word where the model produced <unk>).
   */
  greedyAligned(src: Tensor, maxLength = this.targetLength): GreedyResult {
    if (!Number.isInteger(maxLength) || maxLength < 1) throw new StrataError('Seq2Seq.greedy', `maxLength must be a positive integer, got ${maxLength}`);
    const wasTraining = this.training;
    this.eval();
    const N = src.shape[0];
    const rows: number[][] = Array.from({ length: N }, () => []);
    const align: number[][] = Array.from({ length: N }, () => []);
    const done = new Array<boolean>(N).fill(false);
    try {
      noGrad(() => tidy(() => {
        const enc = this.encode(src);
        let s = enc.h0;
        let prev = Array<number>(N).fill(this.bosIdx);
        for (let i = 0; i < maxLength && done.some((d) => !d); i++) {
          const r = tidy(() => {
            const step = this.decodeStep(F.tensor(prev, { dtype: 'int64', backend: src.backend }), s, enc);
            const ids = (t: Tensor) => Array.from(t.data() as ArrayLike<number | bigint>, Number);
            return { next: ids(F.argmax(step.logits, 1)), at: ids(F.argmax(step.weights, 1)), state: keep(step.state) };
          });
          if (s !== enc.h0) s.dispose();
          s = r.state;
          prev = r.next;
          for (let k = 0; k < N; k++) {
            if (done[k]) continue;
            if (prev[k] === this.eosIdx) done[k] = true;
            else {
              rows[k].push(prev[k]);
              align[k].push(r.at[k]);
            }
          }
        }
        if (s !== enc.h0) s.dispose();
      }));
    } finally {
      this.train(wasTraining);
    }
    return { ids: rows, align };
  }
}
