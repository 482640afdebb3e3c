// NAdam, RAdam, Adamax and the LambdaLR, PolynomialLR, CosineAnnealingWarmRestarts and CyclicLR schedulers against
// torch.optim (PyTorch 1.13, float64) run side by side on the same problem; the numbers are written literally.
// NOTE: NAdam's reference is PyTorch 2.x's update: 1.13's _single_tensor_nadam multiplies mu into
// mu_product_next twice (mu_product * mu * mu_next), a bug fixed upstream in 2.0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { assertClose, backends, throwsWith } from './helpers.js';

// Parameters after each of 6 steps on L(p) = Σ w·(p − c)² + 0.1·Σ p³ from p = [1, −2, 0.5, 0.05].
const OPTIMIZERS: { name: string; make: (ps: Tensor[]) => st.optim.Optimizer<st.optim.GroupBase>; expected: number[] }[] = [
  { name: "NAdam", make: (ps) => new st.optim.NAdam(ps, { lr: 0.05 }),
    expected: [0.947177411393, -1.947177411156, 0.447177411624, -0.002822587161, 0.909477826444, -1.908357535237, 0.40926861145, -0.003032555352, 0.875066797369, -1.872285862447, 0.374530802209, -0.00270628266, 0.841456540899, -1.836451706073, 0.340461518819, -0.002251825888, 0.807946722233, -1.800073098389, 0.306332429074, -0.001841297329, 0.774398016197, -1.76292082689, 0.271972105902, -0.001502141034] },
  { name: "NAdam (weight decay)", make: (ps) => new st.optim.NAdam(ps, { lr: 0.05, weightDecay: 0.1, momentumDecay: 0.01 }),
    expected: [0.947175502927, -1.947175502705, 0.447175503149, -0.002824495639, 0.909448921013, -1.908361586773, 0.40930381207, -0.003035538439, 0.874999103151, -1.872300527995, 0.374624588575, -0.002710125935, 0.841336378929, -1.836480876447, 0.34063638893, -0.002255939127, 0.807756970159, -1.800120038716, 0.306613985805, -0.001845213066, 0.774117913401, -1.762988184632, 0.272389649081, -0.001505670004] },
  { name: "RAdam", make: (ps) => new st.optim.RAdam(ps, { lr: 0.05 }),
    expected: [0.915, -1.64, 0.45125, 0.0349625, 0.83575875, -1.307549473684, 0.404149000822, 0.022309428607, 0.76212192239, -1.003359432967, 0.358687670617, 0.011852953949, 0.693926266051, -0.727846073377, 0.31485387574, 0.003402434827, 0.63100032835, -0.481120910294, 0.272632765938, -0.003233814797, 0.62980745517, -0.479985499979, 0.271376303633, -0.004031144342] },
  { name: "RAdam (rectified, beta2 0.9)", make: (ps) => new st.optim.RAdam(ps, { lr: 0.05, betas: [0.8, 0.9], weightDecay: 0.1 }),
    expected: [0.91, -1.63, 0.44875, 0.0347125, 0.8266825, -1.290946388889, 0.399471167535, 0.022026173964, 0.75003089269, -0.984436933546, 0.352206376072, 0.011782907638, 0.679971483373, -0.711544221125, 0.306985182444, 0.003791469544, 0.616375360971, -0.472748538324, 0.263823546782, -0.002166762857, 0.604717164333, -0.461759053485, 0.251468019141, -0.009342194805] },
  { name: "Adamax", make: (ps) => new st.optim.Adamax(ps, { lr: 0.05 }),
    expected: [0.950000000294, -1.950000000069, 0.450000000513, 1.663e-09, 0.901952727286, -1.900464902174, 0.40168582987, -0.023707916868, 0.855858457132, -1.851413243642, 0.35505052515, -0.029948894144, 0.811713381617, -1.802863361018, 0.310084102593, -0.025679583358, 0.769509617913, -1.754833328253, 0.26677363955, -0.016177394948, 0.729235244408, -1.707340895278, 0.225103373665, -0.005237238375] },
  { name: "Adamax (weight decay)", make: (ps) => new st.optim.Adamax(ps, { lr: 0.05, betas: [0.8, 0.95], weightDecay: 0.1 }),
    expected: [0.950000000278, -1.950000000068, 0.450000000488, 1.635e-09, 0.899549220819, -1.899553518573, 0.399343889139, -0.023391811419, 0.848885334551, -1.848667529099, 0.348223707436, -0.02733914064, 0.798268297828, -1.797349060445, 0.296848443195, -0.019325821758, 0.747977855495, -1.745604875882, 0.245441808947, -0.006365740965, 0.698310336356, -1.693441133686, 0.194239574672, 0.005802411023] },
];

// Learning rate and SGD momentum seen before each of 12 steps (SGD lr 0.1, momentum 0.9).
const SCHEDULERS: { name: string; make: (o: st.optim.SGD) => unknown; lrs: number[]; momenta: number[] }[] = [
  { name: "LambdaLR", make: (o) => new st.optim.LambdaLR(o, (e) => 0.5 ** e + 0.1 * e),
    lrs: [0.1, 0.06, 0.045, 0.0425, 0.04625, 0.053125, 0.0615625, 0.07078125, 0.080390625, 0.0901953125, 0.10009765625, 0.110048828125],
    momenta: [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9] },
  { name: "PolynomialLR", make: (o) => new st.optim.PolynomialLR(o, 8, 2),
    lrs: [0.1, 0.0765625, 0.05625, 0.0390625, 0.025, 0.0140625, 0.00625, 0.0015625, 0.0, 0.0, 0.0, 0.0],
    momenta: [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9] },
  { name: "CosineAnnealingWarmRestarts", make: (o) => new st.optim.CosineAnnealingWarmRestarts(o, 3, 1, 0.01),
    lrs: [0.1, 0.0775, 0.0325, 0.1, 0.0775, 0.0325, 0.1, 0.0775, 0.0325, 0.1, 0.0775, 0.0325],
    momenta: [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9] },
  { name: "CosineAnnealingWarmRestarts (tMult 2)", make: (o) => new st.optim.CosineAnnealingWarmRestarts(o, 2, 2),
    lrs: [0.1, 0.05, 0.1, 0.085355339059, 0.05, 0.014644660941, 0.1, 0.096193976626, 0.085355339059, 0.069134171618, 0.05, 0.030865828382],
    momenta: [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9] },
  { name: "CyclicLR triangular", make: (o) => new st.optim.CyclicLR(o, 0.01, 0.1, { stepSizeUp: 3, stepSizeDown: 2 }),
    lrs: [0.01, 0.04, 0.07, 0.1, 0.055, 0.01, 0.04, 0.07, 0.1, 0.055, 0.01, 0.04],
    momenta: [0.9, 0.866666666667, 0.833333333333, 0.8, 0.85, 0.9, 0.866666666667, 0.833333333333, 0.8, 0.85, 0.9, 0.866666666667] },
  { name: "CyclicLR triangular2", make: (o) => new st.optim.CyclicLR(o, 0.01, 0.1, { stepSizeUp: 2, mode: 'triangular2' }),
    lrs: [0.01, 0.055, 0.1, 0.055, 0.01, 0.0325, 0.055, 0.0325, 0.01, 0.02125, 0.0325, 0.02125],
    momenta: [0.9, 0.85, 0.8, 0.85, 0.9, 0.875, 0.85, 0.875, 0.9, 0.8875, 0.875, 0.8875] },
  { name: "CyclicLR exp_range", make: (o) => new st.optim.CyclicLR(o, 0.01, 0.1, { stepSizeUp: 2, mode: 'exp_range', gamma: 0.9 }),
    lrs: [0.01, 0.0505, 0.0829, 0.042805, 0.01, 0.03657205, 0.05782969, 0.0315233605, 0.01, 0.027433922005, 0.041381059609, 0.024121476824],
    momenta: [0.9, 0.855, 0.819, 0.86355, 0.9, 0.8704755, 0.8468559, 0.876085155, 0.9, 0.88062897555, 0.86513215599, 0.884309470195] },
];

for (const be of backends()) {
  test(`optimizers: NAdam, RAdam, Adamax follow torch.optim step by step (${be})`, () => {
    for (const c of OPTIMIZERS) {
      const p = st.tensor([1, -2, 0.5, 0.05], { dtype: 'float64', backend: be, requiresGrad: true });
      const c0 = st.tensor([0.3, 0.1, -0.4, 0], { dtype: 'float64', backend: be });
      const w = st.tensor([1, 2, 0.5, 3], { dtype: 'float64', backend: be });
      const loss = (x: Tensor) => x.sub(c0).square().mul(w).sum().add(x.pow(3).sum().mul(0.1));
      const opt = c.make([p]);
      const seen: number[] = [];
      for (let i = 0; i < 6; i++) {
        opt.zeroGrad();
        loss(p).backward();
        opt.step();
        seen.push(...Array.from(p.data() as Float64Array));
      }
      assertClose(seen, c.expected, { atol: 1e-9, rtol: 1e-8 }, c.name);
      // the state round-trips: a fresh optimizer loaded from it takes the same next step
      const q = p.detach().clone().requiresGrad_();
      const opt2 = c.make([q]);
      opt2.loadStateDict(opt.stateDict());
      for (const [x, o] of [[p, opt], [q, opt2]] as const) {
        o.zeroGrad();
        loss(x).backward();
        o.step();
      }
      assertClose(q, p, { atol: 1e-12, rtol: 0 }, `${c.name}: after loadStateDict`);
    }
  });
}

test('schedulers: LambdaLR, PolynomialLR, CosineAnnealingWarmRestarts, CyclicLR follow torch.optim.lr_scheduler', () => {
  for (const c of SCHEDULERS) {
    const opt = new st.optim.SGD([st.zeros([1], { requiresGrad: true })], { lr: 0.1, momentum: 0.9 });
    const s = c.make(opt) as st.optim.LRScheduler;
    const lrs: number[] = [], momenta: number[] = [];
    for (let i = 0; i < 12; i++) {
      lrs.push(opt.paramGroups[0].lr);
      momenta.push(opt.paramGroups[0].momentum);
      s.step();
    }
    assertClose(lrs, c.lrs, { atol: 1e-12, rtol: 1e-9 }, `${c.name}: lr`);
    assertClose(momenta, c.momenta, { atol: 1e-12, rtol: 1e-9 }, `${c.name}: momentum`);
  }
});

test('schedulers and optimizers: bad settings are refused with the fix', () => {
  const p = st.zeros([1], { requiresGrad: true });
  throwsWith(() => new st.optim.CyclicLR(new st.optim.Adam([p]), 0.01, 0.1), 'CyclicLR', 'momentum', 'cycleMomentum: false');
  const s = new st.optim.CyclicLR(new st.optim.Adam([p]), 0.01, 0.1, { cycleMomentum: false, stepSizeUp: 1 });
  s.step();
  assert.equal(s.getLastLr()[0], 0.1);
  throwsWith(() => new st.optim.NAdam([p], { betas: [1, 0.9] }), 'NAdam', 'betas');
  throwsWith(() => new st.optim.CosineAnnealingWarmRestarts(new st.optim.SGD([p]), 0), 'CosineAnnealingWarmRestarts', 't0');
});
