// Tensors: creation, dtypes, read-back, printing, seeded random numbers, views sharing storage, autograd basics.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose, backends, flat, st } from './helpers.js';

for (const be of backends()) {
  describe(`tensors on ${be}`, () => {
    const opts = { backend: be } as const;

    it('creates from nested arrays, typed arrays and constants', () => {
      const t = st.tensor([[1, 2, 3], [4, 5, 6]], opts);
      assert.deepEqual(t.shape, [2, 3]);
      assert.equal(t.dtype, 'float32');
      assert.deepEqual(t.toArray(), [[1, 2, 3], [4, 5, 6]]);
      assert.equal(st.tensor([true, false], opts).dtype, 'bool');
      assert.equal(st.tensor(new Int32Array([1, 2]), opts).dtype, 'int32');
      assert.equal(st.tensor(new Float64Array([1, 2]), opts).dtype, 'float64');
      const i64 = st.tensor(new BigInt64Array([1n, -2n]), opts);
      assert.equal(i64.dtype, 'int64');
      assert.deepEqual(Array.from(i64.data() as BigInt64Array), [1n, -2n]);
      assert.deepEqual(st.tensor(new Uint8Array([0, 255]), opts).toArray(), [0, 255], 'uint8 pixels become float32');
      assert.deepEqual(st.zeros([2], opts).toArray(), [0, 0]);
      assert.deepEqual(st.ones([2], { ...opts, dtype: 'int64' }).toArray(), [1, 1]);
      assert.deepEqual(st.full([2, 1], 7, opts).toArray(), [[7], [7]]);
      assert.deepEqual(st.arange(5, undefined, 1, opts).toArray(), [0, 1, 2, 3, 4]);
      assert.equal(st.arange(5, undefined, 1, opts).dtype, 'int64');
      assertClose(st.arange(0, 1, 0.25, opts), [0, 0.25, 0.5, 0.75]);
      assertClose(st.linspace(0, 1, 5, opts), [0, 0.25, 0.5, 0.75, 1]);
      assert.deepEqual(st.eye(2, 3, opts).toArray(), [[1, 0, 0], [0, 1, 0]]);
      assert.equal(st.tensor(3.5, opts).item(), 3.5);
      assert.deepEqual(st.tensor(3.5, opts).shape, []);
      assert.throws(() => st.tensor([[1, 2], [3]], opts), /tensor: ragged nested array/);
      assert.throws(() => st.tensor([1.5], { ...opts, dtype: 'int32' }), /value 1\.5 is not an integer, but dtype is int32/);
      assert.throws(() => st.zeros([2, 2], opts).item(), /item: only one-element tensors/);
    });

    it('draws the same random numbers from the same seed, on every backend', () => {
      st.manualSeed(42);
      const a = flat(st.randn([5], opts));
      st.manualSeed(42);
      const b = flat(st.randn([5], { backend: 'js' }));
      assertClose(a, b, { atol: 1e-7 });
      const g = new st.Generator(1);
      const r = flat(st.randint(0, 3, [1000], { ...opts, generator: g }));
      assert.ok(r.every((v) => v >= 0 && v < 3) && new Set(r).size === 3);
      const u = flat(st.rand([2000], { ...opts, generator: g }));
      const mean = u.reduce((s, v) => s + v, 0) / u.length;
      assert.ok(u.every((v) => v >= 0 && v < 1) && Math.abs(mean - 0.5) < 0.03);
      const p = flat(st.randperm(10, { ...opts, generator: g }));
      assert.deepEqual([...p].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('prints like PyTorch (naming the backend when it is not the current one)', () => {
      const prev = st.getBackend().name;
      st.setBackend(be === 'js' ? 'native' : 'js');
      assert.match(String(st.tensor([1], opts)), new RegExp(`backend=${be}`));
      st.setBackend(be);
      try {
      assert.equal(String(st.tensor([[1, 2], [3, 4]], opts)), 'tensor([[1., 2.],\n        [3., 4.]])');
      assert.equal(String(st.tensor([0.5, -1.25], opts)), 'tensor([ 0.5000, -1.2500])');
      assert.equal(String(st.tensor([1, 2], { ...opts, dtype: 'int64' })), 'tensor([1, 2])');
      assert.equal(String(st.tensor([1, 2], { ...opts, dtype: 'float64' })), 'tensor([1., 2.], dtype=float64)');
      assert.equal(String(st.tensor([true], opts)), 'tensor([true])');
      const big = String(st.arange(2000, undefined, 1, opts));
      assert.match(big, /^tensor\(\[   0,    1,    2, \.\.\., 1997, 1998, 1999\]\)$/);
      const x = st.tensor([1], opts).requiresGrad_();
      assert.match(String(x.mul(2)), /gradFn=mul/);
      } finally {
        st.setBackend(prev);
      }
    });

    it('shares storage between a view and its base, and tracks in-place changes for autograd', () => {
      const base = st.zeros([2, 3], opts);
      const v = base.slice(1, 1, 3);
      st.noGrad(() => v.fill_(5));
      assert.deepEqual(base.toArray(), [[0, 5, 5], [0, 5, 5]]);
      const w = st.tensor([1, 2], opts).requiresGrad_();
      const y = w.mul(1).exp();
      st.noGrad(() => y.add_(1));
      assert.throws(() => y.sum().backward(), /modified by an in-place operation/);
    });

    it('accumulates gradients across backward calls, detaches and stops recording in noGrad', () => {
      const w = st.tensor([1, 2], opts).requiresGrad_();
      w.mul(w).sum().backward();
      w.mul(3).sum().backward();
      assertClose(w.grad!, [2 * 1 + 3, 2 * 2 + 3]);
      assert.equal(w.detach().requiresGrad, false);
      assert.equal(st.noGrad(() => w.mul(2)).requiresGrad, false);
      const [g] = st.grad(w.pow(3).sum(), [w], { createGraph: true });
      assertClose(g!, [3, 12]);
      const [gg] = st.grad(g!.sum(), [w]);
      assertClose(gg!, [6, 12], {}, 'second derivative of x³ is 6x');
    });
  });
}
