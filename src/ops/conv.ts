// Convolution (1-D, 2-D, transposed; stride, padding, dilation, groups) and pooling (max, average,
// adaptive average), with their backward rules. Output sizes follow PyTorch's formulas exactly.
import { toAutocast } from './autocast.js';
import { defineOp, record, type BackwardCtx } from '../autograd/graph.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { numel, type Shape } from '../tensor/shape.js';
import { reportMacs } from './observe.js';
import { Tensor } from '../tensor/tensor.js';
import { pad, squeeze, unsqueeze } from './shape.js';
import { backendOf, describe, expandParam, expectFloat, expectTensor, wrap } from './util.js';

type IntOrList = number | readonly number[];
export interface ConvOptions { stride?: IntOrList; padding?: IntOrList | 'valid' | 'same'; dilation?: IntOrList; groups?: number }
export interface ConvTransposeOptions { stride?: IntOrList; padding?: IntOrList; outputPadding?: IntOrList; dilation?: IntOrList; groups?: number }
export interface PoolOptions { stride?: IntOrList | null; padding?: IntOrList; dilation?: IntOrList; ceilMode?: boolean }
export interface AvgPoolOptions { stride?: IntOrList | null; padding?: IntOrList; ceilMode?: boolean; countIncludePad?: boolean; divisorOverride?: number | null }

// ---------------------------------------------------------------- convolution

interface ConvAttrs {
  stride: number[]; padding: number[]; dilation: number[]; transposed: boolean; outputPadding: number[];
  groups: number; hasBias: boolean;
}

const convBackwardDef = defineOp({
  name: 'convolutionBackward',
  backward: () => {
    throw new StrataError('backward', 'double backward through convolution is not supported');
  },
});

const convDef = defineOp<ConvAttrs>({
  name: 'convolution',
  backward: (ctx: BackwardCtx<ConvAttrs>, [g]) => {
    const [x, w] = ctx.saved;
    const a = ctx.attrs;
    const mask = [ctx.needs(0), ctx.needs(1), a.hasBias && ctx.needs(2)] as const;
    const be = x.backend;
    const [hx, hw, hb] = be.convolutionBackward(g, x, w, a.stride, a.padding, a.dilation, a.transposed, a.outputPadding, a.groups, mask);
    const gx = hx === null ? null : wrap(be, hx, x.shape, x.dtype);
    const gw = hw === null ? null : wrap(be, hw, w.shape, w.dtype);
    const gb = hb === null ? null : wrap(be, hb, [g.shape[1]], g.dtype);
    const outs = [gx, gw, gb].filter((t): t is Tensor => t !== null);
    if (outs.length) record(convBackwardDef, [g, x, w], outs, [], undefined);
    return [gx, gw, gb];
  },
});

/** Checks the operands every convolution shares; returns the backend. */
function convOperands(op: string, x: Tensor, w: Tensor, b: Tensor | null | undefined, nd: number) {
  expectTensor(op, 'input', x);
  expectTensor(op, 'weight', w);
  if (b !== null && b !== undefined) expectTensor(op, 'bias', b);
  const backend = backendOf(op, x, w, b ?? null);
  expectFloat(op, x);
  if (x.dtype !== w.dtype || (b && b.dtype !== x.dtype)) {
    throw new StrataError(op, `input, weight and bias must share a dtype, got ${x.dtype}, ${w.dtype}${b ? ', ' + b.dtype : ''}`);
  }
  if (w.ndim !== nd + 2) {
    throw new StrataError(op, `weight must be ${nd + 2}-D, got shape ${fmtShape(w.shape)}`);
  }
  if (x.ndim !== nd + 2 && x.ndim !== nd + 1) {
    throw new StrataError(op, `expected a ${nd + 2}-D (batched) or ${nd + 1}-D (unbatched) input, got shape ${fmtShape(x.shape)}`);
  }
  return backend;
}

function checkGroups(op: string, groups: unknown): number {
  if (typeof groups !== 'number' || !Number.isInteger(groups) || groups < 1) {
    throw new StrataError(op, `groups must be a positive integer, got ${String(groups)}`);
  }
  return groups;
}

/**
 * Runs the convolution kernel on a batched input whose shapes are already checked, and records autograd.
 * outShape is [N, Cout, ...spatial].
 */
function runConv(
  op: string, x: Tensor, w: Tensor, b: Tensor | null, attrs: Omit<ConvAttrs, 'hasBias'>, outShape: Shape,
): Tensor {
  const backend = x.backend;
  const h = backend.convolution(x, w, b, attrs.stride, attrs.padding, attrs.dilation, attrs.transposed, attrs.outputPadding, attrs.groups, outShape);
  const out = wrap(backend, h, outShape, x.dtype);
  // one multiply-add per weight of an output channel per output element (per input element when transposed)
  reportMacs(op, (attrs.transposed ? x.numel : numel(outShape)) * (w.numel / w.shape[0]));
  record(convDef, b ? [x, w, b] : [x, w], out, [x, w], { ...attrs, hasBias: !!b });
  return out;
}

function convNd(op: string, nd: number, x: Tensor, w: Tensor, b: Tensor | null | undefined, opts: ConvOptions): Tensor {
  x = toAutocast(x);
  w = toAutocast(w);
  b = toAutocast(b ?? null);
  convOperands(op, x, w, b, nd);
  if (x.ndim === nd + 1) return squeeze(convNd(op, nd, unsqueeze(x, 0), w, b, opts), 0);
  const groups = checkGroups(op, opts.groups ?? 1);
  const stride = expandParam(op, 'stride', opts.stride ?? 1, nd, 1);
  const dilation = expandParam(op, 'dilation', opts.dilation ?? 1, nd, 1);
  const cin = x.shape[1], cout = w.shape[0], k = w.shape.slice(2);
  if (cin !== w.shape[1] * groups) {
    throw new StrataError(op, `input of shape ${fmtShape(x.shape)} has ${cin} channels but weight ${fmtShape(w.shape)} expects ${w.shape[1]}×groups=${w.shape[1] * groups}`);
  }
  if (cout % groups !== 0) {
    throw new StrataError(op, `weight ${fmtShape(w.shape)} has ${cout} output channels, which is not divisible by groups=${groups}`);
  }
  if (b && (b.ndim !== 1 || b.shape[0] !== cout)) {
    throw new StrataError(op, `bias must have shape [${cout}] (one per output channel), got ${fmtShape(b.shape)}`);
  }
  let padding: number[];
  let input = x;
  const p = opts.padding ?? 0;
  if (p === 'valid') padding = new Array<number>(nd).fill(0);
  else if (p === 'same') {
    if (stride.some((s) => s !== 1)) {
      throw new StrataError(op, `padding='same' is not supported for strided convolutions (stride [${stride.join(',')}]); use explicit padding`);
    }
    // total padding d·(k−1) per dim; the odd extra element goes on the right, as in PyTorch
    padding = k.map((kk, i) => Math.floor((dilation[i] * (kk - 1)) / 2));
    const extra = k.map((kk, i) => dilation[i] * (kk - 1) - 2 * padding[i]);
    if (extra.some((e) => e > 0)) {
      const pads: number[] = [];
      for (let i = nd - 1; i >= 0; i--) pads.push(0, extra[i]);
      input = pad(x, pads);
    }
  } else if (typeof p === 'string') {
    throw new StrataError(op, `padding must be an integer, a list of ${nd}, 'valid' or 'same', got ${JSON.stringify(p)}`);
  } else padding = expandParam(op, 'padding', p, nd, 0);
  const inSize = input.shape.slice(2);
  const outSize = inSize.map((n, i) => Math.floor((n + 2 * padding[i] - dilation[i] * (k[i] - 1) - 1) / stride[i]) + 1);
  if (outSize.some((o) => o <= 0) || k.some((kk) => kk <= 0)) {
    throw new StrataError(op, `input of shape ${fmtShape(x.shape)} with padding [${padding.join(',')}] is smaller than the kernel ${fmtShape(k)} with dilation [${dilation.join(',')}]: the output size would be ${fmtShape(outSize)}`);
  }
  const attrs = { stride, padding, dilation, transposed: false, outputPadding: new Array<number>(nd).fill(0), groups };
  return runConv(op, input, w, b ?? null, attrs, [x.shape[0], cout, ...outSize]);
}

function convTransposeNd(op: string, nd: number, x: Tensor, w: Tensor, b: Tensor | null | undefined, opts: ConvTransposeOptions): Tensor {
  x = toAutocast(x);
  w = toAutocast(w);
  b = toAutocast(b ?? null);
  convOperands(op, x, w, b, nd);
  if (x.ndim === nd + 1) return squeeze(convTransposeNd(op, nd, unsqueeze(x, 0), w, b, opts), 0);
  const groups = checkGroups(op, opts.groups ?? 1);
  const stride = expandParam(op, 'stride', opts.stride ?? 1, nd, 1);
  const dilation = expandParam(op, 'dilation', opts.dilation ?? 1, nd, 1);
  const padding = expandParam(op, 'padding', opts.padding ?? 0, nd, 0);
  const outputPadding = expandParam(op, 'outputPadding', opts.outputPadding ?? 0, nd, 0);
  outputPadding.forEach((o, i) => {
    if (o >= stride[i] && o >= dilation[i]) {
      throw new StrataError(op, `outputPadding [${outputPadding.join(',')}] must be smaller than either stride [${stride.join(',')}] or dilation [${dilation.join(',')}]`);
    }
  });
  const cin = x.shape[1], k = w.shape.slice(2);
  if (cin !== w.shape[0]) {
    throw new StrataError(op, `input of shape ${fmtShape(x.shape)} has ${cin} channels but weight ${fmtShape(w.shape)} expects ${w.shape[0]} (weight is [Cin, Cout/groups, ...kernel])`);
  }
  if (cin % groups !== 0) {
    throw new StrataError(op, `input of shape ${fmtShape(x.shape)} has ${cin} channels, which is not divisible by groups=${groups}`);
  }
  const cout = w.shape[1] * groups;
  if (b && (b.ndim !== 1 || b.shape[0] !== cout)) {
    throw new StrataError(op, `bias must have shape [${cout}] (one per output channel), got ${fmtShape(b.shape)}`);
  }
  const outSize = x.shape.slice(2).map((n, i) => (n - 1) * stride[i] - 2 * padding[i] + dilation[i] * (k[i] - 1) + outputPadding[i] + 1);
  if (outSize.some((o) => o <= 0) || k.some((kk) => kk <= 0)) {
    throw new StrataError(op, `input of shape ${fmtShape(x.shape)} with kernel ${fmtShape(k)}, stride [${stride.join(',')}] and padding [${padding.join(',')}] gives an output size of ${fmtShape(outSize)}; reduce the padding`);
  }
  const attrs = { stride, padding, dilation, transposed: true, outputPadding, groups };
  return runConv(op, x, w, b ?? null, attrs, [x.shape[0], cout, ...outSize]);
}

/**
 * 1-D convolution (cross-correlation, as in PyTorch).
 * x: [N, Cin, L] (or [Cin, L]), w: [Cout, Cin/groups, K], b: [Cout] → [N, Cout, Lout] with
 * Lout = ⌊(L + 2·padding − dilation·(K−1) − 1)/stride⌋ + 1.
 */
export function conv1d(x: Tensor, w: Tensor, b?: Tensor | null, opts: ConvOptions = {}): Tensor {
  return convNd('conv1d', 1, x, w, b, opts);
}

/**
 * 2-D convolution. x: [N, Cin, H, W] (or [Cin, H, W]), w: [Cout, Cin/groups, kH, kW], b: [Cout]
 * → [N, Cout, Hout, Wout]. groups = Cin gives depthwise convolution; padding 'same' keeps H and W
 * (stride 1 only), 'valid' is no padding.
 */
export function conv2d(x: Tensor, w: Tensor, b?: Tensor | null, opts: ConvOptions = {}): Tensor {
  return convNd('conv2d', 2, x, w, b, opts);
}

/**
 * 1-D transposed convolution (the gradient of conv1d with respect to its input).
 * x: [N, Cin, L], w: [Cin, Cout/groups, K] → [N, Cout, (L−1)·stride − 2·padding + dilation·(K−1) + outputPadding + 1].
 */
export function convTranspose1d(x: Tensor, w: Tensor, b?: Tensor | null, opts: ConvTransposeOptions = {}): Tensor {
  return convTransposeNd('convTranspose1d', 1, x, w, b, opts);
}

/**
 * 2-D transposed convolution. x: [N, Cin, H, W], w: [Cin, Cout/groups, kH, kW], b: [Cout]
 * → [N, Cout, Hout, Wout], Hout = (H−1)·stride − 2·padding + dilation·(kH−1) + outputPadding + 1.
 */
export function convTranspose2d(x: Tensor, w: Tensor, b?: Tensor | null, opts: ConvTransposeOptions = {}): Tensor {
  return convTransposeNd('convTranspose2d', 2, x, w, b, opts);
}

// ---------------------------------------------------------------- pooling

/**
 * PyTorch's pooling_output_shape: ⌊(n + 2p − d·(k−1) − 1 (+ s−1 with ceilMode)) / s⌋ + 1, and with
 * ceilMode the last window must start inside the input or the left padding.
 */
export function poolOutputSize(n: number, k: number, p: number, s: number, d: number, ceilMode: boolean): number {
  let out = Math.floor((n + 2 * p - d * (k - 1) - 1 + (ceilMode ? s - 1 : 0)) / s) + 1;
  if (ceilMode && (out - 1) * s >= n + p) out--;
  return out;
}

/** A pool's input as [N, C, H, W] (3-D inputs gain a batch dim) and whether to drop it again. */
function poolInput(op: string, x: Tensor): { x4: Tensor; unbatched: boolean } {
  expectTensor(op, 'input', x);
  expectFloat(op, x);
  if (x.ndim !== 3 && x.ndim !== 4) throw new StrataError(op, `expected a 4-D [N, C, H, W] or 3-D [C, H, W] input, got shape ${fmtShape(x.shape)}`);
  if (x.shape[x.ndim - 1] === 0 || x.shape[x.ndim - 2] === 0) throw new StrataError(op, `input of shape ${fmtShape(x.shape)} has an empty spatial dimension`);
  return x.ndim === 3 ? { x4: unsqueeze(x, 0), unbatched: true } : { x4: x, unbatched: false };
}

interface PoolGeom { kernel: number[]; stride: number[]; padding: number[]; dilation: number[]; ceilMode: boolean; out: number[] }

function poolGeometry(op: string, x4: Tensor, kernelSize: IntOrList, stride: IntOrList | null | undefined, padding: IntOrList, dilation: IntOrList, ceilMode: boolean): PoolGeom {
  const kernel = expandParam(op, 'kernelSize', kernelSize, 2, 1);
  const noStride = stride === null || stride === undefined || (Array.isArray(stride) && stride.length === 0);
  const s = noStride ? kernel.slice() : expandParam(op, 'stride', stride as IntOrList, 2, 1);
  const p = expandParam(op, 'padding', padding, 2, 0);
  const d = expandParam(op, 'dilation', dilation, 2, 1);
  if (typeof ceilMode !== 'boolean') throw new StrataError(op, `ceilMode must be a boolean, got ${describe(ceilMode)}`);
  if (p.some((pp, i) => pp > Math.floor(kernel[i] / 2))) {
    throw new StrataError(op, `padding [${p.join(',')}] must be at most half the kernel size [${kernel.join(',')}]`);
  }
  const inSize = x4.shape.slice(2);
  const out = inSize.map((n, i) => poolOutputSize(n, kernel[i], p[i], s[i], d[i], ceilMode));
  if (out.some((o) => o <= 0)) {
    throw new StrataError(op, `input of shape ${fmtShape(x4.shape)} is too small for kernel [${kernel.join(',')}] with padding [${p.join(',')}] and dilation [${d.join(',')}]: the output size would be ${fmtShape(out)}`);
  }
  return { kernel, stride: s, padding: p, dilation: d, ceilMode, out };
}

interface MaxPoolAttrs { kernel: number[]; stride: number[]; padding: number[]; dilation: number[]; ceilMode: boolean }

const poolBackwardDef = defineOp<{ op: string }>({
  name: 'poolBackward',
  backward: (ctx) => {
    throw new StrataError('backward', `double backward through ${ctx.attrs.op} is not supported`);
  },
});

const maxPoolDef = defineOp<MaxPoolAttrs>({
  name: 'maxPool2d',
  backward: (ctx, [g]) => {
    const [x, indices] = ctx.saved;
    const a = ctx.attrs;
    const be = x.backend;
    const gx = wrap(be, be.maxPool2dBackward(g, x, indices, a.kernel, a.stride, a.padding, a.dilation, a.ceilMode), x.shape, x.dtype);
    record(poolBackwardDef, [g], gx, [], { op: 'maxPool2d' });
    return [gx];
  },
});

function maxPoolImpl(op: string, x: Tensor, kernelSize: IntOrList, opts: PoolOptions): { values: Tensor; indices: Tensor } {
  const { x4, unbatched } = poolInput(op, x);
  const g = poolGeometry(op, x4, kernelSize, opts.stride, opts.padding ?? 0, opts.dilation ?? 1, opts.ceilMode ?? false);
  const shape = [x4.shape[0], x4.shape[1], ...g.out];
  const be = x4.backend;
  const [hv, hi] = be.maxPool2d(x4, g.kernel, g.stride, g.padding, g.dilation, g.ceilMode, shape);
  const values = wrap(be, hv, shape, x4.dtype);
  const indices = wrap(be, hi, shape, 'int64');
  record(maxPoolDef, [x4], values, [x4, indices], { kernel: g.kernel, stride: g.stride, padding: g.padding, dilation: g.dilation, ceilMode: g.ceilMode });
  return unbatched ? { values: squeeze(values, 0), indices: squeeze(indices, 0) } : { values, indices };
}

/**
 * 2-D max pooling. x: [N, C, H, W] (or [C, H, W]) → [N, C, Hout, Wout]; stride defaults to the kernel size.
 * Padding counts as −∞ and may be at most half the kernel. NaN wins any window it is in.
 */
export function maxPool2d(x: Tensor, kernelSize: IntOrList, opts: PoolOptions = {}): Tensor {
  return maxPoolImpl('maxPool2d', x, kernelSize, opts).values;
}

/** maxPool2d that also returns, per output, the int64 index of the chosen element within its H·W plane. */
export function maxPool2dWithIndices(x: Tensor, kernelSize: IntOrList, opts: PoolOptions = {}): { values: Tensor; indices: Tensor } {
  return maxPoolImpl('maxPool2d', x, kernelSize, opts);
}

/** Lifts a 1-D pool's int-or-list option to 2-D: height 1 (or `h`) and the given width. */
function lift(op: string, name: string, v: IntOrList, h: number, min: number): number[] {
  return [h, expandParam(op, name, v, 1, min)[0]];
}

/** 1-D max pooling over the last dim: x [N, C, L] (or [C, L]) → [N, C, Lout], computed as maxPool2d with height 1. */
export function maxPool1d(x: Tensor, kernelSize: number, opts: PoolOptions = {}): Tensor {
  const op = 'maxPool1d';
  expectTensor(op, 'input', x);
  if (x.ndim !== 2 && x.ndim !== 3) throw new StrataError(op, `expected a 3-D [N, C, L] or 2-D [C, L] input, got shape ${fmtShape(x.shape)}`);
  const noStride = opts.stride === null || opts.stride === undefined || (Array.isArray(opts.stride) && opts.stride.length === 0);
  const k = lift(op, 'kernelSize', kernelSize, 1, 1);
  const y = maxPoolImpl(op, unsqueeze(x, -2), k, {
    stride: noStride ? k : lift(op, 'stride', opts.stride as IntOrList, 1, 1),
    padding: lift(op, 'padding', opts.padding ?? 0, 0, 0),
    dilation: lift(op, 'dilation', opts.dilation ?? 1, 1, 1),
    ceilMode: opts.ceilMode ?? false,
  });
  return squeeze(y.values, -2);
}

interface AvgPoolAttrs { kernel: number[]; stride: number[]; padding: number[]; ceilMode: boolean; countIncludePad: boolean; divisorOverride: number | null }

const avgPoolDef = defineOp<AvgPoolAttrs>({
  name: 'avgPool2d',
  backward: (ctx, [g]) => {
    const [x] = ctx.saved;
    const a = ctx.attrs;
    const be = x.backend;
    const gx = wrap(be, be.avgPool2dBackward(g, x, a.kernel, a.stride, a.padding, a.ceilMode, a.countIncludePad, a.divisorOverride), x.shape, x.dtype);
    record(poolBackwardDef, [g], gx, [], { op: 'avgPool2d' });
    return [gx];
  },
});

function avgPoolImpl(op: string, x: Tensor, kernelSize: IntOrList, opts: AvgPoolOptions): Tensor {
  const { x4, unbatched } = poolInput(op, x);
  const g = poolGeometry(op, x4, kernelSize, opts.stride, opts.padding ?? 0, 1, opts.ceilMode ?? false);
  const countIncludePad = opts.countIncludePad ?? true;
  if (typeof countIncludePad !== 'boolean') throw new StrataError(op, `countIncludePad must be a boolean, got ${describe(countIncludePad)}`);
  const div = opts.divisorOverride ?? null;
  if (div !== null && (typeof div !== 'number' || !Number.isInteger(div) || div === 0)) {
    throw new StrataError(op, `divisorOverride must be a non-zero integer or null, got ${String(div)}`);
  }
  const shape = [x4.shape[0], x4.shape[1], ...g.out];
  const be = x4.backend;
  const out = wrap(be, be.avgPool2d(x4, g.kernel, g.stride, g.padding, g.ceilMode, countIncludePad, div, shape), shape, x4.dtype);
  record(avgPoolDef, [x4], out, [x4], { kernel: g.kernel, stride: g.stride, padding: g.padding, ceilMode: g.ceilMode, countIncludePad, divisorOverride: div });
  return unbatched ? squeeze(out, 0) : out;
}

/**
 * 2-D average pooling. x: [N, C, H, W] (or [C, H, W]) → [N, C, Hout, Wout]. countIncludePad (default
 * true) counts zero padding in the divisor; divisorOverride replaces the divisor.
 * NOTE: with ceilMode, a window running past the padded input is divided only by its part inside
 * input + padding, as in PyTorch.
 */
export function avgPool2d(x: Tensor, kernelSize: IntOrList, opts: AvgPoolOptions = {}): Tensor {
  return avgPoolImpl('avgPool2d', x, kernelSize, opts);
}

/** 1-D average pooling over the last dim: x [N, C, L] (or [C, L]) → [N, C, Lout], as avgPool2d with height 1. */
export function avgPool1d(x: Tensor, kernelSize: number, opts: AvgPoolOptions = {}): Tensor {
  const op = 'avgPool1d';
  expectTensor(op, 'input', x);
  if (x.ndim !== 2 && x.ndim !== 3) throw new StrataError(op, `expected a 3-D [N, C, L] or 2-D [C, L] input, got shape ${fmtShape(x.shape)}`);
  const noStride = opts.stride === null || opts.stride === undefined || (Array.isArray(opts.stride) && opts.stride.length === 0);
  const k = lift(op, 'kernelSize', kernelSize, 1, 1);
  const y = avgPoolImpl(op, unsqueeze(x, -2), k, {
    ...opts,
    stride: noStride ? k : lift(op, 'stride', opts.stride as IntOrList, 1, 1),
    padding: lift(op, 'padding', opts.padding ?? 0, 0, 0),
  });
  return squeeze(y, -2);
}

const adaptiveAvgPoolDef = defineOp({
  name: 'adaptiveAvgPool2d',
  backward: (ctx, [g]) => {
    const [x] = ctx.saved;
    const be = x.backend;
    const gx = wrap(be, be.adaptiveAvgPool2dBackward(g, x), x.shape, x.dtype);
    record(poolBackwardDef, [g], gx, [], { op: 'adaptiveAvgPool2d' });
    return [gx];
  },
});

function adaptiveImpl(op: string, x: Tensor, outputSize: number | readonly (number | null)[]): Tensor {
  const { x4, unbatched } = poolInput(op, x);
  const list = typeof outputSize === 'number' ? [outputSize, outputSize] : Array.isArray(outputSize) ? outputSize : null;
  if (list === null || list.length !== 2) throw new StrataError(op, `outputSize must be an integer or a list [h, w] (null keeps that size), got ${JSON.stringify(outputSize)}`);
  const size = list.map((v, i) => (v === null ? x4.shape[2 + i] : v)) as [number, number];
  if (size.some((v) => !Number.isInteger(v) || v < 1)) throw new StrataError(op, `outputSize must hold positive integers, got ${JSON.stringify(outputSize)}`);
  const shape = [x4.shape[0], x4.shape[1], ...size];
  const be = x4.backend;
  const out = wrap(be, be.adaptiveAvgPool2d(x4, size), shape, x4.dtype);
  record(adaptiveAvgPoolDef, [x4], out, [x4], undefined);
  return unbatched ? squeeze(out, 0) : out;
}

/**
 * Average pooling to a fixed output size. x: [N, C, H, W] (or [C, H, W]) → [N, C, oh, ow]; output
 * cell i covers input rows ⌊i·H/oh⌋ … ⌈(i+1)·H/oh⌉−1 (windows may overlap). null keeps that dim.
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly (number | null)[]): Tensor {
  return adaptiveImpl('adaptiveAvgPool2d', x, outputSize);
}

/** Adaptive average pooling over the last dim: x [N, C, L] (or [C, L]) → [N, C, outputSize]. */
export function adaptiveAvgPool1d(x: Tensor, outputSize: number): Tensor {
  const op = 'adaptiveAvgPool1d';
  expectTensor(op, 'input', x);
  if (x.ndim !== 2 && x.ndim !== 3) throw new StrataError(op, `expected a 3-D [N, C, L] or 2-D [C, L] input, got shape ${fmtShape(x.shape)}`);
  if (typeof outputSize !== 'number') throw new StrataError(op, `outputSize must be an integer, got ${JSON.stringify(outputSize)}`);
  return squeeze(adaptiveImpl(op, unsqueeze(x, -2), [1, outputSize]), -2);
}
