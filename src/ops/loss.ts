// Loss functions: cross-entropy (label smoothing, ignore index), NLL, MSE, L1, smooth L1, BCE (with logits), KL divergence.
import { StrataError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Reduction } from '../backends/backend.js';

function todo(name: string): never {
  throw new StrataError(name, 'not implemented yet');
}

export interface CrossEntropyOptions { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction; labelSmoothing?: number }
/** logits [N, C] (or [N, C, d…]) with int64 class targets [N] (or [N, d…]), or class probabilities of logits' shape. */
export function crossEntropy(logits: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor { return todo('crossEntropy'); }
export function nllLoss(logp: Tensor, target: Tensor, opts: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction } = {}): Tensor { return todo('nllLoss'); }
export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor { return todo('mseLoss'); }
export function l1Loss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor { return todo('l1Loss'); }
export function smoothL1Loss(input: Tensor, target: Tensor, reduction: Reduction = 'mean', beta = 1): Tensor { return todo('smoothL1Loss'); }
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, opts: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {}): Tensor { return todo('binaryCrossEntropyWithLogits'); }
export function binaryCrossEntropy(probs: Tensor, target: Tensor, opts: { weight?: Tensor | null; reduction?: Reduction } = {}): Tensor { return todo('binaryCrossEntropy'); }
/** KL(target ‖ input) with input as log-probabilities (as torch's kl_div); 'batchmean' divides by N. */
export function klDiv(input: Tensor, target: Tensor, reduction: Reduction | 'batchmean' = 'mean', logTarget = false): Tensor { return todo('klDiv'); }
