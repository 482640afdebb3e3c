// Text models: a GPT-style decoder-only language model with sampling, and a BERT-style encoder classifier.
import type { Tensor } from '../tensor/tensor.js';
import type { Backend, BackendName } from '../backends/backend.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { tidy } from '../tensor/memory.js';
import { noGrad } from '../autograd/grad-mode.js';
import { Module } from '../nn/module.js';
import { Embedding } from '../nn/layers/embedding.js';
import { Linear } from '../nn/layers/linear.js';
import { LayerNorm } from '../nn/layers/norm.js';
import { Dropout } from '../nn/layers/activation.js';
import { ModuleList } from '../nn/layers/container.js';
import { MultiheadAttention } from '../nn/layers/attention.js';
import { LearnedPositionalEmbedding, TransformerEncoder, TransformerEncoderLayer, type TransformerActivation } from '../nn/layers/transformer.js';
import { normal_, zeros_ } from '../nn/init.js';
import * as F from '../ops/index.js';

/** What a text model is built for: the vocabulary, the longest sequence, and (classifiers) the classes. */
export interface TextTask {
  vocabSize: number;
  contextLength: number;
  numClasses?: number;
}

/**
 * GPT-2's initialisation: every Linear, Embedding, position table and attention projection ~ N(0, std²),
 * biases 0, and the projections into the residual stream (out_proj, linear2) ~ N(0, residualStd²).
 */
function initTransformer(m: Module, std: number, residualStd: number): void {
  for (const [, mod] of m.namedModules()) {
    if (mod instanceof Linear) {
      normal_(mod.weight, 0, std);
      if (mod.bias) zeros_(mod.bias);
    } else if (mod instanceof Embedding || mod instanceof LearnedPositionalEmbedding) {
      normal_(mod.weight, 0, std);
      if (mod instanceof Embedding && mod.paddingIdx !== null) noGrad(() => mod.weight.select(0, mod.paddingIdx!).fill_(0));
    } else if (mod instanceof MultiheadAttention && mod.in_proj_weight) {
      normal_(mod.in_proj_weight, 0, std);
    } else if (mod instanceof TransformerEncoderLayer) {
      normal_(mod.self_attn.out_proj.weight, 0, residualStd);
      normal_(mod.linear2.weight, 0, residualStd);
    }
  }
}

function checkTask(name: string, task: TextTask, needClasses: boolean): void {
  const ok = (v: unknown) => Number.isInteger(v) && (v as number) >= 1;
  if (!task || !ok(task.vocabSize) || !ok(task.contextLength) || (needClasses && !ok(task.numClasses))) {
    throw new StrataError(name, `expected a text task { vocabSize, contextLength${needClasses ? ', numClasses' : ''} } of positive integers, got ${JSON.stringify(task)}`);
  }
}

function checkIds(name: string, ids: Tensor, contextLength: number): void {
  if (ids.dtype !== 'int64' && ids.dtype !== 'int32') throw new StrataError(name, `expected token ids as an int64 tensor [N, T], got ${ids.dtype}${fmtShape(ids.shape)}`);
  if (ids.ndim !== 2) throw new StrataError(name, `expected token ids [N, T], got shape ${fmtShape(ids.shape)}`);
  if (ids.shape[1] > contextLength) throw new StrataError(name, `sequence length ${ids.shape[1]} exceeds the context length ${contextLength}; crop the input to its last ${contextLength} tokens`);
}

export interface GPTConfig {
  nLayer?: number;
  nHead?: number;
  dModel?: number;
  /** Feed-forward width (default 4·dModel). */
  dimFeedforward?: number;
  /** Dropout on embeddings, attention weights and residual branches (default 0). */
  dropout?: number;
  /** Share the token embedding with the output head (default true). */
  tieWeights?: boolean;
}

export interface GenerateOptions {
  maxNewTokens: number;
  /** Divides the logits; 0 picks the most likely token (greedy). Default 1. */
  temperature?: number;
  /** Sample only among the k most likely tokens. */
  topK?: number | null;
  /** Nucleus sampling (Holtzman et al., 2020): the smallest set of most likely tokens whose probability reaches topP. */
  topP?: number | null;
  generator?: Generator;
}

/**
 * A GPT-style decoder-only language model (Radford et al., 2018/2019): token + learned position
 * embeddings, nLayer pre-norm causal transformer blocks (GELU feed-forward), a final LayerNorm and a
 * linear head (tied to the token embedding by default). ids [N, T] (T <= contextLength) → logits [N, T, vocab].
 * Initialised as GPT-2 (N(0, 0.02), residual projections scaled by 1/√(2·nLayer)).
 * @example const m = new GPT({ vocabSize: 65, contextLength: 128 }, { nLayer: 4 }); m.generate([0], { maxNewTokens: 50 })
 */
export class GPT extends Module {
  tokEmb: Embedding;
  posEmb: LearnedPositionalEmbedding;
  drop: Dropout;
  blocks: ModuleList;
  lnF: LayerNorm;
  head: Linear | null;
  readonly contextLength: number;
  readonly vocabSize: number;
  constructor(readonly task: TextTask, readonly config: GPTConfig = {}) {
    super();
    checkTask('GPT', task, false);
    const d = config.dModel ?? 128, nLayer = config.nLayer ?? 4, nHead = config.nHead ?? 4, p = config.dropout ?? 0;
    this.vocabSize = task.vocabSize;
    this.contextLength = task.contextLength;
    this.tokEmb = new Embedding(task.vocabSize, d);
    this.posEmb = new LearnedPositionalEmbedding(task.contextLength, d, { batchFirst: true });
    this.drop = new Dropout(p);
    this.blocks = new ModuleList();
    for (let i = 0; i < nLayer; i++) {
      this.blocks.append(new TransformerEncoderLayer(d, nHead, {
        dimFeedforward: config.dimFeedforward ?? 4 * d, dropout: p, activation: 'gelu', batchFirst: true, normFirst: true,
      }));
    }
    this.lnF = new LayerNorm(d);
    this.head = config.tieWeights ?? true ? null : new Linear(d, task.vocabSize, { bias: false });
    initTransformer(this, 0.02, 0.02 / Math.sqrt(2 * nLayer));
  }
  /** ids [N, T] int64 → logits [N, T, vocabSize]. */
  forward(ids: Tensor): Tensor {
    checkIds('GPT', ids, this.contextLength);
    let x = this.drop.forward(this.posEmb.forward(this.tokEmb.forward(ids)));
    for (const b of this.blocks) x = (b as TransformerEncoderLayer).forward(x, { isCausal: true });
    x = this.lnF.forward(x);
    return this.head ? this.head.forward(x) : F.linear(x, this.tokEmb.weight);
  }
  /** Mean next-token cross-entropy of ids [N, T] against targets [N, T]. */
  loss(ids: Tensor, targets: Tensor): Tensor {
    const logits = this.forward(ids);
    return F.crossEntropy(F.reshape(logits, [-1, this.vocabSize]), F.reshape(targets, [-1]));
  }
  /**
   * Extends prompts by maxNewTokens sampled tokens, feeding back at most the last contextLength tokens.
   * prompt: ids [T] or [N, T] (a tensor or arrays) → int64 [T + maxNewTokens] or [N, T + maxNewTokens].
   * Runs in evaluation mode without gradients; the same generator seed gives the same tokens.
   */
  generate(prompt: Tensor | readonly number[] | readonly (readonly number[])[], opts: GenerateOptions): Tensor {
    return generateTokens('GPT.generate', this, this.vocabSize, this.tokEmb.weight.backend, prompt, opts, (rows) => tidy(() => {
      const ids = F.tensor(rows.map((r) => r.slice(-this.contextLength)), { dtype: 'int64', backend: this.tokEmb.weight.backend });
      return F.select(this.forward(ids), 1, -1).to('float64').data() as Float64Array;
    }));
  }
}

/**
 * The next-token logits of every row, given all tokens so far ([N] rows of equal length); `first` is
 * true on the first call of a generation (a stateful model feeds the whole prompt then, later only the
 * last token). Returns float64 [N·vocab], row-major.
 */
export type NextLogits = (rows: number[][], first: boolean) => Float64Array;

/**
 * The generation loop shared by the language models (GPT, CharLSTM): validates the prompt and options,
 * then maxNewTokens times asks `next` for the logits and picks a token per row (greedy at temperature 0,
 * else sampled after top-k and top-p filtering), in evaluation mode without gradients.
 * prompt ids [T] or [N, T] → int64 [T + maxNewTokens] or [N, T + maxNewTokens].
 */
export function generateTokens(op: string, model: Module, vocabSize: number, backend: BackendName | Backend, prompt: Tensor | readonly number[] | readonly (readonly number[])[], opts: GenerateOptions, next: NextLogits): Tensor {
  const rows = promptRows(op, prompt);
  const maxNew = opts.maxNewTokens;
  if (!Number.isInteger(maxNew) || maxNew < 0) throw new StrataError(op, `maxNewTokens must be a non-negative integer, got ${String(maxNew)}`);
  const temperature = opts.temperature ?? 1;
  if (!(temperature >= 0)) throw new StrataError(op, `temperature must be >= 0, got ${temperature}`);
  const topK = opts.topK ?? null, topP = opts.topP ?? null;
  if (topK !== null && (!Number.isInteger(topK) || topK < 1)) throw new StrataError(op, `topK must be a positive integer, got ${topK}`);
  if (topP !== null && !(topP > 0 && topP <= 1)) throw new StrataError(op, `topP must be in (0, 1], got ${topP}`);
  for (const r of rows) {
    if (r.length === 0) throw new StrataError(op, 'every prompt needs at least one token');
    for (const t of r) if (!Number.isInteger(t) || t < 0 || t >= vocabSize) throw new StrataError(op, `token ${t} is out of range for a vocabulary of ${vocabSize}`);
  }
  const gen = opts.generator ?? defaultGenerator;
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      for (let step = 0; step < maxNew; step++) {
        const last = next(rows, step === 0);
        for (let i = 0; i < rows.length; i++) rows[i].push(pick(last.subarray(i * vocabSize, (i + 1) * vocabSize), temperature, topK, topP, gen));
      }
    });
  } finally {
    model.train(wasTraining);
  }
  const out = F.tensor(rows, { dtype: 'int64', backend });
  return isSingle(prompt) ? F.reshape(out, [-1]) : out;
}

function isSingle(prompt: Tensor | readonly unknown[]): boolean {
  return Array.isArray(prompt) ? !Array.isArray(prompt[0]) : (prompt as Tensor).ndim === 1;
}

function promptRows(op: string, prompt: Tensor | readonly number[] | readonly (readonly number[])[]): number[][] {
  if (Array.isArray(prompt)) {
    if (prompt.length > 0 && Array.isArray(prompt[0])) {
      const rows = (prompt as number[][]).map((r) => r.slice());
      if (rows.some((r) => r.length !== rows[0].length)) throw new StrataError(op, `prompts in a batch must have equal lengths, got ${rows.map((r) => r.length).join(', ')}`);
      return rows;
    }
    return [(prompt as number[]).slice()];
  }
  const t = prompt as Tensor;
  if (t.ndim !== 1 && t.ndim !== 2) throw new StrataError(op, `expected a prompt [T] or [N, T], got shape ${fmtShape(t.shape)}`);
  const v = Array.from(t.data() as ArrayLike<number | bigint>, Number);
  const T = t.shape[t.ndim - 1];
  const n = t.ndim === 1 ? 1 : t.shape[0];
  return Array.from({ length: n }, (_, i) => v.slice(i * T, (i + 1) * T));
}

/** The next token from one row of logits: greedy at temperature 0, else sampled after top-k and top-p filtering. */
function pick(logits: Float64Array, temperature: number, topK: number | null, topP: number | null, gen: Generator): number {
  const V = logits.length;
  if (temperature === 0) {
    let best = 0;
    for (let j = 1; j < V; j++) if (logits[j] > logits[best]) best = j;
    return best;
  }
  const order = Array.from({ length: V }, (_, j) => j).sort((a, b) => logits[b] - logits[a] || a - b);
  let keep = V;
  // as PyTorch's top-k filtering: tokens tied with the k-th largest logit stay in
  if (topK !== null && topK < V) {
    const kth = logits[order[topK - 1]];
    keep = topK;
    while (keep < V && logits[order[keep]] === kth) keep++;
  }
  const mx = logits[order[0]];
  const w = new Float64Array(keep);
  let total = 0;
  for (let r = 0; r < keep; r++) {
    w[r] = Math.exp((logits[order[r]] - mx) / temperature);
    total += w[r];
  }
  if (topP !== null) {
    // keep the most likely tokens until their probability reaches topP (at least one)
    let cum = 0, n = 0;
    while (n < keep && (n === 0 || cum < topP)) cum += w[n++] / total;
    keep = n;
    total = 0;
    for (let r = 0; r < keep; r++) total += w[r];
  }
  let u = gen.random() * total;
  for (let r = 0; r < keep; r++) {
    u -= w[r];
    if (u < 0) return order[r];
  }
  return order[keep - 1];
}

export interface BertConfig {
  nLayer?: number;
  nHead?: number;
  dModel?: number;
  dimFeedforward?: number;
  dropout?: number;
  activation?: TransformerActivation;
  /** 'cls': the first position's vector (put a [CLS] token there); 'mean': the mean over non-padding positions. */
  pooling?: 'cls' | 'mean';
  /** The padding token id (its embedding is zero and it is masked out of attention); null: no padding. Default 0. */
  padIdx?: number | null;
}

/**
 * A BERT-style encoder classifier (Devlin et al., 2019): token + learned position embeddings, LayerNorm
 * and dropout, a post-norm transformer encoder (GELU), pooling ('cls' or 'mean') and a linear classifier.
 * ids [N, T] → logits [N, numClasses]; padding (ids equal to padIdx, or an explicit keyPaddingMask [N, T],
 * true = padding) is masked out of attention and of mean pooling.
 */
export class BertClassifier extends Module {
  tokEmb: Embedding;
  posEmb: LearnedPositionalEmbedding;
  embNorm: LayerNorm;
  embDrop: Dropout;
  encoder: TransformerEncoder;
  drop: Dropout;
  classifier: Linear;
  readonly pooling: 'cls' | 'mean';
  readonly padIdx: number | null;
  readonly contextLength: number;
  constructor(readonly task: TextTask, readonly config: BertConfig = {}) {
    super();
    checkTask('BertClassifier', task, true);
    const d = config.dModel ?? 128, nLayer = config.nLayer ?? 2, nHead = config.nHead ?? 4, p = config.dropout ?? 0.1;
    this.pooling = config.pooling ?? 'cls';
    if (this.pooling !== 'cls' && this.pooling !== 'mean') throw new StrataError('BertClassifier', `pooling must be 'cls' or 'mean', got ${String(this.pooling)}`);
    this.padIdx = config.padIdx === undefined ? 0 : config.padIdx;
    this.contextLength = task.contextLength;
    this.tokEmb = new Embedding(task.vocabSize, d, { paddingIdx: this.padIdx });
    this.posEmb = new LearnedPositionalEmbedding(task.contextLength, d, { batchFirst: true });
    this.embNorm = new LayerNorm(d, { eps: 1e-12 });
    this.embDrop = new Dropout(p);
    this.encoder = new TransformerEncoder(() => new TransformerEncoderLayer(d, nHead, {
      dimFeedforward: config.dimFeedforward ?? 4 * d, dropout: p, activation: config.activation ?? 'gelu', batchFirst: true, layerNormEps: 1e-12,
    }), nLayer);
    this.drop = new Dropout(p);
    this.classifier = new Linear(d, task.numClasses!);
    initTransformer(this, 0.02, 0.02);
  }
  /** ids [N, T] → logits [N, numClasses]. */
  forward(ids: Tensor, opts: { keyPaddingMask?: Tensor | null } = {}): Tensor {
    checkIds('BertClassifier', ids, this.contextLength);
    const pad = opts.keyPaddingMask ?? (this.padIdx === null ? null : F.eq(ids, this.padIdx));
    if (pad && (pad.dtype !== 'bool' || pad.ndim !== 2 || pad.shape[0] !== ids.shape[0] || pad.shape[1] !== ids.shape[1])) {
      throw new StrataError('BertClassifier', `keyPaddingMask must be bool with the ids' shape ${fmtShape(ids.shape)}, got ${pad.dtype}${fmtShape(pad.shape)}`);
    }
    let x = this.embDrop.forward(this.embNorm.forward(this.posEmb.forward(this.tokEmb.forward(ids))));
    x = this.encoder.forward(x, { srcKeyPaddingMask: pad });
    let pooled: Tensor;
    if (this.pooling === 'cls') {
      pooled = F.select(x, 1, 0);
    } else {
      const keepMask = pad ? F.unsqueeze(F.logicalNot(pad), -1).to(x.dtype) : F.onesLike(F.slice(x, 2, 0, 1));
      const count = F.clamp(F.sum(keepMask, 1), 1);
      pooled = F.div(F.sum(F.mul(x, keepMask), 1), count);
    }
    return this.classifier.forward(this.drop.forward(pooled));
  }
}
