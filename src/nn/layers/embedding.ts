// Embedding: a lookup table of vectors indexed by int64 ids; EmbeddingBag: reduced bags of them.
import type { Tensor } from '../../tensor/tensor.js';
import { StrataError, fmtShape } from '../../tensor/errors.js';
import { Module, Parameter } from '../module.js';
import { normal_ } from '../init.js';
import * as F from '../../ops/index.js';
import type { DType } from '../../tensor/dtype.js';
import { noGrad } from '../../autograd/grad-mode.js';

/** A [num, dim] table drawn from N(0, 1) with the padding row (negative: from the end) zeroed, as PyTorch's. */
function embeddingTable(op: string, num: number, dim: number, opts: { paddingIdx?: number | null; dtype?: DType }): { paddingIdx: number | null; weight: Tensor } {
  let pad = opts.paddingIdx ?? null;
  if (pad !== null) {
    if (pad < -num || pad >= num) throw new StrataError(op, `paddingIdx ${pad} is out of range for ${num} embeddings`);
    if (pad < 0) pad += num;
  }
  const weight = Parameter(F.zeros([num, dim], { dtype: opts.dtype ?? 'float32' }));
  normal_(weight);
  if (pad !== null) noGrad(() => weight.select(0, pad!).fill_(0));
  return { paddingIdx: pad, weight };
}

/** ids [*] (int64) → vectors [*, embeddingDim]; weights ~ N(0, 1), the paddingIdx row zero and untrained. */
export class Embedding extends Module {
  weight: Tensor;
  readonly paddingIdx: number | null;
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, opts: { paddingIdx?: number | null; dtype?: DType } = {}) {
    super();
    ({ paddingIdx: this.paddingIdx, weight: this.weight } = embeddingTable('Embedding', numEmbeddings, embeddingDim, opts));
  }
  forward(ids: Tensor): Tensor {
    return F.embedding(ids, this.weight, this.paddingIdx);
  }
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ''}`;
  }
}

/**
 * Sums, means or maxima of bags of embeddings without materialising the [bags, length, dim] lookup
 * (torch.nn.EmbeddingBag). forward(input [B, L]) takes each row as a bag; forward(input [n], offsets [B])
 * starts bag b at offsets[b]. perSampleWeights [same as input] scale each vector (mode 'sum' only).
 * Entries equal to paddingIdx are left out of their bag (a bag with none gives zeros).
 */
export class EmbeddingBag extends Module {
  weight: Tensor;
  readonly paddingIdx: number | null;
  readonly mode: 'sum' | 'mean' | 'max';
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, opts: { mode?: 'sum' | 'mean' | 'max'; paddingIdx?: number | null; dtype?: DType } = {}) {
    super();
    this.mode = opts.mode ?? 'mean';
    if (!['sum', 'mean', 'max'].includes(this.mode)) throw new StrataError('EmbeddingBag', `mode must be 'sum', 'mean' or 'max', got ${JSON.stringify(this.mode)}`);
    ({ paddingIdx: this.paddingIdx, weight: this.weight } = embeddingTable('EmbeddingBag', numEmbeddings, embeddingDim, opts));
  }
  forward(input: Tensor, offsets: Tensor | null = null, perSampleWeights: Tensor | null = null): Tensor {
    const name = 'EmbeddingBag';
    if (perSampleWeights && this.mode !== 'sum') throw new StrataError(name, `perSampleWeights needs mode 'sum', this bag is '${this.mode}'`);
    if (perSampleWeights && !perSampleWeights.shape.every((s, i) => s === input.shape[i])) throw new StrataError(name, `perSampleWeights ${fmtShape(perSampleWeights.shape)} must have the input's shape ${fmtShape(input.shape)}`);
    let starts: number[];
    if (input.ndim === 2) {
      if (offsets) throw new StrataError(name, `offsets only go with a 1-D input, got input ${fmtShape(input.shape)}`);
      starts = Array.from({ length: input.shape[0] }, (_, b) => b * input.shape[1]);
    } else if (input.ndim === 1) {
      if (!offsets) throw new StrataError(name, 'a 1-D input needs offsets [B] (where each bag starts)');
      starts = Array.from(offsets.data() as ArrayLike<number | bigint>, Number);
      if (starts.length === 0 || starts[0] !== 0 || starts.some((s, i) => s > input.shape[0] || (i > 0 && s < starts[i - 1]))) {
        throw new StrataError(name, `offsets must start at 0 and be non-decreasing and <= ${input.shape[0]}, got [${starts.join(',')}]`);
      }
    } else throw new StrataError(name, `expected input [B, L] or [n] with offsets, got ${fmtShape(input.shape)}`);
    const ids = F.reshape(input, [-1]);
    const n = ids.numel, bags = starts.length;
    const idv = Array.from(ids.data() as ArrayLike<number | bigint>, Number);
    const seg: number[] = new Array<number>(n);
    starts.forEach((s, b) => { for (let i = s; i < (b + 1 < bags ? starts[b + 1] : n); i++) seg[i] = b; });
    const keep = idv.map((v) => v !== this.paddingIdx);
    const emb = F.embedding(ids, this.weight, null);
    const d = this.embeddingDim, be = this.weight.backend, dtype = this.weight.dtype;
    if (this.mode === 'max') {
      const rows = starts.map((s, b) => {
        const idx = [];
        for (let i = s; i < (b + 1 < bags ? starts[b + 1] : n); i++) if (keep[i]) idx.push(i);
        if (idx.length === 0) return F.zeros([d], { dtype, backend: be });
        return F.amax(F.indexSelect(emb, 0, F.tensor(idx, { dtype: 'int64', backend: be })), 0);
      });
      return F.stack(rows, 0);
    }
    let w = F.tensor(keep.map((k) => (k ? 1 : 0)), { dtype, backend: be });
    if (perSampleWeights) w = F.mul(w, F.reshape(perSampleWeights, [-1]));
    const segT = F.tensor(seg, { dtype: 'int64', backend: be });
    const summed = F.indexAdd(F.zeros([bags, d], { dtype, backend: be }), 0, segT, F.mul(emb, F.unsqueeze(w, 1)));
    if (this.mode === 'sum') return summed;
    const counts = new Array<number>(bags).fill(0);
    seg.forEach((b, i) => { if (keep[i]) counts[b]++; });
    return F.div(summed, F.tensor(counts.map((c) => Math.max(c, 1)), { dtype, backend: be, shape: [bags, 1] }));
  }
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}, mode='${this.mode}'${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ''}`;
  }
}
