// Compressed model files: safetensors with int8 weights (I8, per-channel F32 scales) for quantized
// layers and CSR (F32 values, I16/I32 column indices, I32 row pointers) for sparse weights, plus the
// plan that rebuilds the int8 modules. Loads back into the model its config names.
import { existsSync, statSync } from 'node:fs';
import { StrataError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { tensor as makeTensor } from '../ops/index.js';
import { tidy } from '../tensor/memory.js';
import { atomicWrite } from '../io/atomic.js';
import { loadSafetensors, readSafetensorsHeader } from '../io/safetensors.js';
import { Module } from '../nn/module.js';
import { Identity } from '../nn/layers/linear.js';
import { DynamicInt8Linear, Int8Layer, Int8Sequential, type ConvSpec, type Int8Weights, type QuantizeReport, type Step } from './quantize.js';

export const COMPRESSED_FORMAT = 'strata-compressed/1';

type Raw = { dtype: 'F32' | 'I32' | 'I16' | 'I8'; shape: number[]; bytes: Uint8Array };

function raw(t: Tensor, dtype: Raw['dtype']): Raw {
  const d = Array.from(t.data() as ArrayLike<number | bigint>, Number);
  const arr = dtype === 'F32' ? Float32Array.from(d) : dtype === 'I32' ? Int32Array.from(d) : dtype === 'I16' ? Int16Array.from(d) : Int8Array.from(d);
  return { dtype, shape: [...t.shape], bytes: new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength) };
}

const SIZE = { F32: 4, I32: 4, I16: 2, I8: 1 } as const;

function writeFile(path: string, entries: Record<string, Raw>, metadata: Record<string, string>): void {
  const names = Object.keys(entries).sort((a, b) => SIZE[entries[b].dtype] - SIZE[entries[a].dtype] || (a < b ? -1 : 1));
  let off = 0;
  const parts = [`"__metadata__":${JSON.stringify(metadata)}`];
  for (const n of names) {
    const e = entries[n];
    parts.push(`${JSON.stringify(n)}:{"dtype":"${e.dtype}","shape":${JSON.stringify(e.shape)},"data_offsets":[${off},${off + e.bytes.length}]}`);
    off += e.bytes.length;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(json.length / 8) * 8;
  const head = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);
  atomicWrite('saveCompressed', path, (write) => {
    write(head);
    for (const n of names) write(entries[n].bytes);
  });
}

/** Weights at least this sparse are stored as CSR. */
const CSR_MIN_SPARSITY = 0.5;

function toCsr(t: Tensor): { values: Float32Array; cols: Int32Array; rowPtr: Int32Array } | null {
  const rows = t.shape[0], cols = t.numel / rows;
  const d = tidy(() => t.contiguous().data()) as Float32Array;
  let nnz = 0;
  for (const v of d) if (v !== 0) nnz++;
  if (nnz > (1 - CSR_MIN_SPARSITY) * d.length) return null;
  const values = new Float32Array(nnz), ci = new Int32Array(nnz), rowPtr = new Int32Array(rows + 1);
  let k = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = d[r * cols + c];
      if (v !== 0) { values[k] = v; ci[k++] = c; }
    }
    rowPtr[r + 1] = k;
  }
  return { values, cols: ci, rowPtr };
}

function int8Entries(prefix: string, w: Int8Weights, out: Record<string, Raw>): void {
  out[`${prefix}.weight_int8`] = raw(w.values, 'I8');
  out[`${prefix}.weight_scale`] = raw(w.scales, 'F32');
  if (w.bias) out[`${prefix}.bias`] = raw(w.bias, 'F32');
}

interface Plan {
  quant?: { report: QuantizeReport; program?: { input: { scale: number; zeroPoint: number }; steps: Step[] }; layers?: { name: string; kind: 'conv' | 'linear'; spec: ConvSpec | null; input: { scale: number; zeroPoint: number }; output: { scale: number; zeroPoint: number } }[]; dynamic?: { name: string; inFeatures: number; outFeatures: number }[] };
  /** CSR tensors: name → dense shape. */
  csr: Record<string, number[]>;
}

/**
 * Saves a pruned and/or quantized model with its config (as train.saveModel does for dense ones):
 * weights at least half zeros as CSR, int8 layers as I8 values with F32 scales. Atomic.
 */
export function saveCompressed(path: string, model: Module, meta: { config: Record<string, unknown>; epoch?: number; metrics?: Record<string, unknown>; report?: QuantizeReport }): void {
  const entries: Record<string, Raw> = {};
  const plan: Plan = { csr: {} };
  if (model instanceof Int8Sequential) {
    plan.quant = { report: meta.report!, program: { input: model.input, steps: model.steps } };
    for (const [i, w] of model.int8Weights()) int8Entries(`steps.${i}`, w, entries);
  } else {
    for (const [name, m] of model.namedModules()) {
      if (m instanceof Int8Layer) {
        plan.quant ??= { report: meta.report!, layers: [] };
        plan.quant.layers!.push({ name, kind: m.kind, spec: m.spec, input: m.input, output: m.output });
        int8Entries(name, m.weights, entries);
      } else if (m instanceof DynamicInt8Linear) {
        plan.quant ??= { report: meta.report!, dynamic: [] };
        plan.quant.dynamic!.push({ name, inFeatures: m.inFeatures, outFeatures: m.outFeatures });
        int8Entries(name, m.weights, entries);
      }
    }
  }
  for (const [k, t] of Object.entries(model.stateDict())) {
    const csr = t.dtype === 'float32' && t.ndim >= 2 ? toCsr(t) : null;
    if (csr) {
      plan.csr[k] = [...t.shape];
      const colType = t.numel / t.shape[0] <= 32767 ? Int16Array : Int32Array;
      const cols = colType.from(csr.cols);
      entries[`${k}.csr_values`] = { dtype: 'F32', shape: [csr.values.length], bytes: new Uint8Array(csr.values.buffer) };
      entries[`${k}.csr_col_indices`] = { dtype: colType === Int16Array ? 'I16' : 'I32', shape: [cols.length], bytes: new Uint8Array(cols.buffer) };
      entries[`${k}.csr_row_ptr`] = { dtype: 'I32', shape: [csr.rowPtr.length], bytes: new Uint8Array(csr.rowPtr.buffer) };
    } else {
      entries[k] = raw(t, t.dtype === 'float32' ? 'F32' : 'I32');
      if (t.dtype !== 'float32' && t.dtype !== 'int32') {
        // int64 counters (num_batches_tracked) and the like: stored as I32, widened back on load
        plan.csr[`${k}.__int64`] = [...t.shape];
      }
    }
  }
  writeFile(path, entries, {
    format: COMPRESSED_FORMAT,
    config: JSON.stringify(meta.config),
    epoch: String(meta.epoch ?? 0),
    metrics: JSON.stringify(meta.metrics ?? {}),
    plan: JSON.stringify(plan),
  });
}

/** Whether a model file was written by saveCompressed. */
export function isCompressedFile(path: string): boolean {
  if (!existsSync(path)) return false;
  return readSafetensorsHeader(path).metadata?.format === COMPRESSED_FORMAT;
}

/**
 * Loads a file written by saveCompressed: `build(config)` makes the float model (e.g. models.create from
 * the config), then sparse weights are expanded and int8 layers rebuilt from their saved values.
 */
export function loadCompressed(path: string, build: (config: Record<string, unknown>) => Module): { model: Module; config: Record<string, unknown>; metrics: Record<string, unknown>; report: QuantizeReport | null } {
  if (!isCompressedFile(path)) throw new StrataError('loadCompressed', `${path} is not a strata compressed model (format ${COMPRESSED_FORMAT})`);
  const { tensors, metadata } = loadSafetensors(path, { backend: 'native' });
  const config = JSON.parse(metadata.config) as Record<string, unknown>;
  const plan = JSON.parse(metadata.plan) as Plan;
  let model = build(config);
  const sd: Record<string, Tensor> = { ...tensors };
  for (const [k, shape] of Object.entries(plan.csr)) {
    if (k.endsWith('.__int64')) {
      const key = k.slice(0, -8);
      sd[key] = sd[key].to('int64');
      continue;
    }
    const v = sd[`${k}.csr_values`].data() as Float32Array, c = sd[`${k}.csr_col_indices`].data() as Int32Array, rp = sd[`${k}.csr_row_ptr`].data() as Int32Array;
    const cols = shape.slice(1).reduce((a, b) => a * b, 1);
    const dense = new Float32Array(shape[0] * cols);
    for (let r = 0; r < shape[0]; r++) for (let j = rp[r]; j < rp[r + 1]; j++) dense[r * cols + c[j]] = v[j];
    for (const s of ['csr_values', 'csr_col_indices', 'csr_row_ptr']) delete sd[`${k}.${s}`];
    sd[k] = makeTensor(dense, { shape });
  }
  const kept = new Set<Tensor>();
  const take = (p: string): Int8Weights => {
    const w = { values: sd[`${p}.weight_int8`], scales: sd[`${p}.weight_scale`], bias: sd[`${p}.bias`] ?? null };
    delete sd[`${p}.weight_int8`]; delete sd[`${p}.weight_scale`]; delete sd[`${p}.bias`];
    for (const t of [w.values, w.scales, w.bias]) if (t) kept.add(t);
    return w;
  };
  const q = plan.quant;
  const set = (name: string, m: Module) => {
    const dot = name.lastIndexOf('.');
    const parent = dot < 0 ? model : [...model.namedModules()].find(([n]) => n === name.slice(0, dot))![1];
    (parent as unknown as Record<string, Module>)[name.slice(dot + 1)] = m;
  };
  if (q?.program) {
    const floats: Record<string, Module> = {};
    const named = new Map(model.namedModules());
    const weights = new Map<number, Int8Weights>();
    q.program.steps.forEach((s, i) => {
      if (s.kind === 'conv' || s.kind === 'linear') weights.set(i, take(`steps.${i}`));
      if (s.kind === 'float') floats[`float_${s.name.replace(/\./g, '_')}`] = named.get(s.name)!;
    });
    model = new Int8Sequential(q.program.input, q.program.steps, weights, floats);
  }
  for (const l of q?.layers ?? []) set(l.name, new Int8Layer(l.kind, take(l.name), l.spec, l.input, l.output));
  for (const f of q?.report.layout === 'per-layer' ? q.report.fused : []) set(f.split('+')[1], new Identity());
  for (const d of q?.dynamic ?? []) set(d.name, new DynamicInt8Linear(take(d.name), d.inFeatures, d.outFeatures));
  model.loadStateDict(sd);
  for (const t of new Set([...Object.values(tensors), ...Object.values(sd)])) if (!kept.has(t)) t.dispose();
  model.eval();
  return { model, config, metrics: JSON.parse(metadata.metrics ?? '{}') as Record<string, unknown>, report: q?.report ?? null };
}

/** Bytes on disk, sparsity of the float weights and the int8 layers of a model file. */
export function fileStats(path: string): { bytes: number; int8Layers: string[]; csrTensors: string[]; format: string } {
  const h = readSafetensorsHeader(path);
  const plan = h.metadata?.plan ? (JSON.parse(h.metadata.plan) as Plan) : null;
  return {
    bytes: statSync(path).size,
    int8Layers: plan?.quant?.report.int8Layers ?? [],
    csrTensors: Object.keys(plan?.csr ?? {}).filter((k) => !k.endsWith('.__int64')),
    format: h.metadata?.format ?? 'none',
  };
}
