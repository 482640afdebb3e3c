// DistributedSampler: each rank a disjoint, equally long shard of the dataset, reshuffled every epoch
// from a seed all ranks share (torch.utils.data.distributed.DistributedSampler).
import { permutation } from '../data/dataset.js';
import { StrataError } from '../tensor/errors.js';
import { Generator } from '../tensor/random.js';
import { getRank, getWorldSize } from './process-group.js';

export interface DistributedSamplerOptions {
  /** Default: the default group's world size. */
  numReplicas?: number;
  /** Default: this process's rank. */
  rank?: number;
  /** Reshuffle every epoch (default true, as PyTorch's). */
  shuffle?: boolean;
  /** Shared by all ranks: epoch e's order comes from seed + e (default 0). */
  seed?: number;
  /** Drop the tail so that shards need no padding (default false: pad by repeating the first indices). */
  dropLast?: boolean;
}

/**
 * The indices of one rank's shard: the epoch's order (a permutation drawn from seed + epoch when
 * shuffling), padded by wrapping around to a multiple of numReplicas (or cut, with dropLast), and every
 * numReplicas-th index from `rank` on. Pass it as DataLoader's `sampler`; the loader sets the epoch.
 * @example
 * const sampler = new st.data.DistributedSampler(train.length, { seed: 1 });
 * const loader = new st.data.DataLoader(train, { batchSize: 64, sampler });
 */
export class DistributedSampler {
  readonly numReplicas: number;
  readonly rank: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** Indices per rank per epoch. */
  readonly numSamples: number;
  readonly totalSize: number;
  epoch = 0;

  constructor(readonly datasetLength: number, opts: DistributedSamplerOptions = {}) {
    const op = 'DistributedSampler';
    this.numReplicas = opts.numReplicas ?? getWorldSize();
    this.rank = opts.rank ?? getRank();
    if (!Number.isInteger(datasetLength) || datasetLength < 0) throw new StrataError(op, `dataset length must be a non-negative integer, got ${datasetLength}`);
    if (!Number.isInteger(this.numReplicas) || this.numReplicas < 1) throw new StrataError(op, `numReplicas must be a positive integer, got ${this.numReplicas}`);
    if (!Number.isInteger(this.rank) || this.rank < 0 || this.rank >= this.numReplicas) throw new StrataError(op, `invalid rank ${this.rank}, rank should be in the interval [0, ${this.numReplicas - 1}]`);
    this.shuffle = opts.shuffle ?? true;
    this.seed = opts.seed ?? 0;
    this.dropLast = opts.dropLast ?? false;
    const n = datasetLength, r = this.numReplicas;
    this.numSamples = this.dropLast && n % r !== 0 ? Math.ceil((n - r) / r) : Math.ceil(n / r);
    this.totalSize = this.numSamples * r;
  }

  /** Indices per epoch (DataLoader's length comes from it). */
  get length(): number {
    return this.numSamples;
  }

  /** Sets the epoch whose order `indices()` gives (torch's set_epoch; DataLoader calls it). */
  setEpoch(epoch: number): void {
    this.epoch = epoch;
  }

  /** This rank's indices for the current epoch. */
  indices(): Int32Array {
    const n = this.datasetLength;
    let order = this.shuffle ? permutation(n, new Generator(this.seed + this.epoch)) : Int32Array.from({ length: n }, (_, i) => i);
    if (!this.dropLast) {
      if (this.totalSize > n && n > 0) {
        const padded = new Int32Array(this.totalSize);
        for (let i = 0; i < this.totalSize; i++) padded[i] = order[i % n];
        order = padded;
      }
    } else {
      order = order.subarray(0, this.totalSize);
    }
    const out = new Int32Array(this.numSamples);
    for (let i = 0; i < this.numSamples; i++) out[i] = order[this.rank + i * this.numReplicas];
    return out;
  }
}
