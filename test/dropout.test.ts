// Dropout on every backend: the fraction dropped (statistically, fixed seeds), 1/(1−p) scaling, identity
// in evaluation mode, gradient = mask·scale, determinism per seed, argument errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose, backends, flat, smooth, st } from './helpers.js';

for (const be of backends()) {
  describe(`dropout on ${be}`, () => {
    it('drops a fraction p of the elements and scales the rest by 1/(1 − p)', () => {
      const n = 20000;
      for (const p of [0.3, 0.8]) {
        const x = st.ones([n], { backend: be });
        const y = flat(st.dropout(x, p, true, new st.Generator(1234)));
        const zeros = y.filter((v) => v === 0).length;
        // the zero count is Binomial(n, p): its standard deviation is √(n·p·(1 − p)) <= 71, so 0.015·n is over 4σ
        assert.ok(Math.abs(zeros / n - p) < 0.015, `p=${p}: ${zeros} of ${n} dropped`);
        const kept = y.filter((v) => v !== 0);
        assertClose(kept, new Array<number>(kept.length).fill(1 / (1 - p)), { rtol: 1e-6 }, `p=${p} scale`);
      }
    });

    it('is deterministic for a seed and differs across seeds', () => {
      const x = st.ones([256], { backend: be });
      const a = flat(st.dropout(x, 0.5, true, new st.Generator(7)));
      const b = flat(st.dropout(x, 0.5, true, new st.Generator(7)));
      const c = flat(st.dropout(x, 0.5, true, new st.Generator(8)));
      assert.deepEqual(a, b);
      assert.notDeepEqual(a, c);
    });

    it('is the identity in evaluation mode and for p = 0, and zero for p = 1', () => {
      const x = smooth([3, 4], 1, be);
      assert.equal(st.dropout(x, 0.5, false), x);
      assert.equal(st.dropout(x, 0), x);
      const z = smooth([3, 4], 2, be).requiresGrad_();
      const y = st.dropout(z, 1);
      // (assertClose: negative inputs give −0, which equals 0)
      assertClose(y, new Array<number>(12).fill(0), { atol: 0, rtol: 0 });
      y.sum().backward();
      assertClose(z.grad!, new Array<number>(12).fill(0), { atol: 0, rtol: 0 });
    });

    it('passes the gradient through the kept elements, scaled: grad = mask · 1/(1 − p)', () => {
      const p = 0.4;
      const x = smooth([8, 16], 3, be).requiresGrad_();
      const y = st.dropout(x, p, true, new st.Generator(99));
      const w = smooth([8, 16], 4, be);
      y.mul(w).sum().backward();
      // x has no zeros, so the mask is where y is non-zero
      const yv = flat(y), wv = flat(w), xv = flat(x);
      const mask = yv.map((v) => (v !== 0 ? 1 : 0));
      assert.ok(mask.some((m) => m === 0) && mask.some((m) => m === 1));
      assertClose(yv, xv.map((v, i) => v * mask[i] / (1 - p)), { atol: 1e-12, rtol: 1e-12 });
      assertClose(x.grad!, wv.map((v, i) => v * mask[i] / (1 - p)), { atol: 1e-12, rtol: 1e-12 });
    });

    it('throws StrataErrors for probabilities outside [0, 1]', () => {
      const x = st.ones([2], { backend: be });
      for (const p of [-0.1, 1.5, NaN]) {
        assert.throws(() => st.dropout(x, p), (e: unknown) => e instanceof st.StrataError && /^dropout: probability must be in \[0, 1\]/.test(e.message));
      }
    });
  });
}
