// The autograd graph: one Node per recorded op, holding what its backward rule saved.
import type { DType } from '../tensor/dtype.js';
import { isFloating } from '../tensor/dtype.js';
import { StrataError } from '../tensor/errors.js';
import type { Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { isGradEnabled } from './grad-mode.js';

/** What a backward rule may read. */
export interface BackwardCtx<A> {
  /** The tensors the forward saved, checked not to have been modified in place since. */
  readonly saved: readonly Tensor[];
  readonly attrs: A;
  /** Shapes and dtypes of the inputs, in forward order. */
  readonly inputs: readonly { shape: Shape; dtype: DType }[];
  /** Whether input i needs a gradient (skip the work when not). */
  needs(i: number): boolean;
}

/** Gradients of the inputs, in forward order; null/undefined where none flows. */
export type InputGrads = readonly (Tensor | null | undefined)[];

/** An op's backward rule (one per op, defined beside its forward). */
export interface OpDef<A = any> {
  readonly name: string;
  /** grads: one per differentiable output (zeros where an output got none). */
  backward(ctx: BackwardCtx<A>, grads: Tensor[]): InputGrads;
}

export function defineOp<A = undefined>(def: OpDef<A>): OpDef<A> {
  return def;
}

export interface Edge {
  node: Node;
  /** Which output of `node` the input tensor was. */
  nr: number;
}

let seqCounter = 0;

export class Node implements BackwardCtx<unknown> {
  readonly seq = seqCounter++;
  /** Present on AccumulateGrad nodes: the leaf whose .grad receives the gradient. */
  leaf: Tensor | null = null;
  saved_: Tensor[] | null;
  private versions: number[];
  constructor(
    readonly def: OpDef,
    readonly next: (Edge | null)[],
    saved: Tensor[],
    readonly attrs: unknown,
    readonly inputs: { shape: Shape; dtype: DType }[],
    readonly outputs: { shape: Shape; dtype: DType }[],
  ) {
    this.saved_ = saved;
    this.versions = saved.map((t) => t._version.v);
  }

  get name(): string {
    return this.def.name;
  }

  get saved(): readonly Tensor[] {
    const s = this.saved_;
    if (s === null) {
      throw new StrataError('backward', `the graph through '${this.def.name}' was already freed by an earlier backward(); pass { retainGraph: true } to the first backward() to go through it twice`);
    }
    for (let i = 0; i < s.length; i++) {
      if (s[i]._version.v !== this.versions[i]) {
        throw new StrataError('backward', `a tensor of shape [${s[i].shape.join(',')}] saved by '${this.def.name}' for backward was modified by an in-place operation (version ${s[i]._version.v}, saved at ${this.versions[i]}); use the out-of-place op or clone() it first`);
      }
      if (s[i].isDisposed) {
        throw new StrataError('backward', `a tensor of shape [${s[i].shape.join(',')}] saved by '${this.def.name}' for backward was disposed; keep it alive (or compute the loss and call backward() inside the same st.tidy)`);
      }
    }
    return s;
  }

  needs(i: number): boolean {
    return this.next[i] !== null;
  }

  release(): void {
    this.saved_ = null;
  }
}

const accumulateDef: OpDef = {
  name: 'AccumulateGrad',
  backward: () => [],
};

/** The AccumulateGrad node of a leaf that requires grad (one per leaf, created on first use). */
export function gradAccumulator(leaf: Tensor): Node {
  let n = leaf._accumulator;
  if (!n) {
    n = new Node(accumulateDef, [], [], undefined, [], [{ shape: leaf.shape, dtype: leaf.dtype }]);
    // NOTE: as in PyTorch's engine, a leaf's gradient is accumulated as soon as it is complete (the
    // highest priority), not after every later-created node: its post-accumulate hooks (DDP's bucket
    // reductions) then start while the rest of backward still runs.
    (n as { seq: number }).seq = Number.MAX_SAFE_INTEGER;
    n.leaf = leaf;
    leaf._accumulator = n;
  }
  return n;
}

function edgeOf(t: Tensor | null): Edge | null {
  if (t === null || !t.requiresGrad) return null;
  if (t.gradFn) return { node: t.gradFn, nr: t._outputNr };
  return { node: gradAccumulator(t), nr: 0 };
}

/** True when an op on these inputs must be recorded. */
export function needsGrad(inputs: readonly (Tensor | null | number)[]): boolean {
  if (!isGradEnabled()) return false;
  for (const t of inputs) if (t !== null && typeof t === 'object' && t.requiresGrad) return true;
  return false;
}

/** Sees every op as it is recorded, gradient or not (what ONNX export traces); null when none. */
export type OpTracer = (name: string, inputs: readonly (Tensor | null | number)[], outputs: readonly Tensor[], saved: readonly Tensor[], attrs: unknown) => void;
let tracer: OpTracer | null = null;

/** Runs fn with `t` seeing every recorded op (nesting restores the previous tracer). */
export function traceOps<R>(t: OpTracer, fn: () => R): R {
  const prev = tracer;
  tracer = t;
  try {
    return fn();
  } finally {
    tracer = prev;
  }
}

/**
 * Records `outputs` as produced by `def` from `inputs` (numbers and nulls are non-differentiable slots).
 * Only floating-point outputs become differentiable. Returns nothing: outputs are mutated in place.
 */
export function record<A>(
  def: OpDef<A>, inputs: readonly (Tensor | null | number)[], outputs: Tensor | readonly Tensor[],
  saved: readonly Tensor[], attrs: A,
): void {
  if (tracer !== null) tracer(def.name, inputs, Array.isArray(outputs) ? (outputs as readonly Tensor[]) : [outputs as Tensor], saved, attrs);
  if (!needsGrad(inputs)) return;
  const outs = Array.isArray(outputs) ? (outputs as readonly Tensor[]) : [outputs as Tensor];
  const next = inputs.map((t) => (typeof t === 'object' ? edgeOf(t) : null));
  const inMeta = inputs.map((t) => (t !== null && typeof t === 'object' ? { shape: t.shape, dtype: t.dtype } : { shape: [], dtype: 'float64' as DType }));
  const outMeta = outs.map((t) => ({ shape: t.shape, dtype: t.dtype }));
  const node = new Node(def as OpDef, next, saved.slice(), attrs, inMeta, outMeta);
  for (let i = 0; i < outs.length; i++) {
    if (!isFloating(outs[i].dtype)) continue;
    outs[i].gradFn = node;
    outs[i]._outputNr = i;
    outs[i].requiresGrad = true;
  }
}

/** Every tensor saved by the graph behind `roots` (used by scopes to keep what backward needs). */
export function* savedTensors(roots: Iterable<Tensor>): Iterable<Tensor> {
  const seen = new Set<Node>();
  const stack: Node[] = [];
  for (const r of roots) if (r.gradFn) stack.push(r.gradFn);
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    if (n.saved_) yield* n.saved_;
    for (const e of n.next) if (e && !seen.has(e.node)) stack.push(e.node);
  }
}
