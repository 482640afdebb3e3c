// Training: metrics by hand, the Trainer (accumulation, NaN detection, early stopping), checkpoints, flat memory.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertClose, backends, flat, st } from './helpers.js';

const { nn, optim, train } = st;

describe('metrics', () => {
  it('computes the confusion matrix, precision, recall and F1 by hand', () => {
    const cm = new train.ConfusionMatrix(3);
    // true:      0 0 0 1 1 2
    // predicted: 0 0 1 1 2 2
    cm.add([0, 0, 1, 1, 2, 2], [0, 0, 0, 1, 1, 2]);
    assert.deepEqual(cm.counts, [[2, 1, 0], [0, 1, 1], [0, 0, 1]]);
    const r = cm.report();
    assertClose(r.precision, [1, 0.5, 0.5]);
    assertClose(r.recall, [2 / 3, 0.5, 1]);
    assertClose(r.f1, [0.8, 0.5, 2 / 3]);
    assert.ok(Math.abs(r.macroF1 - (0.8 + 0.5 + 2 / 3) / 3) < 1e-12);
    assert.ok(Math.abs(r.accuracy - 4 / 6) < 1e-12);
    assert.throws(() => cm.add([3], [0]), /ConfusionMatrix: class index out of range \[0, 3\)/);
  });
  it('counts a class that is never predicted as precision 0', () => {
    const cm = new train.ConfusionMatrix(2);
    cm.add([0, 0], [0, 1]);
    assert.deepEqual(cm.report().precision, [0.5, 0]);
  });
  it('computes top-k accuracy', () => {
    const logits = st.tensor([[0.1, 0.5, 0.4], [0.9, 0.05, 0.06], [0.2, 0.3, 0.5]]);
    const y = st.tensor([2, 1, 2], { dtype: 'int64' });
    assert.ok(Math.abs(train.topKAccuracy(logits, y, 1) - 1 / 3) < 1e-12);
    assert.ok(Math.abs(train.topKAccuracy(logits, y, 2) - 2 / 3) < 1e-12);
    assert.equal(train.topKAccuracy(logits, y, 3), 1);
  });
});

/** Two Gaussian blobs in 4-D, as batches. */
function blobs(n: number, batch: number, seed = 0): st.train.Batch[] {
  const g = new st.Generator(seed);
  const out: st.train.Batch[] = [];
  for (let s = 0; s < n; s += batch) {
    const xs: number[] = [], ys: number[] = [];
    for (let i = 0; i < batch; i++) {
      const c = g.randint(0, 2);
      ys.push(c);
      for (let d = 0; d < 4; d++) xs.push(g.normal() * 0.5 + (c ? 1 : -1));
    }
    out.push({ x: st.keep(st.tensor(xs, { shape: [batch, 4] })), y: st.keep(st.tensor(ys, { dtype: 'int64' })) });
  }
  return out;
}

describe('Trainer', () => {
  it('fits a small problem and evaluates it', async () => {
    st.manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2));
    const t = new train.Trainer({ model, optimizer: new optim.Adam(model.parameters(), { lr: 0.05 }), disposeBatches: false });
    const data = blobs(256, 32);
    const h = await t.fit(data, { epochs: 3, validation: data });
    assert.equal(h.length, 3);
    assert.ok(h[2].train_loss < h[0].train_loss);
    assert.ok(h[2].val_accuracy! > 0.95, `accuracy ${h[2].val_accuracy}`);
    assert.equal(t.epoch, 3);
    assert.equal(t.globalStep, 24);
  });

  it('accumulates gradients: two half batches equal one full batch', async () => {
    const run = async (accum: number, batch: number) => {
      st.manualSeed(1);
      const model = new nn.Linear(4, 2);
      const t = new train.Trainer({ model, optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }), gradAccumulation: accum, disposeBatches: false });
      await t.fit(blobs(16, batch, 4), { epochs: 1 });
      return flat(model.weight);
    };
    assertClose(await run(2, 8), await run(1, 16), { atol: 1e-6 });
  });

  it('stops with a clear message when the loss becomes NaN', async () => {
    const model = new nn.Linear(4, 2);
    const bad = blobs(8, 8);
    bad[0] = { x: st.keep(st.full([8, 4], NaN)), y: bad[0].y };
    const t = new train.Trainer({ model, optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }), disposeBatches: false });
    await assert.rejects(t.fit(bad, { epochs: 1 }), /train: the loss is NaN at epoch 1, batch 0; lower the learning rate \(now 0\.1\) or clip the gradients/);
  });

  it('stops early when the monitored metric stops improving', async () => {
    const model = new nn.Linear(4, 2);
    const es = new train.EarlyStopping({ monitor: 'val_loss', patience: 1 });
    // lr 0: the loss never improves after the first epoch
    const t = new train.Trainer({ model, optimizer: new optim.SGD(model.parameters(), { lr: 0 }), callbacks: [es], disposeBatches: false });
    const data = blobs(16, 8);
    await t.fit(data, { epochs: 10, validation: data });
    assert.equal(t.history.length, 2);
    assert.equal(es.stoppedEpoch, 2);
  });
});

describe('checkpoints', () => {
  it('resuming from a saved training state continues exactly as an uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-ckpt-'));
    const build = () => {
      st.manualSeed(7);
      const model = new nn.Sequential(new nn.Linear(4, 6), new nn.Dropout(0.2), new nn.Linear(6, 2));
      const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
      const scheduler = new optim.StepLR(optimizer, 1, 0.5);
      const images = Float32Array.from({ length: 64 * 4 }, (_, i) => Math.sin(i));
      const labels = Int32Array.from({ length: 64 }, (_, i) => (i * 7) % 2);
      const loader = new st.data.DataLoader(new st.data.ArrayDataset({ x: { data: images, shape: [64, 1, 1, 4] }, y: labels }), { batchSize: 16, shuffle: true, generator: new st.Generator(3) });
      const model2 = new nn.Sequential(new nn.Flatten(), model);
      const trainer = new train.Trainer({ model: model2, optimizer, scheduler });
      return { model: model2, optimizer, scheduler, loader, trainer };
    };
    const a = build();
    await a.trainer.fit(a.loader, { epochs: 3 });
    const b = build();
    await b.trainer.fit(b.loader, { epochs: 2 });
    const path = join(dir, 'state.safetensors');
    train.saveTrainState(path, { ...b, config: { test: true } }, { epoch: 2, globalStep: b.trainer.globalStep, history: b.trainer.history });
    const c = build();
    st.manualSeed(12345); // the restored generator state must win over this
    const p = train.restoreTrainState(path, { ...c, config: {} });
    c.trainer.epoch = p.epoch;
    c.trainer.globalStep = p.globalStep;
    assert.equal(p.epoch, 2);
    await c.trainer.fit(c.loader, { epochs: 3 });
    assert.deepEqual(flat(c.model.parameters()[0]), flat(a.model.parameters()[0]));
    assert.equal(c.optimizer.paramGroups[0].lr, a.optimizer.paramGroups[0].lr);
  });
});

for (const be of backends()) {
  describe(`memory on ${be}`, () => {
    it('2,000 steps of forward, backward and update leave the live tensor count unchanged', () => {
      st.setBackend(be);
      try {
        st.manualSeed(0);
        const model = new nn.Sequential(new nn.Linear(8, 16), new nn.ReLU(), new nn.BatchNorm1d(16), new nn.Linear(16, 3));
        const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
        const x = st.randn([4, 8]), y = st.tensor([0, 1, 2, 1], { dtype: 'int64' });
        const step = () => st.tidy(() => {
          opt.zeroGrad();
          const loss = st.crossEntropy(model.forward(x), y);
          loss.backward();
          opt.step();
          return loss.item();
        });
        step(); // the first step creates the optimizer state and the gradients
        const before = st.memory();
        for (let i = 0; i < 2000; i++) step();
        const after = st.memory();
        assert.equal(after.tensors, before.tensors);
        assert.equal(after.backends[be].bytes, before.backends[be].bytes);
      } finally {
        st.setBackend('js');
      }
    });
  });
}
