// Attention: scaled dot-product attention (hand-checked values, masks, dropout, gradients, parity),
// multi-head attention and additive attention (layer harness, gradients, PyTorch interop), rotary embeddings.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { assertClose, backends, flat, gradcheck, hasNative, parity, smooth, st, roundTrip, trainStepLowers } from './helpers.js';
import type { Tensor } from '../src/index.js';

const { nn } = st;
type BE = 'js' | 'native';

// a = σ(1/√2): the weight of the matching key when q·k ∈ {1, 0} and scale = 1/√2
const A = 1 / (1 + Math.exp(-1 / Math.SQRT2));

function qkv(be: BE, dtype: st.DType = 'float32') {
  return {
    q: st.tensor([[1, 0], [0, 1], [1, 1]], { backend: be, dtype }),
    k: st.tensor([[1, 0], [0, 1]], { backend: be, dtype }),
    v: st.tensor([[1, 2], [3, 4]], { backend: be, dtype }),
  };
}

/** The outputs of an attention call that exist (weights may be null). */
const present = ([y, w]: [Tensor, Tensor | null]): Tensor[] => (w ? [y, w] : [y]);

for (const be of backends()) {
  describe(`scaledDotProductAttention on ${be}`, () => {
    it('computes softmax(q·kᵀ/√E)·v by hand', () => {
      const { q, k, v } = qkv(be);
      assertClose(st.scaledDotProductAttention(q, k, v), [3 - 2 * A, 4 - 2 * A, 1 + 2 * A, 2 + 2 * A, 2, 3]);
      // scale 0: uniform weights
      assertClose(st.scaledDotProductAttention(q, k, v, { scale: 0 }), [2, 3, 2, 3, 2, 3]);
      // batch dims broadcast: q [2, 3, 2] against k, v [3... 1 batch]
      const y = st.scaledDotProductAttention(st.stack([q, q]), k.unsqueeze(0), v);
      assert.deepEqual(y.shape, [2, 3, 2]);
      assertClose(y.select(0, 1), [3 - 2 * A, 4 - 2 * A, 1 + 2 * A, 2 + 2 * A, 2, 3]);
    });

    it('masks: bool true = attend, float added, causal, and a fully masked row gives zeros (not NaN)', () => {
      const { q, k, v } = qkv(be);
      const boolMask = st.tensor([[true, false], [false, false], [true, true]], { backend: be });
      assertClose(st.scaledDotProductAttention(q, k, v, { attnMask: boolMask }), [1, 2, 0, 0, 2, 3]);
      // row 2: scores [log 3, 0] → weights [3/4, 1/4]; scale 1 keeps the mask's units
      const floatMask = st.tensor([[0, -Infinity], [0, 0], [Math.log(3), 0]], { backend: be });
      assertClose(st.scaledDotProductAttention(st.zerosLike(q), k, v, { attnMask: floatMask }), [1, 2, 2, 3, 1.5, 2.5]);
      assertClose(st.scaledDotProductAttention(q, k, v, { isCausal: true }), [1, 2, 1 + 2 * A, 2 + 2 * A, 2, 3]);
      // a broadcast key-padding style mask [N, 1, S]
      const pad = st.tensor([[[true, false]], [[false, false]]], { backend: be });
      const y = st.scaledDotProductAttention(st.stack([q, q]), k, v, { attnMask: pad });
      assertClose(y, [1, 2, 1, 2, 1, 2, 0, 0, 0, 0, 0, 0]);
      // the masked row passes no gradient and no NaN
      const qg = q.detach().requiresGrad_();
      st.scaledDotProductAttention(qg, k, v, { attnMask: boolMask }).sum().backward();
      const g = flat(qg.grad!);
      assert.ok(g.every((x) => Number.isFinite(x)));
      assert.deepEqual(g.slice(2, 4), [0, 0]);
    });

    it('drops attention weights with a seeded generator', () => {
      // uniform weights 1/4 over 4 keys, v = 1: each output is 1/4 · (1/(1−p)) · (number of kept keys)
      const q = st.zeros([2, 5, 3], { backend: be }), k = st.zeros([2, 4, 3], { backend: be }), v = st.ones([2, 4, 1], { backend: be });
      const run = (seed: number) => flat(st.scaledDotProductAttention(q, k, v, { dropoutP: 0.5, generator: new st.Generator(seed) }));
      const a = run(7), b = run(7), c = run(8);
      assert.deepEqual(a, b);
      assert.notDeepEqual(a, c);
      for (const x of a) assert.ok([0, 0.5, 1, 1.5, 2].some((ok) => Math.abs(x - ok) < 1e-6), `unexpected output ${x}`);
      assert.ok(a.some((x) => x !== a[0]), 'dropout changed nothing');
      assertClose(st.scaledDotProductAttention(q, k, v, { dropoutP: 1 }), new Array(10).fill(0));
    });

    it('has exact gradients (float64), through float masks too', () => {
      const q = smooth([2, 3, 4], 1, be), k = smooth([2, 5, 4], 2, be), v = smooth([2, 5, 3], 3, be);
      gradcheck((a, b, c) => st.scaledDotProductAttention(a, b, c), [q, k, v], { name: 'sdpa' });
      gradcheck((a, b, c) => st.scaledDotProductAttention(a, b, c, { isCausal: true, scale: 0.7 }), [q, k, v], { name: 'sdpa causal' });
      // dropout: a fixed seed makes a fixed mask, which the backward redraws
      gradcheck((a, b, c) => st.scaledDotProductAttention(a, b, c, { dropoutP: 0.4, isCausal: true, generator: new st.Generator(3) }), [q, k, v], { name: 'sdpa dropout' });
      // more queries than keys, and more keys than queries: the causal blocks end at either edge
      gradcheck((a, b, c) => st.scaledDotProductAttention(a, b, c, { isCausal: true }), [smooth([1, 9, 2], 6, be), smooth([1, 4, 2], 7, be), smooth([1, 4, 3], 8, be)], { name: 'sdpa causal L > S' });
      gradcheck((a, b, c) => st.scaledDotProductAttention(a, b, c, { isCausal: true }), [smooth([1, 7, 2], 9, be), smooth([1, 10, 2], 10, be), smooth([1, 10, 1], 11, be)], { name: 'sdpa causal L < S' });
      const m = smooth([3, 5], 4, be);
      gradcheck((a, b, c, d) => st.scaledDotProductAttention(a, b, c, { attnMask: d }), [q, k, v, m], { name: 'sdpa float mask' });
      const bm = st.tensor([[true, false, true, true, false], [false, false, false, false, false], [true, true, true, true, true]], { backend: be });
      gradcheck((a, b, c) => st.scaledDotProductAttention(a, b, c, { attnMask: bm }), [q, k, v], { name: 'sdpa bool mask, a dead row' });
      // non-contiguous inputs (heads split from [N, T, H, E])
      const x = smooth([2, 3, 2, 4], 5, be);
      gradcheck((a) => st.scaledDotProductAttention(a.transpose(1, 2), a.transpose(1, 2), a.transpose(1, 2)), [x], { name: 'sdpa permuted' });
    });

    it('rejects bad shapes and arguments with StrataErrors', () => {
      const { q, k, v } = qkv(be);
      assert.throws(() => st.scaledDotProductAttention(q, st.zeros([2, 3], { backend: be }), v), /scaledDotProductAttention: query \[3,2\] and key \[2,3\] must have the same last dim/);
      assert.throws(() => st.scaledDotProductAttention(q, k, st.zeros([3, 2], { backend: be })), /must have the same number of positions/);
      assert.throws(() => st.scaledDotProductAttention(q, k, v, { attnMask: st.ones([3, 3], { backend: be }) }), /attention mask of shape \[3,3\] does not broadcast to the scores' shape \[3,2\]/);
      assert.throws(() => st.scaledDotProductAttention(q, k, v, { attnMask: st.ones([3, 2], { backend: be }).bool(), isCausal: true }), /attnMask and isCausal cannot both be given/);
      assert.throws(() => st.scaledDotProductAttention(q.long(), k.long(), v.long()), /expected query to be float32 or float64/);
      assert.throws(() => st.scaledDotProductAttention(q, k, v, { attnMask: st.ones([3, 2], { backend: be, dtype: 'int64' }) }), /attnMask must be a bool or floating-point tensor/);
      assert.throws(() => st.scaledDotProductAttention(q, k, v, { dropoutP: 1.5 }), /dropoutP must be in \[0, 1\]/);
    });
  });

  describe(`MultiheadAttention on ${be}`, () => {
    it('with identity projections is scaled dot-product attention (hand-checked)', () => {
      const m = new nn.MultiheadAttention(2, 1, { batchFirst: true }).to(be);
      st.noGrad(() => {
        m.in_proj_weight!.copy_(st.tensor([[1, 0], [0, 1], [1, 0], [0, 1], [1, 0], [0, 1]]).to(be));
        m.out_proj.weight.copy_(st.eye(2).to(be));
      });
      const { q, k, v } = qkv(be);
      const [y, w] = m.forward(q.unsqueeze(0), k.unsqueeze(0), v.unsqueeze(0));
      assertClose(y, [3 - 2 * A, 4 - 2 * A, 1 + 2 * A, 2 + 2 * A, 2, 3]);
      assertClose(w!, [A, 1 - A, 1 - A, A, 0.5, 0.5]);
      // PyTorch's MHA mask convention: true = NOT allowed; key padding true = ignore
      const [y2] = m.forward(q.unsqueeze(0), k.unsqueeze(0), v.unsqueeze(0), { keyPaddingMask: st.tensor([[false, true]], { backend: be }) });
      assertClose(y2, [1, 2, 1, 2, 1, 2]);
      const [y3] = m.forward(q, k, v, { attnMask: st.tensor([[false, true], [true, true], [false, false]], { backend: be }) });
      assertClose(y3, [1, 2, 0, 0, 2, 3]);
    });

    it('passes the layer harness: shapes, parameter count, state dict, training step', () => {
      st.manualSeed(1);
      const E = 8, H = 2, N = 2, L = 3, S = 5;
      const m = new nn.MultiheadAttention(E, H).to(be);
      assert.equal(m.numParameters(), 4 * E * E + 4 * E);
      assert.deepEqual(Object.keys(m.stateDict()), ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']);
      const x = st.randn([L, N, E]).to(be), mem = st.randn([S, N, E]).to(be);
      const [y, w] = m.forward(x, mem, mem);
      assert.deepEqual(y.shape, [L, N, E]);
      assert.deepEqual(w!.shape, [N, L, S]);
      assertClose(w!.sum(-1), new Array(N * L).fill(1));
      const [, wh] = m.forward(x, x, x, { averageAttnWeights: false });
      assert.deepEqual(wh!.shape, [N, H, L, L]);
      const [yu, wu] = m.forward(x.select(1, 0), mem.select(1, 0), mem.select(1, 0));
      assert.deepEqual([yu.shape, wu!.shape], [[L, E], [L, S]]);
      assertClose(yu, y.select(1, 0), { atol: 1e-6 });
      assert.equal(m.forward(x, x, x, { needWeights: false })[1], null);
      // separate projections when kdim/vdim differ
      const c = new nn.MultiheadAttention(E, H, { kdim: 3, vdim: 5, bias: false, batchFirst: true }).to(be);
      assert.equal(c.numParameters(), E * E + E * 3 + E * 5 + E * E);
      assert.deepEqual(Object.keys(c.stateDict()), ['q_proj_weight', 'k_proj_weight', 'v_proj_weight', 'out_proj.weight']);
      assert.deepEqual(c.forward(st.randn([N, L, E]).to(be), st.randn([N, S, 3]).to(be), st.randn([N, S, 5]).to(be))[0].shape, [N, L, E]);
      roundTrip(m, new nn.MultiheadAttention(E, H).to(be), (mm) => (mm as st.nn.MultiheadAttention).forward(x, mem, mem)[0]);
      m.train();
      const target = st.randn([L, N, E]).to(be);
      trainStepLowers(m, () => st.mseLoss(m.forward(x, mem, mem)[0], target));
    });

    it('self-attention (one packed projection) equals cross-attention on copies', () => {
      st.manualSeed(2);
      const m = new nn.MultiheadAttention(6, 3, { batchFirst: true }).to(be);
      const x = st.randn([2, 4, 6]).to(be);
      const [a, wa] = m.forward(x, x, x);
      const [b, wb] = m.forward(x, x.clone(), x.clone());
      const [c] = m.forward(x, x.clone(), x);
      assertClose(b, flat(a), { atol: 1e-6 });
      assertClose(c, flat(a), { atol: 1e-6 });
      assertClose(wb!, flat(wa!), { atol: 1e-6 });
      // causal: changing the last position leaves earlier outputs alone
      const [c1] = m.forward(x, x, x, { isCausal: true });
      const x2 = st.cat([x.slice(1, 0, 3), st.randn([2, 1, 6]).to(be)], 1);
      const [c2] = m.forward(x2, x2, x2, { isCausal: true });
      assertClose(c2.slice(1, 0, 3), flat(c1.slice(1, 0, 3)), { atol: 1e-6 });
    });

    it('has exact gradients through the functional form (float64)', () => {
      const E = 4, H = 2;
      const W = smooth([3 * E, E], 1, be).mul(0.5), B = smooth([3 * E], 2, be), Wo = smooth([E, E], 3, be).mul(0.5), Bo = smooth([E], 4, be);
      const x = smooth([2, 3, E], 5, be), mem = smooth([2, 2, E], 6, be);
      const w = (a: Tensor, b: Tensor, c: Tensor, d: Tensor) => ({ inProjWeight: a, inProjBias: b, outProjWeight: c, outProjBias: d });
      const kpm = st.tensor([[false, false, true], [false, false, false]], { backend: be });
      gradcheck((a, b, c, d, xx) => st.multiheadAttentionForward(xx, xx, xx, H, w(a, b, c, d), { keyPaddingMask: kpm, isCausal: true, needWeights: false })[0],
        [W, B, Wo, Bo, x], { name: 'mha self' });
      // cross-attention, weights returned (averaged) and used in the loss
      gradcheck((a, b, c, d, xx, mm) => present(st.multiheadAttentionForward(xx, mm, mm, H, w(a, b, c, d), { attnMask: st.tensor([[0, -1], [0.5, 0], [0, 0]], { backend: be, dtype: 'float64' }) })),
        [W, B, Wo, Bo, x, mem], { name: 'mha cross with weights' });
      // attention dropout, with the dropped weights returned per head and used in the loss
      gradcheck((a, b, c, d, xx) => present(st.multiheadAttentionForward(xx, xx, xx, H, w(a, b, c, d), { dropoutP: 0.3, generator: new st.Generator(4), averageAttnWeights: false })),
        [W, B, Wo, Bo, x], { name: 'mha dropout with weights' });
      // separate projections
      const sep = (q: Tensor, k: Tensor, v: Tensor, xx: Tensor, mm: Tensor) => present(st.multiheadAttentionForward(xx, mm, mm.slice(2, 0, 3), H, {
        inProjWeight: null, inProjBias: null, qProjWeight: q, kProjWeight: k, vProjWeight: v, outProjWeight: Wo, outProjBias: null,
      }, { needWeights: true, averageAttnWeights: false }));
      gradcheck(sep, [smooth([E, E], 7, be), smooth([E, E], 8, be), smooth([E, 3], 9, be), x, mem], { name: 'mha separate projections' });
    });

    it('rejects bad configurations and masks with StrataErrors', () => {
      assert.throws(() => new nn.MultiheadAttention(10, 3), /MultiheadAttention: embedDim 10 is not divisible by numHeads 3/);
      const m = new nn.MultiheadAttention(4, 2).to(be);
      const x = st.zeros([3, 2, 4], { backend: be });
      assert.throws(() => m.forward(x, x, x, { attnMask: st.zeros([3, 4], { backend: be }) }), /the 2-D attnMask should have shape \[L, S\] = \[3,3\], got \[3,4\]/);
      assert.throws(() => m.forward(x, x, x, { attnMask: st.zeros([2, 3, 3], { backend: be }) }), /the 3-D attnMask should have shape \[N·numHeads, L, S\] = \[4,3,3\]/);
      assert.throws(() => m.forward(x, x, x, { keyPaddingMask: st.zeros([3, 2], { backend: be }).bool() }), /keyPaddingMask should have shape \[N, S\] = \[2,3\], got \[3,2\]/);
      assert.throws(() => m.forward(st.zeros([3, 2, 5], { backend: be }), x, x), /query must have 4 features in its last dim/);
      assert.throws(() => m.forward(x, x.select(1, 0), x), /must all be batched \(3-D\) or unbatched/);
    });
  });

  describe(`additive attention on ${be}`, () => {
    it('scores vᵀ·tanh(W·h + V·s) by hand, with a padding mask', () => {
      const m = new nn.AdditiveAttention(1, 1).to(be);
      st.noGrad(() => {
        for (const l of [m.W, m.V, m.a]) {
          l.weight.fill_(1);
          l.bias!.fill_(0);
        }
      });
      // h = 0: scores tanh(s_j) for s = [1, 0, -2]
      const h = st.zeros([1, 1], { backend: be }), s = st.tensor([[[1], [0], [-2]]], { backend: be });
      const e = [Math.tanh(1), 0, Math.tanh(-2)].map(Math.exp);
      const z = e[0] + e[1] + e[2];
      const [ctx, w] = m.forward(h, s);
      assertClose(w, e.map((x) => x / z));
      assertClose(ctx, [(e[0] - 2 * e[2]) / z]);
      const [ctx2, w2] = m.forward(h, s, { keyPaddingMask: st.tensor([[false, true, false]], { backend: be }) });
      assertClose(w2, [e[0] / (e[0] + e[2]), 0, e[2] / (e[0] + e[2])]);
      assertClose(ctx2, [(e[0] - 2 * e[2]) / (e[0] + e[2])]);
      const [ctx3, w3] = m.forward(h, s, { keyPaddingMask: st.tensor([[true, true, true]], { backend: be }) });
      assertClose(w3, [0, 0, 0]);
      assertClose(ctx3, [0]);
    });

    it('passes the layer harness and has exact gradients', () => {
      st.manualSeed(3);
      const Hs = 6, Asz = 4, K = 5, N = 3, S = 7;
      const m = new nn.AdditiveAttention(Hs, Asz, { keySize: K }).to(be);
      assert.equal(m.numParameters(), (Hs * Asz + Asz) + (K * Asz + Asz) + (Asz + 1));
      assert.deepEqual(Object.keys(m.stateDict()), ['W.weight', 'W.bias', 'V.weight', 'V.bias', 'a.weight', 'a.bias']);
      const h = st.randn([N, Hs]).to(be), enc = st.randn([N, S, K]).to(be);
      const [ctx, w] = m.forward(h, enc);
      assert.deepEqual([ctx.shape, w.shape], [[N, K], [N, S]]);
      const [ctxL, wL] = m.forward(st.randn([N, 2, Hs]).to(be), enc);
      assert.deepEqual([ctxL.shape, wL.shape], [[N, 2, K], [N, 2, S]]);
      roundTrip(m, new nn.AdditiveAttention(Hs, Asz, { keySize: K }).to(be), (mm) => (mm as st.nn.AdditiveAttention).forward(h, enc)[0]);
      const target = st.randn([N, K]).to(be);
      trainStepLowers(m, () => st.mseLoss(m.forward(h, enc)[0], target), 0.5);
      const pad = st.tensor([[false, true, false], [true, true, true]], { backend: be });
      gradcheck((q, k, vals, v) => st.additiveAttention(q, k, vals, v, { keyPaddingMask: pad }),
        [smooth([2, 2, 3], 1, be), smooth([2, 3, 3], 2, be), smooth([2, 3, 2], 3, be), smooth([3], 4, be)], { name: 'additive attention' });
      assert.throws(() => m.forward(h, enc.slice(2, 0, 4)), /additiveAttention|AdditiveAttention|linear/);
      assert.throws(() => st.additiveAttention(st.zeros([2, 3], { backend: be }), st.zeros([4, 3], { backend: be }), st.zeros([5, 2], { backend: be }), st.zeros([3], { backend: be })),
        /additiveAttention: keys \[4,3\] and values \[5,2\] must have the same number of positions/);
    });
  });

  describe(`rotary embeddings on ${be}`, () => {
    it('rotates feature pairs by position·θ (hand-checked) and keeps q·k relative', () => {
      // d = 2: θ_0 = 1, so position p rotates by p radians
      const q = st.tensor([[1, 0], [1, 0], [0, 2]], { backend: be });
      const [qr] = st.applyRotary(q, q);
      assertClose(qr, [1, 0, Math.cos(1), Math.sin(1), -2 * Math.sin(2), 2 * Math.cos(2)]);
      // d = 4: the second pair turns by p·10000^(−1/2) = p/100
      const x = st.tensor([[0, 0, 1, 0]], { backend: be });
      const [xr] = st.applyRotary(x, x, [3]);
      assertClose(xr, [0, 0, Math.cos(0.03), Math.sin(0.03)]);
      // q·k depends only on the position difference
      const a = smooth([1, 6], 1, be).float(), b = smooth([1, 6], 2, be).float();
      const dot = (pq: number, pk: number) => st.applyRotary(a, b, [pq], { kPositions: [pk] }).reduce((x, y) => x.mul(y)).sum().item();
      assert.ok(Math.abs(dot(5, 2) - dot(13, 10)) < 1e-5);
      assert.ok(Math.abs(dot(5, 2) - dot(2, 5)) > 1e-3);
      const rope = new nn.RotaryEmbedding(6);
      assert.equal(rope.numParameters(), 0);
      const [r1] = rope.forward(smooth([2, 3, 4, 6], 3, be), smooth([2, 3, 4, 6], 4, be));
      assert.deepEqual(r1.shape, [2, 3, 4, 6]);
      gradcheck((p, k) => st.applyRotary(p, k, st.tensor([0, 2, 5], { backend: be, dtype: 'int64' })), [smooth([2, 3, 4], 5, be), smooth([2, 3, 4], 6, be)], { name: 'rotary' });
      assert.throws(() => st.applyRotary(st.zeros([2, 3], { backend: be }), st.zeros([2, 3], { backend: be })), /applyRotary: the feature size must be even/);
      assert.throws(() => st.applyRotary(q, q, [1, 2]), /applyRotary: got 2 positions for 3 rows/);
    });
  });
}

describe('attention parity (native vs js)', () => {
  it('matches forward and gradients, with masks and permuted inputs', { skip: !hasNative() && 'native addon not available' }, () => {
    const q = smooth([2, 4, 5, 8], 1).float(), k = smooth([2, 4, 6, 8], 2).float(), v = smooth([2, 4, 6, 3], 3).float();
    parity((a, b, c) => st.scaledDotProductAttention(a, b, c), [q, k, v], { name: 'sdpa', atol: 1e-5 });
    parity((a, b, c) => st.scaledDotProductAttention(a, b, c, { isCausal: true }), [q, k.slice(2, 0, 5), v.slice(2, 0, 5)], { name: 'sdpa causal', atol: 1e-5 });
    const m = smooth([2, 1, 5, 6], 4).float();
    parity((a, b, c, d) => st.scaledDotProductAttention(a, b, c, { attnMask: d }), [q, k, v, m], { name: 'sdpa float mask', atol: 1e-5 });
    const x = smooth([2, 5, 4, 8], 5).float();
    parity((a) => st.scaledDotProductAttention(a.transpose(1, 2), a.transpose(1, 2), a.transpose(1, 2)), [x], { name: 'sdpa permuted', atol: 1e-5 });
    // dropout masks hash (seed, index) the same way on both backends
    parity((a, b, c) => st.scaledDotProductAttention(a, b, c, { dropoutP: 0.3, isCausal: true, generator: new st.Generator(5) }), [q, k.slice(2, 0, 5), v.slice(2, 0, 5)], { name: 'sdpa dropout', atol: 1e-5 });
    parity((a) => st.dropout(a, 0.4, true, new st.Generator(6)), [smooth([3, 50], 9).float()], { name: 'dropout', atol: 1e-6 });
    const kpm = st.tensor([[false, false, false, false, true], [true, true, true, true, true]]);
    parity((xx, w, b) => present(st.multiheadAttentionForward(xx, xx, xx, 4, { inProjWeight: w, inProjBias: b, outProjWeight: w.slice(0, 0, 8), outProjBias: null }, {
      keyPaddingMask: kpm.to(xx.backend.name),
    })), [smooth([2, 5, 8], 6).float(), smooth([24, 8], 7).float().mul(0.3), smooth([24], 8).float()], { name: 'mha', atol: 1e-5 });
  });
});

// ---------------------------------------------------------------- PyTorch interop

const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

/** A tensor as JSON for Python (−∞ survives as Python's -Infinity token). */
function enc(t: Tensor | null): unknown {
  if (t === null) return null;
  return { shape: t.shape, dtype: t.dtype, data: flat(t).map((x) => (x === -Infinity ? '-inf' : x)) };
}

/** Runs `script` with `input` as JSON on stdin; returns its stdout parsed. */
function python(script: string, input: unknown): any {
  const r = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const TORCH_PRELUDE = `
import json, sys, math, torch
torch.set_num_threads(1)
def T(o):
    if o is None: return None
    dt = {'float32': torch.float32, 'float64': torch.float64, 'bool': torch.bool}[o['dtype']]
    return torch.tensor([float(x) for x in o['data']] if dt != torch.bool else o['data'], dtype=dt).reshape(o['shape'])
def out(t): return None if t is None else {'shape': list(t.shape), 'data': t.detach().reshape(-1).tolist()}
`;

describe('PyTorch 1.13 interop', { skip: !hasTorch && 'PyTorch is not installed (/usr/bin/python3 -c "import torch" failed)' }, () => {
  it('MultiheadAttention matches torch.nn.MultiheadAttention given the same weights (1e-5)', () => {
    st.manualSeed(11);
    const E = 8, H = 2, N = 2, L = 3, S = 4;
    const cases: { m: st.nn.MultiheadAttention; args: [Tensor, Tensor, Tensor]; self: boolean; opts: st.nn.MultiheadAttentionCallOptions; cfg: Record<string, unknown> }[] = [];
    const randomize = (m: st.nn.Module) => st.noGrad(() => { for (const p of m.parameters()) p.copy_(st.randn(p.shape).mul(0.4)); });
    const add = (cfg: { kdim?: number; vdim?: number; bias?: boolean; batchFirst?: boolean }, self: boolean, opts: st.nn.MultiheadAttentionCallOptions) => {
      const m = new nn.MultiheadAttention(E, H, cfg).eval();
      randomize(m);
      const bf = cfg.batchFirst ?? false;
      const shape = (t: number, d: number) => (bf ? [N, t, d] : [t, N, d]);
      const q = st.randn(shape(L, E));
      const args: [Tensor, Tensor, Tensor] = self ? [q, q, q] : [q, st.randn(shape(S, cfg.kdim ?? E)), st.randn(shape(S, cfg.vdim ?? E))];
      cases.push({ m, args, self, opts, cfg: { E, H, kdim: cfg.kdim ?? E, vdim: cfg.vdim ?? E, bias: cfg.bias ?? true, batch_first: bf } });
    };
    add({}, true, {});
    add({ batchFirst: true }, true, { attnMask: nn.generateSquareSubsequentMask(L), averageAttnWeights: false });
    add({}, false, { keyPaddingMask: st.tensor([[false, false, true, false], [false, true, true, false]]) });
    add({ kdim: 5, vdim: 3, batchFirst: true }, false, { attnMask: st.tensor([[false, true, false, false], [false, false, false, true], [true, false, false, false]]), needWeights: false });
    add({ bias: false }, false, { attnMask: st.randn([N * H, L, S]) });
    const input = cases.map((c) => ({
      cfg: c.cfg, self: c.self, sd: Object.fromEntries(Object.entries(c.m.stateDict()).map(([k, t]) => [k, enc(t)])),
      q: enc(c.args[0]), k: enc(c.args[1]), v: enc(c.args[2]),
      kpm: enc(c.opts.keyPaddingMask ?? null), am: enc(c.opts.attnMask ?? null),
      need: c.opts.needWeights ?? true, avg: c.opts.averageAttnWeights ?? true,
    }));
    const res = python(TORCH_PRELUDE + `
res = []
for c in json.load(sys.stdin):
    g = c['cfg']
    m = torch.nn.MultiheadAttention(g['E'], g['H'], bias=g['bias'], kdim=g['kdim'], vdim=g['vdim'], batch_first=g['batch_first'])
    m.load_state_dict({k: T(v) for k, v in c['sd'].items()})
    m.eval()
    q = T(c['q'])
    k, v = (q, q) if c['self'] else (T(c['k']), T(c['v']))
    o, w = m(q, k, v, key_padding_mask=T(c['kpm']), attn_mask=T(c['am']), need_weights=c['need'], average_attn_weights=c['avg'])
    res.append({'out': out(o), 'w': out(w), 'keys': list(m.state_dict().keys())})
print(json.dumps(res))
`, input);
    cases.forEach((c, i) => {
      assert.deepEqual(Object.keys(c.m.stateDict()), res[i].keys, `case ${i}: state dict keys`);
      for (const be of backends()) {
        const m = new nn.MultiheadAttention(E, H, { kdim: c.cfg.kdim as number, vdim: c.cfg.vdim as number, bias: c.cfg.bias as boolean, batchFirst: c.cfg.batch_first as boolean }).to(be).eval();
        m.loadStateDict(c.m.stateDict());
        const a = c.args.map((t) => t.to(be));
        const args: [Tensor, Tensor, Tensor] = c.self ? [a[0], a[0], a[0]] : [a[0], a[1], a[2]];
        const toBe = (t: Tensor | null | undefined) => (t ? t.to(be) : null);
        const [y, w] = m.forward(...args, { ...c.opts, keyPaddingMask: toBe(c.opts.keyPaddingMask), attnMask: toBe(c.opts.attnMask) });
        assert.deepEqual(y.shape, res[i].out.shape, `case ${i} output shape`);
        assertClose(y, res[i].out.data, { atol: 1e-5, rtol: 0 }, `case ${i} on ${be}: output`);
        if (res[i].w === null) assert.equal(w, null);
        else {
          assert.deepEqual(w!.shape, res[i].w.shape, `case ${i} weights shape`);
          assertClose(w!, res[i].w.data, { atol: 1e-5, rtol: 0 }, `case ${i} on ${be}: weights`);
        }
      }
    });
  });

  it('scaledDotProductAttention matches the formula in PyTorch (1e-5)', () => {
    st.manualSeed(12);
    const q = st.randn([2, 3, 5, 8]), k = st.randn([2, 3, 7, 8]), v = st.randn([2, 3, 7, 4]);
    const bm = st.rand([2, 1, 5, 7]).gt(0.3);
    const fm = st.randn([5, 7]);
    const cases = [{ mask: null, causal: false, scale: null }, { mask: bm, causal: false, scale: 0.3 }, { mask: fm, causal: false, scale: null }, { mask: null, causal: true, scale: null }];
    // NOTE: no fully masked rows here: PyTorch's formula gives NaN where strata gives zeros
    assert.ok(flat(bm.any(-1)).every((x) => x));
    const res = python(TORCH_PRELUDE + `
c = json.load(sys.stdin)
q, k, v = T(c['q']), T(c['k']), T(c['v'])
res = []
for cs in c['cases']:
    scale = cs['scale'] if cs['scale'] is not None else 1 / math.sqrt(q.shape[-1])
    s = q @ k.transpose(-2, -1) * scale
    m = T(cs['mask'])
    if m is not None:
        s = s.masked_fill(~m, float('-inf')) if m.dtype == torch.bool else s + m
    if cs['causal']:
        s = s.masked_fill(torch.ones(s.shape[-2], s.shape[-1]).tril().logical_not(), float('-inf'))
    res.append(out(torch.softmax(s, -1) @ v))
print(json.dumps(res))
`, { q: enc(q), k: enc(k), v: enc(v), cases: cases.map((c) => ({ ...c, mask: enc(c.mask) })) });
    for (const be of backends()) {
      cases.forEach((c, i) => {
        const y = st.scaledDotProductAttention(q.to(be), k.to(be), v.to(be), { attnMask: c.mask?.to(be), isCausal: c.causal, scale: c.scale });
        assertClose(y, res[i].data, { atol: 1e-5, rtol: 0 }, `sdpa case ${i} on ${be}`);
      });
    }
  });
});
