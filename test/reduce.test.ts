// Reductions, sorting and top-k: hand-checked values on every backend, float64 gradient checks,
// native-vs-js parity on permuted and sliced inputs, and the error cases.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose, backends, flat, gradcheck, parity, smooth, st } from './helpers.js';

for (const be of backends()) {
  describe(`reductions on ${be}`, () => {
    const T = (v: st.NestedArray, dtype?: st.DType) => st.tensor(v, { backend: be, dtype });
    /** A leaf requiring grad. */
    const P = (v: st.NestedArray) => T(v, 'float64').requiresGrad_();

    it('sums over dims lists, negative dims and keepdim; an empty dim list means all dims', () => {
      const x = T([[1, 2, 3], [4, 5, 6]]);
      assertClose(x.sum(-1), [6, 15]);
      assertClose(x.sum([0, 1]), [21]);
      assert.deepEqual(x.sum(0, true).shape, [1, 3]);
      assertClose(st.sum(x, []), [21]);
      assert.deepEqual(st.sum(x, []).shape, []);
    });

    it('computes prod over all elements or one dim; integers give int64', () => {
      const x = T([[1, 2, 3], [4, 0, 6]]);
      assertClose(x.prod(1), [6, 0]);
      assertClose(x.prod(-2), [4, 0, 18]);
      assert.deepEqual(x.prod(0, true).shape, [1, 3]);
      assertClose(T([[1, 2], [3, 4]]).prod(), [24]);
      const i = T([[1, 2, 3], [4, 5, 6]], 'int32').prod();
      assert.equal(i.dtype, 'int64');
      assert.equal(i.item(), 720);
      assert.equal(T([true, false, true], 'bool').prod().dtype, 'int64');
      assert.equal(T([true, false, true], 'bool').prod().item(), 0);
    });

    it('computes var and std with a correction, over several dims and with keepdim', () => {
      // [1,2,3,4]: mean 2.5, squared deviations sum to 5
      const x = T([[1, 2, 3, 4], [2, 2, 2, 2]]);
      assertClose(x.var(1), [5 / 3, 0]);
      assertClose(x.var(-1, { correction: 0 }), [1.25, 0]);
      assertClose(x.std(1, { correction: 0, keepdim: true }), [Math.sqrt(1.25), 0]);
      assert.deepEqual(x.std(1, { keepdim: true }).shape, [2, 1]);
      // [[1,2],[3,4]] over both dims: mean 2.5, Σ(x−m)² = 5
      assertClose(T([[1, 2], [3, 4]]).var([0, 1]), [5 / 3]);
      assertClose(T([[1, 2], [3, 4]]).var(), [5 / 3]);
      assertClose(T([[1, 2], [3, 4]]).var(0), [2, 2]);
      const i = T([1, 2, 3, 4], 'int64').var();
      assert.equal(i.dtype, 'float32');
      assertClose(i, [5 / 3]);
      // one element with correction 1: 0/0, as in PyTorch
      assert.ok(Number.isNaN(T([3]).var().item()));
    });

    it('computes amax and amin over any dims, keeping the dtype and propagating NaN', () => {
      const x = T([[[1, 8], [3, 4]], [[5, 2], [7, 0]]]);
      assertClose(x.amax([0, 2]), [8, 7]);
      assertClose(x.amin([-1, 0]), [1, 0]);
      assertClose(x.amax(), [8]);
      assert.deepEqual(x.amax([1, 2], true).shape, [2, 1, 1]);
      assertClose(x.amax([1, 2], true), [8, 7]);
      assertClose(x.max(), [8]);
      assertClose(x.min(), [0]);
      const i = T([[3, -1], [2, 9]], 'int64');
      assert.equal(i.amax(1).dtype, 'int64');
      assert.deepEqual(i.amax(1).toArray(), [3, 9]);
      assert.deepEqual(i.amin(0).toArray(), [2, -1]);
      const n = T([[1, NaN, 3], [5, 2, 2]]);
      const m = flat(n.amax(1));
      assert.ok(Number.isNaN(m[0]));
      assert.equal(m[1], 5);
      assert.ok(Number.isNaN(flat(n.amin(1))[0]));
      assert.ok(Number.isNaN(n.max().item()));
    });

    it('returns values and first indices from max/min along a dim, NaN winning', () => {
      const x = T([[1, 3, 3, 0], [2, 2, 2, 2], [-1, 5, -7, 4]]);
      const mx = x.max(1);
      assertClose(mx.values, [3, 2, 5]);
      assert.equal(mx.indices.dtype, 'int64');
      assert.deepEqual(mx.indices.toArray(), [1, 0, 1]);
      const mn = x.min(-1, true);
      assert.deepEqual(mn.values.shape, [3, 1]);
      assertClose(mn.values, [0, 2, -7]);
      assert.deepEqual(mn.indices.toArray(), [[3], [0], [2]]);
      assert.deepEqual(st.maxDim(x, 0).indices.toArray(), [1, 2, 0, 2]);
      const n = st.maxDim(T([[1, NaN, 3, NaN], [NaN, 2, 2, 2]]), 1);
      assert.ok(flat(n.values).every(Number.isNaN));
      assert.deepEqual(n.indices.toArray(), [1, 0]);
      const s = T(5).max(0);
      assert.deepEqual(s.values.shape, []);
      assert.equal(s.values.item(), 5);
      assert.equal(s.indices.item(), 0);
      const iv = T([[4, 9, 1]], 'int32').max(1);
      assert.equal(iv.values.dtype, 'int32');
      assert.deepEqual(iv.indices.toArray(), [1]);
    });

    it('computes argmax/argmin along a dim or over the flattened tensor', () => {
      const x = T([[1, 5, 2], [7, 0, 7]]);
      assert.deepEqual(x.argmax().toArray(), 3);
      assert.deepEqual(x.argmin().toArray(), 4);
      assert.deepEqual(x.argmax(null, true).shape, [1, 1]);
      // the kept dims are real (the backend's tensor is [1,1] too)
      assert.deepEqual(st.cat([x.argmax(null, true), x.argmin(null, true)], 1).permute(1, 0).toArray(), [[3], [4]]);
      assert.deepEqual(x.argmax(1).toArray(), [1, 0]);
      assert.deepEqual(x.argmin(-2).toArray(), [0, 1, 0]);
      assert.deepEqual(x.argmax(0, true).toArray(), [[1, 0, 1]]);
      assert.equal(x.argmax(1).dtype, 'int64');
      assert.deepEqual(T([3, 1, 3], 'int64').argmax().toArray(), 0);
      assert.deepEqual(T([false, true, true], 'bool').argmax().toArray(), 1);
      assert.deepEqual(T([1, NaN, 9]).argmax().toArray(), 1);
      // a transposed input flattens in logical order: [1,7,5,0,2,7] (storage order would give 4)
      assert.deepEqual(x.t().argmin().toArray(), 3);
    });

    it('computes logsumexp stably over one or several dims', () => {
      // log(e + e² + e³) = 3 + log(1 + e⁻¹ + e⁻²)
      const l3 = 3 + Math.log(1 + Math.exp(-1) + Math.exp(-2));
      assertClose(T([[1, 2, 3], [1000, 1000, 1000]]).logsumexp(1), [l3, 1000 + Math.log(3)]);
      assertClose(T([[1, 2], [3, 4]]).logsumexp([0, 1]), [4 + Math.log(1 + Math.exp(-1) + Math.exp(-2) + Math.exp(-3))]);
      assert.deepEqual(T([[1, 2], [3, 4]]).logsumexp(-1, true).shape, [2, 1]);
      assertClose(T([[-Infinity, -Infinity], [0, -Infinity]]).logsumexp(1), [-Infinity, 0]);
      assertClose(T([[1, Infinity]]).logsumexp(1), [Infinity]);
      assertClose(T([-1000, -1000], 'float64').logsumexp(0), [-1000 + Math.log(2)], { atol: 1e-9 });
      const i = T([0, 0], 'int64').logsumexp(0);
      assert.equal(i.dtype, 'float32');
      assertClose(i, [Math.log(2)]);
    });

    it('computes cumsum along a dim; integers and bools give int64', () => {
      const x = T([[1, 2, 3], [4, 5, 6]]);
      assertClose(x.cumsum(0), [1, 2, 3, 5, 7, 9]);
      assertClose(x.cumsum(-1), [1, 3, 6, 4, 9, 15]);
      const i = T([[1, 2, 3], [4, 5, 6]], 'int32').cumsum(1);
      assert.equal(i.dtype, 'int64');
      assert.deepEqual(i.toArray(), [[1, 3, 6], [4, 9, 15]]);
      assert.deepEqual(T([true, false, true], 'bool').cumsum(0).toArray(), [1, 1, 2]);
      assertClose(x.t().cumsum(1), [1, 5, 2, 7, 3, 9]);
    });

    it('reduces with all and any to bool', () => {
      const x = T([[1, 0, 3], [4, 5, 6]]);
      assert.deepEqual(x.all(1).toArray(), [false, true]);
      assert.deepEqual(x.any(0).toArray(), [true, true, true]);
      assert.deepEqual(x.all().toArray(), false);
      assert.deepEqual(x.all(-1, true).shape, [2, 1]);
      assert.deepEqual(T([[0, 0, NaN], [0, 0, 0]]).any(1).toArray(), [true, false]);
      assert.deepEqual(T([0, 2], 'int64').any().toArray(), true);
      assert.equal(T([true, true], 'bool').all().dtype, 'bool');
      const empty = st.zeros([2, 0], { backend: be });
      assert.deepEqual(empty.all(1).toArray(), [true, true]);
      assert.deepEqual(empty.any(1).toArray(), [false, false]);
    });

    it('computes p-norms', () => {
      const x = T([[3, -4], [0, 0]]);
      assertClose(x.norm(), [5]);
      assertClose(x.norm(2, 1), [5, 0]);
      assertClose(x.norm(1, -1), [7, 0]);
      assertClose(x.norm(Infinity, 1), [4, 0]);
      assertClose(x.norm(-Infinity, 1), [3, 0]);
      assertClose(x.norm(3), [Math.cbrt(91)]);
      assertClose(x.norm(0), [2]);
      assertClose(x.norm(0.5, 1), [(Math.sqrt(3) + 2) ** 2, 0]);
      assert.deepEqual(x.norm(2, 0, true).shape, [1, 2]);
      assertClose(x.norm(2, 0), [3, 4]);
      assertClose(T([3, 4], 'int64').norm(), [5]);
    });

    it('sorts stably along a dim, NaN last ascending and first descending', () => {
      const s = T([3, 1, 3, 1, 2]).sort();
      assertClose(s.values, [1, 1, 2, 3, 3]);
      assert.deepEqual(s.indices.toArray(), [1, 3, 4, 0, 2]);
      const d = T([3, 1, 3, 1, 2]).sort(0, true);
      assertClose(d.values, [3, 3, 2, 1, 1]);
      assert.deepEqual(d.indices.toArray(), [0, 2, 4, 1, 3]);
      const m = T([[5, 1], [2, 8], [3, 0]]).sort(0);
      assertClose(m.values, [2, 0, 3, 1, 5, 8]);
      assert.deepEqual(m.indices.toArray(), [[1, 2], [2, 0], [0, 1]]);
      const n = T([3, NaN, 1, 2]);
      assertClose(n.sort().values, [1, 2, 3, NaN]);
      assert.deepEqual(n.sort().indices.toArray(), [2, 3, 0, 1]);
      assertClose(n.sort(-1, true).values, [NaN, 3, 2, 1]);
      const i = T([[4, -2, 7]], 'int64').sort(1, true);
      assert.equal(i.values.dtype, 'int64');
      assert.deepEqual(i.values.toArray(), [[7, 4, -2]]);
      assert.deepEqual(i.indices.toArray(), [[2, 0, 1]]);
    });

    it('selects the top k along a dim', () => {
      const x = T([[1, 9, 4, 7], [6, 2, 8, 0]]);
      const t = x.topk(2);
      assert.deepEqual(t.values.shape, [2, 2]);
      assertClose(t.values, [9, 7, 8, 6]);
      assert.deepEqual(t.indices.toArray(), [[1, 3], [2, 0]]);
      const s = x.topk(3, -1, false);
      assertClose(s.values, [1, 4, 7, 0, 2, 6]);
      assert.deepEqual(s.indices.toArray(), [[0, 2, 3], [3, 1, 0]]);
      const c = x.topk(1, 0);
      assert.deepEqual(c.values.shape, [1, 4]);
      assertClose(c.values, [6, 9, 8, 7]);
      assert.deepEqual(c.indices.toArray(), [[1, 0, 1, 0]]);
      // unsorted: the same set, in some order
      const u = x.topk(3, 1, true, false);
      const rows = (u.values.toArray() as number[][]).map((r) => r.slice().sort((a, b) => a - b));
      assert.deepEqual(rows, [[4, 7, 9], [2, 6, 8]]);
      assert.deepEqual(x.topk(0).values.shape, [2, 0]);
      assertClose(T([3, NaN, 1]).topk(2).values, [NaN, 3]);
      assert.deepEqual(T([false, true, false], 'bool').topk(1).values.toArray(), [true]);
      assert.deepEqual(T([5, 2, 9], 'int32').topk(2).values.toArray(), [9, 5]);
    });

    it('sends gradients where PyTorch does (zeros in prod, ties in amax, indices of max/topk/sort)', () => {
      const grad = (x: st.Tensor, y: st.Tensor, g?: number[]) => {
        y.backward(g ? st.tensor(g, { backend: be, dtype: 'float64', shape: y.shape.slice() }) : undefined);
        return flat(x.grad!);
      };
      // d prod/dx_i is the product of the others: one zero gets it, two zeros give 0 everywhere
      let x = P([[2, 0, 3], [1, 2, 4]]);
      assert.deepEqual(grad(x, x.prod(1).sum()), [0, 6, 0, 8, 4, 2]);
      x = P([2, 0, 3]);
      assert.deepEqual(grad(x, x.prod()), [0, 6, 0]);
      x = P([0, 2, 0]);
      assert.deepEqual(grad(x, x.prod()), [0, 0, 0]);
      // amax splits among ties; max along a dim gives all to the (first) index
      x = P([[1, 3, 3], [2, 0, 2]]);
      assert.deepEqual(grad(x, x.amax(1).sum()), [0, 0.5, 0.5, 0.5, 0, 0.5]);
      x = P([[1, 3], [3, 0]]);
      assert.deepEqual(grad(x, x.amax()), [0, 0.5, 0.5, 0]);
      x = P([[1, 3, 3], [2, 0, 2]]);
      assert.deepEqual(grad(x, x.max(1).values, [10, 20]), [0, 10, 0, 20, 0, 0]);
      x = P([[1, 3, 3], [2, 0, 2]]);
      assert.deepEqual(grad(x, x.min(1, true).values, [10, 20]), [10, 0, 0, 0, 20, 0]);
      // sort and topk scatter the gradient back to where each value came from
      x = P([3, 1, 2]);
      assert.deepEqual(grad(x, x.sort().values, [10, 20, 30]), [30, 10, 20]);
      x = P([3, 1, 2]);
      assert.deepEqual(grad(x, x.topk(2).values, [10, 20]), [10, 0, 20]);
      // the p=2 norm (and std) at zero: gradient 0, not NaN
      x = P([0, 0, 0]);
      assert.deepEqual(grad(x, x.norm()), [0, 0, 0]);
      x = P([[0, 0], [3, 4]]);
      assertClose(grad(x, x.norm(2, 1).sum()), [0, 0, 0.6, 0.8]);
      x = P([2, 2, 2]);
      assert.deepEqual(grad(x, x.std()), [0, 0, 0]);
      // cumsum: dx_i = Σ_{j >= i} g_j
      x = P([1, 2, 3]);
      assert.deepEqual(grad(x, x.cumsum(0), [1, 10, 100]), [111, 110, 100]);
      // var of [1,2,3,4]: 2(x − 2.5)/3
      x = P([1, 2, 3, 4]);
      assertClose(grad(x, x.var()), [-1, -1 / 3, 1 / 3, 1]);
    });

    it('has exact gradients (float64 finite differences)', () => {
      const x = () => smooth([3, 4], 1, be);
      const x3 = () => smooth([2, 3, 4], 2, be);
      const cases: [string, (...t: st.Tensor[]) => st.Tensor | st.Tensor[], st.Tensor[]][] = [
        ['prod all', (a) => a.prod(), [x()]],
        ['prod dim', (a) => a.prod(1), [x()]],
        ['prod keepdim', (a) => a.prod(-3, true), [x3()]],
        ['prod one zero', (a) => a.prod(1), [st.tensor([[0.5, 0, 2], [1.5, -0.7, 0.3]], { backend: be, dtype: 'float64' })]],
        ['var', (a) => a.var(1), [x()]],
        ['var dims', (a) => a.var([0, 2], { correction: 0, keepdim: true }), [x3()]],
        ['var all', (a) => a.var(), [x()]],
        ['std', (a) => a.std(-1), [x3()]],
        ['std dims', (a) => a.std([0, 1], { correction: 0 }), [x3()]],
        ['amax', (a) => a.amax(1), [x()]],
        ['amax dims', (a) => a.amax([0, 2], true), [x3()]],
        ['amin', (a) => a.amin(), [x()]],
        ['max dim', (a) => a.max(1).values, [x()]],
        ['max keepdim', (a) => a.max(0, true).values, [x3()]],
        ['min dim', (a) => a.min(-1).values, [x3()]],
        ['logsumexp', (a) => a.logsumexp(1), [x()]],
        ['logsumexp dims', (a) => a.logsumexp([0, 2], true), [x3()]],
        ['cumsum', (a) => a.cumsum(1), [x()]],
        ['cumsum dim0', (a) => a.cumsum(0), [x3()]],
        ['norm 2', (a) => a.norm(), [x()]],
        ['norm 2 dim', (a) => a.norm(2, 1), [x()]],
        ['norm 1', (a) => a.norm(1, [0, 2]), [x3()]],
        ['norm inf', (a) => a.norm(Infinity, 1), [x()]],
        ['norm -inf', (a) => a.norm(-Infinity, 1, true), [x()]],
        ['norm 3', (a) => a.norm(3, 0), [x()]],
        ['norm 1.5', (a) => a.norm(1.5, 1), [x()]],
        ['norm 0.5', (a) => a.norm(0.5), [x()]],
        ['topk', (a) => a.topk(2).values, [x()]],
        ['topk smallest', (a) => a.topk(2, 1, false).values, [x3()]],
        ['topk unsorted', (a) => a.topk(3, 0, true, false).values, [x()]],
        ['sort', (a) => a.sort().values, [x()]],
        ['sort descending', (a) => a.sort(1, true).values, [x3()]],
        ['sum empty list', (a) => st.sum(a, []), [x()]],
      ];
      for (const [name, f, inputs] of cases) gradcheck(f, inputs, { name: `${be} ${name}` });
    });

    it('throws StrataErrors naming the op and shape', () => {
      const empty = st.zeros([2, 0], { backend: be });
      assert.throws(() => empty.max(1), /max: cannot reduce over dimension 1 of size 0 \(input shape \[2,0\]\)/);
      assert.throws(() => empty.min(-1), /min: .*\[2,0\]/);
      assert.throws(() => empty.amax(1), /amax: .*\[2,0\]/);
      assert.throws(() => empty.amin(), /amin: .*\[2,0\]/);
      assert.throws(() => empty.max(), /amax: .*\[2,0\]/);
      assert.throws(() => empty.argmax(1), /argmax: .*\[2,0\]/);
      assert.throws(() => empty.argmin(), /argmin: .*\[2,0\]/);
      assert.throws(() => empty.norm(Infinity), /norm: .*\[2,0\]/);
      assert.throws(() => empty.argmax(1), st.StrataError);
      // reducing a non-empty dim of an empty tensor is fine
      assert.deepEqual(st.zeros([0, 3], { backend: be }).amax(1).shape, [0]);
      const x = T([[1, 2, 3], [4, 5, 6]]);
      assert.throws(() => x.topk(4), /topk: k = 4 is out of range for dimension 1 of size 3 \(input shape \[2,3\]\)/);
      assert.throws(() => x.topk(-1), /topk: k = -1 is out of range/);
      assert.throws(() => x.topk(1.5), /topk: k = 1.5 is out of range/);
      assert.throws(() => x.topk(1, 2), /topk: dimension 2 is out of range for a tensor of 2 dimensions/);
      assert.throws(() => x.sort(-3), /sort: dimension -3 is out of range/);
      assert.throws(() => x.max(2), /max: dimension 2 is out of range/);
      assert.throws(() => x.argmax(5), /argmax: dimension 5 is out of range/);
      assert.throws(() => x.cumsum(2), /cumsum: dimension 2 is out of range/);
      assert.throws(() => x.sum([0, 0]), /sum: dimension list \[0,0\] repeats a dimension/);
      assert.throws(() => x.var(0, { correction: -1 }), /var: expected correction to be an integer >= 0, got -1/);
      assert.throws(() => x.norm(NaN), /norm: expected p to be a number/);
      assert.throws(() => st.logsumexp(x, undefined as unknown as number), /logsumexp: expected dim/);
    });
  });
}

describe('reduction parity (native vs js)', () => {
  // [4,3,5] permuted to [5,4,3] and sliced along dim 1 to [5,3,3]: non-contiguous, with an offset
  const view = (x: st.Tensor) => x.permute(2, 0, 1).slice(1, 1, 4);

  it('matches on permuted and sliced float32 inputs, forward and gradients', () => {
    const a = st.randn([4, 3, 5], { backend: 'js' });
    const ops: [string, (x: st.Tensor) => st.Tensor | st.Tensor[]][] = [
      ['sum', (x) => x.sum([0, 2])], ['mean', (x) => x.mean(1, true)],
      ['prod', (x) => x.prod(1)], ['prod all', (x) => x.mul(0.5).add(1).prod()],
      ['var', (x) => x.var([0, 2])], ['var keepdim', (x) => x.var(-1, { correction: 0, keepdim: true })], ['std', (x) => x.std(0)],
      ['amax', (x) => x.amax([1, 2])], ['amin', (x) => x.amin(0, true)], ['max all', (x) => x.max()],
      ['max dim', (x) => { const r = x.max(1); return [r.values, r.indices.float()]; }],
      ['min dim', (x) => { const r = x.min(-1, true); return [r.values, r.indices.float()]; }],
      ['argmax', (x) => st.stack([x.argmax(2), x.argmin(2)]).float()], ['argmax flat', (x) => st.stack([x.argmax(), x.argmin()]).float()],
      ['logsumexp', (x) => x.logsumexp([0, 1])], ['cumsum', (x) => x.cumsum(1)],
      ['all any', (x) => st.stack([x.gt(0).all(2), x.gt(0).any(2), x.all(2)]).float()],
      ['norm 2', (x) => x.norm(2, 2)], ['norm 1', (x) => x.norm(1)], ['norm inf', (x) => x.norm(Infinity, [0, 1])], ['norm 3', (x) => x.norm(3, 0)],
      ['topk', (x) => { const r = x.topk(2, 0); return [r.values, r.indices.float()]; }],
      ['topk smallest', (x) => { const r = x.topk(2, -1, false); return [r.values, r.indices.float()]; }],
      ['sort', (x) => { const r = x.sort(1); return [r.values, r.indices.float()]; }],
      ['sort descending', (x) => { const r = x.sort(0, true); return [r.values, r.indices.float()]; }],
    ];
    for (const [name, f] of ops) parity((x) => f(view(x)), [a], { name, atol: 1e-5, rtol: 1e-4 });
  });

  it('matches on float64 and on integer and bool inputs (ties included)', () => {
    const d = st.randn([4, 3, 5], { backend: 'js', dtype: 'float64' });
    parity((x) => view(x).var(1), [d], { name: 'float64 var', atol: 1e-12, rtol: 1e-10 });
    parity((x) => view(x).logsumexp(2), [d], { name: 'float64 logsumexp', atol: 1e-12, rtol: 1e-10 });
    parity((x) => view(x).norm(2.5, 0), [d], { name: 'float64 norm', atol: 1e-12, rtol: 1e-10 });
    const i = st.randint(-3, 4, [4, 3, 5], { backend: 'js' });
    parity((x) => view(x).sum(1), [i], { name: 'int sum' });
    parity((x) => view(x).prod(2), [i], { name: 'int prod' });
    parity((x) => view(x).amax([0, 2]), [i], { name: 'int amax' });
    parity((x) => view(x).cumsum(2), [i], { name: 'int cumsum' });
    parity((x) => { const r = view(x).max(2); return [r.values, r.indices]; }, [i], { name: 'int max (first index on ties)' });
    parity((x) => [view(x).argmax(), view(x).argmin(0)], [i], { name: 'int argmax' });
    parity((x) => { const r = view(x).sort(2); return [r.values, r.indices]; }, [i], { name: 'int sort (stable)' });
    parity((x) => { const r = view(x).sort(0, true); return [r.values, r.indices]; }, [i], { name: 'int sort descending (stable)' });
    parity((x) => view(x).var(1), [i], { name: 'int var' });
    parity((x) => [view(x).gt(0).all(1), view(x).gt(0).any(), view(x).gt(0).cumsum(0)], [i], { name: 'bool all/any/cumsum' });
  });

  it('matches on NaN and infinities', () => {
    const x = st.tensor([[1, NaN, 3, -Infinity], [Infinity, 2, NaN, 0], [-Infinity, -Infinity, -Infinity, -Infinity]], { backend: 'js' });
    parity((t) => [t.amax(1), t.amin(1)], [x], { name: 'amax nan', grad: false });
    parity((t) => { const r = t.max(1); return [r.values, r.indices]; }, [x], { name: 'max nan', grad: false });
    parity((t) => [t.argmax(1), t.argmin(0)], [x], { name: 'argmax nan' });
    parity((t) => t.logsumexp(1), [x], { name: 'logsumexp inf', grad: false });
    parity((t) => { const r = t.sort(1); return [r.values, r.indices]; }, [x], { name: 'sort nan', grad: false });
    parity((t) => { const r = t.sort(1, true); return [r.values, r.indices]; }, [x], { name: 'sort nan descending', grad: false });
  });
});
