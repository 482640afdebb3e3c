// Loss modules wrapping the loss functions (the targets are the last arguments of forward).
import type { Tensor } from '../../tensor/tensor.js';
import type { Reduction } from '../../backends/backend.js';
import { Module } from '../module.js';
import * as F from '../../ops/index.js';
import type { CrossEntropyOptions } from '../../ops/loss.js';

export class CrossEntropyLoss extends Module {
  constructor(readonly opts: CrossEntropyOptions = {}) { super(); }
  forward(logits: Tensor, target: Tensor): Tensor { return F.crossEntropy(logits, target, this.opts); }
}
export class NLLLoss extends Module {
  constructor(readonly opts: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction } = {}) { super(); }
  forward(logp: Tensor, target: Tensor): Tensor { return F.nllLoss(logp, target, this.opts); }
}
export class MSELoss extends Module {
  constructor(readonly reduction: Reduction = 'mean') { super(); }
  forward(input: Tensor, target: Tensor): Tensor { return F.mseLoss(input, target, this.reduction); }
}
export class L1Loss extends Module {
  constructor(readonly reduction: Reduction = 'mean') { super(); }
  forward(input: Tensor, target: Tensor): Tensor { return F.l1Loss(input, target, this.reduction); }
}
export class SmoothL1Loss extends Module {
  constructor(readonly reduction: Reduction = 'mean', readonly beta = 1) { super(); }
  forward(input: Tensor, target: Tensor): Tensor { return F.smoothL1Loss(input, target, this.reduction, this.beta); }
}
export class BCEWithLogitsLoss extends Module {
  constructor(readonly opts: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {}) { super(); }
  forward(logits: Tensor, target: Tensor): Tensor { return F.binaryCrossEntropyWithLogits(logits, target, this.opts); }
}
export class BCELoss extends Module {
  constructor(readonly opts: { weight?: Tensor | null; reduction?: Reduction } = {}) { super(); }
  forward(probs: Tensor, target: Tensor): Tensor { return F.binaryCrossEntropy(probs, target, this.opts); }
}
export class KLDivLoss extends Module {
  constructor(readonly reduction: Reduction | 'batchmean' = 'mean', readonly logTarget = false) { super(); }
  forward(input: Tensor, target: Tensor): Tensor { return F.klDiv(input, target, this.reduction, this.logTarget); }
}
export class HuberLoss extends Module {
  constructor(readonly reduction: Reduction = 'mean', readonly delta = 1) { super(); }
  forward(input: Tensor, target: Tensor): Tensor { return F.huberLoss(input, target, this.reduction, this.delta); }
}
/** forward(x1, x2, y): y = 1 where x1 should rank higher, −1 where x2 should. */
export class MarginRankingLoss extends Module {
  constructor(readonly opts: { margin?: number; reduction?: Reduction } = {}) { super(); }
  forward(x1: Tensor, x2: Tensor, y: Tensor): Tensor { return F.marginRankingLoss(x1, x2, y, this.opts); }
}
/** forward(anchor, positive, negative). */
export class TripletMarginLoss extends Module {
  constructor(readonly opts: { margin?: number; p?: number; eps?: number; swap?: boolean; reduction?: Reduction } = {}) { super(); }
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor { return F.tripletMarginLoss(anchor, positive, negative, this.opts); }
}
/** forward(x1, x2, y): y = 1 for pairs that should be similar, −1 for dissimilar ones. */
export class CosineEmbeddingLoss extends Module {
  constructor(readonly opts: { margin?: number; reduction?: Reduction } = {}) { super(); }
  forward(x1: Tensor, x2: Tensor, y: Tensor): Tensor { return F.cosineEmbeddingLoss(x1, x2, y, this.opts); }
}
