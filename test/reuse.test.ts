// Reuse and ensembles: partial loading with its report, freezing by glob, backbone learning rates, few-label
// subsets, NT-Xent / VAE / uncertainty weighting against hand calculations, probes, ensembles, and the CLI.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertClose, imageTask, st, throwsWith } from './helpers.js';

const { nn, reuse, ensemble, models, optim } = st;
const bin = new URL('../../bin/strata.js', import.meta.url).pathname;
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

describe('fine-tuning helpers', () => {
  it('loads the tensors whose name and shape match and reports the skipped head, new and ignored keys', () => {
    st.manualSeed(1);
    const src = models.createModel('cnn', imageTask(1, 28, 10));
    const dst = models.createModel('cnn', imageTask(1, 28, 5));
    const sd: Record<string, st.Tensor> = { ...src.stateDict(), 'extra.weight': st.zeros([2]) };
    delete sd['features.3.bias'];
    const r = reuse.loadMatching(dst, sd);
    assert.deepEqual(r.loaded, ['features.0.weight', 'features.0.bias', 'features.3.weight', 'classifier.1.weight', 'classifier.1.bias']);
    assert.deepEqual(r.skipped.map((s) => s.key), ['classifier.3.weight', 'classifier.3.bias']);
    assert.match(r.skipped[0].reason, /shape \[10,128\] in the checkpoint, \[5,128\] in the model/);
    assert.deepEqual(r.missing, ['features.3.bias']);
    assert.deepEqual(r.unexpected, ['extra.weight']);
    assert.deepEqual(dst.stateDict()['features.0.weight'].tolist(), src.stateDict()['features.0.weight'].tolist());
    assert.match(reuse.formatLoadReport(r), /loaded 5 tensor\(s\), skipped 2, new 1, ignored 1/);
  });

  it('freezes by glob, refuses a pattern that matches nothing, and unfreezes after N epochs', async () => {
    const m = models.createModel('cnn', imageTask(1, 28));
    const names = reuse.requiresGradByPattern(m, 'features.*', false);
    assert.deepEqual(names, ['features.0.weight', 'features.0.bias', 'features.3.weight', 'features.3.bias']);
    assert.equal(m.numParameters(true), m.numParameters() - (32 * 9 + 32 + 64 * 32 * 9 + 64));
    throwsWith(() => reuse.requiresGradByPattern(m, 'layer1.*', false), "pattern 'layer1.*' matches no parameter", 'features.0.weight');
    assert.equal(reuse.globToRegExp('classifier.?.weight').test('classifier.3.weight'), true);
    assert.equal(reuse.globToRegExp('classifier.?.weight').test('classifierX3.weight'), false);
    const cb = reuse.unfreezeAfter(m, names, 2);
    await cb.onEpochBegin!({} as st.train.Trainer, 2);
    assert.equal(m.stateDict()['features.0.weight'].requiresGrad, false);
    await cb.onEpochBegin!({} as st.train.Trainer, 3);
    assert.equal(m.stateDict()['features.0.weight'].requiresGrad, true);
  });

  it('trains the loaded backbone at lrBackbone and the new head at the default rate (Adam: first step = lr · sign(grad))', () => {
    const m = new nn.Sequential(new nn.Linear(3, 2), new nn.Linear(2, 2));
    const groups = reuse.backboneGroups(m, ['0.weight', '0.bias'], 1e-3);
    const opt = new optim.Adam(groups, { lr: 1e-1 });
    const before = m.parameters().map((p) => p.tolist());
    m.forward(st.tensor([[1, -2, 3]])).square().sum().backward();
    const grads = m.parameters().map((p) => p.grad!.tolist());
    opt.step();
    const after = m.parameters().map((p) => p.tolist());
    const lrs = [1e-3, 1e-3, 1e-1, 1e-1];
    after.forEach((a, i) => a.forEach((v, j) => {
      const g = grads[i][j];
      const expect = before[i][j] - (g === 0 ? 0 : lrs[i] * Math.sign(g));
      assert.ok(Math.abs(v - expect) < 1e-5 * Math.max(1, lrs[i] * 100), `param ${i}[${j}]: ${v} vs ${expect}`);
    }));
    // OneCycleLR keeps the ratio between groups (one max lr per group, as torch's max_lr list)
    const sched = new optim.OneCycleLR(opt, opt.paramGroups.map((g) => g.lr), 100);
    sched.step();
    assertClose([opt.paramGroups[0].lr / opt.paramGroups[1].lr], [1e-2], { rtol: 1e-9 });
  });

  it('draws few-label subsets stratified by class, reproducibly', () => {
    const labels = Array.from({ length: 300 }, (_, i) => i % 3);
    const a = reuse.labelSubsetIndices(labels, { perClass: 7, seed: 4 });
    assert.equal(a.length, 21);
    for (let c = 0; c < 3; c++) assert.equal(a.filter((i) => labels[i] === c).length, 7);
    assert.deepEqual(a, reuse.labelSubsetIndices(labels, { perClass: 7, seed: 4 }));
    assert.notDeepEqual(a, reuse.labelSubsetIndices(labels, { perClass: 7, seed: 5 }));
    assert.equal(reuse.labelSubsetIndices(labels, { fraction: 0.1 }).length, 30);
    throwsWith(() => reuse.labelSubsetIndices(labels, { perClass: 200 }), 'class 0 has 100 samples, fewer than the 200');
    throwsWith(() => reuse.labelSubsetIndices(labels, { fraction: 0 }), 'in (0, 1]');
    assert.deepEqual(reuse.parseClassList('0-2,5'), [0, 1, 2, 5]);
    throwsWith(() => reuse.parseClassList('4-1'), 'runs backwards');
  });
});

describe('self-supervised objectives', () => {
  it('NT-Xent equals the hand-computed SimCLR loss', () => {
    const z1 = [[1, 0], [0.6, 0.8]], z2 = [[0.8, 0.6], [0, 1]];
    const tau = 0.5;
    // reference: plain JS over the 4 normalised vectors (already unit length)
    const z = [...z1, ...z2];
    let total = 0;
    for (let i = 0; i < 4; i++) {
      const pos = (i + 2) % 4;
      const logits = z.map((v, j) => (j === i ? -Infinity : (v[0] * z[i][0] + v[1] * z[i][1]) / tau));
      const lse = Math.log(logits.reduce((s, l) => s + Math.exp(l), 0));
      total += lse - logits[pos];
    }
    assertClose([reuse.ntXent(st.tensor(z1), st.tensor(z2), tau).item()], [total / 4], { atol: 1e-5 });
    // scaling a projection does not change the loss (cosine similarity)
    assertClose([reuse.ntXent(st.tensor(z1).mul(3), st.tensor(z2), tau).item()], [total / 4], { atol: 1e-5 });
  });

  it('VAE: the KL term matches −½ Σ (1 + log σ² − μ² − σ²) by hand; the decoder reconstructs the input shape', () => {
    const task = imageTask(1, 28);
    const vae = new reuse.VAE(new reuse.Encoder(models.createModel('mlp', task)), task, 2);
    st.noGrad(() => {
      vae.mu.weight.fill_(0); vae.logvar.weight.fill_(0);
      vae.mu.bias!.copy_(st.tensor([0.5, -1])); vae.logvar.bias!.copy_(st.tensor([0, Math.log(2)]));
    });
    const x = st.randn([3, 1, 28, 28]);
    const { kl, recon } = vae.loss(x, x.sigmoid());
    const hand = -0.5 * ((1 + 0 - 0.25 - 1) + (1 + Math.log(2) - 1 - 2));
    assertClose([kl.item()], [hand], { atol: 1e-5 });
    assert.ok(recon.item() > 0);
    assert.deepEqual(vae.forward(x)[0].shape, [3, 1, 28, 28]);
    assert.deepEqual(vae.sample(4).shape, [4, 1, 28, 28]);
  });

  it('Encoder: the features before the last Linear; the autoencoder learns (loss falls) on a fixed batch', () => {
    st.manualSeed(2);
    const task = imageTask(1, 28);
    const enc = new reuse.Encoder(models.createModel('cnn', task));
    assert.equal(enc.headPrefix, 'classifier.3');
    assert.equal(enc.featureDim, 128);
    assert.deepEqual(enc.forward(st.randn([2, 1, 28, 28])).shape, [2, 128]);
    assert.ok(!Object.keys(enc.backboneStateDict()).some((k) => k.startsWith('classifier.3')));
    const ae = new reuse.Autoencoder(enc, task, 0.5);
    const opt = new optim.Adam(ae.parameters(), { lr: 1e-3 });
    const x = st.randn([8, 1, 28, 28]);
    const losses: number[] = [];
    for (let i = 0; i < 15; i++) st.tidy(() => {
      const l = ae.loss(x);
      losses.push(l.item());
      opt.zeroGrad(); l.backward(); opt.step();
    });
    assert.ok(losses[14] < losses[0] * 0.95, `loss ${losses[0]} → ${losses[14]}`);
  });

  it('augmentBatch keeps the shape, is reproducible by seed and flips/crops differently per sample', () => {
    const x = st.randn([4, 1, 8, 8]);
    const a = reuse.augmentBatch(x, new st.Generator(3), { background: 0 });
    const b = reuse.augmentBatch(x, new st.Generator(3), { background: 0 });
    assert.deepEqual(a.shape, [4, 1, 8, 8]);
    assert.deepEqual(a.tolist(), b.tolist());
    assert.notDeepEqual(a.tolist(), x.tolist());
  });

  it('uncertainty weighting: Σ exp(−s)·L + s, with dL/ds = −exp(−s)·L + 1 (Kendall et al., 2018)', () => {
    const w = new reuse.MultiTaskLoss(['fine', 'coarse'], 'uncertainty');
    const total = w.forward({ fine: st.tensor(2), coarse: st.tensor(0.5) });
    assertClose([total.item()], [2.5]);
    total.backward();
    assertClose(w.logVars.fine.grad!, [-1]);
    assertClose(w.logVars.coarse.grad!, [0.5]);
    assert.deepEqual([...w.namedParameters()].map(([n]) => n), ['logVar_fine', 'logVar_coarse']);
    const f = new reuse.MultiTaskLoss(['a', 'b'], 'fixed', { b: 0.3 });
    assertClose([f.forward({ a: st.tensor(1), b: st.tensor(2) }).item()], [1.6]);
    const mt = new reuse.MultiTask(new reuse.Encoder(models.createModel('mlp', imageTask(1, 28))), 128, { fine: 10, coarse: 5 });
    const out = mt.forward(st.randn([2, 1, 28, 28]));
    assert.deepEqual([out.fine.shape, out.coarse.shape], [[2, 10], [2, 5]]);
    assert.deepEqual(reuse.FASHION_COARSE.of.map((c) => reuse.FASHION_COARSE.names[c]).slice(0, 4), ['tops', 'trousers', 'tops', 'dresses']);
  });
});

describe('probes', () => {
  const feats = (rows: number[][]) => st.tensor(rows);
  it('k-NN by hand and a linear probe that separates separable features', () => {
    const train = { features: feats([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]]), labels: st.tensor([0, 0, 1, 1]).long() };
    const test = { features: feats([[1, 0.2], [0.2, 1], [0.6, 0.5]]), labels: st.tensor([0, 1, 1]).long() };
    // [0.6, 0.5] is nearer (cosine) to class 0's [0.9, 0.1]/[1, 0] than to class 1: 2 of 3 right with k = 1
    assertClose([reuse.knnAccuracy(train, test, 1)], [2 / 3]);
    const p = reuse.linearProbe(train, { features: feats([[1, 0.2], [0.2, 1]]), labels: st.tensor([0, 1]).long() }, { numClasses: 2, epochs: 50, batchSize: 4 });
    assert.equal(p.accuracy, 1);
    throwsWith(() => reuse.knnAccuracy(train, test, 9), 'k must be in [1, 4]');
  });
});

/** A fixed classifier: ignores x and returns the same logits for every sample. */
class Const extends nn.Module {
  w: st.Tensor;
  constructor(logits: number[]) {
    super();
    this.w = nn.Parameter(st.tensor(logits));
  }
  forward(x: st.Tensor): st.Tensor {
    return this.w.unsqueeze(0).expand([x.shape[0], this.w.shape[0]]);
  }
}

describe('ensembles', () => {
  const x = st.zeros([2, 1]);
  it('mean averages probabilities and vote counts argmaxes (by hand)', () => {
    const members = [new Const([2, 0, 0]), new Const([0, 1, 0]), new Const([0, 1.5, 0])];
    const p = members.map((m) => m.forward(x).softmax(-1).select(0, 0).tolist());
    const mean = [0, 1, 2].map((c) => (p[0][c] + p[1][c] + p[2][c]) / 3);
    const em = new ensemble.Ensemble(members, 3, 'mean');
    assertClose(em.forward(x).exp().select(0, 0), mean, { atol: 1e-6 });
    const ev = new ensemble.Ensemble(members, 3, 'vote');
    assert.deepEqual(ev.forward(x).argmax(1).tolist(), [1, 1]);
    assertClose(ev.forward(x).exp().select(0, 0), [1 / 3, 2 / 3, 0], { atol: 2e-3 });
    throwsWith(() => new ensemble.Ensemble([new Const([1, 2])], 3).forward(x), 'a member gives 2 outputs, the ensemble expects 3 classes');
  });

  it('stacking learns to trust the member that is right, beyond the mean', async () => {
    // member A outputs the true class of x (x = one-hot of the class), member B a constant wrong guess
    class Oracle extends nn.Module {
      w = nn.Parameter(st.eye(3).mul(5));
      forward(v: st.Tensor) { return v.matmul(this.w); }
    }
    const liar = new Const([0, 0, 3]);
    const ys = [0, 1, 2, 0, 1, 0, 1, 0];
    const xs = st.oneHot(st.tensor(ys).long(), 3).float();
    const e = new ensemble.Ensemble([new Oracle(), liar, new Const([0, 0, 3.5])], 3, 'stack');
    const trainAcc = await ensemble.fitStacking(e, [{ x: xs.clone(), y: st.tensor(ys).long() }], { epochs: 200, batchSize: 8 });
    assert.equal(trainAcc, 1);
    const mean = new ensemble.Ensemble([new Oracle(), liar, new Const([0, 0, 3.5])], 3, 'mean');
    const accOf = (m: st.nn.Module) => (m.forward(xs) as st.Tensor).argmax(1).eq(st.tensor(ys).long()).float().mean().item();
    assert.equal(accOf(e), 1);
    assert.ok(accOf(mean) < 1);
  });

  it('an ensemble is one model: the zoo builds it from its config and its state dict round-trips', () => {
    st.manualSeed(5);
    const task = imageTask(1, 28, 10);
    const members = [models.createModel('mlp', task), models.createModel('cnn', task)];
    const e = new ensemble.Ensemble(members, 10, 'stack', 'mlp');
    const cfg: st.ensemble.EnsembleConfig = { method: 'stack', meta: 'mlp', members: [{ model: 'mlp' }, { model: 'cnn' }] };
    const back = models.createModel('ensemble', task, cfg as unknown as Record<string, unknown>);
    back.loadStateDict(e.stateDict());
    const xin = st.randn([2, 1, 28, 28]);
    assertClose(back.forward(xin) as st.Tensor, e.forward(xin), { atol: 1e-6 });
    throwsWith(() => models.createModel('ensemble', task, {}), 'has no members');
  });

  it('CyclicCosineLR restarts at the base rate every cycle', () => {
    const opt = new optim.SGD([st.zeros([1], { requiresGrad: true })], { lr: 0.1 });
    const s = new ensemble.CyclicCosineLR(opt, 2, 8);
    const lrs = [opt.paramGroups[0].lr];
    for (let i = 0; i < 7; i++) { s.step(); lrs.push(opt.paramGroups[0].lr); }
    assertClose(lrs, [0.1, 0.05 * (Math.cos(Math.PI / 4) + 1), 0.05, 0.05 * (Math.cos(3 * Math.PI / 4) + 1), 0.1, 0.05 * (Math.cos(Math.PI / 4) + 1), 0.05, 0.05 * (Math.cos(3 * Math.PI / 4) + 1)], { atol: 1e-12 });
  });
});

// these commands train on Fashion-MNIST (Debian's dataset-fashion-mnist, which setup.sh installs)
describe('reuse CLI', { skip: !existsSync(st.data.FASHION_MNIST_DEFAULT_ROOT) && 'Fashion-MNIST not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-reuse-'));
  it('train --init reports what it loaded, --freeze/--unfreeze-after/--lr-backbone/--labels-per-class/--classes run; bad flags are clear', () => {
    const a = join(dir, 'a'), b = join(dir, 'b');
    let r = cli('train', '--model', 'mlp', '--subset', '2000', '--classes', '0-4', '--epochs', '1', '--threads', '1', '--out', a, '--quiet');
    assert.equal(r.status, 0, r.stderr);
    r = cli('train', '--model', 'mlp', '--classes', '5-9', '--labels-per-class', '10', '--epochs', '2', '--init', a, '--freeze', 'layers.0.*', '--unfreeze-after', '1', '--lr-backbone', '1e-4', '--threads', '1', '--out', b);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /loaded 6 tensor\(s\), skipped 0, new 0, ignored 0/);
    assert.match(r.stderr, /frozen: 2 parameter\(s\) matching 'layers.0.\*'/);
    assert.match(r.stderr, /epoch 2: unfroze 2 parameter\(s\)/);
    const cfg = JSON.parse(readFileSync(join(b, 'config.json'), 'utf8'));
    assert.equal(cfg.task.numClasses, 5);
    assert.equal(cfg.labelsPerClass, 10);
    assert.equal(readFileSync(join(b, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 2);
    r = cli('train', '--model', 'cnn', '--subset', '200', '--init', a, '--out', join(dir, 'd'));
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /no tensor matched the model by name and shape/);
    r = cli('train', '--lr-backbone', '1e-4', '--out', join(dir, 'e'));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--lr-backbone needs --init/);
  });

  it('pretrain → probe, and ensemble → eval on the ensemble run folder', () => {
    const p = join(dir, 'p');
    let r = cli('pretrain', '--method', 'simclr', '--model', 'mlp', '--subset', '512', '--epochs', '1', '--batch-size', '128', '--threads', '1', '--out', p, '--quiet');
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(p, 'model.safetensors')));
    r = cli('probe', '--checkpoint', p, '--train-size', '500', '--test-size', '300', '--epochs', '3', '--threads', '1', '--json');
    assert.equal(r.status, 0, r.stderr);
    const pr = JSON.parse(r.stdout);
    assert.equal(pr.feature_dim, 128);
    assert.ok(pr.linear_probe_accuracy > 0.3 && pr.knn_accuracy > 0.3, r.stdout);
    const m1 = join(dir, 'm1'), m2 = join(dir, 'm2');
    for (const [out, seed] of [[m1, '1'], [m2, '2']]) {
      r = cli('train', '--model', 'mlp', '--subset', '1000', '--epochs', '1', '--seed', seed, '--threads', '1', '--out', out, '--quiet');
      assert.equal(r.status, 0, r.stderr);
    }
    const e = join(dir, 'e');
    r = cli('ensemble', '--checkpoints', `${m1},${m2}`, '--method', 'stack', '--holdout', '500', '--threads', '1', '--out', e);
    assert.equal(r.status, 0, r.stderr);
    const line = JSON.parse(readFileSync(join(e, 'metrics.jsonl'), 'utf8'));
    r = cli('eval', '--checkpoint', e, '--json', '--threads', '1');
    assert.equal(r.status, 0, r.stderr);
    assertClose([JSON.parse(r.stdout).accuracy], [line.test_accuracy], { atol: 1e-9 });
    r = cli('ensemble', '--checkpoints', m1);
    assert.match(r.stderr, /needs at least 2 members/);
  });
});
