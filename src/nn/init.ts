// Parameter initialisers (in place, from the seeded generator): kaiming, xavier, orthogonal, constants.
import { noGrad } from '../autograd/grad-mode.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { tensor } from '../ops/creation.js';

export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'sigmoid': return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu': return 3 / 4;
  }
}

/** fan_in and fan_out of a weight: [out, in, *kernel] (receptive field multiplies both). */
export function fans(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2) throw new StrataError('init', `fan in and fan out need at least 2 dims, got shape ${fmtShape(t.shape)}`);
  const rf = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1] * rf, fanOut: t.shape[0] * rf };
}

/** Overwrites t with values from sample() (no autograd). */
function fill(t: Tensor, sample: (i: number) => number): Tensor {
  const n = t.numel;
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = sample(i);
  noGrad(() => {
    const src = tensor(v, { shape: t.shape.slice(), dtype: 'float64', backend: t.backend });
    t.copy_(src);
    src.dispose();
  });
  return t;
}

export function uniform_(t: Tensor, a = 0, b = 1, g: Generator = defaultGenerator): Tensor {
  return fill(t, () => a + (b - a) * g.random());
}
export function normal_(t: Tensor, mean = 0, std = 1, g: Generator = defaultGenerator): Tensor {
  return fill(t, () => mean + std * g.normal());
}
/** Normal samples redrawn until inside [a, b] (absolute bounds, as torch's trunc_normal_). */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2, g: Generator = defaultGenerator): Tensor {
  return fill(t, () => {
    for (;;) {
      const v = mean + std * g.normal();
      if (v >= a && v <= b) return v;
    }
  });
}
export function constant_(t: Tensor, value: number): Tensor {
  noGrad(() => t.fill_(value));
  return t;
}
export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}
export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

export interface KaimingOptions {
  /** Negative slope of the rectifier after this layer (leaky_relu). */
  a?: number;
  mode?: 'fanIn' | 'fanOut';
  nonlinearity?: Nonlinearity;
  generator?: Generator;
}
/** He et al. (2015): U(−b, b) with b = gain·√(3/fan). */
export function kaimingUniform_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const { fanIn, fanOut } = fans(t);
  const fan = opts.mode === 'fanOut' ? fanOut : fanIn;
  const gain = calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0);
  const bound = gain * Math.sqrt(3 / fan);
  return uniform_(t, -bound, bound, opts.generator);
}
/** He et al. (2015): N(0, gain²/fan). */
export function kaimingNormal_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const { fanIn, fanOut } = fans(t);
  const fan = opts.mode === 'fanOut' ? fanOut : fanIn;
  const gain = calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0);
  return normal_(t, 0, gain / Math.sqrt(fan), opts.generator);
}
/** Glorot & Bengio (2010): U(−b, b) with b = gain·√(6/(fan_in + fan_out)). */
export function xavierUniform_(t: Tensor, gain = 1, g: Generator = defaultGenerator): Tensor {
  const { fanIn, fanOut } = fans(t);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound, g);
}
export function xavierNormal_(t: Tensor, gain = 1, g: Generator = defaultGenerator): Tensor {
  const { fanIn, fanOut } = fans(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), g);
}

/**
 * A (semi-)orthogonal matrix, scaled by gain (Saxe et al., 2013): QR of a Gaussian matrix with
 * Q's columns sign-corrected by R's diagonal, as torch.nn.init.orthogonal_.
 */
export function orthogonal_(t: Tensor, gain = 1, g: Generator = defaultGenerator): Tensor {
  if (t.ndim < 2) throw new StrataError('orthogonal_', `needs at least 2 dims, got shape ${fmtShape(t.shape)}`);
  const rows = t.shape[0];
  const cols = t.numel / rows;
  const transpose = rows < cols;
  const m = transpose ? cols : rows, n = transpose ? rows : cols; // m >= n
  // Gaussian m×n, modified Gram–Schmidt twice for stability
  const A: number[][] = Array.from({ length: n }, () => Array.from({ length: m }, () => g.normal()));
  const Q: number[][] = [];
  for (let j = 0; j < n; j++) {
    const v = A[j].slice();
    for (let pass = 0; pass < 2; pass++) {
      for (const q of Q) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += q[i] * v[i];
        for (let i = 0; i < m; i++) v[i] -= dot * q[i];
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    // R's diagonal is positive in Gram–Schmidt, which is the sign correction torch applies
    Q.push(v.map((x) => x / norm));
  }
  return fill(t, (idx) => {
    const r = Math.floor(idx / cols), c = idx % cols;
    return gain * (transpose ? Q[r][c] : Q[c][r]);
  });
}

/**
 * PyTorch's default for Linear and ConvNd: weight kaiming-uniform with a = √5 (U(±1/√fanIn)), bias
 * U(±1/√fanIn).
 */
export function resetLinearLike_(weight: Tensor, bias: Tensor | null): void {
  kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias) {
    const { fanIn } = fans(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound);
  }
}
