// ONNX export: trace one forward pass, map each op to ONNX nodes (ops.ts), weights as initializers, and encode
// the ModelProto with protobufjs. `st.onnx.exportModel(model, [x], 'model.onnx', { dynamicBatch: true })`.
import { writeFileAtomic } from '../atomic.js';
import type { Module } from '../../nn/module.js';
import { StrataError, fmtShape } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { VERSION } from '../../info.js';
import { ATTR, ONNX_DTYPE, encodeModel } from './proto.js';
import { traceForward, isTensor, type TracedOp } from './trace.js';
import { opMapping } from './ops.js';

export interface ExportOptions {
  /** ONNX opset; 17 (the default) is the one supported. */
  opset?: number;
  /** Names of the graph inputs (default 'input', then 'input_1'…). */
  inputNames?: string[];
  /** Names of the graph outputs (default 'logits', then 'output_1'…). */
  outputNames?: string[];
  /** Dim 0 of every input and output is a symbolic 'batch' (default true). */
  dynamicBatch?: boolean;
  /** The model's name in the file (graph.name). */
  name?: string;
}

export type AttrValue = number | number[] | string | { float: number } | { floats: number[] };

/** What an op mapping sees: the names of values, and ways to add nodes and constants. */
export class GraphBuilder {
  readonly nodes: Record<string, unknown>[] = [];
  readonly initializers: Record<string, unknown>[] = [];
  private names = new Map<Tensor, string>();
  private used = new Set<string>();
  private counter = 0;
  private batchName: string | null = null;
  constructor(
    private readonly paramNames: Map<Tensor, string>,
    readonly dynamicBatch: boolean,
    /** The graph's first input (its dim 0 is the batch). */
    readonly firstInput: { name: string; shape: number[] },
  ) {}

  /** A fresh value name with this stem. */
  fresh(stem: string): string {
    let n = stem.replace(/[^A-Za-z0-9_.:/-]/g, '_') || 'v';
    if (this.used.has(n)) n = `${n}_${this.counter++}`;
    while (this.used.has(n)) n = `${stem}_${this.counter++}`;
    this.used.add(n);
    return n;
  }

  /** Binds a traced tensor to an ONNX value name. */
  bind(t: Tensor, name: string): void {
    this.names.set(t, name);
    this.used.add(name);
  }

  /** The ONNX value of a tensor operand: a graph value when traced, else an initializer (parameters by state-dict key). */
  value(t: Tensor): string {
    const n = this.names.get(t);
    if (n !== undefined) return n;
    const key = this.paramNames.get(t);
    const name = this.fresh(key ?? 'const');
    this.initializers.push(tensorProto(name, t));
    this.names.set(t, name);
    return name;
  }

  /** A constant from numbers: a Constant node, so that the initializers are the model's tensors alone. */
  constant(values: number[], dtype: 'float32' | 'int64' | 'float64' = 'int64', shape: number[] = [values.length], stem = 'const'): string {
    const name = this.fresh(stem);
    const bytes = dtype === 'int64' ? new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer)
      : dtype === 'float64' ? new Uint8Array(Float64Array.from(values).buffer) : new Uint8Array(Float32Array.from(values).buffer);
    const value = { name, dims: shape, data_type: ONNX_DTYPE[dtype], raw_data: bytes };
    this.nodes.push({ op_type: 'Constant', name: this.fresh(`${stem}_node`), input: [], output: [name], attribute: [{ name: 'value', type: ATTR.TENSOR, t: value }] });
    return name;
  }

  /** Adds a node; returns its output names (`outputs` fresh ones when a count). */
  node(opType: string, inputs: string[], outputs: string[] | number = 1, attrs: Record<string, AttrValue> = {}, stem = opType): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(stem)) : outputs;
    this.nodes.push({ op_type: opType, name: this.fresh(`${stem}_node`), input: inputs, output: outs, attribute: Object.entries(attrs).map(([k, v]) => attrProto(k, v)) });
    return outs;
  }

  /** A 1-D int64 value holding the batch size of the first input (for shapes under a dynamic batch). */
  batchDim(): string {
    if (this.batchName) return this.batchName;
    const [shape] = this.node('Shape', [this.firstInput.name], 1, {}, 'input_shape');
    this.batchName = this.node('Slice', [shape, this.constant([0]), this.constant([1])], 1, {}, 'batch')[0];
    return this.batchName;
  }

  /**
   * A shape operand for Reshape/Expand: `shape` with dim 0 following the batch when it is the traced batch
   * size and the batch is dynamic (and a constant otherwise).
   */
  shapeValue(shape: readonly number[]): string {
    if (!this.dynamicBatch || shape.length === 0 || shape[0] !== this.firstInput.shape[0]) return this.constant([...shape]);
    if (shape.length === 1) return this.batchDim();
    return this.node('Concat', [this.batchDim(), this.constant(shape.slice(1))], 1, { axis: 0 }, 'shape')[0];
  }
}

function attrProto(name: string, v: AttrValue): Record<string, unknown> {
  if (typeof v === 'number') return { name, type: ATTR.INT, i: v };
  if (typeof v === 'string') return { name, type: ATTR.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: ATTR.INTS, ints: v };
  if ('float' in v) return { name, type: ATTR.FLOAT, f: v.float };
  return { name, type: ATTR.FLOATS, floats: v.floats };
}

function tensorProto(name: string, t: Tensor): Record<string, unknown> {
  const dt = ONNX_DTYPE[t.dtype];
  if (dt === undefined) throw new StrataError('onnx.exportModel', `no ONNX data type for ${t.dtype} (tensor ${name} ${fmtShape(t.shape)})`);
  const data = t.contiguous().data() as ArrayBufferView;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  return { name, dims: [...t.shape], data_type: dt, raw_data: bytes };
}

function valueInfo(name: string, t: Tensor, dynamicBatch: boolean): Record<string, unknown> {
  const dt = ONNX_DTYPE[t.dtype];
  if (dt === undefined) throw new StrataError('onnx.exportModel', `no ONNX data type for the graph value ${name} (${t.dtype})`);
  const dim = t.shape.map((d, i) => (i === 0 && dynamicBatch ? { dim_param: 'batch' } : { dim_value: d }));
  return { name, type: { tensor_type: { elem_type: dt, shape: { dim } } } };
}

/** Outputs of a forward: a tensor, or an array / object of tensors (in order). */
function outputTensors(out: unknown): Tensor[] {
  if (isTensor(out)) return [out];
  if (Array.isArray(out) && out.every(isTensor)) return out;
  if (out && typeof out === 'object' && Object.values(out).every(isTensor)) return Object.values(out) as Tensor[];
  throw new StrataError('onnx.exportModel', `the model's forward returned ${Array.isArray(out) ? 'an array with non-tensors' : typeof out}; export needs a tensor or an array of tensors`);
}

/** The ops the outputs depend on, in trace order (ops whose results nothing uses are dropped). */
function live(ops: TracedOp[], outputs: Tensor[]): TracedOp[] {
  const producer = new Map<Tensor, number>();
  ops.forEach((op, i) => op.outputs.forEach((t) => producer.set(t, i)));
  const keep = new Set<number>();
  const stack = outputs.map((t) => producer.get(t)).filter((i): i is number => i !== undefined);
  while (stack.length) {
    const i = stack.pop()!;
    if (keep.has(i)) continue;
    keep.add(i);
    for (const x of ops[i].inputs) if (isTensor(x) && producer.has(x)) stack.push(producer.get(x)!);
  }
  return ops.filter((_, i) => keep.has(i));
}

/** Traces `model` on `exampleInputs` and returns the ONNX ModelProto's bytes (see exportModel). */
export function exportModelBuffer(model: Module, exampleInputs: Tensor | Tensor[], options: ExportOptions = {}): Uint8Array {
  const opset = options.opset ?? 17;
  if (opset !== 17) throw new StrataError('onnx.exportModel', `opset ${opset} is not supported; strata exports opset 17 (pass --opset 17 or leave it out)`);
  const xs = Array.isArray(exampleInputs) ? exampleInputs : [exampleInputs];
  if (!xs.length || !xs.every(isTensor)) throw new StrataError('onnx.exportModel', 'exampleInputs must be a tensor or a non-empty array of tensors (one per forward argument)');
  const dynamicBatch = options.dynamicBatch ?? true;
  const wasTraining = model.training;
  model.eval();
  try {
    const { ops, output, inputs } = traceForward(model, xs);
    const outs = outputTensors(output);
    const paramNames = new Map<Tensor, string>();
    for (const [k, t] of Object.entries(model.stateDict())) paramNames.set(t, k);
    const inNames = inputs.map((_, i) => options.inputNames?.[i] ?? (i === 0 ? 'input' : `input_${i}`));
    const outNames = outs.map((_, i) => options.outputNames?.[i] ?? (i === 0 ? 'logits' : `output_${i}`));
    const g = new GraphBuilder(paramNames, dynamicBatch, { name: inNames[0], shape: [...inputs[0].shape] });
    inputs.forEach((t, i) => g.bind(t, inNames[i]));
    for (const n of outNames) g.fresh(n);
    const outIndex = new Map<Tensor, number>();
    outs.forEach((t, i) => { if (!outIndex.has(t)) outIndex.set(t, i); });
    for (const op of live(ops, outs)) {
      const map = opMapping(op.name);
      if (!map) {
        const shapes = op.inputs.map((x) => (isTensor(x) ? fmtShape(x.shape) : String(x))).join(', ');
        throw new StrataError('onnx.exportModel', `no ONNX mapping for op '${op.name}' (inputs ${shapes}) in module '${op.module || '(the model itself)'}' (${moduleType(model, op.module)}); register one with st.onnx.registerOnnxOp('${op.name}', …) or export a model without it`);
      }
      const names = map(g, op);
      op.outputs.forEach((t, i) => { if (names[i] !== undefined) g.bind(t, names[i]); });
    }
    // graph outputs: an Identity into each output name (the value may also feed other nodes)
    outs.forEach((t, i) => {
      if (inputs.includes(t)) throw new StrataError('onnx.exportModel', `output ${i} is an input passed through unchanged; nothing to export`);
      g.node('Identity', [g.value(t)], [outNames[i]]);
    });
    const model_ = {
      ir_version: 8,
      producer_name: 'strata',
      producer_version: VERSION,
      opset_import: [{ domain: '', version: opset }],
      graph: {
        name: options.name ?? model.constructor.name,
        node: g.nodes,
        initializer: g.initializers,
        input: inputs.map((t, i) => valueInfo(inNames[i], t, dynamicBatch)),
        output: outs.map((t, i) => valueInfo(outNames[i], t, dynamicBatch)),
      },
    };
    return encodeModel(model_);
  } finally {
    model.train(wasTraining);
  }
}

function moduleType(model: Module, path: string): string {
  for (const [n, m] of model.namedModules()) if (n === path) return m.constructor.name;
  return '?';
}

/**
 * Exports a model to an ONNX file (opset 17): one forward pass on `exampleInputs` is traced in eval mode,
 * each op mapped to ONNX nodes, parameters and buffers written as initializers named by their state-dict keys.
 * Inputs are named 'input' (then 'input_1'…), outputs 'logits'; dim 0 is a symbolic 'batch' unless
 * `dynamicBatch: false`. An op without a mapping is an error naming the op and its module.
 * @example
 * st.onnx.exportModel(model, st.randn([1, 3, 224, 224]), 'resnet18.onnx');
 */
export function exportModel(model: Module, exampleInputs: Tensor | Tensor[], path: string, options: ExportOptions = {}): void {
  const bytes = exportModelBuffer(model, exampleInputs, options);
  writeFileAtomic(path, bytes);
}
