// Optimizers, clipping and schedulers against hand-computed updates, on every backend.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose, backends, st } from './helpers.js';

const { optim, nn } = st;

/** A single parameter with a fixed gradient g, stepped n times; returns the parameter values. */
function run(be: 'js' | 'native', make: (p: st.Tensor[]) => st.optim.Optimizer<st.optim.GroupBase>, g: number[], steps: number, init = [1, -2]): number[][] {
  const p = nn.Parameter(st.tensor(init, { backend: be, dtype: 'float64' }));
  const opt = make([p]);
  const out: number[][] = [];
  for (let i = 0; i < steps; i++) {
    p.grad = st.keep(st.tensor(g, { backend: be, dtype: 'float64' }));
    opt.step();
    out.push(p.toArray() as number[]);
  }
  return out;
}

for (const be of backends()) {
  describe(`optimizers on ${be}`, () => {
    it('SGD: plain, momentum, Nesterov and weight decay follow torch.optim.SGD', () => {
      // plain: p ← p − lr·g
      assertClose(run(be, (p) => new optim.SGD(p, { lr: 0.1 }), [0.5, -1], 2).flat(), [0.95, -1.9, 0.9, -1.8], { atol: 1e-12 });
      // momentum 0.9: b1 = g, b2 = 0.9·g + g = 1.9g
      assertClose(run(be, (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9 }), [1, 1], 2).flat(), [0.9, -2.1, 0.71, -2.29], { atol: 1e-12 });
      // nesterov: d = g + 0.9·b; b1 = g → d1 = 1.9g; b2 = 1.9g → d2 = g + 1.71g = 2.71g
      assertClose(run(be, (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true }), [1, 1], 2).flat(), [0.81, -2.19, 0.539, -2.461], { atol: 1e-12 });
      // weight decay 0.5: g' = g + 0.5·p = 1 + 0.5 = 1.5 for p = 1
      assertClose(run(be, (p) => new optim.SGD(p, { lr: 0.1, weightDecay: 0.5 }), [1, 0], 1, [1, 2]).flat(), [0.85, 1.9], { atol: 1e-12 });
    });

    it('Adam: the first steps equal lr·sign(g) (bias correction), amsgrad and AdamW decay', () => {
      // with a constant gradient, m̂ = g and v̂ = g², so each step moves lr·g/(|g|+ε)
      const adam = run(be, (p) => new optim.Adam(p, { lr: 0.1, eps: 0 }), [0.5, -3], 3).flat();
      assertClose(adam, [0.9, -1.9, 0.8, -1.8, 0.7, -1.7], { atol: 1e-12 });
      const ams = run(be, (p) => new optim.Adam(p, { lr: 0.1, eps: 0, amsgrad: true }), [0.5, -3], 2).flat();
      assertClose(ams, [0.9, -1.9, 0.8, -1.8], { atol: 1e-12 });
      // AdamW: p ← p·(1 − lr·wd) − lr·ĝ; wd 0.1: 1·0.99 − 0.1 = 0.89
      const w = run(be, (p) => new optim.AdamW(p, { lr: 0.1, eps: 0, weightDecay: 0.1 }), [0.5, -3], 1).flat();
      assertClose(w, [0.89, -2 * 0.99 + 0.1], { atol: 1e-12 });
      // Adam with L2: g' = g + wd·p = 0.5 + 0.1 = 0.6; still moves lr·sign on step 1
      const l2 = run(be, (p) => new optim.Adam(p, { lr: 0.1, eps: 0, weightDecay: 0.1 }), [0.5, -3], 1).flat();
      assertClose(l2, [0.9, -1.9], { atol: 1e-12 });
    });

    it('RMSprop and Adagrad follow their update rules', () => {
      // RMSprop α = 0.9: v = 0.1·g² → p − lr·g/(√v + ε) = p − lr·g/(|g|·√0.1)
      const r = run(be, (p) => new optim.RMSprop(p, { lr: 0.01, alpha: 0.9, eps: 0 }), [2, -1], 1).flat();
      assertClose(r, [1 - 0.01 / Math.sqrt(0.1), -2 + 0.01 / Math.sqrt(0.1)], { atol: 1e-12 });
      // Adagrad: sum = g² → p − lr·g/|g|; second step sum = 2g² → p − lr/√2
      const a = run(be, (p) => new optim.Adagrad(p, { lr: 0.1, eps: 0 }), [2, -1], 2).flat();
      assertClose(a, [0.9, -1.9, 0.9 - 0.1 / Math.SQRT2, -1.9 + 0.1 / Math.SQRT2], { atol: 1e-12 });
    });

    it('clips gradients by norm and value', () => {
      const p = nn.Parameter(st.tensor([0, 0], { backend: be }));
      const q = nn.Parameter(st.tensor([0], { backend: be }));
      p.grad = st.keep(st.tensor([3, 0], { backend: be }));
      q.grad = st.keep(st.tensor([4], { backend: be }));
      const norm = optim.clipGradNorm_([p, q], 1);
      assert.ok(Math.abs(norm - 5) < 1e-6);
      assertClose(p.grad!, [0.6, 0], { atol: 1e-5 });
      assertClose(q.grad!, [0.8], { atol: 1e-5 });
      optim.clipGradValue_([p, q], 0.7);
      assertClose(p.grad!, [0.6, 0], { atol: 1e-6 });
      assertClose(q.grad!, [0.7], { atol: 1e-6 });
      p.grad = st.keep(st.tensor([NaN, 0], { backend: be }));
      assert.throws(() => optim.clipGradNorm_([p], 1, 2, true), /clipGradNorm_: the total norm of order 2 of the gradients is NaN/);
    });

    it('round-trips its state dict and keeps stepping identically', () => {
      const a = nn.Parameter(st.tensor([1, 2, 3], { backend: be }));
      const b = nn.Parameter(st.tensor([1, 2, 3], { backend: be }));
      const oa = new optim.Adam([a], { lr: 0.05 }), ob = new optim.Adam([b], { lr: 0.01 });
      for (const [p, o] of [[a, oa], [b, ob]] as const) {
        p.grad = st.keep(st.tensor([0.1, -0.2, 0.3], { backend: be }));
        o.step();
      }
      ob.loadStateDict(oa.stateDict());
      st.noGrad(() => b.copy_(a.detach()));
      assert.equal(ob.paramGroups[0].lr, 0.05);
      for (const [p, o] of [[a, oa], [b, ob]] as const) {
        p.grad = st.keep(st.tensor([0.4, 0.1, -0.3], { backend: be }));
        o.step();
      }
      assertClose(b, a.toArray() as number[], { atol: 0, rtol: 0 });
    });
  });
}

describe('schedulers', () => {
  const make = (lr = 1) => new optim.SGD([nn.Parameter(st.tensor([0]))], { lr });
  const trace = (s: { step(): void; getLastLr(): number[] }, n: number) => Array.from({ length: n }, () => { const v = s.getLastLr()[0]; s.step(); return v; });

  it('step, multi-step, exponential, linear and cosine follow their formulas', () => {
    assertClose(trace(new optim.StepLR(make(), 2, 0.5), 5), [1, 1, 0.5, 0.5, 0.25]);
    assertClose(trace(new optim.MultiStepLR(make(), [1, 3], 0.1), 4), [1, 0.1, 0.1, 0.01]);
    assertClose(trace(new optim.ExponentialLR(make(), 0.5), 3), [1, 0.5, 0.25]);
    assertClose(trace(new optim.LinearLR(make(), 0.5, 1, 2), 4), [0.5, 0.75, 1, 1]);
    assertClose(trace(new optim.CosineAnnealingLR(make(), 4, 0), 5), [1, (1 + Math.cos(Math.PI / 4)) / 2, 0.5, (1 + Math.cos(3 * Math.PI / 4)) / 2, 0]);
  });

  it('cosine with warm-up rises linearly then decays to minLr', () => {
    assertClose(trace(new optim.CosineWithWarmup(make(), 2, 6, 0.1), 7), [0, 0.5, 1, 0.1 + 0.9 * (1 + Math.cos(Math.PI / 4)) / 2, 0.55, 0.1 + 0.9 * (1 + Math.cos(3 * Math.PI / 4)) / 2, 0.1]);
  });

  it('one-cycle goes from maxLr/25 up to maxLr and down to maxLr/25/1e4, cycling momentum', () => {
    const opt = new optim.SGD([nn.Parameter(st.tensor([0]))], { lr: 1, momentum: 0.9 });
    const s = new optim.OneCycleLR(opt, 1, 11, { pctStart: 0.3 });
    const lrs = trace(s, 11);
    assert.ok(Math.abs(lrs[0] - 0.04) < 1e-12);
    // phase 1 ends at step 0.3·11 − 1 = 2.3: lr rises through step 2; the peak is past step 2
    assert.ok(lrs[2] > lrs[1] && lrs[3] < 1 && lrs[3] > lrs[4]);
    assert.ok(Math.abs(lrs[10] - 0.04 / 1e4) < 1e-12);
  });

  it('reduce-on-plateau cuts the lr after patience epochs without improvement', () => {
    const opt = make(1);
    const s = new optim.ReduceLROnPlateau(opt, { patience: 1, factor: 0.5 });
    for (const m of [1, 0.9, 0.95, 0.95, 0.95]) s.step(m);
    // best 0.9 at epoch 2; bad epochs 3, 4 → cut at epoch 4 (badEpochs 2 > patience 1); epoch 5 bad (1)
    assert.equal(opt.paramGroups[0].lr, 0.5);
  });
});

describe('fused optimizer steps on large float32 tensors', () => {
  // native runs one vectorised pass over contiguous float32 (and ATen's in-place ops otherwise); js
  // loops in float64 arithmetic; every variant of the update must agree between them
  const n = 70001; // several parallel chunks and a ragged tail
  const variants: [string, (p: st.Tensor[]) => st.optim.Optimizer<st.optim.GroupBase>][] = [
    ['Adam', (p) => new optim.Adam(p, { lr: 1e-2 })],
    ['Adam amsgrad + L2', (p) => new optim.Adam(p, { lr: 1e-2, amsgrad: true, weightDecay: 0.05 })],
    ['Adam beta1 0.3, maximize', (p) => new optim.Adam(p, { lr: 1e-2, betas: [0.3, 0.99], maximize: true })],
    ['AdamW', (p) => new optim.AdamW(p, { lr: 1e-2, weightDecay: 0.1 })],
    ['SGD Nesterov + decay', (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
    ['SGD dampening', (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.8, dampening: 0.3 })],
  ];
  for (const [name, make] of variants) {
    it(`${name}: native equals js after 4 steps`, (t) => {
      if (!backends().includes('native')) return t.skip('native backend unavailable');
      const init = st.randn([n], { generator: new st.Generator(1) }).toArray() as number[];
      const result: Record<string, number[]> = {};
      for (const be of ['js', 'native'] as const) {
        const p = nn.Parameter(st.tensor(init, { backend: be }));
        const opt = make([p]);
        const gen = new st.Generator(2);
        for (let i = 0; i < 4; i++) {
          p.grad = st.keep(st.randn([n], { generator: gen }).to(be));
          opt.step();
        }
        result[be] = p.toArray() as number[];
      }
      assertClose(result.native, result.js, { atol: 2e-6, rtol: 1e-5 }, name);
      // the update moved (nearly) every element, the last ones included: parity is not vacuous
      assert.ok(result.native.filter((v, i) => v !== init[i]).length > 0.99 * n);
      assert.notEqual(result.native[n - 1], init[n - 1]);
    });
  }
});
