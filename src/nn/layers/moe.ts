// Mixture of experts (Shazeer et al., 2017; GShard, Lepikhin et al., 2021; Switch, Fedus et al., 2022):
// top-k routing with an optional expert capacity, index-op dispatch, and the load-balancing auxiliary loss.
import type { Tensor } from '../../tensor/tensor.js';
import { StrataError, fmtShape } from '../../tensor/errors.js';
import type { DType } from '../../tensor/dtype.js';
import { Module } from '../module.js';
import { Linear } from './linear.js';
import { ModuleList } from './container.js';
import * as F from '../../ops/index.js';

/** Which expert each token's choices went to, and which survived the capacity limit. */
export interface Routing {
  /** Tokens routed (T) and choices per token (k). */
  tokens: number;
  k: number;
  /** [T·k]: the expert of token t's j-th choice at t·k + j (best first). */
  expert: Int32Array;
  /** [T·k]: 1 where that choice was dispatched, 0 where its expert was full. */
  kept: Uint8Array;
  /** Per expert: the dispatched slots (t·k + j), in dispatch order. */
  slots: number[][];
  /** Tokens none of whose choices was dispatched. */
  dropped: number[];
  /** The experts' capacity (Infinity without a capacity factor). */
  capacity: number;
}

/**
 * Dispatch of top-k choices under an expert capacity: the choices are given priority by rank first (every
 * token's first choice, in token order, then every second choice…), as GShard's and Switch's top-2 do, and
 * a choice whose expert already holds `capacity` slots is dropped.
 * expert: [T·k] expert indices (token-major, best first); numExperts E.
 */
export function dispatchTopK(expert: Int32Array, tokens: number, k: number, numExperts: number, capacity = Infinity): Routing {
  const op = 'dispatchTopK';
  if (expert.length !== tokens * k) throw new StrataError(op, `expected ${tokens}·${k} expert indices, got ${expert.length}`);
  const slots: number[][] = Array.from({ length: numExperts }, () => []);
  const kept = new Uint8Array(tokens * k);
  for (let j = 0; j < k; j++) {
    for (let t = 0; t < tokens; t++) {
      const s = t * k + j, e = expert[s];
      if (e < 0 || e >= numExperts) throw new StrataError(op, `expert index ${e} is out of range for ${numExperts} experts`);
      if (slots[e].length < capacity) {
        slots[e].push(s);
        kept[s] = 1;
      }
    }
  }
  const dropped: number[] = [];
  for (let t = 0; t < tokens; t++) {
    let any = 0;
    for (let j = 0; j < k; j++) any |= kept[t * k + j];
    if (!any) dropped.push(t);
  }
  return { tokens, k, expert, kept, slots, dropped, capacity };
}

/** ceil(capacityFactor · k · T / E): each expert's share of the T·k choices, scaled (GShard, Switch). */
export function expertCapacity(tokens: number, k: number, numExperts: number, capacityFactor: number | null): number {
  if (capacityFactor === null) return Infinity;
  return Math.max(1, Math.ceil((capacityFactor * k * tokens) / numExperts));
}

export interface MoEForwardOptions {
  /** Choices per token (default 1). */
  k?: number;
  /** Divide the k chosen probabilities by their sum (default: k > 1). */
  renormalize?: boolean;
  /** Expert capacity (see expertCapacity); null or absent: unlimited. */
  capacity?: number | null;
  /** Tokens with every choice dropped: output their input ('passthrough', default) or zeros ('zero'). */
  dropped?: 'passthrough' | 'zero';
}

export interface MoEResult {
  /** [T, outFeatures]. */
  output: Tensor;
  /** Switch Transformer's load-balancing loss E·Σ_i f_i·P_i (a 0-d tensor; 1 when perfectly balanced). */
  auxLoss: Tensor;
  routing: Routing;
  /** [T, k] the gate weights of the chosen experts (after renormalisation). */
  gates: Tensor;
}

/**
 * The mixture-of-experts forward on T tokens: probabilities softmax(routerLogits), each token's k most
 * probable experts (gate weights: those probabilities, divided by their sum when `renormalize`), dispatch
 * under the capacity (dispatchTopK), and output_t = Σ_kept g_tj · expert_{e_tj}(x_t).
 * The dispatch gathers the tokens of all experts into one expert-sorted batch (one indexSelect), runs each
 * expert on its contiguous slice only, weights the rows by their gates and scatters them back with one
 * indexAdd, so an expert costs what its tokens cost (no dense loop over every expert for every token).
 * The load-balancing loss (Fedus et al., 2022, eq. 4) is E·Σ_i f_i·P_i with f_i the fraction of tokens whose
 * first choice is expert i (before the capacity limit) and P_i the mean router probability of expert i;
 * only P carries a gradient.
 * x [T, d], routerLogits [T, E], runExpert(e, xe [n_e, d]) → [n_e, dOut] (dOut = d for 'passthrough').
 * NOTE: the routing (top-k indices) is read back to build the dispatch; it is piecewise constant, so the
 * gradient reaches the router through the gate weights and the auxiliary loss only.
 */
export function moeForward(x: Tensor, routerLogits: Tensor, runExpert: (e: number, xe: Tensor) => Tensor, opts: MoEForwardOptions = {}): MoEResult {
  const op = 'moeForward';
  if (x.ndim !== 2 || routerLogits.ndim !== 2 || routerLogits.shape[0] !== x.shape[0]) {
    throw new StrataError(op, `expected tokens x [T, d] and router logits [T, E], got ${fmtShape(x.shape)} and ${fmtShape(routerLogits.shape)}`);
  }
  const [T] = x.shape;
  const E = routerLogits.shape[1];
  const k = opts.k ?? 1;
  if (!Number.isInteger(k) || k < 1 || k > E) throw new StrataError(op, `k must be an integer in 1..${E} (the number of experts), got ${k}`);
  const probs = F.softmax(routerLogits, -1);
  const top = F.topk(probs, k, -1, true, true);
  const renorm = opts.renormalize ?? k > 1;
  const gates = renorm ? F.div(top.values, F.sum(top.values, -1, true)) : top.values;
  const idx = top.indices.data() as BigInt64Array;
  const expert = new Int32Array(T * k);
  for (let i = 0; i < expert.length; i++) expert[i] = Number(idx[i]);
  const routing = dispatchTopK(expert, T, k, E, opts.capacity ?? Infinity);
  // the auxiliary loss: f (first choices, a constant) against P (mean probabilities, differentiable)
  const f = new Float64Array(E);
  for (let t = 0; t < T; t++) f[expert[t * k]] += 1 / Math.max(T, 1);
  const fT = F.tensor(f, { dtype: probs.dtype, backend: probs.backend });
  const auxLoss = F.mul(F.sum(F.mul(fT, F.mean(probs, 0))), E);
  // dispatch: one expert-sorted gather, one slice per busy expert, one scatter back
  const order: number[] = [], sizes: number[] = [], busy: number[] = [];
  routing.slots.forEach((s, e) => {
    if (s.length === 0) return;
    busy.push(e);
    sizes.push(s.length);
    for (const slot of s) order.push(slot);
  });
  const be = x.backend;
  let output: Tensor | null = null;
  if (order.length > 0) {
    const slotIdx = F.tensor(Int32Array.from(order), { dtype: 'int64', backend: be });
    const tokIdx = F.tensor(Int32Array.from(order, (s) => Math.floor(s / k)), { dtype: 'int64', backend: be });
    const xs = F.indexSelect(x, 0, tokIdx);
    const parts = busy.length === 1 ? [xs] : F.split(xs, sizes, 0);
    const ys = parts.map((p, i) => {
      const y = runExpert(busy[i], p);
      if (y.ndim !== 2 || y.shape[0] !== p.shape[0]) throw new StrataError(op, `expert ${busy[i]} must map [n, d] to [n, dOut], got ${fmtShape(y.shape)} from ${fmtShape(p.shape)}`);
      return y;
    });
    const y = ys.length === 1 ? ys[0] : F.cat(ys, 0);
    const g = F.indexSelect(F.reshape(gates, [T * k]), 0, slotIdx);
    output = F.indexAdd(F.zeros([T, y.shape[1]], { dtype: x.dtype, backend: be }), 0, tokIdx, F.mul(y, F.unsqueeze(g, 1)));
  }
  const mode = opts.dropped ?? 'passthrough';
  if (output === null) {
    output = mode === 'passthrough' ? x : F.zeros([T, x.shape[1]], { dtype: x.dtype, backend: be });
  } else if (mode === 'passthrough' && routing.dropped.length > 0) {
    if (output.shape[1] !== x.shape[1]) throw new StrataError(op, `dropped tokens pass through unchanged, so the experts must keep the feature size (${x.shape[1]}), got ${output.shape[1]}; use dropped: 'zero'`);
    const di = F.tensor(Int32Array.from(routing.dropped), { dtype: 'int64', backend: be });
    output = F.indexAdd(output, 0, di, F.indexSelect(x, 0, di));
  }
  return { output, auxLoss, routing, gates };
}

/** One expert: Linear → activation → Linear (the transformer feed-forward block). */
export class ExpertMLP extends Module {
  fc1: Linear;
  fc2: Linear;
  constructor(readonly inFeatures: number, readonly hiddenFeatures: number, readonly activation: 'gelu' | 'relu' = 'gelu', opts: { dtype?: DType } = {}) {
    super();
    this.fc1 = new Linear(inFeatures, hiddenFeatures, { dtype: opts.dtype });
    this.fc2 = new Linear(hiddenFeatures, inFeatures, { dtype: opts.dtype });
  }
  forward(x: Tensor): Tensor {
    const h = this.fc1.forward(x);
    return this.fc2.forward(this.activation === 'gelu' ? F.gelu(h) : F.relu(h));
  }
}

export interface MixtureOfExpertsOptions {
  /** Choices per token: 1 (Switch) or 2 (GShard); any k ≤ numExperts works. Default 1. */
  k?: number;
  /** Each expert's hidden width (default 4·features). */
  hiddenFeatures?: number;
  activation?: 'gelu' | 'relu';
  /**
   * Expert capacity = ceil(capacityFactor · k · T / E) slots per forward of T tokens; choices beyond it are
   * dropped (Switch: 1.0–1.25 in training). null (default): unlimited.
   */
  capacityFactor?: number | null;
  /** The capacity factor in evaluation mode (default: capacityFactor). */
  evalCapacityFactor?: number | null;
  /**
   * Divide the chosen probabilities by their sum (default: k > 1). With k = 1 that would make every gate 1
   * and leave the router learning from the auxiliary loss alone, so k = 1 keeps the raw probability (Switch).
   */
  renormalize?: boolean;
  /**
   * What a token none of whose choices was dispatched gets: its input ('passthrough', default) or zeros
   * ('zero': inside a residual block x + moe(norm(x)) the residual then carries the token through, as Switch).
   */
  dropped?: 'passthrough' | 'zero';
  dtype?: DType;
}

/**
 * A mixture-of-experts layer (Shazeer et al., 2017) with Switch/GShard routing: a bias-free `router`
 * Linear(features → numExperts) → softmax, top-k experts per token, `experts` (a ModuleList of ExpertMLP:
 * fc1, activation, fc2), outputs combined by the gate weights (see moeForward). x [..., features] →
 * [..., features]; every leading position is a token.
 * After each forward, auxLoss() gives the load-balancing loss E·Σ f_i·P_i (Trainer adds α times it, α = 0.01
 * as Switch by default, to the training loss) and `lastRouting` the dispatch (tokens per expert, dropped tokens).
 * @example const moe = new nn.MixtureOfExperts(64, 4, { k: 2, capacityFactor: 1.25 }); const y = moe.forward(x);
 */
export class MixtureOfExperts extends Module {
  router: Linear;
  experts: ModuleList;
  /** The load-balancing loss of the last forward (a 0-d tensor), or null before the first. */
  lastAuxLoss: Tensor | null = null;
  lastRouting: Routing | null = null;
  readonly k: number;
  readonly hiddenFeatures: number;
  readonly capacityFactor: number | null;
  readonly evalCapacityFactor: number | null;
  readonly renormalize: boolean;
  readonly dropped: 'passthrough' | 'zero';
  constructor(readonly features: number, readonly numExperts: number, opts: MixtureOfExpertsOptions = {}) {
    super();
    const op = 'MixtureOfExperts';
    if (!Number.isInteger(features) || features < 1 || !Number.isInteger(numExperts) || numExperts < 1) {
      throw new StrataError(op, `features and numExperts must be positive integers, got ${features} and ${numExperts}`);
    }
    this.k = opts.k ?? 1;
    if (!Number.isInteger(this.k) || this.k < 1 || this.k > numExperts) throw new StrataError(op, `k must be an integer in 1..${numExperts} (numExperts), got ${this.k}`);
    this.hiddenFeatures = opts.hiddenFeatures ?? 4 * features;
    this.capacityFactor = opts.capacityFactor ?? null;
    this.evalCapacityFactor = opts.evalCapacityFactor === undefined ? this.capacityFactor : opts.evalCapacityFactor;
    for (const c of [this.capacityFactor, this.evalCapacityFactor]) {
      if (c !== null && !(c > 0)) throw new StrataError(op, `a capacity factor must be positive (or null for unlimited), got ${c}`);
    }
    this.renormalize = opts.renormalize ?? this.k > 1;
    this.dropped = opts.dropped ?? 'passthrough';
    if (this.dropped !== 'passthrough' && this.dropped !== 'zero') throw new StrataError(op, `dropped must be 'passthrough' or 'zero', got ${String(this.dropped)}`);
    this.router = new Linear(features, numExperts, { bias: false, dtype: opts.dtype });
    this.experts = new ModuleList(Array.from({ length: numExperts }, () => new ExpertMLP(features, this.hiddenFeatures, opts.activation ?? 'gelu', { dtype: opts.dtype })));
  }
  forward(x: Tensor): Tensor {
    if (x.ndim < 1 || x.shape[x.ndim - 1] !== this.features) {
      throw new StrataError('MixtureOfExperts', `expected [..., ${this.features}], got ${fmtShape(x.shape)}`);
    }
    const lead = x.shape.slice(0, -1);
    const tokens = F.reshape(x, [-1, this.features]);
    const T = tokens.shape[0];
    const cf = this.training ? this.capacityFactor : this.evalCapacityFactor;
    const r = moeForward(tokens, this.router.forward(tokens), (e, xe) => this.experts.at(e).forward(xe), {
      k: this.k, renormalize: this.renormalize, capacity: expertCapacity(T, this.k, this.numExperts, cf), dropped: this.dropped,
    });
    this.lastAuxLoss = r.auxLoss;
    this.lastRouting = r.routing;
    return F.reshape(r.output, [...lead, this.features]);
  }
  /** The load-balancing loss of the last forward (what Trainer adds, times its auxLossWeight, to the training loss). */
  auxLoss(): Tensor | null {
    return this.lastAuxLoss;
  }
  /** Tokens dispatched to each expert in the last forward. */
  tokensPerExpert(): number[] {
    return this.lastRouting ? this.lastRouting.slots.map((s) => s.length) : new Array<number>(this.numExperts).fill(0);
  }
  override extraRepr(): string {
    return `features=${this.features}, numExperts=${this.numExperts}, k=${this.k}, hiddenFeatures=${this.hiddenFeatures}, capacityFactor=${this.capacityFactor}`;
  }
}
