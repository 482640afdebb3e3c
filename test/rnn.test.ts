// Recurrent layers: exact values and gradients against a step-by-step reference written here from the
// equations with plain ops, float64 gradient checks of every sequence kernel, native-vs-js parity (also of
// native's ATen-op path), PyTorch interop (state dicts, packed sequences), layer harnesses and errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { assertClose, backends, flat, gradcheck, hasNative, parity, smooth, st } from './helpers.js';
import { loadAddon } from '../src/backends/native/load.js';

type Tensor = st.Tensor;
type Mode = 'lstm' | 'gru' | 'rnnTanh' | 'rnnRelu';
type Be = 'js' | 'native';
const { nn } = st;
const GATES: Record<Mode, number> = { lstm: 4, gru: 3, rnnTanh: 1, rnnRelu: 1 };

// ---------------------------------------------------------------- the reference (plain ops)

interface Group { wIh: Tensor; wHh: Tensor; bIh: Tensor | null; bHh: Tensor | null }

/** One step from the equations: x [B, I], h, c [B, H]. */
function refCell(mode: Mode, x: Tensor, h: Tensor, c: Tensor | null, g: Group): [Tensor, Tensor | null] {
  const H = g.wHh.shape[1];
  let gi = x.matmul(g.wIh.t()), gh = h.matmul(g.wHh.t());
  if (g.bIh) gi = gi.add(g.bIh);
  if (g.bHh) gh = gh.add(g.bHh);
  const part = (t: Tensor, k: number) => t.slice(1, k * H, (k + 1) * H);
  if (mode === 'lstm') {
    const i = part(gi, 0).add(part(gh, 0)).sigmoid(), f = part(gi, 1).add(part(gh, 1)).sigmoid();
    const gg = part(gi, 2).add(part(gh, 2)).tanh(), o = part(gi, 3).add(part(gh, 3)).sigmoid();
    const c2 = f.mul(c!).add(i.mul(gg));
    return [o.mul(c2.tanh()), c2];
  }
  if (mode === 'gru') {
    const r = part(gi, 0).add(part(gh, 0)).sigmoid(), z = part(gi, 1).add(part(gh, 1)).sigmoid();
    const n = part(gi, 2).add(r.mul(part(gh, 2))).tanh();
    return [z.neg().add(1).mul(n).add(z.mul(h)), null];
  }
  const a = gi.add(gh);
  return [mode === 'rnnRelu' ? a.relu() : a.tanh(), null];
}

/** Unpadded sequences x [T, B, I], every layer and direction step by step. */
function refStack(mode: Mode, x: Tensor, h0: Tensor, c0: Tensor | null, groups: Group[], L: number, D: number) {
  const T = x.shape[0];
  let input = x;
  const hN: Tensor[] = [], cN: Tensor[] = [];
  for (let l = 0; l < L; l++) {
    const outs: Tensor[] = [];
    for (let d = 0; d < D; d++) {
      const k = l * D + d;
      let h = h0.select(0, k), c = c0 ? c0.select(0, k) : null;
      const steps: Tensor[] = new Array(T);
      for (let s = 0; s < T; s++) {
        const t = d === 0 ? s : T - 1 - s;
        [h, c] = refCell(mode, input.select(0, t), h, c, groups[k]);
        steps[t] = h;
      }
      outs.push(st.stack(steps, 0));
      hN.push(h);
      if (c) cN.push(c);
    }
    input = D === 2 ? st.cat(outs, 2) : outs[0];
  }
  return { output: input, hN: st.stack(hN, 0), cN: c0 ? st.stack(cN, 0) : null };
}

/** Variable lengths as PyTorch's packed sequences mean them: each sequence alone over its first len steps, zero-padded. */
function refPadded(mode: Mode, x: Tensor, lengths: number[], h0: Tensor, c0: Tensor | null, groups: Group[], L: number, D: number) {
  const [T, B] = x.shape, H = groups[0].wHh.shape[1];
  const outs: Tensor[] = [], hs: Tensor[] = [], cs: Tensor[] = [];
  for (let b = 0; b < B; b++) {
    const hb = h0.slice(1, b, b + 1), cb = c0 ? c0.slice(1, b, b + 1) : null;
    const n = lengths[b];
    if (n === 0) {
      outs.push(st.zeros([T, 1, D * H], { dtype: x.dtype, backend: x.backend }));
      hs.push(hb);
      if (cb) cs.push(cb);
      continue;
    }
    const r = refStack(mode, x.slice(1, b, b + 1).slice(0, 0, n), hb, cb, groups, L, D);
    outs.push(n < T ? st.cat([r.output, st.zeros([T - n, 1, D * H], { dtype: x.dtype, backend: x.backend })], 0) : r.output);
    hs.push(r.hN);
    if (r.cN) cs.push(r.cN);
  }
  return { output: st.cat(outs, 1), hN: st.cat(hs, 1), cN: c0 ? st.cat(cs, 1) : null };
}

/** Weights in PyTorch's order, float64, scaled to keep the gates away from saturation. */
function makeWeights(mode: Mode, I: number, H: number, L: number, D: number, bias: boolean, be: Be, seed: number): Tensor[] {
  const G = GATES[mode];
  const out: Tensor[] = [];
  for (let k = 0; k < L * D; k++) {
    const inF = k < D ? I : D * H;
    out.push(smooth([G * H, inF], seed + 10 * k, be).mul(0.5), smooth([G * H, H], seed + 10 * k + 1, be).mul(0.5));
    if (bias) out.push(smooth([G * H], seed + 10 * k + 2, be).mul(0.3), smooth([G * H], seed + 10 * k + 3, be).mul(0.3));
  }
  return out;
}

function groupsOf(ws: Tensor[], L: number, D: number, bias: boolean): Group[] {
  const per = bias ? 4 : 2;
  return Array.from({ length: L * D }, (_, k) => ({ wIh: ws[k * per], wHh: ws[k * per + 1], bIh: bias ? ws[k * per + 2] : null, bHh: bias ? ws[k * per + 3] : null }));
}

/** The functional op under test, by mode. */
function runOp(mode: Mode, x: Tensor, h0: Tensor | null, c0: Tensor | null, ws: Tensor[], opts: st.RnnOptions) {
  if (mode === 'lstm') return st.lstm(x, h0 ? [h0, c0!] : null, ws, opts);
  if (mode === 'gru') return { ...st.gru(x, h0, ws, opts), cN: null };
  return { ...st.rnn(x, h0, ws, { ...opts, nonlinearity: mode === 'rnnRelu' ? 'relu' : 'tanh' }), cN: null };
}

const MODES: Mode[] = ['lstm', 'gru', 'rnnTanh', 'rnnRelu'];
const EXACT = { atol: 1e-12, rtol: 1e-10 };

for (const be of backends()) {
  describe(`recurrent ops on ${be}`, () => {
    it('computes one LSTM, GRU and RNN step by hand (H = I = 1)', () => {
      const T = (v: number[], shape: number[]) => st.tensor(v, { shape, dtype: 'float64', backend: be });
      const sig = (v: number) => 1 / (1 + Math.exp(-v));
      // LSTM: gate rows i, f, g, o of W_ih = [.1, .2, .3, .4], W_hh = [.5, .6, .7, .8], b_ih = b_hh = .05
      const x = 2, h = 0.5, c = -1;
      const pre = [0.1, 0.2, 0.3, 0.4].map((w, k) => w * x + [0.5, 0.6, 0.7, 0.8][k] * h + 0.1);
      const c1 = sig(pre[1]) * c + sig(pre[0]) * Math.tanh(pre[2]);
      const h1 = sig(pre[3]) * Math.tanh(c1);
      const l = st.lstm(T([x], [1, 1, 1]), [T([h], [1, 1, 1]), T([c], [1, 1, 1])],
        [T([0.1, 0.2, 0.3, 0.4], [4, 1]), T([0.5, 0.6, 0.7, 0.8], [4, 1]), T([0.05, 0.05, 0.05, 0.05], [4]), T([0.05, 0.05, 0.05, 0.05], [4])]);
      assertClose(l.output, [h1], EXACT);
      assertClose(l.hN, [h1], EXACT);
      assertClose(l.cN, [c1], EXACT);
      // GRU: rows r, z, n; n = tanh(w_in·x + b_in + r·(w_hn·h + b_hn)) with b_ih = [0, 0, .2], b_hh = [0, 0, .3]
      const r = sig(0.1 * x + 0.4 * h), z = sig(0.2 * x + 0.5 * h), n = Math.tanh(0.3 * x + 0.2 + r * (0.6 * h + 0.3));
      const g = st.gru(T([x], [1, 1, 1]), T([h], [1, 1, 1]), [T([0.1, 0.2, 0.3], [3, 1]), T([0.4, 0.5, 0.6], [3, 1]), T([0, 0, 0.2], [3]), T([0, 0, 0.3], [3])]);
      assertClose(g.hN, [(1 - z) * n + z * h], EXACT);
      const e = st.rnn(T([x], [1, 1, 1]), T([h], [1, 1, 1]), [T([-0.7], [1, 1]), T([0.4], [1, 1]), T([0.1], [1]), T([0.2], [1])], { nonlinearity: 'relu' });
      assertClose(e.hN, [Math.max(0, -1.4 + 0.2 + 0.3)], EXACT);
      assertClose(st.rnn(T([x], [1, 1, 1]), T([h], [1, 1, 1]), [T([0.7], [1, 1]), T([0.4], [1, 1])], { bias: false }).hN, [Math.tanh(1.4 + 0.2)], EXACT);
    });

    const configs: { name: string; L: number; D: number; bias?: boolean; lengths?: number[]; batchFirst?: boolean }[] = [
      { name: '1 layer', L: 1, D: 1 },
      { name: 'bidirectional', L: 1, D: 2 },
      { name: '2 layers', L: 2, D: 1, bias: false },
      { name: '2 layers bidirectional with lengths', L: 2, D: 2, lengths: [4, 1, 3] },
      { name: 'batchFirst with lengths (one empty)', L: 1, D: 2, lengths: [2, 4, 0], batchFirst: true },
    ];

    it('matches the step-by-step reference exactly (values and gradients)', () => {
      const T = 4, B = 3, I = 3, H = 5;
      for (const mode of MODES) {
        for (const cfg of configs) {
          const bias = cfg.bias ?? true;
          const ws = makeWeights(mode, I, H, cfg.L, cfg.D, bias, be, 100).map((w) => w.requiresGrad_());
          const x = smooth([T, B, I], 1, be).requiresGrad_();
          const h0 = smooth([cfg.L * cfg.D, B, H], 2, be).mul(0.5).detach().requiresGrad_();
          const c0 = mode === 'lstm' ? smooth([cfg.L * cfg.D, B, H], 3, be).detach().requiresGrad_() : null;
          const leaves = [x, h0, ...(c0 ? [c0] : []), ...ws];
          const tag = `${be} ${mode} ${cfg.name}`;
          // the op, fed batch-first when asked
          const got = runOp(mode, cfg.batchFirst ? x.transpose(0, 1) : x, h0, c0, ws, { numLayers: cfg.L, bidirectional: cfg.D === 2, bias, lengths: cfg.lengths, batchFirst: cfg.batchFirst });
          const gotOut = cfg.batchFirst ? got.output.transpose(0, 1) : got.output;
          const groups = groupsOf(ws, cfg.L, cfg.D, bias);
          const want = cfg.lengths ? refPadded(mode, x, cfg.lengths, h0, c0, groups, cfg.L, cfg.D) : refStack(mode, x, h0, c0, groups, cfg.L, cfg.D);
          assert.deepEqual(gotOut.shape, [T, B, cfg.D * H], `${tag}: output shape`);
          assertClose(gotOut, want.output, EXACT, `${tag}: output`);
          assertClose(got.hN, want.hN, EXACT, `${tag}: hN`);
          if (c0) assertClose(got.cN!, want.cN!, EXACT, `${tag}: cN`);
          // gradients of one projection of every output, through the kernels and through the reference
          const w1 = smooth(gotOut.shape.slice(), 7, be), w2 = smooth(got.hN.shape.slice(), 8, be);
          const lossOf = (o: typeof got) => {
            let l = o.output.mul(w1).sum().add(o.hN.mul(w2).sum());
            if (o.cN) l = l.add(o.cN.mul(w2).sum());
            return l;
          };
          const gradsOf = (o: typeof got) => st.grad(lossOf(o), leaves);
          const gk = gradsOf({ output: gotOut, hN: got.hN, cN: got.cN });
          const gr = gradsOf(want);
          gk.forEach((g, i) => assertClose(g!, gr[i]!, EXACT, `${tag}: gradient of input ${i}`));
        }
      }
    });

    it('computes the gradients asked for (frozen weights, trainable biases and state)', () => {
      const T = 3, B = 2, I = 2, H = 3;
      for (const mode of MODES) {
        const ws = makeWeights(mode, I, H, 1, 1, true, be, 200);
        ws[2].requiresGrad_();
        ws[3].requiresGrad_();
        const x = smooth([T, B, I], 5, be), h0 = smooth([1, B, H], 6, be).requiresGrad_();
        const c0 = mode === 'lstm' ? smooth([1, B, H], 7, be) : null;
        const leaves = [h0, ws[2], ws[3]];
        const got = st.grad(runOp(mode, x, h0, c0, ws, {}).output.sum(), leaves);
        const want = st.grad(refStack(mode, x, h0, c0, groupsOf(ws, 1, 1, true), 1, 1).output.sum(), leaves);
        got.forEach((g, i) => assertClose(g!, want[i]!, EXACT, `${be} ${mode} gradient ${i}`));
      }
    });

    it('treats masked steps as padding anywhere in the sequence', () => {
      // steps 1 and 3 of sequence 0 masked: the same as running sequence 0 without them (outputs 0 there)
      const T = 4, B = 2, I = 2, H = 3;
      for (const mode of MODES) {
        const ws = makeWeights(mode, I, H, 1, 2, true, be, 300);
        const x = smooth([T, B, I], 4, be);
        const mask = st.tensor([[true, true], [false, true], [true, true], [false, true]], { backend: be });
        const got = runOp(mode, x, null, null, ws, { bidirectional: true, mask });
        const zero = st.zeros([2, 1, H], { dtype: 'float64', backend: be });
        const ref0 = refStack(mode, st.stack([x.select(0, 0), x.select(0, 2)], 0).slice(1, 0, 1), zero, mode === 'lstm' ? zero : null, groupsOf(ws, 1, 2, true), 1, 2);
        const out = got.output.select(1, 0);
        assertClose(out.select(0, 0), ref0.output.select(0, 0).reshape([2 * H]), EXACT, `${mode} step 0`);
        assertClose(out.select(0, 2), ref0.output.select(0, 1).reshape([2 * H]), EXACT, `${mode} step 2`);
        assertClose(out.select(0, 1), new Array(2 * H).fill(0), EXACT, `${mode} masked step`);
        assertClose(out.select(0, 3), new Array(2 * H).fill(0), EXACT, `${mode} masked step`);
        assertClose(got.hN.select(1, 0), ref0.hN.select(1, 0), EXACT, `${mode} hN`);
        // an all-true mask changes nothing; batch-first masks are [B, T]
        const plain = runOp(mode, x, null, null, ws, { bidirectional: true });
        assertClose(runOp(mode, x, null, null, ws, { bidirectional: true, mask: st.ones([T, B], { backend: be }) }).output, plain.output, EXACT);
        const bf = runOp(mode, x.transpose(0, 1), null, null, ws, { bidirectional: true, batchFirst: true, mask: mask.transpose(0, 1) });
        assertClose(bf.output.transpose(0, 1), got.output, EXACT, `${mode} batchFirst mask`);
        // lengths as an int64 tensor mean the same as an array
        const lens = st.tensor([3, 1], { dtype: 'int64', backend: be });
        assertClose(runOp(mode, x, null, null, ws, { bidirectional: true, lengths: lens }).hN, runOp(mode, x, null, null, ws, { bidirectional: true, lengths: [3, 1] }).hN, EXACT);
      }
    });

    it('runs unbatched inputs and the cells', () => {
      const I = 3, H = 4;
      for (const mode of MODES) {
        const ws = makeWeights(mode, I, H, 1, 1, true, be, 500);
        const x = smooth([5, I], 9, be);
        const batched = runOp(mode, x.unsqueeze(1), null, null, ws, {});
        const un = runOp(mode, x, null, null, ws, {});
        assert.deepEqual(un.output.shape, [5, H]);
        assert.deepEqual(un.hN.shape, [1, H]);
        assertClose(un.output, batched.output.squeeze(1), EXACT);
        // a cell is one step of the layer; its unbatched form [I] gives [H]
        const xb = smooth([2, I], 10, be), h = smooth([2, H], 11, be).mul(0.5), c = smooth([2, H], 12, be);
        const g = groupsOf(ws, 1, 1, true)[0];
        const [wantH, wantC] = refCell(mode, xb, h, c, g);
        if (mode === 'lstm') {
          const [h1, c1] = st.lstmCell(xb, [h, c], g.wIh, g.wHh, g.bIh, g.bHh);
          assertClose(h1, wantH, EXACT);
          assertClose(c1, wantC!, EXACT);
          const [hu] = st.lstmCell(xb.select(0, 1), [h.select(0, 1), c.select(0, 1)], g.wIh, g.wHh, g.bIh, g.bHh);
          assertClose(hu, wantH.select(0, 1), EXACT);
        } else if (mode === 'gru') {
          assertClose(st.gruCell(xb, h, g.wIh, g.wHh, g.bIh, g.bHh), wantH, EXACT);
        } else {
          assertClose(st.rnnCell(xb, h, g.wIh, g.wHh, g.bIh, g.bHh, mode === 'rnnRelu' ? 'relu' : 'tanh'), wantH, EXACT);
          assertClose(st.rnnCell(xb.select(0, 0), h.select(0, 0), g.wIh, g.wHh, g.bIh, g.bHh, mode === 'rnnRelu' ? 'relu' : 'tanh'), wantH.select(0, 0), EXACT);
        }
      }
    });

    it('has exact gradients in every kernel (float64 finite differences)', () => {
      const T = 3, B = 2, I = 2, H = 2;
      const s = (shape: number[], seed: number, k = 1) => smooth(shape, seed, be).mul(k);
      for (const mode of MODES) {
        const G = GATES[mode];
        const w = () => [s([G * H, I], 20, 0.5), s([G * H, H], 21, 0.5), s([G * H], 22, 0.3), s([G * H], 23, 0.3)];
        const lstmLike = mode === 'lstm';
        // forward and reverse kernels (one bidirectional layer), with and without padding; h0, c0 given
        for (const lengths of [undefined, [3, 2]]) {
          const ws = [...w(), s([G * H, I], 24, 0.5), s([G * H, H], 25, 0.5), s([G * H], 26, 0.3), s([G * H], 27, 0.3)];
          const inputs = [s([T, B, I], 28), s([2, B, H], 29, 0.5), ...(lstmLike ? [s([2, B, H], 30)] : []), ...ws];
          gradcheck((...t) => {
            const [x, h0] = t, c0 = lstmLike ? t[2] : null;
            const r = runOp(mode, x, h0, c0, t.slice(lstmLike ? 3 : 2), { bidirectional: true, lengths });
            return [r.output, r.hN, ...(r.cN ? [r.cN] : [])];
          }, inputs, { name: `${be} ${mode} bidirectional${lengths ? ' lengths' : ''}` });
        }
        // two layers without biases, default (zero) initial state
        gradcheck((x, ...ws) => runOp(mode, x, null, null, ws, { numLayers: 2, bias: false }).output,
          [s([T, B, I], 31), s([G * H, I], 32, 0.5), s([G * H, H], 33, 0.5), s([G * H, H], 34, 0.5), s([G * H, H], 35, 0.5)],
          { name: `${be} ${mode} 2 layers` });
      }
    });

    it('applies dropout between layers only when training', () => {
      const ws = makeWeights('gru', 2, 3, 2, 1, true, be, 700);
      const x = smooth([4, 2, 2], 13, be);
      const run = (training: boolean, seed: number) => st.gru(x, null, ws, { numLayers: 2, dropout: 0.5, training, generator: new st.Generator(seed) }).output;
      assertClose(run(false, 1), run(false, 2), EXACT);
      assertClose(run(false, 1), st.gru(x, null, ws, { numLayers: 2 }).output, EXACT);
      assert.ok(!run(true, 1).allclose(run(true, 2)), 'different dropout masks give different outputs');
      // p = 1 drops everything: the second layer sees zeros, so its output is that of a zero input
      const all = st.gru(x, null, ws, { numLayers: 2, dropout: 1, training: true }).output;
      const zeroIn = st.gru(st.zeros([4, 2, 3], { dtype: 'float64', backend: be }), null, ws.slice(4), {}).output;
      assertClose(all, zeroIn, EXACT);
    });

    it('frees what it does not save and keeps memory flat over training steps', () => {
      const m = new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true }).to(be);
      const x = st.randn([5, 2, 3], { backend: be });
      const step = () => st.tidy(() => {
        const [out] = m.forward(x, null, { lengths: [5, 3] });
        out.sum().backward();
      });
      step();
      const before = st.memory().tensors;
      for (let i = 0; i < 3; i++) step();
      assert.equal(st.memory().tensors, before);
      const inf = st.memory().tensors;
      st.tidy(() => {
        st.noGrad(() => m.forward(x));
      });
      assert.equal(st.memory().tensors, inf);
      m.dispose();
    });

    it('rejects bad shapes and arguments with errors naming the layer and shapes', () => {
      const z = (shape: number[], dtype: st.DType = 'float32') => st.zeros(shape, { backend: be, dtype });
      const lstm = new nn.LSTM(8, 4, { numLayers: 2 }).to(be);
      assert.throws(() => lstm.forward(z([5, 3, 10])), /LSTM: input of shape \[5,3,10\] has 10 features, but the layer expects inputSize 8 \(weight_ih_l0 is \[16,8\]\)/);
      assert.throws(() => lstm.forward(z([5, 3, 8]), [z([1, 3, 4]), z([2, 3, 4])]), /LSTM: expected h0 of shape \[2,3,4\] \(numLayers·directions, batch, hiddenSize\) for input of shape \[5,3,8\], got \[1,3,4\]/);
      assert.throws(() => lstm.forward(z([5, 3, 8]), [z([2, 3, 4]), z([2, 2, 4])]), /LSTM: expected c0 of shape \[2,3,4\] .* got \[2,2,4\]/);
      assert.throws(() => lstm.forward(z([5, 8]), [z([2, 3, 4]), z([2, 3, 4])]), /LSTM: expected h0 of shape \[2,4\] \(numLayers·directions, hiddenSize\) for input of shape \[5,8\], got \[2,3,4\]/);
      assert.throws(() => lstm.forward(z([5, 3, 8]), [z([2, 3, 4])] as never), /LSTM: hx must be a pair \[h0, c0\]/);
      assert.throws(() => lstm.forward(z([2, 5, 3, 8])), /LSTM: expected a 3-D \(batched\) or 2-D \(unbatched\) input, got shape \[2,5,3,8\]/);
      assert.throws(() => lstm.forward(z([5, 3, 8], 'float64')), /LSTM: weight_ih_l0 is float32 but the input is float64/);
      assert.throws(() => lstm.forward(z([5, 3, 8], 'int32')), /LSTM: expected input to be float32 or float64/);
      assert.throws(() => lstm.forward(z([0, 3, 8])), /LSTM: input of shape \[0,3,8\] has no time steps/);
      const gru = new nn.GRU(2, 3, { batchFirst: true, bidirectional: true }).to(be);
      assert.throws(() => gru.forward(z([4, 5, 2]), z([1, 4, 3])), /GRU: expected hx of shape \[2,4,3\] .* got \[1,4,3\]/);
      assert.throws(() => gru.forward(z([4, 5, 2]), null, { lengths: [5, 5, 5] }), /GRU: lengths has 3 entries but the batch has 4 sequences/);
      assert.throws(() => gru.forward(z([4, 5, 2]), null, { lengths: [5, 6, 1, 1] }), /GRU: lengths\[1\] = 6 is out of range: lengths must be integers in \[0, 5\]/);
      assert.throws(() => gru.forward(z([4, 5, 2]), null, { lengths: st.tensor([1, 2, 3, 4], { backend: be }) }), /GRU: lengths must be an int64 or int32 tensor, got float32/);
      assert.throws(() => gru.forward(z([4, 5, 2]), null, { mask: z([5, 4]) }), /GRU: mask must have shape \[4,5\] \(batch, seq\) for input of shape \[4,5,2\], got \[5,4\]/);
      assert.throws(() => gru.forward(z([4, 5, 2]), null, { mask: z([4, 5]), lengths: [1, 1, 1, 1] }), /GRU: pass either lengths or mask, not both/);
      assert.throws(() => new nn.RNN(2, 3, { nonlinearity: 'sigmoid' as never }), /RNN: nonlinearity must be 'tanh' or 'relu'/);
      assert.throws(() => new nn.LSTM(2, 0), /LSTM: hiddenSize must be a positive integer, got 0/);
      assert.throws(() => new nn.GRU(2, 3, { dropout: 1.5 }), /GRU: dropout must be a probability in \[0, 1\]/);
      assert.throws(() => st.lstm(z([2, 1, 3]), null, [z([8, 3]), z([8, 2])], { bias: true }), /lstm: expected 4 weight tensors \(1 layer × 1 direction × \[wIh, wHh, bIh, bHh\]\), got 2/);
      assert.throws(() => st.gru(z([2, 1, 3]), null, [z([6, 3]), z([6, 3])], { bias: false }), /gru: weight_hh_l0 must be \[3·hiddenSize, hiddenSize\], got \[6,3\]/);
      assert.throws(() => st.rnn(z([2, 1, 3]), null, [z([2, 3]), z([2, 2]), z([2]), z([3])]), /rnn: bias_hh_l0 must be \[2\], got \[3\]/);
      const cell = new nn.LSTMCell(3, 2).to(be);
      assert.throws(() => cell.forward(z([4, 5])), /LSTMCell: input of shape \[4,5\] has 5 features, but the cell expects inputSize 3 \(weight_ih is \[8,3\]\)/);
      assert.throws(() => cell.forward(z([4, 3]), [z([4, 2]), z([3, 2])]), /LSTMCell: expected c of shape \[4,2\] for input of shape \[4,3\], got \[3,2\]/);
      assert.throws(() => new nn.GRUCell(3, 2).to(be).forward(z([4, 3]), z([4, 3])), /GRUCell: expected hx of shape \[4,2\] for input of shape \[4,3\], got \[4,3\]/);
      assert.throws(() => new nn.RNNCell(3, 2).to(be).forward(z([2, 4, 3])), /RNNCell: expected a 2-D \[batch, inputSize\] or 1-D \[inputSize\] input, got shape \[2,4,3\]/);
    });

    it('does not support double backward through its gradient kernels', () => {
      const ws = makeWeights('lstm', 2, 2, 1, 1, true, be, 900).map((w) => w.requiresGrad_());
      const x = smooth([2, 1, 2], 1, be).requiresGrad_();
      const [gx] = st.grad(st.lstm(x, null, ws).output.sum(), [x], { createGraph: true });
      assert.throws(() => gx!.sum().backward(), /double backward through lstm is not supported/);
    });
  });

  describe(`recurrent layers on ${be}`, () => {
    /** Parameters of a stacked layer, from the layout: G·H·(in + H) weights and 2·G·H biases per layer and direction. */
    const expectedParams = (G: number, I: number, H: number, L: number, D: number, bias: boolean) => {
      let n = 0;
      for (let l = 0; l < L; l++) n += D * (G * H * ((l === 0 ? I : D * H) + H) + (bias ? 2 * G * H : 0));
      return n;
    };
    const layers: [string, () => st.nn.Module, number, [number, number, number, number, boolean]][] = [
      ['RNN relu', () => new nn.RNN(3, 5, { nonlinearity: 'relu' }), 1, [3, 5, 1, 1, true]],
      ['LSTM 2 layers bidirectional', () => new nn.LSTM(3, 5, { numLayers: 2, bidirectional: true }), 4, [3, 5, 2, 2, true]],
      ['GRU batchFirst no bias', () => new nn.GRU(3, 5, { batchFirst: true, bias: false }), 3, [3, 5, 1, 1, false]],
    ];

    for (const [name, make, G, [I, H, L, D, bias]] of layers) {
      it(`${name}: shapes, parameter count, state dict round trip, one training step`, () => {
        st.manualSeed(3);
        const m = make().to(be);
        const bf = (m as st.nn.GRU).batchFirst;
        assert.equal(m.numParameters(), expectedParams(G, I, H, L, D, bias));
        const x = st.randn(bf ? [2, 6, I] : [6, 2, I], { backend: be });
        const [out, h] = m.forward(x) as [Tensor, Tensor | [Tensor, Tensor]];
        assert.deepEqual(out.shape, bf ? [2, 6, D * H] : [6, 2, D * H]);
        for (const s of Array.isArray(h) ? h : [h]) assert.deepEqual(s.shape, [L * D, 2, H]);
        // PyTorch's init: U(−1/√H, 1/√H) everywhere
        const bound = 1 / Math.sqrt(H);
        for (const p of m.parameters()) assert.ok(flat(p).every((v) => Math.abs(v) <= bound), 'init within ±1/√hiddenSize');
        const fresh = make().to(be);
        fresh.loadStateDict(m.stateDict());
        assertClose((fresh.forward(x) as [Tensor])[0], out, { atol: 0, rtol: 0 });
        // one SGD step on a regression target lowers the loss
        const target = st.randn(out.shape.slice(), { backend: be }).mul(0.5);
        const lossOf = () => (m.forward(x) as [Tensor])[0].sub(target).square().mean();
        const opt = new st.optim.SGD(m.parameters(), { lr: 0.5 });
        const l0 = lossOf();
        l0.backward();
        opt.step();
        assert.ok(lossOf().item() < l0.item(), 'loss goes down');
      });
    }

    it('names parameters as PyTorch does', () => {
      const m = new nn.LSTM(3, 5, { numLayers: 2, bidirectional: true });
      const names = [];
      for (const l of [0, 1]) for (const s of ['', '_reverse']) names.push(...['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((k) => `${k}_l${l}${s}`));
      assert.deepEqual(Object.keys(m.stateDict()), names);
      assert.deepEqual(m.stateDict().weight_ih_l1_reverse.shape, [20, 10]);
      assert.deepEqual(Object.keys(new nn.GRUCell(2, 3).stateDict()), ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']);
      assert.deepEqual(Object.keys(new nn.RNN(2, 3, { bias: false }).stateDict()), ['weight_ih_l0', 'weight_hh_l0']);
      assert.equal(String(new nn.GRU(2, 3, { numLayers: 2, batchFirst: true })), 'GRU(2, 3, numLayers=2, batchFirst=true)');
    });

    for (const [name, make, G] of [['RNNCell', () => new nn.RNNCell(3, 4, { nonlinearity: 'relu' }), 1], ['LSTMCell', () => new nn.LSTMCell(3, 4), 4], ['GRUCell', () => new nn.GRUCell(3, 4, { bias: false }), 3]] as const) {
      it(`${name}: shapes, parameter count, round trip, one training step`, () => {
        const m = (make as () => st.nn.Module)().to(be);
        const bias = name !== 'GRUCell';
        assert.equal(m.numParameters(), G * 4 * (3 + 4) + (bias ? 2 * G * 4 : 0));
        const x = st.randn([2, 3], { backend: be });
        const outOf = (mm: st.nn.Module) => { const r = mm.forward(x); return Array.isArray(r) ? r[0] : r; };
        const y = outOf(m);
        assert.deepEqual(y.shape, [2, 4]);
        const fresh = (make as () => st.nn.Module)().to(be);
        fresh.loadStateDict(m.stateDict());
        assertClose(outOf(fresh), y, { atol: 0, rtol: 0 });
        const target = st.randn([2, 4], { backend: be }).mul(0.5);
        const opt = new st.optim.SGD(m.parameters(), { lr: 0.5 });
        const l0 = outOf(m).sub(target).square().mean();
        l0.backward();
        opt.step();
        assert.ok(outOf(m).sub(target).square().mean().item() < l0.item(), 'loss goes down');
      });
    }
  });
}

// ---------------------------------------------------------------- parity

describe('recurrent kernels: native vs js', () => {
  const cases = (tol: { atol: number; rtol: number }) => {
    const r = (shape: number[], k = 1) => st.randn(shape, { backend: 'js' }).mul(k);
    for (const mode of MODES) {
      const G = GATES[mode];
      // H = 12: one 8-lane block and a scalar tail in the vectorised loops
      const H = 12, I = 5, T = 6, B = 4;
      const ws = () => [r([G * H, I], 0.3), r([G * H, H], 0.3), r([G * H], 0.2), r([G * H], 0.2), r([G * H, I], 0.3), r([G * H, H], 0.3), r([G * H], 0.2), r([G * H], 0.2)];
      const cN = (o: { cN: Tensor | null }) => (o.cN ? [o.cN] : []);
      parity((x, h0, ...w) => { const o = runOp(mode, x, h0, mode === 'lstm' ? h0.mul(-1) : null, w, { bidirectional: true }); return [o.output, o.hN, ...cN(o)]; },
        [r([T, B, I]), r([2, B, H], 0.5), ...ws()], { ...tol, name: `${mode} bidirectional` });
      parity((x, ...w) => { const o = runOp(mode, x.permute(1, 0, 2), null, null, w, { bidirectional: true, batchFirst: true, lengths: [6, 2, 0, 5] }); return [o.output, o.hN, ...cN(o)]; },
        [r([T, B, I]), ...ws()], { ...tol, name: `${mode} batchFirst lengths on a permuted input` });
      parity((x, ...w) => { const o = runOp(mode, x, null, null, w, { numLayers: 2, mask: st.tensor([[1, 0, 1, 1], [0, 1, 1, 1], [1, 1, 0, 1], [1, 1, 1, 1], [1, 0, 1, 0], [0, 1, 1, 1]], { backend: x.backend.name, dtype: 'bool' }) }); return [o.output, o.hN, ...cN(o)]; },
        [r([T, B, I]), r([G * H, I], 0.3), r([G * H, H], 0.3), r([G * H], 0.2), r([G * H], 0.2), r([G * H, H], 0.3), r([G * H, H], 0.3), r([G * H], 0.2), r([G * H], 0.2)], { ...tol, name: `${mode} 2 layers with a mask` });
    }
  };

  it('matches on float32 sequences (vectorised loops, tails, masks, both directions)', () => {
    if (!hasNative()) return;
    cases({ atol: 2e-5, rtol: 2e-4 });
  });

  it("matches with native's ATen-op step path (what non-CPU devices run)", () => {
    if (!hasNative()) return;
    const addon = loadAddon() as unknown as { rnnUseGeneric(on: boolean): void };
    addon.rnnUseGeneric(true);
    try {
      cases({ atol: 2e-5, rtol: 2e-4 });
    } finally {
      addon.rnnUseGeneric(false);
    }
  });

  it('matches on a wide LSTM and GRU (threaded steps, float32)', () => {
    if (!hasNative()) return;
    const r = (shape: number[], k = 1) => st.randn(shape, { backend: 'js' }).mul(k);
    const H = 64, I = 16, T = 4, B = 40;
    parity((x, ...w) => st.lstm(x, null, w).output, [r([T, B, I]), r([4 * H, I], 0.2), r([4 * H, H], 0.2), r([4 * H], 0.1), r([4 * H], 0.1)], { atol: 5e-5, rtol: 5e-4, name: 'wide lstm' });
    parity((x, ...w) => st.gru(x, null, w).output, [r([T, B, I]), r([3 * H, I], 0.2), r([3 * H, H], 0.2), r([3 * H], 0.1), r([3 * H], 0.1)], { atol: 5e-5, rtol: 5e-4, name: 'wide gru' });
  });
});

// ---------------------------------------------------------------- PyTorch interop

const PY = '/usr/bin/python3';
const hasTorch = spawnSync(PY, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

// Builds the module in float64 from a config on stdin, runs it (packed when lengths are given), backpropagates
// Σ w·output + Σ w·states, and prints the state dict, inputs, weights, outputs and gradients as JSON.
const TORCH_SCRIPT = String.raw`
import json, sys, torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
cfg = json.loads(sys.stdin.read())
torch.manual_seed(cfg['seed'])
torch.set_default_dtype(torch.float64)
enc = lambda t: {'shape': list(t.shape), 'data': t.detach().flatten().tolist()}
kind, I, H, B, T = cfg['kind'], cfg['I'], cfg['H'], cfg['B'], cfg['T']
res = {}
if kind.endswith('Cell'):
    kw = {'nonlinearity': cfg['nonlinearity']} if kind == 'RNNCell' else {}
    m = getattr(torch.nn, kind)(I, H, bias=cfg['bias'], **kw)
    x = torch.randn(B, I, requires_grad=True)
    h = torch.randn(B, H, requires_grad=True)
    c = torch.randn(B, H, requires_grad=True)
    out = m(x, (h, c)) if kind == 'LSTMCell' else m(x, h)
    outs = list(out) if kind == 'LSTMCell' else [out]
    leaves = {'x': x, 'h0': h, 'c0': c} if kind == 'LSTMCell' else {'x': x, 'h0': h}
else:
    D = 2 if cfg['bidirectional'] else 1
    kw = {'nonlinearity': cfg['nonlinearity']} if kind == 'RNN' else {}
    m = getattr(torch.nn, kind)(I, H, num_layers=cfg['numLayers'], bias=cfg['bias'], batch_first=cfg['batchFirst'], bidirectional=cfg['bidirectional'], **kw)
    x = torch.randn(*((B, T, I) if cfg['batchFirst'] else (T, B, I)), requires_grad=True)
    h0 = torch.randn(cfg['numLayers'] * D, B, H, requires_grad=True)
    c0 = torch.randn(cfg['numLayers'] * D, B, H, requires_grad=True)
    hx = (h0, c0) if kind == 'LSTM' else h0
    if cfg['lengths']:
        packed = pack_padded_sequence(x, torch.tensor(cfg['lengths']), batch_first=cfg['batchFirst'], enforce_sorted=False)
        out, hn = m(packed, hx)
        out, _ = pad_packed_sequence(out, batch_first=cfg['batchFirst'], total_length=T)
    else:
        out, hn = m(x, hx)
    outs = [out] + (list(hn) if kind == 'LSTM' else [hn])
    leaves = {'x': x, 'h0': h0, 'c0': c0} if kind == 'LSTM' else {'x': x, 'h0': h0}
ws = [torch.randn_like(o) for o in outs]
sum((o * w).sum() for o, w in zip(outs, ws)).backward()
res['state'] = {k: enc(v) for k, v in m.state_dict().items()}
res['inputs'] = {k: enc(v) for k, v in leaves.items()}
res['weights'] = [enc(w) for w in ws]
res['outputs'] = [enc(o) for o in outs]
res['grads'] = {k: enc(v.grad) for k, v in list(leaves.items()) + list(m.named_parameters())}
print(json.dumps(res))
`;

interface Enc { shape: number[]; data: number[] }
interface TorchResult { state: Record<string, Enc>; inputs: Record<string, Enc>; weights: Enc[]; outputs: Enc[]; grads: Record<string, Enc> }

function torchRun(cfg: Record<string, unknown>): TorchResult {
  const r = spawnSync(PY, ['-c', TORCH_SCRIPT], { input: JSON.stringify(cfg), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as TorchResult;
}

describe('PyTorch interop (torch 1.13, float64)', () => {
  if (!hasTorch) {
    it('needs PyTorch', (t) => t.skip(`${PY} -c 'import torch' failed: install python3-torch to compare with PyTorch`));
    return;
  }
  const dec = (e: Enc, be: Be) => st.tensor(e.data, { shape: e.shape, dtype: 'float64', backend: be });
  const TOL = { atol: 1e-10, rtol: 1e-8 };
  const layerCfgs = [
    { kind: 'LSTM', numLayers: 2, bidirectional: true, batchFirst: false, bias: true, lengths: [5, 2, 4], nonlinearity: 'tanh' },
    { kind: 'LSTM', numLayers: 1, bidirectional: false, batchFirst: true, bias: false, lengths: null, nonlinearity: 'tanh' },
    { kind: 'GRU', numLayers: 2, bidirectional: true, batchFirst: true, bias: true, lengths: [3, 5, 1], nonlinearity: 'tanh' },
    { kind: 'GRU', numLayers: 1, bidirectional: false, batchFirst: false, bias: true, lengths: null, nonlinearity: 'tanh' },
    { kind: 'RNN', numLayers: 2, bidirectional: false, batchFirst: false, bias: true, lengths: [2, 5, 5], nonlinearity: 'relu' },
    { kind: 'RNN', numLayers: 1, bidirectional: true, batchFirst: false, bias: true, lengths: null, nonlinearity: 'tanh' },
  ];
  for (const be of backends()) {
    for (const cfg of layerCfgs) {
      it(`${be}: ${cfg.kind} ${JSON.stringify(cfg)} loads PyTorch's state dict and matches outputs and gradients`, () => {
        const I = 3, H = 4, B = 3, T = 5;
        const t = torchRun({ ...cfg, seed: 11, I, H, B, T });
        const Cls = { LSTM: nn.LSTM, GRU: nn.GRU, RNN: nn.RNN }[cfg.kind as 'LSTM'];
        const m = new Cls(I, H, { numLayers: cfg.numLayers, bidirectional: cfg.bidirectional, batchFirst: cfg.batchFirst, bias: cfg.bias, nonlinearity: cfg.nonlinearity, dtype: 'float64' } as never).to(be);
        m.loadStateDict(Object.fromEntries(Object.entries(t.state).map(([k, v]) => [k, dec(v, be)])));
        const x = dec(t.inputs.x, be).requiresGrad_(), h0 = dec(t.inputs.h0, be).requiresGrad_();
        const c0 = t.inputs.c0 ? dec(t.inputs.c0, be).requiresGrad_() : null;
        const opts = cfg.lengths ? { lengths: cfg.lengths } : undefined;
        const [out, h] = (m.forward as (...a: unknown[]) => [Tensor, Tensor | [Tensor, Tensor]])(x, c0 ? [h0, c0] : h0, opts);
        const outs = [out, ...(Array.isArray(h) ? h : [h])];
        outs.forEach((o, i) => assertClose(o, dec(t.outputs[i], be), TOL, `output ${i}`));
        outs.map((o, i) => o.mul(dec(t.weights[i], be)).sum()).reduce((a, b) => a.add(b)).backward();
        assertClose(x.grad!, dec(t.grads.x, be), TOL, 'grad x');
        assertClose(h0.grad!, dec(t.grads.h0, be), TOL, 'grad h0');
        if (c0) assertClose(c0.grad!, dec(t.grads.c0, be), TOL, 'grad c0');
        for (const [k, p] of m.namedParameters()) assertClose(p.grad!, dec(t.grads[k], be), TOL, `grad ${k}`);
      });
    }
    for (const kind of ['LSTMCell', 'GRUCell', 'RNNCell'] as const) {
      it(`${be}: ${kind} matches PyTorch`, () => {
        const I = 3, H = 4, B = 2;
        const t = torchRun({ kind, seed: 5, I, H, B, T: 1, bias: true, nonlinearity: 'relu' });
        const m = kind === 'LSTMCell' ? new nn.LSTMCell(I, H, { dtype: 'float64' }) : kind === 'GRUCell' ? new nn.GRUCell(I, H, { dtype: 'float64' }) : new nn.RNNCell(I, H, { nonlinearity: 'relu', dtype: 'float64' });
        m.to(be).loadStateDict(Object.fromEntries(Object.entries(t.state).map(([k, v]) => [k, dec(v, be)])));
        const x = dec(t.inputs.x, be).requiresGrad_(), h = dec(t.inputs.h0, be).requiresGrad_();
        const c = t.inputs.c0 ? dec(t.inputs.c0, be).requiresGrad_() : null;
        const r = (m.forward as (...a: unknown[]) => Tensor | [Tensor, Tensor])(x, c ? [h, c] : h);
        const outs = Array.isArray(r) ? r : [r];
        outs.forEach((o, i) => assertClose(o, dec(t.outputs[i], be), TOL, `output ${i}`));
        outs.map((o, i) => o.mul(dec(t.weights[i], be)).sum()).reduce((a, b) => a.add(b)).backward();
        assertClose(x.grad!, dec(t.grads.x, be), TOL, 'grad x');
        assertClose(h.grad!, dec(t.grads.h0, be), TOL, 'grad h');
        for (const [k, p] of m.namedParameters()) assertClose(p.grad!, dec(t.grads[k], be), TOL, `grad ${k}`);
      });
    }
  }
});
