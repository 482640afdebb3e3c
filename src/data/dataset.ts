// Datasets: the interface, in-memory image datasets with batch assembly, subsets, concatenation and random splits.
import { StrataError } from '../tensor/errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';

/** Indexable samples (as torch.utils.data.Dataset). */
export interface Dataset<S> {
  readonly length: number;
  get(index: number): S;
}

/** One image sample: values [C, H, W] (uint8 pixels or floats) and its class. */
export interface ImageSample {
  image: Float32Array;
  label: number;
}

/** Shape and classes of an image dataset, plus raw access for fast batch assembly. */
export interface ImageSource extends Dataset<ImageSample> {
  readonly shape: readonly [number, number, number];
  readonly numClasses: number;
  readonly classes: readonly string[];
  /** Writes sample `index` (as float32, already scaled) into out at offset; returns its label. */
  fill(index: number, out: Float32Array, offset: number): number;
}

/**
 * Images and labels held in typed arrays: images [N, C, H, W] as uint8 pixels (scaled by 1/255 when
 * read, as torchvision's ToTensor) or floats, labels [N].
 */
export class ArrayDataset implements ImageSource {
  readonly length: number;
  readonly numClasses: number;
  readonly classes: readonly string[];
  private readonly sampleSize: number;
  constructor(
    readonly images: Uint8Array | Float32Array,
    readonly labels: Uint8Array | Int32Array,
    readonly shape: readonly [number, number, number],
    opts: { classes?: readonly string[]; numClasses?: number } = {},
  ) {
    this.sampleSize = shape[0] * shape[1] * shape[2];
    this.length = labels.length;
    if (images.length !== this.length * this.sampleSize) {
      throw new StrataError('ArrayDataset', `${images.length} image values do not make ${this.length} images of shape [${shape.join(',')}]`);
    }
    let max = -1;
    for (let i = 0; i < labels.length; i++) if (labels[i] > max) max = labels[i];
    this.numClasses = opts.numClasses ?? opts.classes?.length ?? max + 1;
    this.classes = opts.classes ?? Array.from({ length: this.numClasses }, (_, i) => String(i));
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= this.numClasses) throw new StrataError('ArrayDataset', `label ${labels[i]} at index ${i} is outside [0, ${this.numClasses})`);
    }
  }
  fill(index: number, out: Float32Array, offset: number): number {
    if (!(index >= 0 && index < this.length)) throw new StrataError('ArrayDataset', `index ${index} is out of range for ${this.length} samples`);
    const n = this.sampleSize, src = this.images, base = index * n;
    if (src instanceof Uint8Array) {
      for (let i = 0; i < n; i++) out[offset + i] = src[base + i] / 255;
    } else {
      out.set(src.subarray(base, base + n), offset);
    }
    return this.labels[index];
  }
  get(index: number): ImageSample {
    const image = new Float32Array(this.sampleSize);
    const label = this.fill(index, image, 0);
    return { image, label };
  }
}

/** The samples of `dataset` at `indices`. */
export class Subset<S> implements Dataset<S> {
  constructor(readonly dataset: Dataset<S>, readonly indices: readonly number[]) {}
  get length(): number {
    return this.indices.length;
  }
  get(i: number): S {
    if (!(i >= 0 && i < this.indices.length)) throw new StrataError('Subset', `index ${i} is out of range for ${this.indices.length} samples`);
    return this.dataset.get(this.indices[i]);
  }
}

/** An image subset keeps the image-source interface (shape, classes, fast fill). */
export class ImageSubset extends Subset<ImageSample> implements ImageSource {
  constructor(readonly source: ImageSource, indices: readonly number[]) {
    super(source, indices);
  }
  get shape(): readonly [number, number, number] { return this.source.shape; }
  get numClasses(): number { return this.source.numClasses; }
  get classes(): readonly string[] { return this.source.classes; }
  fill(i: number, out: Float32Array, offset: number): number {
    if (!(i >= 0 && i < this.indices.length)) throw new StrataError('Subset', `index ${i} is out of range for ${this.indices.length} samples`);
    return this.source.fill(this.indices[i], out, offset);
  }
}

/** Datasets one after another. */
export class ConcatDataset<S> implements Dataset<S> {
  readonly length: number;
  private readonly offsets: number[] = [];
  constructor(readonly datasets: readonly Dataset<S>[]) {
    let n = 0;
    for (const d of datasets) {
      this.offsets.push(n);
      n += d.length;
    }
    this.length = n;
  }
  get(i: number): S {
    if (!(i >= 0 && i < this.length)) throw new StrataError('ConcatDataset', `index ${i} is out of range for ${this.length} samples`);
    let k = this.offsets.length - 1;
    while (this.offsets[k] > i) k--;
    return this.datasets[k].get(i - this.offsets[k]);
  }
}

/**
 * Splits a dataset into non-overlapping random subsets of the given lengths (or fractions summing to 1),
 * reproducibly from the generator (torch.utils.data.random_split).
 */
export function randomSplit<S>(dataset: Dataset<S>, lengths: readonly number[], generator: Generator = defaultGenerator): Subset<S>[] {
  const n = dataset.length;
  let sizes = lengths.slice();
  if (sizes.every((x) => x >= 0 && x <= 1) && Math.abs(sizes.reduce((a, b) => a + b, 0) - 1) < 1e-9 && sizes.some((x) => !Number.isInteger(x))) {
    sizes = sizes.map((f) => Math.floor(f * n));
    for (let i = 0; sizes.reduce((a, b) => a + b, 0) < n; i++) sizes[i % sizes.length]++;
  }
  if (sizes.some((x) => !Number.isInteger(x) || x < 0) || sizes.reduce((a, b) => a + b, 0) !== n) {
    throw new StrataError('randomSplit', `lengths [${lengths.join(', ')}] must be non-negative integers summing to ${n} or fractions summing to 1`);
  }
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = generator.randint(0, i + 1);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const out: Subset<S>[] = [];
  let off = 0;
  for (const s of sizes) {
    const idx = perm.slice(off, off + s);
    const src = dataset as unknown as ImageSource;
    out.push(typeof src.fill === 'function' ? new ImageSubset(src, idx) as unknown as Subset<S> : new Subset(dataset, idx));
    off += s;
  }
  return out;
}
