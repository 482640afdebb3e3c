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
  /** Source and target embedding width (default 128). */
  embedDim?: number;
  /** Decoder hidden size and encoder hidden size per direction (default 128). */
  hiddenSize?: number;
  /** Attention width (default hiddenSize). */
  attentionSize?: number;
  /** Dropout on the embeddings and before the output layer (default 0). */
  dropout?: number;
  /** Special ids: padding (source and target, default 0), begin (default 2) and end of sequence (default 3). */
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
  readonly kind: Seq2SeqAttention;
  readonly padIdx: number;
  readonly bosIdx: number;
  readonly eosIdx: number;
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
    this.out = new Linear(this.kind === 'luong' ? H : 3 * H + E, this.targetVocabSize);
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
    return { outputs, padMask, h0, keys };
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
    return { logits: this.out.forward(this.drop.forward(r.features)), state: r.state, weights: r.weights };
  }

  /** Teacher forcing: the output layer's inputs [N, L, F] (F = 3H + E, or H with Luong attention) for src [N, S] and decoder inputs tgtIn [N, L]. */
  features(src: Tensor, tgtIn: Tensor): Tensor {
    this.checkIds('target', tgtIn);
    if (tgtIn.shape[0] !== src.shape[0]) throw new StrataError('Seq2Seq', `source batch ${src.shape[0]} and target batch ${tgtIn.shape[0]} differ`);
    const enc = this.encode(src);
    if (this.decoder instanceof GRU) {
      const [states] = this.decoder.forward(this.drop.forward(this.tgtEmb.forward(tgtIn)), F.unsqueeze(enc.h0, 0));
      return this.luong(states, enc)[0];
    }
    let s = enc.h0;
    const steps: Tensor[] = [];
    for (let i = 0; i < tgtIn.shape[1]; i++) {
      const r = this.step(F.select(tgtIn, 1, i), s, enc);
      steps.push(r.features);
      s = r.state;
    }
    return F.stack(steps, 1);
  }

  /** Teacher forcing: src [N, S], tgtIn [N, L] (<bos> then the target's tokens but its last) → logits [N, L, targetVocab]. */
  forward(src: Tensor, tgtIn?: Tensor): Tensor {
    if (!tgtIn) throw new StrataError('Seq2Seq', 'forward(src, tgtIn) needs the decoder input tgtIn [N, L] (teacher forcing); use greedy(src) to decode');
    return this.out.forward(this.drop.forward(this.features(src, tgtIn)));
  }

  /**
   * Teacher-forced logits at some positions only: positions [M] int64 index the flattened [N·L] decoder
   * steps → [M, targetVocab]. With the padding left out, the output layer (the largest product) does
   * only the work the loss needs.
   */
  logitsAt(src: Tensor, tgtIn: Tensor, positions: Tensor): Tensor {
    const f = this.features(src, tgtIn);
    return this.out.forward(this.drop.forward(F.indexSelect(F.reshape(f, [-1, f.shape[2]]), 0, positions)));
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
            const step = this.decodeStep(F.tensor(prev, { dtype: 'int64', backend: src.backend.name }), s, enc);
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
