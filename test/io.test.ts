// Serialization: safetensors byte layout against the spec, torch.save zip/pickle format, round trips for
// every dtype, corruption errors, atomic writes, and interop with Python's torch when it is installed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backends, st } from './helpers.js';
import type { Tensor } from '../src/index.js';
import { ZipWriter } from '../src/io/zip.js';
import { crc32, crc32Table } from '../src/io/bytes.js';

const { io } = st;
const enc = new TextEncoder();

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'strata-io-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});
let fileCounter = 0;
/** A fresh empty folder for one test. */
function freshDir(): string {
  const d = join(dir, `t${fileCounter++}`);
  mkdirSync(d);
  return d;
}

function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const arrs = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrs.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of arrs) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}
function u64le(n: number): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return [...b];
}
/** A safetensors file written by hand: length prefix, header text (unpadded unless given), data. */
function stFile(header: unknown, data: number[] | Uint8Array = [], rawHeader?: string): Uint8Array {
  const h = enc.encode(rawHeader ?? JSON.stringify(header));
  return concat(u64le(h.length), h, data instanceof Uint8Array ? data : Uint8Array.from(data));
}
function f32le(...vs: number[]): number[] {
  return [...new Uint8Array(Float32Array.from(vs).buffer)];
}
/** Values of a tensor as numbers (bigints as numbers). */
function vals(t: Tensor): number[] {
  return Array.from(t.data() as ArrayLike<number | bigint>, (v) => Number(v));
}
/** Exact equality that tells -0 from 0 and matches NaN to NaN. */
function assertSame(actual: number[], expected: number[], msg = ''): void {
  assert.equal(actual.length, expected.length, `${msg}: length`);
  for (let i = 0; i < expected.length; i++) assert.ok(Object.is(actual[i], expected[i]), `${msg}[${i}]: got ${actual[i]}, expected ${expected[i]}`);
}
function throwsStrata(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof st.StrataError, `expected a StrataError, got ${String(e)}`);
    assert.match((e as Error).message, re);
    return true;
  });
}

describe('safetensors byte layout (spec)', () => {
  it('matches the reference implementation byte for byte', () => {
    // the reference test vector: one F32 tensor "attn.0" of shape [1,2,3] holding 0..5
    const out = io.saveSafetensorsBuffer({ 'attn.0': st.tensor([0, 1, 2, 3, 4, 5], { shape: [1, 2, 3], backend: 'js' }) });
    const expected = [
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
      116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
      58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
      101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
      0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ];
    assert.deepEqual([...out], expected);
    // that header is exactly 64 bytes; one letter shorter (and a longer shape) needs 7 spaces of padding
    const out2 = io.saveSafetensorsBuffer({ attn0: st.tensor([0, 1, 2, 3, 4, 5], { shape: [1, 1, 2, 3], backend: 'js' }) });
    const json2 = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}';
    assert.equal(json2.length, 65);
    assert.deepEqual([...out2], [...concat(u64le(72), enc.encode(json2 + ' '.repeat(7)), f32le(0, 1, 2, 3, 4, 5))]);
  });

  it('writes empty files and metadata as the reference does', () => {
    assert.deepEqual([...io.saveSafetensorsBuffer({})], [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    assert.deepEqual([...io.saveSafetensorsBuffer({}, { framework: 'pt' })], [
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
      95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
      116, 34, 125, 125, 32, 32, 32, 32, 32,
    ]);
  });

  it('orders tensors by alignment (I64, F64, F32, I32, BOOL), then by name', () => {
    const out = io.saveSafetensorsBuffer({
      flag: st.tensor([true, false], { backend: 'js' }),
      z: st.tensor([1.5], { backend: 'js' }),
      y: st.tensor([-2], { backend: 'js' }),
      step: st.tensor(new BigInt64Array([5n]), { shape: [], dtype: 'int64', backend: 'js' }),
      idx: st.tensor([258], { dtype: 'int32', backend: 'js' }),
      d: st.tensor([0.5], { dtype: 'float64', backend: 'js' }),
    });
    const json = '{"step":{"dtype":"I64","shape":[],"data_offsets":[0,8]},'
      + '"d":{"dtype":"F64","shape":[1],"data_offsets":[8,16]},'
      + '"y":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},'
      + '"z":{"dtype":"F32","shape":[1],"data_offsets":[20,24]},'
      + '"idx":{"dtype":"I32","shape":[1],"data_offsets":[24,28]},'
      + '"flag":{"dtype":"BOOL","shape":[2],"data_offsets":[28,30]}}';
    const padded = Math.ceil(json.length / 8) * 8;
    const expected = concat(
      u64le(padded), enc.encode(json + ' '.repeat(padded - json.length)),
      [5, 0, 0, 0, 0, 0, 0, 0], // int64 5
      [0, 0, 0, 0, 0, 0, 0xe0, 0x3f], // float64 0.5 = 0x3FE0000000000000
      [0, 0, 0, 0xc0], // float32 -2 = 0xC0000000
      [0, 0, 0xc0, 0x3f], // float32 1.5 = 0x3FC00000
      [2, 1, 0, 0], // int32 258
      [1, 0], // bool
    );
    assert.deepEqual([...out], [...expected]);
    assert.equal((8 + padded) % 8, 0);
  });

  it('reads a header without the data and reports the layout', () => {
    const bytes = stFile({ __metadata__: { a: 'b' }, w: { dtype: 'F8_E4M3', shape: [2, 2], data_offsets: [0, 4] } }, [1, 2, 3, 4]);
    const h = io.readSafetensorsHeaderBuffer(bytes);
    assert.deepEqual(h.metadata, { a: 'b' });
    assert.deepEqual(h.tensors.w, { dtype: 'F8_E4M3', shape: [2, 2], dataOffsets: [0, 4] });
    assert.equal(h.dataStart, bytes.length - 4);
    assert.equal(h.byteLength, bytes.length);
    // F8 can be inspected but not loaded
    throwsStrata(() => io.loadSafetensorsBuffer(bytes), /tensor "w" has dtype F8_E4M3, which strata cannot load/);
  });
});

for (const be of backends()) {
  describe(`round trips on ${be}`, () => {
    const make = (): Record<string, Tensor> => ({
      f32: st.tensor([1.5, -2.25, 3e-8, Infinity, -0, NaN], { shape: [2, 3], backend: be }),
      f64: st.tensor(new Float64Array([Math.PI, -1e300, 5e-324, -0]), { shape: [4], dtype: 'float64', backend: be }),
      i32: st.tensor(new Int32Array([-(2 ** 31), 2 ** 31 - 1, 7]), { dtype: 'int32', backend: be }),
      i64: st.tensor(new BigInt64Array([-(2n ** 53n - 1n), 2n ** 40n + 3n, -1n, 0n]), { shape: [2, 2], dtype: 'int64', backend: be }),
      b: st.tensor(Uint8Array.from([1, 0, 1]), { dtype: 'bool', backend: be }),
      scalar: st.tensor(new Float32Array([2.5]), { shape: [], backend: be }),
      iscalar: st.tensor(new BigInt64Array([-9n]), { shape: [], dtype: 'int64', backend: be }),
      empty: st.tensor(new Float32Array(0), { shape: [0, 3], backend: be }),
      empty2: st.tensor(new Int32Array(0), { shape: [3, 0], dtype: 'int32', backend: be }),
    });
    const expected: Record<string, { dtype: string; shape: number[]; values: number[] }> = {
      f32: { dtype: 'float32', shape: [2, 3], values: [1.5, -2.25, Math.fround(3e-8), Infinity, -0, NaN] },
      f64: { dtype: 'float64', shape: [4], values: [Math.PI, -1e300, 5e-324, -0] },
      i32: { dtype: 'int32', shape: [3], values: [-(2 ** 31), 2 ** 31 - 1, 7] },
      i64: { dtype: 'int64', shape: [2, 2], values: [-(2 ** 53 - 1), 2 ** 40 + 3, -1, 0] },
      b: { dtype: 'bool', shape: [3], values: [1, 0, 1] },
      scalar: { dtype: 'float32', shape: [], values: [2.5] },
      iscalar: { dtype: 'int64', shape: [], values: [-9] },
      empty: { dtype: 'float32', shape: [0, 3], values: [] },
      empty2: { dtype: 'int32', shape: [3, 0], values: [] },
    };
    const check = (got: Record<string, Tensor>, what: string) => {
      assert.deepEqual(Object.keys(got).sort(), Object.keys(expected).sort(), `${what}: names`);
      for (const [k, e] of Object.entries(expected)) {
        const t = got[k];
        assert.equal(t.dtype, e.dtype, `${what} ${k} dtype`);
        assert.deepEqual(t.shape, e.shape, `${what} ${k} shape`);
        assert.equal(t.backend.name, be, `${what} ${k} backend`);
        assertSame(vals(t), e.values, `${what} ${k}`);
      }
    };

    it('safetensors in memory and on disk, with metadata', () => {
      const meta = { format: 'pt', note: 'ünïcode "quoted"' };
      const buf = io.saveSafetensorsBuffer(make(), meta);
      const a = io.loadSafetensorsBuffer(buf, { backend: be });
      check(a.tensors, 'buffer');
      assert.deepEqual(a.metadata, meta);
      const p = join(freshDir(), 'm.safetensors');
      io.saveSafetensors(p, make(), meta);
      assert.deepEqual([...readFileSync(p)], [...buf], 'file equals buffer');
      const b = io.loadSafetensors(p, { backend: be });
      check(b.tensors, 'file');
      assert.deepEqual(b.metadata, meta);
      assert.deepEqual(io.loadSafetensors(p).metadata, meta);
    });

    it('safetensors loads a subset by name', () => {
      const p = join(freshDir(), 'm.safetensors');
      io.saveSafetensors(p, make());
      const { tensors } = io.loadSafetensors(p, { backend: be, names: ['i64', 'empty'] });
      assert.deepEqual(Object.keys(tensors).sort(), ['empty', 'i64']);
      assertSame(vals(tensors.i64), expected.i64.values);
      throwsStrata(() => io.loadSafetensors(p, { names: ['nope'] }), /m\.safetensors: no tensor named "nope"/);
    });

    it('torch format in memory and on disk', () => {
      const buf = io.saveTorchBuffer(make());
      check(io.loadTorchBuffer(buf, { backend: be }), 'buffer');
      const p = join(freshDir(), 'm.pt');
      io.saveTorch(p, make());
      check(io.loadTorch(p, { backend: be }), 'file');
    });

    if (be === 'native') {
      it('keeps int64 values beyond 2^53 exact (the native backend stores 64-bit integers)', () => {
        const big = [2n ** 62n + 1n, -(2n ** 63n), 2n ** 63n - 1n];
        const t = () => ({ x: st.tensor(BigInt64Array.from(big), { dtype: 'int64', backend: be }) });
        for (const back of [io.loadSafetensorsBuffer(io.saveSafetensorsBuffer(t()), { backend: be }).tensors, io.loadTorchBuffer(io.saveTorchBuffer(t()), { backend: be })]) {
          assert.deepEqual([...(back.x.data() as BigInt64Array)], big);
        }
      });
    }

    it('torch format keeps one storage for a tensor saved under two names', () => {
      const w = st.tensor([1, 2, 3, 4], { shape: [2, 2], backend: be });
      const buf = io.saveTorchBuffer({ 'enc.w': w, 'dec.w': w });
      const names = zipNames(buf);
      assert.deepEqual(names, ['archive/data.pkl', 'archive/data/0', 'archive/version']);
      const back = io.loadTorchBuffer(buf, { backend: be });
      assert.deepEqual(vals(back['enc.w']), [1, 2, 3, 4]);
      assert.deepEqual(vals(back['dec.w']), [1, 2, 3, 4]);
    });
  });
}

/** Walks the local headers of a zip: names, data offsets, extra fields. */
function zipLocal(buf: Uint8Array): { name: string; dataStart: number; size: number; extra: Uint8Array }[] {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out = [];
  let p = 0;
  while (v.getUint32(p, true) === 0x04034b50) {
    const size = v.getUint32(p + 18, true);
    const n = v.getUint16(p + 26, true), e = v.getUint16(p + 28, true);
    const name = new TextDecoder().decode(buf.subarray(p + 30, p + 30 + n));
    const extra = buf.subarray(p + 30 + n, p + 30 + n + e);
    const dataStart = p + 30 + n + e;
    out.push({ name, dataStart, size, extra });
    p = dataStart + size;
  }
  return out;
}
function zipNames(buf: Uint8Array): string[] {
  return zipLocal(buf).map((e) => e.name);
}

describe('torch format layout', () => {
  it('computes zip CRC-32 (the standard check value)', () => {
    const data = enc.encode('123456789');
    for (const f of [crc32, crc32Table]) {
      assert.equal(f(data), 0xcbf43926);
      assert.equal(f(data.subarray(4), f(data.subarray(0, 4))), 0xcbf43926, 'continued');
      assert.equal(f(new Uint8Array(0)), 0);
    }
  });

  it('writes data.pkl, data/<key> aligned to 64 bytes, and version "3"', () => {
    const buf = io.saveTorchBuffer({
      a: st.tensor([1, 2, 3], { backend: 'js' }),
      b: st.tensor(new Float64Array([4]), { dtype: 'float64', backend: 'js' }),
    });
    const entries = zipLocal(buf);
    assert.deepEqual(entries.map((e) => e.name), ['archive/data.pkl', 'archive/data/0', 'archive/data/1', 'archive/version']);
    for (const e of entries) {
      assert.equal(e.dataStart % 64, 0, `${e.name} data at ${e.dataStart}`);
      assert.deepEqual([...e.extra.subarray(0, 2)], [0x46, 0x42], 'FB extra field');
      assert.equal(e.extra[2] | (e.extra[3] << 8), e.extra.length - 4, 'padding length');
    }
    const data0 = entries[1];
    assert.deepEqual([...buf.subarray(data0.dataStart, data0.dataStart + data0.size)], f32le(1, 2, 3));
    const ver = entries[3];
    assert.equal(new TextDecoder().decode(buf.subarray(ver.dataStart, ver.dataStart + ver.size)), '3\n');
    // the pickle starts with PROTO 2 and the OrderedDict global, as torch.save's does
    const pkl = entries[0];
    assert.deepEqual([...buf.subarray(pkl.dataStart, pkl.dataStart + 2)], [0x80, 2]);
    assert.equal(new TextDecoder().decode(buf.subarray(pkl.dataStart + 2, pkl.dataStart + 27)), 'ccollections\nOrderedDict\n');
  });

  it('names the archive folder after the file', () => {
    const p = join(freshDir(), 'my-model.pt');
    io.saveTorch(p, { a: st.tensor([1], { backend: 'js' }) });
    assert.deepEqual(zipNames(readFileSync(p)), ['my-model/data.pkl', 'my-model/data/0', 'my-model/version']);
  });
});

/** A hand-assembled protocol-2 pickle. */
class Pkl {
  bytes: number[] = [0x80, 2];
  op(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }
  str(s: string): this {
    const b = enc.encode(s);
    return this.op(0x58, b.length & 0xff, (b.length >> 8) & 0xff, 0, 0, ...b);
  }
  glob(m: string, n: string): this {
    return this.op(0x63, ...enc.encode(`${m}\n${n}\n`));
  }
  int(n: number): this {
    if (n < 256) return this.op(0x4b, n);
    // LONG1: a little-endian two's-complement integer of 8 bytes (for sizes beyond one byte)
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, BigInt(n), true);
    return this.op(0x8a, 8, ...b);
  }
  /** _rebuild_tensor_v2(storage(key, FloatStorage, numel), offset, size, stride, False, OrderedDict()) */
  tensor(key: string, numel: number, offset: number, size: number[], stride: number[], storage = 'FloatStorage'): this {
    this.glob('torch._utils', '_rebuild_tensor_v2').op(0x28);
    this.op(0x28).str('storage').glob('torch', storage).str(key).str('cpu').int(numel).op(0x74, 0x51);
    this.int(offset).op(0x28);
    for (const s of size) this.int(s);
    this.op(0x74, 0x28);
    for (const s of stride) this.int(s);
    this.op(0x74, 0x89).glob('collections', 'OrderedDict').op(0x29, 0x52);
    return this.op(0x74, 0x52);
  }
  done(): Uint8Array {
    return Uint8Array.from([...this.bytes, 0x2e]);
  }
}
/** A torch-style zip with the given pickle and records (written with strata's zip writer). */
function torchZip(pickle: Uint8Array, records: Record<string, Uint8Array> = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  const z = new ZipWriter((c) => chunks.push(c.slice()), 'test');
  z.add('ck/data.pkl', pickle);
  for (const [k, v] of Object.entries(records)) z.add(`ck/${k}`, v);
  z.add('ck/version', enc.encode('3\n'));
  z.finish();
  return concat(...chunks);
}

/** Rewrites a zip's central directory in ZIP64 form: 64-bit sizes and offsets in extra fields, ZIP64 end records. */
function toZip64(buf: Uint8Array): Uint8Array {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const eocd = buf.length - 22;
  const count = v.getUint16(eocd + 10, true), cdOffset = v.getUint32(eocd + 16, true);
  const parts: Uint8Array[] = [buf.subarray(0, cdOffset)];
  let p = cdOffset, cdSize = 0;
  for (let i = 0; i < count; i++) {
    const n = v.getUint16(p + 28, true), e = v.getUint16(p + 30, true);
    const head = buf.slice(p, p + 46);
    const h = new DataView(head.buffer);
    const csize = h.getUint32(20, true), usize = h.getUint32(24, true), off = h.getUint32(42, true);
    for (const f of [20, 24, 42]) h.setUint32(f, 0xffffffff, true);
    h.setUint16(30, 28, true);
    const extra = new Uint8Array(28);
    const x = new DataView(extra.buffer);
    x.setUint16(0, 1, true);
    x.setUint16(2, 24, true);
    x.setBigUint64(4, BigInt(usize), true);
    x.setBigUint64(12, BigInt(csize), true);
    x.setBigUint64(20, BigInt(off), true);
    parts.push(head, buf.subarray(p + 46, p + 46 + n), extra);
    cdSize += 46 + n + 28;
    p += 46 + n + e;
  }
  const z64Pos = cdOffset + cdSize;
  const tail = new Uint8Array(56 + 20 + 22);
  const t = new DataView(tail.buffer);
  t.setUint32(0, 0x06064b50, true);
  t.setBigUint64(4, 44n, true);
  t.setUint16(12, 45, true);
  t.setUint16(14, 45, true);
  t.setBigUint64(24, BigInt(count), true);
  t.setBigUint64(32, BigInt(count), true);
  t.setBigUint64(40, BigInt(cdSize), true);
  t.setBigUint64(48, BigInt(cdOffset), true);
  t.setUint32(56, 0x07064b50, true);
  t.setBigUint64(64, BigInt(z64Pos), true);
  t.setUint32(72, 1, true);
  t.setUint32(76, 0x06054b50, true);
  t.setUint16(84, 0xffff, true);
  t.setUint16(86, 0xffff, true);
  t.setUint32(88, 0xffffffff, true);
  t.setUint32(92, 0xffffffff, true);
  parts.push(tail);
  return concat(...parts);
}

describe('torch format reading', () => {
  const storage6 = Uint8Array.from(f32le(0, 1, 2, 3, 4, 5));

  it('copies strided views out of a storage contiguously', () => {
    // {'v': storage[1 + i + 2j] for size (2,2) stride (1,2), 'w': storage[5] as a 0-d tensor}
    const pkl = new Pkl().op(0x7d, 0x28).str('v').tensor('0', 6, 1, [2, 2], [1, 2]).str('w').tensor('0', 6, 5, [], []).op(0x75).done();
    const sd = io.loadTorchBuffer(torchZip(pkl, { 'data/0': storage6 }), { backend: 'js' });
    assert.deepEqual(sd.v.shape, [2, 2]);
    assert.deepEqual(vals(sd.v), [1, 3, 2, 4]);
    assert.deepEqual(sd.w.shape, []);
    assert.deepEqual(vals(sd.w), [5]);
  });

  it('refuses views that reach past their storage', () => {
    // last element 1 + 1*1 + 1*4 = 6, but the storage has 6 elements (0..5)
    const pkl = new Pkl().op(0x7d, 0x28).str('v').tensor('0', 6, 1, [2, 2], [1, 4]).op(0x75).done();
    throwsStrata(() => io.loadTorchBuffer(torchZip(pkl, { 'data/0': storage6 })), /reaches element 6 of storage "0", which has 6/);
  });

  it('refuses a tensor declaring more elements than one tensor can hold (issue 12)', () => {
    // a 1e12×1e12 view of a 1-element storage (stride 0): 1e24 elements; PyTorch itself overflows on it
    const pkl = new Pkl().op(0x7d, 0x28).str('w').tensor('0', 1, 0, [1e12, 1e12], [0, 0]).op(0x75).done();
    throwsStrata(() => io.loadTorchBuffer(torchZip(pkl, { 'data/0': Uint8Array.from(f32le(0)) })), /size \[1000000000000,1000000000000\] has 1e\+24 elements, more than the 4294967296/);
  });

  it('refuses a storage record shorter than its element count', () => {
    const pkl = new Pkl().op(0x7d, 0x28).str('v').tensor('0', 8, 0, [8], [1]).op(0x75).done();
    throwsStrata(() => io.loadTorchBuffer(torchZip(pkl, { 'data/0': storage6 })), /record ck\/data\/0 has 24 bytes, but its storage needs 32/);
    throwsStrata(() => io.loadTorchBuffer(torchZip(pkl)), /storage "0" has no record ck\/data\/0/);
  });

  it('names unsupported globals and never runs them', () => {
    const numpy = new Pkl().op(0x7d, 0x28).str('x').glob('numpy.core.multiarray', 'scalar').op(0x29, 0x52, 0x75).done();
    throwsStrata(() => io.loadTorchBuffer(torchZip(numpy)), /unsupported pickle global numpy\.core\.multiarray\.scalar/);
    const evil = new Pkl().glob('os', 'system').str('echo hi').op(0x85, 0x52).done();
    throwsStrata(() => io.loadTorchBuffer(torchZip(evil)), /unsupported pickle global os\.system/);
    const script = new Pkl().glob('__torch__', 'Net').op(0x29, 0x81).done();
    throwsStrata(() => io.loadTorchBuffer(torchZip(script)), /__torch__\.Net.*TorchScript/);
    const complex = new Pkl().op(0x7d, 0x28).str('c').tensor('0', 1, 0, [1], [1], 'ComplexFloatStorage').op(0x75).done();
    throwsStrata(() => io.loadTorchBuffer(torchZip(complex, { 'data/0': new Uint8Array(8) })), /unsupported pickle global torch\.ComplexFloatStorage/);
  });

  it('reports truncated and corrupt pickles', () => {
    const good = new Pkl().op(0x7d, 0x28).str('v').tensor('0', 6, 0, [6], [1]).op(0x75).done();
    for (let cut = 2; cut < good.length; cut += 7) {
      throwsStrata(() => io.loadTorchBuffer(torchZip(good.subarray(0, cut), { 'data/0': storage6 })), /data\.pkl: /);
    }
    throwsStrata(() => io.loadTorchBuffer(torchZip(Uint8Array.from([0x80, 2, 0xff, 0x2e]))), /unsupported pickle opcode 0xff/);
    throwsStrata(() => io.loadTorchBuffer(torchZip(Uint8Array.from([0x80, 2, 0x68, 9, 0x2e]))), /memo key 9 used before it was set/);
  });

  it('reads protocol-4 opcodes, big ints and floats as loadTorchObject values', () => {
    // {'big': 2**70, 'neg': -129, 'lr': 0.5, 'name': 'x', 'flags': [True, None]} with FRAME, MEMOIZE, STACK_GLOBAL
    const b = [0x80, 4, 0x95, ...u64le(0), 0x7d, 0x94, 0x28];
    const sstr = (s: string) => [0x8c, s.length, ...enc.encode(s)];
    b.push(...sstr('big'), 0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0x40); // LONG1: 2**70
    b.push(...sstr('neg'), 0x8a, 2, 0x7f, 0xff); // LONG1: -129
    b.push(...sstr('lr'), 0x47, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0); // BINFLOAT 0.5 (big-endian)
    b.push(...sstr('name'), ...sstr('x'), 0x94);
    b.push(...sstr('od'), ...sstr('collections'), ...sstr('OrderedDict'), 0x93, 0x29, 0x52);
    b.push(...sstr('flags'), 0x5d, 0x28, 0x88, 0x4e, 0x65, 0x75, 0x2e);
    const p = join(freshDir(), 'obj.pt');
    writeFileSync(p, torchZip(Uint8Array.from(b)));
    const obj = io.loadTorchObject(p) as Map<string, unknown>;
    assert.ok(obj instanceof Map);
    assert.equal(obj.get('big'), 2n ** 70n);
    assert.equal(obj.get('neg'), -129);
    assert.equal(obj.get('lr'), 0.5);
    assert.equal(obj.get('name'), 'x');
    assert.ok(obj.get('od') instanceof Map);
    assert.deepEqual(obj.get('flags'), [true, null]);
    // no tensors: loadTorch gives an empty record
    assert.deepEqual(Object.keys(io.loadTorch(p)), []);
  });

  it('reads ZIP64 archives (PyTorch always writes ZIP64 end records; big files need 64-bit fields)', () => {
    const buf = io.saveTorchBuffer({ a: st.tensor([1, 2, 3], { backend: 'js' }), b: st.tensor([true], { backend: 'js' }) });
    const z64 = toZip64(buf);
    assert.notEqual(z64.length, buf.length);
    const sd = io.loadTorchBuffer(z64, { backend: 'js' });
    assert.deepEqual(vals(sd.a), [1, 2, 3]);
    assert.deepEqual(vals(sd.b), [1]);
    // the ZIP64 end record is found through its locator: break the locator's pointer
    const broken = z64.slice();
    new DataView(broken.buffer).setUint32(broken.length - 22 - 20 + 8, 3, true);
    throwsStrata(() => io.loadTorchBuffer(broken), /no ZIP64 end record at offset 3/);
  });

  it('refuses files that are not zip checkpoints, missing ZIP64 records and corrupt data', () => {
    throwsStrata(() => io.loadTorchBuffer(Uint8Array.from([0x80, 2, 0x8a, 0x0a])), /legacy torch\.save format/);
    throwsStrata(() => io.loadTorchBuffer(enc.encode('hello world')), /not a PyTorch checkpoint/);
    throwsStrata(() => io.loadTorchBuffer(new Uint8Array(2)), /too short/);
    const good = io.saveTorchBuffer({ a: st.tensor([1, 2, 3], { backend: 'js' }) });
    const zip64 = good.slice();
    new DataView(zip64.buffer).setUint32(zip64.length - 6, 0xffffffff, true); // central directory offset
    throwsStrata(() => io.loadTorchBuffer(zip64), /points to ZIP64 records that are missing/);
    const flipped = good.slice();
    const rec = zipLocal(good).find((e) => e.name === 'archive/data/0')!;
    flipped[rec.dataStart + 5] ^= 0x40;
    throwsStrata(() => io.loadTorchBuffer(flipped), /entry "archive\/data\/0": CRC-32 mismatch/);
    for (let cut = 0; cut < good.length; cut += 13) {
      throwsStrata(() => io.loadTorchBuffer(good.subarray(0, cut)), /<buffer>: /);
    }
    const p = join(freshDir(), 'trunc.pt');
    writeFileSync(p, good.subarray(0, good.length - 30));
    throwsStrata(() => io.loadTorch(p), /trunc\.pt: /);
    throwsStrata(() => io.loadTorch(join(dir, 'missing.pt')), /loadTorch: cannot open .*missing\.pt/);
  });

  it('loadTorch refuses a file holding something other than a dict', () => {
    const pkl = new Pkl().tensor('0', 6, 0, [6], [1]).done();
    throwsStrata(() => io.loadTorchBuffer(torchZip(pkl, { 'data/0': storage6 })), /holds a single tensor, not a dict of tensors; use loadTorchObject/);
  });
});

describe('safetensors corruption', () => {
  const w = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
  const cases: [string, Uint8Array, RegExp][] = [
    ['shorter than 8 bytes', Uint8Array.from([1, 2, 3, 4, 5]), /is 5 bytes, shorter than the 8-byte header length/],
    ['header length beyond the file', concat(u64le(1000), enc.encode('{}')), /header length 1000 runs past the end of the file \(10 bytes\)/],
    ['absurd header length', concat(u64le(2 ** 40), enc.encode('{}')), /header length 1099511627776 runs past the end/],
    ['invalid UTF-8', concat(u64le(2), [0xff, 0xfe]), /header is not valid UTF-8/],
    ['invalid JSON', stFile(null, [], '{"w": {"dtype": "F32",'), /header is not valid JSON/],
    ['JSON that is not an object', stFile([1, 2]), /header must be a JSON object/],
    ['unknown dtype', stFile({ w: { ...w, dtype: 'F7' } }, f32le(1, 2)), /tensor "w": unknown dtype "F7"/],
    ['bad shape', stFile({ w: { ...w, shape: [-2] } }, f32le(1, 2)), /tensor "w": shape must be an array of non-negative integers/],
    ['bad offsets', stFile({ w: { ...w, data_offsets: [0] } }, f32le(1, 2)), /tensor "w": data_offsets must be \[begin, end\]/],
    ['reversed offsets', stFile({ w: { ...w, data_offsets: [8, 0] } }, f32le(1, 2)), /data_offsets \[8,0\] end before they begin/],
    ['offsets not matching shape × dtype', stFile({ w: { ...w, shape: [3] } }, f32le(1, 2)), /tensor "w": data_offsets \[0,8\] hold 8 bytes, but shape \[3\] of F32 needs 12/],
    ['offsets out of range', stFile({ w: { ...w, data_offsets: [4, 12] } }, f32le(1, 2)), /tensor "w": data_offsets \[4,12\] run past the end of the data section \(8 bytes\)/],
    ['overlapping tensors', stFile({ w, v: { ...w, data_offsets: [4, 12] } }, f32le(1, 2, 3)), /tensor "v": data_offsets \[4,12\] overlap tensor "w"/],
    ['a hole between tensors', stFile({ w, v: { ...w, data_offsets: [12, 20] } }, f32le(1, 2, 3, 4, 5)), /leave bytes \[8,12\) of the data section unused/],
    ['trailing garbage', stFile({ w }, [...f32le(1, 2), 9, 9, 9]), /3 bytes of trailing data after the last tensor/],
    ['non-string metadata', stFile({ __metadata__: { epoch: 3 }, w }, f32le(1, 2)), /__metadata__ value for "epoch" must be a string/],
    ['a non-object entry', stFile({ w: 7 }), /tensor "w": entry must be an object/],
  ];
  for (const [what, bytes, re] of cases) {
    it(`refuses ${what}`, () => {
      throwsStrata(() => io.loadSafetensorsBuffer(bytes), re);
      throwsStrata(() => io.readSafetensorsHeaderBuffer(bytes), re);
      const p = join(freshDir(), 'bad.safetensors');
      writeFileSync(p, bytes);
      throwsStrata(() => io.loadSafetensors(p), re);
      assert.throws(() => io.loadSafetensors(p), (e: Error) => e.message.startsWith(`loadSafetensors: ${p}: `), 'names the file');
      throwsStrata(() => io.readSafetensorsHeader(p), re);
    });
  }

  it('refuses every truncation of a valid file', () => {
    const good = io.saveSafetensorsBuffer({ a: st.tensor([1, 2, 3], { backend: 'js' }), b: st.tensor([true], { backend: 'js' }) }, { k: 'v' });
    for (let cut = 0; cut < good.length; cut++) throwsStrata(() => io.loadSafetensorsBuffer(good.subarray(0, cut)), /^loadSafetensorsBuffer: <buffer>: /);
  });

  it('accepts tensors listed in any order and empty tensors anywhere', () => {
    const bytes = stFile({
      b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
      e: { dtype: 'I64', shape: [0, 4], data_offsets: [8, 8] },
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
    }, f32le(1, 2, 3));
    const { tensors } = io.loadSafetensorsBuffer(bytes, { backend: 'js' });
    assert.deepEqual(vals(tensors.a), [1, 2]);
    assert.deepEqual(vals(tensors.b), [3]);
    assert.deepEqual(tensors.e.shape, [0, 4]);
    assert.equal(tensors.e.dtype, 'int64');
  });

  it('reports missing files and folders', () => {
    throwsStrata(() => io.loadSafetensors(join(dir, 'nope.safetensors')), /loadSafetensors: cannot open .*nope\.safetensors: ENOENT/);
    throwsStrata(() => io.readSafetensorsHeader(dir), /is a directory/);
  });
});

describe('safetensors dtypes from other writers', () => {
  it('reads F16 and BF16 as float32', () => {
    const f16 = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x8000, 0x3555, 0x0400];
    const bf16 = [0x3f80, 0xc040, 0x4049, 0x0001, 0xff80];
    const u16 = (xs: number[]) => xs.flatMap((x) => [x & 0xff, x >> 8]);
    const bytes = stFile({
      h: { dtype: 'F16', shape: [2, 4], data_offsets: [0, 16] },
      b: { dtype: 'BF16', shape: [5], data_offsets: [16, 26] },
    }, u16([...f16, ...bf16]));
    const { tensors } = io.loadSafetensorsBuffer(bytes, { backend: 'js' });
    assert.equal(tensors.h.dtype, 'float32');
    assert.deepEqual(tensors.h.shape, [2, 4]);
    // 1, -2, max half 65504, smallest subnormal 2^-24, inf, -0, 1.0101010101b × 2^-2, smallest normal 2^-14
    assertSame(vals(tensors.h), [1, -2, 65504, 2 ** -24, Infinity, -0, 0.333251953125, 2 ** -14]);
    // bf16 is the top half of a float32: 1, -3, 3.140625, 2^-133 (subnormal), -inf
    assertSame(vals(tensors.b), [1, -3, 3.140625, 2 ** -133, -Infinity]);
  });

  it('widens narrow integers losslessly and refuses U64 values beyond int64', () => {
    const bytes = stFile({
      i8: { dtype: 'I8', shape: [2], data_offsets: [0, 2] },
      u8: { dtype: 'U8', shape: [2], data_offsets: [2, 4] },
      i16: { dtype: 'I16', shape: [2], data_offsets: [4, 8] },
      u16: { dtype: 'U16', shape: [1], data_offsets: [8, 10] },
      u32: { dtype: 'U32', shape: [1], data_offsets: [10, 14] },
    }, [0x80, 0x7f, 0, 255, 0x00, 0x80, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    const { tensors: t } = io.loadSafetensorsBuffer(bytes, { backend: 'js' });
    assert.deepEqual([t.i8.dtype, t.u8.dtype, t.i16.dtype, t.u16.dtype, t.u32.dtype], ['int32', 'int32', 'int32', 'int32', 'int64']);
    assert.deepEqual(vals(t.i8), [-128, 127]);
    assert.deepEqual(vals(t.u8), [0, 255]);
    assert.deepEqual(vals(t.i16), [-32768, 32767]);
    assert.deepEqual(vals(t.u16), [65535]);
    assert.deepEqual(vals(t.u32), [4294967295]);
    const u64 = stFile({ x: { dtype: 'U64', shape: [1], data_offsets: [0, 8] } }, [0, 0, 0, 0, 0, 0, 0, 0x80]);
    throwsStrata(() => io.loadSafetensorsBuffer(u64), /tensor "x": value 9223372036854775808 at element 0 does not fit in int64/);
  });
});

describe('saving: validation and atomic writes', () => {
  const good = () => ({ a: st.tensor(new Float64Array([1, 2]), { dtype: 'float64', backend: 'js' }) });
  /** A tensor whose data cannot be read (as a device failure would look). */
  const failing = () => {
    const t = st.tensor([1, 2, 3], { backend: 'js' });
    Object.defineProperty(t, 'data', { value: () => { throw new Error('device lost'); } });
    return t;
  };

  for (const [fmt, save, file] of [
    ['safetensors', io.saveSafetensors, 'ckpt.safetensors'],
    ['torch', io.saveTorch, 'ckpt.pt'],
  ] as const) {
    it(`${fmt}: a failed write leaves the old file intact and no temporary file`, () => {
      const d = freshDir();
      const p = join(d, file);
      save(p, good());
      const before = readFileSync(p);
      // `a` (float64) is written before `z` in both formats, so the failure comes mid-file
      assert.throws(() => save(p, { ...good(), z: failing() }), /device lost/);
      assert.deepEqual(readdirSync(d), [file]);
      assert.deepEqual([...readFileSync(p)], [...before]);
      // a disposed tensor is refused before anything is written
      const gone = st.tensor([1], { backend: 'js' });
      gone.dispose();
      throwsStrata(() => save(p, { gone }), /disposed/);
      throwsStrata(() => save(p, { x: [1, 2] as unknown as Tensor }), /value for "x" is not a Tensor/);
      assert.deepEqual(readdirSync(d), [file]);
      assert.deepEqual([...readFileSync(p)], [...before]);
      // and a good write replaces it
      save(p, { b: st.tensor([7], { dtype: 'int32', backend: 'js' }) });
      assert.deepEqual(readdirSync(d), [file]);
      const back = fmt === 'torch' ? io.loadTorch(p) : io.loadSafetensors(p).tensors;
      assert.deepEqual(Object.keys(back), ['b']);
      assert.deepEqual(vals(back.b), [7]);
    });

    it(`${fmt}: reports a folder that does not exist`, () => {
      throwsStrata(() => save(join(dir, 'no', 'such', file), good()), /cannot write .*no\/such.*ENOENT/);
    });
  }

  it('refuses reserved names and non-string metadata', () => {
    throwsStrata(() => io.saveSafetensorsBuffer({ __metadata__: st.tensor([1], { backend: 'js' }) }), /"__metadata__" is reserved/);
    throwsStrata(() => io.saveSafetensorsBuffer({}, { epoch: 3 as unknown as string }), /metadata value for "epoch" must be a string/);
  });
});

// ---------------------------------------------------------------- Python interop

const PY = '/usr/bin/python3';
const hasTorch = spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const skip = hasTorch ? false : `${PY} -c 'import torch' failed: Python interop tests skipped`;
if (!hasTorch) console.log(`# ${skip}`);

function python(script: string, ...args: string[]): string {
  const r = spawnSync(PY, ['-c', script, ...args], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) assert.fail(`python failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

const PY_WRITE = String.raw`
import sys, math, json, struct, torch
out = sys.argv[1]
base = torch.arange(24, dtype=torch.float32).reshape(4, 6) * 0.5 - 3
lin = torch.nn.Linear(3, 2)
with torch.no_grad():
    lin.weight.copy_(torch.tensor([[1., 2, 3], [4, 5, 6]]))
    lin.bias.copy_(torch.tensor([-1., 1]))
extra = {
    'f64': torch.tensor([math.pi, -1e300], dtype=torch.float64),
    'i32': torch.tensor([-2**31, 2**31 - 1], dtype=torch.int32),
    'i64': torch.tensor([-(2**40) - 1, 2**40 + 1], dtype=torch.int64),
    'b': torch.tensor([True, False, True]),
    'scalar': torch.tensor(2.5),
    'empty': torch.zeros(0, 3),
    'f16': torch.tensor([1, -2, 65504, 0.333251953125], dtype=torch.float16),
    'bf16': torch.tensor([1, -3, 3.140625], dtype=torch.bfloat16),
    'i8': torch.tensor([-128, 127], dtype=torch.int8),
    'u8': torch.tensor([0, 255], dtype=torch.uint8),
    'i16': torch.tensor([-32768, 32767], dtype=torch.int16),
    'tr': base.t(),
    'sl': base[1:3, 2:5],
    'col': base[:, 1],
    'tied_a': base,
    'tied_b': base,
    'param': torch.nn.Parameter(torch.ones(2)),
}
torch.save({'model': lin.state_dict(), 'epoch': 3, 'extra': extra, 'list': [torch.tensor([1., 2.])]}, out + '/py.pt')

# safetensors written by hand (struct + json), tensors in insertion order, header unpadded
names = {torch.float32: 'F32', torch.float64: 'F64', torch.int32: 'I32', torch.int64: 'I64', torch.bool: 'BOOL',
         torch.float16: 'F16', torch.bfloat16: 'BF16', torch.int8: 'I8', torch.uint8: 'U8', torch.int16: 'I16'}
header, blobs, off = {'__metadata__': {'format': 'pt'}}, [], 0
for k in ['f64', 'i32', 'i64', 'b', 'scalar', 'empty', 'f16', 'bf16', 'i8', 'u8', 'i16', 'tr', 'sl']:
    t = extra[k].contiguous()
    raw = t.view(torch.int16).numpy().tobytes() if t.dtype in (torch.float16, torch.bfloat16) else t.numpy().tobytes()
    header[k] = {'dtype': names[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(raw)]}
    blobs.append(raw)
    off += len(raw)
h = json.dumps(header).encode()
with open(out + '/py.safetensors', 'wb') as f:
    f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
`;

const PY_READ = String.raw`
import sys, json, struct, zipfile, torch
p = sys.argv[1]
assert zipfile.ZipFile(p + '/js.pt').testzip() is None
res = {}
for wo in (False, True):
    sd = torch.load(p + '/js.pt', weights_only=wo)
    res['type'] = type(sd).__name__
    res['wo' if wo else 'full'] = {k: {'dtype': str(v.dtype), 'shape': list(v.shape), 'values': v.flatten().tolist()} for k, v in sd.items()}
    res['shared'] = sd['tied_a'].data_ptr() == sd['tied_b'].data_ptr()
raw = open(p + '/js.safetensors', 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
hdr = json.loads(raw[8:8 + n])
res['st_order'] = list(hdr.keys())
res['st_header_len'] = n
res['st_total'] = len(raw)
t = hdr['w']
b, e = t['data_offsets']
res['st_w'] = list(struct.unpack('<%df' % ((e - b) // 4), raw[8 + n + b:8 + n + e]))
print(json.dumps(res))
`;

describe('interop with Python torch', { skip }, () => {
  it('reads a torch.save checkpoint written by PyTorch', () => {
    const d = freshDir();
    python(PY_WRITE, d);
    const sd = io.loadTorch(join(d, 'py.pt'), { backend: 'js' });
    const base = (i: number, j: number) => (i * 6 + j) * 0.5 - 3;
    const grid = (rows: number, cols: number, f: (i: number, j: number) => number) =>
      Array.from({ length: rows * cols }, (_, k) => f(Math.floor(k / cols), k % cols));
    const expect: Record<string, [string, number[], number[]]> = {
      'model.weight': ['float32', [2, 3], [1, 2, 3, 4, 5, 6]],
      'model.bias': ['float32', [2], [-1, 1]],
      'extra.f64': ['float64', [2], [Math.PI, -1e300]],
      'extra.i32': ['int32', [2], [-(2 ** 31), 2 ** 31 - 1]],
      'extra.i64': ['int64', [2], [-(2 ** 40) - 1, 2 ** 40 + 1]],
      'extra.b': ['bool', [3], [1, 0, 1]],
      'extra.scalar': ['float32', [], [2.5]],
      'extra.empty': ['float32', [0, 3], []],
      'extra.f16': ['float32', [4], [1, -2, 65504, 0.333251953125]],
      'extra.bf16': ['float32', [3], [1, -3, 3.140625]],
      'extra.i8': ['int32', [2], [-128, 127]],
      'extra.u8': ['int32', [2], [0, 255]],
      'extra.i16': ['int32', [2], [-32768, 32767]],
      'extra.tr': ['float32', [6, 4], grid(6, 4, (i, j) => base(j, i))],
      'extra.sl': ['float32', [2, 3], grid(2, 3, (i, j) => base(1 + i, 2 + j))],
      'extra.col': ['float32', [4], [0, 1, 2, 3].map((i) => base(i, 1))],
      'extra.tied_a': ['float32', [4, 6], grid(4, 6, base)],
      'extra.tied_b': ['float32', [4, 6], grid(4, 6, base)],
      'extra.param': ['float32', [2], [1, 1]],
      'list.0': ['float32', [2], [1, 2]],
    };
    assert.deepEqual(Object.keys(sd).sort(), Object.keys(expect).sort());
    for (const [k, [dtype, shape, values]] of Object.entries(expect)) {
      assert.equal(sd[k].dtype, dtype, `${k} dtype`);
      assert.deepEqual(sd[k].shape, shape, `${k} shape`);
      assertSame(vals(sd[k]), values, k);
    }
    const obj = io.loadTorchObject(join(d, 'py.pt')) as Map<string, unknown>;
    assert.equal(obj.get('epoch'), 3);

    const { tensors, metadata } = io.loadSafetensors(join(d, 'py.safetensors'), { backend: 'js' });
    assert.deepEqual(metadata, { format: 'pt' });
    for (const k of ['f64', 'i32', 'i64', 'b', 'scalar', 'empty', 'f16', 'bf16', 'i8', 'u8', 'i16', 'tr', 'sl']) {
      const [dtype, shape, values] = expect[`extra.${k}`];
      assert.equal(tensors[k].dtype, dtype, `${k} dtype`);
      assert.deepEqual(tensors[k].shape, shape, `${k} shape`);
      assertSame(vals(tensors[k]), values, `safetensors ${k}`);
    }
  });

  it('writes checkpoints that torch.load reads back', () => {
    const d = freshDir();
    const tied = st.tensor([0.5, -0.5], { backend: 'js' });
    const sd = {
      'fc.weight': st.tensor([[1, 2, 3], [4, 5, 6]], { backend: 'js' }),
      f64: st.tensor(new Float64Array([Math.PI]), { dtype: 'float64', backend: 'js' }),
      i32: st.tensor(new Int32Array([-(2 ** 31), 5]), { dtype: 'int32', backend: 'js' }),
      i64: st.tensor(new BigInt64Array([-(2n ** 40n), 2n ** 52n]), { dtype: 'int64', backend: 'js' }),
      b: st.tensor([false, true], { backend: 'js' }),
      scalar: st.tensor(new Float32Array([-1.25]), { shape: [], backend: 'js' }),
      empty: st.tensor(new Float32Array(0), { shape: [2, 0], backend: 'js' }),
      tied_a: tied,
      tied_b: tied,
    };
    io.saveTorch(join(d, 'js.pt'), sd);
    io.saveSafetensors(join(d, 'js.safetensors'), { w: st.tensor([1.5, -2], { backend: 'js' }), v: st.tensor(new Float64Array([1]), { dtype: 'float64', backend: 'js' }) });
    const res = JSON.parse(python(PY_READ, d));
    assert.equal(res.type, 'OrderedDict');
    const expected = {
      'fc.weight': { dtype: 'torch.float32', shape: [2, 3], values: [1, 2, 3, 4, 5, 6] },
      f64: { dtype: 'torch.float64', shape: [1], values: [Math.PI] },
      i32: { dtype: 'torch.int32', shape: [2], values: [-(2 ** 31), 5] },
      i64: { dtype: 'torch.int64', shape: [2], values: [-(2 ** 40), 2 ** 52] },
      b: { dtype: 'torch.bool', shape: [2], values: [false, true] },
      scalar: { dtype: 'torch.float32', shape: [], values: [-1.25] },
      empty: { dtype: 'torch.float32', shape: [2, 0], values: [] },
      tied_a: { dtype: 'torch.float32', shape: [2], values: [0.5, -0.5] },
      tied_b: { dtype: 'torch.float32', shape: [2], values: [0.5, -0.5] },
    };
    assert.deepEqual(res.full, expected);
    assert.deepEqual(res.wo, expected, 'weights_only=True');
    assert.equal(res.shared, true, 'one tensor under two names shares its storage');
    assert.deepEqual(res.st_order, ['v', 'w']);
    assert.equal(res.st_header_len % 8, 0);
    assert.equal(res.st_total, 8 + res.st_header_len + 8 + 8);
    assert.deepEqual(res.st_w, [1.5, -2]);
  });
});
