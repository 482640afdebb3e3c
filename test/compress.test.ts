// Compression: int8 quantization (weights as torch quantizes them; int8 outputs against a fake-quant
// emulation in float; save/load), magnitude pruning with masks and schedule, CSR files, distillation loss.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasNative, st } from './helpers.js';
import { readSafetensorsHeader } from '../src/io/safetensors.js';

const C = st.compress;
const nn = st.nn;

/** Quantize-dequantize with (scale, zp) over quint8, in plain numbers: the reference int8 activation. */
const fq = (v: number, s: number, z: number) => (Math.min(255, Math.max(0, Math.round(v / s) + z)) - z) * s;

describe('compress: pruning', () => {
  it('global magnitude pruning zeroes the smallest |w| across layers, by hand', () => {
    const m = new nn.Sequential(new nn.Linear(3, 2, { bias: false }), new nn.Linear(2, 1, { bias: false }));
    st.noGrad(() => (m.at(0) as st.nn.Linear).weight.copy_(st.tensor([[1, -5, 2], [0.5, -3, 4]])));
    st.noGrad(() => (m.at(1) as st.nn.Linear).weight.copy_(st.tensor([[0.7, -6]])));
    // 8 weights, 50% → the 4 smallest |w| (0.5, 0.7, 1, 2) go
    const s = C.prune(m, { sparsity: 0.5 });
    assert.equal(s, 0.5);
    assert.deepEqual((m.at(0) as st.nn.Linear).weight.tolist(), [0, -5, 0, 0, -3, 4]);
    assert.deepEqual((m.at(1) as st.nn.Linear).weight.tolist(), [0, -6]);
    assert.deepEqual(C.masks(m)['0.weight'].tolist(), [0, 1, 0, 0, 1, 1]);
  });

  it('layer-wise pruning takes the same fraction from each layer', () => {
    const m = new nn.Sequential(new nn.Linear(2, 2, { bias: false }), new nn.Linear(2, 1, { bias: false }));
    st.noGrad(() => (m.at(0) as st.nn.Linear).weight.copy_(st.tensor([[1, 2], [3, 4]])));
    st.noGrad(() => (m.at(1) as st.nn.Linear).weight.copy_(st.tensor([[10, 20]])));
    C.prune(m, { sparsity: 0.5, scope: 'layer' });
    assert.deepEqual((m.at(0) as st.nn.Linear).weight.tolist(), [0, 0, 3, 4]);
    assert.deepEqual((m.at(1) as st.nn.Linear).weight.tolist(), [0, 20]);
  });

  it('masks hold pruned weights at 0 through optimizer steps; removePruning keeps the zeros and drops the masks', () => {
    const lin = new nn.Linear(4, 3);
    C.prune(lin, { sparsity: 0.75 });
    const zeroAt = lin.weight.eq(0).tolist();
    const opt = new st.optim.SGD(lin.parameters(), { lr: 0.5 });
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      lin.forward(st.randn([5, 4])).sum().backward();
      opt.step();
      C.applyMasks(lin);
    }
    assert.deepEqual(lin.weight.eq(0).tolist(), zeroAt);
    assert.equal(C.sparsityOf([lin.weight]), 0.75);
    C.removePruning(lin);
    assert.deepEqual(Object.keys(C.masks(lin)), []);
    assert.equal(C.countNonZero(lin).prunableNonZero, 3);
  });

  it('raising sparsity prunes further (masks only lose ones)', () => {
    const lin = new nn.Linear(10, 10, { bias: false });
    C.prune(lin, { sparsity: 0.5 });
    const first = lin.weight.eq(0).tolist();
    C.prune(lin, { sparsity: 0.8 });
    const second = lin.weight.eq(0).tolist();
    assert.ok(first.every((z, i) => !z || second[i]));
    assert.equal(C.sparsityOf([lin.weight]), 0.8);
  });

  it("Zhu & Gupta's cubic schedule, by hand", () => {
    const o = { initial: 0, final: 0.9, begin: 0, end: 10 };
    assert.equal(C.cubicSparsity(0, o), 0);
    assert.ok(Math.abs(C.cubicSparsity(5, o) - 0.9 * (1 - 0.5 ** 3)) < 1e-12);
    assert.ok(Math.abs(C.cubicSparsity(2, o) - 0.9 * (1 - 0.8 ** 3)) < 1e-12);
    assert.equal(C.cubicSparsity(12, o), 0.9);
    assert.throws(() => C.cubicSparsity(1, { final: 0.5, end: 0 }), /must come after its begin/);
  });

  it('rejects a sparsity outside [0, 1)', () => {
    assert.throws(() => C.prune(new nn.Linear(2, 2), { sparsity: 1 }), /sparsity must be in \[0, 1\)/);
  });
});

describe('compress: distillation loss', () => {
  it('matches α·T²·KL(p_t ‖ p_s) + (1 − α)·CE, computed by hand', () => {
    const s = [[1, 2, 0.5]], t = [[3, 1, 0]], y = [1];
    const T = 2, alpha = 0.7;
    const sm = (v: number[]) => { const e = v.map((x) => Math.exp(x)); const z = e.reduce((a, b) => a + b); return e.map((x) => x / z); };
    const ps = sm(s[0].map((v) => v / T)), pt = sm(t[0].map((v) => v / T));
    const kl = pt.reduce((acc, p, i) => acc + p * Math.log(p / ps[i]), 0);
    const ce = -Math.log(sm(s[0])[1]);
    const want = alpha * T * T * kl + (1 - alpha) * ce;
    const got = C.distillationLoss(st.tensor(s, { dtype: 'float64' }), st.tensor(t, { dtype: 'float64' }), st.tensor(y, { dtype: 'int64' }), { temperature: T, alpha }).item();
    assert.ok(Math.abs(got - want) < 1e-10, `${got} vs ${want}`);
  });
  it('names the problem for mismatched logits and bad settings', () => {
    const y = st.tensor([0], { dtype: 'int64' });
    assert.throws(() => C.distillationLoss(st.zeros([1, 3]), st.zeros([1, 4]), y), /student logits \[1,3\] and teacher logits \[1,4\] differ/);
    assert.throws(() => C.distillationLoss(st.zeros([1, 3]), st.zeros([1, 3]), y, { temperature: 0 }), /temperature must be > 0/);
  });
  it('trains a student through the Trainer against a teacher', async () => {
    const teacher = new nn.Linear(4, 3), student = new nn.Linear(4, 3);
    const x = st.randn([32, 4]), y = st.randint(0, 3, [32]);
    const trainer = new st.train.Trainer({ model: student, optimizer: new st.optim.Adam(student.parameters(), { lr: 0.05 }), ...C.distillation(teacher, student, { temperature: 2, alpha: 1 }), disposeBatches: false });
    const before = C.distillationLoss(student.forward(x), teacher.forward(x), y, { temperature: 2, alpha: 1 }).item();
    await trainer.fit([{ x, y }, { x, y }, { x, y }, { x, y }], { epochs: 5 });
    const after = st.noGrad(() => C.distillationLoss(student.forward(x), teacher.forward(x), y, { temperature: 2, alpha: 1 }).item());
    assert.ok(after < before / 2, `soft-target loss ${before} → ${after}`);
  });
});

describe('compress: int8 quantization (native)', { skip: !hasNative() }, () => {
  const prev = st.getBackend().name;
  const tmp = mkdtempSync(join(tmpdir(), 'strata-compress-'));
  const native = <R>(fn: () => R): R => {
    st.setBackend('native');
    try { return fn(); } finally { st.setBackend(prev); }
  };

  it('quantizes weights per channel as torch.quantize_per_channel does (symmetric qint8)', () => native(() => {
    const { values, scales } = C.quantizeWeight(st.tensor([[1, -2, 0.5], [0.1, 0.2, -0.3]]));
    // torch 1.13: quantize_per_channel(w, amax/127.5, 0, axis 0, qint8).int_repr()
    assert.deepEqual(values.tolist(), [64, -127, 32, 42, 85, -127]);
    (scales.tolist() as number[]).forEach((v, i) => assert.ok(Math.abs(v - [2 / 127.5, 0.3 / 127.5][i]) < 1e-7));
  }));

  it('affine activation parameters as MinMaxObserver (quint8, range widened to 0)', () => {
    assert.deepEqual(C.affineQParams(-1, 3), { scale: 4 / 255, zeroPoint: 64 });
    assert.deepEqual(C.affineQParams(0.5, 2), { scale: 2 / 255, zeroPoint: 0 });
  });

  it('a static int8 MLP equals its fake-quant emulation within one output step', () => native(() => {
    const m = new nn.Sequential(new nn.Flatten(), new nn.Linear(6, 5), new nn.ReLU(), new nn.Linear(5, 3));
    const x = st.randn([8, 1, 2, 3]);
    const float = st.noGrad(() => m.forward(x));
    // the emulation: the same observers' ranges, computed here from the float activations
    const l1 = m.at(1) as st.nn.Linear, l2 = m.at(3) as st.nn.Linear;
    const range = (t: st.Tensor) => C.affineQParams(t.amin().item(), t.amax().item());
    const qin = range(x), h = st.noGrad(() => l1.forward(x.reshape(8, 6)).relu()), qh = range(h), qo = range(float);
    const wq = (w: st.Tensor) => { const { values, scales } = C.quantizeWeight(w); return values.to('float32').mul(scales.reshape(-1, 1)); };
    const rows = (t: st.Tensor) => { const f = t.tolist() as number[], n = t.shape[1]; return Array.from({ length: t.shape[0] }, (_, r) => f.slice(r * n, r * n + n)); };
    const xf = rows(x.reshape(8, 6));
    const emul = (inp: number[][], w: number[][], b: number[], relu: boolean, q: { scale: number; zeroPoint: number }) =>
      inp.map((r) => w.map((wr, o) => { let s = b[o]; wr.forEach((v, i) => (s += v * r[i])); return fq(relu ? Math.max(0, s) : s, q.scale, q.zeroPoint); }));
    const x0 = xf.map((r) => r.map((v) => fq(v, qin.scale, qin.zeroPoint)));
    const h1 = emul(x0, rows(wq(l1.weight)), l1.bias!.tolist() as number[], true, qh);
    const want = emul(h1, rows(wq(l2.weight)), l2.bias!.tolist() as number[], false, qo);
    const { model: q, report } = C.quantize(m, { mode: 'static', calibration: [x] });
    assert.equal(report.layout, 'program');
    assert.deepEqual(report.fused, ['1+2']);
    const got = rows(st.noGrad(() => q.forward(x)));
    // NOTE: the int8 kernel rounds the int32 accumulator once; the emulation rounds each layer's float sum, so one step apart at most
    got.flat().forEach((v, i) => assert.ok(Math.abs(v - want.flat()[i]) <= qo.scale * 1.01 + 1e-6, `output ${i}: ${v} vs ${want.flat()[i]}`));
  }));

  it('folds batch norm into the convolution exactly (float)', () => native(() => {
    const conv = new nn.Conv2d(2, 3, 3), bn = new nn.BatchNorm2d(3);
    st.noGrad(() => bn.runningMean!.copy_(st.tensor([0.1, -0.2, 0.3])));
    st.noGrad(() => bn.runningVar!.copy_(st.tensor([0.5, 2, 1.5])));
    st.noGrad(() => bn.weight!.copy_(st.tensor([1.5, 0.5, -1])));
    st.noGrad(() => bn.bias!.copy_(st.tensor([0.2, 0, 0.1])));
    bn.eval();
    const x = st.randn([2, 2, 5, 5]);
    const want = st.noGrad(() => bn.forward(conv.forward(x)));
    const { weight, bias } = C.foldBatchNorm(conv, bn);
    assert.ok(st.conv2d(x, weight, bias).sub(want).abs().amax().item() < 1e-5);
  }));

  it('a CNN with conv+bn+relu runs as one int8 program close to float, saves I8 weights and loads back identical', () => native(() => {
    const build = () => new nn.Sequential(new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Conv2d(4, 8, 3), new nn.ReLU(), new nn.Flatten(), new nn.Linear(8 * 2 * 2, 5));
    const m = build().eval();
    const x = st.rand([16, 1, 8, 8]);
    const float = st.noGrad(() => m.forward(x));
    const sd = Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.clone()]));
    const { model: q, report } = C.quantize(m, { mode: 'static', calibration: [x] });
    assert.deepEqual(report.int8Layers, ['0', '4', '7']);
    assert.deepEqual(report.fused, ['0+1', '0+2', '4+5']);
    const y = st.noGrad(() => q.forward(x));
    const span = float.amax().item() - float.amin().item();
    assert.ok(y.sub(float).abs().amax().item() < 0.05 * span, 'int8 output within 5% of the output range of float');
    const file = join(tmp, 'cnn.safetensors');
    C.saveCompressed(file, q, { config: { model: 'test' }, report });
    const h = readSafetensorsHeader(file);
    assert.equal(h.tensors['steps.0.weight_int8'].dtype, 'I8');
    assert.equal(C.fileStats(file).int8Layers.length, 3);
    const { model: back } = C.loadCompressed(file, () => { const f = build(); f.loadStateDict(sd); return f; });
    assert.deepEqual(st.noGrad(() => back.forward(x)).tolist(), y.tolist());
  }));

  it('a module with no int8 kernel stays float, and the report says so', () => native(() => {
    const m = new nn.Sequential(new nn.Linear(4, 4), new nn.Tanh(), new nn.Linear(4, 2)).eval();
    const x = st.randn([8, 4]);
    const float = st.noGrad(() => m.forward(x));
    const { model: q, report } = C.quantize(m, { mode: 'static', calibration: [x] });
    assert.deepEqual(report.keptFloat.map((k) => [k.name, k.type, k.reason]), [['1', 'Tanh', 'no int8 kernel for this module type']]);
    assert.ok(st.noGrad(() => q.forward(x)).sub(float).abs().amax().item() < 0.1);
  }));

  it('a residual graph gets int8 layers inside the float graph (per-layer), and reloads', () => native(() => {
    class Res extends nn.Module {
      conv = new nn.Conv2d(2, 2, 3, { padding: 1 });
      bn = new nn.BatchNorm2d(2);
      fc = new nn.Linear(2 * 4 * 4, 3);
      forward(x: st.Tensor) { return this.fc.forward(x.add(this.bn.forward(this.conv.forward(x)).relu()).flatten(1)); }
    }
    const m = new Res().eval();
    const sd = Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.clone()]));
    const x = st.randn([4, 2, 4, 4]);
    const float = st.noGrad(() => m.forward(x));
    const { model: q, report } = C.quantize(m, { mode: 'static', calibration: [x] });
    assert.equal(report.layout, 'per-layer');
    assert.deepEqual(report.int8Layers, ['conv', 'fc']);
    assert.deepEqual(report.fused, ['conv+bn']);
    const y = st.noGrad(() => q.forward(x));
    assert.ok(y.sub(float).abs().amax().item() < 0.05 * (float.amax().item() - float.amin().item()) + 1e-3);
    const file = join(tmp, 'res.safetensors');
    C.saveCompressed(file, q, { config: {}, report });
    const { model: back } = C.loadCompressed(file, () => { const f = new Res(); f.loadStateDict(sd); return f; });
    assert.deepEqual(st.noGrad(() => back.forward(x)).tolist(), y.tolist());
  }));

  it('dynamic quantization: int8 Linear weights, float in and out', () => native(() => {
    const m = new nn.Sequential(new nn.Linear(16, 8), new nn.ReLU(), new nn.Linear(8, 4)).eval();
    const x = st.randn([5, 16]);
    const float = st.noGrad(() => m.forward(x));
    const { model: q, report } = C.quantize(m, { mode: 'dynamic' });
    assert.deepEqual(report.int8Layers, ['0', '2']);
    const y = st.noGrad(() => q.forward(x));
    assert.deepEqual(y.shape, [5, 4]);
    assert.ok(y.sub(float).abs().amax().item() < 0.05);
  }));

  it('pruned weights are saved as CSR, smaller, and load back to the same values', () => native(() => {
    const m = new nn.Sequential(new nn.Linear(64, 32), new nn.ReLU(), new nn.Linear(32, 10));
    C.prune(m, { sparsity: 0.9 });
    C.removePruning(m);
    const dense = join(tmp, 'dense.safetensors'), sparse = join(tmp, 'sparse.safetensors');
    st.train.saveModel(dense, m, { config: {} });
    C.saveCompressed(sparse, m, { config: {} });
    assert.deepEqual(C.fileStats(sparse).csrTensors, ['0.weight', '2.weight']);
    assert.ok(C.fileStats(sparse).bytes < C.fileStats(dense).bytes / 3);
    const { model: back } = C.loadCompressed(sparse, () => new nn.Sequential(new nn.Linear(64, 32), new nn.ReLU(), new nn.Linear(32, 10)));
    // NOTE: + 0 turns the −0 of pruned negative weights into 0; CSR stores no zeros, signed or not
    for (const [k, v] of Object.entries(m.stateDict())) assert.deepEqual(back.stateDict()[k].tolist(), v.tolist().map((e) => e + 0), k);
  }));

  it('needs calibration data for static quantization', () => native(() => {
    assert.throws(() => C.quantize(new nn.Linear(2, 2), { mode: 'static', calibration: [] }), /needs calibration batches/);
  }));

  it('cleans up', () => rmSync(tmp, { recursive: true, force: true }));
});
