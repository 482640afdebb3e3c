// Image transforms as serialisable specs (so worker threads can rebuild them), applied per sample in place.
import { StrataError } from '../tensor/errors.js';
import type { Generator } from '../tensor/random.js';

export type TransformSpec =
  | { kind: 'normalize'; mean: number[]; std: number[] }
  | { kind: 'randomCrop'; size: [number, number]; padding: number; fill: number }
  | { kind: 'centerCrop'; size: [number, number] }
  | { kind: 'randomHorizontalFlip'; p: number }
  | { kind: 'randomErasing'; p: number; scale: [number, number]; ratio: [number, number]; value: number };

/** (x − mean)/std per channel (torchvision's Normalize). */
export function normalize(mean: number | number[], std: number | number[]): TransformSpec {
  const m = typeof mean === 'number' ? [mean] : mean, s = typeof std === 'number' ? [std] : std;
  if (s.some((v) => v === 0)) throw new StrataError('normalize', 'std must be non-zero');
  return { kind: 'normalize', mean: m, std: s };
}
/** A random size×size window of the image zero-padded by `padding` on each side (torchvision's RandomCrop). */
export function randomCrop(size: number | [number, number], opts: { padding?: number; fill?: number } = {}): TransformSpec {
  return { kind: 'randomCrop', size: typeof size === 'number' ? [size, size] : size, padding: opts.padding ?? 0, fill: opts.fill ?? 0 };
}
export function centerCrop(size: number | [number, number]): TransformSpec {
  return { kind: 'centerCrop', size: typeof size === 'number' ? [size, size] : size };
}
/** Mirrors the image left-right with probability p. */
export function randomHorizontalFlip(p = 0.5): TransformSpec {
  return { kind: 'randomHorizontalFlip', p };
}
/** Random Erasing (Zhong et al., 2020): with probability p, fills a random rectangle of the given area fraction and aspect ratio. */
export function randomErasing(opts: { p?: number; scale?: [number, number]; ratio?: [number, number]; value?: number } = {}): TransformSpec {
  return { kind: 'randomErasing', p: opts.p ?? 0.5, scale: opts.scale ?? [0.02, 0.33], ratio: opts.ratio ?? [0.3, 3.3], value: opts.value ?? 0 };
}
/** A pipeline is a list of specs, applied in order. */
export function compose(specs: TransformSpec[]): TransformSpec[] {
  return specs.slice();
}

/** The [C, H, W] a pipeline produces from inShape. */
export function outputShape(specs: readonly TransformSpec[], inShape: readonly number[]): [number, number, number] {
  let [c, h, w] = inShape;
  for (const s of specs) {
    if (s.kind === 'randomCrop' || s.kind === 'centerCrop') {
      const pad = s.kind === 'randomCrop' ? s.padding : 0;
      if (s.size[0] > h + 2 * pad || s.size[1] > w + 2 * pad) {
        throw new StrataError(s.kind, `crop size [${s.size}] is larger than the (padded) image [${h + 2 * pad}, ${w + 2 * pad}]`);
      }
      [h, w] = s.size;
    }
    if (s.kind === 'normalize' && s.mean.length !== 1 && s.mean.length !== c) {
      throw new StrataError('normalize', `${s.mean.length} means for ${c} channels`);
    }
  }
  return [c, h, w];
}

/**
 * Applies the pipeline to one image src [C, H, W] (float32, at srcOff) writing dst (at dstOff) of
 * outputShape(specs); scratch must hold one input-sized image.
 */
export function applyTransforms(
  specs: readonly TransformSpec[], src: Float32Array, srcOff: number, inShape: readonly number[],
  dst: Float32Array, dstOff: number, g: Generator, scratch: Float32Array,
): void {
  let [c, h, w] = inShape;
  // work in `cur`: start with a copy of the sample
  let cur = scratch;
  cur.set(src.subarray(srcOff, srcOff + c * h * w), 0);
  for (const s of specs) {
    switch (s.kind) {
      case 'normalize': {
        const plane = h * w;
        for (let ch = 0; ch < c; ch++) {
          const m = s.mean.length === 1 ? s.mean[0] : s.mean[ch], sd = s.std.length === 1 ? s.std[0] : s.std[ch];
          for (let i = ch * plane; i < (ch + 1) * plane; i++) cur[i] = (cur[i] - m) / sd;
        }
        break;
      }
      case 'randomCrop': case 'centerCrop': {
        const [oh, ow] = s.size;
        const pad = s.kind === 'randomCrop' ? s.padding : 0;
        const fill = s.kind === 'randomCrop' ? s.fill : 0;
        const top = s.kind === 'randomCrop' ? g.randint(0, h + 2 * pad - oh + 1) - pad : Math.floor((h - oh) / 2);
        const left = s.kind === 'randomCrop' ? g.randint(0, w + 2 * pad - ow + 1) - pad : Math.floor((w - ow) / 2);
        const out = new Float32Array(c * oh * ow);
        for (let ch = 0; ch < c; ch++) {
          for (let y = 0; y < oh; y++) {
            const sy = y + top;
            for (let x = 0; x < ow; x++) {
              const sx = x + left;
              out[(ch * oh + y) * ow + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? cur[(ch * h + sy) * w + sx] : fill;
            }
          }
        }
        cur = out;
        h = oh;
        w = ow;
        break;
      }
      case 'randomHorizontalFlip': {
        if (g.random() < s.p) {
          for (let ch = 0; ch < c; ch++) {
            for (let y = 0; y < h; y++) {
              const row = (ch * h + y) * w;
              for (let x = 0; x < w >> 1; x++) {
                const t = cur[row + x];
                cur[row + x] = cur[row + w - 1 - x];
                cur[row + w - 1 - x] = t;
              }
            }
          }
        }
        break;
      }
      case 'randomErasing': {
        if (g.random() >= s.p) break;
        const area = h * w;
        // torchvision tries up to 10 times to fit a rectangle, and erases nothing if none fits
        for (let attempt = 0; attempt < 10; attempt++) {
          const target = area * (s.scale[0] + (s.scale[1] - s.scale[0]) * g.random());
          const logR = Math.log(s.ratio[0]) + (Math.log(s.ratio[1]) - Math.log(s.ratio[0])) * g.random();
          const ar = Math.exp(logR);
          const eh = Math.round(Math.sqrt(target * ar)), ew = Math.round(Math.sqrt(target / ar));
          if (eh >= h || ew >= w || eh < 1 || ew < 1) continue;
          const y0 = g.randint(0, h - eh + 1), x0 = g.randint(0, w - ew + 1);
          for (let ch = 0; ch < c; ch++) for (let y = y0; y < y0 + eh; y++) for (let x = x0; x < x0 + ew; x++) cur[(ch * h + y) * w + x] = s.value;
          break;
        }
        break;
      }
    }
  }
  dst.set(cur.subarray(0, c * h * w), dstOff);
}
