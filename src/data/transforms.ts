// Image transforms (torchvision names, camelCase) on [C,H,W] NDArrays, seeded by a Generator, and the
// serializable specs that let worker threads rebuild the same pipeline.
import { StrataError, fmtShape } from '../tensor/errors.js';
import type { Generator } from '../tensor/random.js';
import { allocLike, imageDims, type NDArray } from './ndarray.js';

/** A plain-data description of a built-in transform; `transformFromSpec` rebuilds it (in a worker too). */
export type TransformSpec =
  | { kind: 'compose'; transforms: TransformSpec[] }
  | { kind: 'toTensor' }
  | { kind: 'normalize'; mean: number[]; std: number[] }
  | { kind: 'randomCrop'; size: [number, number]; padding: [number, number, number, number]; fill: number }
  | { kind: 'centerCrop'; size: [number, number] }
  | { kind: 'resize'; size: [number, number] }
  | { kind: 'randomHorizontalFlip'; p: number }
  | { kind: 'randomErasing'; p: number; scale: [number, number]; ratio: [number, number]; value: number | number[] | 'random' };

/**
 * A sample transform: maps an image `[C,H,W]` to a new one, drawing any randomness from `g`.
 * It never mutates its input (which may be a view into a dataset); it may return it unchanged.
 * `spec` is null for custom functions, which then cannot run in loader worker threads.
 */
export interface Transform {
  readonly spec: TransformSpec | null;
  apply(x: NDArray, g: Generator): NDArray;
}

/** A transform or a plain function `(x, g) => x'` (custom: in-process only). */
export type TransformLike = Transform | ((x: NDArray, g: Generator) => NDArray);

/** Wraps a function as a Transform (not serializable: DataLoader workers refuse it). */
export function lambda(fn: (x: NDArray, g: Generator) => NDArray): Transform {
  return { spec: null, apply: fn };
}

export function asTransform(t: TransformLike): Transform {
  if (typeof t === 'function') return lambda(t);
  if (typeof t !== 'object' || t === null || typeof t.apply !== 'function') {
    throw new StrataError('transform', `expected a transform (e.g. data.randomCrop(28, { padding: 4 })) or a function (x, g) => x, got ${typeof t}`);
  }
  return t;
}

/** Applies the transforms in order (torchvision Compose). */
export function compose(transforms: TransformLike[]): Transform {
  if (!Array.isArray(transforms)) throw new StrataError('compose', 'expected an array of transforms');
  const given = transforms.map(asTransform);
  const specs = given.map((t) => t.spec);
  // toTensor() then normalize() on uint8 pixels is one table look-up per pixel (the same float32 values
  // as the two passes: a data-loading epoch of Fashion-MNIST took a third of an MLP's training time)
  const ts: Transform[] = [];
  for (let i = 0; i < given.length; i++) {
    const a = given[i].spec, b = given[i + 1]?.spec;
    if (a?.kind === 'toTensor' && b?.kind === 'normalize') {
      ts.push(fusedToTensorNormalize(given[i], given[i + 1], b.mean, b.std));
      i++;
    } else {
      ts.push(given[i]);
    }
  }
  const spec = specs.every((s) => s !== null) ? { kind: 'compose' as const, transforms: specs as TransformSpec[] } : null;
  return {
    spec,
    apply(x, g) {
      for (const t of ts) x = t.apply(x, g);
      return x;
    },
  };
}

/**
 * Scales uint8 pixels to float32 in [0, 1] (x / 255), as torchvision's ToTensor does.
 * Float images pass through unchanged; the layout stays [C,H,W].
 */
export function toTensor(): Transform {
  return {
    spec: { kind: 'toTensor' },
    apply(x) {
      imageDims('toTensor', x);
      if (x.data instanceof Uint8Array) {
        const src = x.data;
        const out = new Float32Array(src.length);
        for (let i = 0; i < src.length; i++) out[i] = src[i] / 255;
        return { data: out, shape: x.shape.slice() };
      }
      if (x.data instanceof Int32Array) throw new StrataError('toTensor', 'expected uint8 pixels or a float image, got an Int32Array');
      return x;
    },
  };
}

/**
 * Per-channel (x - mean[c]) / std[c] on a float image (put toTensor() first for uint8 pixels).
 * mean/std have one entry per channel, or one for all.
 */
export function normalize(mean: number | readonly number[], std: number | readonly number[]): Transform {
  const m = typeof mean === 'number' ? [mean] : [...mean];
  const s = typeof std === 'number' ? [std] : [...std];
  if (m.length === 0 || s.length === 0) throw new StrataError('normalize', 'mean and std need at least one value');
  for (const v of s) if (!(v !== 0 && Number.isFinite(v))) throw new StrataError('normalize', `std must be finite and non-zero, got [${s.join(', ')}]`);
  return {
    spec: { kind: 'normalize', mean: m, std: s },
    apply(x) {
      const [c, h, w] = imageDims('normalize', x);
      if (!(x.data instanceof Float32Array || x.data instanceof Float64Array)) {
        throw new StrataError('normalize', `expected a float image, got ${x.data.constructor.name}; put toTensor() before normalize()`);
      }
      for (const [name, v] of [['mean', m], ['std', s]] as const) {
        if (v.length !== 1 && v.length !== c) throw new StrataError('normalize', `${name} has ${v.length} values, the image has ${c} channels ${fmtShape(x.shape)}`);
      }
      const src = x.data, out = allocLike(src, src.length), hw = h * w;
      for (let ch = 0; ch < c; ch++) {
        const mu = m[m.length === 1 ? 0 : ch], inv = 1 / s[s.length === 1 ? 0 : ch];
        for (let k = ch * hw, end = k + hw; k < end; k++) out[k] = (src[k] - mu) * inv;
      }
      return { data: out, shape: x.shape.slice() };
    },
  };
}

function fusedToTensorNormalize(toT: Transform, norm: Transform, mean: readonly number[], std: readonly number[]): Transform {
  const luts = new Map<number, Float32Array>();
  const lut = (ch: number): Float32Array => {
    let t = luts.get(ch);
    if (!t) {
      const mu = mean[mean.length === 1 ? 0 : ch], inv = 1 / std[std.length === 1 ? 0 : ch];
      t = new Float32Array(256);
      for (let v = 0; v < 256; v++) t[v] = (Math.fround(v / 255) - mu) * inv;
      luts.set(ch, t);
    }
    return t;
  };
  return {
    spec: null,
    apply(x, g) {
      const [c, h, w] = imageDims('toTensor', x); // toTensor's own first check
      if (!(x.data instanceof Uint8Array) || (mean.length !== 1 && mean.length !== c) || (std.length !== 1 && std.length !== c)) {
        return norm.apply(toT.apply(x, g), g); // the two transforms, with their checks and messages
      }
      const hw = h * w, src = x.data, out = new Float32Array(src.length);
      for (let ch = 0; ch < c; ch++) {
        const t = lut(ch);
        for (let k = ch * hw, end = k + hw; k < end; k++) out[k] = t[src[k]];
      }
      return { data: out, shape: x.shape.slice() };
    },
  };
}

function size2(op: string, size: number | readonly number[]): [number, number] {
  const s = typeof size === 'number' ? [size, size] : [...size];
  if (s.length !== 2 || !s.every((v) => Number.isInteger(v) && v > 0)) {
    throw new StrataError(op, `size must be a positive integer or [height, width], got ${JSON.stringify(size)}`);
  }
  return [s[0], s[1]];
}

/** Copies the window at (top, left) of size th×tw of x into a new image; outside pixels are `fill`. */
function cropPadded(x: NDArray, top: number, left: number, th: number, tw: number, fill: number): NDArray {
  const [c, h, w] = imageDims('crop', x);
  const src = x.data, out = allocLike(src, c * th * tw);
  if (fill !== 0) out.fill(fill);
  // the rows/cols of the window that land inside the source
  const r0 = Math.max(0, -top), r1 = Math.min(th, h - top);
  const c0 = Math.max(0, -left), c1 = Math.min(tw, w - left);
  if (r0 < r1 && c0 < c1) {
    for (let ch = 0; ch < c; ch++) {
      for (let r = r0; r < r1; r++) {
        const s = ch * h * w + (top + r) * w + left;
        out.set(src.subarray(s + c0, s + c1), ch * th * tw + r * tw + c0);
      }
    }
  }
  return { data: out, shape: [c, th, tw] };
}

export interface RandomCropOptions {
  /** Zero padding added before cropping: n (all sides), [leftRight, topBottom], or [left, top, right, bottom]. */
  padding?: number | readonly number[];
  /** The padding value (default 0). */
  fill?: number;
}

/**
 * Pads the image (constant `fill`, default 0), then crops a `size` window at a random position:
 * top ~ U{0..H+pt+pb-th}, then left ~ U{0..W+pl+pr-tw} (torchvision's draw order).
 */
export function randomCrop(size: number | readonly number[], opts: RandomCropOptions = {}): Transform {
  const sz = size2('randomCrop', size);
  const p = opts.padding ?? 0;
  const pa = typeof p === 'number' ? [p, p, p, p] : p.length === 2 ? [p[0], p[1], p[0], p[1]] : [...p];
  if (pa.length !== 4 || !pa.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new StrataError('randomCrop', `padding must be a non-negative integer, [leftRight, topBottom] or [left, top, right, bottom], got ${JSON.stringify(p)}`);
  }
  const padding = pa as [number, number, number, number];
  const fill = opts.fill ?? 0;
  return {
    spec: { kind: 'randomCrop', size: sz, padding, fill },
    apply(x, g) {
      const [, h, w] = imageDims('randomCrop', x);
      const [pl, pt, pr, pb] = padding;
      const ph = h + pt + pb, pw = w + pl + pr;
      const [th, tw] = sz;
      if (ph < th || pw < tw) {
        throw new StrataError('randomCrop', `crop size [${th},${tw}] is larger than the padded image [${ph},${pw}] (image ${fmtShape(x.shape)}, padding [${padding.join(',')}])`);
      }
      // NOTE: like torchvision, a crop the size of the padded image draws no random numbers.
      if (ph === th && pw === tw) return cropPadded(x, -pt, -pl, th, tw, fill);
      const i = g.randint(0, ph - th + 1);
      const j = g.randint(0, pw - tw + 1);
      return cropPadded(x, i - pt, j - pl, th, tw, fill);
    },
  };
}

/** Crops the central `size` window (torchvision rounds the offset: round((H - th) / 2)). */
export function centerCrop(size: number | readonly number[]): Transform {
  const sz = size2('centerCrop', size);
  return {
    spec: { kind: 'centerCrop', size: sz },
    apply(x) {
      const [, h, w] = imageDims('centerCrop', x);
      const [th, tw] = sz;
      // NOTE: torchvision pads with zeros when the crop is larger than the image; the same happens here.
      return cropPadded(x, Math.round((h - th) / 2), Math.round((w - tw) / 2), th, tw, 0);
    },
  };
}

/**
 * Bilinear resize to `size` [height, width] (torch interpolate, align_corners=false, no antialiasing):
 * output pixel o samples the source at (o + 0.5)·in/out − 0.5. uint8 images are rounded back to uint8.
 */
export function resize(size: number | readonly number[]): Transform {
  const sz = size2('resize', size);
  return {
    spec: { kind: 'resize', size: sz },
    apply(x) {
      const [c, h, w] = imageDims('resize', x);
      const [th, tw] = sz;
      if (th === h && tw === w) return x;
      const axis = (inN: number, outN: number) => {
        const i0 = new Int32Array(outN), i1 = new Int32Array(outN), t = new Float64Array(outN);
        for (let o = 0; o < outN; o++) {
          const s = Math.max(0, (o + 0.5) * (inN / outN) - 0.5);
          i0[o] = Math.min(Math.floor(s), inN - 1);
          i1[o] = Math.min(i0[o] + 1, inN - 1);
          t[o] = s - i0[o];
        }
        return { i0, i1, t };
      };
      const ry = axis(h, th), rx = axis(w, tw);
      const src = x.data, out = allocLike(src, c * th * tw);
      const round = src instanceof Uint8Array || src instanceof Int32Array;
      for (let ch = 0; ch < c; ch++) {
        const base = ch * h * w;
        for (let r = 0; r < th; r++) {
          const a = base + ry.i0[r] * w, b = base + ry.i1[r] * w, ty = ry.t[r];
          for (let q = 0; q < tw; q++) {
            const x0 = rx.i0[q], x1 = rx.i1[q], tx = rx.t[q];
            const top = src[a + x0] + (src[a + x1] - src[a + x0]) * tx;
            const bot = src[b + x0] + (src[b + x1] - src[b + x0]) * tx;
            const v = top + (bot - top) * ty;
            out[ch * th * tw + r * tw + q] = round ? Math.round(v) : v;
          }
        }
      }
      return { data: out, shape: [c, th, tw] };
    },
  };
}

/** Mirrors the image left-right with probability p (one uniform draw per call: flip when u < p). */
export function randomHorizontalFlip(p = 0.5): Transform {
  if (!(p >= 0 && p <= 1)) throw new StrataError('randomHorizontalFlip', `p must be in [0, 1], got ${p}`);
  return {
    spec: { kind: 'randomHorizontalFlip', p },
    apply(x, g) {
      const [c, h, w] = imageDims('randomHorizontalFlip', x);
      if (!(g.random() < p)) return x;
      const src = x.data, out = allocLike(src, src.length);
      for (let row = 0; row < c * h; row++) {
        const o = row * w;
        for (let k = 0; k < w; k++) out[o + k] = src[o + w - 1 - k];
      }
      return { data: out, shape: x.shape.slice() };
    },
  };
}

export interface RandomErasingOptions {
  /** Probability of erasing (default 0.5). */
  p?: number;
  /** Range of the erased area as a fraction of the image (default [0.02, 0.33]). */
  scale?: readonly [number, number];
  /** Range of the rectangle's aspect ratio h/w (default [0.3, 3.3]), sampled log-uniformly. */
  ratio?: readonly [number, number];
  /** Fill: a number, one number per channel, or 'random' (standard normal per pixel). Default 0. */
  value?: number | readonly number[] | 'random';
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Random Erasing (Zhong et al. 2017, torchvision RandomErasing): with probability p, fills a random
 * rectangle whose area fraction is U(scale) and aspect ratio log-uniform in `ratio`; up to 10 tries
 * to fit a rectangle strictly smaller than the image, else leaves it unchanged. Apply after toTensor/normalize.
 */
export function randomErasing(opts: RandomErasingOptions = {}): Transform {
  const p = opts.p ?? 0.5;
  const scale: [number, number] = [...(opts.scale ?? [0.02, 0.33])] as [number, number];
  const ratio: [number, number] = [...(opts.ratio ?? [0.3, 3.3])] as [number, number];
  const value = opts.value === undefined ? 0 : typeof opts.value === 'number' || opts.value === 'random' ? opts.value : [...opts.value];
  if (!(p >= 0 && p <= 1)) throw new StrataError('randomErasing', `p must be in [0, 1], got ${p}`);
  if (!(scale[0] <= scale[1] && scale[0] >= 0 && scale[1] <= 1)) throw new StrataError('randomErasing', `scale must be [lo, hi] with 0 <= lo <= hi <= 1, got [${scale.join(', ')}]`);
  if (!(ratio[0] <= ratio[1] && ratio[0] > 0)) throw new StrataError('randomErasing', `ratio must be [lo, hi] with 0 < lo <= hi, got [${ratio.join(', ')}]`);
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])];
  return {
    spec: { kind: 'randomErasing', p, scale, ratio, value },
    apply(x, g) {
      const [c, h, w] = imageDims('randomErasing', x);
      if (Array.isArray(value) && value.length !== c && value.length !== 1) {
        throw new StrataError('randomErasing', `value has ${value.length} entries, the image has ${c} channels`);
      }
      if (value === 'random' && !(x.data instanceof Float32Array || x.data instanceof Float64Array)) {
        throw new StrataError('randomErasing', "value 'random' needs a float image; put toTensor() first");
      }
      if (!(g.random() < p)) return x;
      const area = h * w;
      for (let attempt = 0; attempt < 10; attempt++) {
        const eraseArea = area * (scale[0] + g.random() * (scale[1] - scale[0]));
        const aspect = Math.exp(logRatio[0] + g.random() * (logRatio[1] - logRatio[0]));
        const eh = roundHalfEven(Math.sqrt(eraseArea * aspect));
        const ew = roundHalfEven(Math.sqrt(eraseArea / aspect));
        if (!(eh < h && ew < w)) continue;
        const i = g.randint(0, h - eh + 1);
        const j = g.randint(0, w - ew + 1);
        const out = x.data.slice();
        for (let ch = 0; ch < c; ch++) {
          const v = typeof value === 'number' ? value : value === 'random' ? 0 : value[value.length === 1 ? 0 : ch];
          for (let r = i; r < i + eh; r++) {
            const o = ch * h * w + r * w;
            if (value === 'random') for (let k = j; k < j + ew; k++) out[o + k] = g.normal();
            else out.fill(v, o + j, o + j + ew);
          }
        }
        return { data: out, shape: x.shape.slice() };
      }
      return x;
    },
  };
}

/** Rebuilds a built-in transform from its spec (used by DataLoader worker threads). */
export function transformFromSpec(spec: TransformSpec): Transform {
  switch (spec.kind) {
    case 'compose': return compose(spec.transforms.map(transformFromSpec));
    case 'toTensor': return toTensor();
    case 'normalize': return normalize(spec.mean, spec.std);
    case 'randomCrop': return randomCrop(spec.size, { padding: spec.padding, fill: spec.fill });
    case 'centerCrop': return centerCrop(spec.size);
    case 'resize': return resize(spec.size);
    case 'randomHorizontalFlip': return randomHorizontalFlip(spec.p);
    case 'randomErasing': return randomErasing({ p: spec.p, scale: spec.scale, ratio: spec.ratio, value: spec.value });
    default: throw new StrataError('transformFromSpec', `unknown transform spec ${JSON.stringify(spec)}`);
  }
}
