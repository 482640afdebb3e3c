// DistributedDataParallel: rank 0's weights broadcast at start, gradients averaged across ranks in buckets
// that are all-reduced while backward still runs (PyTorch's reducer), noSync for gradient accumulation.
import { queueBackwardCallback, registerPostAccumulateGradHook } from '../autograd/engine.js';
import { isGradEnabled, noGrad } from '../autograd/grad-mode.js';
import { Module } from '../nn/module.js';
import { tensor, zeros } from '../ops/creation.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { keep } from '../tensor/memory.js';
import type { Tensor } from '../tensor/tensor.js';
import { allGather, allReduceCoalesced, broadcast, getRank, getWorldSize, isInitialized, type Work } from './process-group.js';

export interface DDPOptions {
  /** Bucket size in MiB (default 25, as PyTorch's bucket_cap_mb). */
  bucketCapMb?: number;
  /** Copy rank 0's buffers (batch norm running statistics) to every rank before each forward (default true). */
  broadcastBuffers?: boolean;
}

interface Bucket {
  params: Tensor[];
  /** index in `params` of each parameter of this bucket */
  index: Map<Tensor, number>;
  ready: boolean[];
  readyCount: number;
  work: Work | null;
  /** gradients handed to the collective (zeros for parameters that got none on this rank) */
  grads: Tensor[];
  /** 1 where this rank produced the gradient; summed across ranks: > 0 where any rank did */
  used: Tensor | null;
}

/** The shapes of parameters as numbers, to compare across ranks: [ndim, d0..d5] per parameter. */
const SIG = 7;

/**
 * Data-parallel training over the default process group (torch.nn.parallel.DistributedDataParallel).
 * At construction every rank checks that all ranks hold the same parameter shapes and receives rank 0's
 * parameters and buffers. During backward, gradients are all-reduced in buckets of ~25 MiB in reverse
 * parameter order as soon as a bucket's gradients are complete, overlapping the rest of backward; when
 * backward returns, every `.grad` holds the average over ranks. Parameters that get no gradient on some
 * rank in a step contribute zeros (no hang); one that gets none on every rank keeps `.grad` unchanged.
 * State-dict keys carry the `module.` prefix, as PyTorch's do.
 * @example
 * await st.distributed.initProcessGroup();
 * const ddp = new st.nn.DistributedDataParallel(model);
 * const loss = crossEntropy(ddp.forward(x), y); loss.backward(); opt.step();
 */
export class DistributedDataParallel extends Module {
  readonly module: Module;
  private readonly buckets: Bucket[];
  private readonly bucketOf = new Map<Tensor, Bucket>();
  private readonly removers: (() => void)[] = [];
  private readonly broadcastBuffers: boolean;
  private syncEnabled = true;
  private armed = false;
  private queued = false;
  private nextBucket = 0;

  constructor(module: Module, opts: DDPOptions = {}) {
    super();
    const op = 'DistributedDataParallel';
    if (!isInitialized()) throw new StrataError(op, 'the default process group is not initialised; call await st.distributed.initProcessGroup() first (or run under strata launch)');
    this.module = module;
    this.broadcastBuffers = opts.broadcastBuffers ?? true;
    const cap = (opts.bucketCapMb ?? 25) * 1024 * 1024;
    if (!(cap > 0)) throw new StrataError(op, `bucketCapMb must be positive, got ${opts.bucketCapMb}`);
    const named = [...module.namedParameters()].filter(([, p]) => p.requiresGrad);
    verifyShapes(op, named);
    // rank 0's weights everywhere
    noGrad(() => {
      for (const [, p] of module.namedParameters()) broadcast(p, 0).waitSync();
      for (const [, b] of module.namedBuffers()) broadcast(b, 0).waitSync();
    });
    // buckets: reverse parameter order, one dtype per bucket, up to `cap` bytes each
    this.buckets = [];
    let cur: Tensor[] = [];
    let bytes = 0;
    const flush = () => {
      if (!cur.length) return;
      this.buckets.push({ params: cur, index: new Map(cur.map((p, i) => [p, i])), ready: cur.map(() => false), readyCount: 0, work: null, grads: [], used: null });
      cur = [];
      bytes = 0;
    };
    for (let i = named.length - 1; i >= 0; i--) {
      const p = named[i][1];
      const b = p.numel * (p.dtype === 'float64' || p.dtype === 'int64' ? 8 : 4);
      if (cur.length && (bytes + b > cap || cur[0].dtype !== p.dtype)) flush();
      cur.push(p);
      bytes += b;
    }
    flush();
    for (const b of this.buckets) for (const p of b.params) this.bucketOf.set(p, b);
    for (const [, p] of named) this.removers.push(registerPostAccumulateGradHook(p, (leaf) => this.onGradReady(leaf)));
  }

  /** Number of gradient buckets (for inspection and tests). */
  get numBuckets(): number {
    return this.buckets.length;
  }

  forward(...args: unknown[]): unknown {
    if (this.training && this.broadcastBuffers && getWorldSize() > 1) {
      noGrad(() => {
        for (const [, b] of this.module.namedBuffers()) broadcast(b, 0).waitSync();
      });
    }
    this.armed = this.training && this.syncEnabled && isGradEnabled();
    return (this.module as unknown as { forward(...a: unknown[]): unknown }).forward(...args);
  }

  /**
   * Runs `fn` (forward and backward of micro-batches) without all-reducing gradients: they accumulate
   * locally, and the next backward outside noSync reduces the sum (torch DDP's no_sync()).
   */
  noSync<R>(fn: () => R): R {
    const prev = this.syncEnabled;
    this.syncEnabled = false;
    try {
      return fn();
    } finally {
      this.syncEnabled = prev;
    }
  }

  /** Removes the gradient hooks (the wrapped module keeps working alone). */
  override dispose(): void {
    for (const r of this.removers) r();
    this.removers.length = 0;
  }

  private onGradReady(p: Tensor): void {
    if (!this.armed || !this.syncEnabled) return;
    if (!this.queued) {
      this.queued = true;
      queueBackwardCallback(() => this.finish());
    }
    const b = this.bucketOf.get(p)!;
    const i = b.index.get(p)!;
    if (b.ready[i]) return;
    b.ready[i] = true;
    b.readyCount++;
    this.launchReady(false);
  }

  /** Launches buckets in index order (the same order on every rank) while the next one is complete. */
  private launchReady(force: boolean): void {
    while (this.nextBucket < this.buckets.length) {
      const b = this.buckets[this.nextBucket];
      if (!force && b.readyCount < b.params.length) return;
      this.launch(b);
      this.nextBucket++;
    }
  }

  private launch(b: Bucket): void {
    const dtype = b.params[0].dtype;
    b.grads = b.params.map((p, i) => {
      const g = b.ready[i] && p.grad && !p.grad.isDisposed ? p.grad : null;
      return g ?? keep(zeros(p.shape, { dtype, backend: p.backend }));
    });
    b.used = keep(tensor(b.ready.map((r) => (r ? 1 : 0)), { dtype, backend: b.params[0].backend }));
    b.work = allReduceCoalesced([...b.grads, b.used], 'avg');
  }

  /** End of backward: reduce what is left (parameters without gradients as zeros), wait for every bucket. */
  private finish(): void {
    this.launchReady(true);
    let error: unknown = null;
    for (const b of this.buckets) {
      try {
        b.work?.waitSync();
      } catch (e) {
        error ??= e;
      }
    }
    for (const b of this.buckets) {
      const used = error ? null : b.used!.data();
      b.params.forEach((p, i) => {
        const g = b.grads[i];
        if (g === p.grad) return;
        // a gradient made here for a parameter this rank did not reach: it becomes .grad where some rank reached it
        if (used && used[i] > 0) p.grad = g;
        else g.dispose();
      });
      b.used?.dispose();
      b.used = null;
      b.grads = [];
      b.work = null;
      b.ready.fill(false);
      b.readyCount = 0;
    }
    this.nextBucket = 0;
    this.queued = false;
    this.armed = false;
    if (error) throw error;
  }

  override extraRepr(): string {
    return `worldSize=${getWorldSize()}, rank=${getRank()}, buckets=${this.buckets.length}`;
  }
}

/** Every rank must hold the same parameters (count and shapes): checked at start, the mismatch named. */
function verifyShapes(op: string, named: [string, Tensor][]): void {
  const world = getWorldSize();
  if (world === 1) return;
  const count = tensor([named.length], { dtype: 'float64', backend: 'native' });
  const wc = allGather(count);
  wc.waitSync();
  const counts = wc.result.map((t) => t.item());
  count.dispose();
  for (const t of wc.result) t.dispose();
  const bad = counts.findIndex((c) => c !== named.length);
  if (bad >= 0) {
    throw new StrataError(op, `model mismatch across ranks: rank ${getRank()} has ${named.length} trainable parameters, rank ${bad} has ${counts[bad]}; every rank must build the same model`);
  }
  const sig = new Float64Array(named.length * SIG);
  named.forEach(([, p], i) => {
    sig[i * SIG] = p.ndim;
    p.shape.slice(0, SIG - 1).forEach((d, k) => { sig[i * SIG + 1 + k] = d; });
  });
  const mine = tensor(sig, { dtype: 'float64', backend: 'native' });
  const w = allGather(mine);
  w.waitSync();
  const all = w.result.map((t) => t.data() as Float64Array);
  mine.dispose();
  for (const t of w.result) t.dispose();
  for (let r = 0; r < world; r++) {
    for (let i = 0; i < named.length; i++) {
      const same = sig.subarray(i * SIG, i * SIG + SIG).every((v, k) => v === all[r][i * SIG + k]);
      if (!same) {
        const theirs = Array.from(all[r].subarray(i * SIG + 1, i * SIG + 1 + all[r][i * SIG]));
        throw new StrataError(op, `model mismatch across ranks: parameter '${named[i][0]}' has shape ${fmtShape(named[i][1].shape)} on rank ${getRank()} but ${fmtShape(theirs)} on rank ${r}; every rank must build the same model`);
      }
    }
  }
}
