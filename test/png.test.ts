// PNG decoding (hand-built files of every color type, filters, errors) and the encoder's round trip.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { st, throwsWith } from './helpers.js';

const { data } = st;
const tmp = mkdtempSync(join(tmpdir(), 'strata-png-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function chunk(type: string, body: number[] | Uint8Array): number[] {
  const b = Uint8Array.from(body);
  const out = new Uint8Array(12 + b.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, b.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(b, 8);
  v.setUint32(8 + b.length, data.crc32(out, 4, 8 + b.length));
  return [...out];
}
function ihdr(w: number, h: number, depth: number, color: number, interlace = 0): number[] {
  return chunk('IHDR', [0, 0, 0, w, 0, 0, 0, h, depth, color, 0, 0, interlace]);
}
const SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** A PNG from chunks; `rows` are the filtered scanlines (filter byte first), deflated into one IDAT. */
function png(head: number[], rows: number[][], extra: number[] = []): Uint8Array {
  return Uint8Array.from([...SIG, ...head, ...extra, ...chunk('IDAT', deflateSync(Uint8Array.from(rows.flat()))), ...chunk('IEND', [])]);
}

describe('PNG', () => {
  it('computes the standard CRC-32 check value', () => {
    assert.equal(data.crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  });

  it('undoes the Sub, Up, Average and Paeth filters', () => {
    // rows: Sub [10,5,5] → 10 15 20; Up [1,1,1] → 11 16 21; Average [4,4,4] → 9 16 22; Paeth [1,2,3] → 10 18 25
    const im = data.decodePng(png(ihdr(3, 4, 8, 0), [[1, 10, 5, 5], [2, 1, 1, 1], [3, 4, 4, 4], [4, 1, 2, 3]]));
    assert.deepEqual([im.width, im.height, im.channels], [3, 4, 1]);
    assert.deepEqual(Array.from(im.data), [10, 15, 20, 11, 16, 21, 9, 16, 22, 10, 18, 25]);
  });

  it('decodes palette (2-bit, with tRNS), 1-bit and 16-bit gray, gray+alpha and RGB', () => {
    const plte = chunk('PLTE', [10, 20, 30, 40, 50, 60, 70, 80, 90]);
    // indices [0,1,2] = 00 01 10 00 → 0x18; [2,2,1] = 10 10 01 00 → 0xa4
    const pal = data.decodePng(png(ihdr(3, 2, 2, 3), [[0, 0x18], [0, 0xa4]], [...plte, ...chunk('tRNS', [255, 128])]));
    assert.equal(pal.channels, 4);
    assert.deepEqual(Array.from(pal.data), [10, 20, 30, 255, 40, 50, 60, 128, 70, 80, 90, 255, 70, 80, 90, 255, 70, 80, 90, 255, 40, 50, 60, 128]);
    const palRgb = data.decodePng(png(ihdr(2, 1, 8, 3), [[0, 2, 0]], plte));
    assert.equal(palRgb.channels, 3);
    assert.deepEqual(Array.from(palRgb.data), [70, 80, 90, 10, 20, 30]);
    // bits 1011001110 → 0xb3 0x80
    const bits = data.decodePng(png(ihdr(10, 1, 1, 0), [[0, 0xb3, 0x80]]));
    assert.deepEqual(Array.from(bits.data), [255, 0, 255, 255, 0, 0, 255, 255, 255, 0]);
    const deep = data.decodePng(png(ihdr(2, 1, 16, 0), [[0, 0x12, 0x34, 0xff, 0x00]]));
    assert.deepEqual(Array.from(deep.data), [0x12, 0xff]);
    const ga = data.decodePng(png(ihdr(1, 2, 8, 4), [[0, 7, 200], [2, 1, 1]]));
    assert.deepEqual([ga.channels, ...ga.data], [2, 7, 200, 8, 201]);
    const rgb = data.decodePng(png(ihdr(2, 1, 8, 2), [[1, 1, 2, 3, 1, 1, 1]]));
    assert.deepEqual([rgb.channels, ...rgb.data], [3, 1, 2, 3, 2, 3, 4]);
    throwsWith(() => data.decodePng(png(ihdr(1, 1, 8, 3), [[0, 5]], chunk('PLTE', [1, 2, 3, 4, 5, 6]))), 'palette index 5', 'has 2 entries');
  });

  it('round-trips every channel count through every filter and a file', () => {
    const g = new st.Generator(4);
    for (const channels of [1, 2, 3, 4] as const) {
      const im = { width: 7, height: 5, channels, data: Uint8Array.from({ length: 7 * 5 * channels }, () => g.randint(0, 256)) };
      for (const filter of [0, 1, 2, 3, 4, 'adaptive'] as const) {
        const back = data.decodePng(data.encodePng(im, { filter }));
        assert.deepEqual([back.width, back.height, back.channels], [7, 5, channels]);
        assert.deepEqual(Array.from(back.data), Array.from(im.data), `channels ${channels} filter ${filter}`);
      }
    }
    const p = join(tmp, 'rgb.png');
    const im = { width: 3, height: 1, channels: 3 as const, data: Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255]) };
    data.writePng(p, im);
    const back = data.readPng(p);
    assert.deepEqual(Array.from(back.data), Array.from(im.data));
    // PIL's luma: (19595 R + 38470 G + 7471 B + 32768) >> 16 → red 76, green 150, blue 29
    const gray = data.imageToArray(back, { channels: 1 });
    assert.deepEqual(gray.shape, [1, 1, 3]);
    assert.deepEqual(Array.from(gray.data), [76, 150, 29]);
    const chw = data.imageToArray(back);
    assert.deepEqual(Array.from(chw.data), [255, 0, 0, 0, 255, 0, 0, 0, 255]);
    throwsWith(() => data.encodePng({ width: 2, height: 2, channels: 1, data: new Uint8Array(3) }), 'width×height×channels = 4');
  });

  it('reports malformed files clearly', () => {
    const good = png(ihdr(2, 2, 8, 0), [[0, 1, 2], [0, 3, 4]]);
    throwsWith(() => data.decodePng(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), 'x.png'), 'x.png', 'not a PNG file');
    const flipped = good.slice();
    flipped[good.length - 20] ^= 0xff; // inside the IDAT data
    throwsWith(() => data.decodePng(flipped), 'chunk IDAT', 'bad CRC');
    throwsWith(() => data.decodePng(good.subarray(0, good.length - 15)), 'truncated');
    throwsWith(() => data.decodePng(png(ihdr(2, 2, 8, 0, 1), [[0, 1, 2], [0, 3, 4]])), 'interlaced (Adam7) PNGs are not supported');
    throwsWith(() => data.decodePng(png(ihdr(2, 2, 16, 3), [[0, 1, 2], [0, 3, 4]])), 'bit depth 16 is invalid for palette images');
    throwsWith(() => data.decodePng(png(ihdr(2, 2, 8, 0), [[0, 1, 2]])), 'decompresses to 3 bytes, expected 6');
    throwsWith(() => data.decodePng(png(ihdr(2, 1, 8, 0), [[9, 1, 2]])), 'unknown filter type 9');
    throwsWith(() => data.readPng(join(tmp, 'none.png')), 'none.png', 'no such file');
  });

  it('inflates no more than the header declares (issue 12: a 28×28 PNG inflating to 1 GB)', () => {
    // 28×28 gray needs 28·(28 + 1) = 812 bytes; 64 MiB of zeros deflate to ~64 KB and must be refused
    const bomb = Uint8Array.from([...SIG, ...ihdr(28, 28, 8, 0), ...chunk('IDAT', deflateSync(new Uint8Array(64 << 20))), ...chunk('IEND', [])]);
    assert.ok(bomb.length < 100_000, `${bomb.length} bytes`);
    throwsWith(() => data.decodePng(bomb), 'more than the 812 bytes the header declares for 28×28');
    // one byte too many is refused as well; exactly 812 decodes
    const row = [0, ...new Array<number>(28).fill(7)];
    const rows = Array.from({ length: 28 }, () => row);
    assert.equal(data.decodePng(png(ihdr(28, 28, 8, 0), rows)).data[0], 7);
    throwsWith(() => data.decodePng(png(ihdr(28, 28, 8, 0), [...rows, [0]])), 'more than the 812 bytes');
    // a header declaring 100000×100000 RGBA is refused before inflating anything
    const wide = chunk('IHDR', [0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0, 8, 6, 0, 0, 0]);
    throwsWith(() => data.decodePng(png(wide, [[0, 1, 2, 3, 4]])), 'the header declares 100000×100000', '40000100000 bytes');
  });
});
