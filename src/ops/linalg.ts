// Matrix products: matmul (batched, broadcast, 1-D promotion as in PyTorch), mm, bmm, linear; einsum, cdist and
// cosine similarity composed of them.
import { toAutocast } from './autocast.js';
import { defineOp, record } from '../autograd/graph.js';
import { promoteTypes } from '../tensor/dtype.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { broadcastShapes, numel } from '../tensor/shape.js';
import { reportMacs } from './observe.js';
import type { Tensor } from '../tensor/tensor.js';
import { sumToShape } from './reduce.js';
import { expand, permute, reshape, transpose, unsqueeze } from './shape.js';
import { add, clamp, div, mul, sqrt, sub } from './elementwise.js';
import { norm, sum } from './reduce.js';
import { backendOf, expectFloat, expectTensor, wrap } from './util.js';

/** Output shape of matmul(a, b), or a StrataError naming both shapes. */
export function matmulShape(a: readonly number[], b: readonly number[]): number[] {
  const op = 'matmul';
  if (a.length === 0 || b.length === 0) throw new StrataError(op, `both arguments need at least 1 dimension, got shapes ${fmtShape(a)} and ${fmtShape(b)}`);
  const k1 = a[a.length - 1];
  const k2 = b.length === 1 ? b[0] : b[b.length - 2];
  if (k1 !== k2) throw new StrataError(op, `shapes ${fmtShape(a)} and ${fmtShape(b)} do not align (${k1} vs ${k2})`);
  if (a.length === 1 && b.length === 1) return [];
  if (a.length === 1) return [...b.slice(0, -2), b[b.length - 1]];
  if (b.length === 1) return a.slice(0, -1);
  let batch: number[];
  try {
    batch = broadcastShapes(op, a.slice(0, -2), b.slice(0, -2));
  } catch {
    throw new StrataError(op, `batch dimensions of ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast`);
  }
  return [...batch, a[a.length - 2], b[b.length - 1]];
}

const matmulDef = defineOp({
  name: 'matmul',
  backward: (ctx, [g]) => {
    const [a, b] = ctx.saved;
    // Promote 1-D operands to matrices so one formula covers every case, then undo.
    const A = a.ndim === 1 ? unsqueeze(a, 0) : a;
    const B = b.ndim === 1 ? unsqueeze(b, -1) : b;
    let G = g;
    if (a.ndim === 1 && b.ndim === 1) G = reshape(g, [1, 1]);
    else if (a.ndim === 1) G = unsqueeze(g, -2);
    else if (b.ndim === 1) G = unsqueeze(g, -1);
    const ga = ctx.needs(0) ? sumToShape(matmul(G, transpose(B, -1, -2)), A.shape) : null;
    const gb = ctx.needs(1) ? sumToShape(matmul(transpose(A, -1, -2), G), B.shape) : null;
    return [ga && (a.ndim === 1 ? reshape(ga, a.shape) : ga), gb && (b.ndim === 1 ? reshape(gb, b.shape) : gb)];
  },
});

/**
 * Matrix product with PyTorch's rules: 1-D operands are promoted (and the added dim removed),
 * batch dims broadcast. a: [..., n, k], b: [..., k, m] → [..., n, m].
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  expectTensor('matmul', 'input', a);
  expectTensor('matmul', 'other', b);
  a = toAutocast(a);
  b = toAutocast(b);
  const backend = backendOf('matmul', a, b);
  expectFloat('matmul', a, 'input');
  expectFloat('matmul', b, 'other');
  if (a.dtype !== b.dtype) throw new StrataError('matmul', `dtypes differ (${a.dtype} and ${b.dtype}); convert one with .to('${promoteTypes(a.dtype, b.dtype)}')`);
  const shape = matmulShape(a.shape, b.shape);
  const out = wrap(backend, backend.matmul(a, b, shape), shape, a.dtype);
  reportMacs('matmul', numel(shape) * a.shape[a.ndim - 1]);
  record(matmulDef, [a, b], out, [a, b], undefined);
  return out;
}

/** Product of two matrices [n, k]·[k, m]. */
export function mm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 2 || b.ndim !== 2) throw new StrataError('mm', `expects 2-D tensors, got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  return matmul(a, b);
}

/** Batched product [B, n, k]·[B, k, m]. */
export function bmm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 3 || b.ndim !== 3 || a.shape[0] !== b.shape[0]) {
    throw new StrataError('bmm', `expects 3-D tensors with equal batch sizes, got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  return matmul(a, b);
}

const linearDef = defineOp<{ hasBias: boolean }>({
  name: 'linear',
  backward: (ctx, [g]) => {
    const [x, w] = ctx.saved;
    const gx = ctx.needs(0) ? matmul(g, w) : null;
    const g2 = reshape(g, [-1, w.shape[0]]), x2 = reshape(x, [-1, w.shape[1]]);
    const gw = ctx.needs(1) ? matmul(transpose(g2, 0, 1), x2) : null;
    const gb = ctx.attrs.hasBias && ctx.needs(2) ? sum(g2, 0) : null;
    return [gx, gw, gb];
  },
});

/**
 * y = x·wᵀ + b, the fully connected layer.
 * x: [..., in], w: [out, in], b: [out] → [..., out].
 */
export function linear(x: Tensor, w: Tensor, b?: Tensor | null): Tensor {
  const op = 'linear';
  expectTensor(op, 'input', x);
  expectTensor(op, 'weight', w);
  const backend = backendOf(op, x, w, b ?? null);
  x = toAutocast(x);
  w = toAutocast(w);
  b = toAutocast(b ?? null);
  expectFloat(op, x);
  if (w.ndim !== 2) throw new StrataError(op, `weight must be 2-D [out, in], got ${fmtShape(w.shape)}`);
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== w.shape[1]) {
    throw new StrataError(op, `input of shape ${fmtShape(x.shape)} does not match weight of shape ${fmtShape(w.shape)} (${x.shape[x.ndim - 1]} vs ${w.shape[1]} input features)`);
  }
  if (b && (b.ndim !== 1 || b.shape[0] !== w.shape[0])) throw new StrataError(op, `bias must have shape [${w.shape[0]}], got ${fmtShape(b.shape)}`);
  if (x.dtype !== w.dtype || (b && b.dtype !== x.dtype)) throw new StrataError(op, `input, weight and bias must share a dtype, got ${x.dtype}, ${w.dtype}${b ? ', ' + b.dtype : ''}`);
  const shape = [...x.shape.slice(0, -1), w.shape[0]];
  const out = wrap(backend, backend.linear(x, w, b ?? null, shape), shape, x.dtype);
  reportMacs('linear', numel(shape) * w.shape[1]);
  record(linearDef, b ? [x, w, b] : [x, w], out, [x, w], { hasBias: !!b });
  return out;
}

/** Dot product of two 1-D tensors. */
export function dot(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1) throw new StrataError('dot', `expects 1-D tensors, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  return matmul(a, b);
}

/** Outer product of two 1-D tensors. */
export function outer(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1) throw new StrataError('outer', `expects 1-D tensors, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  return matmul(unsqueeze(a, 1), unsqueeze(b, 0));
}


// ---------------------------------------------------------------- einsum, cdist, cosineSimilarity (composed)

interface EinsumTerm { t: Tensor; labels: string[] }

/** Sums away a term's labels that no later operand and not the output need. */
function einsumReduce(term: EinsumTerm, keep: Set<string>): EinsumTerm {
  const drop = term.labels.map((l, i) => (keep.has(l) ? -1 : i)).filter((i) => i >= 0);
  if (drop.length === 0) return term;
  return { t: sum(term.t, drop), labels: term.labels.filter((l) => keep.has(l)) };
}

/** Contracts two terms with one batched matmul: [batch, left, shared] × [batch, shared, right]. */
function einsumPair(a: EinsumTerm, b: EinsumTerm, keep: Set<string>): EinsumTerm {
  const size = new Map<string, number>();
  for (const { t, labels } of [a, b]) {
    labels.forEach((l, i) => {
      const n = t.shape[i], m = size.get(l);
      if (m !== undefined && m !== n && m !== 1 && n !== 1) throw new StrataError('einsum', `label '${l}' has sizes ${m} and ${n} in different operands`);
      size.set(l, m === undefined || m === 1 ? n : m);
    });
  }
  const batch = a.labels.filter((l) => b.labels.includes(l) && keep.has(l));
  const shared = a.labels.filter((l) => b.labels.includes(l) && !keep.has(l));
  const left = a.labels.filter((l) => !b.labels.includes(l));
  const right = b.labels.filter((l) => !a.labels.includes(l));
  const arrange = (x: EinsumTerm, order: string[]): Tensor => {
    const p = permute(x.t, order.map((l) => x.labels.indexOf(l)));
    return expand(p, order.map((l) => size.get(l)!));
  };
  const prod = (ls: string[]) => ls.reduce((acc, l) => acc * size.get(l)!, 1);
  const [nb, nl, ns, nr] = [prod(batch), prod(left), prod(shared), prod(right)];
  const am = reshape(arrange(a, [...batch, ...left, ...shared]), [nb, nl, ns]);
  const bm = reshape(arrange(b, [...batch, ...shared, ...right]), [nb, ns, nr]);
  const out = reshape(bmm(am, bm), [...batch, ...left, ...right].map((l) => size.get(l)!));
  return { t: out, labels: [...batch, ...left, ...right] };
}

/**
 * Einstein summation, as torch.einsum: `'ij,jk->ik'` (matmul), `'bhqd,bhkd->bhqk'`, `'ii->i'` is not
 * supported (a label may appear once per operand). Without '->' the output takes the labels seen once,
 * sorted; '...' stands for broadcast leading dims. Operands are contracted left to right, each pair with one
 * batched matmul, so both backends and autograd come from bmm.
 * @example st.einsum('bij,bjk->bik', a, b)
 */
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  const op = 'einsum';
  operands.forEach((t, i) => expectTensor(op, `operand ${i}`, t));
  const eq = equation.replace(/\s+/g, '');
  const [lhs, rhsGiven] = eq.includes('->') ? eq.split('->') : [eq, null];
  const specs = lhs.split(',');
  if (specs.length !== operands.length) throw new StrataError(op, `equation '${equation}' names ${specs.length} operands, got ${operands.length} tensors`);
  // '...' becomes fresh upper-case labels, right-aligned over the broadcast leading dims.
  const ellDims = Math.max(0, ...specs.map((s, i) => (s.includes('...') ? operands[i].ndim - (s.length - 3) : 0)));
  const ell = Array.from({ length: ellDims }, (_, i) => String.fromCharCode(65 + i));
  const terms: EinsumTerm[] = specs.map((s, i) => {
    const t = operands[i];
    let labels: string[];
    if (s.includes('...')) {
      const [pre, post] = s.split('...');
      const k = t.ndim - pre.length - post.length;
      if (k < 0) throw new StrataError(op, `operand ${i} '${s}' needs at least ${pre.length + post.length} dims, has shape ${fmtShape(t.shape)}`);
      labels = [...pre, ...ell.slice(ellDims - k), ...post];
    } else labels = [...s];
    if (labels.some((l) => !/^[a-zA-Z]$/.test(l))) throw new StrataError(op, `operand ${i}: '${s}' must use letters a-z, A-Z and '...'`);
    if (labels.length !== t.ndim) throw new StrataError(op, `operand ${i}: '${s}' has ${labels.length} labels for a tensor of shape ${fmtShape(t.shape)}`);
    if (new Set(labels).size !== labels.length) throw new StrataError(op, `operand ${i}: '${s}' repeats a label (diagonals are not supported; use st.diagonal)`);
    return { t, labels };
  });
  let out: string[];
  if (rhsGiven !== null) {
    out = rhsGiven.includes('...') ? [...rhsGiven.split('...')[0], ...ell, ...rhsGiven.split('...')[1]] : [...rhsGiven];
    for (const l of out) if (!terms.some((t) => t.labels.includes(l))) throw new StrataError(op, `output label '${l}' does not appear in any operand of '${equation}'`);
  } else {
    const counts = new Map<string, number>();
    terms.forEach((t) => t.labels.forEach((l) => counts.set(l, (counts.get(l) ?? 0) + 1)));
    out = [...ell, ...[...counts.keys()].filter((l) => counts.get(l) === 1 && !ell.includes(l)).sort()];
  }
  const needed = (from: number) => new Set([...out, ...terms.slice(from).flatMap((t) => t.labels)]);
  let acc = einsumReduce(terms[0], needed(1));
  for (let i = 1; i < terms.length; i++) {
    const keep = needed(i + 1);
    const next = einsumReduce(terms[i], new Set([...keep, ...acc.labels]));
    acc = einsumReduce(einsumPair(acc, next, keep), keep);
  }
  acc = einsumReduce(acc, new Set(out));
  return acc.labels.length === 0 ? acc.t : permute(acc.t, out.map((l) => acc.labels.indexOf(l)));
}

/**
 * p-norm distances between each row of x1 [..., P, M] and each row of x2 [..., R, M] → [..., P, R],
 * as torch.cdist. NOTE: the gradient at a zero distance is 0, as in PyTorch.
 */
export function cdist(x1: Tensor, x2: Tensor, p = 2): Tensor {
  const op = 'cdist';
  expectTensor(op, 'x1', x1);
  expectTensor(op, 'x2', x2);
  expectFloat(op, x1, 'x1');
  if (x1.ndim < 2 || x2.ndim < 2 || x1.shape[x1.ndim - 1] !== x2.shape[x2.ndim - 1]) {
    throw new StrataError(op, `expects x1 [..., P, M] and x2 [..., R, M] with the same M, got ${fmtShape(x1.shape)} and ${fmtShape(x2.shape)}`);
  }
  if (!(p >= 0)) throw new StrataError(op, `p must be >= 0, got ${p}`);
  return norm(sub(unsqueeze(x1, -2), unsqueeze(x2, -3)), p, -1);
}

/** p-norm of x1 − x2 + eps along the last dim, as torch.nn.functional.pairwise_distance. */
export function pairwiseDistance(x1: Tensor, x2: Tensor, p = 2, eps = 1e-6, keepdim = false): Tensor {
  expectTensor('pairwiseDistance', 'x1', x1);
  expectTensor('pairwiseDistance', 'x2', x2);
  return norm(add(sub(x1, x2), eps), p, -1, keepdim);
}

/**
 * Cosine of the angle between x1 and x2 along dim (broadcast): Σx1·x2 / max(‖x1‖·‖x2‖, eps), as
 * torch.nn.functional.cosine_similarity.
 */
export function cosineSimilarity(x1: Tensor, x2: Tensor, dim = 1, eps = 1e-8): Tensor {
  const op = 'cosineSimilarity';
  expectTensor(op, 'x1', x1);
  expectTensor(op, 'x2', x2);
  expectFloat(op, x1, 'x1');
  const w12 = sum(mul(x1, x2), dim);
  const n = sqrt(clamp(mul(sum(mul(x1, x1), dim), sum(mul(x2, x2), dim)), eps * eps));
  return div(w12, n);
}
