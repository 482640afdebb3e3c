// Loss functions: values from their formulas on every backend (cross-entropy with weights, ignore index and
// label smoothing, NLL, regression losses, BCE, KL), float64 gradient checks, native-vs-js parity, errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose, backends, flat, gradcheck, parity, smooth, st } from './helpers.js';

type Red = 'none' | 'mean' | 'sum';

/** Asserts that f throws a StrataError whose message matches re. */
function throwsStrata(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: unknown) => e instanceof st.StrataError && re.test(e.message));
}

/**
 * PyTorch's cross-entropy with class indices, from its formula in plain numbers: rows are the
 * class-score vectors (one per sample and position), targets their classes.
 */
function ceRef(rows: number[][], targets: number[], o: { w?: number[]; ignore?: number; eps?: number; reduction?: Red } = {}): number | number[] {
  const c = rows[0].length, w = o.w ?? new Array<number>(c).fill(1), ignore = o.ignore ?? -100, eps = o.eps ?? 0;
  let totalW = 0;
  const nll: number[] = [], sm: number[] = [];
  rows.forEach((z, i) => {
    const t = targets[i];
    if (t === ignore) {
      nll.push(0);
      sm.push(0);
      return;
    }
    const mx = Math.max(...z);
    const lse = mx + Math.log(z.reduce((a, v) => a + Math.exp(v - mx), 0));
    const logp = z.map((v) => v - lse);
    nll.push(-w[t] * logp[t]);
    sm.push(-logp.reduce((a, v, k) => a + w[k] * v, 0));
    totalW += w[t];
  });
  const mix = (a: number, b: number) => (1 - eps) * a + (eps / c) * b;
  const total = (v: number[]) => v.reduce((a, b) => a + b, 0);
  switch (o.reduction ?? 'mean') {
    case 'none': return nll.map((v, i) => mix(v, sm[i]));
    case 'sum': return mix(total(nll), total(sm));
    case 'mean': return mix(total(nll) / totalW, total(sm) / totalW);
  }
}

const LOGITS = [[1, 2, 3], [1, 0, 0], [-1, 0.5, 2], [0.2, 0.2, -0.3]];

for (const be of backends()) {
  describe(`losses on ${be}`, () => {
    const T = (v: st.NestedArray, dtype: st.DType = 'float64') => st.tensor(v, { backend: be, dtype });
    const I = (v: st.NestedArray) => st.tensor(v, { backend: be, dtype: 'int64' });
    const num = (v: number | number[]) => (Array.isArray(v) ? v : [v]);

    it('computes cross-entropy of class indices by hand', () => {
      // row 0: log(e + e² + e³) − 3; row 1: log(e + 2) − 1
      const l0 = Math.log(Math.E + Math.E ** 2 + Math.E ** 3) - 3, l1 = Math.log(Math.E + 2) - 1;
      const x = T([[1, 2, 3], [1, 0, 0]]), t = I([2, 0]);
      assertClose(st.crossEntropy(x, t), [(l0 + l1) / 2], { atol: 1e-12 });
      assertClose(st.crossEntropy(x, t, { reduction: 'sum' }), [l0 + l1], { atol: 1e-12 });
      assertClose(st.crossEntropy(x, t, { reduction: 'none' }), [l0, l1], { atol: 1e-12 });
      assert.deepEqual(st.crossEntropy(x, t).shape, []);
      // class weights: the mean divides by the weights of the targets, w[2] + w[0]
      assertClose(st.crossEntropy(x, t, { weight: T([1, 2, 0.5]) }), [(0.5 * l0 + 1 * l1) / 1.5], { atol: 1e-12 });
      // ignoreIndex: ignored rows add 0 and do not count in the mean
      assertClose(st.crossEntropy(x, I([2, -100])), [l0], { atol: 1e-12 });
      assertClose(st.crossEntropy(x, I([1, 0]), { ignoreIndex: 1, reduction: 'none' }), [0, l1], { atol: 1e-12 });
      // float32 logits
      assertClose(st.crossEntropy(T([[1, 2, 3], [1, 0, 0]], 'float32'), t), [(l0 + l1) / 2], { atol: 1e-6 });
      // 1-D logits [C] with a 0-d target
      assertClose(st.crossEntropy(T([1, 2, 3]), I(2)), [l0], { atol: 1e-12 });
    });

    it('applies label smoothing with weights and ignoreIndex as PyTorch does', () => {
      const x = T(LOGITS), targets = [2, -100, 0, 1], t = I(targets);
      const w = [0.3, 1, 2];
      for (const reduction of ['mean', 'sum', 'none'] as Red[]) {
        for (const weight of [undefined, w]) {
          const got = st.crossEntropy(x, t, { labelSmoothing: 0.2, reduction, weight: weight ? T(weight) : null });
          assertClose(got, num(ceRef(LOGITS, targets, { eps: 0.2, reduction, w: weight })), { atol: 1e-12 }, `${reduction} weight=${!!weight}`);
        }
      }
      // one literal check of the formula: logits [0, 0] (log p = −log 2 each), target 0, ε = 0.5:
      // (1 − ε)·log 2 + ε/2·(2·log 2) = log 2
      assertClose(st.crossEntropy(T([[0, 0]]), I([0]), { labelSmoothing: 0.5 }), [Math.LN2], { atol: 1e-12 });
      // ignoreIndex may name a real class
      assertClose(st.crossEntropy(x, I([2, 1, 0, 1]), { ignoreIndex: 1, labelSmoothing: 0.1 }), num(ceRef(LOGITS, [2, 1, 0, 1], { ignore: 1, eps: 0.1 })), { atol: 1e-12 });
      // only ignored targets: the mean is 0/0, NaN as in PyTorch
      assert.ok(Number.isNaN(st.crossEntropy(x, I([-100, -100, -100, -100])).item()));
      assert.ok(Number.isNaN(st.crossEntropy(x, I([-100, -100, -100, -100]), { labelSmoothing: 0.1 }).item()));
      assert.equal(st.crossEntropy(x, I([-100, -100, -100, -100]), { reduction: 'sum' }).item(), 0);
    });

    it('takes [N, C, d…] logits with [N, d…] targets', () => {
      // logits [2, 3, 2]: position (n, j) has scores x[n, :, j]
      const x = T([[[1, -1], [2, 0], [3, 0.5]], [[0, 0.3], [1, 0.2], [-1, 2]]]);
      const rows = [[1, 2, 3], [-1, 0, 0.5], [0, 1, -1], [0.3, 0.2, 2]];
      const targets = [2, 0, -100, 1];
      const t = I([[2, 0], [-100, 1]]);
      const none = st.crossEntropy(x, t, { reduction: 'none', labelSmoothing: 0.1 });
      assert.deepEqual(none.shape, [2, 2]);
      assertClose(none, num(ceRef(rows, targets, { reduction: 'none', eps: 0.1 })), { atol: 1e-12 });
      assertClose(st.crossEntropy(x, t, { weight: T([1, 2, 3]) }), num(ceRef(rows, targets, { w: [1, 2, 3] })), { atol: 1e-12 });
      assertClose(st.nllLoss(x, t, { reduction: 'sum' }), [-(3 + -1 + 0.2)], { atol: 1e-12 });
    });

    it('computes cross-entropy of class probabilities by hand', () => {
      const z = [[1, 2, 3], [1, 0, 0]];
      const q = [[0.2, 0.3, 0.5], [1, 0, 0]];
      const logp = z.map((r) => {
        const lse = Math.log(r.reduce((a, v) => a + Math.exp(v), 0));
        return r.map((v) => v - lse);
      });
      const ref = (eps: number, w = [1, 1, 1]) => logp.map((lp, i) => -lp.reduce((a, v, k) => a + w[k] * ((1 - eps) * q[i][k] + eps / 3) * v, 0));
      const x = T(z), t = T(q);
      assertClose(st.crossEntropy(x, t, { reduction: 'none' }), ref(0), { atol: 1e-12 });
      const r = ref(0.3, [2, 1, 0.5]);
      const opts = { labelSmoothing: 0.3, weight: T([2, 1, 0.5]) };
      assertClose(st.crossEntropy(x, t, opts), [(r[0] + r[1]) / 2], { atol: 1e-12 });
      assertClose(st.crossEntropy(x, t, { ...opts, reduction: 'sum' }), [r[0] + r[1]], { atol: 1e-12 });
    });

    it('computes NLL by hand', () => {
      const lp = T([[-1, -2, -3], [-0.5, -1.5, -2.5]]);
      assertClose(st.nllLoss(lp, I([1, 2])), [(2 + 2.5) / 2]);
      assertClose(st.nllLoss(lp, I([1, 2]), { weight: T([1, 2, 3]) }), [(2 * 2 + 3 * 2.5) / 5]);
      assertClose(st.nllLoss(lp, I([1, 2]), { reduction: 'none', weight: T([1, 2, 3]) }), [4, 7.5]);
      assertClose(st.nllLoss(lp, I([1, 5]), { ignoreIndex: 5, reduction: 'sum' }), [2]);
      // int32 targets are accepted
      assertClose(st.nllLoss(lp, st.tensor([0, 0], { backend: be, dtype: 'int32' })), [0.75]);
    });

    it('computes regression losses by hand', () => {
      const x = T([1, 2, 3, -1]), y = T([1.5, 0, 3, 2]);
      // d = [-0.5, 2, 0, -3]
      assertClose(st.mseLoss(x, y), [(0.25 + 4 + 0 + 9) / 4]);
      assertClose(st.mseLoss(x, y, 'none'), [0.25, 4, 0, 9]);
      assertClose(st.l1Loss(x, y, 'sum'), [5.5]);
      assertClose(st.l1Loss(x, y), [5.5 / 4]);
      // beta 1: 0.5·d² inside |d| < 1, |d| − 0.5 outside
      assertClose(st.smoothL1Loss(x, y, 'none'), [0.125, 1.5, 0, 2.5]);
      // beta 2.5: 0.5·d²/2.5 for |d| < 2.5, else |d| − 1.25
      assertClose(st.smoothL1Loss(x, y, 'none', 2.5), [0.05, 0.8, 0, 1.75]);
      assertClose(st.smoothL1Loss(x, y, 'sum', 0), [5.5]);
      assertClose(st.mseLoss(T([1, 2], 'float32'), I([0, 4])), [(1 + 4) / 2]);
    });

    it('computes binary cross-entropy with logits stably', () => {
      const x = T([0, 2, -3]), t = T([1, 0, 0.5]);
      // (1 − t)·x + log(1 + e^(−x))
      const ref = [Math.LN2, 2 + Math.log1p(Math.exp(-2)), -1.5 + Math.log1p(Math.exp(3))];
      assertClose(st.binaryCrossEntropyWithLogits(x, t, { reduction: 'none' }), ref, { atol: 1e-12 });
      // posWeight p scales the log term by 1 + (p − 1)·t; weight scales the whole term
      const pw = [3, 2, 4], w = [0.5, 1, 2];
      const ref2 = ref.map((_, i) => w[i] * ([0, 2, -3][i] * (1 - [1, 0, 0.5][i]) + (1 + (pw[i] - 1) * [1, 0, 0.5][i]) * Math.log1p(Math.exp(-[0, 2, -3][i]))));
      assertClose(st.binaryCrossEntropyWithLogits(x, t, { posWeight: T(pw), weight: T(w), reduction: 'sum' }), [ref2[0] + ref2[1] + ref2[2]], { atol: 1e-12 });
      // posWeight [C] broadcasts along the last dim of [N, C]
      const x2 = T([[0, 1], [2, -1]]), t2 = T([[1, 1], [0, 1]]);
      const r2 = [2 * Math.LN2, 3 * Math.log1p(Math.exp(-1)), 2 + Math.log1p(Math.exp(-2)), 3 * Math.log1p(Math.exp(1))];
      assertClose(st.binaryCrossEntropyWithLogits(x2, t2, { posWeight: T([2, 3]), reduction: 'none' }), r2, { atol: 1e-12 });
      // huge logits: no overflow to Infinity or NaN, in float32 as in float64
      for (const dtype of ['float32', 'float64'] as const) {
        const big = st.binaryCrossEntropyWithLogits(T([100, -100, 100, -100], dtype), T([1, 0, 0, 1], dtype), { reduction: 'none' });
        assertClose(big, [0, 0, 100, 100], { atol: 1e-6 });
      }
    });

    it('computes binary cross-entropy on probabilities, clamping the logs at -100', () => {
      const p = T([0.2, 0.9, 0, 1]), t = T([0, 1, 1, 0]);
      assertClose(st.binaryCrossEntropy(p, t, { reduction: 'none' }), [-Math.log(0.8), -Math.log(0.9), 100, 100], { atol: 1e-12 });
      assertClose(st.binaryCrossEntropy(T([0.5, 0.25]), T([1, 0.5]), { weight: T([2, 1]) }), [(2 * Math.LN2 + -(0.5 * Math.log(0.25) + 0.5 * Math.log(0.75))) / 2], { atol: 1e-12 });
      // PyTorch's gradient: (p − t) / max(p·(1 − p), 1e-12)
      const pg = T([0.2, 0.5, 0]).requiresGrad_();
      st.binaryCrossEntropy(pg, T([0, 1, 1]), { reduction: 'sum' }).backward();
      assertClose(pg.grad!, [0.2 / 0.16, -0.5 / 0.25, -1e12], { rtol: 1e-9 });
    });

    it('computes KL divergence by hand', () => {
      const inp = T([Math.log(0.25), Math.log(0.75), Math.log(0.5)]), tgt = T([0.5, 0.5, 0]);
      const terms = [0.5 * (Math.log(0.5) - Math.log(0.25)), 0.5 * (Math.log(0.5) - Math.log(0.75)), 0];
      assertClose(st.klDiv(inp, tgt, 'none'), terms, { atol: 1e-12 });
      assertClose(st.klDiv(inp, tgt, 'sum'), [terms[0] + terms[1]], { atol: 1e-12 });
      assertClose(st.klDiv(inp, tgt), [(terms[0] + terms[1]) / 3], { atol: 1e-12 });
      // batchmean: the sum over a [2, 2] batch divided by 2
      const i2 = T([[Math.log(0.5), Math.log(0.5)], [Math.log(0.1), Math.log(0.9)]]), t2 = T([[0.25, 0.75], [0.5, 0.5]]);
      const kl0 = 0.25 * Math.log(0.25 / 0.5) + 0.75 * Math.log(0.75 / 0.5), kl1 = 0.5 * Math.log(0.5 / 0.1) + 0.5 * Math.log(0.5 / 0.9);
      assertClose(st.klDiv(i2, t2, 'batchmean'), [(kl0 + kl1) / 2], { atol: 1e-12 });
      assertClose(st.klDiv(i2, t2.log(), 'batchmean', true), [(kl0 + kl1) / 2], { atol: 1e-12 });
    });

    it('has exact gradients (float64 finite differences)', () => {
      const x = (shape: number[], seed: number) => smooth(shape, seed, be);
      const prob = (shape: number[], seed: number) => smooth(shape, seed, be, { positive: true }).mul(0.7);
      const t = I([2, -100, 0, 1]);
      const cases: [string, (...a: st.Tensor[]) => st.Tensor, st.Tensor[]][] = [
        ['crossEntropy mean', (a) => st.crossEntropy(a, t), [x([4, 3], 1)]],
        ['crossEntropy smoothing+weight+ignore mean', (a) => st.crossEntropy(a, t, { labelSmoothing: 0.2, weight: T([0.3, 1, 2]) }), [x([4, 3], 2)]],
        ['crossEntropy smoothing sum', (a) => st.crossEntropy(a, t, { labelSmoothing: 0.1, reduction: 'sum' }), [x([4, 3], 3)]],
        ['crossEntropy smoothing none', (a) => st.crossEntropy(a, t, { labelSmoothing: 0.3, reduction: 'none', weight: T([1, 2, 3]) }), [x([4, 3], 4)]],
        ['crossEntropy spatial', (a) => st.crossEntropy(a, I([[0, 1, 2], [2, -100, 1]]), { labelSmoothing: 0.1 }), [x([2, 3, 3], 5)]],
        ['crossEntropy 1-D', (a) => st.crossEntropy(a, I(1)), [x([4], 6)]],
        ['crossEntropy probabilities', (a, q) => st.crossEntropy(a, q, { labelSmoothing: 0.2, weight: T([1, 0.5, 2]) }), [x([2, 3], 7), prob([2, 3], 8)]],
        ['crossEntropy probabilities none', (a, q) => st.crossEntropy(a, q, { reduction: 'none' }), [x([2, 3, 2], 9), prob([2, 3, 2], 10)]],
        ['nllLoss mean weight', (a) => st.nllLoss(a, I([0, 2, 1]), { weight: T([1, 2, 3]) }), [x([3, 3], 11)]],
        ['nllLoss none', (a) => st.nllLoss(a, I([0, -100, 1]), { reduction: 'none' }), [x([3, 3], 12)]],
        ['nllLoss sum spatial', (a) => st.nllLoss(a, I([[0, 2], [1, 1]]), { reduction: 'sum' }), [x([2, 3, 2], 13)]],
        ['mseLoss', (a, b) => st.mseLoss(a, b), [x([2, 3], 14), x([2, 3], 15)]],
        ['l1Loss', (a, b) => st.l1Loss(a, b, 'sum'), [x([2, 3], 16), x([2, 3], 17)]],
        ['smoothL1Loss', (a, b) => st.smoothL1Loss(a, b, 'mean', 0.9), [x([2, 3], 18), x([2, 3], 19)]],
        ['smoothL1Loss beta 0', (a, b) => st.smoothL1Loss(a, b, 'none', 0), [x([2, 3], 20), x([2, 3], 21)]],
        ['bceWithLogits', (a, b, w, p) => st.binaryCrossEntropyWithLogits(a, b, { weight: w, posWeight: p }), [x([2, 3], 22), prob([2, 3], 23), x([2, 3], 24), prob([3], 25)]],
        ['bceWithLogits at 0', (a) => st.binaryCrossEntropyWithLogits(a, T([0.3, 1]), { reduction: 'sum' }), [T([0, 0])]],
        ['binaryCrossEntropy', (a, b) => st.binaryCrossEntropy(a, b, { weight: T([1, 2, 0.5]) }), [prob([2, 3], 26), prob([2, 3], 27)]],
        ['klDiv', (a, b) => st.klDiv(a, b, 'batchmean'), [x([2, 3], 28), prob([2, 3], 29)]],
        ['klDiv logTarget', (a, b) => st.klDiv(a, b, 'none', true), [x([2, 3], 30), x([2, 3], 31)]],
      ];
      for (const [name, f, inputs] of cases) gradcheck(f, inputs, { name: `${be} ${name}` });
    });

    it('refuses a second backward through NLL that would need the incoming gradient\'s own gradient', () => {
      const lp = smooth([2, 3], 41, be).requiresGrad_();
      // NLL's gradient does not depend on logp: with a constant incoming gradient it is a constant
      const [g] = st.grad(st.nllLoss(lp, I([0, 2])), [lp], { createGraph: true });
      assertClose(g!, [-0.5, 0, 0, 0, 0, -0.5]);
      // here it depends on s, which the kernel's node cannot differentiate: it must say so
      const s = smooth([2], 42, be).requiresGrad_();
      const [g2] = st.grad(st.nllLoss(lp, I([0, 2]), { reduction: 'none' }).mul(s).sum(), [lp], { createGraph: true });
      assert.throws(() => g2!.sum().backward(), /double backward through nllLoss/);
    });

    it('gives no gradient to ignored targets', () => {
      const a = smooth([3, 3], 40, be).requiresGrad_();
      st.crossEntropy(a, I([0, -100, 2]), { labelSmoothing: 0.2 }).backward();
      assert.deepEqual(flat(a.grad!).slice(3, 6), [0, 0, 0]);
    });

    it('throws StrataErrors for bad arguments', () => {
      const x = T(LOGITS);
      throwsStrata(() => st.crossEntropy(x, I([0, 1, 3, 0])), /^crossEntropy: target value 3 is out of range for 3 classes/);
      throwsStrata(() => st.crossEntropy(x, I([0, -1, 2, 0])), /^crossEntropy: target value -1 is out of range for 3 classes/);
      throwsStrata(() => st.nllLoss(x, I([0, 7, 2, 0])), /^nllLoss: target value 7 is out of range for 3 classes/);
      throwsStrata(() => st.crossEntropy(x, I([0, 1, 2])), /^crossEntropy: target of shape \[3\] does not match the input's shape \[4,3\]/);
      throwsStrata(() => st.crossEntropy(x, T([[0.5, 0.5]])), /^crossEntropy: a class-probability target must have the input's shape: input \[4,3\], target \[1,2\]/);
      throwsStrata(() => st.crossEntropy(x, I([0, 1, 2, 0]), { weight: T([1, 2]) }), /^crossEntropy: weight should have one entry per class: expected shape \[3\]/);
      throwsStrata(() => st.crossEntropy(x, I([0, 1, 2, 0]), { labelSmoothing: 1.5 }), /^crossEntropy: labelSmoothing must be between 0 and 1/);
      throwsStrata(() => st.crossEntropy(x, I([0, 1, 2, 0]), { reduction: 'avg' as Red }), /^crossEntropy: reduction must be 'none', 'mean', 'sum'/);
      throwsStrata(() => st.crossEntropy(x, T([0, 1, 2, 0])), /^crossEntropy: a class-probability target must have the input's shape/);
      throwsStrata(() => st.mseLoss(T([1, 2, 3]), T([1, 2])), /^mseLoss: input of shape \[3\] and target of shape \[2\] differ/);
      throwsStrata(() => st.l1Loss(T([[1, 2]]), T([1, 2])), /^l1Loss: input of shape \[1,2\] and target of shape \[2\] differ/);
      throwsStrata(() => st.smoothL1Loss(T([1]), T([1]), 'mean', -1), /^smoothL1Loss: beta must be a number >= 0/);
      throwsStrata(() => st.binaryCrossEntropyWithLogits(T([1, 2]), T([[1, 0]])), /^binaryCrossEntropyWithLogits: logits of shape \[2\] and target of shape \[1,2\] differ/);
      throwsStrata(() => st.binaryCrossEntropyWithLogits(T([[1, 2]]), T([[1, 0]]), { posWeight: T([1, 2, 3]) }), /^binaryCrossEntropyWithLogits: posWeight of shape \[3\] does not broadcast to the input's shape \[1,2\]/);
      throwsStrata(() => st.binaryCrossEntropy(T([0.5, 1.5]), T([1, 0])), /^binaryCrossEntropy: all elements of the input must be probabilities between 0 and 1, found 1.5/);
      throwsStrata(() => st.klDiv(T([1, 2]), T([1, 2, 3])), /^klDiv: input of shape \[2\] and target of shape \[3\] differ/);
      throwsStrata(() => st.klDiv(T([1, 2]), T([1, 2]), 'avg' as Red), /^klDiv: reduction must be 'none', 'mean', 'sum', 'batchmean'/);
      throwsStrata(() => st.crossEntropy(I([[1, 2]]), I([0])), /^crossEntropy: expected input to be float32 or float64/);
    });
  });
}

describe('loss parity (native vs js)', () => {
  const js = (shape: number[], seed: number) => st.randn(shape, { backend: 'js', generator: new st.Generator(seed) });
  const idx = (v: st.NestedArray) => st.tensor(v, { backend: 'js', dtype: 'int64' });
  const o = { atol: 1e-5, rtol: 1e-4 };

  it('matches cross-entropy and NLL on permuted and sliced logits', () => {
    const t = idx([[0, 4, 2], [-100, 1, 3]]);
    const w = st.tensor([1, 0.5, 2, 1.5, 0.2], { backend: 'js' });
    // logits [2, 5, 3] from a permuted [3, 2, 5] tensor
    for (const reduction of ['mean', 'sum', 'none'] as Red[]) {
      parity((x, tt, ww) => st.crossEntropy(x.permute(1, 2, 0), tt, { weight: ww, labelSmoothing: 0.15, reduction }), [js([3, 2, 5], 1), t, w], { ...o, name: `crossEntropy ${reduction}` });
      parity((x, tt) => st.nllLoss(x.permute(1, 2, 0).logSoftmax(1), tt, { reduction }), [js([3, 2, 5], 2), t], { ...o, name: `nllLoss ${reduction}` });
    }
    parity((x, tt) => st.crossEntropy(x.slice(0, 0, 6, 2), tt), [js([6, 5], 3), idx([4, 0, 1])], { ...o, name: 'crossEntropy sliced' });
    parity((x, q) => st.crossEntropy(x.t(), q.t().softmax(1), { labelSmoothing: 0.1 }), [js([5, 4], 4), js([5, 4], 5)], { ...o, name: 'crossEntropy probabilities' });
  });

  it('matches the composed losses on non-contiguous inputs', () => {
    const a = js([4, 3], 6), b = js([4, 3], 7);
    const nc = (x: st.Tensor) => x.t();
    parity((x, y) => st.mseLoss(nc(x), nc(y)), [a, b], { ...o, name: 'mseLoss' });
    parity((x, y) => st.l1Loss(nc(x), nc(y), 'none'), [a, b], { ...o, name: 'l1Loss' });
    parity((x, y) => st.smoothL1Loss(nc(x), nc(y), 'sum', 0.5), [a, b], { ...o, name: 'smoothL1Loss' });
    parity((x, y, p) => st.binaryCrossEntropyWithLogits(nc(x), nc(y).sigmoid(), { posWeight: p.abs() }), [a, b, js([4], 8)], { ...o, name: 'bceWithLogits' });
    parity((x, y) => st.binaryCrossEntropy(nc(x).sigmoid(), nc(y).sigmoid()), [a, b], { ...o, name: 'binaryCrossEntropy' });
    parity((x, y) => st.klDiv(nc(x).logSoftmax(1), nc(y).softmax(1), 'batchmean'), [a, b], { ...o, name: 'klDiv' });
  });
});
