// Mixed precision: bfloat16/float16 tensors, st.autocast's op lists, and GradScaler's skip-and-rescale logic.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../src/index.js';
import { hasNative, onBackend, throwsWith } from './helpers.js';

const native = { skip: hasNative() ? false : 'needs the native backend' };

describe('half-precision dtypes', () => {
  it('round to the nearest representable value and read back as float32', native, () => onBackend('native', () => {
    // bfloat16 keeps 8 significant bits: 1.01 lies between 1.0078125 and 1.015625, nearer the first
    assert.deepEqual(st.tensor([1.01, -2, 65536]).to('bfloat16').toArray(), [1.0078125, -2, 65536]);
    // float16 keeps 11: 1.0001 rounds to 1; 65520 overflows to inf
    assert.deepEqual(st.tensor([1.0001, 0.5, 65520]).to('float16').toArray(), [1, 0.5, Infinity]);
    const b = st.tensor([1, 2]).to('bfloat16');
    assert.ok(b.data() instanceof Float32Array);
    assert.equal(st.add(b, st.tensor([1, 1]).to('float16')).dtype, 'float32', 'bfloat16 + float16 promotes to float32');
    assert.equal(st.add(b, st.tensor([1, 1])).dtype, 'float32');
    assert.equal(st.add(b, 1.5).dtype, 'bfloat16');
  }));

  it('the js backend refuses them, saying where they work', () => onBackend('js', () => {
    throwsWith(() => st.tensor([1]).to('bfloat16'), 'bfloat16', 'native backend');
    throwsWith(() => st.zeros([2], { dtype: 'float16' }), 'float16', 'native backend');
  }));
});

describe('autocast', () => {
  it('runs linear layers in bfloat16 and the loss in float32; gradients of float32 parameters stay float32', native, () => onBackend('native', () => {
    st.manualSeed(0);
    const m = new st.nn.Sequential(new st.nn.Linear(8, 16), new st.nn.ReLU(), new st.nn.Linear(16, 3));
    const x = st.randn([4, 8]), y = st.tensor([0, 1, 2, 1], { dtype: 'int64' });
    const full = st.crossEntropy(m.forward(x), y).item();
    let hidden: st.Tensor | null = null;
    const loss = st.autocast({ dtype: 'bfloat16' }, () => {
      const out = m.forward(x);
      hidden = out;
      assert.equal(st.softmax(out, 1).dtype, 'float32', 'softmax runs in float32');
      return st.crossEntropy(out, y);
    });
    assert.equal(hidden!.dtype, 'bfloat16');
    assert.equal(loss.dtype, 'float32');
    assert.ok(Math.abs(loss.item() - full) < 2e-2, `bfloat16 loss ${loss.item()} vs float32 ${full}`);
    loss.backward();
    for (const p of m.parameters()) assert.equal(p.grad!.dtype, 'float32');
    // outside the region nothing is cast
    assert.equal(m.forward(x).dtype, 'float32');
  }));

  it('leaves js tensors and float64 alone, restores the previous state, and rejects other dtypes', () => {
    const out = onBackend('js', () => st.autocast({}, () => st.matmul(st.ones([2, 2]), st.ones([2, 2]))));
    assert.equal(out.dtype, 'float32');
    if (hasNative()) {
      const d = onBackend('native', () => st.autocast({}, () => st.matmul(st.ones([2, 2], { dtype: 'float64' }), st.ones([2, 2], { dtype: 'float64' }))));
      assert.equal(d.dtype, 'float64');
    }
    st.autocast({ dtype: 'float16' }, () => {
      st.autocast({ enabled: false }, () => assert.equal(st.autocastDtype(), null));
      assert.equal(st.autocastDtype(), 'float16');
    });
    assert.equal(st.autocastDtype(), null);
    throwsWith(() => st.autocast({ dtype: 'int8' as never }, () => 0), 'autocast', "'bfloat16' or 'float16'");
  });
});

describe('GradScaler', () => {
  it('scales the loss, unscales before the step, skips overflowing steps and adapts the scale', () => {
    const p = st.tensor([1], { requiresGrad: true });
    const opt = new st.optim.SGD([p], { lr: 0.1 });
    const scaler = new st.optim.GradScaler({ initScale: 1024, growthInterval: 2 });
    // d(3p)/dp = 3; scaled 3072, unscaled back to 3: p ← 1 − 0.1·3 = 0.7
    const scaled = scaler.scale(p.mul(3).sum());
    assert.equal(scaled.item(), 3072);
    scaled.backward();
    assert.equal(p.grad!.item(), 3072);
    assert.equal(scaler.step(opt), true);
    assert.ok(Math.abs(p.item() - 0.7) < 1e-6);
    scaler.update();
    assert.equal(scaler.getScale(), 1024);
    // an infinite gradient: the step is skipped and the scale halves
    opt.zeroGrad();
    scaler.scale(p.mul(Infinity).sum()).backward();
    assert.equal(scaler.step(opt), false);
    assert.ok(Math.abs(p.item() - 0.7) < 1e-6, 'parameters untouched by a skipped step');
    scaler.update();
    assert.equal(scaler.getScale(), 512);
    // two clean steps: the scale doubles
    for (let i = 0; i < 2; i++) {
      opt.zeroGrad();
      scaler.scale(p.sum()).backward();
      scaler.step(opt);
      scaler.update();
    }
    assert.equal(scaler.getScale(), 1024);
    throwsWith(() => new st.optim.GradScaler({ backoffFactor: 2 }), 'GradScaler', 'backoffFactor');
  });
});
