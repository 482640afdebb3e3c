// Embedding: a lookup table of vectors indexed by int64 ids.
import type { Tensor } from '../../tensor/tensor.js';
import { StrataError } from '../../tensor/errors.js';
import { Module, Parameter } from '../module.js';
import { normal_ } from '../init.js';
import * as F from '../../ops/index.js';
import type { DType } from '../../tensor/dtype.js';
import { noGrad } from '../../autograd/grad-mode.js';

/** ids [*] (int64) → vectors [*, embeddingDim]; weights ~ N(0, 1), the paddingIdx row zero and untrained. */
export class Embedding extends Module {
  weight: Tensor;
  readonly paddingIdx: number | null;
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, opts: { paddingIdx?: number | null; dtype?: DType } = {}) {
    super();
    let pad = opts.paddingIdx ?? null;
    if (pad !== null) {
      if (pad < -numEmbeddings || pad >= numEmbeddings) throw new StrataError('Embedding', `paddingIdx ${pad} is out of range for ${numEmbeddings} embeddings`);
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    this.weight = Parameter(F.zeros([numEmbeddings, embeddingDim], { dtype: opts.dtype ?? 'float32' }));
    normal_(this.weight);
    if (pad !== null) {
      const w = this.weight;
      noGrad(() => w.select(0, pad!).fill_(0));
    }
  }
  forward(ids: Tensor): Tensor {
    return F.embedding(ids, this.weight, this.paddingIdx);
  }
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ''}`;
  }
}
