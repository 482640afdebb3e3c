// Scalar math the js kernels need beyond Math: erf to double precision, round-half-even, GELU.

const TWO_OVER_SQRT_PI = 1.1283791670955126;

/**
 * erf(x) to ~1e-15: a Taylor series for |x| < 2.5, the continued fraction of erfc beyond.
 * NOTE: float64 gradient checks difference this function, so its error must be far below 1e-10.
 */
export function erf(x: number): number {
  if (x !== x) return x;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    const x2 = x * x;
    let term = x, sum = x;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * sum;
  }
  if (ax > 6) return x > 0 ? 1 : -1;
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))) by modified Lentz
  const tiny = 1e-300;
  let f = ax, c = ax, d = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    d = ax + an * d;
    d = d === 0 ? tiny : 1 / d;
    c = ax + an / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x > 0 ? 1 - erfc : erfc - 1;
}

/** Rounds half to even, as torch.round. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 ? 2 * Math.round(x / 2) : r;
}

const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 0.3989422804014327;
const K_TANH = Math.sqrt(2 / Math.PI);

export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x * INV_SQRT2));
}
export function geluGrad(x: number): number {
  return 0.5 * (1 + erf(x * INV_SQRT2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}
export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(K_TANH * (x + 0.044715 * x * x * x)));
}
export function geluTanhGrad(x: number): number {
  const inner = K_TANH * (x + 0.044715 * x * x * x);
  const t = Math.tanh(inner);
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * K_TANH * (1 + 3 * 0.044715 * x * x);
}
export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}
export function silu(x: number): number {
  return x * sigmoid(x);
}
export function siluGrad(x: number): number {
  const s = sigmoid(x);
  return s * (1 + x * (1 - s));
}
/** log(1 + e^(βx))/β, x itself where βx > threshold (as PyTorch). */
export function softplus(x: number, beta: number, threshold: number): number {
  const bx = beta * x;
  return bx > threshold ? x : Math.log1p(Math.exp(bx)) / beta;
}
export function softplusGrad(x: number, beta: number, threshold: number): number {
  const bx = beta * x;
  return bx > threshold ? 1 : sigmoid(bx);
}
/** Python-style modulus (sign of the divisor). */
export function remainder(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && (r < 0) !== (b < 0) ? r + b : r;
}
/** NOTE: sign(NaN) is 0, as torch.sign (and sign(-0) is 0). */
export function sign(x: number): number {
  return x > 0 ? 1 : x < 0 ? -1 : 0;
}
