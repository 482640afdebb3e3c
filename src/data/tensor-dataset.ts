// TensorDataset: a dataset held as one tensor per field, batched by index-select instead of collation.
import { noGrad } from '../autograd/grad-mode.js';
import { tensor, zeros } from '../ops/creation.js';
import { indexSelect } from '../ops/indexing.js';
import { narrow } from '../ops/shape.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { keep, tidy } from '../tensor/memory.js';
import type { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { collateArrays, isBatchField, type ArrayBatch, type ArrayBatchField } from './collate.js';
import { checkIndex, TransformedDataset, type Dataset } from './dataset.js';
import type { TransformLike } from './transforms.js';

export interface MaterializeOptions {
  /** Applied to each sample's x first (it must be deterministic: it runs once, not every epoch). */
  transform?: TransformLike;
  /** Samples collated per chunk while filling the tensors (default 1024). */
  chunkSize?: number;
  /** Refuse to materialise more than this many bytes (default 2 GiB). */
  maxBytes?: number;
}

/**
 * A dataset of named tensors sharing their first (sample) dimension, as torch.utils.data.TensorDataset:
 * `new TensorDataset({ x: images [N,1,28,28], y: labels [N] })`. Sample i is `{ x: x[i], y: y[i] }`;
 * a DataLoader makes each batch with one index-select per field, with no per-sample work, so a data set
 * that fits in memory and needs no per-epoch augmentation trains as fast as from pre-built tensors.
 * `TensorDataset.from(dataset, { transform })` materialises any dataset of flat samples once.
 * The dataset owns its tensors (kept out of tidy scopes); `dispose()` frees them.
 */
export class TensorDataset<F extends string = string> implements Dataset<Record<F, Tensor>> {
  readonly fields: Readonly<Record<F, Tensor>>;
  readonly length: number;

  constructor(fields: Record<F, Tensor>) {
    const op = 'TensorDataset';
    const names = Object.keys(fields) as F[];
    if (names.length === 0) throw new StrataError(op, 'needs at least one field, e.g. { x: images, y: labels }');
    let n = -1;
    for (const name of names) {
      const t = fields[name];
      if (!(t instanceof Tensor)) throw new StrataError(op, `field ${name} must be a Tensor`);
      if (t.ndim === 0) throw new StrataError(op, `field ${name} is 0-d; fields need a first (sample) dimension`);
      if (n >= 0 && t.shape[0] !== n) {
        throw new StrataError(op, `fields have different sample counts: ${names[0]} has shape ${fmtShape(fields[names[0]].shape)}, ${name} has ${fmtShape(t.shape)}`);
      }
      n = t.shape[0];
      keep(t);
    }
    this.fields = { ...fields };
    this.length = n;
  }

  /**
   * Runs every sample of `dataset` (with `transform` applied to x) through the default collate once and
   * stores the result as tensors on the current backend. Samples must be flat objects of arrays and
   * numbers (e.g. ImageSample {x, y}).
   */
  static from<S>(dataset: Dataset<S>, opts: MaterializeOptions = {}): TensorDataset {
    const op = 'TensorDataset.from';
    const n = dataset.length;
    if (n === 0) throw new StrataError(op, 'the dataset is empty');
    const chunk = opts.chunkSize ?? 1024;
    if (!Number.isInteger(chunk) || chunk < 1) throw new StrataError(op, `chunkSize must be a positive integer, got ${opts.chunkSize}`);
    const src: Dataset<unknown> = opts.transform ? new TransformedDataset(dataset as Dataset<unknown>, opts.transform) : (dataset as Dataset<unknown>);
    const collateRange = (start: number, end: number): Record<string, ArrayBatchField> => {
      const samples = new Array(end - start);
      for (let i = start; i < end; i++) samples[i - start] = src.get(i);
      return flatFields(op, collateArrays(samples));
    };
    const first = collateRange(0, Math.min(chunk, n));
    const maxBytes = opts.maxBytes ?? 2 ** 31;
    const bytes = fieldBytes(first, n);
    if (bytes > maxBytes) {
      throw new StrataError(op, `the materialised dataset would take ${fmtBytes(bytes)}, over maxBytes (${fmtBytes(maxBytes)}); raise maxBytes or load batches with a DataLoader over the dataset itself`);
    }
    const out: Record<string, Tensor> = {};
    try {
      for (const [name, f] of Object.entries(first)) out[name] = keep(zeros([n, ...f.shape.slice(1)], { dtype: f.dtype }));
      noGrad(() => {
        for (let start = 0; start < n; start += chunk) {
          const end = Math.min(start + chunk, n);
          const part = start === 0 ? first : collateRange(start, end);
          tidy(() => {
            for (const [name, f] of Object.entries(part)) {
              const dst = out[name];
              if (!dst || f.dtype !== dst.dtype || f.shape.slice(1).some((d, k) => d !== dst.shape[k + 1])) {
                throw new StrataError(op, `sample ${start}'s field ${name} (${f.dtype} ${fmtShape(f.shape.slice(1))}) differs from sample 0's${dst ? ` (${dst.dtype} ${fmtShape(dst.shape.slice(1))})` : ' (absent)'}`);
              }
              narrow(dst, 0, start, end - start).copy_(tensor(f.data, { dtype: f.dtype, shape: f.shape }));
            }
          });
        }
      });
    } catch (e) {
      for (const t of Object.values(out)) t.dispose();
      throw e;
    }
    return new TensorDataset(out);
  }

  /** The bytes `TensorDataset.from(dataset, { transform })` would hold (from sample 0's collated fields). */
  static bytesFor<S>(dataset: Dataset<S>, transform?: TransformLike): number {
    const op = 'TensorDataset.bytesFor';
    if (dataset.length === 0) throw new StrataError(op, 'the dataset is empty');
    const src: Dataset<unknown> = transform ? new TransformedDataset(dataset as Dataset<unknown>, transform) : (dataset as Dataset<unknown>);
    return fieldBytes(flatFields(op, collateArrays([src.get(0)])), dataset.length);
  }

  get(i: number, _g?: Generator): Record<F, Tensor> {
    checkIndex('TensorDataset.get', i, this.length);
    const s = {} as Record<F, Tensor>;
    for (const name of Object.keys(this.fields) as F[]) s[name] = this.fields[name].select(0, i);
    return s;
  }

  /** The samples at `indices`, one index-select per field (the DataLoader's batches). */
  batch(indices: Int32Array): Record<F, Tensor> {
    return tidy(() => {
      const idx = tensor(indices, { dtype: 'int32' });
      const b = {} as Record<F, Tensor>;
      for (const name of Object.keys(this.fields) as F[]) b[name] = indexSelect(this.fields[name], 0, idx);
      return b;
    });
  }

  /** Frees the tensors. */
  dispose(): void {
    for (const t of Object.values<Tensor>(this.fields)) t.dispose();
  }
}

/** Bytes of n samples of these collated fields (each field's batch holds shape[0] samples). */
function fieldBytes(fields: Record<string, ArrayBatchField>, n: number): number {
  let bytes = 0;
  for (const f of Object.values(fields)) bytes += (f.data.BYTES_PER_ELEMENT * f.data.length / f.shape[0]) * n;
  return bytes;
}

function fmtBytes(b: number): string {
  return b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(0)} MiB` : `${b} bytes`;
}

function flatFields(op: string, b: ArrayBatch): Record<string, ArrayBatchField> {
  if (isBatchField(b) || Array.isArray(b)) {
    throw new StrataError(op, 'samples must be objects of arrays and numbers (e.g. {x, y}); make a TensorDataset from tensors for other layouts');
  }
  const out: Record<string, ArrayBatchField> = {};
  for (const [k, v] of Object.entries(b)) {
    if (!isBatchField(v)) throw new StrataError(op, `field ${k} is nested; samples must be flat objects of arrays and numbers`);
    out[k] = v;
  }
  return out;
}
