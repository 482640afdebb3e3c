// Activation, softmax and dropout layers.
import type { Tensor } from '../../tensor/tensor.js';
import { StrataError } from '../../tensor/errors.js';
import { Module, Parameter } from '../module.js';
import type { DType } from '../../tensor/dtype.js';
import * as F from '../../ops/index.js';

export class ReLU extends Module {
  forward(x: Tensor): Tensor { return F.relu(x); }
}
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) { super(); }
  forward(x: Tensor): Tensor { return F.leakyRelu(x, this.negativeSlope); }
  override extraRepr(): string { return `negativeSlope=${this.negativeSlope}`; }
}
export class ELU extends Module {
  constructor(readonly alpha = 1) { super(); }
  forward(x: Tensor): Tensor { return F.elu(x, this.alpha); }
}
export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') { super(); }
  forward(x: Tensor): Tensor { return F.gelu(x, this.approximate); }
}
export class SiLU extends Module {
  forward(x: Tensor): Tensor { return F.silu(x); }
}
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor { return F.sigmoid(x); }
}
export class Tanh extends Module {
  forward(x: Tensor): Tensor { return F.tanh(x); }
}
/**
 * Clamps to [minVal, maxVal] (torch.nn.Hardtanh).
 * NOTE: built on clamp, whose gradient passes at x = minVal and x = maxVal; PyTorch's hardtanh_backward
 * zeroes it there. The two differ only exactly on the two kinks.
 */
export class Hardtanh extends Module {
  constructor(readonly minVal = -1, readonly maxVal = 1) {
    super();
    if (!(minVal < maxVal)) throw new StrataError('Hardtanh', `minVal (${minVal}) must be less than maxVal (${maxVal})`);
  }
  forward(x: Tensor): Tensor { return F.clamp(x, this.minVal, this.maxVal); }
  override extraRepr(): string { return `minVal=${this.minVal}, maxVal=${this.maxVal}`; }
}
/** min(max(x, 0), 6) (MobileNetV2's activation; Hardtanh(0, 6)). */
export class ReLU6 extends Hardtanh {
  constructor() { super(0, 6); }
  override extraRepr(): string { return ''; }
}
export class Softplus extends Module {
  constructor(readonly beta = 1, readonly threshold = 20) { super(); }
  forward(x: Tensor): Tensor { return F.softplus(x, this.beta, this.threshold); }
}
export class Softmax extends Module {
  constructor(readonly dim = -1) { super(); }
  forward(x: Tensor): Tensor { return F.softmax(x, this.dim); }
}
export class LogSoftmax extends Module {
  constructor(readonly dim = -1) { super(); }
  forward(x: Tensor): Tensor { return F.logSoftmax(x, this.dim); }
}

/** Zeroes elements with probability p during training, scaling the rest by 1/(1−p). */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new StrataError('Dropout', `probability must be in [0, 1], got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training);
  }
  override extraRepr(): string { return `p=${this.p}`; }
}

// Activations composed of elementwise ops (issue 12).
export class LogSigmoid extends Module {
  forward(x: Tensor): Tensor { return F.logSigmoid(x); }
}
export class Mish extends Module {
  forward(x: Tensor): Tensor { return F.mish(x); }
}
export class Hardswish extends Module {
  forward(x: Tensor): Tensor { return F.hardswish(x); }
}
export class Hardsigmoid extends Module {
  forward(x: Tensor): Tensor { return F.hardsigmoid(x); }
}
export class SELU extends Module {
  forward(x: Tensor): Tensor { return F.selu(x); }
}
/** Gated linear unit along `dim` (its size must be even). */
export class GLU extends Module {
  constructor(readonly dim = -1) { super(); }
  forward(x: Tensor): Tensor { return F.glu(x, this.dim); }
}
/** PReLU with a learned `weight` [numParameters] (1, or one per channel), initialised to `init`. */
export class PReLU extends Module {
  weight: Tensor;
  constructor(numParameters = 1, readonly init = 0.25, opts: { dtype?: DType } = {}) {
    super();
    this.weight = Parameter(F.full([numParameters], init, { dtype: opts.dtype ?? 'float32' }));
  }
  forward(x: Tensor): Tensor { return F.prelu(x, this.weight); }
  override extraRepr(): string { return `numParameters=${this.weight.numel}`; }
}
