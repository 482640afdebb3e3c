// Recurrent text models: a character-level LSTM language model with generate(), and GRU/LSTM text
// classifiers (embedding, bidirectional recurrent layer over the true lengths, pooling, linear).
import type { Tensor } from '../tensor/tensor.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { tidy, keep } from '../tensor/memory.js';
import { Module } from '../nn/module.js';
import { Embedding } from '../nn/layers/embedding.js';
import { Linear } from '../nn/layers/linear.js';
import { Dropout } from '../nn/layers/activation.js';
import { GRU, LSTM } from '../nn/layers/rnn.js';
import * as F from '../ops/index.js';
import { generateTokens, type GenerateOptions, type TextTask } from './text.js';

function checkTask(name: string, task: TextTask, needClasses: boolean): void {
  const ok = (v: unknown) => Number.isInteger(v) && (v as number) >= 1;
  if (!task || !ok(task.vocabSize) || !ok(task.contextLength) || (needClasses && !ok(task.numClasses))) {
    throw new StrataError(name, `expected a text task { vocabSize, contextLength${needClasses ? ', numClasses' : ''} } of positive integers, got ${JSON.stringify(task)}`);
  }
}

function checkIds(name: string, ids: Tensor): void {
  if (ids.dtype !== 'int64' && ids.dtype !== 'int32') throw new StrataError(name, `expected token ids as an int64 tensor [N, T], got ${ids.dtype}${fmtShape(ids.shape)}`);
  if (ids.ndim !== 2) throw new StrataError(name, `expected token ids [N, T], got shape ${fmtShape(ids.shape)}`);
}

export interface CharLSTMConfig {
  /** Embedding width (default hiddenSize). */
  embedDim?: number;
  /** LSTM hidden size (default 256). */
  hiddenSize?: number;
  /** Stacked LSTM layers (default 2). */
  numLayers?: number;
  /** Dropout on the embeddings, between LSTM layers and before the head (default 0). */
  dropout?: number;
}

/**
 * A character-level LSTM language model (as Karpathy's char-rnn; Graves, 2013): embedding, a stacked
 * LSTM and a linear head. ids [N, T] → logits [N, T, vocabSize]. No context limit: generate() feeds
 * the prompt once and then carries the LSTM state one token at a time. Parameters: embedding V·E,
 * per layer l 4H·(in_l + H) + 8H (in_0 = E, else H), head H·V + V.
 * @example const m = new CharLSTM({ vocabSize: 67, contextLength: 128 }); m.generate([5, 6], { maxNewTokens: 40, temperature: 0 })
 */
export class CharLSTM extends Module {
  embedding: Embedding;
  drop: Dropout;
  lstm: LSTM;
  head: Linear;
  readonly vocabSize: number;
  constructor(readonly task: TextTask, readonly config: CharLSTMConfig = {}) {
    super();
    checkTask('CharLSTM', task, false);
    const H = config.hiddenSize ?? 256, E = config.embedDim ?? H, p = config.dropout ?? 0;
    this.vocabSize = task.vocabSize;
    this.embedding = new Embedding(task.vocabSize, E);
    this.drop = new Dropout(p);
    this.lstm = new LSTM(E, H, { numLayers: config.numLayers ?? 2, batchFirst: true, dropout: p });
    this.head = new Linear(H, task.vocabSize);
  }
  /** ids [N, T] → logits [N, T, vocabSize] (and the final LSTM state [h, c], each [numLayers, N, H]). */
  step(ids: Tensor, state: readonly [Tensor, Tensor] | null = null): [Tensor, [Tensor, Tensor]] {
    checkIds('CharLSTM', ids);
    const [out, hc] = this.lstm.forward(this.drop.forward(this.embedding.forward(ids)), state);
    return [this.head.forward(this.drop.forward(out)), hc];
  }
  /** ids [N, T] int64 → logits [N, T, vocabSize]. */
  forward(ids: Tensor): Tensor {
    return this.step(ids)[0];
  }
  /**
   * Extends prompts by maxNewTokens tokens, as GPT.generate (same options and sampling): prompt ids
   * [T] or [N, T] → int64 [T + maxNewTokens] or [N, T + maxNewTokens].
   */
  generate(prompt: Tensor | readonly number[] | readonly (readonly number[])[], opts: GenerateOptions): Tensor {
    const backend = this.embedding.weight.backend;
    let state: [Tensor, Tensor] | null = null;
    try {
      return generateTokens('CharLSTM.generate', this, this.vocabSize, backend, prompt, opts, (rows, first) => {
        const prev = state;
        const [logits, next] = tidy(() => {
          const ids = F.tensor(first ? rows : rows.map((r) => [r[r.length - 1]]), { dtype: 'int64', backend });
          const [out, hc] = this.step(ids, prev);
          return [F.select(out, 1, -1).to('float64').data() as Float64Array, keep(hc)] as const;
        });
        prev?.forEach((t) => t.dispose());
        state = next;
        return logits;
      });
    } finally {
      (state as [Tensor, Tensor] | null)?.forEach((t) => t.dispose());
    }
  }
}

export interface RNNClassifierConfig {
  /** Embedding width (default hiddenSize). */
  embedDim?: number;
  /** Hidden size per direction (default 128). */
  hiddenSize?: number;
  numLayers?: number;
  /** Both directions (default true): pooled features 2·hiddenSize. */
  bidirectional?: boolean;
  /** 'mean' (default) or 'max' over each sequence's valid steps. */
  pooling?: 'mean' | 'max';
  /** Dropout on the embeddings and on the pooled features (default 0). */
  dropout?: number;
  /** The padding id (zero embedding; sequences are right-padded with it). Default 0. */
  padIdx?: number;
}

/**
 * A recurrent text classifier: embedding (padding id → zero vector), a (bidirectional) GRU or LSTM run
 * over each sequence's true length (sequences right-padded with padIdx), mean or max
 * pooling over the valid steps, and a linear classifier. ids [N, T] → logits [N, numClasses].
 * Parameters: embedding V·E, per layer and direction G·H·(in_l + H) + 2·G·H (G = 3 for GRU, 4 for LSTM;
 * in_0 = E, else D·H), classifier D·H·C + C.
 */
export class RNNClassifier extends Module {
  embedding: Embedding;
  drop: Dropout;
  rnn: GRU | LSTM;
  classifier: Linear;
  readonly padIdx: number;
  readonly pooling: 'mean' | 'max';
  constructor(readonly cell: 'gru' | 'lstm', readonly task: TextTask, readonly config: RNNClassifierConfig = {}) {
    super();
    const name = cell === 'gru' ? 'GRUClassifier' : 'LSTMClassifier';
    checkTask(name, task, true);
    if (cell !== 'gru' && cell !== 'lstm') throw new StrataError('RNNClassifier', `cell must be 'gru' or 'lstm', got ${String(cell)}`);
    const H = config.hiddenSize ?? 128, E = config.embedDim ?? H, D = config.bidirectional ?? true ? 2 : 1;
    this.pooling = config.pooling ?? 'mean';
    if (this.pooling !== 'mean' && this.pooling !== 'max') throw new StrataError(name, `pooling must be 'mean' or 'max', got ${String(this.pooling)}`);
    this.padIdx = config.padIdx ?? 0;
    this.embedding = new Embedding(task.vocabSize, E, { paddingIdx: this.padIdx });
    this.drop = new Dropout(config.dropout ?? 0);
    const opts = { numLayers: config.numLayers ?? 1, bidirectional: D === 2, batchFirst: true };
    this.rnn = cell === 'gru' ? new GRU(E, H, opts) : new LSTM(E, H, opts);
    this.classifier = new Linear(D * H, task.numClasses!);
  }
  /**
   * ids [N, T] → logits [N, numClasses]. lengths [N] (default: each row's count of non-padding ids,
   * at least 1).
   */
  forward(ids: Tensor, opts: { lengths?: Tensor | readonly number[] | null } = {}): Tensor {
    checkIds(this.cell === 'gru' ? 'GRUClassifier' : 'LSTMClassifier', ids);
    const T = ids.shape[1];
    const lengths = opts.lengths ?? F.clamp(F.sum(F.ne(ids, this.padIdx).to('int64'), 1), 1);
    const x = this.drop.forward(this.embedding.forward(ids));
    const out = this.rnn.forward(x, null, { lengths })[0];
    const len = Array.isArray(lengths) ? F.tensor(lengths as number[], { dtype: 'int64', backend: out.backend }) : (lengths as Tensor);
    let pooled: Tensor;
    if (this.pooling === 'mean') {
      // the recurrent output is zero at padded steps
      pooled = F.div(F.sum(out, 1), F.unsqueeze(len.to(out.dtype), 1));
    } else {
      const padded = F.unsqueeze(F.ge(F.unsqueeze(F.arange(0, T, 1, { dtype: 'int64', backend: out.backend }), 0), F.unsqueeze(len, 1)), -1);
      pooled = F.amax(F.maskedFill(out, padded, -Infinity), 1);
    }
    return this.classifier.forward(this.drop.forward(pooled));
  }
}
