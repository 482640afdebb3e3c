// PNG decoding and encoding over node:zlib: 8-bit (and 1/2/4/16-bit) grayscale, gray+alpha, RGB, RGBA and
// palette images, non-interlaced; plus conversion of a decoded image to a [C,H,W] sample.
import { readFileSync, writeFileSync } from 'node:fs';
import { deflateSync, inflateSync } from 'node:zlib';
import { StrataError } from '../tensor/errors.js';
import type { NDArray } from './ndarray.js';

/** A decoded image: interleaved 8-bit samples, row-major [height, width, channels]. */
export interface PngImage {
  width: number;
  height: number;
  /** 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (palette images decode to 3, or 4 with a tRNS chunk). */
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO-HDLC, as PNG and gzip use) of bytes. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const COLOR_TYPES: Record<number, { name: string; channels: number; depths: number[] }> = {
  0: { name: 'grayscale', channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { name: 'RGB', channels: 3, depths: [8, 16] },
  3: { name: 'palette', channels: 1, depths: [1, 2, 4, 8] },
  4: { name: 'grayscale+alpha', channels: 2, depths: [8, 16] },
  6: { name: 'RGBA', channels: 4, depths: [8, 16] },
};

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** The most decompressed image data one PNG may declare (1 GiB: 16384×16384 RGBA). */
const MAX_RAW_BYTES = 2 ** 30 + 2 ** 16;

/** Decodes PNG bytes; `where` (a path) prefixes every error. */
export function decodePng(bytes: Uint8Array, where = 'PNG data'): PngImage {
  const op = 'readPng';
  const fail = (msg: string): never => { throw new StrataError(op, `${where}: ${msg}`); };
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) fail('not a PNG file (the 8-byte PNG signature is missing)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let ihdr: { width: number; height: number; depth: number; color: number; interlace: number } | null = null;
  let palette: Uint8Array | null = null;
  let trns: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (pos < bytes.length) {
    if (pos + 12 > bytes.length) fail(`truncated chunk header at byte ${pos} (file is ${bytes.length} bytes)`);
    const len = view.getUint32(pos);
    const type = String.fromCharCode(bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7]);
    if (pos + 12 + len > bytes.length) fail(`chunk ${type} at byte ${pos} needs ${len + 12} bytes, only ${bytes.length - pos} remain: the file is truncated`);
    const data = bytes.subarray(pos + 8, pos + 8 + len);
    const crc = view.getUint32(pos + 8 + len);
    if (crc32(bytes, pos + 4, pos + 8 + len) !== crc) fail(`chunk ${type} at byte ${pos} has a bad CRC: the file is corrupt`);
    pos += 12 + len;
    if (!ihdr && type !== 'IHDR') fail(`the first chunk must be IHDR, found ${type}`);
    if (type === 'IHDR') {
      if (len !== 13) fail(`IHDR chunk is ${len} bytes, expected 13`);
      const d = new DataView(data.buffer, data.byteOffset, 13);
      ihdr = { width: d.getUint32(0), height: d.getUint32(4), depth: data[8], color: data[9], interlace: data[12] };
      const ct = COLOR_TYPES[ihdr.color];
      if (!ct) fail(`unknown color type ${ihdr.color}`);
      if (!ct.depths.includes(ihdr.depth)) fail(`bit depth ${ihdr.depth} is invalid for ${ct.name} images (allowed: ${ct.depths.join(', ')})`);
      if (ihdr.width === 0 || ihdr.height === 0) fail(`image size ${ihdr.width}×${ihdr.height} is empty`);
      if (data[10] !== 0 || data[11] !== 0) fail(`unknown compression (${data[10]}) or filter method (${data[11]})`);
      if (ihdr.interlace === 1) fail('interlaced (Adam7) PNGs are not supported; save the image without interlacing');
      if (ihdr.interlace !== 0) fail(`unknown interlace method ${ihdr.interlace}`);
    } else if (type === 'PLTE') {
      if (len % 3 !== 0 || len === 0 || len > 768) fail(`PLTE chunk is ${len} bytes, expected a multiple of 3 up to 768`);
      palette = data;
    } else if (type === 'tRNS') {
      trns = data;
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      ended = true;
      break;
    } else if (type.charCodeAt(0) >= 65 && type.charCodeAt(0) <= 90) {
      fail(`unknown critical chunk ${type}`);
    }
  }
  if (!ihdr) fail('no IHDR chunk');
  const { width, height, depth, color } = ihdr!;
  if (!ended) fail('the file is truncated (no IEND chunk)');
  if (idat.length === 0) fail('no image data (IDAT chunk)');
  if (color === 3 && !palette) fail('palette image without a PLTE chunk');

  const inCh = COLOR_TYPES[color].channels;
  const bitsPerPixel = inCh * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const rowBytes = Math.ceil((width * bitsPerPixel) / 8);
  const need = height * (rowBytes + 1);
  const what = `${width}×${height} (${COLOR_TYPES[color].name}, ${depth}-bit)`;
  if (need > MAX_RAW_BYTES) fail(`the header declares ${what}, ${need} bytes of image data, more than the ${MAX_RAW_BYTES} one image may have`);
  let raw: Uint8Array;
  try {
    // NOTE: bounded by the header: a small file may inflate to gigabytes (a zip bomb); one byte over is enough to refuse it.
    raw = inflateSync(idat.length === 1 ? idat[0] : Buffer.concat(idat), { maxOutputLength: need + 1 });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') fail(`image data decompresses to more than the ${need} bytes the header declares for ${what}; the file is corrupt or malicious`);
    return fail(`corrupt image data (zlib: ${(e as Error).message})`);
  }
  if (raw.length < need) fail(`image data decompresses to ${raw.length} bytes, expected ${need} for ${what}: truncated`);
  if (raw.length > need) fail(`image data decompresses to more than the ${need} bytes the header declares for ${what}; the file is corrupt or malicious`);

  // undo the per-row filters in place
  const px = new Uint8Array(height * rowBytes);
  for (let r = 0; r < height; r++) {
    const f = raw[r * (rowBytes + 1)];
    const src = r * (rowBytes + 1) + 1, dst = r * rowBytes, prev = dst - rowBytes;
    for (let i = 0; i < rowBytes; i++) {
      const a = i >= bpp ? px[dst + i - bpp] : 0;
      const b = r > 0 ? px[prev + i] : 0;
      const c = r > 0 && i >= bpp ? px[prev + i - bpp] : 0;
      const x = raw[src + i];
      switch (f) {
        case 0: px[dst + i] = x; break;
        case 1: px[dst + i] = x + a; break;
        case 2: px[dst + i] = x + b; break;
        case 3: px[dst + i] = x + ((a + b) >> 1); break;
        case 4: px[dst + i] = x + paeth(a, b, c); break;
        default: return fail(`row ${r} has unknown filter type ${f}`);
      }
    }
  }

  // samples of one row as 8-bit values (16-bit keeps the high byte; 1/2/4-bit gray is scaled to 0..255)
  const sample = (r: number, k: number): number => {
    const row = r * rowBytes;
    if (depth === 8) return px[row + k];
    if (depth === 16) return px[row + 2 * k];
    const bit = k * depth;
    return (px[row + (bit >> 3)] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
  };
  if (color === 3) {
    const entries = palette!.length / 3;
    const channels = trns ? 4 : 3;
    const out = new Uint8Array(width * height * channels);
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const idx = sample(r, c);
        if (idx >= entries) fail(`pixel (${r}, ${c}) uses palette index ${idx}, but the palette has ${entries} entries`);
        const o = (r * width + c) * channels;
        out[o] = palette![3 * idx]; out[o + 1] = palette![3 * idx + 1]; out[o + 2] = palette![3 * idx + 2];
        if (trns) out[o + 3] = idx < trns.length ? trns[idx] : 255;
      }
    }
    return { width, height, channels: channels as 3 | 4, data: out };
  }
  const out = new Uint8Array(width * height * inCh);
  const scale = depth < 8 ? 255 / ((1 << depth) - 1) : 1;
  for (let r = 0, o = 0; r < height; r++) {
    for (let k = 0; k < width * inCh; k++) out[o++] = depth < 8 ? Math.round(sample(r, k) * scale) : sample(r, k);
  }
  return { width, height, channels: inCh as 1 | 2 | 3 | 4, data: out };
}

/** Reads and decodes a PNG file. */
export function readPng(path: string): PngImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new StrataError('readPng', `${path}: cannot read the file (${code === 'ENOENT' ? 'no such file' : (e as Error).message})`);
  }
  return decodePng(bytes, path);
}

export interface EncodePngOptions {
  /** Row filter: 0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth, or 'adaptive' (per row, smallest sum of |bytes|; default). */
  filter?: 0 | 1 | 2 | 3 | 4 | 'adaptive';
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

/** Encodes an 8-bit image (channels 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA) as PNG bytes. */
export function encodePng(img: PngImage, opts: EncodePngOptions = {}): Uint8Array {
  const op = 'writePng';
  const { width, height, channels, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new StrataError(op, `width and height must be positive integers, got ${width}×${height}`);
  const color = ({ 1: 0, 2: 4, 3: 2, 4: 6 } as Record<number, number>)[channels];
  if (color === undefined) throw new StrataError(op, `channels must be 1, 2, 3 or 4, got ${channels}`);
  if (!(data instanceof Uint8Array) || data.length !== width * height * channels) {
    throw new StrataError(op, `data must be a Uint8Array of width×height×channels = ${width * height * channels} values, got ${data?.length}`);
  }
  const filter = opts.filter ?? 'adaptive';
  if (!(filter === 'adaptive' || [0, 1, 2, 3, 4].includes(filter))) throw new StrataError(op, `filter must be 0-4 or 'adaptive', got ${String(filter)}`);
  const rowBytes = width * channels, bpp = channels;
  const raw = new Uint8Array(height * (rowBytes + 1));
  const cand = new Uint8Array(rowBytes);
  for (let r = 0; r < height; r++) {
    const row = r * rowBytes, prev = row - rowBytes;
    let bestCost = Infinity;
    for (const f of filter === 'adaptive' ? [0, 1, 2, 3, 4] : [filter]) {
      let cost = 0;
      for (let i = 0; i < rowBytes; i++) {
        const x = data[row + i];
        const a = i >= bpp ? data[row + i - bpp] : 0;
        const b = r > 0 ? data[prev + i] : 0;
        const c = r > 0 && i >= bpp ? data[prev + i - bpp] : 0;
        const v = (f === 0 ? x : f === 1 ? x - a : f === 2 ? x - b : f === 3 ? x - ((a + b) >> 1) : x - paeth(a, b, c)) & 0xff;
        cand[i] = v;
        cost += v < 128 ? v : 256 - v;
      }
      if (cost < bestCost) {
        bestCost = cost;
        raw[r * (rowBytes + 1)] = f;
        raw.set(cand, r * (rowBytes + 1) + 1);
      }
    }
  }
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr[8] = 8;
  ihdr[9] = color;
  const parts = [Uint8Array.from(SIGNATURE), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))];
  return Buffer.concat(parts);
}

/** Writes an 8-bit image as a PNG file. */
export function writePng(path: string, img: PngImage, opts: EncodePngOptions = {}): void {
  writeFileSync(path, encodePng(img, opts));
}

/**
 * A decoded image as a uint8 sample [C,H,W] with `channels` channels (default: the image's own,
 * alpha dropped). RGB → gray uses PIL's luma L = (19595 R + 38470 G + 7471 B + 32768) >> 16.
 */
export function imageToArray(img: PngImage, opts: { channels?: 1 | 3 } = {}): NDArray<Uint8Array> {
  const { width, height, channels, data } = img;
  const colorIn = channels >= 3;
  const outC = opts.channels ?? (colorIn ? 3 : 1);
  if (outC !== 1 && outC !== 3) throw new StrataError('imageToArray', `channels must be 1 or 3, got ${String(opts.channels)}`);
  const hw = width * height;
  const out = new Uint8Array(outC * hw);
  for (let p = 0; p < hw; p++) {
    const s = p * channels;
    if (colorIn) {
      const r = data[s], g = data[s + 1], b = data[s + 2];
      if (outC === 1) out[p] = (19595 * r + 38470 * g + 7471 * b + 32768) >> 16;
      else { out[p] = r; out[hw + p] = g; out[2 * hw + p] = b; }
    } else {
      for (let c = 0; c < outC; c++) out[c * hw + p] = data[s];
    }
  }
  return { data: out, shape: [outC, height, width] };
}
