// Recurrent ops: lstm, gru and rnn over whole sequences (stacked layers, both directions, variable lengths)
// and the single-step cells, with backward rules that call the backends' fused sequence kernels.
import { isFloating } from '../tensor/dtype.js';
import { defineOp, record, type BackwardCtx } from '../autograd/graph.js';
import type { Backend, Handle, RnnGradNeeds } from '../backends/backend.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { dropout } from './activation.js';
import { cast, contiguous } from './convert.js';
import { tensor, zeros } from './creation.js';
import { reportMacs } from './observe.js';
import { cat, select, squeeze, stack, transpose, unsqueeze } from './shape.js';
import { describe, expectTensor, wrap } from './util.js';

// Layout: every kernel runs one layer in one direction over a time-major sequence x [T, B, I] with
// weights wIh [G·H, I], wHh [G·H, H] and biases [G·H] (G gates: LSTM 4 in the order i, f, g, o;
// GRU 3 in the order r, z, n; RNN 1), exactly PyTorch's parameter layout, so its state dicts load.
// Padding (from lengths or a mask) is a [T, B] tensor of 1s (valid) and 0s (padding): a padded step
// keeps the state and outputs 0, which is what pack_padded_sequence gives PyTorch.

export type RnnMode = 'lstm' | 'gru' | 'rnnTanh' | 'rnnRelu';

const GATES: Record<RnnMode, number> = { lstm: 4, gru: 3, rnnTanh: 1, rnnRelu: 1 };

export interface RnnOptions {
  /** Stacked layers (default 1); `weights` holds numLayers × directions groups. */
  numLayers?: number;
  /** Whether each group has biases [wIh, wHh, bIh, bHh] or not [wIh, wHh] (default true). */
  bias?: boolean;
  /** input [B, T, I] and output [B, T, D·H] instead of [T, B, …] (states stay [L·D, B, H]). */
  batchFirst?: boolean;
  /** A reverse direction as well; outputs concatenate the two along the last dim. */
  bidirectional?: boolean;
  /** Dropout probability on the outputs of every layer but the last, when training (default 0). */
  dropout?: number;
  /** Training mode: enables the inter-layer dropout (default true). */
  training?: boolean;
  /** Valid length of each sequence ([B] integers, array or int tensor): later steps are padding. */
  lengths?: readonly number[] | Tensor | null;
  /** Valid steps, [T, B] ([B, T] when batchFirst; [T] unbatched), bool or 0/1: the rest is padding. */
  mask?: Tensor | null;
  /** The generator of the inter-layer dropout. */
  generator?: Generator;
  /** The name errors report (layers pass theirs). */
  name?: string;
}

export interface RnnFunctionOptions extends RnnOptions {
  /** RNN only: 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

// ---------------------------------------------------------------- the single-layer ops

interface LayerAttrs { mode: RnnMode; reverse: boolean; hasBias: boolean }

const rnnGradDef = defineOp<{ mode: RnnMode }>({
  name: 'rnnBackward',
  backward: (ctx) => {
    throw new StrataError('backward', `double backward through ${ctx.attrs.mode} is not supported`);
  },
});

/** Wraps a backward kernel's handles (null stays null) and refuses a second backward through them. */
function wrapGrads(mode: RnnMode, be: Backend, hs: readonly (Handle | null)[], shapes: readonly (readonly number[])[], like: Tensor, from: Tensor[]): (Tensor | null)[] {
  const out = hs.map((h, i) => (h === null || h === undefined ? null : wrap(be, h, shapes[i], like.dtype)));
  const made = out.filter((t): t is Tensor => t !== null);
  if (made.length) record(rnnGradDef, from, made, [], { mode });
  return out;
}

function gradNeeds(ctx: BackwardCtx<LayerAttrs>, wIh: number, bIh: number): RnnGradNeeds {
  return {
    input: ctx.needs(0),
    weights: ctx.needs(wIh) || ctx.needs(wIh + 1),
    bias: ctx.attrs.hasBias && (ctx.needs(bIh) || ctx.needs(bIh + 1)),
  };
}

// inputs: [x, h0, c0, wIh, wHh, bIh, bHh]; saved: [x, wIh, wHh, hAll, cAll, gates, mask?]
const lstmDef = defineOp<LayerAttrs>({
  name: 'lstm',
  backward: (ctx, [gOut, gH, gC]) => {
    const [x, wIh, wHh, hAll, cAll, gates, mask] = ctx.saved;
    const be = x.backend;
    const hs = be.lstmBackward(gOut, gH, gC, x, wIh, wHh, hAll, cAll, gates, mask ?? null, ctx.attrs.reverse, gradNeeds(ctx, 3, 5));
    const st = ctx.inputs;
    const shapes = [st[0].shape, st[1].shape, st[2].shape, st[3].shape, st[4].shape, [wHh.shape[0]], [wHh.shape[0]]];
    return wrapGrads('lstm', be, hs, shapes, x, [gOut, gH, gC, x, wIh, wHh]);
  },
});

// inputs: [x, h0, wIh, wHh, bIh, bHh]; saved: [x, wIh, wHh, hAll, gates, hpn, mask?]
const gruDef = defineOp<LayerAttrs>({
  name: 'gru',
  backward: (ctx, [gOut, gH]) => {
    const [x, wIh, wHh, hAll, gates, hpn, mask] = ctx.saved;
    const be = x.backend;
    const hs = be.gruBackward(gOut, gH, x, wIh, wHh, hAll, gates, hpn, mask ?? null, ctx.attrs.reverse, gradNeeds(ctx, 2, 4));
    const st = ctx.inputs;
    const shapes = [st[0].shape, st[1].shape, st[2].shape, st[3].shape, [wHh.shape[0]], [wHh.shape[0]]];
    return wrapGrads('gru', be, hs, shapes, x, [gOut, gH, x, wIh, wHh]);
  },
});

// inputs: [x, h0, wIh, wHh, bIh, bHh]; saved: [x, wIh, wHh, hAll, mask?]
const rnnDef = defineOp<LayerAttrs>({
  name: 'rnn',
  backward: (ctx, [gOut, gH]) => {
    const [x, wIh, wHh, hAll, mask] = ctx.saved;
    const be = x.backend;
    const relu = ctx.attrs.mode === 'rnnRelu';
    const hs = be.rnnBackward(gOut, gH, x, wIh, wHh, hAll, mask ?? null, ctx.attrs.reverse, relu, gradNeeds(ctx, 2, 4));
    const st = ctx.inputs;
    const shapes = [st[0].shape, st[1].shape, st[2].shape, st[3].shape, [wHh.shape[0]], [wHh.shape[0]]];
    return wrapGrads(ctx.attrs.mode, be, hs, shapes, x, [gOut, gH, x, wIh, wHh]);
  },
});

interface LayerResult { out: Tensor; hN: Tensor; cN: Tensor | null }

/**
 * One layer, one direction, over x [T, B, I] (shapes already checked). Records one autograd node whose
 * backward is the backend's sequence backward kernel.
 */
function runLayer(
  mode: RnnMode, x: Tensor, h0: Tensor, c0: Tensor | null, wIh: Tensor, wHh: Tensor, bIh: Tensor | null, bHh: Tensor | null,
  mask: Tensor | null, reverse: boolean,
): LayerResult {
  const be = x.backend;
  const [T, B] = x.shape;
  const H = wHh.shape[1];
  const seqShape = [T, B, H], stateShape = [B, H], allShape = [T + 1, B, H];
  const gateShape = [T, B, wHh.shape[0]];
  reportMacs(mode, T * B * wHh.shape[0] * (wIh.shape[1] + H));
  const attrs: LayerAttrs = { mode, reverse, hasBias: bIh !== null || bHh !== null };
  const ws = [wIh, wHh, bIh, bHh];
  let out: Tensor, hN: Tensor, cN: Tensor | null = null;
  let saved: Tensor[];
  const outOf = (h: Handle, hAll: Tensor) => (mask ? wrap(be, h, seqShape, x.dtype) : wrap(be, h, seqShape, x.dtype, hAll));
  if (mode === 'lstm') {
    const [ho, hh, hc, ha, ca, hg] = be.lstmForward(x, h0, c0!, wIh, wHh, bIh, bHh, mask, reverse);
    const hAll = wrap(be, ha, allShape, x.dtype), cAll = wrap(be, ca, allShape, x.dtype), gates = wrap(be, hg, gateShape, x.dtype);
    out = outOf(ho, hAll);
    hN = wrap(be, hh, stateShape, x.dtype);
    cN = wrap(be, hc, stateShape, x.dtype);
    saved = [x, wIh, wHh, hAll, cAll, gates];
    if (mask) saved.push(mask);
    record(lstmDef, [x, h0, c0!, ...ws], [out, hN, cN], saved, attrs);
    if (out.gradFn === null) for (const t of [hAll, cAll, gates]) t.dispose();
  } else if (mode === 'gru') {
    const [ho, hh, ha, hg, hp] = be.gruForward(x, h0, wIh, wHh, bIh, bHh, mask, reverse);
    const hAll = wrap(be, ha, allShape, x.dtype), gates = wrap(be, hg, gateShape, x.dtype), hpn = wrap(be, hp, seqShape, x.dtype);
    out = outOf(ho, hAll);
    hN = wrap(be, hh, stateShape, x.dtype);
    saved = [x, wIh, wHh, hAll, gates, hpn];
    if (mask) saved.push(mask);
    record(gruDef, [x, h0, ...ws], [out, hN], saved, attrs);
    if (out.gradFn === null) for (const t of [hAll, gates, hpn]) t.dispose();
  } else {
    const [ho, hh, ha] = be.rnnForward(x, h0, wIh, wHh, bIh, bHh, mask, reverse, mode === 'rnnRelu');
    const hAll = wrap(be, ha, allShape, x.dtype);
    out = outOf(ho, hAll);
    hN = wrap(be, hh, stateShape, x.dtype);
    saved = [x, wIh, wHh, hAll];
    if (mask) saved.push(mask);
    record(rnnDef, [x, h0, ...ws], [out, hN], saved, attrs);
    if (out.gradFn === null) hAll.dispose();
  }
  return { out, hN, cN };
}

// ---------------------------------------------------------------- checks

/** The parameter-name suffix of group k (layer, direction), as PyTorch's: l0, l0_reverse, l1, … */
const suffixOf = (k: number, D: number) => `l${Math.floor(k / D)}${k % D === 1 ? '_reverse' : ''}`;

interface Plan {
  name: string; mode: RnnMode; L: number; D: number; H: number; hasBias: boolean;
  groups: { wIh: Tensor; wHh: Tensor; bIh: Tensor | null; bHh: Tensor | null }[];
}

/** Checks the weights: numLayers × directions groups of PyTorch's shapes. */
function planOf(name: string, mode: RnnMode, input: Tensor, weights: readonly Tensor[], opts: RnnOptions): Plan {
  const L = opts.numLayers ?? 1, D = opts.bidirectional ? 2 : 1, hasBias = opts.bias ?? true;
  if (!Number.isInteger(L) || L < 1) throw new StrataError(name, `numLayers must be a positive integer, got ${String(L)}`);
  if (!Array.isArray(weights)) throw new StrataError(name, `expected weights to be an array of tensors, got ${describe(weights)}`);
  const per = hasBias ? 4 : 2;
  if (weights.length !== L * D * per) {
    throw new StrataError(name, `expected ${L * D * per} weight tensors (${L} layer${L > 1 ? 's' : ''} × ${D} direction${D > 1 ? 's' : ''} × [wIh, wHh${hasBias ? ', bIh, bHh' : ''}]), got ${weights.length}`);
  }
  weights.forEach((w, i) => expectTensor(name, `weights[${i}]`, w));
  const G = GATES[mode];
  const wHh0 = weights[1];
  if (wHh0.ndim !== 2 || wHh0.shape[0] !== G * wHh0.shape[1]) {
    throw new StrataError(name, `weight_hh_l0 must be [${G}·hiddenSize, hiddenSize], got ${fmtShape(wHh0.shape)}`);
  }
  const H = wHh0.shape[1];
  const groups: Plan['groups'] = [];
  for (let k = 0; k < L * D; k++) {
    const [wIh, wHh, bIh, bHh] = [0, 1, 2, 3].map((j) => (j < per ? weights[k * per + j] : null));
    const inF = k < D ? input.shape[input.ndim - 1] : D * H;
    const suffix = suffixOf(k, D);
    const expect = (t: Tensor | null, what: string, shape: number[]) => {
      if (t === null) return;
      if (t.ndim !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
        throw new StrataError(name, `${what}_${suffix} must be ${fmtShape(shape)}, got ${fmtShape(t.shape)}`);
      }
      if (t.dtype !== input.dtype) throw new StrataError(name, `${what}_${suffix} is ${t.dtype} but the input is ${input.dtype}; convert one with .to('${input.dtype}')`);
      if (t.backend !== input.backend) throw new StrataError(name, `${what}_${suffix} is on the ${t.backend.name} backend but the input is on ${input.backend.name}; move it with .to('${input.backend.name}')`);
    };
    if (k < D && wIh!.ndim === 2 && wIh!.shape[1] !== inF) {
      throw new StrataError(name, `input of shape ${fmtShape(input.shape)} has ${inF} features, but the layer expects inputSize ${wIh!.shape[1]} (weight_ih_${suffix} is ${fmtShape(wIh!.shape)})`);
    }
    expect(wIh, 'weight_ih', [G * H, inF]);
    expect(wHh, 'weight_hh', [G * H, H]);
    expect(bIh, 'bias_ih', [G * H]);
    expect(bHh, 'bias_hh', [G * H]);
    groups.push({ wIh: wIh!, wHh: wHh!, bIh, bHh });
  }
  return { name, mode, L, D, H, hasBias, groups };
}

function checkInput(name: string, input: unknown): Tensor {
  const x = expectTensor(name, 'input', input);
  if (!isFloating(x.dtype)) {
    throw new StrataError(name, `expected input to be float32 or float64, got ${x.dtype}${fmtShape(x.shape)}; convert with .float()`);
  }
  if (x.ndim !== 2 && x.ndim !== 3) {
    throw new StrataError(name, `expected a 3-D (batched) or 2-D (unbatched) input, got shape ${fmtShape(x.shape)}`);
  }
  return x;
}

/** Checks an initial state: [L·D, B, H] (batched) or [L·D, H]; returns it batched. */
function checkState(name: string, what: string, h: unknown, want: number[], batched: boolean, x: Tensor): Tensor {
  const t = expectTensor(name, what, h);
  const shape = batched ? want : [want[0], want[2]];
  if (t.ndim !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
    throw new StrataError(name, `expected ${what} of shape ${fmtShape(shape)} (numLayers·directions, ${batched ? 'batch, ' : ''}hiddenSize) for input of shape ${fmtShape(x.shape)}, got ${fmtShape(t.shape)}`);
  }
  if (t.dtype !== x.dtype) throw new StrataError(name, `${what} is ${t.dtype} but the input is ${x.dtype}`);
  if (t.backend !== x.backend) throw new StrataError(name, `${what} is on the ${t.backend.name} backend but the input is on ${x.backend.name}`);
  return batched ? t : unsqueeze(t, 1);
}

/** The padding mask [T, B] in x's dtype from lengths or a mask (null when neither). */
function paddingMask(name: string, x: Tensor, T: number, B: number, batched: boolean, opts: RnnOptions): Tensor | null {
  const { lengths, mask } = opts;
  const hasLengths = lengths !== null && lengths !== undefined, hasMask = mask !== null && mask !== undefined;
  if (hasLengths && hasMask) throw new StrataError(name, 'pass either lengths or mask, not both');
  if (hasLengths) {
    let lens: number[];
    if (lengths instanceof Tensor) {
      if (lengths.dtype !== 'int64' && lengths.dtype !== 'int32') throw new StrataError(name, `lengths must be an int64 or int32 tensor, got ${lengths.dtype}`);
      if (lengths.ndim !== 1) throw new StrataError(name, `lengths must be 1-D [batch], got shape ${fmtShape(lengths.shape)}`);
      lens = Array.from(lengths.data() as ArrayLike<number | bigint>, (v) => Number(v));
    } else if (Array.isArray(lengths)) lens = lengths.slice();
    else throw new StrataError(name, `lengths must be an array of integers or an int tensor, got ${describe(lengths)}`);
    if (lens.length !== B) throw new StrataError(name, `lengths has ${lens.length} entries but the batch has ${B} sequences`);
    lens.forEach((n, b) => {
      if (!Number.isInteger(n) || n < 0 || n > T) throw new StrataError(name, `lengths[${b}] = ${n} is out of range: lengths must be integers in [0, ${T}] (the sequence length)`);
    });
    const m = new Float64Array(T * B);
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) m[t * B + b] = t < lens[b] ? 1 : 0;
    return tensor(m, { shape: [T, B], dtype: x.dtype, backend: x.backend });
  }
  if (hasMask) {
    const m = expectTensor(name, 'mask', mask);
    const want = !batched ? [T] : opts.batchFirst ? [B, T] : [T, B];
    if (m.ndim !== want.length || m.shape.some((s, i) => s !== want[i])) {
      throw new StrataError(name, `mask must have shape ${fmtShape(want)} (${!batched ? 'seq' : opts.batchFirst ? 'batch, seq' : 'seq, batch'}) for input of shape ${fmtShape(x.shape)}, got ${fmtShape(m.shape)}`);
    }
    if (m.backend !== x.backend) throw new StrataError(name, `mask is on the ${m.backend.name} backend but the input is on ${x.backend.name}`);
    let f = cast(m.detach(), 'bool');
    if (!batched) f = unsqueeze(f, 1);
    else if (opts.batchFirst) f = transpose(f, 0, 1);
    return contiguous(cast(f, x.dtype));
  }
  return null;
}

// ---------------------------------------------------------------- the stacked ops

interface StackResult { output: Tensor; hN: Tensor; cN: Tensor | null }

function runStack(mode: RnnMode, input: Tensor, h0: Tensor | null, c0: Tensor | null, weights: readonly Tensor[], opts: RnnOptions, defaultName: string): StackResult {
  const name = opts.name ?? defaultName;
  if (opts === null || typeof opts !== 'object') throw new StrataError(name, `expected options to be an object, got ${describe(opts)}`);
  const x0 = checkInput(name, input);
  const plan = planOf(name, mode, x0, weights, opts);
  const p = opts.dropout ?? 0;
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new StrataError(name, `dropout must be a probability in [0, 1], got ${String(p)}`);
  const batched = x0.ndim === 3;
  let x = batched ? (opts.batchFirst ? transpose(x0, 0, 1) : x0) : unsqueeze(x0, 1);
  const [T, B] = x.shape;
  if (T === 0) throw new StrataError(name, `input of shape ${fmtShape(x0.shape)} has no time steps`);
  const { L, D, H } = plan;
  const want = [L * D, B, H];
  const hx = h0 === null ? null : checkState(name, mode === 'lstm' ? 'h0' : 'hx', h0, want, batched, x0);
  const cx = c0 === null ? null : checkState(name, 'c0', c0, want, batched, x0);
  const mask = paddingMask(name, x0, T, B, batched, opts);
  const zero = hx === null || (mode === 'lstm' && cx === null) ? zeros([B, H], { dtype: x.dtype, backend: x.backend }) : null;
  const hNs: Tensor[] = [], cNs: Tensor[] = [];
  for (let l = 0; l < L; l++) {
    const outs: Tensor[] = [];
    for (let d = 0; d < D; d++) {
      const k = l * D + d, g = plan.groups[k];
      const h = hx ? select(hx, 0, k) : zero!;
      const c = mode === 'lstm' ? (cx ? select(cx, 0, k) : zero!) : null;
      const r = runLayer(mode, x, h, c, g.wIh, g.wHh, g.bIh, g.bHh, mask, d === 1);
      outs.push(r.out);
      hNs.push(r.hN);
      if (r.cN) cNs.push(r.cN);
    }
    x = D === 2 ? cat(outs, 2) : outs[0];
    if (l < L - 1 && p > 0 && (opts.training ?? true)) x = dropout(x, p, true, opts.generator ?? defaultGenerator);
  }
  let output = x, hN = stack(hNs, 0), cN = mode === 'lstm' ? stack(cNs, 0) : null;
  if (!batched) {
    output = squeeze(output, 1);
    hN = squeeze(hN, 1);
    if (cN) cN = squeeze(cN, 1);
  } else if (opts.batchFirst) output = transpose(output, 0, 1);
  return { output, hN, cN };
}

/**
 * Long short-term memory (Hochreiter & Schmidhuber, 1997) over a sequence, as torch's nn.LSTM:
 *   i, f, g, o = σ, σ, tanh, σ (W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh), c_t = f∘c_{t−1} + i∘g, h_t = o∘tanh(c_t).
 * input [T, B, I] ([B, T, I] batchFirst, [T, I] unbatched); hx [h0, c0], each [L·D, B, H] (zeros when null);
 * weights per layer and direction [weight_ih [4H, in], weight_hh [4H, H], bias_ih [4H], bias_hh [4H]].
 * Returns output [T, B, D·H] (the last layer's states; 0 at padded steps) and hN, cN [L·D, B, H]
 * (each sequence's last valid state).
 */
export function lstm(input: Tensor, hx: readonly [Tensor, Tensor] | null | undefined, weights: readonly Tensor[], opts: RnnOptions = {}): { output: Tensor; hN: Tensor; cN: Tensor } {
  const name = opts?.name ?? 'lstm';
  if (hx !== null && hx !== undefined && (!Array.isArray(hx) || hx.length !== 2)) {
    throw new StrataError(name, `hx must be a pair [h0, c0], got ${describe(hx)}`);
  }
  const r = runStack('lstm', input, hx ? hx[0] : null, hx ? hx[1] : null, weights, opts, 'lstm');
  return { output: r.output, hN: r.hN, cN: r.cN! };
}

/**
 * Gated recurrent unit (Cho et al., 2014) over a sequence, as torch's nn.GRU:
 *   r, z = σ(W_i·x_t + b_i + W_h·h_{t−1} + b_h), n = tanh(W_in·x_t + b_in + r∘(W_hn·h_{t−1} + b_hn)),
 *   h_t = (1 − z)∘n + z∘h_{t−1}.
 * Shapes as {@link lstm} with 3H gate rows (r, z, n); hx [L·D, B, H] or null.
 */
export function gru(input: Tensor, hx: Tensor | null | undefined, weights: readonly Tensor[], opts: RnnOptions = {}): { output: Tensor; hN: Tensor } {
  const r = runStack('gru', input, hx ?? null, null, weights, opts, 'gru');
  return { output: r.output, hN: r.hN };
}

/**
 * Elman RNN over a sequence, as torch's nn.RNN: h_t = tanh (or relu)(W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh).
 * Shapes as {@link lstm} with H gate rows; hx [L·D, B, H] or null.
 */
export function rnn(input: Tensor, hx: Tensor | null | undefined, weights: readonly Tensor[], opts: RnnFunctionOptions = {}): { output: Tensor; hN: Tensor } {
  const nl = opts?.nonlinearity ?? 'tanh';
  if (nl !== 'tanh' && nl !== 'relu') throw new StrataError(opts?.name ?? 'rnn', `nonlinearity must be 'tanh' or 'relu', got ${JSON.stringify(nl)}`);
  const r = runStack(nl === 'relu' ? 'rnnRelu' : 'rnnTanh', input, hx ?? null, null, weights, opts, 'rnn');
  return { output: r.output, hN: r.hN };
}

// ---------------------------------------------------------------- cells

/** Checks a cell's operands; returns x and the states batched ([B, ·]) and whether the input was. */
function cellOperands(
  name: string, mode: RnnMode, input: unknown, states: (Tensor | null)[], wIh: unknown, wHh: unknown, bIh: unknown, bHh: unknown,
): { x: Tensor; hs: Tensor[]; batched: boolean } {
  const x = expectTensor(name, 'input', input);
  if (!isFloating(x.dtype)) throw new StrataError(name, `expected input to be float32 or float64, got ${x.dtype}`);
  if (x.ndim !== 1 && x.ndim !== 2) throw new StrataError(name, `expected a 2-D [batch, inputSize] or 1-D [inputSize] input, got shape ${fmtShape(x.shape)}`);
  const wi = expectTensor(name, 'weight_ih', wIh), wh = expectTensor(name, 'weight_hh', wHh);
  const G = GATES[mode];
  if (wh.ndim !== 2 || wh.shape[0] !== G * wh.shape[1]) throw new StrataError(name, `weight_hh must be [${G}·hiddenSize, hiddenSize], got ${fmtShape(wh.shape)}`);
  const H = wh.shape[1];
  const batched = x.ndim === 2, B = batched ? x.shape[0] : 1, I = x.shape[x.ndim - 1];
  if (wi.ndim !== 2 || wi.shape[0] !== G * H) throw new StrataError(name, `weight_ih must be [${G * H}, inputSize], got ${fmtShape(wi.shape)}`);
  if (wi.shape[1] !== I) throw new StrataError(name, `input of shape ${fmtShape(x.shape)} has ${I} features, but the cell expects inputSize ${wi.shape[1]} (weight_ih is ${fmtShape(wi.shape)})`);
  for (const [what, b] of [['bias_ih', bIh], ['bias_hh', bHh]] as const) {
    if (b === null || b === undefined) continue;
    const t = expectTensor(name, what, b);
    if (t.ndim !== 1 || t.shape[0] !== G * H) throw new StrataError(name, `${what} must be [${G * H}], got ${fmtShape(t.shape)}`);
  }
  for (const t of [wi, wh, bIh, bHh]) {
    if (t instanceof Tensor && t.dtype !== x.dtype) throw new StrataError(name, `weights are ${t.dtype} but the input is ${x.dtype}`);
    if (t instanceof Tensor && t.backend !== x.backend) throw new StrataError(name, `weights are on the ${t.backend.name} backend but the input is on ${x.backend.name}`);
  }
  const want = batched ? [B, H] : [H];
  const hs = states.map((h, i) => {
    const what = mode === 'lstm' ? (i === 0 ? 'h' : 'c') : 'hx';
    if (h === null) return zeros([B, H], { dtype: x.dtype, backend: x.backend });
    const t = expectTensor(name, what, h);
    if (t.ndim !== want.length || t.shape.some((s, j) => s !== want[j])) {
      throw new StrataError(name, `expected ${what} of shape ${fmtShape(want)} for input of shape ${fmtShape(x.shape)}, got ${fmtShape(t.shape)}`);
    }
    if (t.dtype !== x.dtype) throw new StrataError(name, `${what} is ${t.dtype} but the input is ${x.dtype}`);
    if (t.backend !== x.backend) throw new StrataError(name, `${what} is on the ${t.backend.name} backend but the input is on ${x.backend.name}`);
    return batched ? t : unsqueeze(t, 0);
  });
  return { x: unsqueeze(batched ? x : unsqueeze(x, 0), 0), hs, batched };
}

const asBias = (b: Tensor | null | undefined): Tensor | null => b ?? null;

/**
 * One LSTM step, as torch's nn.LSTMCell: input [B, I] (or [I]), hx [h, c] each [B, H] (zeros when null),
 * weights [4H, I], [4H, H], biases [4H] or null. Returns [h', c'].
 */
export function lstmCell(input: Tensor, hx: readonly [Tensor, Tensor] | null | undefined, wIh: Tensor, wHh: Tensor, bIh?: Tensor | null, bHh?: Tensor | null, name = 'lstmCell'): [Tensor, Tensor] {
  if (hx !== null && hx !== undefined && (!Array.isArray(hx) || hx.length !== 2)) throw new StrataError(name, `hx must be a pair [h, c], got ${describe(hx)}`);
  const { x, hs, batched } = cellOperands(name, 'lstm', input, [hx ? hx[0] : null, hx ? hx[1] : null], wIh, wHh, bIh, bHh);
  const r = runLayer('lstm', x, hs[0], hs[1], wIh, wHh, asBias(bIh), asBias(bHh), null, false);
  return batched ? [r.hN, r.cN!] : [squeeze(r.hN, 0), squeeze(r.cN!, 0)];
}

/** One GRU step, as torch's nn.GRUCell: input [B, I] (or [I]), hx [B, H] or null. Returns h'. */
export function gruCell(input: Tensor, hx: Tensor | null | undefined, wIh: Tensor, wHh: Tensor, bIh?: Tensor | null, bHh?: Tensor | null, name = 'gruCell'): Tensor {
  const { x, hs, batched } = cellOperands(name, 'gru', input, [hx ?? null], wIh, wHh, bIh, bHh);
  const r = runLayer('gru', x, hs[0], null, wIh, wHh, asBias(bIh), asBias(bHh), null, false);
  return batched ? r.hN : squeeze(r.hN, 0);
}

/** One Elman RNN step, as torch's nn.RNNCell (nonlinearity 'tanh' or 'relu'). Returns h'. */
export function rnnCell(
  input: Tensor, hx: Tensor | null | undefined, wIh: Tensor, wHh: Tensor, bIh?: Tensor | null, bHh?: Tensor | null,
  nonlinearity: 'tanh' | 'relu' = 'tanh', name = 'rnnCell',
): Tensor {
  if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') throw new StrataError(name, `nonlinearity must be 'tanh' or 'relu', got ${JSON.stringify(nonlinearity)}`);
  const mode: RnnMode = nonlinearity === 'relu' ? 'rnnRelu' : 'rnnTanh';
  const { x, hs, batched } = cellOperands(name, mode, input, [hx ?? null], wIh, wHh, bIh, bHh);
  const r = runLayer(mode, x, hs[0], null, wIh, wHh, asBias(bIh), asBias(bHh), null, false);
  return batched ? r.hN : squeeze(r.hN, 0);
}

