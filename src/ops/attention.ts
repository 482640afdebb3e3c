// Attention: scaled dot-product attention (one fused kernel forward, one backward), the multi-head
// attention forward, additive (Bahdanau) attention, and rotary position embeddings.
import { toAutocast } from './autocast.js';
import { defineOp, record } from '../autograd/graph.js';
import { noGrad } from '../autograd/grad-mode.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { broadcastShapes, numel, shapesEqual } from '../tensor/shape.js';
import { reportMacs } from './observe.js';
import { Tensor } from '../tensor/tensor.js';
import { isFloating } from '../tensor/dtype.js';
import { arange, scalarTensor, tensor } from './creation.js';
import { cast } from './convert.js';
import { add, cos, mul, sin, sub, tanh, where } from './elementwise.js';
import { softmax } from './activation.js';
import { all, mean, sumToShape } from './reduce.js';
import { expand, permute, reshape, select, split, stack, transpose, unsqueeze } from './shape.js';
import { linear, matmul } from './linalg.js';
import { backendOf, describe, expectFloat, expectTensor, wrap } from './util.js';

// ---------------------------------------------------------------- scaled dot-product attention

interface AttnAttrs { scale: number; causal: boolean; weights: boolean; dropoutP: number; seed: number }

const attentionDef = defineOp<AttnAttrs>({
  name: 'scaledDotProductAttention',
  backward: (ctx, grads) => {
    // saved: q, k, v (expanded to the common batch) and probs; the kernel redraws the dropout mask from the seed
    const [q, k, v, probs] = ctx.saved;
    const b = q.backend;
    const { scale, causal, dropoutP, seed } = ctx.attrs;
    const gW = ctx.attrs.weights ? grads[1] : null;
    const [hq, hk, hv, hs] = b.attentionBackward(grads[0], gW, q, k, v, probs, scale, causal, dropoutP, seed, ctx.needs(3));
    const gq = wrap(b, hq, q.shape, q.dtype), gk = wrap(b, hk, k.shape, k.dtype), gv = wrap(b, hv, v.shape, v.dtype);
    const gs = hs === null ? null : wrap(b, hs, probs.shape, q.dtype);
    record(attentionGradDef, [grads[0], q, k, v], [gq, gk, gv, ...(gs ? [gs] : [])], [], undefined);
    const sum = (g: Tensor | null, i: number) => (g && ctx.needs(i) ? sumToShape(g, ctx.inputs[i].shape) : null);
    return [sum(gq, 0), sum(gk, 1), sum(gv, 2), sum(gs, 3)];
  },
});

const attentionGradDef = defineOp({
  name: 'scaledDotProductAttentionBackward',
  backward: () => {
    throw new StrataError('backward', 'double backward through scaledDotProductAttention is not supported');
  },
});

export interface ScaledDotProductAttentionOptions {
  /**
   * Broadcast to the scores [..., L, S]. bool: true where a query may attend to a key (PyTorch 2's
   * convention; note nn.MultiheadAttention's masks use the opposite). float: added to the scores
   * (−∞ excludes a key); it is differentiable.
   */
  attnMask?: Tensor | null;
  /** Query i attends to keys j <= i (the mask is the lower triangle of an [L, S] matrix of ones). */
  isCausal?: boolean;
  /** Dropout probability on the attention weights (always applied when > 0, as PyTorch's functional form). */
  dropoutP?: number;
  /** Multiplies q·kᵀ; default 1/√E. */
  scale?: number | null;
  /** The dropout mask's random source (default: the global generator). */
  generator?: Generator;
}

/** A mask as an additive float tensor of `dtype`: 0 where attention is allowed, −∞ where it is not. */
function additiveMask(op: string, mask: Tensor, dtype: Tensor['dtype'], trueMeansAllowed: boolean, name: string): Tensor {
  if (mask.dtype === 'bool') {
    const zero = scalarTensor(0, { dtype, backend: mask.backend });
    return trueMeansAllowed ? where(mask, zero, -Infinity) : where(mask, -Infinity, zero);
  }
  if (!isFloating(mask.dtype)) throw new StrataError(op, `${name} must be a bool or floating-point tensor, got ${mask.dtype}${fmtShape(mask.shape)}`);
  if (mask.dtype !== dtype) throw new StrataError(op, `${name} is ${mask.dtype} but the query is ${dtype}; convert it with .to('${dtype}')`);
  return mask;
}

/**
 * Checks q, k, v and the (additive float) mask, runs the fused kernel and records autograd.
 * `causal` and `mask` may both be given here (the public function forbids it, as PyTorch does).
 */
function attentionImpl(
  op: string, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, causal: boolean, dropoutP: number,
  scale: number | null | undefined, generator: Generator, needWeights: boolean,
): { out: Tensor; weights: Tensor | null } {
  expectTensor(op, 'query', q);
  expectTensor(op, 'key', k);
  expectTensor(op, 'value', v);
  const b = backendOf(op, q, k, v, mask);
  q = toAutocast(q);
  k = toAutocast(k);
  v = toAutocast(v);
  mask = toAutocast(mask);
  expectFloat(op, q, 'query');
  if (k.dtype !== q.dtype || v.dtype !== q.dtype) throw new StrataError(op, `query, key and value must share a dtype, got ${q.dtype}, ${k.dtype}, ${v.dtype}`);
  if (q.ndim < 2 || k.ndim < 2 || v.ndim < 2) {
    throw new StrataError(op, `query, key and value need shapes [..., L, E], [..., S, E], [..., S, Ev]; got ${fmtShape(q.shape)}, ${fmtShape(k.shape)}, ${fmtShape(v.shape)}`);
  }
  const L = q.shape[q.ndim - 2], E = q.shape[q.ndim - 1], S = k.shape[k.ndim - 2], Ev = v.shape[v.ndim - 1];
  if (k.shape[k.ndim - 1] !== E) throw new StrataError(op, `query ${fmtShape(q.shape)} and key ${fmtShape(k.shape)} must have the same last dim (${E} vs ${k.shape[k.ndim - 1]})`);
  if (v.shape[v.ndim - 2] !== S) throw new StrataError(op, `key ${fmtShape(k.shape)} and value ${fmtShape(v.shape)} must have the same number of positions (dim -2: ${S} vs ${v.shape[v.ndim - 2]})`);
  if (!(dropoutP >= 0 && dropoutP <= 1)) throw new StrataError(op, `dropoutP must be in [0, 1], got ${dropoutP}`);
  const sc = scale ?? 1 / Math.sqrt(E);
  if (typeof sc !== 'number' || !Number.isFinite(sc)) throw new StrataError(op, `scale must be a finite number, got ${String(scale)}`);
  let batch: number[];
  try {
    batch = broadcastShapes(op, broadcastShapes(op, q.shape.slice(0, -2), k.shape.slice(0, -2)), v.shape.slice(0, -2));
    if (mask && mask.ndim > 2) batch = broadcastShapes(op, batch, mask.shape.slice(0, -2));
  } catch {
    throw new StrataError(op, `batch dims do not broadcast: query ${fmtShape(q.shape)}, key ${fmtShape(k.shape)}, value ${fmtShape(v.shape)}${mask ? `, mask ${fmtShape(mask.shape)}` : ''}`);
  }
  let m: Tensor | null = null;
  if (mask) {
    const scores = [...batch, L, S];
    const tail = mask.shape.slice(-2), want = [L, S].slice(2 - tail.length);
    const fits = tail.every((d, i) => d === 1 || d === want[i]);
    if (!fits) throw new StrataError(op, `attention mask of shape ${fmtShape(mask.shape)} does not broadcast to the scores' shape ${fmtShape(scores)} ([..., L, S])`);
    m = expand(mask, scores);
  }
  const qe = expand(q, [...batch, L, E]), ke = expand(k, [...batch, S, E]), ve = expand(v, [...batch, S, Ev]);
  const seed = dropoutP > 0 ? generator.nextSeed() : 0;
  const [ho, hp, hw] = b.attention(qe, ke, ve, m, causal, sc, dropoutP, seed, needWeights);
  const out = wrap(b, ho, [...batch, L, Ev], q.dtype);
  // q·kᵀ and weights·v, counted dense (causal attention skips part of both)
  reportMacs('scaledDotProductAttention', numel(batch) * L * S * (E + Ev));
  const probs = wrap(b, hp, [...batch, L, S], q.dtype);
  let weights: Tensor | null = null;
  if (needWeights) {
    // without dropout the weights are the probabilities themselves (a view)
    weights = hw !== null ? wrap(b, hw, probs.shape, q.dtype) : wrap(b, b.view(probs, probs.shape)!, probs.shape, q.dtype, probs);
  }
  record(attentionDef, [q, k, v, mask], weights ? [out, weights] : out, [qe, ke, ve, probs], { scale: sc, causal, weights: needWeights, dropoutP, seed });
  if (out.gradFn === null) probs.dispose();
  return { out, weights };
}

/**
 * Scaled dot-product attention (Vaswani et al., 2017) with PyTorch 2's semantics:
 * softmax(q·kᵀ·scale + mask)·v for q [..., L, E], k [..., S, E], v [..., S, Ev] → [..., L, Ev]
 * (batch dims broadcast). Runs as one fused kernel (batched over every batch and head) each way.
 *
 * NOTE: where a query's keys are all masked, PyTorch returns NaN; here that row's weights are zero,
 * so its output is zero and no gradient flows through it.
 * @example const y = st.scaledDotProductAttention(q, k, v, { isCausal: true });
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: ScaledDotProductAttentionOptions = {}): Tensor {
  const op = 'scaledDotProductAttention';
  if (opts === null || typeof opts !== 'object') throw new StrataError(op, `expected options to be an object, got ${describe(opts)}`);
  expectTensor(op, 'query', q);
  const mask = opts.attnMask ?? null;
  if (mask && opts.isCausal) throw new StrataError(op, 'attnMask and isCausal cannot both be given (as in PyTorch); fold the causal mask into attnMask');
  if (mask !== null) expectTensor(op, 'attnMask', mask);
  const m = mask ? additiveMask(op, mask, q.dtype, true, 'attnMask') : null;
  return attentionImpl(op, q, k, v, m, opts.isCausal ?? false, opts.dropoutP ?? 0, opts.scale, opts.generator ?? defaultGenerator, false).out;
}

// ---------------------------------------------------------------- multi-head attention

export interface MultiheadAttentionForwardOptions {
  /** [N, S]: bool true = a padding key to ignore, or float added to the scores. */
  keyPaddingMask?: Tensor | null;
  /** [L, S] or [N·numHeads, L, S]: bool true = not allowed to attend (PyTorch's MHA convention), or float added. */
  attnMask?: Tensor | null;
  /** Return the attention weights (default true, as PyTorch). */
  needWeights?: boolean;
  /** Average the weights over heads ([N, L, S]) rather than per head ([N, H, L, S]); default true. */
  averageAttnWeights?: boolean;
  /** Mask keys after the query (used when attnMask is not given; with attnMask, the mask wins). */
  isCausal?: boolean;
  /** Dropout on the attention weights (pass 0 in evaluation). */
  dropoutP?: number;
  generator?: Generator;
}

export interface MultiheadAttentionWeights {
  /** [3E, E] packed query/key/value projection, or null with separate projections. */
  inProjWeight: Tensor | null;
  /** [3E] or null. */
  inProjBias: Tensor | null;
  qProjWeight?: Tensor | null;
  kProjWeight?: Tensor | null;
  vProjWeight?: Tensor | null;
  outProjWeight: Tensor;
  outProjBias: Tensor | null;
}

/**
 * The multi-head attention forward of torch.nn.functional.multi_head_attention_forward, batch first:
 * query [N, L, E], key [N, S, kdim], value [N, S, vdim] → [output [N, L, E], weights or null].
 * Heads are one batch dim of a single fused attention call (no loop over heads); when query, key
 * and value are the same tensor the three projections are one linear.
 */
export function multiheadAttentionForward(
  query: Tensor, key: Tensor, value: Tensor, numHeads: number, w: MultiheadAttentionWeights, opts: MultiheadAttentionForwardOptions = {},
): [Tensor, Tensor | null] {
  const op = 'MultiheadAttention';
  expectTensor(op, 'query', query);
  expectTensor(op, 'key', key);
  expectTensor(op, 'value', value);
  if (query.ndim !== 3 || key.ndim !== 3 || value.ndim !== 3) {
    throw new StrataError(op, `expected batch-first query [N, L, E], key [N, S, kdim], value [N, S, vdim]; got ${fmtShape(query.shape)}, ${fmtShape(key.shape)}, ${fmtShape(value.shape)}`);
  }
  const [N, L, E] = query.shape;
  const S = key.shape[1];
  if (key.shape[0] !== N || value.shape[0] !== N) throw new StrataError(op, `query, key and value must have the same batch size, got ${fmtShape(query.shape)}, ${fmtShape(key.shape)}, ${fmtShape(value.shape)}`);
  if (value.shape[1] !== S) throw new StrataError(op, `key ${fmtShape(key.shape)} and value ${fmtShape(value.shape)} must have the same sequence length`);
  if (E % numHeads !== 0) throw new StrataError(op, `embedDim ${E} is not divisible by numHeads ${numHeads}`);
  const hd = E / numHeads;
  // projections
  let q: Tensor, k: Tensor, v: Tensor;
  if (w.inProjWeight) {
    const W = w.inProjWeight, B = w.inProjBias;
    if (query === key && key === value) {
      [q, k, v] = splitPacked(reshape(linear(query, W, B), [N, L, 3, numHeads, hd]));
    } else {
      const [Wq, Wkv] = split(W, [E, 2 * E], 0);
      const [Bq, Bkv] = B ? split(B, [E, 2 * E], 0) : [null, null];
      q = heads(linear(query, Wq, Bq), numHeads);
      if (key === value) {
        [k, v] = splitPacked(reshape(linear(key, Wkv, Bkv), [N, S, 2, numHeads, hd]));
      } else {
        const [Wk, Wv] = split(Wkv, E, 0);
        const [Bk, Bv] = Bkv ? split(Bkv, E, 0) : [null, null];
        k = heads(linear(key, Wk, Bk), numHeads);
        v = heads(linear(value, Wv, Bv), numHeads);
      }
    }
  } else {
    if (!w.qProjWeight || !w.kProjWeight || !w.vProjWeight) throw new StrataError(op, 'without inProjWeight, qProjWeight, kProjWeight and vProjWeight are all needed');
    const [Bq, Bk, Bv] = w.inProjBias ? split(w.inProjBias, E, 0) : [null, null, null];
    q = heads(linear(query, w.qProjWeight, Bq), numHeads);
    k = heads(linear(key, w.kProjWeight, Bk), numHeads);
    v = heads(linear(value, w.vProjWeight, Bv), numHeads);
  }
  // masks, merged into one additive mask broadcast to [N, H, L, S]
  let mask: Tensor | null = null;
  const am = opts.attnMask ?? null;
  if (am) {
    expectTensor(op, 'attnMask', am);
    let m = additiveMask(op, am, query.dtype, false, 'attnMask');
    if (m.ndim === 2) {
      if (m.shape[0] !== L || m.shape[1] !== S) throw new StrataError(op, `the 2-D attnMask should have shape [L, S] = [${L},${S}], got ${fmtShape(am.shape)}`);
    } else if (m.ndim === 3) {
      if (m.shape[0] !== N * numHeads || m.shape[1] !== L || m.shape[2] !== S) {
        throw new StrataError(op, `the 3-D attnMask should have shape [N·numHeads, L, S] = [${N * numHeads},${L},${S}], got ${fmtShape(am.shape)}`);
      }
      m = reshape(m, [N, numHeads, L, S]);
    } else {
      throw new StrataError(op, `attnMask must be 2-D [L, S] or 3-D [N·numHeads, L, S], got ${fmtShape(am.shape)}`);
    }
    mask = m;
  }
  const kpm = opts.keyPaddingMask ?? null;
  if (kpm) {
    expectTensor(op, 'keyPaddingMask', kpm);
    if (kpm.ndim !== 2 || kpm.shape[0] !== N || kpm.shape[1] !== S) {
      throw new StrataError(op, `keyPaddingMask should have shape [N, S] = [${N},${S}], got ${fmtShape(kpm.shape)}`);
    }
    const m = reshape(additiveMask(op, kpm, query.dtype, false, 'keyPaddingMask'), [N, 1, 1, S]);
    mask = mask ? add(mask, m) : m;
  }
  const causal = (opts.isCausal ?? false) && am === null;
  const needWeights = opts.needWeights ?? true;
  const { out, weights } = attentionImpl(op, q, k, v, mask, causal, opts.dropoutP ?? 0, null, opts.generator ?? defaultGenerator, needWeights);
  // [N, H, L, hd] → [N, L, E]
  const merged = reshape(permute(out, [0, 2, 1, 3]), [N, L, E]);
  const y = linear(merged, w.outProjWeight, w.outProjBias);
  if (!weights) return [y, null];
  return [y, opts.averageAttnWeights ?? true ? mean(weights, 1) : weights];
}

const splitPackedDef = defineOp({
  name: 'splitPackedHeads',
  // one kernel writes every part's gradient (slices taken one by one would each scatter into zeros)
  backward: (_ctx, grads) => [stack(grads.map((g) => transpose(g, 1, 2)), 2)],
});

/** x [N, T, P, H, d] → P views [N, H, T, d] (packed projections split into heads), one autograd node. */
function splitPacked(x: Tensor): Tensor[] {
  const parts = noGrad(() => Array.from({ length: x.shape[2] }, (_, i) => transpose(select(x, 2, i), 1, 2)));
  record(splitPackedDef, [x], parts, [], undefined);
  return parts;
}

/** [N, T, E] → [N, H, T, E/H] (a view). */
function heads(x: Tensor, h: number): Tensor {
  const [n, t, e] = x.shape;
  return transpose(reshape(x, [n, t, h, e / h]), 1, 2);
}

// ---------------------------------------------------------------- additive attention

/**
 * Softmax over the last dim with `ignore` (bool, broadcast; true = excluded) entries given zero weight.
 * NOTE: a row with every entry excluded gets all-zero weights (not NaN).
 */
function maskedSoftmax(scores: Tensor, ignore: Tensor | null): Tensor {
  if (!ignore) return softmax(scores, -1);
  const dead = all(expand(ignore, scores.shape), -1, true);
  const masked = where(ignore, -Infinity, scores);
  const safe = where(dead, 0, masked);
  return where(dead, 0, softmax(safe, -1));
}

export interface AdditiveAttentionOptions {
  /** The bias of the score layer (a scalar tensor [1] or [], or null). It shifts every score equally. */
  bias?: Tensor | null;
  /** [..., S] bool: true = a padding key to ignore (PyTorch's key_padding_mask convention). */
  keyPaddingMask?: Tensor | null;
}

/**
 * Additive attention (Bahdanau et al., 2015): e[..., l, s] = vᵀ·tanh(q_l + k_s), weights = softmax over s,
 * context = weights·values. query [..., L, A] (the projected decoder state, W·h), keys [..., S, A] (the
 * projected encoder states, V·s), values [..., S, Dv], v [A] → [context [..., L, Dv], weights [..., L, S]].
 * Keys whose keyPaddingMask is true get zero weight; a query with every key masked gets a zero context.
 */
export function additiveAttention(query: Tensor, keys: Tensor, values: Tensor, v: Tensor, opts: AdditiveAttentionOptions = {}): [Tensor, Tensor] {
  const op = 'additiveAttention';
  expectTensor(op, 'query', query);
  expectTensor(op, 'keys', keys);
  expectTensor(op, 'values', values);
  expectTensor(op, 'v', v);
  backendOf(op, query, keys, values, v);
  if (query.ndim < 2 || keys.ndim < 2 || values.ndim < 2) throw new StrataError(op, `expected query [..., L, A], keys [..., S, A], values [..., S, Dv]; got ${fmtShape(query.shape)}, ${fmtShape(keys.shape)}, ${fmtShape(values.shape)}`);
  const A = query.shape[query.ndim - 1], S = keys.shape[keys.ndim - 2];
  if (keys.shape[keys.ndim - 1] !== A || v.ndim !== 1 || v.shape[0] !== A) {
    throw new StrataError(op, `query ${fmtShape(query.shape)}, keys ${fmtShape(keys.shape)} and v ${fmtShape(v.shape)} must share the attention size (last dim)`);
  }
  if (values.shape[values.ndim - 2] !== S) throw new StrataError(op, `keys ${fmtShape(keys.shape)} and values ${fmtShape(values.shape)} must have the same number of positions`);
  // [..., L, 1, A] + [..., 1, S, A] → [..., L, S, A] → [..., L, S]
  const feats = tanh(add(unsqueeze(query, -2), unsqueeze(keys, -3)));
  let scores = matmul(feats, v);
  if (opts.bias) scores = add(scores, reshape(opts.bias, []));
  let ignore: Tensor | null = null;
  const kpm = opts.keyPaddingMask ?? null;
  if (kpm) {
    expectTensor(op, 'keyPaddingMask', kpm);
    if (kpm.dtype !== 'bool') throw new StrataError(op, `keyPaddingMask must be a bool tensor (true = padding), got ${kpm.dtype}`);
    if (kpm.shape[kpm.ndim - 1] !== S) throw new StrataError(op, `keyPaddingMask of shape ${fmtShape(kpm.shape)} must end in the ${S} key positions`);
    ignore = unsqueeze(kpm, -2);
    try {
      broadcastShapes(op, ignore.shape, scores.shape);
    } catch {
      throw new StrataError(op, `keyPaddingMask of shape ${fmtShape(kpm.shape)} does not broadcast to the keys' batch (scores ${fmtShape(scores.shape)})`);
    }
  }
  const weights = maskedSoftmax(scores, ignore);
  return [matmul(weights, values), weights];
}

// ---------------------------------------------------------------- rotary embeddings

export interface RotaryOptions {
  /** θ_i = base^(−2i/d); default 10000. */
  base?: number;
}

/**
 * Rotary position embedding (RoPE; Su et al., 2021) of queries and keys: each pair of features
 * (x_{2i}, x_{2i+1}) at position p is rotated by the angle p·θ_i, θ_i = base^(−2i/d), so q·k depends
 * on positions only through their difference. q [..., L, d], k [..., L', d] (d even); positions: the
 * positions of the L rows (a number list, or a tensor broadcast to q.shape[:-1]); kPositions default to them.
 */
export function applyRotary(q: Tensor, k: Tensor, positions?: Tensor | readonly number[] | null, opts: RotaryOptions & { kPositions?: Tensor | readonly number[] | null } = {}): [Tensor, Tensor] {
  const op = 'applyRotary';
  expectTensor(op, 'q', q);
  expectTensor(op, 'k', k);
  return [rotate(op, q, positions ?? null, opts.base ?? 10000), rotate(op, k, opts.kPositions ?? positions ?? null, opts.base ?? 10000)];
}

/** Rotates the feature pairs of x [..., L, d] by positions·θ. */
function rotate(op: string, x: Tensor, positions: Tensor | readonly number[] | null, base: number): Tensor {
  expectFloat(op, x);
  if (x.ndim < 2) throw new StrataError(op, `expected a tensor [..., L, d], got ${fmtShape(x.shape)}`);
  const d = x.shape[x.ndim - 1], L = x.shape[x.ndim - 2];
  if (d % 2 !== 0) throw new StrataError(op, `the feature size must be even to rotate pairs, got ${d} (shape ${fmtShape(x.shape)})`);
  let pos: Tensor;
  if (positions === null) pos = arange(0, L, 1, { dtype: x.dtype, backend: x.backend });
  else if (positions instanceof Tensor) pos = positions.dtype === x.dtype ? positions : cast(positions, x.dtype);
  else {
    if (positions.length !== L) throw new StrataError(op, `got ${positions.length} positions for ${L} rows (shape ${fmtShape(x.shape)})`);
    pos = tensorOf(positions, x);
  }
  const half = d / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = Math.pow(base, (-2 * i) / d);
  const invT = tensorOf(inv, x);
  // angles [..., L, d/2]
  const ang = mul(unsqueeze(pos, -1), invT);
  const c = cos(ang), s = sin(ang);
  const pairs = reshape(x, [...x.shape.slice(0, -1), half, 2]);
  const x0 = select(pairs, -1, 0), x1 = select(pairs, -1, 1);
  let y0: Tensor, y1: Tensor;
  try {
    y0 = sub(mul(x0, c), mul(x1, s));
    y1 = add(mul(x0, s), mul(x1, c));
  } catch {
    throw new StrataError(op, `positions of shape ${fmtShape(pos.shape)} do not broadcast to the rows of x ${fmtShape(x.shape)} (need a shape broadcastable to ${fmtShape(x.shape.slice(0, -1))})`);
  }
  if (!shapesEqual(y0.shape, x0.shape)) {
    throw new StrataError(op, `positions of shape ${fmtShape(pos.shape)} would broadcast x ${fmtShape(x.shape)} to a larger shape; give positions broadcastable to ${fmtShape(x.shape.slice(0, -1))}`);
  }
  return reshape(stack([y0, y1], -1), x.shape);
}

/** A 1-D tensor of numbers on `like`'s backend, in its dtype. */
function tensorOf(v: ArrayLike<number>, like: Tensor): Tensor {
  return tensor(Float64Array.from(v), { dtype: like.dtype, backend: like.backend });
}
