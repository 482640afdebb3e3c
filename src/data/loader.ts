// DataLoader: seeded shuffling into batches of tensors, sync and async iteration, in-process or
// worker-thread batch assembly, and a saveable state for resuming mid-epoch.
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { tensor } from '../ops/creation.js';
import { StrataError } from '../tensor/errors.js';
import { defaultGenerator, Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { cudaDeviceCount, cudaUnavailableReason } from '../backends/native/index.js';
import { TensorDataset } from './tensor-dataset.js';
import { assembleBatch, collateArrays, isBatchField, type ArrayBatch } from './collate.js';
import { permutation, TransformedDataset, type Dataset, type DatasetSpec, type ImageSample } from './dataset.js';
import type { NDArray } from './ndarray.js';
import type { TransformLike } from './transforms.js';

/** The default collate's batch type for samples S: arrays and numbers become Tensors, structure is kept. */
export type Collated<S> = S extends NDArray | number | Tensor
  ? Tensor
  : S extends readonly unknown[]
    ? { -readonly [K in keyof S]: Collated<S[K]> }
    : S extends object
      ? { [K in keyof S]: Collated<S[K]> }
      : never;

export interface DataLoaderOptions<S, B> {
  /** Samples per batch (default 1). */
  batchSize?: number;
  /** Reshuffle every epoch (default false: dataset order). */
  shuffle?: boolean;
  /** Drop the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Draws the epoch order and the per-batch transform seeds. Default: new Generator(seed). */
  generator?: Generator;
  /** Seed for the loader's own generator when none is given (default: drawn from st.defaultGenerator). */
  seed?: number;
  /** Applied to each sample's x (or to the sample itself when it is an NDArray), after the dataset's own. */
  transform?: TransformLike;
  /** Turns a list of samples into a batch (default: stack into tensors, see collateArrays). */
  collate?: (samples: S[]) => B;
  /**
   * Worker threads assembling batches in parallel (default 0: in the main thread). Needs a dataset
   * and transforms with specs (ArrayDataset, the built-in datasets, Subset/ConcatDataset of them and
   * the built-in transforms) and the default collate.
   */
  numWorkers?: number;
  /** Batches prepared ahead per worker (default 2). */
  prefetch?: number;
  /**
   * Put each batch's CPU tensors in page-locked memory, so that copies to a GPU (`x.to('cuda', { nonBlocking:
   * true })`, the Trainer's) run asynchronously and overlap compute (as torch's pin_memory). Ignored, with
   * one warning, where CUDA is unavailable.
   */
  pinMemory?: boolean;
  /**
   * Chooses the indices of each epoch instead of `shuffle` (e.g. distributed.DistributedSampler, one
   * shard per rank); the loader calls `setEpoch(epoch)` before asking for an epoch's indices.
   */
  sampler?: Sampler;
}

/** Which dataset indices an epoch visits, in order (torch.utils.data.Sampler). */
export interface Sampler {
  readonly length: number;
  indices(): Int32Array;
  setEpoch?(epoch: number): void;
}

/** Where a loader is: epoch index, batches already handed out in it, and the generator state at its start. */
export interface LoaderState {
  epoch: number;
  batch: number;
  generator: number[];
}

interface Plan { order: Int32Array; seeds: Uint32Array; numBatches: number }
interface Run { token: number; epoch: number; startState: number[]; yielded: number; plan: Plan; done: boolean }
interface Reply { token: number; k: number; batch?: ArrayBatch; error?: string; op?: string }

let nextToken = 1;
let warnedPin = false;
const isCudaAvailable = (): boolean => cudaDeviceCount() > 0;

/** The batch with its CPU tensors moved to page-locked memory (the originals freed). */
function pinBatch<B>(b: B): B {
  if (b instanceof Tensor) return (b.device.type === 'cpu' && b.backend.pinMemory ? swapPinned(b) : b) as B;
  if (b === null || typeof b !== 'object') return b;
  const out: Record<string, unknown> = Array.isArray(b) ? ([] as unknown as Record<string, unknown>) : {};
  for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = pinBatch(v);
  return out as B;
}
function swapPinned(t: Tensor): Tensor {
  const p = t.pinMemory();
  if (p !== t) t.dispose();
  return p;
}

/**
 * Iterates a dataset in batches of tensors (torch.utils.data.DataLoader).
 * @example
 * const train = new data.FashionMNIST({ train: true, transform: data.compose([data.toTensor(), data.normalize(0.286, 0.353)]) });
 * const loader = new data.DataLoader(train, { batchSize: 64, shuffle: true, seed: 1, numWorkers: 2 });
 * for (const { x, y } of loader) { ... }   // x: [64,1,28,28] float32, y: [64] int64
 * for await (const b of loader) { ... }    // the same batches; the next ones are prepared meanwhile
 */
export class DataLoader<S = ImageSample, B = Collated<S>> implements Iterable<B>, AsyncIterable<B> {
  readonly dataset: Dataset<S>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly numWorkers: number;
  readonly prefetch: number;
  readonly sampler: Sampler | null;
  /** The loader's generator: its state at the start of an epoch fixes that epoch's order and augmentations. */
  readonly generator: Generator;
  private readonly collate: ((samples: S[]) => B) | null;
  /** Whether batches are put in page-locked memory (only where CUDA is available). */
  readonly pinMemory: boolean;
  private nextEpoch = 0;
  private pendingSkip = 0;
  private cur: Run | null = null;
  private pool: WorkerPool | null = null;

  constructor(dataset: Dataset<S>, opts: DataLoaderOptions<S, B> = {}) {
    const op = 'DataLoader';
    if (!dataset || typeof dataset.get !== 'function' || !Number.isInteger(dataset.length)) {
      throw new StrataError(op, 'expected a dataset with length and get(i)');
    }
    this.batchSize = opts.batchSize ?? 1;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new StrataError(op, `batchSize must be a positive integer, got ${opts.batchSize}`);
    this.numWorkers = opts.numWorkers ?? 0;
    if (!Number.isInteger(this.numWorkers) || this.numWorkers < 0) throw new StrataError(op, `numWorkers must be a non-negative integer, got ${opts.numWorkers}`);
    this.prefetch = opts.prefetch ?? 2;
    if (!Number.isInteger(this.prefetch) || this.prefetch < 1) throw new StrataError(op, `prefetch must be a positive integer, got ${opts.prefetch}`);
    this.shuffle = opts.shuffle ?? false;
    this.sampler = opts.sampler ?? null;
    if (this.sampler && this.shuffle) throw new StrataError(op, 'sampler option is mutually exclusive with shuffle (the sampler decides the order; DistributedSampler shuffles itself)');
    this.dropLast = opts.dropLast ?? false;
    this.generator = opts.generator ?? new Generator(opts.seed ?? defaultGenerator.nextU32());
    this.collate = opts.collate ?? null;
    this.pinMemory = opts.pinMemory ?? false;
    if (this.pinMemory && !isCudaAvailable()) {
      this.pinMemory = false;
      if (!warnedPin) {
        warnedPin = true;
        process.emitWarning(`strata: DataLoader pinMemory ignored: ${cudaUnavailableReason()}`);
      }
    }
    if (dataset instanceof TensorDataset) {
      if (opts.transform) throw new StrataError(op, 'a TensorDataset holds finished tensors; apply the transform when making it: TensorDataset.from(dataset, { transform })');
      if (this.numWorkers > 0) throw new StrataError(op, 'a TensorDataset needs no worker threads (each batch is one index-select per field); use numWorkers: 0');
    }
    this.dataset = opts.transform ? new TransformedDataset(dataset, opts.transform) : dataset;
    if (this.numWorkers > 0 && this.collate) {
      throw new StrataError(op, 'numWorkers > 0 needs the default collate (a custom collate function cannot be sent to worker threads); use numWorkers: 0');
    }
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.sampler ? this.sampler.length : this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The index of the epoch being iterated (or, between epochs, of the next one). */
  get epoch(): number {
    return this.cur && !this.cur.done ? this.cur.epoch : this.nextEpoch;
  }

  /**
   * A plain-data state to save in a checkpoint; `loadState` resumes at the next batch with the same order.
   * Once the last batch of an epoch is handed out, the state is already that of the next epoch.
   */
  state(): LoaderState {
    if (this.cur && !this.cur.done && this.cur.yielded < this.cur.plan.numBatches) return { epoch: this.cur.epoch, batch: this.cur.yielded, generator: this.cur.startState.slice() };
    return { epoch: this.nextEpoch, batch: this.pendingSkip, generator: this.generator.getState() };
  }

  /** Restores a `state()`: the next iteration replays that epoch's order and augmentations from batch `s.batch`. */
  loadState(s: LoaderState): void {
    if (!s || !Number.isInteger(s.epoch) || !Number.isInteger(s.batch) || s.batch < 0 || !Array.isArray(s.generator)) {
      throw new StrataError('DataLoader.loadState', 'expected {epoch, batch, generator} from DataLoader.state()');
    }
    if (this.cur && !this.cur.done) this.cur.done = true;
    this.generator.setState(s.generator);
    this.nextEpoch = s.epoch;
    this.pendingSkip = s.batch;
  }

  private plan(): Plan {
    const n = this.dataset.length;
    const g = this.generator;
    this.sampler?.setEpoch?.(this.nextEpoch);
    const order = this.sampler ? this.sampler.indices() : this.shuffle ? permutation(n, g) : Int32Array.from({ length: n }, (_, i) => i);
    const numBatches = this.length;
    const seeds = new Uint32Array(numBatches);
    for (let k = 0; k < numBatches; k++) seeds[k] = g.nextU32();
    return { order, seeds, numBatches };
  }

  private begin(): Run {
    if (this.cur && !this.cur.done) this.cur.done = true;
    const startState = this.generator.getState();
    const plan = this.plan();
    const skip = Math.min(this.pendingSkip, plan.numBatches);
    this.pendingSkip = 0;
    this.cur = { token: nextToken++, epoch: this.nextEpoch++, startState, yielded: skip, plan, done: false };
    return this.cur;
  }

  private indices(plan: Plan, k: number): Int32Array {
    return plan.order.slice(k * this.batchSize, Math.min((k + 1) * this.batchSize, plan.order.length));
  }

  private makeInProcess(run: Run, k: number): B | ArrayBatch {
    const idx = this.indices(run.plan, k);
    if (this.dataset instanceof TensorDataset && !this.collate) return this.dataset.batch(idx) as B;
    if (this.collate) {
      const g = new Generator(run.plan.seeds[k]);
      return this.collate(Array.from(idx, (i) => this.dataset.get(i, g)));
    }
    return assembleBatch(this.dataset as Dataset<unknown>, idx, run.plan.seeds[k]);
  }

  private finish(run: Run, value: B | ArrayBatch, k: number): B {
    run.yielded = k + 1;
    const b = this.collate || this.dataset instanceof TensorDataset ? (value as B) : (toTensors(value as ArrayBatch) as B);
    return this.pinMemory ? pinBatch(b) : b;
  }

  private workers(): WorkerPool {
    if (!this.pool) {
      const spec = this.dataset.toSpec?.() ?? null;
      if (!spec) {
        throw new StrataError('DataLoader', 'numWorkers > 0 needs a dataset worker threads can rebuild: data.ArrayDataset or a built-in dataset (or Subset/ConcatDataset of them) with built-in transforms (custom functions cannot be sent to threads); use numWorkers: 0 for this dataset');
      }
      this.pool = new WorkerPool(spec, this.numWorkers);
    }
    return this.pool;
  }

  private submit(pool: WorkerPool, run: Run, k: number): void {
    if (k < run.plan.numBatches) pool.send(k % this.numWorkers, { token: run.token, k, indices: this.indices(run.plan, k), seed: run.plan.seeds[k] });
  }

  *[Symbol.iterator](): Iterator<B> {
    const run = this.begin();
    const { numBatches } = run.plan;
    try {
      if (this.numWorkers === 0) {
        for (let k = run.yielded; k < numBatches; k++) {
          checkCurrent(run);
          yield this.finish(run, this.makeInProcess(run, k), k);
        }
      } else {
        const pool = this.workers();
        const ahead = this.numWorkers * this.prefetch;
        for (let k = run.yielded; k < Math.min(numBatches, run.yielded + ahead); k++) this.submit(pool, run, k);
        for (let k = run.yielded; k < numBatches; k++) {
          checkCurrent(run);
          const reply = pool.takeSync(k % this.numWorkers, run.token);
          this.submit(pool, run, k + ahead);
          yield this.finish(run, unwrap(reply, k), k);
        }
      }
    } finally {
      run.done = true;
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<B> {
    const run = this.begin();
    const { numBatches } = run.plan;
    try {
      if (this.numWorkers === 0) {
        // NOTE: one batch is assembled ahead in a macrotask, so it overlaps whatever the consumer awaits.
        const ahead = (k: number) => new Promise<B | ArrayBatch>((res, rej) => setImmediate(() => {
          try { res(this.makeInProcess(run, k)); } catch (e) { rej(e); }
        }));
        let next = run.yielded < numBatches ? ahead(run.yielded) : null;
        for (let k = run.yielded; k < numBatches; k++) {
          checkCurrent(run);
          const value = await next!;
          next = k + 1 < numBatches ? ahead(k + 1) : null;
          next?.catch(() => undefined);
          yield this.finish(run, value, k);
        }
      } else {
        const pool = this.workers();
        const ahead = this.numWorkers * this.prefetch;
        for (let k = run.yielded; k < Math.min(numBatches, run.yielded + ahead); k++) this.submit(pool, run, k);
        for (let k = run.yielded; k < numBatches; k++) {
          checkCurrent(run);
          const reply = await pool.takeAsync(k % this.numWorkers, run.token);
          this.submit(pool, run, k + ahead);
          yield this.finish(run, unwrap(reply, k), k);
        }
      }
    } finally {
      run.done = true;
    }
  }

  /** Stops the worker threads (they are unref'd, so a process can also just exit). */
  async close(): Promise<void> {
    const p = this.pool;
    this.pool = null;
    if (p) await p.close();
  }
}

function checkCurrent(run: Run): void {
  if (run.done) {
    throw new StrataError('DataLoader', 'this iteration was superseded: another iteration of the same loader (or loadState) started while it was running; iterate one loader at a time, or make two loaders');
  }
}

function unwrap(reply: Reply, k: number): ArrayBatch {
  if (reply.error !== undefined) throw reply.op ? new StrataError(reply.op, reply.error) : new StrataError('DataLoader', `batch ${k} failed in a worker thread: ${reply.error}`);
  return reply.batch!;
}

/** Creates the tensors of a collated batch on the current backend (one st.tensor per field). */
export function toTensors(b: ArrayBatch): unknown {
  if (isBatchField(b)) return tensor(b.data, { dtype: b.dtype, shape: b.shape });
  if (Array.isArray(b)) return b.map(toTensors);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(b)) out[k] = toTensors(v);
  return out;
}

/** The default collate as a function: samples → tensors (for custom collates that post-process it). */
export function defaultCollate<S>(samples: S[]): Collated<S> {
  return toTensors(collateArrays(samples)) as Collated<S>;
}

interface Slot { worker: Worker; port: MessagePort; queue: Reply[]; waiter: ((r: Reply) => void) | null; dead: string | null }

/** Worker threads with one result port each; replies are taken in order per worker, sync or async. */
class WorkerPool {
  private readonly slots: Slot[];
  /** [0, n): per-worker reply counters (Atomics.wait targets); [n, 2n): exit flags set by the workers. */
  private readonly signal: Int32Array;

  constructor(spec: DatasetSpec, n: number) {
    this.signal = new Int32Array(new SharedArrayBuffer(8 * n));
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--test'));
    this.slots = [];
    for (let id = 0; id < n; id++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(new URL('./worker.js', import.meta.url), {
        workerData: { spec, port: port2, signal: this.signal, id, numWorkers: n },
        transferList: [port2],
        execArgv,
      });
      const slot: Slot = { worker, port: port1, queue: [], waiter: null, dead: null };
      const deliver = (r: Reply) => {
        const w = slot.waiter;
        if (w) {
          slot.waiter = null;
          w(r);
        } else slot.queue.push(r);
      };
      port1.on('message', deliver);
      port1.unref();
      worker.on('error', (e) => {
        slot.dead = `worker ${id} failed: ${e.message}`;
        deliver({ token: 0, k: -1, error: slot.dead });
      });
      worker.on('exit', (code) => {
        slot.dead ??= `worker ${id} exited (code ${code})`;
        deliver({ token: 0, k: -1, error: slot.dead });
      });
      worker.unref();
      this.slots.push(slot);
    }
    // wait for each worker's ready reply, so a dataset that cannot be rebuilt fails here, by name
    for (let id = 0; id < n; id++) unwrapReady(this.takeSync(id, -1, 120_000));
  }

  send(id: number, task: { token: number; k: number; indices: Int32Array; seed: number }): void {
    this.slots[id].worker.postMessage(task);
  }

  private poll(s: Slot): Reply | undefined {
    return s.queue.shift() ?? (receiveMessageOnPort(s.port)?.message as Reply | undefined);
  }

  /** Blocks (Atomics.wait) until worker `id` replies for `token`; stale replies of abandoned epochs are dropped. */
  takeSync(id: number, token: number, timeoutMs = Infinity): Reply {
    const s = this.slots[id], n = this.slots.length;
    const t0 = Date.now();
    for (;;) {
      const seen = Atomics.load(this.signal, id);
      const r = this.poll(s);
      if (r) {
        if (r.token === token || r.token === 0) return r;
        continue;
      }
      if (s.dead || Atomics.load(this.signal, n + id)) return { token, k: -1, error: s.dead ?? `worker ${id} exited` };
      if (Date.now() - t0 > timeoutMs) return { token, k: -1, error: `worker ${id} did not start within ${timeoutMs / 1000} s` };
      Atomics.wait(this.signal, id, seen, 1000);
    }
  }

  async takeAsync(id: number, token: number): Promise<Reply> {
    const s = this.slots[id];
    for (;;) {
      let r = this.poll(s);
      if (!r) {
        if (s.dead) return { token, k: -1, error: s.dead };
        s.port.ref();
        try {
          r = await new Promise<Reply>((res) => { s.waiter = res; });
        } finally {
          s.port.unref();
        }
      }
      if (r.token === token || r.token === 0) return r;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map(async (s) => {
      s.port.close();
      await s.worker.terminate();
    }));
  }
}

function unwrapReady(r: Reply): void {
  if (r.error !== undefined) {
    throw r.op ? new StrataError(r.op, r.error) : new StrataError('DataLoader', `a worker thread could not start: ${r.error}`);
  }
}
