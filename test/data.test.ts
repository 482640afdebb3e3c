// The data package: IDX/CIFAR readers on real files and fixtures, datasets, transforms, DataLoader
// batching/shuffling/resuming, and worker threads giving the same batches as the main thread.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { flat, st, throwsWith } from './helpers.js';

const { data } = st;
type NDArray = st.data.NDArray;

const tmp = mkdtempSync(join(tmpdir(), 'strata-data-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let fileNo = 0;
function file(bytes: Uint8Array, name = `f${fileNo++}`): string {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}
/** An IDX file: magic 00 00 <type> <ndim>, big-endian dims, then the value bytes. */
function idx(type: number, dims: number[], values: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + values.length);
  const v = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d));
  out.set(values, 4 + 4 * dims.length);
  return out;
}
const img = (values: number[], shape: number[], Ctor: typeof Float32Array | typeof Uint8Array = Float32Array): NDArray => ({ data: Ctor.from(values), shape });

const FASHION = ['/usr/share/datasets/fashion-mnist', '/work/shared/data/fashion-mnist'].find((d) => existsSync(join(d, 'train-labels-idx1-ubyte.gz')));
const MNIST_DIR = ['/usr/share/datasets/mnist', '/work/shared/data/mnist'].find((d) => existsSync(join(d, 'train-labels-idx1-ubyte.gz')));

describe('IDX files', () => {
  it('reads the real Fashion-MNIST', { skip: FASHION ? false : 'Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)' }, () => {
    const train = new data.FashionMNIST({ root: FASHION, train: true });
    const test = new data.FashionMNIST({ root: FASHION, train: false });
    assert.equal(train.length, 60000);
    assert.equal(test.length, 10000);
    assert.deepEqual(train.field('x').shape, [60000, 1, 28, 28]);
    // labels from the raw bytes (zcat train-labels-idx1-ubyte.gz | xxd): 09 00 00 03 00 02 07 02 05 05
    assert.deepEqual(Array.from({ length: 10 }, (_, i) => train.get(i).y), [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    assert.deepEqual(Array.from({ length: 4 }, (_, i) => test.get(i).y), [9, 2, 1, 1]);
    assert.equal(data.FashionMNIST.classes[train.get(0).y], 'Ankle boot');
    // image 0, rows 7 and 8 from the raw bytes (offset 16 + 28·row): …01 00 45 cf df / …01 01 01 00 00 c8
    const x0 = train.get(0).x;
    assert.deepEqual(x0.shape, [1, 28, 28]);
    assert.ok(x0.data instanceof Uint8Array);
    assert.deepEqual(Array.from(x0.data.subarray(7 * 28 + 11, 7 * 28 + 16)), [1, 0, 0x45, 0xcf, 0xdf]);
    assert.deepEqual(Array.from(x0.data.subarray(8 * 28 + 9, 8 * 28 + 14)), [1, 1, 1, 0, 0xc8]);
    const raw = data.readIdx(join(FASHION!, 't10k-labels-idx1-ubyte.gz'));
    assert.equal(raw.dtype, 'uint8');
    assert.deepEqual(raw.shape, [10000]);
  });

  it('reads the real MNIST', { skip: MNIST_DIR ? false : 'MNIST files not found' }, () => {
    const train = new data.MNIST({ root: MNIST_DIR });
    assert.equal(train.length, 60000);
    // zcat train-labels-idx1-ubyte.gz | xxd: 05 00 04 01 09 02 01 03
    assert.deepEqual(Array.from({ length: 8 }, (_, i) => train.get(i).y), [5, 0, 4, 1, 9, 2, 1, 3]);
  });

  it('parses raw and gzipped files of every value type', () => {
    const u8 = idx(0x08, [2, 2, 3], Uint8Array.from([0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]));
    for (const p of [file(u8), file(gzipSync(u8))]) {
      const a = data.readIdx(p);
      assert.equal(a.dtype, 'uint8');
      assert.deepEqual(a.shape, [2, 2, 3]);
      assert.deepEqual(Array.from(a.data), [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
    }
    // int32 big-endian: 1, -2, 70000 = 0x00011170
    const i32 = data.readIdx(file(idx(0x0c, [3], Uint8Array.from([0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe, 0, 1, 0x11, 0x70]))));
    assert.equal(i32.dtype, 'int32');
    assert.deepEqual(Array.from(i32.data), [1, -2, 70000]);
    // float32 big-endian 1.5 = 0x3fc00000; int16 -1; int8 -128
    assert.deepEqual(Array.from(data.readIdx(file(idx(0x0d, [1], Uint8Array.from([0x3f, 0xc0, 0, 0])))).data), [1.5]);
    assert.deepEqual(Array.from(data.readIdx(file(idx(0x0b, [1], Uint8Array.from([0xff, 0xff])))).data), [-1]);
    assert.deepEqual(Array.from(data.readIdx(file(idx(0x09, [1], Uint8Array.from([0x80])))).data), [-128]);
  });

  it('reports corrupt and truncated files with the path and what is wrong', () => {
    const good = idx(0x08, [2, 2, 3], new Uint8Array(12));
    const trunc = file(good.subarray(0, good.length - 1));
    throwsWith(() => data.readIdx(trunc), trunc, 'expected 28 bytes', 'got 27', 'truncated');
    const extra = file(Uint8Array.from([...good, 7, 7]));
    throwsWith(() => data.readIdx(extra), 'expected 28 bytes', 'got 30', '2 extra bytes');
    const magic = file(Uint8Array.from([0x1f, 0x00, 0x08, 0x03, ...good.subarray(4)]));
    throwsWith(() => data.readIdx(magic), magic, 'bad magic number 0x1f000803');
    throwsWith(() => data.readIdx(file(Uint8Array.from([0, 0, 0x07, 1, 0, 0, 0, 0]))), 'bad magic number 0x00000701');
    throwsWith(() => data.readIdx(file(Uint8Array.from([0, 0, 8]))), '3 bytes is too short');
    throwsWith(() => data.readIdx(file(Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 2]))), 'truncated header', 'need 16 header bytes');
    const gz = gzipSync(good);
    const badGz = file(gz.subarray(0, gz.length - 10));
    throwsWith(() => data.readIdx(badGz), badGz, 'corrupt or truncated gzip');
    throwsWith(() => data.readIdx(join(tmp, 'nope.gz')), 'nope.gz', 'no such file');
  });

  it('checks the image/label pairing of a dataset folder', () => {
    const dir = join(tmp, 'mini-fashion');
    mkdirSync(dir);
    const pixels = Uint8Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 10);
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idx(0x08, [3, 2, 2], pixels)));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx(0x08, [3], Uint8Array.from([4, 0, 9])));
    const ds = new data.FashionMNIST({ root: dir });
    assert.equal(ds.length, 3);
    assert.deepEqual(Array.from(ds.get(1).x.data), [40, 50, 60, 70]);
    assert.deepEqual(ds.get(1).x.shape, [1, 2, 2]);
    assert.equal(ds.get(2).y, 9);
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx(0x08, [3], Uint8Array.from([4, 10, 9])));
    throwsWith(() => new data.FashionMNIST({ root: dir }), 'train-labels-idx1-ubyte', 'label 10 at index 1 is out of range [0, 10)');
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx(0x08, [2], Uint8Array.from([4, 1])));
    throwsWith(() => new data.FashionMNIST({ root: dir }), 'has 3 images but', 'has 2 labels');
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx(0x08, [3, 1], Uint8Array.from([4, 1, 2])));
    throwsWith(() => new data.FashionMNIST({ root: dir }), 'expected uint8 labels of shape [N]');
    throwsWith(() => new data.FashionMNIST({ root: dir, train: false }), `no t10k-images-idx3-ubyte[.gz] in ${dir}`, 'apt-get install dataset-fashion-mnist', '--data-dir');
    throwsWith(() => new data.FashionMNIST({ root: join(tmp, 'missing') }), `${join(tmp, 'missing')} does not exist`, 'apt-get install dataset-fashion-mnist');
    throwsWith(() => new data.MNIST({ root: join(tmp, 'missing') }), 'does not exist', '--data-dir');
  });
});

describe('CIFAR-10 binary batches', () => {
  /** n records: label (r + first) % 10, pixel p of record r = (r * 7 + p) % 256. */
  function records(n: number, first: number): Uint8Array {
    const out = new Uint8Array(n * 3073);
    for (let r = 0; r < n; r++) {
      out[r * 3073] = (r + first) % 10;
      for (let p = 0; p < 3072; p++) out[r * 3073 + 1 + p] = (r * 7 + p) % 256;
    }
    return out;
  }
  const root = join(tmp, 'cifar');
  const dir = join(root, 'cifar-10-batches-bin');
  mkdirSync(dir, { recursive: true });
  [2, 1, 1, 1, 1].forEach((n, i) => writeFileSync(join(dir, `data_batch_${i + 1}.bin`), records(n, i)));
  writeFileSync(join(dir, 'test_batch.bin'), records(2, 5));

  it('reads records: label byte, then red, green and blue planes', () => {
    const train = new data.CIFAR10({ root });
    assert.equal(train.length, 6);
    // labels: batch 1 records 0,1 → 0,1; batches 2..5 record 0 → 1,2,3,4
    assert.deepEqual(Array.from({ length: 6 }, (_, i) => train.get(i).y), [0, 1, 1, 2, 3, 4]);
    const s = train.get(1).x;
    assert.deepEqual(s.shape, [3, 32, 32]);
    // record 1: pixel p = (7 + p) % 256; green (c=1) row 0 col 2 is p = 1024 + 2 → 1033 % 256 = 9
    assert.equal(s.data[1024 + 2], 9);
    assert.equal(s.data[3071], (7 + 3071) % 256);
    const test = new data.CIFAR10({ root: dir, train: false });
    assert.deepEqual([test.length, test.get(0).y, test.get(1).y], [2, 5, 6]);
    assert.equal(data.CIFAR10.classes[test.get(0).y], 'dog');
    const b = [...new data.DataLoader(test, { batchSize: 2, transform: data.toTensor() })][0];
    assert.deepEqual(b.x.shape, [2, 3, 32, 32]);
    assert.equal(b.x.dtype, 'float32');
    assert.equal(flat(b.x)[3072], Math.fround(7 / 255)); // record 1 starts at 3·32·32; its pixel 0 is 7
  });

  it('reports truncated files, bad labels and missing files', () => {
    const bad = join(tmp, 'cifar-bad');
    mkdirSync(bad);
    const p = file(records(2, 0).subarray(0, 2 * 3073 - 5), 'cifar-bad/test_batch.bin');
    throwsWith(() => new data.CIFAR10({ root: bad, train: false }), p, '6141 bytes is not a whole number of 3073-byte records', 'expected 6146');
    const lab = records(2, 0);
    lab[3073] = 11;
    writeFileSync(p, lab);
    throwsWith(() => new data.CIFAR10({ root: bad, train: false }), p, 'record 1 (byte offset 3073) has label 11');
    throwsWith(() => new data.CIFAR10({ root: bad, train: true }), 'missing data_batch_1.bin, data_batch_2.bin');
  });
});

describe('datasets', () => {
  const N = 10;
  const xs = Float32Array.from({ length: N * 4 }, (_, i) => i);
  const ys = Int32Array.from({ length: N }, (_, i) => i);
  const ds = new data.ArrayDataset({ x: { data: xs, shape: [N, 1, 2, 2] }, y: ys });

  it('ArrayDataset returns row views and labels, and checks indices', () => {
    const s = ds.get(3);
    assert.deepEqual(s.x.shape, [1, 2, 2]);
    assert.deepEqual(Array.from(s.x.data), [12, 13, 14, 15]);
    assert.equal(s.y, 3);
    throwsWith(() => ds.get(10), 'index 10 is out of range for a dataset of 10 samples');
    throwsWith(() => ds.get(-1), 'index -1');
    throwsWith(() => new data.ArrayDataset({ x: { data: xs, shape: [N, 4] }, y: new Int32Array(3) }), 'different sample counts');
    throwsWith(() => new data.ArrayDataset({ x: { data: xs, shape: [N, 5] } }), 'does not match 40 values');
    throwsWith(() => new data.ArrayDataset({ y: Int32Array.from([0, 3]) }, { classes: ['a', 'b'] }), 'label 3 at index 1');
  });

  it('Subset and ConcatDataset map indices', () => {
    const sub = new data.Subset(ds, [9, 0, 4]);
    assert.deepEqual([sub.length, sub.get(0).y, sub.get(2).y], [3, 9, 4]);
    throwsWith(() => new data.Subset(ds, [0, 10]), 'index 10 (position 1)');
    const cat = new data.ConcatDataset([sub, ds, sub]);
    assert.equal(cat.length, 16);
    assert.deepEqual([0, 2, 3, 12, 13, 15].map((i) => cat.get(i).y), [9, 4, 0, 9, 9, 4]);
    throwsWith(() => cat.get(16), 'out of range');
  });

  it('randomSplit gives disjoint, covering, reproducible subsets', () => {
    const [a, b] = data.randomSplit(ds, [7, 3], 42);
    assert.deepEqual([a.length, b.length], [7, 3]);
    const all = [...a.indices, ...b.indices].sort((p, q) => p - q);
    assert.deepEqual(all, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const [a2] = data.randomSplit(ds, [7, 3], new st.Generator(42));
    assert.deepEqual(Array.from(a2.indices), Array.from(a.indices));
    const [a3] = data.randomSplit(ds, [7, 3], 43);
    assert.notDeepEqual(Array.from(a3.indices), Array.from(a.indices));
    const ds11 = new data.Subset(ds, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0]);
    // floor(11·[0.5, 0.3, 0.2]) = [5, 3, 2]; the remaining 1 goes to the first subset
    assert.deepEqual(data.randomSplit(ds11, [0.5, 0.3, 0.2], 1).map((s) => s.length), [6, 3, 2]);
    throwsWith(() => data.randomSplit(ds, [5, 4], 1), 'sum to 9, but the dataset has 10 samples');
  });

  it('permutation draws like st.randperm', () => {
    const p = data.permutation(20, new st.Generator(7));
    assert.deepEqual(Array.from(p), st.randperm(20, { generator: new st.Generator(7) }).tolist());
  });
});

describe('transforms', () => {
  it('toTensor scales uint8 to [0,1]; normalize is per channel', () => {
    const t = data.toTensor().apply(img([0, 51, 255, 102], [1, 2, 2], Uint8Array), new st.Generator(0));
    assert.ok(t.data instanceof Float32Array);
    assert.deepEqual(Array.from(t.data), [0, 0.2, 1, 0.4].map(Math.fround));
    const n = data.normalize([1, 2], [2, 0.5]).apply(img([1, 2, 3, 4], [2, 1, 2]), new st.Generator(0));
    assert.deepEqual(Array.from(n.data), [0, 0.5, 2, 4]);
    throwsWith(() => data.normalize([0.5], [0.5]).apply(img([1, 2], [1, 1, 2], Uint8Array), new st.Generator(0)), 'put toTensor() before normalize()');
    throwsWith(() => data.normalize([0, 0, 0], [1, 1, 1]).apply(img([1, 2, 3, 4], [2, 1, 2]), new st.Generator(0)), 'mean has 3 values, the image has 2 channels');
    throwsWith(() => data.normalize([0], [0]), 'std must be finite and non-zero');
  });

  it('compose([toTensor, normalize]) gives exactly the two transforms\' values (fused look-up) and their errors', () => {
    const g = new st.Generator(0);
    for (const [shape, mean, std] of [[[1, 5, 7], [0.286], [0.353]], [[3, 4, 4], [0.49, 0.48, 0.45], [0.25, 0.24, 0.26]], [[3, 2, 2], [0.5], [0.2]]] as const) {
      const n = shape[0] * shape[1] * shape[2];
      const x = img(Array.from({ length: n }, (_, i) => (i * 37 + 11) % 256), [...shape], Uint8Array);
      const fused = data.compose([data.toTensor(), data.normalize([...mean], [...std])]).apply(x, g);
      const apart = data.normalize([...mean], [...std]).apply(data.toTensor().apply(x, g), g);
      assert.ok(fused.data instanceof Float32Array);
      assert.deepEqual(fused.shape, [...shape]);
      assert.deepEqual(Array.from(fused.data), Array.from(apart.data));
    }
    throwsWith(() => data.compose([data.toTensor(), data.normalize([0, 0, 0], [1, 1, 1])]).apply(img([1, 2, 3, 4], [2, 1, 2], Uint8Array), g), 'mean has 3 values, the image has 2 channels');
  });

  it('randomCrop pads with zeros and crops where the generator says', () => {
    const g = new st.Generator(0);
    const whole = data.randomCrop(4, { padding: 1 }).apply(img([1, 2, 3, 4], [1, 2, 2]), g);
    assert.deepEqual(Array.from(whole.data), [0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0]);
    const asym = data.randomCrop([2, 3], { padding: [1, 0, 0, 0] }).apply(img([1, 2, 3, 4], [1, 2, 2]), g);
    assert.deepEqual(Array.from(asym.data), [0, 1, 2, 0, 3, 4]);
    // 3×3 image 1..9, padding 1, crop 3: window top-left (i, j) in the padded 5×5, i then j ~ U{0,1,2}
    const src = img([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3], Uint8Array);
    const seen = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const out = data.randomCrop(3, { padding: 1 }).apply(src, new st.Generator(seed));
      const ref = new st.Generator(seed);
      const i = ref.randint(0, 3), j = ref.randint(0, 3);
      seen.add(`${i},${j}`);
      const expect: number[] = [];
      for (let r = 0; r < 3; r++) {
        for (let c = 0; c < 3; c++) {
          const sr = i + r - 1, sc = j + c - 1;
          expect.push(sr >= 0 && sr < 3 && sc >= 0 && sc < 3 ? 1 + sr * 3 + sc : 0);
        }
      }
      assert.ok(out.data instanceof Uint8Array);
      assert.deepEqual(Array.from(out.data), expect);
    }
    assert.equal(seen.size, 9);
    throwsWith(() => data.randomCrop(5).apply(src, g), 'crop size [5,5] is larger than the padded image [3,3]');
  });

  it('centerCrop and resize', () => {
    const c = data.centerCrop(2).apply(img(Array.from({ length: 16 }, (_, i) => i), [1, 4, 4]), new st.Generator(0));
    assert.deepEqual(Array.from(c.data), [5, 6, 9, 10]);
    // bilinear, align_corners=false: source coordinates (o+0.5)/2-0.5 → weights 0, .25, .75, 1
    const r = data.resize(4).apply(img([0, 10, 20, 30], [1, 2, 2]), new st.Generator(0));
    assert.deepEqual(Array.from(r.data), [0, 2.5, 7.5, 10, 5, 7.5, 12.5, 15, 15, 17.5, 22.5, 25, 20, 22.5, 27.5, 30]);
  });

  it('randomHorizontalFlip mirrors rows with probability p', () => {
    const x = img([1, 2, 3, 4, 5, 6], [1, 2, 3]);
    assert.deepEqual(Array.from(data.randomHorizontalFlip(1).apply(x, new st.Generator(0)).data), [3, 2, 1, 6, 5, 4]);
    assert.equal(data.randomHorizontalFlip(0).apply(x, new st.Generator(0)), x);
    const g = new st.Generator(3), ref = new st.Generator(3);
    let flips = 0;
    for (let k = 0; k < 200; k++) {
      const out = data.randomHorizontalFlip(0.5).apply(x, g);
      const expect = ref.random() < 0.5;
      assert.equal(out !== x, expect);
      if (expect) flips++;
    }
    assert.ok(flips > 70 && flips < 130, `${flips} flips of 200`);
    assert.deepEqual(Array.from(x.data), [1, 2, 3, 4, 5, 6], 'input untouched');
  });

  it('randomErasing fills a rectangle of the drawn area, ratio and position', () => {
    const ones = img(new Array(2 * 16).fill(1), [2, 4, 4]);
    for (let seed = 0; seed < 20; seed++) {
      // area fraction 1/4 of 16 = 4 pixels, ratio 1 → a 2×2 square at (i, j), i, j ~ U{0,1,2}
      const out = data.randomErasing({ p: 1, scale: [0.25, 0.25], ratio: [1, 1], value: [7, 9] }).apply(ones, new st.Generator(seed));
      const ref = new st.Generator(seed);
      ref.random(); ref.random(); ref.random(); // p test, scale, ratio
      const i = ref.randint(0, 3), j = ref.randint(0, 3);
      const expect: number[] = [];
      for (let c = 0; c < 2; c++) {
        for (let r = 0; r < 4; r++) for (let q = 0; q < 4; q++) expect.push(r >= i && r < i + 2 && q >= j && q < j + 2 ? [7, 9][c] : 1);
      }
      assert.deepEqual(Array.from(out.data), expect);
    }
    // the whole image cannot be erased (h < H and w < W is required): 10 tries, then unchanged
    assert.equal(data.randomErasing({ p: 1, scale: [1, 1], ratio: [1, 1] }).apply(ones, new st.Generator(0)), ones);
    assert.equal(data.randomErasing({ p: 0 }).apply(ones, new st.Generator(0)), ones);
    const rnd = data.randomErasing({ p: 1, scale: [0.25, 0.25], ratio: [1, 1], value: 'random' }).apply(ones, new st.Generator(1));
    assert.equal(Array.from(rnd.data).filter((v) => v !== 1).length, 8);
    throwsWith(() => data.randomErasing({ scale: [0.5, 0.2] }), 'scale must be');
  });

  it('compose chains transforms, and specs rebuild the same pipeline', () => {
    const t = data.compose([data.randomCrop(4, { padding: 2 }), data.randomHorizontalFlip(), data.toTensor(), data.normalize(0.5, 0.25), data.randomErasing({ p: 0.7 })]);
    assert.equal(t.spec?.kind, 'compose');
    const rebuilt = data.transformFromSpec(JSON.parse(JSON.stringify(t.spec)));
    const x = img(Array.from({ length: 48 }, (_, i) => i * 5), [3, 4, 4], Uint8Array);
    for (let seed = 0; seed < 10; seed++) {
      const a = t.apply(x, new st.Generator(seed)), b = rebuilt.apply(x, new st.Generator(seed));
      assert.deepEqual(a.shape, [3, 4, 4]);
      assert.deepEqual(Array.from(a.data), Array.from(b.data));
    }
    assert.equal(data.compose([data.toTensor(), (v) => v]).spec, null);
  });
});

describe('DataLoader', () => {
  const N = 10;
  const xs = Float32Array.from({ length: N * 4 }, (_, i) => i);
  const ys = Int32Array.from({ length: N }, (_, i) => i);
  const ds = new data.ArrayDataset({ x: { data: xs, shape: [N, 1, 2, 2] }, y: ys });
  const labels = (loader: Iterable<{ y: st.Tensor }>) => [...loader].map((b) => flat(b.y));

  it('batches in order, with and without dropLast', () => {
    const loader = new data.DataLoader(ds, { batchSize: 4 });
    assert.equal(loader.length, 3);
    const batches = [...loader];
    assert.deepEqual(batches.map((b) => b.x.shape), [[4, 1, 2, 2], [4, 1, 2, 2], [2, 1, 2, 2]]);
    assert.equal(batches[0].x.dtype, 'float32');
    assert.equal(batches[0].y.dtype, 'int64');
    assert.deepEqual(flat(batches[2].x), [32, 33, 34, 35, 36, 37, 38, 39]);
    assert.deepEqual(batches.map((b) => flat(b.y)), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    assert.equal(batches[0].x.backend, st.getBackend());
    const dropped = new data.DataLoader(ds, { batchSize: 4, dropLast: true });
    assert.equal(dropped.length, 2);
    assert.deepEqual(labels(dropped), [[0, 1, 2, 3], [4, 5, 6, 7]]);
  });

  it('shuffles every index once per epoch, reproducibly from the seed', () => {
    const a = new data.DataLoader(ds, { batchSize: 3, shuffle: true, seed: 5 });
    const e1 = labels(a), e2 = labels(a);
    for (const e of [e1, e2]) assert.deepEqual(e.flat().sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.notDeepEqual(e1, e2);
    // the order is the Fisher–Yates permutation drawn from Generator(5)
    assert.deepEqual(e1.flat(), st.randperm(10, { generator: new st.Generator(5) }).tolist());
    const b = new data.DataLoader(ds, { batchSize: 3, shuffle: true, generator: new st.Generator(5) });
    assert.deepEqual([labels(b), labels(b)], [e1, e2]);
    assert.notDeepEqual(labels(new data.DataLoader(ds, { batchSize: 3, shuffle: true, seed: 6 })), e1);
  });

  it('resumes mid-epoch from a saved state with the same order and augmentations', () => {
    const aug = data.compose([data.randomCrop(2, { padding: 1 }), data.randomHorizontalFlip()]);
    const make = () => new data.DataLoader(ds, { batchSize: 3, shuffle: true, seed: 9, transform: aug });
    const ref = make();
    const epoch0 = [...ref].map((b) => flat(b.x));
    const epoch1 = [...ref].map((b) => flat(b.x));
    const run = make();
    [...run];
    let saved: st.data.LoaderState | null = null;
    let k = 0;
    for (const _ of run) {
      if (++k === 2) { saved = run.state(); break; }
    }
    assert.deepEqual({ epoch: saved!.epoch, batch: saved!.batch }, { epoch: 1, batch: 2 });
    const resumed = make();
    resumed.loadState(JSON.parse(JSON.stringify(saved)));
    assert.equal(resumed.epoch, 1);
    assert.deepEqual([...resumed].map((b) => flat(b.x)), epoch1.slice(2));
    assert.equal(resumed.epoch, 2);
    assert.notDeepEqual(epoch0, epoch1);
    // saved after the last batch of epoch 0 (inside the loop): resumes at the start of epoch 1
    const atEnd = make();
    let last: st.data.LoaderState | null = null;
    for (const _ of atEnd) last = atEnd.state();
    assert.deepEqual({ epoch: last!.epoch, batch: last!.batch }, { epoch: 1, batch: 0 });
    const again = make();
    again.loadState(last!);
    assert.deepEqual([...again].map((b) => flat(b.x)), epoch1);
  });

  it('async iteration yields the same batches as sync iteration', async () => {
    const mk = () => new data.DataLoader(ds, { batchSize: 4, shuffle: true, seed: 2, transform: data.randomHorizontalFlip() });
    const sync = [...mk()].map((b) => [flat(b.x), flat(b.y)]);
    const got: number[][][] = [];
    for await (const b of mk()) got.push([flat(b.x), flat(b.y)]);
    assert.deepEqual(got, sync);
  });

  it('collates tuples, objects, numbers and arrays; custom collate', () => {
    const tuples: st.data.Dataset<[NDArray, number, number]> = { length: 3, get: (i) => [img([i, i], [2]), i * 0.5, i] };
    const [b] = [...new data.DataLoader(tuples, { batchSize: 3 })];
    assert.deepEqual(b[0].shape, [3, 2]);
    assert.deepEqual([b[1].dtype, b[2].dtype], ['float32', 'int64']);
    assert.deepEqual(flat(b[1]), [0, 0.5, 1]);
    const ids = new data.ArrayDataset({ x: { data: Int32Array.from([1, 2, 3, 4]), shape: [2, 2] }, y: Float32Array.from([0.5, 1]) });
    const [c] = [...new data.DataLoader(ids, { batchSize: 2 })];
    assert.deepEqual([c.x.dtype, c.y.dtype], ['int64', 'float32']);
    assert.deepEqual(c.y.shape, [2]);
    const custom = new data.DataLoader(ds, { batchSize: 5, collate: (s) => s.map((q) => q.y).join(',') });
    assert.deepEqual([...custom], ['0,1,2,3,4', '5,6,7,8,9']);
    const ragged: st.data.Dataset<NDArray> = { length: 2, get: (i) => img(new Array(i + 1).fill(0), [i + 1]) };
    throwsWith(() => [...new data.DataLoader(ragged, { batchSize: 2 })], 'sample 1 is an array of shape [2] but sample 0 has shape [1]');
    throwsWith(() => new data.DataLoader(ds, { batchSize: 0 }), 'batchSize must be a positive integer');
  });

  it('refuses to continue an iteration superseded by a newer one', () => {
    const loader = new data.DataLoader(ds, { batchSize: 2 });
    const outer = loader[Symbol.iterator]();
    outer.next();
    assert.deepEqual(labels(loader).length, 5);
    throwsWith(() => outer.next(), 'this iteration was superseded');
  });
});

describe('TensorDataset', () => {
  const N = 13;
  const pixels = Uint8Array.from({ length: N * 4 }, (_, i) => (i * 37) % 256);
  const ys = Int32Array.from({ length: N }, (_, i) => i % 3);
  const ds = new data.ArrayDataset({ x: { data: pixels, shape: [N, 1, 2, 2] }, y: ys });
  const tf = data.compose([data.toTensor(), data.normalize(0.5, 0.25)]);

  it('materialises a transformed dataset: batches equal the per-sample loader\'s, value for value', async () => {
    const mem = data.TensorDataset.from(ds, { transform: tf, chunkSize: 5 });
    try {
      assert.equal(mem.length, N);
      assert.deepEqual(mem.fields.x.shape, [N, 1, 2, 2]);
      assert.deepEqual([mem.fields.x.dtype, mem.fields.y.dtype], ['float32', 'int64']);
      const perSample = new data.DataLoader(ds, { batchSize: 4, shuffle: true, seed: 3, transform: tf });
      const fromMem = new data.DataLoader(mem, { batchSize: 4, shuffle: true, seed: 3 });
      for (let epoch = 0; epoch < 2; epoch++) {
        const want = [...perSample].map((b) => [flat(b.x), flat(b.y), b.x.shape]);
        const got: unknown[] = [];
        for await (const b of fromMem) got.push([flat(b.x), flat(b.y), b.x.shape]);
        assert.deepEqual(got, want);
      }
      // a sample is the rows of each field
      const s = mem.get(12);
      assert.deepEqual(flat(s.x), Array.from(pixels.subarray(48, 52), (v) => (Math.fround(v / 255) - 0.5) / 0.25).map(Math.fround));
      assert.equal(s.y.item(), 0);
    } finally {
      mem.dispose();
    }
  });

  it('batches hold no extra tensors: a disposed epoch leaves the live count unchanged', () => {
    const mem = new data.TensorDataset({ x: st.randn([N, 3]), y: st.arange(N) });
    const loader = new data.DataLoader(mem, { batchSize: 5, shuffle: true, seed: 1 });
    const before = st.memory().tensors;
    for (const b of loader) {
      b.x.dispose();
      b.y.dispose();
    }
    assert.equal(st.memory().tensors, before);
    mem.dispose();
  });

  it('refuses mismatched fields, transforms at batch time, workers and oversize data sets', () => {
    throwsWith(() => new data.TensorDataset({ x: st.zeros([3, 2]), y: st.zeros([4]) }), 'fields have different sample counts: x has shape [3,2], y has [4]');
    throwsWith(() => new data.TensorDataset({}), 'needs at least one field');
    const mem = new data.TensorDataset({ x: st.zeros([3, 2]) });
    throwsWith(() => new data.DataLoader(mem, { transform: tf }), 'apply the transform when making it');
    throwsWith(() => new data.DataLoader(mem, { numWorkers: 1 }), 'needs no worker threads');
    throwsWith(() => mem.get(3), 'TensorDataset.get');
    mem.dispose();
    // 13 samples × (4 float32 pixels + one int64 label) = 312 bytes
    assert.equal(data.TensorDataset.bytesFor(ds, tf), 312);
    throwsWith(() => data.TensorDataset.from(ds, { transform: tf, maxBytes: 100 }), 'would take 312 bytes, over maxBytes (100 bytes)');
    const tuples: st.data.Dataset<[NDArray, number]> = { length: 2, get: (i) => [img([i], [1]), i] };
    throwsWith(() => data.TensorDataset.from(tuples), 'samples must be objects of arrays and numbers');
  });
});

describe('DataLoader worker threads', () => {
  const N = 37;
  const g = new st.Generator(123);
  const pixels = Uint8Array.from({ length: N * 2 * 6 * 6 }, () => g.randint(0, 256));
  const base = new data.ArrayDataset({ x: { data: pixels, shape: [N, 2, 6, 6] }, y: Int32Array.from({ length: N }, (_, i) => i % 10) });
  const aug = data.compose([data.randomCrop(6, { padding: 2 }), data.randomHorizontalFlip(), data.toTensor(), data.normalize([0.5, 0.4], [0.2, 0.3]), data.randomErasing({ p: 0.5, value: 'random' })]);
  const batches = (it: Iterable<{ x: st.Tensor; y: st.Tensor }>) => [...it].map((b) => [flat(b.x), flat(b.y)]);

  it('give identical batches to the main thread for the same seed (sync and async)', async () => {
    const opts = { batchSize: 8, shuffle: true, seed: 11, transform: aug };
    const inproc = new data.DataLoader(base, opts);
    const workers = new data.DataLoader(base, { ...opts, numWorkers: 2, prefetch: 2 });
    try {
      const ref0 = batches(inproc), ref1 = batches(inproc);
      const w0 = batches(workers);
      assert.equal(w0.length, 5);
      assert.deepEqual(w0, ref0);
      const w1: number[][][] = [];
      for await (const b of workers) w1.push([flat(b.x), flat(b.y)]);
      assert.deepEqual(w1, ref1);
      assert.deepEqual(w1.flatMap((b) => b[1]).length, N);
      // abandoning an epoch midway, then starting the next, skips the stale replies
      for (const _ of workers) break;
      const ref3 = (batches(inproc), batches(inproc));
      assert.deepEqual(batches(workers), ref3);
    } finally {
      await workers.close();
    }
  });

  it('rebuild Subset, ConcatDataset and dataset transforms in the workers', async () => {
    const withT = new data.ArrayDataset({ x: { data: pixels, shape: [N, 2, 6, 6] }, y: Int32Array.from({ length: N }, (_, i) => i) }, { transform: data.toTensor() });
    const ds = new data.ConcatDataset([new data.Subset(withT, [5, 3, 1]), withT]);
    const opts = { batchSize: 4, shuffle: true, seed: 3, dropLast: true, transform: data.randomHorizontalFlip() };
    const w = new data.DataLoader(ds, { ...opts, numWorkers: 3 });
    try {
      const got = batches(w);
      assert.deepEqual(got, batches(new data.DataLoader(ds, opts)));
      assert.equal(got.length, 10);
    } finally {
      await w.close();
    }
  });

  it('report errors from workers and refuse what cannot be sent to them', async () => {
    throwsWith(() => [...new data.DataLoader(base, { numWorkers: 1, transform: (x) => x })], 'custom functions cannot be sent to threads');
    throwsWith(() => new data.DataLoader(base, { numWorkers: 1, collate: (s) => s }), 'needs the default collate');
    const bad = new data.DataLoader(base, { batchSize: 4, numWorkers: 1, transform: data.randomCrop(9) });
    try {
      throwsWith(() => [...bad], /^randomCrop: crop size \[9,9\] is larger than the padded image \[6,6\]/);
    } finally {
      await bad.close();
    }
  });
});
