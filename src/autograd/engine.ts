// Reverse-mode backward pass: dependency counting, then nodes in decreasing creation order.
import { StrataError, fmtShape } from '../tensor/errors.js';
import { isFloating } from '../tensor/dtype.js';
import { shapesEqual } from '../tensor/shape.js';
import { currentScope, keep, tidy } from '../tensor/memory.js';
import type { Tensor } from '../tensor/tensor.js';
import { isGradEnabled, setGradEnabled } from './grad-mode.js';
import type { Node } from './graph.js';
import { gradAccumulator } from './graph.js';
import * as ops from '../ops/index.js';

export interface BackwardOptions {
  /** Keep the saved tensors so the graph can be walked again. */
  retainGraph?: boolean;
  /** Record the backward pass itself, for higher-order gradients. */
  createGraph?: boolean;
}

type GradHook = (leaf: Tensor) => void;
const postAccumulateHooks = new WeakMap<Tensor, GradHook[]>();
let backwardCallbacks: (() => void)[] | null = null;

/**
 * Runs `hook(leaf)` each time a backward pass has finished accumulating `leaf.grad`
 * (torch.Tensor.register_post_accumulate_grad_hook); returns a function that removes it.
 * DistributedDataParallel uses it to start reducing a bucket while backward still runs.
 */
export function registerPostAccumulateGradHook(leaf: Tensor, hook: GradHook): () => void {
  const hs = postAccumulateHooks.get(leaf) ?? [];
  hs.push(hook);
  postAccumulateHooks.set(leaf, hs);
  return () => {
    const cur = postAccumulateHooks.get(leaf);
    if (cur) postAccumulateHooks.set(leaf, cur.filter((h) => h !== hook));
  };
}

/**
 * Runs `fn` once the backward pass now running has finished (PyTorch's engine queue_callback); called
 * outside a backward pass, it throws.
 */
export function queueBackwardCallback(fn: () => void): void {
  if (!backwardCallbacks) throw new StrataError('queueBackwardCallback', 'no backward pass is running');
  backwardCallbacks.push(fn);
}

/** A max-heap of nodes by sequence number: later ops run first. */
class NodeHeap {
  private a: Node[] = [];
  get size(): number { return this.a.length; }
  push(n: Node): void {
    const a = this.a;
    a.push(n);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p].seq >= a[i].seq) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop(): Node {
    const a = this.a, top = a[0], last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && a[l].seq > a[m].seq) m = l;
        if (r < a.length && a[r].seq > a[m].seq) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Runs backward from `roots` (seeded with `grads`). Leaf gradients accumulate into `.grad`, unless
 * `capture` is given: then the gradients of exactly those tensors are returned (as `st.grad`).
 */
export function runBackward(
  roots: readonly Tensor[], grads: readonly Tensor[], opts: BackwardOptions = {}, capture?: readonly Tensor[],
): (Tensor | null)[] | undefined {
  const createGraph = opts.createGraph ?? false;
  const retain = opts.retainGraph ?? createGraph;
  for (const r of roots) {
    if (!r.requiresGrad) throw new StrataError('backward', `tensor of shape ${fmtShape(r.shape)} does not require grad and has no grad_fn; set requiresGrad on the inputs you differentiate with respect to`);
  }
  // capture targets: the node and output slot whose incoming gradient is wanted
  const captureAt = new Map<Node, Map<number, number>>();
  if (capture) {
    capture.forEach((t, i) => {
      if (!t.requiresGrad) throw new StrataError('grad', `input ${i} of shape ${fmtShape(t.shape)} does not require grad`);
      const node = t.gradFn ?? gradAccumulator(t);
      const slot = t.gradFn ? t._outputNr : 0;
      if (!captureAt.has(node)) captureAt.set(node, new Map());
      captureAt.get(node)!.set(slot, i);
    });
  }
  const captured: (Tensor | null)[] = capture ? capture.map(() => null) : [];

  const prevMode = isGradEnabled();
  setGradEnabled(createGraph);
  try {
    const run = () => {
      const scope = currentScope();
      const handedOut = new Map<Tensor, number>();
      // A gradient tensor this pass made, that is not a view and that no other consumer received.
      const owned = (g: Tensor) => g._scope === scope && !g._isView && handedOut.get(g) === 1 && !createGraph;
      // 1. dependencies: how many edges reach each node from the part of the graph being walked
      const deps = new Map<Node, number>();
      const rootNodes: Node[] = [];
      for (const r of roots) rootNodes.push(r.gradFn ?? gradAccumulator(r));
      const stack = [...rootNodes];
      const seen = new Set<Node>(rootNodes);
      while (stack.length) {
        const n = stack.pop()!;
        for (const e of n.next) {
          if (!e) continue;
          deps.set(e.node, (deps.get(e.node) ?? 0) + 1);
          if (!seen.has(e.node)) {
            seen.add(e.node);
            stack.push(e.node);
          }
        }
      }
      // 2. seed the roots
      const buffers = new Map<Node, (Tensor | null)[]>();
      const accumulate = (n: Node, slot: number, g: Tensor) => {
        let buf = buffers.get(n);
        if (!buf) {
          buf = new Array(n.outputs.length).fill(null);
          buffers.set(n, buf);
        }
        const prev = buf[slot];
        handedOut.set(g, (handedOut.get(g) ?? 0) + 1);
        buf[slot] = prev === null ? g : ops.add(prev, g);
      };
      roots.forEach((r, i) => accumulate(rootNodes[i], r.gradFn ? r._outputNr : 0, grads[i]));
      const ready = new NodeHeap();
      for (const n of new Set(rootNodes)) if (!deps.get(n)) ready.push(n);
      // 3. walk
      while (ready.size) {
        const n = ready.pop();
        const buf = buffers.get(n) ?? [];
        buffers.delete(n);
        const slots = captureAt.get(n);
        if (slots) for (const [slot, i] of slots) captured[i] = buf[slot] ?? null;
        if (n.leaf) {
          if (!capture) {
            accumulateLeaf(n.leaf, buf[0] ?? null, createGraph, owned);
            const hs = postAccumulateHooks.get(n.leaf);
            if (hs && buf[0]) for (const h of hs) h(n.leaf);
          }
          continue;
        }
        const present = buf.find((g) => g);
        // NOTE: a node that received no gradient contributes none: its inputs' gradients are zero.
        const inGrads = present
          ? n.def.backward(n, n.outputs.map((o, i) => buf[i] ?? ops.zeros(o.shape, { dtype: o.dtype, backend: present.backend })))
          : [];
        if (!retain) n.release();
        for (let i = 0; i < n.next.length; i++) {
          const e = n.next[i];
          if (!e) continue;
          const g = inGrads[i];
          if (g) {
            const want = n.inputs[i].shape;
            if (!shapesEqual(g.shape, want)) {
              throw new StrataError('backward', `internal: the rule of '${n.def.name}' returned a gradient of shape ${fmtShape(g.shape)} for input ${i} of shape ${fmtShape(want)}`);
            }
            accumulate(e.node, e.nr, g.dtype === n.inputs[i].dtype ? g : ops.cast(g, n.inputs[i].dtype));
          }
          const d = deps.get(e.node)! - 1;
          deps.set(e.node, d);
          if (d === 0) ready.push(e.node);
        }
      }
      return capture ? keep(captured) : undefined;
    };
    // Intermediate gradients are released when the pass ends; leaf grads are kept by their leaves.
    const outer = backwardCallbacks;
    const callbacks: (() => void)[] = [];
    backwardCallbacks = callbacks;
    let result: (Tensor | null)[] | undefined;
    try {
      result = tidy(run);
    } finally {
      backwardCallbacks = outer;
    }
    for (const cb of callbacks) cb();
    return result;
  } finally {
    setGradEnabled(prevMode);
  }
}

function accumulateLeaf(leaf: Tensor, g: Tensor | null, createGraph: boolean, owned: (g: Tensor) => boolean): void {
  if (g === null) return;
  if (!isFloating(leaf.dtype)) return;
  const cur = leaf.grad;
  if (cur === null || cur.isDisposed) {
    // NOTE: .grad must not share storage with anything else (a seed gradient, a view, a gradient a rule
    // passed to two inputs), or the next in-place accumulation would change both: steal only what we own.
    leaf.grad = keep(owned(g) ? g : ops.clone(g));
  } else if (createGraph || cur.requiresGrad) {
    leaf.grad = keep(ops.add(cur, g));
  } else {
    ops.addInPlace(cur, g);
  }
}
