// PNG reading and writing (8-bit and 16-bit grayscale, RGB, palette, with alpha; non-interlaced), with zlib.
import { readFileSync } from 'node:fs';
import { deflateSync, inflateSync } from 'node:zlib';
import { StrataError } from '../tensor/errors.js';
import { writeFileAtomic } from '../io/atomic.js';

export interface Image {
  width: number;
  height: number;
  /** 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
  channels: number;
  /** Row-major, interleaved channels, 8 bits each. */
  data: Uint8Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Decodes a PNG file; errors name the file and what is wrong. */
export function readPng(path: string): Image {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new StrataError('readPng', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return decodePng(buf, path);
}

export function decodePng(buf: Uint8Array, name = '<buffer>'): Image {
  const fail = (m: string): never => {
    throw new StrataError('readPng', `${name}: ${m}`);
  };
  if (buf.length < 8 || SIGNATURE.some((b, i) => buf[i] !== b)) fail('not a PNG file (bad signature)');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 8;
  let width = 0, height = 0, depth = 0, colorType = -1, interlace = 0;
  let palette: Uint8Array | null = null, trns: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (pos < buf.length) {
    if (pos + 12 > buf.length) fail(`truncated chunk header at byte ${pos}`);
    const len = view.getUint32(pos);
    const type = String.fromCharCode(buf[pos + 4], buf[pos + 5], buf[pos + 6], buf[pos + 7]);
    if (pos + 12 + len > buf.length) fail(`chunk ${type} at byte ${pos} claims ${len} bytes but the file ends (truncated)`);
    const body = buf.subarray(pos + 8, pos + 8 + len);
    if (crc32(buf.subarray(pos + 4, pos + 8 + len)) !== view.getUint32(pos + 8 + len)) fail(`chunk ${type} at byte ${pos} has a bad CRC (corrupt file)`);
    if (type === 'IHDR') {
      width = view.getUint32(pos + 8);
      height = view.getUint32(pos + 12);
      depth = body[8];
      colorType = body[9];
      interlace = body[12];
    } else if (type === 'PLTE') palette = body;
    else if (type === 'tRNS') trns = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') {
      ended = true;
      break;
    }
    pos += 12 + len;
  }
  if (!width || !height) fail('missing IHDR chunk');
  if (!ended) fail('missing IEND chunk (truncated)');
  if (interlace) fail('interlaced PNGs are not supported; re-save without interlacing');
  if (depth !== 8 && depth !== 16) fail(`bit depth ${depth} is not supported (8 or 16)`);
  const samples = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colorType];
  if (!samples) fail(`color type ${colorType} is invalid`);
  if (colorType === 3 && (!palette || depth !== 8)) fail('palette image without a PLTE chunk or with a bit depth other than 8');
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat));
  } catch (e) {
    return fail(`image data does not inflate: ${(e as Error).message}`);
  }
  const bpp = samples * (depth / 8);
  const stride = width * bpp;
  if (raw.length < height * (stride + 1)) fail(`image data has ${raw.length} bytes, ${height * (stride + 1)} expected`);
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1, dst = y * stride, prev = dst - stride;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? px[dst + i - bpp] : 0;
      const b = y > 0 ? px[prev + i] : 0;
      const c = y > 0 && i >= bpp ? px[prev + i - bpp] : 0;
      let v = raw[src + i];
      switch (f) {
        case 0: break;
        case 1: v += a; break;
        case 2: v += b; break;
        case 3: v += (a + b) >> 1; break;
        case 4: {
          const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
          v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: fail(`row ${y} has an unknown filter type ${f}`);
      }
      px[dst + i] = v & 0xff;
    }
  }
  // to 8-bit channels; palette expands to RGB(A)
  if (colorType === 3) {
    const hasAlpha = trns !== null;
    const ch = hasAlpha ? 4 : 3;
    const out = new Uint8Array(width * height * ch);
    for (let i = 0; i < width * height; i++) {
      const k = px[i];
      if (3 * k + 2 >= palette!.length) fail(`palette index ${k} is outside the ${palette!.length / 3}-entry palette`);
      out[i * ch] = palette![3 * k];
      out[i * ch + 1] = palette![3 * k + 1];
      out[i * ch + 2] = palette![3 * k + 2];
      if (hasAlpha) out[i * ch + 3] = k < trns!.length ? trns![k] : 255;
    }
    return { width, height, channels: ch, data: out };
  }
  if (depth === 16) {
    const out = new Uint8Array(width * height * samples);
    for (let i = 0; i < out.length; i++) out[i] = px[2 * i];
    return { width, height, channels: samples, data: out };
  }
  return { width, height, channels: samples, data: px };
}

/** Encodes an 8-bit image as PNG (filter 0, zlib). */
export function encodePng(img: Image): Uint8Array {
  const colorType = ({ 1: 0, 2: 4, 3: 2, 4: 6 } as Record<number, number>)[img.channels];
  if (colorType === undefined) throw new StrataError('writePng', `channels must be 1, 2, 3 or 4, got ${img.channels}`);
  if (img.data.length !== img.width * img.height * img.channels) throw new StrataError('writePng', `${img.data.length} bytes do not make a ${img.width}×${img.height}×${img.channels} image`);
  const stride = img.width * img.channels;
  const raw = new Uint8Array(img.height * (stride + 1));
  for (let y = 0; y < img.height; y++) raw.set(img.data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const chunk = (type: string, body: Uint8Array) => {
    const out = new Uint8Array(12 + body.length);
    const v = new DataView(out.buffer);
    v.setUint32(0, body.length);
    for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
    out.set(body, 8);
    v.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
    return out;
  };
  const ihdr = new Uint8Array(13);
  const hv = new DataView(ihdr.buffer);
  hv.setUint32(0, img.width);
  hv.setUint32(4, img.height);
  ihdr[8] = 8;
  ihdr[9] = colorType;
  const parts = [Uint8Array.from(SIGNATURE), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))];
  return Buffer.concat(parts);
}

export function writePng(path: string, img: Image): void {
  writeFileAtomic(path, encodePng(img), 'writePng');
}
