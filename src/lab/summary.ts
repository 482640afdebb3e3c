// Model summaries: per-layer output shape, parameters and multiply-adds, with totals (as torchinfo/torchvision count).
import { noGrad } from '../autograd/grad-mode.js';
import { zeros } from '../ops/creation.js';
import { observeMacs } from '../ops/observe.js';
import { ITEMSIZE } from '../tensor/dtype.js';
import { tidy } from '../tensor/memory.js';
import { numel } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Module } from '../nn/module.js';

export interface LayerRow {
  /** Dotted path of the module ('' for the model itself). */
  name: string;
  type: string;
  depth: number;
  /** Output shape for one sample (batch dim dropped), or null when the output is not a tensor. */
  outputShape: number[] | null;
  /** Parameters owned directly by this module. */
  params: number;
  /** Multiply-adds of convolutions, linear layers and matmuls run directly in this module, per sample. */
  macs: number;
}

export interface Summary {
  rows: LayerRow[];
  /** Unique parameter elements. */
  params: number;
  trainableParams: number;
  /** Multiply-adds per sample of convolution, linear and matmul ops, attention's q·kᵀ and weights·v included (torchvision's convention). */
  macs: number;
  /** Output elements of the other leaf layers (norms, activations, pooling) per sample, reported apart. */
  otherOps: number;
  /** Bytes of every leaf layer's output for one sample (the activations a forward keeps). */
  activationBytes: number;
  /** Bytes of parameters and buffers. */
  weightBytes: number;
  inputShape: number[];
}

/**
 * Runs one forward pass on zeros of [batch, ...inputShape] in eval mode and records every module.
 * @example st.lab.summary(model, [3, 224, 224]).macs
 */
export function summary(model: Module, inputShape: readonly number[], opts: { batch?: number; input?: () => Tensor } = {}): Summary {
  const batch = opts.batch ?? 1;
  const named = [...model.namedModules()];
  const nameOf = new Map(named.map(([n, m]) => [m, n]));
  const rows: LayerRow[] = [];
  const rowOf = new Map<Module, LayerRow>();
  const stack: Module[] = [];
  const removers: (() => void)[] = [];
  for (const [name, m] of named) {
    const isLeaf = m.children().length === 0;
    removers.push(m.registerForwardPreHook((mod) => {
      stack.push(mod);
      if (!rowOf.has(mod)) {
        const own = [...mod.namedParameters('', false)].reduce((s, [, p]) => s + p.numel, 0);
        const row: LayerRow = { name, type: mod.constructor.name, depth: name ? name.split('.').length : 0, outputShape: null, params: own, macs: 0 };
        rowOf.set(mod, row);
        if (isLeaf || own > 0 || mod === model) rows.push(row);
        else (row as LayerRow & { hidden?: boolean }).hidden = true;
      }
    }));
    removers.push(m.registerForwardHook((mod, _in, out) => {
      stack.pop();
      const row = rowOf.get(mod)!;
      if (out instanceof Tensor) row.outputShape = out.shape.slice(1);
    }));
  }
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => tidy(() => {
      const x = opts.input ? opts.input() : zeros([batch, ...inputShape], { backend: model.parameters()[0]?.backend });
      observeMacs((_op, macs) => {
        const top = stack[stack.length - 1];
        const row = top ? rowOf.get(top)! : null;
        if (!row) return;
        row.macs += macs / batch;
        // a container that multiply-adds directly (attention, residual projections) gets its own row
        if ((row as LayerRow & { hidden?: boolean }).hidden) {
          delete (row as LayerRow & { hidden?: boolean }).hidden;
          rows.push(row);
        }
      }, () => model.forward(x));
    }));
  } finally {
    for (const r of removers) r();
    model.train(wasTraining);
  }
  void nameOf;
  const leafRows = rows.filter((r) => r.name === '' ? false : true);
  const params = model.parameters();
  const macs = rows.reduce((s, r) => s + r.macs, 0);
  let otherOps = 0, activationBytes = 0;
  const dtypeBytes = ITEMSIZE[params[0]?.dtype ?? 'float32'];
  for (const r of leafRows) {
    if (!r.outputShape) continue;
    const n = numel(r.outputShape);
    activationBytes += n * dtypeBytes;
    if (r.macs === 0) otherOps += n;
  }
  const weightBytes = params.reduce((s, p) => s + p.numel * ITEMSIZE[p.dtype], 0) + model.buffers().reduce((s, b) => s + b.numel * ITEMSIZE[b.dtype], 0);
  return {
    rows: rows.filter((r) => r.name !== ''),
    params: params.reduce((s, p) => s + p.numel, 0),
    trainableParams: params.reduce((s, p) => s + (p.requiresGrad ? p.numel : 0), 0),
    macs: Math.round(macs),
    otherOps,
    activationBytes,
    weightBytes,
    inputShape: inputShape.slice(),
  };
}

function human(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(3)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}
function bytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

/** The summary as a table (what `strata summary` prints). */
export function formatSummary(s: Summary, title = 'model'): string {
  const lines: [string, string, string, string, string][] = [['layer', 'type', 'output shape', 'params', 'mult-adds']];
  for (const r of s.rows) {
    lines.push(['  '.repeat(Math.max(0, r.depth - 1)) + r.name, r.type, r.outputShape ? `[${r.outputShape.join(', ')}]` : '-', r.params ? r.params.toLocaleString('en-US') : '-', r.macs ? r.macs.toLocaleString('en-US') : '-']);
  }
  const w = [0, 1, 2, 3, 4].map((i) => Math.max(...lines.map((l) => l[i].length)));
  const fmt = (l: string[]) => l.map((c, i) => (i >= 3 ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ');
  const rule = '-'.repeat(w.reduce((a, b) => a + b + 2, -2));
  return [
    `${title}: input [${s.inputShape.join(', ')}]`,
    rule, fmt(lines[0]), rule, ...lines.slice(1).map(fmt), rule,
    `parameters:            ${s.params.toLocaleString('en-US')} (${s.trainableParams.toLocaleString('en-US')} trainable)`,
    `multiply-adds:         ${s.macs.toLocaleString('en-US')} (${human(s.macs)}) per sample: convolutions, linear layers and matmuls (attention's q·kᵀ and weights·v included)`,
    `other layer outputs:   ${human(s.otherOps)} elements (norms, activations, pooling; not in mult-adds)`,
    `activation memory:     ${bytes(s.activationBytes)} per sample`,
    `weight memory:         ${bytes(s.weightBytes)}`,
  ].join('\n');
}
