// Indexing ops: hand-checked values on every backend, float64 gradient checks (first and second order),
// range/shape/dtype errors, and native-vs-js parity on non-contiguous inputs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose, backends, flat, gradcheck, hasNative, parity, smooth, st } from './helpers.js';

/** Asserts f throws a StrataError whose message matches re (re should start with the op name). */
function throwsStrata(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof st.StrataError, `expected a StrataError, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });
}

for (const be of backends()) {
  describe(`indexing on ${be}`, () => {
    const T = (v: st.NestedArray, dtype?: st.DType) => st.tensor(v, { backend: be, dtype });
    const L = (v: st.NestedArray) => T(v, 'int64');
    const x33 = () => T([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);

    it('indexSelect picks slices along a dim', () => {
      const x = x33();
      const r0 = x.indexSelect(0, L([2, 0, 2]));
      assert.deepEqual(r0.shape, [3, 3]);
      assertClose(r0, [7, 8, 9, 1, 2, 3, 7, 8, 9]);
      assertClose(x.indexSelect(1, T([1, 1], 'int32')), [2, 2, 5, 5, 8, 8]);
      assertClose(x.indexSelect(-1, L([2])), [3, 6, 9]);
      const r = x.indexSelect(0, L(1));
      assert.deepEqual(r.shape, [1, 3]);
      assertClose(r, [4, 5, 6]);
      assert.deepEqual(x.indexSelect(0, L([])).shape, [0, 3]);
      const i = L([10, 20, 30]).indexSelect(0, L([2, 0]));
      assert.equal(i.dtype, 'int64');
      assert.deepEqual(i.toArray(), [30, 10]);
      const s = st.indexSelect(st.scalarTensor(5, { backend: be }), 0, L([0]));
      assert.deepEqual(s.shape, []);
      assert.equal(s.item(), 5);
    });

    it('gather picks elements along a dim with an index of the input rank', () => {
      const x = x33();
      // dim 1: out[i][j] = x[i][index[i][j]]; index is smaller than x along dim 0
      const g1 = st.gather(x, 1, L([[0, 0], [2, 1]]));
      assert.deepEqual(g1.shape, [2, 2]);
      assertClose(g1, [1, 1, 6, 5]);
      // dim 0: out[0][j] = x[index[0][j]][j] = x[2][0], x[1][1], x[0][2]
      assertClose(x.gather(0, T([[2, 1, 0]], 'int32')), [7, 5, 3]);
      // the index may be longer than the input along dim
      assertClose(st.gather(T([[1, 2], [3, 4]]), 1, L([[0, 1, 1]])), [1, 2, 2]);
      assert.deepEqual(st.gather(L([[1, 2], [3, 4]]), 0, L([[1, 0]])).toArray(), [[3, 2]]);
    });

    it('scatterAdd adds src at index out of place, accumulating repeats', () => {
      const x = st.ones([2, 3], { backend: be });
      // row 0: x[0][0] += 1 + 2; row 1: x[1][2] += 3, x[1][1] += 4
      const r = x.scatterAdd(1, L([[0, 0], [2, 1]]), T([[1, 2], [3, 4]]));
      assertClose(r, [4, 1, 1, 1, 5, 4]);
      assertClose(x, [1, 1, 1, 1, 1, 1], {}, 'input unchanged');
      // src larger than index: only its leading [2,2] block is used
      const big = T([[1, 2, 90], [3, 4, 90], [90, 90, 90]]);
      assertClose(st.scatterAdd(st.zeros([2, 3], { backend: be }), 1, T([[0, 0], [2, 1]], 'int32'), big), [3, 0, 0, 0, 4, 3]);
      // dim 0: out[index[i][j]][j] += src[i][j]
      assertClose(st.scatterAdd(st.zeros([3, 2], { backend: be }), 0, L([[0, 1], [0, 0]]), T([[1, 2], [3, 4]])), [4, 4, 0, 2, 0, 0]);
      const ints = st.scatterAdd(L([10, 20]), 0, L([1, 1, 0]), L([1, 2, 3]));
      assert.equal(ints.dtype, 'int64');
      assert.deepEqual(ints.toArray(), [13, 23]);
    });

    it('indexAdd adds src slices at index out of place, accumulating repeats', () => {
      const x = st.ones([3, 2], { backend: be });
      // row 0 gets [1,2] + [5,6], row 2 gets [3,4]
      const r = x.indexAdd(0, L([0, 2, 0]), T([[1, 2], [3, 4], [5, 6]]));
      assertClose(r, [7, 9, 1, 1, 4, 5]);
      assertClose(x, [1, 1, 1, 1, 1, 1], {}, 'input unchanged');
      assertClose(st.indexAdd(st.zeros([2, 3], { backend: be }), 1, T([2, 2], 'int32'), T([[1, 2], [3, 4]])), [0, 0, 3, 0, 0, 7]);
      assert.deepEqual(st.indexAdd(T([1, 1], 'int32'), 0, L([1]), T([5], 'int32')).toArray(), [1, 6]);
    });

    it('oneHot encodes class indices as int64', () => {
      const a = st.oneHot(L([0, 2, 1]));
      assert.equal(a.dtype, 'int64');
      assert.deepEqual(a.toArray(), [[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
      const b = st.oneHot(L([[1], [0]]), 4);
      assert.deepEqual(b.shape, [2, 1, 4]);
      assert.deepEqual(flat(b), [0, 1, 0, 0, 1, 0, 0, 0]);
      assert.deepEqual(st.oneHot(T([1, 0], 'int32'), 2).toArray(), [[0, 1], [1, 0]]);
      assert.deepEqual(st.oneHot(L([]), 3).shape, [0, 3]);
    });

    it('embedding looks up rows for indices of any shape', () => {
      const w = T([[0, 0.5], [1, 1.5], [2, 2.5], [3, 3.5]]);
      const e = st.embedding(L([[3, 0], [1, 3]]), w);
      assert.deepEqual(e.shape, [2, 2, 2]);
      assertClose(e, [3, 3.5, 0, 0.5, 1, 1.5, 3, 3.5]);
      const s = st.embedding(L(2), w);
      assert.deepEqual(s.shape, [2]);
      assertClose(s, [2, 2.5]);
      assertClose(st.embedding(T([1], 'int32'), w, 1), [1, 1.5], {}, 'the padding row is still looked up');
    });

    it('embedding sums gradients per row and gives the padding row none', () => {
      const idx = L([[3, 0], [1, 3]]);
      const g = T([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
      const grad = (pad: number | null) => {
        const w = T([[0, 0.5], [1, 1.5], [2, 2.5], [3, 3.5]]).requiresGrad_();
        st.embedding(idx, w, pad).backward(g);
        return w.grad!;
      };
      // row 0 ← g[0][1]; row 1 ← g[1][0]; row 3 ← g[0][0] + g[1][1]; row 2 unused
      assertClose(grad(null), [3, 4, 5, 6, 0, 0, 8, 10]);
      assertClose(grad(3), [3, 4, 5, 6, 0, 0, 0, 0]);
      assertClose(grad(-1), [3, 4, 5, 6, 0, 0, 0, 0], {}, 'paddingIdx -1 is row 3');
      assertClose(grad(0), [0, 0, 5, 6, 0, 0, 8, 10]);
    });

    it('has exact gradients (float64 finite differences)', () => {
      const i1 = L([3, 0, 3]);
      const g2 = L([[2, 0, 1, 2], [0, 0, 2, 1]]);
      const g3 = L([[3, 1, 3], [0, 2, 2]]);
      const emb = L([[0, 4, 4], [2, 0, 1]]);
      const cases: [string, (...t: st.Tensor[]) => st.Tensor, st.Tensor[]][] = [
        ['indexSelect dim 1', (x) => x.indexSelect(1, i1), [smooth([3, 4], 1, be)]],
        ['indexSelect dim 0', (x) => x.indexSelect(0, L([1, 1])), [smooth([3, 4], 2, be)]],
        ['indexSelect 0-d', (x) => st.indexSelect(x, 0, L([0])), [smooth([], 3, be)]],
        ['gather dim 0', (x) => x.gather(0, g2), [smooth([3, 4], 4, be)]],
        ['gather dim 1', (x) => x.gather(1, g3), [smooth([3, 4], 5, be)]],
        ['scatterAdd', (x, s) => x.scatterAdd(1, g3, s), [smooth([3, 4], 6, be), smooth([2, 3], 7, be)]],
        ['scatterAdd src larger than index', (x, s) => x.scatterAdd(1, g3, s), [smooth([3, 4], 8, be), smooth([3, 5], 9, be)]],
        ['scatterAdd dim 0', (x, s) => x.scatterAdd(0, g2, s), [smooth([3, 4], 10, be), smooth([2, 4], 11, be)]],
        ['indexAdd dim 0', (x, s) => x.indexAdd(0, L([2, 0, 2]), s), [smooth([3, 4], 12, be), smooth([3, 4], 13, be)]],
        ['indexAdd dim 1', (x, s) => x.indexAdd(1, T([1, 1], 'int32'), s), [smooth([3, 4], 14, be), smooth([3, 2], 15, be)]],
        ['embedding', (w) => st.embedding(emb, w), [smooth([5, 3], 16, be)]],
        // the padding row gets no gradient by design: mask its lookups so its true derivative is 0 too
        ['embedding paddingIdx', (w) => st.embedding(emb, w, 4).mul(emb.ne(4).unsqueeze(-1)), [smooth([5, 3], 17, be)]],
      ];
      for (const [name, f, inputs] of cases) gradcheck(f, inputs, { name: `${be} ${name}` });
    });

    it('has exact second derivatives through the backward rules', () => {
      const emb = L([[0, 4, 4], [2, 0, 1]]);
      const g3 = L([[3, 1, 3], [0, 2, 2]]);
      /** The gradient wrt a fixed leaf of Σ v·f(leaf), as a function of v (exercises f's backward's backward). */
      // NOTE: gradcheck's finite differences run under noGrad; the inner gradient needs recording on.
      const gradOf = (f: (w: st.Tensor) => st.Tensor, shape: number[]) => (v: st.Tensor) => st.enableGrad(() => {
        const w = smooth(shape, 30, be).requiresGrad_();
        return st.grad(f(w).mul(v).sum(), [w], { createGraph: true })[0]!;
      });
      const cases: [string, (v: st.Tensor) => st.Tensor, st.Tensor][] = [
        ['embedding', gradOf((w) => st.embedding(emb, w), [5, 3]), smooth([2, 3, 3], 20, be)],
        ['embedding paddingIdx', gradOf((w) => st.embedding(emb, w, 4), [5, 3]), smooth([2, 3, 3], 21, be)],
        ['indexSelect', gradOf((w) => w.indexSelect(1, L([3, 0, 3])), [3, 4]), smooth([3, 3], 22, be)],
        ['gather', gradOf((w) => w.gather(1, g3), [3, 4]), smooth([2, 3], 23, be)],
      ];
      for (const [name, f, v] of cases) gradcheck(f, [v], { name: `${be} double backward ${name}` });
    });

    it('rejects out-of-range indices naming the op, the value, the range and the shape', () => {
      const x = x33();
      throwsStrata(() => x.indexSelect(0, L([0, 3])), /^indexSelect: index 3 is out of range for dim 0 \(size 3\) of the input of shape \[3,3\]: valid indices are 0\.\.2$/);
      throwsStrata(() => x.indexSelect(1, T([-1, 0], 'int32')), /^indexSelect: index -1 is out of range .*\[3,3\].*0\.\.2/);
      throwsStrata(() => st.indexSelect(st.scalarTensor(1, { backend: be }), 0, L([1])), /^indexSelect: index 1 is out of range .*0\.\.0/);
      throwsStrata(() => x.gather(1, L([[0, 3]])), /^gather: index 3 is out of range for dim 1 \(size 3\) of the input of shape \[3,3\]: valid indices are 0\.\.2$/);
      throwsStrata(() => x.gather(0, L([[-2, 0]])), /^gather: index -2 is out of range .*\[3,3\].*0\.\.2/);
      throwsStrata(() => x.scatterAdd(0, L([[5]]), T([[1]])), /^scatterAdd: index 5 is out of range for dim 0 \(size 3\) of the input of shape \[3,3\]: valid indices are 0\.\.2$/);
      throwsStrata(() => x.scatterAdd(1, L([[-1]]), T([[1]])), /^scatterAdd: index -1 is out of range .*\[3,3\].*0\.\.2/);
      throwsStrata(() => x.indexAdd(1, L([0, 4]), st.ones([3, 2], { backend: be })), /^indexAdd: index 4 is out of range for dim 1 \(size 3\) of the input of shape \[3,3\]: valid indices are 0\.\.2$/);
      throwsStrata(() => x.indexAdd(0, L([-3]), st.ones([1, 3], { backend: be })), /^indexAdd: index -3 is out of range .*\[3,3\].*0\.\.2/);
      throwsStrata(() => st.oneHot(L([0, 3]), 3), /^oneHot: class index 3 is out of range for numClasses 3 in indices of shape \[2\]: valid indices are 0\.\.2$/);
      throwsStrata(() => st.oneHot(L([[1, -1]])), /^oneHot: class index -1 is negative in indices of shape \[1,2\]/);
      const w = st.zeros([4, 2], { backend: be });
      throwsStrata(() => st.embedding(L([[1, 4]]), w), /^embedding: index 4 is out of range for a weight of shape \[4,2\] \(indices of shape \[1,2\]\): valid indices are 0\.\.3$/);
      throwsStrata(() => st.embedding(T([-1], 'int32'), w), /^embedding: index -1 is out of range .*\[4,2\].*0\.\.3/);
      throwsStrata(() => st.indexSelect(st.zeros([0, 2], { backend: be }), 0, L([0])), /^indexSelect: index 0 is out of range .*\[0,2\]: there are no valid indices/);
    });

    it('rejects shapes and dtypes that do not fit', () => {
      const x = x33();
      throwsStrata(() => x.indexSelect(0, L([[0]])), /^indexSelect: index must be 0-d or 1-d, got shape \[1,1\]/);
      throwsStrata(() => x.indexSelect(0, T([0])), /^indexSelect: expected index to be an int64 \(or int32\) tensor, got float32/);
      throwsStrata(() => x.indexSelect(2, L([0])), /^indexSelect: dimension 2 is out of range/);
      throwsStrata(() => st.indexSelect(st.scalarTensor(1, { backend: be }), 0, L([0, 0])), /^indexSelect: a 0-d input takes exactly one index, got 2/);
      throwsStrata(() => x.gather(0, L([0, 1])), /^gather: index must have the input's number of dims: index shape \[2\], input shape \[3,3\]/);
      throwsStrata(() => x.gather(0, L([[0, 0, 0, 0]])), /^gather: index shape \[1,4\] is larger than the input shape \[3,3\] at dim 1 \(4 > 3\)/);
      throwsStrata(() => x.gather(1, T([[0.5]])), /^gather: expected index to be an int64/);
      throwsStrata(() => x.scatterAdd(0, L([[0, 0]]), T([[1]])), /^scatterAdd: index shape \[1,2\] is larger than src shape \[1,1\] at dim 1/);
      throwsStrata(() => x.scatterAdd(1, L([[0], [0], [0], [0]]), st.ones([4, 1], { backend: be })), /^scatterAdd: index shape \[4,1\] is larger than the input shape \[3,3\] at dim 0/);
      throwsStrata(() => x.scatterAdd(0, L([0]), T([1])), /^scatterAdd: input, index and src must have the same number of dims/);
      throwsStrata(() => x.scatterAdd(0, L([[0]]), T([[1]], 'float64')), /^scatterAdd: src is float64\[1,1\] but the input is float32\[3,3\]/);
      throwsStrata(() => T([true, false]).scatterAdd(0, L([0]), T([true])), /^scatterAdd: bool tensors cannot be added into/);
      throwsStrata(() => x.indexAdd(0, L([0, 1]), st.ones([3, 3], { backend: be })), /^indexAdd: src shape \[3,3\] does not fit: .* src must have shape \[2,3\]/);
      throwsStrata(() => x.indexAdd(0, L([[0]]), st.ones([1, 3], { backend: be })), /^indexAdd: index must be 0-d or 1-d/);
      throwsStrata(() => x.indexAdd(0, L([0]), L([[1, 1, 1]])), /^indexAdd: src is int64\[1,3\] but the input is float32\[3,3\]/);
      throwsStrata(() => st.oneHot(L([])), /^oneHot: cannot infer numClasses from empty indices/);
      throwsStrata(() => st.oneHot(L([0]), -2), /^oneHot: numClasses must be a non-negative integer or -1/);
      throwsStrata(() => st.oneHot(T([0, 1])), /^oneHot: expected indices to be an int64/);
      throwsStrata(() => st.embedding(L([0]), st.zeros([4], { backend: be })), /^embedding: weight must be 2-D \[numEmbeddings, embeddingDim\], got shape \[4\]/);
      throwsStrata(() => st.embedding(T([0]), st.zeros([4, 2], { backend: be })), /^embedding: expected indices to be an int64/);
      throwsStrata(() => st.embedding(L([0]), st.zeros([4, 2], { backend: be }), 4), /^embedding: paddingIdx 4 is out of range for a weight of shape \[4,2\]: expected an integer in -4\.\.3/);
    });
  });
}

describe('indexing parity (native vs js)', () => {
  const long = (v: st.NestedArray) => st.tensor(v, { backend: 'js', dtype: 'int64' });
  // x and src are permuted and sliced views [4,4,5]; the indices are strided views too
  const x = st.randn([4, 5, 6], { backend: 'js' });
  const view = (t: st.Tensor) => t.permute(2, 0, 1).slice(0, 1, 5);
  const src = st.randn([5, 4, 4], { backend: 'js' });
  const srcView = (t: st.Tensor) => t.permute(1, 2, 0);
  const vec = long([3, 0, 2, 2, 1, 0, 3, 0]);
  const vecView = (t: st.Tensor) => t.slice(0, 0, 8, 2); // [3, 2, 1, 3]
  const idx3 = st.randint(0, 5, [3, 4, 4], { backend: 'js' });
  const idx3View = (t: st.Tensor) => t.permute(1, 2, 0); // [4,4,3], values 0..4

  it('matches on non-contiguous float32 inputs and indices', () => {
    parity((a, i) => view(a).indexSelect(1, vecView(i)), [x, vec], { name: 'indexSelect' });
    parity((a, i) => view(a).indexSelect(2, vecView(i).int()), [x, vec], { name: 'indexSelect int32' });
    parity((a, i) => view(a).gather(2, idx3View(i)), [x, idx3], { name: 'gather' });
    parity((a, i, s) => view(a).scatterAdd(2, idx3View(i), srcView(s)), [x, idx3, src], { name: 'scatterAdd' });
    parity((a, i, s) => view(a).scatterAdd(2, idx3View(i).int(), srcView(s)), [x, idx3, src], { name: 'scatterAdd int32' });
    parity((a, i, s) => view(a).indexAdd(1, vecView(i), srcView(s)), [x, vec, src], { name: 'indexAdd' });
    parity((a, i, s) => view(a).indexAdd(0, vecView(i).int(), srcView(s)), [x, vec, src], { name: 'indexAdd int32' });
  });

  it('matches for embedding with non-contiguous weight and indices, with and without padding', () => {
    const w = st.randn([5, 6], { backend: 'js' });
    const ids = st.randint(0, 6, [3, 4], { backend: 'js' });
    for (const pad of [null, 2]) {
      parity((ww, i) => st.embedding(i.t(), ww.t(), pad), [w, ids], { name: `embedding pad ${pad}` });
      parity((ww, i) => st.embedding(i.t().int(), ww.t(), pad), [w, ids], { name: `embedding int32 pad ${pad}` });
    }
  });

  it('refuses operands on different backends', (t) => {
    if (!hasNative()) return t.skip('native addon not built');
    const xs = st.zeros([3, 2], { backend: 'js' });
    throwsStrata(() => xs.indexSelect(0, st.tensor([0], { backend: 'native', dtype: 'int64' })), /^indexSelect: tensors are on different backends \(js and native\)/);
    throwsStrata(() => st.embedding(st.tensor([0], { backend: 'native', dtype: 'int64' }), xs), /^embedding: tensors are on different backends/);
  });

  it('matches on integer data and oneHot', () => {
    const xi = st.randint(-9, 9, [4, 5, 6], { backend: 'js' });
    parity((a, i) => view(a).indexSelect(1, vecView(i)), [xi, vec], { name: 'indexSelect int64 data' });
    parity((a, i) => view(a).gather(2, idx3View(i)), [xi, idx3], { name: 'gather int64 data' });
    parity((_a, i) => st.oneHot(idx3View(i)), [xi, idx3], { name: 'oneHot' });
    parity((_a, i) => st.oneHot(idx3View(i).int(), 7), [xi, idx3], { name: 'oneHot int32' });
  });
});
