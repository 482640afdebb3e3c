// Normalisation: batch norm (training and eval, running statistics), layer norm, group norm.
import { StrataError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';

function todo(name: string): never {
  throw new StrataError(name, 'not implemented yet');
}

export interface BatchNormOptions {
  weight?: Tensor | null; bias?: Tensor | null;
  runningMean?: Tensor | null; runningVar?: Tensor | null;
  training?: boolean; momentum?: number; eps?: number;
}
/** x: [N, C, *]. In training, normalises by batch statistics and updates the running ones in place. */
export function batchNorm(x: Tensor, opts: BatchNormOptions = {}): Tensor { return todo('batchNorm'); }
/** Normalises over the trailing `normalizedShape` dims. */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor { return todo('layerNorm'); }
/** x: [N, C, *], C divisible by numGroups. */
export function groupNorm(x: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor { return todo('groupNorm'); }
