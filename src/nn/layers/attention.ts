// Attention layers: additive (Bahdanau) attention, multi-head attention with PyTorch's parameter layout,
// and rotary position embeddings.
import type { Tensor } from '../../tensor/tensor.js';
import { StrataError, fmtShape } from '../../tensor/errors.js';
import type { DType } from '../../tensor/dtype.js';
import { Module, Parameter } from '../module.js';
import { Linear } from './linear.js';
import { empty } from './util.js';
import { constant_, xavierUniform_ } from '../init.js';
import * as F from '../../ops/index.js';

/**
 * Additive attention (Bahdanau et al., 2015), the seed's `Attention(hidden_size, attention_size)` module:
 * score(h, s_j) = aᵀ·tanh(W·h + V·s_j) for the decoder state h and encoder outputs s_j, weights =
 * softmax over j, context = Σ_j weight_j·s_j. W: Linear(hiddenSize, attentionSize), V: Linear(keySize,
 * attentionSize), a: Linear(attentionSize, 1).
 *
 * NOTE: the seed's listing applies W, tanh and V in sequence to the hidden state alone and never scores
 * the encoder outputs; this is the published formula with the listing's W, V and a layers.
 * @example const [context, weights] = new nn.AdditiveAttention(64, 32).forward(h, encoderOutputs);
 */
export class AdditiveAttention extends Module {
  W: Linear;
  V: Linear;
  a: Linear;
  readonly keySize: number;
  constructor(readonly hiddenSize: number, readonly attentionSize: number, opts: { keySize?: number; dtype?: DType } = {}) {
    super();
    this.keySize = opts.keySize ?? hiddenSize;
    this.W = new Linear(hiddenSize, attentionSize, { dtype: opts.dtype });
    this.V = new Linear(this.keySize, attentionSize, { dtype: opts.dtype });
    this.a = new Linear(attentionSize, 1, { dtype: opts.dtype });
  }
  /** The keys V·h_j [N, S, attentionSize] of encoderOutputs [N, S, keySize]: pass them as forward's `keys` to compute them once per sequence rather than once per decoder step. */
  projectKeys(encoderOutputs: Tensor): Tensor {
    if (encoderOutputs.ndim !== 3) throw new StrataError('AdditiveAttention', `encoderOutputs must be [N, S, ${this.keySize}], got ${fmtShape(encoderOutputs.shape)}`);
    return this.V.forward(encoderOutputs);
  }
  /**
   * hidden [N, hiddenSize] (or [N, L, hiddenSize] for L queries), encoderOutputs [N, S, keySize],
   * keyPaddingMask [N, S] bool (true = padding, ignored) → [context [N, keySize], weights [N, S]]
   * (with L queries: [N, L, keySize] and [N, L, S]). keys: projectKeys(encoderOutputs), if already computed.
   */
  forward(hidden: Tensor, encoderOutputs: Tensor, opts: { keyPaddingMask?: Tensor | null; keys?: Tensor | null } = {}): [Tensor, Tensor] {
    const single = hidden.ndim === 2;
    if (hidden.ndim !== 2 && hidden.ndim !== 3) throw new StrataError('AdditiveAttention', `hidden must be [N, ${this.hiddenSize}] or [N, L, ${this.hiddenSize}], got ${fmtShape(hidden.shape)}`);
    if (encoderOutputs.ndim !== 3) throw new StrataError('AdditiveAttention', `encoderOutputs must be [N, S, ${this.keySize}], got ${fmtShape(encoderOutputs.shape)}`);
    const q = this.W.forward(single ? F.unsqueeze(hidden, 1) : hidden);
    const k = opts.keys ?? this.V.forward(encoderOutputs);
    const [context, weights] = F.additiveAttention(q, k, encoderOutputs, F.reshape(this.a.weight, [this.attentionSize]), {
      bias: this.a.bias, keyPaddingMask: opts.keyPaddingMask ?? null,
    });
    return single ? [F.squeeze(context, 1), F.squeeze(weights, 1)] : [context, weights];
  }
  override extraRepr(): string {
    return `hiddenSize=${this.hiddenSize}, attentionSize=${this.attentionSize}, keySize=${this.keySize}`;
  }
}

export interface MultiheadAttentionOptions {
  /** Dropout on the attention weights in training (default 0). */
  dropout?: number;
  /** Biases on the input and output projections (default true). */
  bias?: boolean;
  /** Key and value feature sizes (default embedDim); when either differs, q/k/v get separate weights. */
  kdim?: number;
  vdim?: number;
  /** Inputs and output as [N, L, E] rather than [L, N, E] (default false, as PyTorch). */
  batchFirst?: boolean;
  dtype?: DType;
}

export interface MultiheadAttentionCallOptions {
  /** [N, S] (or [S] unbatched): bool true = padding key to ignore, or float added to the scores. */
  keyPaddingMask?: Tensor | null;
  /** [L, S] or [N·numHeads, L, S]: bool true = NOT allowed to attend, or float added to the scores. */
  attnMask?: Tensor | null;
  /** Also return the attention weights (default true). */
  needWeights?: boolean;
  /** Average the returned weights over heads (default true). */
  averageAttnWeights?: boolean;
  /** Causal self-attention without building a mask (ignored when attnMask is given, which then wins). */
  isCausal?: boolean;
}

/**
 * Multi-head attention (Vaswani et al., 2017) as torch.nn.MultiheadAttention: parameters in_proj_weight
 * [3E, E] (or q_proj_weight, k_proj_weight, v_proj_weight when kdim/vdim differ from E), in_proj_bias [3E],
 * out_proj (Linear E→E); initialised as PyTorch (Xavier-uniform projections, zero biases).
 * forward(query [L, N, E], key [S, N, kdim], value [S, N, vdim]) → [output [L, N, E], weights [N, L, S] or null]
 * ([N, ·, ·] layouts with batchFirst; [L, E] unbatched). Self- and cross-attention; masks as PyTorch.
 *
 * NOTE: a query whose keys are all masked gets zero weights and output (PyTorch gives NaN).
 */
export class MultiheadAttention extends Module {
  in_proj_weight: Tensor | null;
  q_proj_weight: Tensor | null;
  k_proj_weight: Tensor | null;
  v_proj_weight: Tensor | null;
  in_proj_bias: Tensor | null;
  out_proj: Linear;
  readonly kdim: number;
  readonly vdim: number;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  constructor(readonly embedDim: number, readonly numHeads: number, opts: MultiheadAttentionOptions = {}) {
    super();
    const op = 'MultiheadAttention';
    if (!Number.isInteger(embedDim) || embedDim < 1 || !Number.isInteger(numHeads) || numHeads < 1) {
      throw new StrataError(op, `embedDim and numHeads must be positive integers, got ${embedDim} and ${numHeads}`);
    }
    if (embedDim % numHeads !== 0) throw new StrataError(op, `embedDim ${embedDim} is not divisible by numHeads ${numHeads}; each head gets embedDim / numHeads features`);
    this.kdim = opts.kdim ?? embedDim;
    this.vdim = opts.vdim ?? embedDim;
    this.headDim = embedDim / numHeads;
    this.dropout = opts.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout <= 1)) throw new StrataError(op, `dropout must be in [0, 1], got ${this.dropout}`);
    this.batchFirst = opts.batchFirst ?? false;
    const dtype = opts.dtype;
    const packed = this.kdim === embedDim && this.vdim === embedDim;
    this.in_proj_weight = packed ? Parameter(empty([3 * embedDim, embedDim], dtype)) : null;
    this.q_proj_weight = packed ? null : Parameter(empty([embedDim, embedDim], dtype));
    this.k_proj_weight = packed ? null : Parameter(empty([embedDim, this.kdim], dtype));
    this.v_proj_weight = packed ? null : Parameter(empty([embedDim, this.vdim], dtype));
    this.in_proj_bias = opts.bias ?? true ? Parameter(empty([3 * embedDim], dtype)) : null;
    this.out_proj = new Linear(embedDim, embedDim, { bias: opts.bias ?? true, dtype });
    this.resetParameters();
  }
  /** As PyTorch's _reset_parameters: Xavier-uniform input projections, zero biases (out_proj.weight keeps Linear's init). */
  resetParameters(): void {
    for (const w of [this.in_proj_weight, this.q_proj_weight, this.k_proj_weight, this.v_proj_weight]) if (w) xavierUniform_(w);
    if (this.in_proj_bias) constant_(this.in_proj_bias, 0);
    if (this.out_proj.bias) constant_(this.out_proj.bias, 0);
  }
  forward(query: Tensor, key: Tensor, value: Tensor, opts: MultiheadAttentionCallOptions = {}): [Tensor, Tensor | null] {
    const op = 'MultiheadAttention';
    const batched = query.ndim === 3;
    if (query.ndim !== 2 && query.ndim !== 3) throw new StrataError(op, `query must be 3-D (batched) or 2-D (unbatched), got ${fmtShape(query.shape)}`);
    if (key.ndim !== query.ndim || value.ndim !== query.ndim) {
      throw new StrataError(op, `query, key and value must all be batched (3-D) or unbatched (2-D), got ${fmtShape(query.shape)}, ${fmtShape(key.shape)}, ${fmtShape(value.shape)}`);
    }
    const E = this.embedDim;
    const checkLast = (t: Tensor, n: number, name: string) => {
      if (t.shape[t.ndim - 1] !== n) throw new StrataError(op, `${name} must have ${n} features in its last dim, got shape ${fmtShape(t.shape)}`);
    };
    checkLast(query, E, 'query');
    checkLast(key, this.kdim, 'key');
    checkLast(value, this.vdim, 'value');
    // to batch-first [N, T, ·], keeping identities (self-attention projects once)
    const toBF = (t: Tensor) => (!batched ? F.unsqueeze(t, 0) : this.batchFirst ? t : F.transpose(t, 0, 1));
    const q = toBF(query);
    const k = key === query ? q : toBF(key);
    const v = value === key ? k : value === query ? q : toBF(value);
    let kpm = opts.keyPaddingMask ?? null;
    if (kpm && !batched) kpm = F.unsqueeze(kpm, 0);
    const [out, weights] = F.multiheadAttentionForward(q, k, v, this.numHeads, {
      inProjWeight: this.in_proj_weight, inProjBias: this.in_proj_bias,
      qProjWeight: this.q_proj_weight, kProjWeight: this.k_proj_weight, vProjWeight: this.v_proj_weight,
      outProjWeight: this.out_proj.weight, outProjBias: this.out_proj.bias,
    }, {
      keyPaddingMask: kpm, attnMask: opts.attnMask ?? null, needWeights: opts.needWeights ?? true,
      averageAttnWeights: opts.averageAttnWeights ?? true, isCausal: opts.isCausal ?? false,
      dropoutP: this.training ? this.dropout : 0,
    });
    if (!batched) return [F.squeeze(out, 0), weights && F.squeeze(weights, 0)];
    return [this.batchFirst ? out : F.transpose(out, 0, 1), weights];
  }
  override extraRepr(): string {
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}, dropout=${this.dropout}, batchFirst=${this.batchFirst}`;
  }
}

/**
 * Rotary position embedding (RoPE; Su et al., 2021) as a module: forward(q [..., L, d], k [..., L', d],
 * positions?) rotates feature pairs by position·θ_i, θ_i = base^(−2i/d) (positions default to 0..L−1).
 * No parameters.
 */
export class RotaryEmbedding extends Module {
  constructor(readonly dim: number, readonly opts: { base?: number } = {}) {
    super();
    if (!Number.isInteger(dim) || dim < 2 || dim % 2 !== 0) throw new StrataError('RotaryEmbedding', `dim must be a positive even integer, got ${dim}`);
  }
  forward(q: Tensor, k: Tensor, positions?: Tensor | readonly number[] | null): [Tensor, Tensor] {
    for (const [t, name] of [[q, 'q'], [k, 'k']] as const) {
      if (t.shape[t.ndim - 1] !== this.dim) throw new StrataError('RotaryEmbedding', `${name} must have ${this.dim} features in its last dim, got shape ${fmtShape(t.shape)}`);
    }
    return F.applyRotary(q, k, positions ?? null, { base: this.opts.base });
  }
  override extraRepr(): string {
    return `dim=${this.dim}, base=${this.opts.base ?? 10000}`;
  }
}
