// The data package: IDX and CIFAR-10 parsing (real files and corrupt fixtures), loaders, transforms, splits, PNG.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { gzipSync, gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flat, st } from './helpers.js';

const { data } = st;
const FMNIST = existsSync(data.FASHION_MNIST_DIR) ? data.FASHION_MNIST_DIR : '/work/shared/data/fashion-mnist';
const tmp = mkdtempSync(join(tmpdir(), 'strata-data-'));

function idx(dims: number[], body: number[]): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(body)]);
}

describe('IDX files', () => {
  it('reads the real Fashion-MNIST: sizes, shapes and the first labels', { skip: !existsSync(FMNIST) && 'Fashion-MNIST not installed' }, () => {
    const train = data.FashionMNIST({ root: FMNIST, train: true });
    const test = data.FashionMNIST({ root: FMNIST, train: false });
    assert.equal(train.length, 60000);
    assert.equal(test.length, 10000);
    assert.deepEqual(train.shape, [1, 28, 28]);
    // the raw label bytes after the 8-byte idx1 header, read by hand
    const raw = gunzipSync(readFileSync(join(FMNIST, 'train-labels-idx1-ubyte.gz')));
    assert.deepEqual([raw[8], raw[9], raw[10]], [train.labels[0], train.labels[1], train.labels[2]]);
    assert.equal(train.labels[0], 9);
    assert.equal(train.classes[9], 'Ankle boot');
    const img = gunzipSync(readFileSync(join(FMNIST, 'train-images-idx3-ubyte.gz')));
    const s = train.get(0);
    assert.equal(s.image.length, 784);
    for (const p of [0, 100, 400, 783]) assert.ok(Math.abs(s.image[p] - img[16 + p] / 255) < 1e-7);
  });

  it('reads gzipped and raw files; reports bad magic, truncation and trailing bytes with the path', () => {
    const good = idx([2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7]);
    writeFileSync(join(tmp, 'a.idx'), good);
    writeFileSync(join(tmp, 'a.idx.gz'), gzipSync(good));
    assert.deepEqual(data.readIdx(join(tmp, 'a.idx')).shape, [2, 2, 2]);
    assert.deepEqual(Array.from(data.readIdx(join(tmp, 'a.idx.gz')).data), [0, 1, 2, 3, 4, 5, 6, 7]);
    writeFileSync(join(tmp, 'short.idx'), good.subarray(0, good.length - 3));
    assert.throws(() => data.readIdx(join(tmp, 'short.idx')), /readIdx: .*short\.idx: header says \[2, 2, 2\] = 8 bytes of data, the file has 5 \(truncated\)/);
    writeFileSync(join(tmp, 'long.idx'), Buffer.concat([good, Buffer.from([1])]));
    assert.throws(() => data.readIdx(join(tmp, 'long.idx')), /has 9 \(trailing bytes\)/);
    const bad = Buffer.from(good);
    bad[0] = 7;
    writeFileSync(join(tmp, 'bad.idx'), bad);
    assert.throws(() => data.readIdx(join(tmp, 'bad.idx')), /bad\.idx: bad magic number 0x07000803/);
    writeFileSync(join(tmp, 'bad.gz'), gzipSync(good).subarray(0, 15));
    assert.throws(() => data.readIdx(join(tmp, 'bad.gz')), /bad\.gz is not a valid gzip file/);
    assert.throws(() => data.readIdx(join(tmp, 'missing.idx')), /cannot read .*missing\.idx: ENOENT/);
  });

  it('says what to install when Fashion-MNIST is missing', () => {
    assert.throws(() => data.FashionMNIST({ root: join(tmp, 'nothing') }), /apt-get install dataset-fashion-mnist/);
  });
});

describe('CIFAR-10 binary batches', () => {
  const rec = (label: number, fill: number) => Buffer.concat([Buffer.from([label]), Buffer.alloc(3072, fill)]);
  before(() => {
    for (let i = 1; i <= 5; i++) writeFileSync(join(tmp, `data_batch_${i}.bin`), Buffer.concat([rec(i, i * 10), rec(0, 1)]));
    writeFileSync(join(tmp, 'test_batch.bin'), rec(9, 255));
  });
  it('reads records, labels and channel-major pixels', () => {
    const train = data.CIFAR10({ root: tmp, train: true });
    assert.equal(train.length, 10);
    assert.deepEqual(Array.from(train.labels), [1, 0, 2, 0, 3, 0, 4, 0, 5, 0]);
    assert.deepEqual(train.shape, [3, 32, 32]);
    assert.ok(Math.abs(train.get(2).image[3071] - 20 / 255) < 1e-7);
    assert.equal(data.CIFAR10({ root: tmp, train: false }).get(0).label, 9);
  });
  it('reports truncated files and bad labels', () => {
    writeFileSync(join(tmp, 'trunc.bin'), rec(1, 1).subarray(0, 3000));
    assert.throws(() => data.readCifarBatch(join(tmp, 'trunc.bin')), /trunc\.bin: 3000 bytes is not a whole number of 3073-byte records/);
    writeFileSync(join(tmp, 'label.bin'), rec(12, 1));
    assert.throws(() => data.readCifarBatch(join(tmp, 'label.bin')), /record 0 has label 12; CIFAR-10 labels are 0\.\.9/);
  });
});

describe('DataLoader', () => {
  const n = 10;
  const images = Uint8Array.from({ length: n * 4 }, (_, i) => i);
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 3);
  const ds = new data.ArrayDataset(images, labels, [1, 2, 2]);

  it('batches in order, keeps or drops the last partial batch', () => {
    const l = new data.DataLoader(ds, { batchSize: 4 });
    const batches = [...l];
    assert.equal(l.length, 3);
    assert.deepEqual(batches.map((b) => b.x.shape), [[4, 1, 2, 2], [4, 1, 2, 2], [2, 1, 2, 2]]);
    assert.deepEqual(batches[0].y.toArray(), [0, 1, 2, 0]);
    assert.equal(batches[0].y.dtype, 'int64');
    assert.ok(Math.abs(flat(batches[0].x)[5] - 5 / 255) < 1e-7);
    assert.equal([...new data.DataLoader(ds, { batchSize: 4, dropLast: true })].length, 2);
  });

  it('shuffles every index once per epoch, reproducibly from the seed', () => {
    const order = (seed: number) => {
      const l = new data.DataLoader(ds, { batchSize: 3, shuffle: true, generator: new st.Generator(seed) });
      return [[...l].flatMap((b) => flat(b.x).filter((_, i) => i % 4 === 0).map((v) => Math.round(v * 255 / 4))), [...l].flatMap((b) => flat(b.x).filter((_, i) => i % 4 === 0).map((v) => Math.round(v * 255 / 4)))];
    };
    const [e1, e2] = order(5);
    assert.deepEqual([...e1].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.notDeepEqual(e1, e2, 'a new order each epoch');
    assert.deepEqual(order(5), [e1, e2]);
    assert.notDeepEqual(order(6)[0], e1);
  });

  it('resumes the same order from its state dict', () => {
    const a = new data.DataLoader(ds, { batchSize: 10, shuffle: true, generator: new st.Generator(1) });
    [...a];
    const saved = a.stateDict();
    const next = flat([...a][0].x);
    const b = new data.DataLoader(ds, { batchSize: 10, shuffle: true, generator: new st.Generator(99) });
    b.loadStateDict(saved);
    assert.deepEqual(flat([...b][0].x), next);
  });

  it('gives identical augmented batches with worker threads and without', async () => {
    const big = new data.ArrayDataset(Uint8Array.from({ length: 40 * 3 * 8 * 8 }, (_, i) => (i * 7) % 256), Uint8Array.from({ length: 40 }, (_, i) => i % 10), [3, 8, 8]);
    const specs = [data.randomCrop(8, { padding: 2 }), data.randomHorizontalFlip(), data.randomErasing({ p: 0.5 }), data.normalize([0.5, 0.4, 0.3], [0.2, 0.2, 0.2])];
    const run = async (workers: number) => {
      const l = new data.DataLoader(big, { batchSize: 16, shuffle: true, generator: new st.Generator(3), transforms: specs, numWorkers: workers });
      const out: number[][] = [];
      for await (const b of l) out.push(flat(b.x), flat(b.y));
      l.close();
      return out;
    };
    assert.deepEqual(await run(2), await run(0));
  });
});

describe('transforms', () => {
  const g = () => new st.Generator(0);
  const apply = (specs: st.data.TransformSpec[], img: number[], shape: number[], gen = g()) => {
    const out = new Float32Array(data.outputShape(specs, shape).reduce((a, b) => a * b, 1));
    data.applyTransforms(specs, Float32Array.from(img), 0, shape, out, 0, gen, new Float32Array(img.length));
    return Array.from(out);
  };
  it('normalises per channel', () => {
    assert.deepEqual(apply([data.normalize([1, 2], [2, 4])], [3, 5, 6, 10], [2, 1, 2]), [1, 2, 1, 2]);
  });
  it('flips with probability 1 and never with 0', () => {
    assert.deepEqual(apply([data.randomHorizontalFlip(1)], [1, 2, 3, 4, 5, 6], [1, 2, 3]), [3, 2, 1, 6, 5, 4]);
    assert.deepEqual(apply([data.randomHorizontalFlip(0)], [1, 2, 3, 4, 5, 6], [1, 2, 3]), [1, 2, 3, 4, 5, 6]);
  });
  it('crops windows of the zero-padded image', () => {
    // every 2×2 crop of a 1-padded 2×2 image is one of the 9 windows of the 4×4 padded image
    const padded = [0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0];
    const windows = new Set<string>();
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) windows.add(JSON.stringify([padded[y * 4 + x], padded[y * 4 + x + 1], padded[(y + 1) * 4 + x], padded[(y + 1) * 4 + x + 1]]));
    const gen = g();
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(JSON.stringify(apply([data.randomCrop(2, { padding: 1 })], [1, 2, 3, 4], [1, 2, 2], gen)));
    assert.deepEqual([...seen].sort(), [...windows].sort());
    assert.deepEqual(apply([data.centerCrop(2)], [1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3]), [1, 2, 4, 5]);
    assert.throws(() => data.outputShape([data.randomCrop(9)], [1, 4, 4]), /randomCrop: crop size \[9,9\] is larger than the \(padded\) image \[4, 4\]/);
  });
  it('erases a rectangle of the requested area fraction', () => {
    const gen = g();
    let erased = 0;
    for (let i = 0; i < 100; i++) {
      const out = apply([data.randomErasing({ p: 1, scale: [0.25, 0.25], ratio: [1, 1], value: -1 })], new Array(64).fill(1), [1, 8, 8], gen);
      const k = out.filter((v) => v === -1).length;
      assert.ok(k === 16 || k === 0);
      erased += k ? 1 : 0;
    }
    assert.equal(erased, 100, 'a 4×4 square always fits in 8×8');
  });
});

describe('randomSplit', () => {
  it('partitions reproducibly by lengths or fractions', () => {
    const ds = new data.ArrayDataset(new Uint8Array(100), new Uint8Array(100), [1, 1, 1]);
    const [a, b] = data.randomSplit(ds, [70, 30], new st.Generator(1));
    assert.equal(a.length + b.length, 100);
    const all = new Set([...a.indices, ...b.indices]);
    assert.equal(all.size, 100);
    const [c] = data.randomSplit(ds, [0.7, 0.3], new st.Generator(1));
    assert.deepEqual(c.indices, a.indices);
    assert.throws(() => data.randomSplit(ds, [50, 40]), /randomSplit: lengths \[50, 40\] must be non-negative integers summing to 100/);
  });
});

describe('PNG', () => {
  it('round-trips gray, RGB and RGBA images and rejects corrupt files', () => {
    for (const channels of [1, 3, 4]) {
      const img = { width: 5, height: 3, channels, data: Uint8Array.from({ length: 15 * channels }, (_, i) => (i * 37) % 256) };
      const p = join(tmp, `img${channels}.png`);
      data.writePng(p, img);
      const back = data.readPng(p);
      assert.deepEqual({ ...back, data: Array.from(back.data) }, { ...img, data: Array.from(img.data) });
    }
    const bytes = readFileSync(join(tmp, 'img1.png'));
    const broken = Buffer.from(bytes);
    broken[45] ^= 0xff;
    assert.throws(() => data.decodePng(broken, 'x.png'), /readPng: x\.png: chunk IDAT at byte 33 has a bad CRC/);
    assert.throws(() => data.decodePng(bytes.subarray(0, 50), 'y.png'), /y\.png: chunk IDAT at byte 33 claims \d+ bytes but the file ends/);
    assert.throws(() => data.decodePng(Buffer.from('GIF89a........'), 'z.png'), /not a PNG file/);
  });
});
