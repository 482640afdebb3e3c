// Transformer layers (Vaswani et al., 2017) with PyTorch's structure and parameter names: encoder and decoder
// layers (post- or pre-norm), their stacks, the causal mask, and sinusoidal and learned position encodings.
import type { Tensor } from '../../tensor/tensor.js';
import { StrataError, fmtShape } from '../../tensor/errors.js';
import type { DType } from '../../tensor/dtype.js';
import type { Backend, BackendName } from '../../backends/backend.js';
import type { DeviceLike } from '../../tensor/device.js';
import { Module, Parameter } from '../module.js';
import { Linear } from './linear.js';
import { LayerNorm } from './norm.js';
import { Dropout } from './activation.js';
import { ModuleList } from './container.js';
import { MultiheadAttention } from './attention.js';
import { normal_ } from '../init.js';
import * as F from '../../ops/index.js';

export type TransformerActivation = 'relu' | 'gelu';

export interface TransformerLayerOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: TransformerActivation;
  layerNormEps?: number;
  /** Inputs as [N, T, E] rather than [T, N, E] (default false, as PyTorch). */
  batchFirst?: boolean;
  /** Pre-norm: x + f(norm(x)) instead of norm(x + f(x)) (default false). */
  normFirst?: boolean;
  dtype?: DType;
}

function resolved(o: TransformerLayerOptions): Required<Omit<TransformerLayerOptions, 'dtype'>> & { dtype?: DType } {
  const act = o.activation ?? 'relu';
  if (act !== 'relu' && act !== 'gelu') throw new StrataError('Transformer', `activation must be 'relu' or 'gelu', got ${String(act)}`);
  return {
    dimFeedforward: o.dimFeedforward ?? 2048, dropout: o.dropout ?? 0.1, activation: act,
    layerNormEps: o.layerNormEps ?? 1e-5, batchFirst: o.batchFirst ?? false, normFirst: o.normFirst ?? false, dtype: o.dtype,
  };
}

/** A copy of a module with the same configuration and parameter values (PyTorch's deepcopy in _get_clones). */
function cloneOf<M extends Module>(m: M, make: () => M): M {
  const c = make();
  c.loadStateDict(m.stateDict());
  c.train(m.training);
  return c;
}

export interface EncoderLayerCallOptions {
  /** [T, T] or [N·nhead, T, T]: bool true = not allowed, or float added (PyTorch's MHA convention). */
  srcMask?: Tensor | null;
  /** [N, T] bool: true = padding. */
  srcKeyPaddingMask?: Tensor | null;
  /** Causal self-attention without a mask tensor (when srcMask is not given). */
  isCausal?: boolean;
}

/**
 * One transformer encoder layer as torch.nn.TransformerEncoderLayer: self-attention and a feed-forward
 * block (linear1 → activation → dropout → linear2), each with a residual connection and LayerNorm;
 * post-norm by default, pre-norm with normFirst. Submodules self_attn, linear1, dropout, linear2, norm1,
 * norm2, dropout1, dropout2, so state dicts match PyTorch's names. src [T, N, E] ([N, T, E] batchFirst).
 */
export class TransformerEncoderLayer extends Module {
  self_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  readonly normFirst: boolean;
  readonly activation: TransformerActivation;
  private readonly cfg: ReturnType<typeof resolved>;
  constructor(readonly dModel: number, readonly nhead: number, opts: TransformerLayerOptions = {}) {
    super();
    const o = resolved(opts);
    this.cfg = o;
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: o.dropout, batchFirst: o.batchFirst, dtype: o.dtype });
    this.linear1 = new Linear(dModel, o.dimFeedforward, { dtype: o.dtype });
    this.dropout = new Dropout(o.dropout);
    this.linear2 = new Linear(o.dimFeedforward, dModel, { dtype: o.dtype });
    this.normFirst = o.normFirst;
    this.norm1 = new LayerNorm(dModel, { eps: o.layerNormEps, dtype: o.dtype });
    this.norm2 = new LayerNorm(dModel, { eps: o.layerNormEps, dtype: o.dtype });
    this.dropout1 = new Dropout(o.dropout);
    this.dropout2 = new Dropout(o.dropout);
    this.activation = o.activation;
  }
  /** An independent copy with the same configuration and parameter values. */
  clone(): TransformerEncoderLayer {
    return cloneOf(this, () => new TransformerEncoderLayer(this.dModel, this.nhead, this.cfg));
  }
  forward(src: Tensor, opts: EncoderLayerCallOptions = {}): Tensor {
    let x = src;
    if (this.normFirst) {
      x = F.add(x, this.saBlock(this.norm1.forward(x), opts));
      x = F.add(x, this.ffBlock(this.norm2.forward(x)));
    } else {
      x = this.norm1.forward(F.add(x, this.saBlock(x, opts)));
      x = this.norm2.forward(F.add(x, this.ffBlock(x)));
    }
    return x;
  }
  private saBlock(x: Tensor, o: EncoderLayerCallOptions): Tensor {
    const [y] = this.self_attn.forward(x, x, x, { attnMask: o.srcMask, keyPaddingMask: o.srcKeyPaddingMask, isCausal: o.isCausal, needWeights: false });
    return this.dropout1.forward(y);
  }
  private ffBlock(x: Tensor): Tensor {
    return this.dropout2.forward(this.linear2.forward(this.dropout.forward(activate(this.activation, this.linear1.forward(x)))));
  }
  override extraRepr(): string {
    return `dModel=${this.dModel}, nhead=${this.nhead}, activation=${this.activation}, normFirst=${this.normFirst}`;
  }
}

function activate(a: TransformerActivation, x: Tensor): Tensor {
  return a === 'gelu' ? F.gelu(x) : F.relu(x);
}

export interface DecoderLayerCallOptions {
  tgtMask?: Tensor | null;
  memoryMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
  /** Causal self-attention without a mask tensor (when tgtMask is not given). */
  tgtIsCausal?: boolean;
  memoryIsCausal?: boolean;
}

/**
 * One transformer decoder layer as torch.nn.TransformerDecoderLayer: self-attention (self_attn),
 * cross-attention to the encoder's memory (multihead_attn) and the feed-forward block, each with a
 * residual connection and LayerNorm (norm1..3), post-norm by default, pre-norm with normFirst.
 * tgt [T, N, E], memory [S, N, E] ([N, ·, E] batchFirst).
 */
export class TransformerDecoderLayer extends Module {
  self_attn: MultiheadAttention;
  multihead_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  norm3: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  dropout3: Dropout;
  readonly normFirst: boolean;
  readonly activation: TransformerActivation;
  private readonly cfg: ReturnType<typeof resolved>;
  constructor(readonly dModel: number, readonly nhead: number, opts: TransformerLayerOptions = {}) {
    super();
    const o = resolved(opts);
    this.cfg = o;
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: o.dropout, batchFirst: o.batchFirst, dtype: o.dtype });
    this.multihead_attn = new MultiheadAttention(dModel, nhead, { dropout: o.dropout, batchFirst: o.batchFirst, dtype: o.dtype });
    this.linear1 = new Linear(dModel, o.dimFeedforward, { dtype: o.dtype });
    this.dropout = new Dropout(o.dropout);
    this.linear2 = new Linear(o.dimFeedforward, dModel, { dtype: o.dtype });
    this.normFirst = o.normFirst;
    this.norm1 = new LayerNorm(dModel, { eps: o.layerNormEps, dtype: o.dtype });
    this.norm2 = new LayerNorm(dModel, { eps: o.layerNormEps, dtype: o.dtype });
    this.norm3 = new LayerNorm(dModel, { eps: o.layerNormEps, dtype: o.dtype });
    this.dropout1 = new Dropout(o.dropout);
    this.dropout2 = new Dropout(o.dropout);
    this.dropout3 = new Dropout(o.dropout);
    this.activation = o.activation;
  }
  clone(): TransformerDecoderLayer {
    return cloneOf(this, () => new TransformerDecoderLayer(this.dModel, this.nhead, this.cfg));
  }
  forward(tgt: Tensor, memory: Tensor, opts: DecoderLayerCallOptions = {}): Tensor {
    let x = tgt;
    if (this.normFirst) {
      x = F.add(x, this.saBlock(this.norm1.forward(x), opts));
      x = F.add(x, this.mhaBlock(this.norm2.forward(x), memory, opts));
      x = F.add(x, this.ffBlock(this.norm3.forward(x)));
    } else {
      x = this.norm1.forward(F.add(x, this.saBlock(x, opts)));
      x = this.norm2.forward(F.add(x, this.mhaBlock(x, memory, opts)));
      x = this.norm3.forward(F.add(x, this.ffBlock(x)));
    }
    return x;
  }
  private saBlock(x: Tensor, o: DecoderLayerCallOptions): Tensor {
    const [y] = this.self_attn.forward(x, x, x, { attnMask: o.tgtMask, keyPaddingMask: o.tgtKeyPaddingMask, isCausal: o.tgtIsCausal, needWeights: false });
    return this.dropout1.forward(y);
  }
  private mhaBlock(x: Tensor, mem: Tensor, o: DecoderLayerCallOptions): Tensor {
    const [y] = this.multihead_attn.forward(x, mem, mem, { attnMask: o.memoryMask, keyPaddingMask: o.memoryKeyPaddingMask, isCausal: o.memoryIsCausal, needWeights: false });
    return this.dropout2.forward(y);
  }
  private ffBlock(x: Tensor): Tensor {
    return this.dropout3.forward(this.linear2.forward(this.dropout.forward(activate(this.activation, this.linear1.forward(x)))));
  }
  override extraRepr(): string {
    return `dModel=${this.dModel}, nhead=${this.nhead}, activation=${this.activation}, normFirst=${this.normFirst}`;
  }
}

/** A layer to stack: an instance (cloned numLayers times, as PyTorch) or a factory (fresh initialisation per layer). */
export type LayerSource<M> = M | ((i: number) => M);

function stackOf<M extends Module & { clone(): M }>(layer: LayerSource<M>, numLayers: number, name: string): ModuleList {
  if (!Number.isInteger(numLayers) || numLayers < 1) throw new StrataError(name, `numLayers must be a positive integer, got ${numLayers}`);
  const list = new ModuleList();
  for (let i = 0; i < numLayers; i++) list.append(typeof layer === 'function' ? layer(i) : layer.clone());
  return list;
}

export interface EncoderCallOptions {
  mask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
  isCausal?: boolean;
}

/**
 * A stack of numLayers encoder layers (torch.nn.TransformerEncoder: `layers.0…`, then the optional final
 * `norm`). Given a layer instance, every layer starts as a copy of it, as PyTorch's _get_clones does.
 */
export class TransformerEncoder extends Module {
  layers: ModuleList;
  norm: Module | null;
  constructor(encoderLayer: LayerSource<TransformerEncoderLayer>, readonly numLayers: number, opts: { norm?: Module | null } = {}) {
    super();
    this.layers = stackOf(encoderLayer, numLayers, 'TransformerEncoder');
    this.norm = opts.norm ?? null;
  }
  forward(src: Tensor, opts: EncoderCallOptions = {}): Tensor {
    let x = src;
    for (const l of this.layers) x = (l as TransformerEncoderLayer).forward(x, { srcMask: opts.mask, srcKeyPaddingMask: opts.srcKeyPaddingMask, isCausal: opts.isCausal });
    return this.norm ? this.norm.forward(x) : x;
  }
}

/** A stack of numLayers decoder layers (torch.nn.TransformerDecoder), with an optional final `norm`. */
export class TransformerDecoder extends Module {
  layers: ModuleList;
  norm: Module | null;
  constructor(decoderLayer: LayerSource<TransformerDecoderLayer>, readonly numLayers: number, opts: { norm?: Module | null } = {}) {
    super();
    this.layers = stackOf(decoderLayer, numLayers, 'TransformerDecoder');
    this.norm = opts.norm ?? null;
  }
  forward(tgt: Tensor, memory: Tensor, opts: DecoderLayerCallOptions = {}): Tensor {
    let x = tgt;
    for (const l of this.layers) x = (l as TransformerDecoderLayer).forward(x, memory, opts);
    return this.norm ? this.norm.forward(x) : x;
  }
}

/** The [sz, sz] float causal mask of nn.Transformer.generate_square_subsequent_mask: 0 on and below the diagonal, −∞ above. */
export function generateSquareSubsequentMask(sz: number, opts: { dtype?: DType; backend?: BackendName | Backend; device?: DeviceLike } = {}): Tensor {
  const v = new Float64Array(sz * sz);
  for (let i = 0; i < sz; i++) for (let j = i + 1; j < sz; j++) v[i * sz + j] = -Infinity;
  return F.tensor(v, { shape: [sz, sz], dtype: opts.dtype ?? 'float32', backend: opts.backend, device: opts.device });
}

/** Position-major or batch-major: the sequence dim of x for a layer's batchFirst setting. */
function seqDim(x: Tensor, batchFirst: boolean, name: string, d: number): number {
  if (x.ndim !== 3 && x.ndim !== 2) throw new StrataError(name, `expected [${batchFirst ? 'N, T' : 'T, N'}, ${d}] (or unbatched [T, ${d}]), got ${fmtShape(x.shape)}`);
  if (x.shape[x.ndim - 1] !== d) throw new StrataError(name, `expected ${d} features in the last dim, got shape ${fmtShape(x.shape)}`);
  return x.ndim === 2 ? 0 : batchFirst ? 1 : 0;
}

/**
 * Adds the sinusoidal position encoding of Vaswani et al. (2017), PE(p, 2i) = sin(p/10000^(2i/d)),
 * PE(p, 2i+1) = cos(p/10000^(2i/d)), then applies dropout. x [T, N, d] ([N, T, d] batchFirst, [T, d]
 * unbatched), T <= maxLen. The table is a non-persistent buffer `pe` [maxLen, d].
 */
export class SinusoidalPositionalEncoding extends Module {
  declare pe: Tensor;
  drop: Dropout;
  readonly batchFirst: boolean;
  constructor(readonly dModel: number, opts: { maxLen?: number; dropout?: number; batchFirst?: boolean; dtype?: DType } = {}) {
    super();
    const maxLen = opts.maxLen ?? 5000;
    this.batchFirst = opts.batchFirst ?? false;
    const v = new Float64Array(maxLen * dModel);
    for (let p = 0; p < maxLen; p++) {
      for (let i = 0; 2 * i < dModel; i++) {
        const ang = p / Math.pow(10000, (2 * i) / dModel);
        v[p * dModel + 2 * i] = Math.sin(ang);
        if (2 * i + 1 < dModel) v[p * dModel + 2 * i + 1] = Math.cos(ang);
      }
    }
    this.registerBuffer('pe', F.tensor(v, { shape: [maxLen, dModel], dtype: opts.dtype ?? 'float32' }), false);
    this.drop = new Dropout(opts.dropout ?? 0);
  }
  /** offset: the position of the first row (for continuing a sequence). */
  forward(x: Tensor, offset = 0): Tensor {
    const sd = seqDim(x, this.batchFirst, 'SinusoidalPositionalEncoding', this.dModel);
    const T = x.shape[sd];
    if (offset + T > this.pe.shape[0]) throw new StrataError('SinusoidalPositionalEncoding', `positions ${offset}..${offset + T - 1} exceed maxLen ${this.pe.shape[0]}`);
    let pe = F.slice(this.pe, 0, offset, offset + T);
    if (x.ndim === 3 && !this.batchFirst) pe = F.unsqueeze(pe, 1);
    return this.drop.forward(F.add(x, pe));
  }
  override extraRepr(): string {
    return `dModel=${this.dModel}, maxLen=${this.pe.shape[0]}`;
  }
}

/**
 * A learned absolute position embedding (as GPT-2 and BERT): a `weight` [maxLen, dModel] ~ N(0, std²)
 * (std 0.02 by default), whose first T rows are added to x [N, T, d] ([T, N, d] without batchFirst).
 */
export class LearnedPositionalEmbedding extends Module {
  weight: Tensor;
  readonly batchFirst: boolean;
  constructor(readonly maxLen: number, readonly dModel: number, opts: { batchFirst?: boolean; std?: number; dtype?: DType } = {}) {
    super();
    this.batchFirst = opts.batchFirst ?? true;
    this.weight = Parameter(F.zeros([maxLen, dModel], { dtype: opts.dtype ?? 'float32' }));
    normal_(this.weight, 0, opts.std ?? 0.02);
  }
  forward(x: Tensor, offset = 0): Tensor {
    const sd = seqDim(x, this.batchFirst, 'LearnedPositionalEmbedding', this.dModel);
    const T = x.shape[sd];
    if (offset + T > this.maxLen) throw new StrataError('LearnedPositionalEmbedding', `positions ${offset}..${offset + T - 1} exceed maxLen ${this.maxLen}`);
    let pe = F.slice(this.weight, 0, offset, offset + T);
    if (x.ndim === 3 && !this.batchFirst) pe = F.unsqueeze(pe, 1);
    return F.add(x, pe);
  }
  override extraRepr(): string {
    return `maxLen=${this.maxLen}, dModel=${this.dModel}`;
  }
}
