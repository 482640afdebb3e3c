// Batch assembly shared by the in-process loader and its worker threads (so both give identical batches).
import { Generator } from '../tensor/random.js';
import { applyTransforms, outputShape, type TransformSpec } from './transforms.js';

/** Raw arrays of an image dataset, which can be shared with workers. */
export interface RawImages {
  images: Uint8Array | Float32Array;
  labels: Uint8Array | Int32Array;
  shape: readonly [number, number, number];
  /** Subset indices into images/labels, or null for all. */
  map: Int32Array | null;
}

/** The generator of one batch's augmentations: a function of the epoch seed and the batch index. */
export function batchGenerator(epochSeed: number, batch: number): Generator {
  return new Generator(((epochSeed >>> 0) * 4294967296 + batch * 2654435761) % 9007199254740991);
}

/**
 * Fills x [B, C', H', W'] (after transforms) and y [B] for the samples at `indices`.
 * NOTE: pixels are scaled by 1/255 when stored as uint8 (torchvision's ToTensor), before transforms.
 */
export function assemble(raw: RawImages, indices: ArrayLike<number>, specs: readonly TransformSpec[], seed: number, batch: number, x: Float32Array, y: Int32Array): void {
  const [c, h, w] = raw.shape;
  const inSize = c * h * w;
  const out = outputShape(specs, raw.shape);
  const outSize = out[0] * out[1] * out[2];
  const g = specs.length ? batchGenerator(seed, batch) : null;
  const sample = new Float32Array(inSize);
  const scratch = new Float32Array(inSize);
  const src = raw.images;
  for (let b = 0; b < indices.length; b++) {
    const idx = raw.map ? raw.map[indices[b]] : indices[b];
    const base = idx * inSize;
    y[b] = raw.labels[idx];
    if (!g) {
      if (src instanceof Uint8Array) for (let i = 0; i < inSize; i++) x[b * outSize + i] = src[base + i] / 255;
      else x.set(src.subarray(base, base + inSize), b * outSize);
      continue;
    }
    if (src instanceof Uint8Array) for (let i = 0; i < inSize; i++) sample[i] = src[base + i] / 255;
    else sample.set(src.subarray(base, base + inSize));
    applyTransforms(specs, sample, 0, raw.shape, x, b * outSize, g, scratch);
  }
}
