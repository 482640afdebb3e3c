// Normalisation ops: hand-checked batch/layer/group norm on every backend (incl. running statistics),
// float64 gradient checks of every backward kernel, native-vs-js parity, error messages.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose, backends, gradcheck, parity, smooth, st } from './helpers.js';

const EPS = 1e-5;
/** (v − mean) / √(var + eps) for a list, with the biased variance: the formula, in plain numbers. */
function normalise(v: number[], eps = EPS): number[] {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  const varb = v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length;
  return v.map((x) => (x - m) / Math.sqrt(varb + eps));
}

for (const be of backends()) {
  describe(`normalisation on ${be}`, () => {
    const T = (v: st.NestedArray, dtype: st.DType = 'float64') => st.tensor(v, { backend: be, dtype });

    it('batch-normalises a tiny batch by hand (training)', () => {
      // channel 0 holds 1, 3 (mean 2, biased var 1); channel 1 holds 2, 6 (mean 4, biased var 4)
      const x = T([[1, 2], [3, 6]]);
      const y = st.batchNorm(x, { weight: T([2, 0.5]), bias: T([1, -1]), training: true });
      const s0 = Math.sqrt(1 + EPS), s1 = Math.sqrt(4 + EPS);
      assertClose(y, [1 - 2 / s0, -1 - 0.5 * 2 / s1, 1 + 2 / s0, -1 + 0.5 * 2 / s1], { atol: 1e-12, rtol: 1e-12 });
      assert.deepEqual(y.shape, [2, 2]);
      // float32 and no affine parameters
      const y32 = st.batchNorm(T([[1, 2], [3, 6]], 'float32'), { training: true });
      assert.equal(y32.dtype, 'float32');
      assertClose(y32, [-1 / s0, -2 / s1, 1 / s0, 2 / s1], { atol: 1e-6 });
    });

    it('updates running statistics in place with PyTorch\'s rule over two steps', () => {
      const rm = T([0, 0]), rv = T([1, 1]);
      const v0 = rm._version.v;
      st.batchNorm(T([[1, 2], [3, 6]]), { runningMean: rm, runningVar: rv, training: true });
      // mean [2, 4]; unbiased var [2, 8]: rm = 0.1·mean, rv = 0.9 + 0.1·var
      assertClose(rm, [0.2, 0.4], { atol: 1e-12 });
      assertClose(rv, [1.1, 1.7], { atol: 1e-12 });
      assert.equal(rm._version.v, v0 + 1);
      st.batchNorm(T([[0, 10], [2, 14]]), { runningMean: rm, runningVar: rv, training: true });
      // mean [1, 12]; unbiased var [2, 8]
      assertClose(rm, [0.9 * 0.2 + 0.1 * 1, 0.9 * 0.4 + 0.1 * 12], { atol: 1e-12 });
      assertClose(rv, [0.9 * 1.1 + 0.1 * 2, 0.9 * 1.7 + 0.1 * 8], { atol: 1e-12 });
      assert.equal(rv._version.v, v0 + 2);
      // momentum 0.5 over a [N, C, L] input: channel 0 holds 1, 2, 3, 6 (mean 3, unbiased var 14/3)
      const rm2 = T([1]), rv2 = T([1]);
      st.batchNorm(T([[[1, 2]], [[3, 6]]]), { runningMean: rm2, runningVar: rv2, training: true, momentum: 0.5 });
      assertClose(rm2, [0.5 * 1 + 0.5 * 3], { atol: 1e-12 });
      assertClose(rv2, [0.5 * 1 + 0.5 * 14 / 3], { atol: 1e-12 });
    });

    it('normalises 2-D and 3-D batches per channel', () => {
      // [N=2, C=1, 2, 2]: one channel holding 1…8
      const x2 = T([1, 2, 3, 4, 5, 6, 7, 8]).reshape(2, 1, 2, 2);
      assertClose(st.batchNorm(x2, { training: true }), normalise([1, 2, 3, 4, 5, 6, 7, 8]), { atol: 1e-12 });
      // [N=1, C=2, 2, 1, 2]: channel 0 holds 1, 2, 4, 9; channel 1 holds 0, 0, 3, 1
      const x3 = T([1, 2, 4, 9, 0, 0, 3, 1]).reshape(1, 2, 2, 1, 2);
      const y3 = st.batchNorm(x3, { training: true });
      assert.deepEqual(y3.shape, [1, 2, 2, 1, 2]);
      assertClose(y3, [...normalise([1, 2, 4, 9]), ...normalise([0, 0, 3, 1])], { atol: 1e-12 });
    });

    it('uses the running statistics in evaluation mode and leaves them unchanged', () => {
      const rm = T([1, 2]), rv = T([4, 0.25]);
      const v = rm._version.v;
      const y = st.batchNorm(T([[1, 2], [3, 6]]), { weight: T([2, 0.5]), bias: T([1, -1]), runningMean: rm, runningVar: rv });
      const s0 = Math.sqrt(4 + EPS), s1 = Math.sqrt(0.25 + EPS);
      assertClose(y, [1 + 2 * 0 / s0, -1 + 0.5 * 0 / s1, 1 + 2 * 2 / s0, -1 + 0.5 * 4 / s1], { atol: 1e-12 });
      assertClose(rm, [1, 2]);
      assertClose(rv, [4, 0.25]);
      assert.equal(rm._version.v, v);
    });

    it('layer-normalises the trailing dims by hand', () => {
      const x = T([[1, 2, 3], [2, 2, 5]]);
      const y = st.layerNorm(x, 3, T([1, 2, 3]), T([0, 0, 1]));
      const r0 = normalise([1, 2, 3]), r1 = normalise([2, 2, 5]);
      assertClose(y, [r0[0], 2 * r0[1], 3 * r0[2] + 1, r1[0], 2 * r1[1], 3 * r1[2] + 1], { atol: 1e-12 });
      // over two trailing dims [2, 3] of a [2, 2, 3] input, no affine parameters
      const x3 = T([[[1, 2, 3], [4, 5, 6]], [[0, 0, 0], [0, 0, 6]]]);
      const y3 = st.layerNorm(x3, [2, 3]);
      assertClose(y3, [...normalise([1, 2, 3, 4, 5, 6]), ...normalise([0, 0, 0, 0, 0, 6])], { atol: 1e-12 });
      assertClose(st.layerNorm(T([[1, 2, 3]], 'float32'), [3], null, null, 0.5), normalise([1, 2, 3], 0.5), { atol: 1e-6 });
    });

    it('group-normalises by hand', () => {
      // [N=1, C=4, L=2] in 2 groups: group 0 = channels 0, 1 (1, 3, 5, 7); group 1 = channels 2, 3 (2, 2, 2, 6)
      const x = T([[[1, 3], [5, 7], [2, 2], [2, 6]]]);
      const g0 = normalise([1, 3, 5, 7]), g1 = normalise([2, 2, 2, 6]);
      const y = st.groupNorm(x, 2, T([1, 2, 3, 4]), T([0, 1, 0, 1]));
      assertClose(y, [g0[0], g0[1], 2 * g0[2] + 1, 2 * g0[3] + 1, 3 * g1[0], 3 * g1[1], 4 * g1[2] + 1, 4 * g1[3] + 1], { atol: 1e-12 });
      // one group per channel is instance norm; one group in all is layer norm over [C, *]
      assertClose(st.groupNorm(x, 4), [...normalise([1, 3]), ...normalise([5, 7]), ...normalise([2, 2]), ...normalise([2, 6])], { atol: 1e-10 });
      assertClose(st.groupNorm(x, 1), normalise([1, 3, 5, 7, 2, 2, 2, 6]), { atol: 1e-12 });
    });

    it('has exact gradients (float64 finite differences)', () => {
      const buffers = (c: number) => ({ runningMean: st.zeros([c], { backend: be, dtype: 'float64' }), runningVar: st.ones([c], { backend: be, dtype: 'float64' }) });
      const cases: [string, (...t: st.Tensor[]) => st.Tensor, st.Tensor[]][] = [
        ['batchNorm1d train', (x, w, b) => st.batchNorm(x, { weight: w, bias: b, training: true, ...buffers(3) }), [smooth([4, 3], 1, be), smooth([3], 2, be), smooth([3], 3, be)]],
        ['batchNorm [N,C,L] train', (x, w, b) => st.batchNorm(x, { weight: w, bias: b, training: true }), [smooth([2, 3, 3], 4, be), smooth([3], 5, be), smooth([3], 6, be)]],
        ['batchNorm2d train, no affine', (x) => st.batchNorm(x, { training: true, ...buffers(2) }), [smooth([2, 2, 2, 2], 7, be)]],
        ['batchNorm2d train, weight only', (x, w) => st.batchNorm(x, { weight: w, training: true }), [smooth([2, 2, 2, 1], 8, be), smooth([2], 9, be)]],
        ['batchNorm3d train, bias only', (x, b) => st.batchNorm(x, { bias: b, training: true }), [smooth([2, 2, 2, 1, 2], 10, be), smooth([2], 11, be)]],
        ['batchNorm eval', (x, w, b) => st.batchNorm(x, { weight: w, bias: b, runningMean: T([0.5, -1, 2]), runningVar: T([1.5, 0.5, 3]) }), [smooth([2, 3, 2], 12, be), smooth([3], 13, be), smooth([3], 14, be)]],
        ['layerNorm', (x, w, b) => st.layerNorm(x, [4], w, b), [smooth([3, 4], 15, be), smooth([4], 16, be), smooth([4], 17, be)]],
        ['layerNorm 2 dims, no affine', (x) => st.layerNorm(x, [2, 3]), [smooth([2, 2, 3], 18, be)]],
        ['layerNorm weight only', (x, w) => st.layerNorm(x, [3], w), [smooth([2, 2, 3], 19, be), smooth([3], 20, be)]],
        ['layerNorm bias only', (x, b) => st.layerNorm(x, 3, null, b), [smooth([3, 3], 29, be), smooth([3], 31, be)]],
        ['groupNorm', (x, w, b) => st.groupNorm(x, 2, w, b), [smooth([2, 4, 3], 21, be), smooth([4], 22, be), smooth([4], 23, be)]],
        ['groupNorm 2d, no affine', (x) => st.groupNorm(x, 3, null, null), [smooth([2, 3, 2, 2], 24, be)]],
        ['groupNorm bias only', (x, b) => st.groupNorm(x, 1, null, b), [smooth([1, 2, 3], 25, be), smooth([2], 26, be)]],
      ];
      for (const [name, f, inputs] of cases) gradcheck(f, inputs, { name: `${be} ${name}` });
      // the weight alone needs a gradient: the kernel's mask asks for that one only
      const x = smooth([3, 2], 27, be), w = smooth([2], 28, be).requiresGrad_();
      st.batchNorm(x, { weight: w, training: true }).mul(T([[1, 2], [3, 4], [5, 6]])).sum().backward();
      assert.equal(x.grad, null);
      assert.deepEqual(w.grad!.shape, [2]);
    });

    it('refuses a second backward instead of silently giving none', () => {
      const x = smooth([3, 2], 32, be).requiresGrad_();
      const w = smooth([3, 2], 33, be);
      for (const [name, f] of [
        ['batchNorm', (t: st.Tensor) => st.batchNorm(t, { training: true })],
        ['layerNorm', (t: st.Tensor) => st.layerNorm(t, 2)],
        ['groupNorm', (t: st.Tensor) => st.groupNorm(t, 1)],
      ] as const) {
        const [gx] = st.grad(f(x).mul(w).sum(), [x], { createGraph: true });
        assert.throws(() => gx!.sum().backward(), new RegExp(`double backward through ${name} is not supported`));
      }
    });

    it('refuses to backpropagate through running statistics changed after an evaluation-mode forward', () => {
      const rm = T([0, 0]), rv = T([1, 1]);
      const x = smooth([3, 2], 30, be).requiresGrad_();
      const y = st.batchNorm(x, { runningMean: rm, runningVar: rv });
      st.batchNorm(T([[1, 2], [3, 4]]), { runningMean: rm, runningVar: rv, training: true });
      assert.throws(() => y.sum().backward(), /modified by an in-place operation/);
    });

    it('throws StrataErrors for bad arguments', () => {
      const x = T([[1, 2, 3], [4, 5, 6]]);
      assert.throws(() => st.batchNorm(x, { weight: T([1, 2]), training: true }), /batchNorm: weight has shape \[2\], but the input's 3 channels \(input shape \[2,3\]\) needs \[3\]/);
      assert.throws(() => st.batchNorm(x, { runningMean: T([0, 0, 0, 0]), runningVar: T([1, 1, 1, 1]) }), /batchNorm: runningMean has shape \[4\]/);
      assert.throws(() => st.batchNorm(T([[1, 2, 3]]), { training: true }), /batchNorm: Expected more than 1 value per channel when training, got input of shape \[1,3\]/);
      assert.throws(() => st.batchNorm(T([[[1], [2]]]), { training: true }), /Expected more than 1 value per channel when training/);
      assert.throws(() => st.batchNorm(x), /batchNorm: evaluation mode .* runningMean and runningVar/);
      assert.throws(() => st.batchNorm(T([1, 2, 3]), { training: true }), /batchNorm: expected an input of shape \[N, C, \*\]/);
      assert.throws(() => st.batchNorm(x, { weight: T([1, 2, 3], 'float32'), training: true }), /batchNorm: weight is float32 but the input is float64/);
      assert.throws(() => st.batchNorm(T([[1, 2]], 'int64'), { training: true }), /batchNorm: expected input to be float32 or float64/);
      assert.throws(() => st.groupNorm(T([[[1], [2], [3]]]), 2), /groupNorm: the input's 3 channels \(shape \[1,3,1\]\) are not divisible by numGroups=2/);
      assert.throws(() => st.groupNorm(T([[[1], [2]]]), 2, T([1, 2, 3])), /groupNorm: weight has shape \[3\]/);
      assert.throws(() => st.groupNorm(T([[[1], [2]]]), 0), /groupNorm: numGroups must be a positive integer/);
      assert.throws(() => st.layerNorm(x, [2]), /layerNorm: normalizedShape \[2\] does not match the input's trailing dims: expected an input of shape \[\*,2\], got \[2,3\]/);
      assert.throws(() => st.layerNorm(x, [2, 3, 4]), /layerNorm: normalizedShape \[2,3,4\]/);
      assert.throws(() => st.layerNorm(x, 3, T([1, 2])), /layerNorm: weight has shape \[2\], but normalizedShape \[3\]/);
      const rg = T([0, 0, 0]).requiresGrad_();
      assert.throws(() => st.batchNorm(x, { runningMean: rg, runningVar: T([1, 1, 1]), training: true }), /batchNorm: runningMean requires grad/);
    });
  });
}

describe('normalisation parity (native vs js)', () => {
  const js = (shape: number[], seed: number) => st.randn(shape, { backend: 'js', generator: new st.Generator(seed) });

  it('matches batch norm (training with running stats, and eval) on permuted and sliced inputs', () => {
    // x: a [3, 5, 4] tensor viewed as [N=4, C=3, L=4] through a permute, then a slice of L
    const base = js([3, 4, 6], 1);
    const noncontig = (x: st.Tensor) => x.permute(1, 0, 2).slice(2, 1, 5);
    parity((x, w, b) => {
      const be = x.backend.name as 'js' | 'native';
      const rm = st.zeros([3], { backend: be }), rv = st.ones([3], { backend: be });
      const y = st.batchNorm(noncontig(x), { weight: w, bias: b, runningMean: rm, runningVar: rv, training: true, momentum: 0.3 });
      return [y, rm, rv];
    }, [base, js([3], 2), js([3], 3)], { name: 'batchNorm train', atol: 1e-5, rtol: 1e-4 });
    parity((x, w, b) => {
      const be = x.backend.name as 'js' | 'native';
      const rm = st.tensor([0.1, -0.2, 0.3], { backend: be }), rv = st.tensor([0.5, 1.5, 2], { backend: be });
      return st.batchNorm(noncontig(x), { weight: w, bias: b, runningMean: rm, runningVar: rv });
    }, [base, js([3], 2), js([3], 3)], { name: 'batchNorm eval', atol: 1e-5, rtol: 1e-4 });
    parity((x) => st.batchNorm(x.permute(0, 3, 1, 2), { training: true }), [js([2, 3, 3, 2], 4)], { name: 'batchNorm2d', atol: 1e-5, rtol: 1e-4 });
  });

  it('matches layer norm and group norm on permuted and sliced inputs', () => {
    parity((x, w, b) => st.layerNorm(x.permute(1, 0, 2), [5], w, b), [js([3, 4, 5], 5), js([5], 6), js([5], 7)], { name: 'layerNorm', atol: 1e-5, rtol: 1e-4 });
    parity((x) => st.layerNorm(x.transpose(1, 2).slice(0, 0, 2), [3, 4]), [js([3, 4, 3], 8)], { name: 'layerNorm 2 dims', atol: 1e-5, rtol: 1e-4 });
    parity((x, w, b) => st.groupNorm(x.permute(1, 0, 2, 3), 3, w, b), [js([6, 2, 2, 3], 9), js([6], 10), js([6], 11)], { name: 'groupNorm', atol: 1e-5, rtol: 1e-4 });
    parity((x) => st.groupNorm(x.slice(2, 0, 4, 2), 2), [js([2, 4, 8], 12)], { name: 'groupNorm sliced', atol: 1e-5, rtol: 1e-4 });
  });

  it('matches in float64 to near machine precision', () => {
    const d = (shape: number[], seed: number) => js(shape, seed).double();
    parity((x, w, b) => st.batchNorm(x, { weight: w, bias: b, training: true }), [d([5, 2, 3], 13), d([2], 14), d([2], 15)], { name: 'batchNorm f64', atol: 1e-12, rtol: 1e-10 });
    parity((x, w, b) => st.layerNorm(x, [3], w, b), [d([5, 2, 3], 16), d([3], 17), d([3], 18)], { name: 'layerNorm f64', atol: 1e-12, rtol: 1e-10 });
    parity((x, w, b) => st.groupNorm(x, 2, w, b), [d([3, 4, 2], 19), d([4], 20), d([4], 21)], { name: 'groupNorm f64', atol: 1e-12, rtol: 1e-10 });
  });
});
