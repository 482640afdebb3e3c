// Bad input gets a StrataError naming the op and the shapes, on every backend, and never crashes the process.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backends, hasNative, st } from './helpers.js';

for (const be of backends()) {
  describe(`errors on ${be}`, () => {
    const T = (v: st.NestedArray, dtype?: st.DType) => st.tensor(v, { backend: be, dtype });
    const isStrata = (re: RegExp) => (e: unknown) => e instanceof st.StrataError && re.test((e as Error).message);

    it('matmul names both shapes and the mismatch', () => {
      assert.throws(() => st.zeros([32, 784], { backend: be }).matmul(st.zeros([128, 10], { backend: be })), isStrata(/^matmul: shapes \[32,784\] and \[128,10\] do not align \(784 vs 128\)$/));
    });
    it('broadcasting, reshaping and concatenation name the shapes', () => {
      assert.throws(() => T([1, 2, 3]).add(T([1, 2])), isStrata(/^add: shapes \[3\] and \[2\] cannot be broadcast/));
      assert.throws(() => T([1, 2, 3]).reshape(2, 2), isStrata(/^reshape: shape \[2,2\] is invalid for input of shape \[3\]/));
      assert.throws(() => st.cat([T([[1, 2]]), T([[1, 2, 3]])]), isStrata(/^cat: tensor 1 has shape \[1,3\], which does not match \[1,2\] outside dim 0/));
    });
    it('out-of-range indices throw in embedding, gather and one-hot', () => {
      assert.throws(() => st.embedding(T([0, 5], 'int64'), st.zeros([5, 2], { backend: be })), isStrata(/^embedding: .*5.*out of range/));
      assert.throws(() => st.gather(T([[1, 2]]), 1, T([[2]], 'int64')), isStrata(/^gather: index 2 is out of range/));
      assert.throws(() => st.oneHot(T([0, 3], 'int64'), 3), isStrata(/^oneHot: .*3.*out of range/));
      assert.throws(() => st.crossEntropy(st.zeros([2, 3], { backend: be }), T([0, 3], 'int64')), isStrata(/^(crossEntropy|nllLoss): .*3/));
    });
    it('dtype errors say how to convert', () => {
      assert.throws(() => st.matmul(T([[1]], 'int64'), T([[1]], 'int64')), isStrata(/^matmul: expected input to be float32 or float64, got int64.*\.float\(\)/));
      assert.throws(() => T([1]).requiresGrad_().add_(1), isStrata(/^add_: a leaf tensor .* requires grad cannot be modified in place/));
      assert.throws(() => st.tensor([1, 2], { backend: be, dtype: 'int64', requiresGrad: true }), isStrata(/only floating-point tensors can require gradients/));
    });
    it('a disposed tensor says where it went', () => {
      const x = T([1, 2]);
      x.dispose();
      assert.throws(() => x.add(1), isStrata(/was disposed/));
      const y = st.tidy(() => T([1]));
      assert.equal(y.item(), 1);
      let inner: st.Tensor | null = null;
      st.tidy(() => { inner = T([3]); });
      assert.throws(() => inner!.item(), isStrata(/st\.tidy\(\) it was made in/));
    });
    it('backward through a freed graph, and of a non-scalar, explain the fix', () => {
      const w = T([1, 2]).requiresGrad_();
      const l = w.mul(w).sum();
      l.backward();
      assert.throws(() => l.backward(), isStrata(/already freed.*retainGraph/));
      assert.throws(() => w.mul(2).backward(), isStrata(/^backward: grad can be implicitly created only for scalar outputs/));
    });
  });
}

describe('backend mismatch', () => {
  it('names both backends and the fix', { skip: !hasNative() && 'native backend unavailable' }, () => {
    const a = st.ones([2], { backend: 'js' }), b = st.ones([2], { backend: 'native' });
    assert.throws(() => a.add(b), (e: unknown) => e instanceof st.StrataError && /^add: tensors are on different backends \(js and native\); move one with \.to\('js'\)/.test((e as Error).message));
  });
});
