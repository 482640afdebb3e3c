// Datasets: the Dataset interface, Subset, ConcatDataset, randomSplit, the in-memory ArrayDataset and
// the plain-data DatasetSpec that DataLoader worker threads rebuild datasets from.
import { StrataError, fmtShape } from '../tensor/errors.js';
import { defaultGenerator, Generator } from '../tensor/random.js';
import { ctorOf, isNDArray, numelOf, type NDArray, type SampleArray } from './ndarray.js';
import { asTransform, transformFromSpec, type Transform, type TransformLike, type TransformSpec } from './transforms.js';

/**
 * A map-style dataset: `length` samples, `get(i)` returns sample i (0 <= i < length).
 * `g` is the generator random transforms draw from (the DataLoader passes a per-batch one; default:
 * st.defaultGenerator). `toSpec` (optional) describes the dataset as plain data for worker threads.
 */
export interface Dataset<S> {
  readonly length: number;
  get(i: number, g?: Generator): S;
  toSpec?(): DatasetSpec | null;
}

/** One image-classification sample: the image [C,H,W] (uint8 pixels until toTensor()) and its class. */
export interface ImageSample {
  x: NDArray;
  y: number;
}

/** A plain-data description of a dataset (typed arrays backed by SharedArrayBuffer), see `datasetFromSpec`. */
export type DatasetSpec =
  | { kind: 'array'; fields: { name: string; data: SampleArray; shape: number[] }[]; transform: TransformSpec | null }
  | { kind: 'subset'; base: DatasetSpec; indices: Int32Array }
  | { kind: 'concat'; parts: DatasetSpec[] }
  | { kind: 'transform'; base: DatasetSpec; transform: TransformSpec };

export function checkIndex(op: string, i: number, length: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= length) {
    throw new StrataError(op, `index ${i} is out of range for a dataset of ${length} samples (valid: 0..${length - 1})`);
  }
}

/** The samples of `dataset` at `indices`, in that order (torch.utils.data.Subset). */
export class Subset<S> implements Dataset<S> {
  readonly indices: Int32Array;
  constructor(readonly dataset: Dataset<S>, indices: ArrayLike<number>) {
    const n = dataset.length;
    this.indices = Int32Array.from(indices as ArrayLike<number>);
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k];
      if (!Number.isInteger(i) || i < 0 || i >= n) throw new StrataError('Subset', `index ${i} (position ${k}) is out of range for a dataset of ${n} samples`);
    }
  }
  get length(): number {
    return this.indices.length;
  }
  get(i: number, g?: Generator): S {
    checkIndex('Subset.get', i, this.indices.length);
    return this.dataset.get(this.indices[i], g);
  }
  toSpec(): DatasetSpec | null {
    const base = this.dataset.toSpec?.() ?? null;
    return base && { kind: 'subset', base, indices: this.indices };
  }
}

/** The datasets one after another (torch.utils.data.ConcatDataset). */
export class ConcatDataset<S> implements Dataset<S> {
  readonly datasets: Dataset<S>[];
  /** cumulative[k] = total length of datasets[0..k]. */
  readonly cumulative: number[];
  constructor(datasets: Dataset<S>[]) {
    if (!Array.isArray(datasets) || datasets.length === 0) throw new StrataError('ConcatDataset', 'needs a non-empty array of datasets');
    this.datasets = datasets.slice();
    let total = 0;
    this.cumulative = datasets.map((d) => (total += d.length));
  }
  get length(): number {
    return this.cumulative[this.cumulative.length - 1];
  }
  get(i: number, g?: Generator): S {
    checkIndex('ConcatDataset.get', i, this.length);
    let lo = 0, hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (i < this.cumulative[mid]) hi = mid;
      else lo = mid + 1;
    }
    return this.datasets[lo].get(lo === 0 ? i : i - this.cumulative[lo - 1], g);
  }
  toSpec(): DatasetSpec | null {
    const parts = this.datasets.map((d) => d.toSpec?.() ?? null);
    return parts.every((p) => p !== null) ? { kind: 'concat', parts: parts as DatasetSpec[] } : null;
  }
}

/** Applies `transform` to each sample's `x` (or to the sample itself when it is an NDArray). */
export class TransformedDataset<S> implements Dataset<S> {
  readonly transform: Transform;
  constructor(readonly dataset: Dataset<S>, transform: TransformLike) {
    this.transform = asTransform(transform);
  }
  get length(): number {
    return this.dataset.length;
  }
  get(i: number, g: Generator = defaultGenerator): S {
    return applyTransform(this.transform, this.dataset.get(i, g), g);
  }
  toSpec(): DatasetSpec | null {
    const base = this.dataset.toSpec?.() ?? null;
    return base && this.transform.spec ? { kind: 'transform', base, transform: this.transform.spec } : null;
  }
}

function applyTransform<S>(t: Transform, s: S, g: Generator): S {
  if (isNDArray(s)) return t.apply(s, g) as S;
  if (typeof s === 'object' && s !== null && isNDArray((s as { x?: unknown }).x)) {
    return { ...s, x: t.apply((s as unknown as { x: NDArray }).x, g) };
  }
  throw new StrataError('transform', 'a dataset transform needs samples that are images {data, shape} or objects with an image field x');
}

/** A permutation of 0..n-1 (Fisher–Yates, the same draws as st.randperm with this generator). */
export function permutation(n: number, g: Generator): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = g.randint(0, i + 1);
    const t = p[i]; p[i] = p[j]; p[j] = t;
  }
  return p;
}

/**
 * Splits a dataset into non-overlapping random subsets (torch.utils.data.random_split), e.g. a
 * train/validation split: `randomSplit(ds, [0.9, 0.1], 42)`. `lengths` are sizes summing to
 * ds.length, or fractions summing to 1 (floored; the remainder goes one each to the first subsets).
 * The same generator state or seed gives the same split.
 */
export function randomSplit<S>(dataset: Dataset<S>, lengths: readonly number[], generator: Generator | number = defaultGenerator): Subset<S>[] {
  const op = 'randomSplit';
  const n = dataset.length;
  if (!Array.isArray(lengths) || lengths.length === 0) throw new StrataError(op, 'lengths must be a non-empty array of sizes or fractions');
  let sizes: number[];
  const sum = lengths.reduce((a, b) => a + b, 0);
  if (lengths.every((l) => l >= 0 && l <= 1) && Math.abs(sum - 1) < 1e-9 && sum !== n) {
    sizes = lengths.map((f) => Math.floor(n * f));
    const rem = n - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < rem; i++) sizes[i % sizes.length] += 1;
  } else {
    if (!lengths.every((l) => Number.isInteger(l) && l >= 0)) throw new StrataError(op, `lengths must be non-negative integers or fractions summing to 1, got [${lengths.join(', ')}]`);
    if (sum !== n) throw new StrataError(op, `lengths [${lengths.join(', ')}] sum to ${sum}, but the dataset has ${n} samples`);
    sizes = lengths.slice();
  }
  const g = typeof generator === 'number' ? new Generator(generator) : generator;
  const perm = permutation(n, g);
  const out: Subset<S>[] = [];
  let off = 0;
  for (const s of sizes) {
    out.push(new Subset(dataset, perm.subarray(off, off + s)));
    off += s;
  }
  return out;
}

/** A field of an ArrayDataset: a typed array with shape [N, ...] (a bare typed array means shape [N]). */
export type ArrayField = NDArray | SampleArray;

export interface ArrayDatasetOptions {
  /** Applied to field `x` of each sample (seeded by the generator get() receives). */
  transform?: TransformLike;
  /** Class names, index = label. */
  classes?: readonly string[];
}

/**
 * An in-memory dataset of named fields held in typed arrays, e.g. images and labels:
 * `new ArrayDataset({ x: { data: pixels, shape: [N, 1, 28, 28] }, y: labels })` (pixels Uint8Array or
 * Float32Array, labels Int32Array [N]). Sample i is `{ x: NDArray [1,28,28] (a view), y: number }`:
 * fields of shape [N] give numbers when integer-typed (Int32Array/Uint8Array: collated to int64) and
 * 0-d NDArrays when float-typed (collated to float32/float64).
 */
export class ArrayDataset<S = ImageSample> implements Dataset<S> {
  readonly classes: readonly string[] | undefined;
  readonly transform: Transform | null;
  private fields: { name: string; data: SampleArray; shape: number[]; row: number }[];
  private readonly n: number;

  constructor(fields: Record<string, ArrayField>, opts: ArrayDatasetOptions = {}) {
    const op = 'ArrayDataset';
    const names = Object.keys(fields);
    if (names.length === 0) throw new StrataError(op, 'needs at least one field, e.g. { x: images, y: labels }');
    this.fields = names.map((name) => {
      const f = fields[name];
      const nd: NDArray = ArrayBuffer.isView(f) ? { data: f as SampleArray, shape: [(f as SampleArray).length] } : (f as NDArray);
      if (!isNDArray(nd)) throw new StrataError(op, `field ${name} must be a typed array or {data, shape}`);
      if (!(nd.data instanceof Float32Array || nd.data instanceof Float64Array || nd.data instanceof Uint8Array || nd.data instanceof Int32Array)) {
        throw new StrataError(op, `field ${name}: data must be a Float32Array, Float64Array, Uint8Array or Int32Array, got ${(nd.data as object).constructor.name}`);
      }
      if (nd.shape.length === 0 || numelOf(nd.shape) !== nd.data.length) {
        throw new StrataError(op, `field ${name}: shape ${fmtShape(nd.shape)} does not match ${nd.data.length} values (the first dimension is the sample count)`);
      }
      // a Node Buffer becomes a plain Uint8Array view (its subarray/slice semantics differ)
      const data = nd.data instanceof Uint8Array && nd.data.constructor !== Uint8Array ? new Uint8Array(nd.data.buffer, nd.data.byteOffset, nd.data.length) : nd.data;
      return { name, data, shape: nd.shape.slice(), row: numelOf(nd.shape.slice(1)) };
    });
    this.n = this.fields[0].shape[0];
    for (const f of this.fields) {
      if (f.shape[0] !== this.n) throw new StrataError(op, `fields have different sample counts: ${this.fields[0].name} has ${this.n}, ${f.name} has ${f.shape[0]}`);
    }
    this.transform = opts.transform ? asTransform(opts.transform) : null;
    if (this.transform && !this.fields.some((f) => f.name === 'x')) throw new StrataError(op, 'transform applies to field x, but there is no field x');
    this.classes = opts.classes;
    if (this.classes) {
      const y = this.fields.find((f) => f.name === 'y');
      if (y && (y.data instanceof Int32Array || y.data instanceof Uint8Array)) checkLabels(op, y.data, this.classes.length, 'labels');
    }
  }

  get length(): number {
    return this.n;
  }

  /** A field's whole array, shape [N, ...] (a view, not a copy). */
  field(name: string): NDArray {
    const f = this.fields.find((q) => q.name === name);
    if (!f) throw new StrataError('ArrayDataset.field', `no field ${JSON.stringify(name)}; fields are ${this.fields.map((q) => q.name).join(', ')}`);
    return { data: f.data, shape: f.shape.slice() };
  }

  get(i: number, g: Generator = defaultGenerator): S {
    checkIndex('ArrayDataset.get', i, this.n);
    const s: Record<string, NDArray | number> = {};
    for (const f of this.fields) {
      if (f.shape.length === 1 && (f.data instanceof Int32Array || f.data instanceof Uint8Array)) s[f.name] = f.data[i];
      else s[f.name] = { data: f.data.subarray(i * f.row, (i + 1) * f.row), shape: f.shape.slice(1) };
    }
    if (this.transform) s.x = this.transform.apply(s.x as NDArray, g);
    return s as S;
  }

  /** Moves the fields into SharedArrayBuffers (once) so worker threads read them without copying. */
  toSpec(): DatasetSpec | null {
    if (this.transform && !this.transform.spec) return null;
    for (const f of this.fields) {
      if (!(f.data.buffer instanceof SharedArrayBuffer)) {
        const shared = new (ctorOf(f.data))(new SharedArrayBuffer(f.data.byteLength));
        shared.set(f.data);
        f.data = shared;
      }
    }
    return {
      kind: 'array',
      fields: this.fields.map((f) => ({ name: f.name, data: f.data, shape: f.shape })),
      transform: this.transform ? this.transform.spec : null,
    };
  }
}

/** Throws naming the first label outside [0, numClasses). */
export function checkLabels(op: string, labels: ArrayLike<number>, numClasses: number, where: string): void {
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!(l >= 0 && l < numClasses)) throw new StrataError(op, `${where}: label ${l} at index ${i} is out of range [0, ${numClasses})`);
  }
}

/** Rebuilds a dataset from its spec (DataLoader workers). */
export function datasetFromSpec(spec: DatasetSpec): Dataset<unknown> {
  switch (spec.kind) {
    case 'array': {
      const fields: Record<string, NDArray> = {};
      for (const f of spec.fields) fields[f.name] = { data: f.data, shape: f.shape };
      return new ArrayDataset(fields, spec.transform ? { transform: transformFromSpec(spec.transform) } : {});
    }
    case 'subset': return new Subset(datasetFromSpec(spec.base), spec.indices);
    case 'concat': return new ConcatDataset(spec.parts.map(datasetFromSpec));
    case 'transform': return new TransformedDataset(datasetFromSpec(spec.base), transformFromSpec(spec.transform));
    default: throw new StrataError('datasetFromSpec', `unknown dataset spec kind ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  }
}
