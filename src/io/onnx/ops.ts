// The op table of ONNX export: strata op name → a function adding ONNX nodes and returning the names of the
// op's outputs. registerOnnxOp is the extension point (e.g. src/compress's int8 ops as QuantizeLinear /
// DequantizeLinear pairs).
import { StrataError, fmtShape } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { GraphBuilder } from './export.js';
import { isTensor, type TracedOp } from './trace.js';

/** Adds the nodes for one traced op; returns the ONNX names of op.outputs (in order). */
export type OnnxOpMapping = (g: GraphBuilder, op: TracedOp) => string[];

const table = new Map<string, OnnxOpMapping>();

/** Maps strata op `name` (the name autograd records) to ONNX nodes; replaces an existing mapping. */
export function registerOnnxOp(name: string, mapping: OnnxOpMapping): void {
  table.set(name, mapping);
}
export function opMapping(name: string): OnnxOpMapping | undefined {
  return table.get(name);
}
/** The strata ops that export maps. */
export function onnxOps(): string[] {
  return [...table.keys()].sort();
}

function tensorIn(op: TracedOp, i: number): Tensor {
  const x = op.inputs[i];
  if (!isTensor(x)) throw new StrataError('onnx.exportModel', `op '${op.name}' in module '${op.module}': expected a tensor as operand ${i}`);
  return x;
}
const v = (g: GraphBuilder, op: TracedOp, i: number): string => g.value(tensorIn(op, i));
const unsupported = (op: TracedOp, what: string): never => {
  throw new StrataError('onnx.exportModel', `op '${op.name}' in module '${op.module || '(the model itself)'}': ${what} has no ONNX mapping yet`);
};
const stem = (op: TracedOp): string => (op.module ? `${op.module}.${op.name}` : op.name);

// ---------------------------------------------------------------- elementwise

/** A binary op: numbers become scalar constants of the tensor operand's dtype. */
function binary(onnx: string): OnnxOpMapping {
  return (g, op) => {
    const t = op.inputs.find(isTensor) as Tensor;
    const dtype = t.dtype === 'float64' ? 'float64' : t.dtype === 'int64' ? 'int64' : 'float32';
    const operand = (x: Tensor | number | null): string => (isTensor(x) ? g.value(x) : g.constant([x as number], dtype, [], 'scalar'));
    return g.node(onnx, [operand(op.inputs[0]), operand(op.inputs[1])], 1, {}, stem(op));
  };
}
registerOnnxOp('add', binary('Add'));
registerOnnxOp('sub', binary('Sub'));
registerOnnxOp('mul', binary('Mul'));
registerOnnxOp('div', binary('Div'));
registerOnnxOp('pow', binary('Pow'));
registerOnnxOp('maximum', binary('Max'));
registerOnnxOp('minimum', binary('Min'));

const unary = (onnx: string): OnnxOpMapping => (g, op) => g.node(onnx, [v(g, op, 0)], 1, {}, stem(op));
for (const [s, o] of [['relu', 'Relu'], ['sigmoid', 'Sigmoid'], ['tanh', 'Tanh'], ['exp', 'Exp'], ['log', 'Log'], ['neg', 'Neg'], ['abs', 'Abs'], ['sqrt', 'Sqrt'], ['erf', 'Erf']] as const) {
  registerOnnxOp(s, unary(o));
}
registerOnnxOp('silu', (g, op) => {
  const x = v(g, op, 0);
  return g.node('Mul', [x, g.node('Sigmoid', [x])[0]], 1, {}, stem(op));
});
// NOTE: ONNX's Gelu arrives in opset 20; opset 17 spells it out: 0.5·x·(1 + erf(x/√2)), tanh form likewise.
registerOnnxOp('gelu', (g, op) => {
  const x = v(g, op, 0);
  const e = g.node('Erf', [g.node('Div', [x, g.constant([Math.SQRT2], 'float32', [])])[0]])[0];
  const onePlus = g.node('Add', [e, g.constant([1], 'float32', [])])[0];
  return g.node('Mul', [g.node('Mul', [x, onePlus])[0], g.constant([0.5], 'float32', [])], 1, {}, stem(op));
});
registerOnnxOp('geluTanh', (g, op) => {
  const x = v(g, op, 0);
  const c = (n: number) => g.constant([n], 'float32', []);
  const x3 = g.node('Mul', [g.node('Mul', [x, x])[0], x])[0];
  const inner = g.node('Mul', [g.node('Add', [x, g.node('Mul', [x3, c(0.044715)])[0]])[0], c(Math.sqrt(2 / Math.PI))])[0];
  const onePlus = g.node('Add', [g.node('Tanh', [inner])[0], c(1)])[0];
  return g.node('Mul', [g.node('Mul', [x, onePlus])[0], c(0.5)], 1, {}, stem(op));
});
registerOnnxOp('clamp', (g, op) => {
  const { min, max } = op.attrs as { min: number | null; max: number | null };
  const c = (n: number | null) => (n === null || n === undefined || !Number.isFinite(n) ? '' : g.constant([n], 'float32', []));
  return g.node('Clip', [v(g, op, 0), c(min), c(max)], 1, {}, stem(op));
});
registerOnnxOp('leakyRelu', (g, op) => g.node('LeakyRelu', [v(g, op, 0)], 1, { alpha: { float: (op.attrs as { slope: number }).slope } }, stem(op)));
registerOnnxOp('softmax', (g, op) => {
  const { dim, log } = op.attrs as { dim: number; log: boolean };
  return g.node(log ? 'LogSoftmax' : 'Softmax', [v(g, op, 0)], 1, { axis: dim }, stem(op));
});

// ---------------------------------------------------------------- layers

registerOnnxOp('convolution', (g, op) => {
  const a = op.attrs as { stride: number[]; padding: number[]; dilation: number[]; transposed: boolean; outputPadding: number[]; groups: number; hasBias: boolean };
  const w = tensorIn(op, 1);
  const ins = [v(g, op, 0), g.value(w), ...(a.hasBias ? [v(g, op, 2)] : [])];
  const attrs = {
    kernel_shape: w.shape.slice(2), strides: a.stride, pads: [...a.padding, ...a.padding], dilations: a.dilation, group: a.groups,
    ...(a.transposed ? { output_padding: a.outputPadding } : {}),
  };
  return g.node(a.transposed ? 'ConvTranspose' : 'Conv', ins, 1, attrs, stem(op));
});

registerOnnxOp('linear', (g, op) => {
  const x = tensorIn(op, 0), w = tensorIn(op, 1);
  const hasBias = (op.attrs as { hasBias: boolean }).hasBias;
  if (x.ndim === 2) return g.node('Gemm', [g.value(x), g.value(w), ...(hasBias ? [v(g, op, 2)] : [])], 1, { transB: 1 }, stem(op));
  const wt = g.node('Transpose', [g.value(w)], 1, { perm: [1, 0] })[0];
  if (!hasBias) return g.node('MatMul', [g.value(x), wt], 1, {}, stem(op));
  return g.node('Add', [g.node('MatMul', [g.value(x), wt])[0], v(g, op, 2)], 1, {}, stem(op));
});
registerOnnxOp('matmul', (g, op) => g.node('MatMul', [v(g, op, 0), v(g, op, 1)], 1, {}, stem(op)));

registerOnnxOp('batchNorm', (g, op) => {
  const a = op.attrs as { hasWeight: boolean; hasBias: boolean; training: boolean; eps: number; c: number };
  if (a.training) unsupported(op, 'batch norm with batch statistics (a BatchNorm without running statistics, or training mode)');
  const x = tensorIn(op, 0);
  const [mean, variance] = op.saved.slice(-2);
  const dtype = x.dtype === 'float64' ? 'float64' : 'float32';
  const scale = a.hasWeight ? v(g, op, 1) : g.constant(new Array<number>(a.c).fill(1), dtype, [a.c]);
  const bias = a.hasBias ? v(g, op, 2) : g.constant(new Array<number>(a.c).fill(0), dtype, [a.c]);
  return g.node('BatchNormalization', [g.value(x), scale, bias, g.value(mean), g.value(variance)], 1, { epsilon: { float: a.eps } }, stem(op));
});

registerOnnxOp('layerNorm', (g, op) => {
  const a = op.attrs as { hasWeight: boolean; hasBias: boolean; normalizedShape: number[]; eps: number };
  const x = tensorIn(op, 0);
  const n = a.normalizedShape.reduce((p, q) => p * q, 1);
  const dtype = x.dtype === 'float64' ? 'float64' : 'float32';
  const scale = a.hasWeight ? v(g, op, 1) : g.constant(new Array<number>(n).fill(1), dtype, a.normalizedShape);
  const ins = [g.value(x), scale, ...(a.hasBias ? [v(g, op, 2)] : [])];
  return g.node('LayerNormalization', ins, 1, { axis: -a.normalizedShape.length, epsilon: { float: a.eps } }, stem(op));
});

registerOnnxOp('maxPool2d', (g, op) => {
  const a = op.attrs as { kernel: number[]; stride: number[]; padding: number[]; dilation: number[]; ceilMode: boolean };
  const x = tensorIn(op, 0);
  if (x.ndim !== 4) unsupported(op, `max pooling over ${fmtShape(x.shape)}`);
  return g.node('MaxPool', [g.value(x)], 1, { kernel_shape: a.kernel, strides: a.stride, pads: [...a.padding, ...a.padding], dilations: a.dilation, ceil_mode: a.ceilMode ? 1 : 0 }, stem(op));
});
registerOnnxOp('avgPool2d', (g, op) => {
  const a = op.attrs as { kernel: number[]; stride: number[]; padding: number[]; ceilMode: boolean; countIncludePad: boolean; divisorOverride: number | null };
  if (a.divisorOverride) unsupported(op, 'average pooling with divisorOverride');
  return g.node('AveragePool', [v(g, op, 0)], 1, { kernel_shape: a.kernel, strides: a.stride, pads: [...a.padding, ...a.padding], ceil_mode: a.ceilMode ? 1 : 0, count_include_pad: a.countIncludePad ? 1 : 0 }, stem(op));
});
registerOnnxOp('adaptiveAvgPool2d', (g, op) => {
  const x = tensorIn(op, 0), y = op.outputs[0];
  const [h, w] = x.shape.slice(-2), [oh, ow] = y.shape.slice(-2);
  if (oh === 1 && ow === 1) return g.node('GlobalAveragePool', [g.value(x)], 1, {}, stem(op));
  if (h === oh && w === ow) return g.node('Identity', [g.value(x)], 1, {}, stem(op));
  if (h % oh === 0 && w % ow === 0) return g.node('AveragePool', [g.value(x)], 1, { kernel_shape: [h / oh, w / ow], strides: [h / oh, w / ow] }, stem(op));
  // NOTE: from 1×1 the adaptive average is a copy to every output cell (VGG's 7×7 pool on small inputs)
  if (h === 1 && w === 1) return g.node('Expand', [g.value(x), g.constant([1, 1, oh, ow])], 1, {}, stem(op));
  return unsupported(op, `adaptive average pooling from ${h}×${w} to ${oh}×${ow} (not a whole-number ratio)`);
});

// ---------------------------------------------------------------- shapes

registerOnnxOp('reshape', (g, op) => g.node('Reshape', [v(g, op, 0), g.shapeValue(op.outputs[0].shape)], 1, {}, stem(op)));
registerOnnxOp('expand', (g, op) => g.node('Expand', [v(g, op, 0), g.shapeValue(op.outputs[0].shape)], 1, {}, stem(op)));
registerOnnxOp('permute', (g, op) => {
  const inverse = (op.attrs as { inverse: number[] }).inverse;
  const perm = new Array<number>(inverse.length);
  inverse.forEach((p, i) => { perm[p] = i; });
  return g.node('Transpose', [v(g, op, 0)], 1, { perm }, stem(op));
});
registerOnnxOp('slice', (g, op) => {
  const a = op.attrs as { dim: number; start: number; end: number; step: number };
  return g.node('Slice', [v(g, op, 0), g.constant([a.start]), g.constant([a.end]), g.constant([a.dim]), g.constant([a.step])], 1, {}, stem(op));
});
/** torch-style pads (last dim first: [left, right, top, bottom…]) → ONNX's [begin per dim…, end per dim…]. */
registerOnnxOp('pad', (g, op) => {
  const { pads, value } = op.attrs as { pads: number[]; value: number };
  const x = tensorIn(op, 0);
  const begin = new Array<number>(x.ndim).fill(0), end = new Array<number>(x.ndim).fill(0);
  for (let k = 0; k < pads.length / 2; k++) {
    begin[x.ndim - 1 - k] = pads[2 * k];
    end[x.ndim - 1 - k] = pads[2 * k + 1];
  }
  const dtype = x.dtype === 'float64' ? 'float64' : x.dtype === 'int64' ? 'int64' : 'float32';
  return g.node('Pad', [g.value(x), g.constant([...begin, ...end]), g.constant([value ?? 0], dtype, [])], 1, { mode: 'constant' }, stem(op));
});
registerOnnxOp('cat', (g, op) => g.node('Concat', op.inputs.filter(isTensor).map((t) => g.value(t)), 1, { axis: (op.attrs as { dim: number }).dim }, stem(op)));
registerOnnxOp('mean', (g, op) => {
  const a = op.attrs as { dims: number[]; keepdim: boolean };
  return g.node('ReduceMean', [v(g, op, 0)], 1, { axes: a.dims, keepdims: a.keepdim ? 1 : 0 }, stem(op));
});
registerOnnxOp('sum', (g, op) => {
  const a = op.attrs as { dims: number[]; keepdim: boolean };
  return g.node('ReduceSum', [v(g, op, 0), g.constant(a.dims)], 1, { keepdims: a.keepdim ? 1 : 0 }, stem(op));
});

// ---------------------------------------------------------------- attention

/** x [N, T, P, H, d] → P values [N, H, T, d] (packed q, k, v split into heads). */
registerOnnxOp('splitPackedHeads', (g, op) => {
  const x = tensorIn(op, 0);
  const p = x.shape[2];
  const t = g.node('Transpose', [g.value(x)], 1, { perm: [2, 0, 3, 1, 4] })[0];
  const parts = g.node('Split', [t], p, { axis: 0 });
  return parts.map((s) => g.node('Squeeze', [s, g.constant([0])], 1, {}, stem(op))[0]);
});
/** softmax(q·kᵀ·scale [+ causal mask]) · v; the weights output (when asked) is the softmax. */
registerOnnxOp('scaledDotProductAttention', (g, op) => {
  const a = op.attrs as { scale: number; causal: boolean; weights: boolean; dropoutP: number };
  if (op.inputs[3] !== null && op.inputs[3] !== undefined) unsupported(op, 'attention with a mask tensor');
  const q = tensorIn(op, 0), k = tensorIn(op, 1);
  const r = k.ndim;
  const perm = [...Array(r).keys()];
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  const kt = g.node('Transpose', [g.value(k)], 1, { perm })[0];
  let scores = g.node('Mul', [g.node('MatMul', [g.value(q), kt])[0], g.constant([a.scale], 'float32', [])])[0];
  if (a.causal) {
    const L = q.shape[q.ndim - 2], S = k.shape[k.ndim - 2];
    const mask: number[] = [];
    for (let i = 0; i < L; i++) for (let j = 0; j < S; j++) mask.push(j > i + (S - L) ? -Infinity : 0);
    scores = g.node('Add', [scores, g.constant(mask, 'float32', [L, S])])[0];
  }
  const probs = g.node('Softmax', [scores], 1, { axis: -1 })[0];
  const out = g.node('MatMul', [probs, v(g, op, 2)], 1, {}, stem(op))[0];
  return a.weights ? [out, probs] : [out];
});
