// Loss modules wrapping the loss functions (the targets are the second argument of forward).
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
