// Multi-task learning: a shared trunk with one head per task, and per-task losses combined with fixed
// weights or learned uncertainty weights (Kendall, Gal & Cipolla, 2018).
import { StrataError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { Module, Parameter } from '../nn/module.js';
import { Linear } from '../nn/layers/linear.js';
import { ModuleDict } from '../nn/layers/container.js';
import { zeros } from '../ops/creation.js';

/**
 * A shared trunk and one Linear head per task on its features: forward(x) gives every task's output by name.
 * The trunk is usually an Encoder (a zoo classifier without its head).
 * @example
 * const mt = new MultiTask(new Encoder(createModel('cnn', task)), 128, { fine: 10, coarse: 5 });
 * const { fine, coarse } = mt.forward(x);
 */
export class MultiTask extends Module {
  heads: ModuleDict;
  constructor(readonly trunk: Module, featureDim: number, readonly tasks: Record<string, number>) {
    super();
    if (!Object.keys(tasks).length) throw new StrataError('MultiTask', 'needs at least one task, e.g. { fine: 10, coarse: 5 }');
    const heads: Record<string, Module> = {};
    for (const [name, classes] of Object.entries(tasks)) heads[name] = new Linear(featureDim, classes);
    this.heads = new ModuleDict(heads);
  }
  forward(x: Tensor): Record<string, Tensor> {
    const h = this.trunk.forward(x) as Tensor;
    const out: Record<string, Tensor> = {};
    for (const name of Object.keys(this.tasks)) out[name] = (this.heads.get(name) as Module).forward(h) as Tensor;
    return out;
  }
}

/**
 * Per-task losses combined into one. `fixed`: Σ wᵢ Lᵢ. `uncertainty` (Kendall et al., 2018, for
 * classification as in their eq. 10 with sᵢ = log σᵢ²): Σ exp(−sᵢ) Lᵢ + sᵢ, the sᵢ learned with the model
 * (parameters `logVar.<task>`; sᵢ = 0 at the start, i.e. equal weights).
 */
export class MultiTaskLoss extends Module {
  logVars: Record<string, Tensor> = {};
  constructor(readonly tasks: string[], readonly mode: 'fixed' | 'uncertainty' = 'fixed', readonly weights: Record<string, number> = {}) {
    super();
    for (const t of Object.keys(weights)) if (!tasks.includes(t)) throw new StrataError('MultiTaskLoss', `weight for unknown task '${t}'; tasks: ${tasks.join(', ')}`);
    if (mode === 'uncertainty') {
      for (const t of tasks) {
        const p = Parameter(zeros([1]));
        this.logVars[t] = p;
        (this as unknown as Record<string, Tensor>)[`logVar_${t}`] = p;
      }
    }
  }
  /** losses: a scalar loss per task → the combined scalar loss. */
  forward(losses: Record<string, Tensor>): Tensor {
    let total: Tensor | null = null;
    for (const t of this.tasks) {
      const l = losses[t];
      if (!l) throw new StrataError('MultiTaskLoss', `no loss for task '${t}'`);
      const s = this.logVars[t];
      const term = this.mode === 'uncertainty' ? l.mul(s.neg().exp().sum()).add(s.sum()) : l.mul(this.weights[t] ?? 1);
      total = total ? total.add(term) : term;
    }
    return total!;
  }
  /** The effective weight of each task's loss now (fixed weights, or exp(−sᵢ)). */
  currentWeights(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const t of this.tasks) out[t] = this.mode === 'uncertainty' ? Math.exp(-this.logVars[t].item()) : (this.weights[t] ?? 1);
    return out;
  }
}

/**
 * Fashion-MNIST's ten classes in five coarse groups: tops (T-shirt/top, pullover, coat, shirt),
 * trousers, dresses, footwear (sandal, sneaker, ankle boot), bags.
 */
export const FASHION_COARSE = { names: ['tops', 'trousers', 'dresses', 'footwear', 'bags'], of: [0, 1, 0, 2, 0, 3, 0, 3, 4, 3] } as const;
