// DataLoader: batches from a dataset with seeded shuffling, drop-last, transforms, and worker-thread prefetching.
import { Worker } from 'node:worker_threads';
import { StrataError } from '../tensor/errors.js';
import { Generator as Rng, defaultGenerator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { tensor } from '../ops/creation.js';
import { ArrayDataset, ImageSubset, type Dataset, type ImageSource } from './dataset.js';
import { assemble, type RawImages } from './batch.js';
import { outputShape, type TransformSpec } from './transforms.js';

export interface Batch {
  x: Tensor;
  y: Tensor;
}

export interface DataLoaderOptions<S> {
  batchSize?: number;
  shuffle?: boolean;
  dropLast?: boolean;
  /** Shuffling and augmentation randomness (default: a generator seeded from the default one). */
  generator?: Rng;
  /** Per-sample image transforms (image datasets only). */
  transforms?: TransformSpec[];
  /** Builds a batch from samples (datasets that are not image sources need one). */
  collate?: (samples: S[]) => Batch;
  /** Worker threads assembling batches ahead (image datasets held in memory). 0: in the main thread. */
  numWorkers?: number;
  /** Batches prepared ahead per worker. */
  prefetch?: number;
}

function isImageSource(d: unknown): d is ImageSource {
  return typeof (d as ImageSource).fill === 'function' && Array.isArray((d as ImageSource).shape);
}

const sharedCache = new WeakMap<object, { images: SharedArrayBuffer; labels: SharedArrayBuffer; u8: boolean }>();

/**
 * Iterates over a dataset in batches of tensors on the current backend, as torch.utils.data.DataLoader.
 * Sync (`for … of`) and async (`for await … of`, with workers when numWorkers > 0) iteration give the
 * same batches for the same generator state.
 * @example
 * const loader = new DataLoader(FashionMNIST({ train: true }), { batchSize: 64, shuffle: true });
 * for (const { x, y } of loader) { … }
 */
export class DataLoader<S = unknown> implements Iterable<Batch>, AsyncIterable<Batch> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly generator: Rng;
  readonly transforms: TransformSpec[];
  /** Epochs started so far. */
  epoch = 0;
  private workers: Worker[] = [];

  constructor(readonly dataset: Dataset<S>, readonly opts: DataLoaderOptions<S> = {}) {
    this.batchSize = opts.batchSize ?? 1;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new StrataError('DataLoader', `batchSize must be a positive integer, got ${opts.batchSize}`);
    this.shuffle = opts.shuffle ?? false;
    this.dropLast = opts.dropLast ?? false;
    this.generator = opts.generator ?? new Rng(defaultGenerator.nextSeed());
    this.transforms = opts.transforms ?? [];
    if (!isImageSource(dataset) && !opts.collate) throw new StrataError('DataLoader', 'this dataset is not an image dataset: pass a collate function that builds {x, y} from samples');
    if (this.transforms.length && !isImageSource(dataset)) throw new StrataError('DataLoader', 'transforms apply to image datasets; transform samples in your dataset or collate instead');
    if (isImageSource(dataset)) outputShape(this.transforms, dataset.shape);
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The shuffling state, to resume a run with the same data order. */
  stateDict(): { epoch: number; generator: number[] } {
    return { epoch: this.epoch, generator: this.generator.getState() };
  }
  loadStateDict(s: { epoch: number; generator: number[] }): void {
    this.epoch = s.epoch;
    this.generator.setState(s.generator);
  }

  /** Draws the epoch's order and augmentation seed (advancing the generator once per epoch). */
  private startEpoch(): { order: Int32Array; seed: number } {
    this.epoch++;
    const n = this.dataset.length;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    if (this.shuffle) {
      for (let i = n - 1; i > 0; i--) {
        const j = this.generator.randint(0, i + 1);
        const t = order[i]; order[i] = order[j]; order[j] = t;
      }
    }
    return { order, seed: this.generator.nextU32() };
  }

  private *batchIndices(order: Int32Array): IterableIterator<Int32Array> {
    for (let s = 0; s < order.length; s += this.batchSize) {
      const idx = order.subarray(s, Math.min(order.length, s + this.batchSize));
      if (idx.length < this.batchSize && this.dropLast) return;
      yield idx;
    }
  }

  private toBatch(x: Float32Array, y: Int32Array, n: number): Batch {
    const shape = outputShape(this.transforms, (this.dataset as unknown as ImageSource).shape);
    return {
      x: tensor(x.subarray(0, n * shape[0] * shape[1] * shape[2]), { shape: [n, ...shape] }),
      y: tensor(y.subarray(0, n), { dtype: 'int64' }),
    };
  }

  [Symbol.iterator](): Iterator<Batch> {
    const { order, seed } = this.startEpoch();
    const ds = this.dataset;
    const it = this.batchIndices(order);
    let batch = 0;
    const raw = rawImages(ds);
    const shape = isImageSource(ds) ? outputShape(this.transforms, ds.shape) : null;
    const x = shape ? new Float32Array(this.batchSize * shape[0] * shape[1] * shape[2]) : null;
    const y = new Int32Array(this.batchSize);
    return {
      next: (): IteratorResult<Batch> => {
        const r = it.next();
        if (r.done) return { done: true, value: undefined };
        const idx = r.value;
        if (raw) {
          assemble(raw, idx, this.transforms, seed, batch++, x!, y);
          return { done: false, value: this.toBatch(x!, y, idx.length) };
        }
        if (isImageSource(ds) && !this.opts.collate) {
          for (let b = 0; b < idx.length; b++) y[b] = ds.fill(idx[b], x!, b * (x!.length / this.batchSize));
          batch++;
          return { done: false, value: this.toBatch(x!, y, idx.length) };
        }
        batch++;
        return { done: false, value: this.opts.collate!(Array.from(idx, (i) => ds.get(i))) };
      },
    };
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Batch> {
    const workers = this.opts.numWorkers ?? 0;
    const raw = rawImages(this.dataset);
    if (workers <= 0 || !raw) {
      for (const b of this) {
        yield b;
        // let other tasks (timers, I/O, progress output) run between batches
        await new Promise((r) => setImmediate(r));
      }
      return;
    }
    yield* this.workerBatches(raw, workers);
  }

  private async *workerBatches(raw: RawImages, n: number): AsyncGenerator<Batch> {
    const { order, seed } = this.startEpoch();
    const shape = outputShape(this.transforms, raw.shape);
    const xSize = this.batchSize * shape[0] * shape[1] * shape[2] * 4;
    this.ensureWorkers(raw, n);
    const ahead = n * (this.opts.prefetch ?? 2);
    const batches = [...this.batchIndices(order)];
    const slots = Array.from({ length: ahead }, () => ({ x: new SharedArrayBuffer(xSize), y: new SharedArrayBuffer(this.batchSize * 4) }));
    const pending = new Map<number, Promise<void>>();
    const submit = (b: number) => {
      const slot = slots[b % ahead];
      const w = this.workers[b % n];
      pending.set(b, new Promise<void>((resolve, reject) => {
        const onMsg = (m: { id: number; error?: string }) => {
          if (m.id !== b) return;
          w.off('message', onMsg);
          if (m.error) reject(new StrataError('DataLoader', `worker failed on batch ${b}: ${m.error}`));
          else resolve();
        };
        w.on('message', onMsg);
        w.postMessage({ job: { id: b, indices: batches[b].slice(), seed, batch: b, x: slot.x, y: slot.y } });
      }));
    };
    for (let b = 0; b < Math.min(ahead, batches.length); b++) submit(b);
    for (let b = 0; b < batches.length; b++) {
      await pending.get(b);
      pending.delete(b);
      const slot = slots[b % ahead];
      const batch = this.toBatch(new Float32Array(slot.x), new Int32Array(slot.y), batches[b].length);
      // the slot is free once its values are copied into the tensors
      if (b + ahead < batches.length) submit(b + ahead);
      yield batch;
    }
  }

  private ensureWorkers(raw: RawImages, n: number): void {
    if (this.workers.length === n) return;
    this.close();
    let shared = sharedCache.get(raw.images);
    if (!shared) {
      const images = new SharedArrayBuffer(raw.images.byteLength);
      new Uint8Array(images).set(new Uint8Array(raw.images.buffer, raw.images.byteOffset, raw.images.byteLength));
      const labels = new SharedArrayBuffer(raw.labels.length * 4);
      new Int32Array(labels).set(raw.labels);
      shared = { images, labels, u8: raw.images instanceof Uint8Array };
      sharedCache.set(raw.images, shared);
    }
    let map: SharedArrayBuffer | null = null;
    if (raw.map) {
      map = new SharedArrayBuffer(raw.map.byteLength);
      new Int32Array(map).set(raw.map);
    }
    for (let i = 0; i < n; i++) {
      const w = new Worker(new URL('./worker.js', import.meta.url));
      w.unref();
      w.postMessage({ init: { images: shared.images, imagesU8: shared.u8, labels: shared.labels, shape: raw.shape, map, specs: this.transforms } });
      this.workers.push(w);
    }
  }

  /** Stops the worker threads. */
  close(): void {
    for (const w of this.workers) void w.terminate();
    this.workers = [];
  }
}

/** The raw arrays behind an in-memory image dataset (or subset of one), or null. */
function rawImages(ds: unknown): RawImages | null {
  if (ds instanceof ArrayDataset) return { images: ds.images, labels: ds.labels, shape: ds.shape, map: null };
  if (ds instanceof ImageSubset) {
    const inner = rawImages(ds.source);
    if (!inner) return null;
    const map = Int32Array.from(ds.indices, (i) => (inner.map ? inner.map[i] : i));
    return { ...inner, map };
  }
  return null;
}
