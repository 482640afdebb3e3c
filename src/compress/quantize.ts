// int8 quantization as a model → model transform: dynamic (Linear), static post-training (observers,
// calibration, per-channel weights, conv+bn+relu fusion) and quantization-aware training (fake quant).
// The int8 arithmetic is ATen's (native/src/quantized.cc); this file decides what runs where.
import { StrataError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/grad-mode.js';
import { tidy, keep } from '../tensor/memory.js';
import { Module } from '../nn/module.js';
import { Conv2d } from '../nn/layers/conv.js';
import { Linear, Flatten, Identity } from '../nn/layers/linear.js';
import { BatchNorm2d } from '../nn/layers/norm.js';
import { ReLU, Dropout } from '../nn/layers/activation.js';
import { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from '../nn/layers/pool.js';
import { QTensor, dequantize, qk, quantize as quantizeAct, quantizedEngines } from './qkernels.js';

// ---------------------------------------------------------------- observers and parameters

/** Running min and max of the values seen (PyTorch's MinMaxObserver). */
export class MinMaxObserver {
  min = Infinity;
  max = -Infinity;
  observe(t: Tensor): void {
    const [lo, hi] = tidy(() => [t.amin().item(), t.amax().item()]);
    this.min = Math.min(this.min, lo);
    this.max = Math.max(this.max, hi);
  }
  /** quint8 affine parameters, as torch's MinMaxObserver (range widened to include 0). */
  qparams(): { scale: number; zeroPoint: number } {
    if (!Number.isFinite(this.min)) throw new StrataError('quantize', 'an observer saw no data; calibrate with at least one batch');
    return affineQParams(this.min, this.max);
  }
}

const EPS = 1.1920928955078125e-7;

/** scale and zero point for quint8 [0, 255] covering [min, max] ∪ {0}. */
export function affineQParams(min: number, max: number): { scale: number; zeroPoint: number } {
  const lo = Math.min(min, 0), hi = Math.max(max, 0);
  const scale = Math.max((hi - lo) / 255, EPS);
  const zeroPoint = Math.min(255, Math.max(0, Math.round(-lo / scale)));
  return { scale, zeroPoint };
}

/**
 * Per-output-channel symmetric int8 weights, as torch's per_channel_symmetric qint8 observer:
 * scale_o = max|w_o| / 127.5, values = clamp(round(w / scale), −128, 127), zero points 0.
 */
export function quantizeWeight(w: Tensor): { values: Tensor; scales: Tensor } {
  return noGrad(() => tidy(() => {
    const o = w.shape[0];
    const scales = w.reshape(o, -1).abs().amax(1).div(127.5).clamp(EPS, null);
    const bshape = [o, ...w.shape.slice(1).map(() => 1)];
    // NOTE: as ATen's quantize_val, w · (1/scale) in float32 then round half to even: w/scale would round
    // the extreme ±127.5 the other way at times and disagree with torch by one step.
    const values = w.mul(scales.reciprocal().reshape(bshape)).round().clamp(-128, 127).to('int32');
    return { values: keep(values), scales: keep(scales) };
  }));
}

/** Conv weights and bias with an eval-mode batch norm folded in: w·γ/σ, (b − μ)·γ/σ + β. */
export function foldBatchNorm(conv: Conv2d, bn: BatchNorm2d): { weight: Tensor; bias: Tensor } {
  if (!bn.runningMean || !bn.runningVar) throw new StrataError('quantize', 'a batch norm without running statistics cannot be folded into its convolution');
  return noGrad(() => tidy(() => {
    const o = conv.outChannels;
    const inv = bn.runningVar!.add(bn.eps).rsqrt();
    const g = bn.weight ? inv.mul(bn.weight) : inv;
    const weight = conv.weight.mul(g.reshape(o, 1, 1, 1));
    let bias = (conv.bias ?? bn.runningMean!.mul(0)).sub(bn.runningMean!).mul(g);
    if (bn.bias) bias = bias.add(bn.bias);
    return { weight: keep(weight.contiguous()), bias: keep(bias.contiguous()) };
  }));
}

function pair(v: number | readonly number[] | undefined, d: number): number[] {
  if (v === undefined) return [d, d];
  return typeof v === 'number' ? [v, v] : [...v];
}

function convPadding(c: Conv2d): number[] {
  const p = c.opts.padding;
  if (p === 'valid') return [0, 0];
  if (p === 'same') {
    const d = pair(c.opts.dilation, 1);
    if (c.kernelSize.some((k) => k % 2 === 0)) throw new StrataError('quantize', "padding 'same' with an even kernel has no int8 kernel");
    return c.kernelSize.map((k, i) => ((k - 1) * d[i]) >> 1);
  }
  return pair(p as number | number[] | undefined, 0);
}

// ---------------------------------------------------------------- int8 layers

/** What an int8 layer saves: its int8 weight, per-channel scales, float bias and the JSON to rebuild it. */
export interface Int8Weights {
  values: Tensor;
  scales: Tensor;
  bias: Tensor | null;
}

abstract class PackedLayer {
  packed = -1;
  constructor(readonly w: Int8Weights) {}
  dispose(): void {
    if (this.packed >= 0) qk.freePacked(this.packed);
    this.packed = -1;
    this.w.values.dispose();
    this.w.scales.dispose();
    this.w.bias?.dispose();
  }
}

export interface ConvSpec { stride: number[]; padding: number[]; dilation: number[]; groups: number }

class PackedConv extends PackedLayer {
  constructor(w: Int8Weights, readonly spec: ConvSpec) {
    super(w);
    this.packed = qk.packConv(w.values, w.scales, w.bias, spec.stride, spec.padding, spec.dilation, spec.groups);
  }
}

class PackedLinear extends PackedLayer {
  constructor(w: Int8Weights) {
    super(w);
    this.packed = qk.packLinear(w.values, w.scales, w.bias);
  }
}

/**
 * One step of an int8 program. Activations between steps stay quint8; 'float' steps dequantize, run a
 * module with no int8 kernel, and quantize again.
 */
export type Step =
  | { kind: 'conv'; name: string; spec: ConvSpec; relu: boolean; scale: number; zeroPoint: number }
  | { kind: 'linear'; name: string; relu: boolean; scale: number; zeroPoint: number }
  | { kind: 'relu' }
  | { kind: 'maxpool'; kernel: number[]; stride: number[]; padding: number[]; dilation: number[]; ceil: boolean }
  | { kind: 'avgpool'; kernel: number[]; stride: number[]; padding: number[] }
  | { kind: 'adaptiveavgpool'; output: number[] }
  | { kind: 'flatten' }
  | { kind: 'float'; name: string; scale: number; zeroPoint: number };

/**
 * A whole model as an int8 program: quantize the input once, run int8 convolutions, linear layers and
 * pooling on quint8 activations, dequantize the output. Built by `quantize(model, { mode: 'static' })`
 * when the model's forward is a chain of layers (the seeds' CNN, LeNet, MLPs, VGG-style nets).
 */
export class Int8Sequential extends Module {
  private packed = new Map<number, PackedLayer>();
  constructor(readonly input: { scale: number; zeroPoint: number }, readonly steps: Step[], weights: Map<number, Int8Weights>, floats: Record<string, Module>) {
    super();
    steps.forEach((s, i) => {
      if (s.kind === 'conv') this.packed.set(i, new PackedConv(weights.get(i)!, s.spec));
      if (s.kind === 'linear') this.packed.set(i, new PackedLinear(weights.get(i)!));
    });
    for (const [k, m] of Object.entries(floats)) (this as unknown as Record<string, Module>)[k] = m;
  }
  forward(x: Tensor): Tensor {
    let q: QTensor = quantizeAct(x, this.input.scale, this.input.zeroPoint);
    this.steps.forEach((s, i) => {
      const prev = q;
      switch (s.kind) {
        case 'conv': q = qk.conv2d(q, this.packed.get(i)!.packed, s.scale, s.zeroPoint, s.relu); break;
        case 'linear': q = qk.linear(q, this.packed.get(i)!.packed, s.scale, s.zeroPoint, s.relu); break;
        case 'relu': q = qk.relu(q); break;
        case 'maxpool': q = qk.maxPool2d(q, s.kernel, s.stride, s.padding, s.dilation, s.ceil); break;
        case 'avgpool': q = qk.avgPool2d(q, s.kernel, s.stride, s.padding); break;
        case 'adaptiveavgpool': q = qk.adaptiveAvgPool2d(q, s.output); break;
        case 'flatten': q = qk.reshape(q, [q.shape[0], -1]); break;
        case 'float': {
          const m = (this as unknown as Record<string, Module>)[floatKey(s.name)];
          q = tidy(() => quantizeAct(m.forward(dequantize(prev)) as Tensor, s.scale, s.zeroPoint));
          break;
        }
      }
      prev.free();
    });
    const y = dequantize(q);
    q.free();
    return y;
  }
  /** The int8 weights by step index (for saving). */
  int8Weights(): Map<number, Int8Weights> {
    return new Map([...this.packed].map(([i, p]) => [i, p.w]));
  }
  override dispose(): void {
    for (const p of this.packed.values()) p.dispose();
    super.dispose();
  }
  override extraRepr(): string {
    return `int8 ${quantizedEngines().engine}: ${this.steps.map((s) => s.kind + ('relu' in s && s.relu ? '+relu' : '')).join(' → ')}`;
  }
}

const floatKey = (name: string) => `float_${name.replace(/\./g, '_')}`;

/** A Conv2d or Linear run in int8 inside a float model: quantize its input, int8 kernel, dequantize. */
export class Int8Layer extends Module {
  private layer: PackedLayer;
  constructor(readonly kind: 'conv' | 'linear', w: Int8Weights, readonly spec: ConvSpec | null, readonly input: { scale: number; zeroPoint: number }, readonly output: { scale: number; zeroPoint: number }) {
    super();
    this.layer = kind === 'conv' ? new PackedConv(w, spec!) : new PackedLinear(w);
  }
  forward(x: Tensor): Tensor {
    const lead = x.shape.slice(0, -1);
    const flat = this.kind === 'linear' && x.ndim !== 2 ? x.reshape(-1, x.shape[x.ndim - 1]) : x;
    const q = quantizeAct(flat, this.input.scale, this.input.zeroPoint);
    const y = this.kind === 'conv'
      ? qk.conv2d(q, this.layer.packed, this.output.scale, this.output.zeroPoint, false)
      : qk.linear(q, this.layer.packed, this.output.scale, this.output.zeroPoint, false);
    q.free();
    const out = dequantize(y);
    y.free();
    return this.kind === 'linear' && x.ndim !== 2 ? out.reshape(...lead, out.shape[1]) : out;
  }
  get weights(): Int8Weights {
    return this.layer.w;
  }
  override dispose(): void {
    this.layer.dispose();
  }
  override extraRepr(): string {
    return `int8 ${this.kind}`;
  }
}

/** Linear with int8 weights and activations quantized per batch at run time (torch's dynamic quantization). */
export class DynamicInt8Linear extends Module {
  private layer: PackedLinear;
  constructor(w: Int8Weights, readonly inFeatures: number, readonly outFeatures: number) {
    super();
    this.layer = new PackedLinear(w);
  }
  forward(x: Tensor): Tensor {
    if (x.ndim === 2) return qk.linearDynamic(x.contiguous(), this.layer.packed, false);
    return tidy(() => {
      const y = qk.linearDynamic(x.reshape(-1, this.inFeatures), this.layer.packed, false);
      return y.reshape(...x.shape.slice(0, -1), this.outFeatures);
    });
  }
  get weights(): Int8Weights {
    return this.layer.w;
  }
  override dispose(): void {
    this.layer.dispose();
  }
  override extraRepr(): string {
    return `${this.inFeatures}, ${this.outFeatures}, int8 dynamic`;
  }
}

// ---------------------------------------------------------------- tracing

interface Event { name: string; module: Module; input: Tensor | null; output: unknown; nInputs: number }

function leaves(model: Module): [string, Module][] {
  return [...model.namedModules()].filter(([, m]) => m.children().length === 0);
}

/** Runs forward once with hooks on every leaf module; returns the calls in order (inputs and outputs by identity). */
function traceCalls(model: Module, x: Tensor, onEvent?: (i: number, e: Event) => void): { events: Event[]; output: unknown } {
  const events: Event[] = [];
  const removers: (() => void)[] = [];
  for (const [name, m] of leaves(model)) {
    let pending: unknown[] = [];
    removers.push(m.registerForwardPreHook((_, inputs) => { pending = inputs; }));
    removers.push(m.registerForwardHook((_, _inputs, output) => {
      const e: Event = { name, module: m, input: pending[0] instanceof Tensor ? pending[0] : null, output, nInputs: pending.length };
      onEvent?.(events.length, e);
      events.push(e);
    }));
  }
  try {
    const output = model.forward(x);
    return { events, output };
  } finally {
    for (const r of removers) r();
  }
}

function isChain(x: Tensor, events: Event[], output: unknown): boolean {
  if (!events.length || output !== events[events.length - 1].output) return false;
  let prev: unknown = x;
  for (const e of events) {
    if (e.nInputs !== 1 || e.input !== prev) return false;
    prev = e.output;
  }
  return true;
}

// ---------------------------------------------------------------- the transform

export type QuantizeMode = 'dynamic' | 'static' | 'qat';

export interface QuantizeOptions {
  mode: QuantizeMode;
  /** Calibration batches (static): model inputs [N, ...]. */
  calibration?: Iterable<Tensor>;
}

export interface QuantizeReport {
  mode: QuantizeMode;
  engine: string;
  /** 'program' when the whole forward runs as one int8 program; 'per-layer' when int8 layers sit in a float graph. */
  layout: 'program' | 'per-layer' | 'dynamic';
  int8Layers: string[];
  /** Layers left in float, each with the reason. */
  keptFloat: { name: string; type: string; reason: string }[];
  fused: string[];
}

/** The int8 model and what happened to each layer. */
export interface Quantized {
  model: Module;
  report: QuantizeReport;
}

/** Replaces the sub-module at a dotted path. */
function replaceAt(root: Module, path: string, m: Module): void {
  const dot = path.lastIndexOf('.');
  const parent = dot < 0 ? root : ([...root.namedModules()].find(([n]) => n === path.slice(0, dot))?.[1]);
  if (!parent) throw new StrataError('quantize', `no module at '${path}'`);
  (parent as unknown as Record<string, Module>)[dot < 0 ? path : path.slice(dot + 1)] = m;
}

const SKIP = (m: Module) => m instanceof Dropout || m instanceof Identity;
const NO_KERNEL = (m: Module) => !(m instanceof Conv2d || m instanceof Linear || m instanceof ReLU || m instanceof MaxPool2d || m instanceof AvgPool2d || m instanceof AdaptiveAvgPool2d || m instanceof Flatten || m instanceof BatchNorm2d || SKIP(m));

/**
 * Converts a float model to int8 (eval mode; the model's modules are reused, so do not use the float
 * model afterwards). `dynamic`: Linear layers get int8 weights, activations are quantized per batch.
 * `static`: observers record activation ranges over the calibration batches, weights are quantized per
 * output channel, conv+bn(+relu) and linear+relu are fused; a chain of layers becomes one int8 program,
 * any other graph gets int8 Conv2d/Linear layers inside it. Layers with no int8 kernel stay float and
 * are listed in the report. `qat`: pass a model trained with `prepareQat` (its fake-quant observers).
 * @example const { model: q, report } = compress.quantize(model, { mode: 'static', calibration: batches });
 */
export function quantize(model: Module, opts: QuantizeOptions): Quantized {
  const { engine } = quantizedEngines();
  model.eval();
  if (opts.mode === 'dynamic') return quantizeDynamic(model, engine);
  const batches = [...(opts.calibration ?? [])];
  if (!batches.length) throw new StrataError('quantize', `${opts.mode} quantization needs calibration batches (e.g. --calibration-batches 10)`);
  return noGrad(() => quantizeStatic(model, batches, opts.mode, engine));
}

function quantizeDynamic(model: Module, engine: string): Quantized {
  const report: QuantizeReport = { mode: 'dynamic', engine, layout: 'dynamic', int8Layers: [], keptFloat: [], fused: [] };
  for (const [name, m] of [...model.namedModules()]) {
    if (m instanceof Linear) {
      replaceAt(model, name, new DynamicInt8Linear({ ...quantizeWeight(m.weight), bias: m.bias ? keep(m.bias.detach().contiguous()) : null }, m.inFeatures, m.outFeatures));
      report.int8Layers.push(name);
    } else if (m.children().length === 0 && ownParams(m)) {
      report.keptFloat.push({ name, type: m.constructor.name, reason: 'dynamic quantization has int8 kernels for Linear only in strata (LSTM/GRU/conv stay float)' });
    }
  }
  return { model, report };
}

const ownParams = (m: Module) => [...m.namedParameters('', false)].length > 0;

function quantizeStatic(model: Module, batches: Tensor[], mode: QuantizeMode, engine: string): Quantized {
  const report: QuantizeReport = { mode, engine, layout: 'program', int8Layers: [], keptFloat: [], fused: [] };
  const inObs = new MinMaxObserver();
  const outObs: MinMaxObserver[] = [];
  const inputsObs: MinMaxObserver[] = [];
  let events: Event[] = [];
  let chain = true;
  for (const [bi, x] of batches.entries()) {
    tidy(() => {
      inObs.observe(x);
      const t = traceCalls(model, x, (i, e) => {
        if (e.output instanceof Tensor) (outObs[i] ??= new MinMaxObserver()).observe(e.output);
        if (e.input) (inputsObs[i] ??= new MinMaxObserver()).observe(e.input);
      });
      if (bi === 0) {
        events = t.events;
        chain = isChain(x, t.events, t.output);
      }
    });
  }
  const uses = new Map<Module, number>();
  for (const e of events) uses.set(e.module, (uses.get(e.module) ?? 0) + 1);
  const single = (m: Module) => uses.get(m) === 1;

  if (chain) {
    const steps: Step[] = [];
    const weights = new Map<number, Int8Weights>();
    const floats: Record<string, Module> = {};
    for (let i = 0; i < events.length; i++) {
      const { module: m, name } = events[i];
      if (m instanceof Conv2d || m instanceof Linear) {
        let w = m.weight, b = m.bias, last = i;
        let owned = false;
        if (m instanceof Conv2d && events[i + 1]?.module instanceof BatchNorm2d) {
          const f = foldBatchNorm(m, events[i + 1].module as BatchNorm2d);
          w = f.weight; b = f.bias; owned = true; last = i + 1;
          report.fused.push(`${name}+${events[i + 1].name}`);
        }
        const relu = events[last + 1]?.module instanceof ReLU;
        if (relu) { last += 1; report.fused.push(`${name}+${events[last].name}`); }
        const qp = outObs[last].qparams();
        const qw = quantizeWeight(w);
        weights.set(steps.length, { ...qw, bias: b ? keep(noGrad(() => b!.detach().contiguous())) : null });
        if (owned) { w.dispose(); }
        steps.push(m instanceof Conv2d
          ? { kind: 'conv', name, relu, ...qp, spec: { stride: pair(m.opts.stride, 1), padding: convPadding(m), dilation: pair(m.opts.dilation, 1), groups: m.groups } }
          : { kind: 'linear', name, relu, ...qp });
        report.int8Layers.push(name);
        i = last;
      } else if (m instanceof ReLU) steps.push({ kind: 'relu' });
      else if (m instanceof MaxPool2d) {
        const k = pair(m.kernelSize, 1);
        steps.push({ kind: 'maxpool', kernel: k, stride: m.opts.stride == null ? k : pair(m.opts.stride, 1), padding: pair(m.opts.padding, 0), dilation: pair(m.opts.dilation, 1), ceil: !!m.opts.ceilMode });
      } else if (m instanceof AvgPool2d && !m.opts.ceilMode && m.opts.countIncludePad !== false && m.opts.divisorOverride == null) {
        const k = pair(m.kernelSize, 1);
        steps.push({ kind: 'avgpool', kernel: k, stride: m.opts.stride == null ? k : pair(m.opts.stride, 1), padding: pair(m.opts.padding, 0) });
      } else if (m instanceof AdaptiveAvgPool2d && typeof m.outputSize === 'number') steps.push({ kind: 'adaptiveavgpool', output: [m.outputSize, m.outputSize] });
      else if (m instanceof Flatten && m.startDim === 1 && (m.endDim === -1)) steps.push({ kind: 'flatten' });
      else if (SKIP(m)) continue;
      else {
        floats[floatKey(name)] = m;
        steps.push({ kind: 'float', name, ...outObs[i].qparams() });
        report.keptFloat.push({ name, type: m.constructor.name, reason: NO_KERNEL(m) ? 'no int8 kernel for this module type' : 'this configuration has no int8 kernel' });
      }
    }
    return { model: new Int8Sequential(inObs.qparams(), steps, weights, floats), report };
  }

  report.layout = 'per-layer';
  for (let i = 0; i < events.length; i++) {
    const { module: m, name } = events[i];
    if (!(m instanceof Conv2d || m instanceof Linear) || !single(m) || !inputsObs[i]) {
      if (m.children().length === 0 && ownParams(m) && !(m instanceof BatchNorm2d)) report.keptFloat.push({ name, type: m.constructor.name, reason: m instanceof Conv2d || m instanceof Linear ? 'called more than once' : 'no int8 kernel for this module type' });
      continue;
    }
    let w = m.weight, b = m.bias, last = i;
    const next = events[i + 1];
    if (m instanceof Conv2d && next?.module instanceof BatchNorm2d && next.input === events[i].output && single(next.module)) {
      const f = foldBatchNorm(m, next.module);
      w = f.weight; b = f.bias; last = i + 1;
      replaceAt(model, next.name, new Identity());
      report.fused.push(`${name}+${next.name}`);
    }
    const qw = quantizeWeight(w);
    const wts: Int8Weights = { ...qw, bias: b ? keep(noGrad(() => b!.detach().contiguous())) : null };
    const spec = m instanceof Conv2d ? { stride: pair(m.opts.stride, 1), padding: convPadding(m), dilation: pair(m.opts.dilation, 1), groups: m.groups } : null;
    replaceAt(model, name, new Int8Layer(m instanceof Conv2d ? 'conv' : 'linear', wts, spec, inputsObs[i].qparams(), outObs[last].qparams()));
    report.int8Layers.push(name);
    i = last;
  }
  for (const [name, m] of model.namedModules()) {
    if (m instanceof BatchNorm2d) report.keptFloat.push({ name, type: 'BatchNorm2d', reason: 'not directly after a convolution, so not folded' });
  }
  return { model, report };
}
