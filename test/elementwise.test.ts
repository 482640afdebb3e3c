// Elementwise ops: hand-checked values on every backend, float64 gradient checks, native-vs-js parity.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose, backends, flat, gradcheck, parity, smooth, st } from './helpers.js';

for (const be of backends()) {
  describe(`elementwise on ${be}`, () => {
    const T = (v: st.NestedArray, dtype?: st.DType) => st.tensor(v, { backend: be, dtype });

    it('adds, subtracts, multiplies and divides with broadcasting and scalars', () => {
      const a = T([[1, 2, 3], [4, 5, 6]]);
      const b = T([10, 20, 30]);
      assertClose(a.add(b), [11, 22, 33, 14, 25, 36]);
      assertClose(a.sub(b, 2), [-19, -38, -57, -16, -35, -54]);
      assertClose(a.mul(2), [2, 4, 6, 8, 10, 12]);
      assertClose(st.sub(1, a), [0, -1, -2, -3, -4, -5]);
      assertClose(a.div(T([[2], [4]])), [0.5, 1, 1.5, 1, 1.25, 1.5]);
      assert.deepEqual(a.add(T([[1], [2]])).shape, [2, 3]);
    });

    it('follows PyTorch type promotion', () => {
      const i = T([1, 2, 3], 'int64');
      assert.equal(i.add(1).dtype, 'int64');
      assert.equal(i.add(1.5).dtype, 'float32');
      assert.equal(i.div(2).dtype, 'float32');
      assertClose(i.div(2), [0.5, 1, 1.5]);
      assert.equal(i.add(T([1, 1, 1], 'float64')).dtype, 'float64');
      assert.equal(T([1, 2], 'int32').add(T([1, 2], 'int64')).dtype, 'int64');
      assert.equal(i.gt(1).dtype, 'bool');
      assert.deepEqual(i.gt(1).toArray(), [false, true, true]);
      assert.deepEqual(st.remainder(T([-3, 3], 'int64'), 2).toArray(), [1, 1]);
      assert.deepEqual(st.floorDivide(T([-3, 3], 'int64'), 2).toArray(), [-2, 1]);
    });

    it('computes math functions', () => {
      const x = T([0.5, 1, 2]);
      assertClose(x.exp(), [Math.exp(0.5), Math.E, Math.exp(2)]);
      assertClose(x.log(), [Math.log(0.5), 0, Math.log(2)]);
      assertClose(x.sqrt(), [Math.sqrt(0.5), 1, Math.SQRT2]);
      assertClose(x.pow(2), [0.25, 1, 4]);
      assertClose(st.pow(2, x), [Math.SQRT2, 2, 4]);
      assertClose(T([-1.5, 0, 2]).abs(), [1.5, 0, 2]);
      assertClose(T([-0.5, 0.5, 1.5, 2.5]).round(), [-0, 0, 2, 2]);
      assertClose(T([0.3, -0.3]).erf(), [0.3286267594591112, -0.3286267594591112], { atol: 1e-6 });
      assertClose(T([-2, 2]).clamp(-1, 1), [-1, 1]);
      assertClose(T([-2, 2]).clamp(null, 1), [-2, 1]);
    });

    it('computes activations', () => {
      const x = T([-2, -0.5, 0, 0.5, 2]);
      assertClose(x.relu(), [0, 0, 0, 0.5, 2]);
      assertClose(x.sigmoid(), [-2, -0.5, 0, 0.5, 2].map((v) => 1 / (1 + Math.exp(-v))));
      assertClose(x.tanh(), [-2, -0.5, 0, 0.5, 2].map(Math.tanh));
      assertClose(x.leakyRelu(0.1), [-0.2, -0.05, 0, 0.5, 2]);
      assertClose(x.elu(), [Math.expm1(-2), Math.expm1(-0.5), 0, 0.5, 2]);
      // gelu(x) = x·Φ(x); Φ(0.5) = 0.6914624612740131, Φ(2) = 0.9772498680518208
      assertClose(x.gelu(), [-2 * (1 - 0.9772498680518208), -0.5 * (1 - 0.6914624612740131), 0, 0.5 * 0.6914624612740131, 2 * 0.9772498680518208], { atol: 1e-6 });
      assertClose(x.silu(), [-2, -0.5, 0, 0.5, 2].map((v) => v / (1 + Math.exp(-v))));
      assertClose(x.softplus(), [-2, -0.5, 0, 0.5, 2].map((v) => Math.log1p(Math.exp(v))));
      // NOTE: relu passes NaN through, as PyTorch does
      assert.ok(Number.isNaN(T([NaN]).relu().item()));
    });

    it('selects with where and maskedFill', () => {
      const c = T([true, false, true]);
      assertClose(st.where(c, T([1, 2, 3]), 0), [1, 0, 3]);
      assertClose(T([1, 2, 3]).maskedFill(c, -1), [-1, 2, -1]);
      assert.throws(() => st.where(T([1, 0, 1]), 1, 0), /where: condition must be a bool tensor/);
    });

    it('has exact gradients (float64 finite differences)', () => {
      const x = () => smooth([2, 3], 1, be);
      const pos = () => smooth([2, 3], 2, be, { positive: true });
      const cases: [string, (...t: st.Tensor[]) => st.Tensor, st.Tensor[]][] = [
        ['add', (a, b) => a.add(b, 0.5), [x(), smooth([3], 3, be)]],
        ['sub', (a, b) => a.sub(b), [x(), smooth([2, 1], 4, be)]],
        ['mul', (a, b) => a.mul(b), [x(), smooth([1, 3], 5, be)]],
        ['div', (a, b) => a.div(b), [x(), pos()]],
        ['pow', (a, b) => a.pow(b), [pos(), x()]],
        ['powScalar', (a) => a.pow(3), [x()]],
        ['rpow', (a) => st.pow(2, a), [x()]],
        ['maximum', (a, b) => st.maximum(a, b), [x(), smooth([2, 3], 7, be)]],
        ['minimum', (a, b) => st.minimum(a, b), [x(), smooth([2, 3], 7, be)]],
        ['atan2', (a, b) => st.atan2(a, b), [x(), pos()]],
        ['neg', (a) => a.neg(), [x()]],
        ['exp', (a) => a.exp(), [x()]],
        ['log', (a) => a.log(), [pos()]],
        ['log1p', (a) => a.log1p(), [pos()]],
        ['expm1', (a) => a.expm1(), [x()]],
        ['sqrt', (a) => a.sqrt(), [pos()]],
        ['rsqrt', (a) => a.rsqrt(), [pos()]],
        ['abs', (a) => a.abs(), [x()]],
        ['sin', (a) => a.sin(), [x()]],
        ['cos', (a) => a.cos(), [x()]],
        ['erf', (a) => a.erf(), [x()]],
        ['reciprocal', (a) => a.reciprocal(), [pos()]],
        ['square', (a) => a.square(), [x()]],
        ['tanh', (a) => a.tanh(), [x()]],
        ['sigmoid', (a) => a.sigmoid(), [x()]],
        ['relu', (a) => a.relu(), [x()]],
        ['leakyRelu', (a) => a.leakyRelu(0.2), [x()]],
        ['elu', (a) => a.elu(1.3), [x()]],
        ['gelu', (a) => a.gelu(), [x()]],
        ['geluTanh', (a) => a.gelu('tanh'), [x()]],
        ['silu', (a) => a.silu(), [x()]],
        ['softplus', (a) => a.softplus(2, 1), [x()]],
        ['clamp', (a) => a.clamp(-0.5, 0.6), [x()]],
        ['where', (a, b) => st.where(a.gt(0), a, b), [x(), smooth([3], 8, be)]],
        ['maskedFill', (a) => a.maskedFill(a.lt(0), 2), [x()]],
      ];
      for (const [name, f, inputs] of cases) gradcheck(f, inputs, { name: `${be} ${name}` });
    });
  });
}

describe('elementwise parity (native vs js)', () => {
  it('matches on broadcast, permuted and sliced float32 inputs', () => {
    const a = st.randn([4, 3, 5], { backend: 'js' });
    const b = st.randn([4, 1], { backend: 'js' });
    const ops: [string, (x: st.Tensor, y: st.Tensor) => st.Tensor][] = [
      ['add', (x, y) => x.add(y)], ['sub', (x, y) => x.sub(y)], ['mul', (x, y) => x.mul(y)], ['div', (x, y) => x.div(y.abs().add(0.5))],
      ['maximum', (x, y) => st.maximum(x, y)], ['pow', (x, y) => x.abs().add(0.1).pow(y)],
      ['exp', (x) => x.exp()], ['log', (x) => x.abs().add(0.1).log()], ['tanh', (x) => x.tanh()], ['sigmoid', (x) => x.sigmoid()],
      ['relu', (x) => x.relu()], ['gelu', (x) => x.gelu()], ['geluTanh', (x) => x.gelu('tanh')], ['silu', (x) => x.silu()],
      ['elu', (x) => x.elu()], ['leakyRelu', (x) => x.leakyRelu()], ['softplus', (x) => x.softplus()], ['erf', (x) => x.erf()],
      ['sqrt', (x) => x.abs().sqrt()], ['clamp', (x) => x.clamp(-0.5, 0.5)], ['where', (x, y) => st.where(x.gt(y), x, y)],
      ['comparisons', (x, y) => st.stack([x.gt(y), x.le(y), x.eq(x)]).float()],
    ];
    for (const [name, f] of ops) {
      parity((x, y) => f(x.permute(2, 0, 1).slice(0, 1, 4), y), [a, b], { name, atol: 1e-5, rtol: 1e-4 });
    }
  });

  it('matches on integer and bool dtypes', () => {
    const i = st.randint(-5, 5, [3, 4], { backend: 'js' });
    const j = st.randint(1, 4, [4], { backend: 'js', dtype: 'int32' });
    parity((x, y) => x.add(y), [i, j], { name: 'int add' });
    parity((x, y) => x.mul(y), [i, j], { name: 'int mul' });
    parity((x, y) => st.remainder(x, y), [i, j], { name: 'int remainder' });
    parity((x, y) => st.floorDivide(x, y), [i, j], { name: 'int floorDivide' });
    parity((x, y) => x.div(y), [i, j], { name: 'int div' });
    parity((x) => st.logicalAnd(x.gt(0), x.lt(3)), [i], { name: 'logical' });
  });
});
