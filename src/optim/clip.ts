// Gradient clipping by total norm and by value (torch.nn.utils.clip_grad_norm_ / clip_grad_value_).
import { noGrad } from '../autograd/grad-mode.js';
import { StrataError } from '../tensor/errors.js';
import { tidy } from '../tensor/memory.js';
import type { Tensor } from '../tensor/tensor.js';
import { stack } from '../ops/shape.js';

/**
 * Scales all gradients so their joint p-norm is at most maxNorm; returns the norm before clipping.
 * With errorIfNonfinite, a NaN or infinite norm throws instead of producing NaN parameters.
 */
export function clipGradNorm_(params: Iterable<Tensor>, maxNorm: number, normType = 2, errorIfNonfinite = false): number {
  const grads = [...params].map((p) => p.grad).filter((g): g is Tensor => g !== null);
  if (grads.length === 0) return 0;
  const total = noGrad(() => tidy(() => {
    if (normType === Infinity) return Math.max(...grads.map((g) => g.abs().amax().item()));
    // one norm kernel per gradient and one read-back in all (not one per gradient)
    const norms = grads.map((g) => g.norm(normType).to('float64'));
    return stack(norms).norm(normType).item();
  }));
  if (errorIfNonfinite && !Number.isFinite(total)) {
    throw new StrataError('clipGradNorm_', `the total norm of order ${normType} of the gradients is ${total}; the loss has probably diverged`);
  }
  const coef = maxNorm / (total + 1e-6);
  // NOTE: a NaN norm makes every gradient NaN, as PyTorch (clamp(NaN, max=1) is NaN).
  if (!(coef >= 1)) noGrad(() => { for (const g of grads) g.mul_(coef); });
  return total;
}

/** Clamps every gradient element to [−clipValue, clipValue]. */
export function clipGradValue_(params: Iterable<Tensor>, clipValue: number): void {
  noGrad(() => tidy(() => {
    for (const p of params) if (p.grad) p.grad.copy_(p.grad.clamp(-clipValue, clipValue));
  }));
}
