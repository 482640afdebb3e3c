// nn.Module: registration, state dicts with strict checks, modes, freezing, hooks, containers, initialisers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose, flat, st } from './helpers.js';

const { nn } = st;

class Net extends nn.Module {
  fc1 = new nn.Linear(4, 3);
  drop = new nn.Dropout(0.5);
  fc2 = new nn.Linear(3, 2, { bias: false });
  forward(x: st.Tensor): st.Tensor {
    return this.fc2.forward(this.drop.forward(this.fc1.forward(x).relu()));
  }
}

describe('nn.Module', () => {
  it('finds parameters in assignment order with PyTorch-style names', () => {
    const n = new Net();
    assert.deepEqual([...n.namedParameters()].map(([k, p]) => [k, p.shape]), [['fc1.weight', [3, 4]], ['fc1.bias', [3]], ['fc2.weight', [2, 3]]]);
    assert.equal(n.numParameters(), 12 + 3 + 6);
    assert.deepEqual(Object.keys(n.stateDict()), ['fc1.weight', 'fc1.bias', 'fc2.weight']);
    assert.ok(n.parameters().every((p) => p.requiresGrad && p.isParameter));
  });

  it('propagates train/eval to children and freezes parameters', () => {
    const n = new Net().eval();
    assert.equal(n.drop.training, false);
    const x = st.randn([5, 4]);
    assert.ok(n.forward(x).equal(n.forward(x)), 'dropout is off in eval mode');
    n.train();
    assert.equal(n.drop.training, true);
    n.fc1.freeze();
    assert.deepEqual(n.parameters().map((p) => p.requiresGrad), [false, false, true]);
    n.forward(x).sum().backward();
    assert.equal(n.fc1.weight.grad, null);
    assert.ok(n.fc2.weight.grad !== null);
  });

  it('loads a state dict in place and names every difference when it does not fit', () => {
    const a = new Net(), b = new Net();
    const w = b.fc1.weight;
    b.loadStateDict(a.stateDict());
    assert.equal(b.fc1.weight, w, 'the same tensor object, updated in place');
    assert.deepEqual(flat(b.fc1.weight), flat(a.fc1.weight));
    const sd = { ...a.stateDict() };
    delete (sd as Record<string, st.Tensor>)['fc1.bias'];
    sd['fc2.weight'] = st.zeros([3, 3]);
    sd['extra.weight'] = st.zeros([1]);
    assert.throws(() => b.loadStateDict(sd), (e: Error) => {
      assert.match(e.message, /loadStateDict: 3 difference\(s\)/);
      assert.match(e.message, /fc2\.weight: shape \[3,3\] in the checkpoint, \[2,3\] in the model/);
      assert.match(e.message, /fc1\.bias: missing from the checkpoint/);
      assert.match(e.message, /extra\.weight: in the checkpoint but not in the model/);
      return true;
    });
    const sd2 = { ...a.stateDict(), 'fc2.weight': st.zeros([2, 3], { dtype: 'float64' }) };
    assert.throws(() => b.loadStateDict(sd2), /fc2\.weight: dtype float64 in the checkpoint, float32 in the model/);
    const r = b.loadStateDict({ 'fc1.weight': a.fc1.weight }, { strict: false });
    assert.deepEqual(r.missingKeys, ['fc1.bias', 'fc2.weight']);
  });

  it('keeps buffers in the state dict (batch norm running statistics)', () => {
    const bn = new nn.BatchNorm1d(3);
    assert.deepEqual(Object.keys(bn.stateDict()), ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    assert.equal(bn.parameters().length, 2);
  });

  it('runs forward hooks and removes them', () => {
    const n = new Net();
    const seen: number[][] = [];
    const remove = n.fc1.registerForwardHook((_m, _in, out) => seen.push((out as st.Tensor).shape.slice()));
    n.forward(st.randn([2, 4]));
    remove();
    n.forward(st.randn([2, 4]));
    assert.deepEqual(seen, [[2, 3]]);
  });

  it('composes Sequential, ModuleList and ModuleDict', () => {
    const s = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1));
    assert.deepEqual(Object.keys(s.stateDict()), ['0.weight', '0.bias', '2.weight', '2.bias']);
    assert.deepEqual(s.forward(st.randn([4, 2])).shape, [4, 1]);
    const named = new nn.Sequential({ enc: new nn.Linear(2, 2), act: new nn.Tanh() });
    assert.deepEqual(Object.keys(named.stateDict()), ['enc.weight', 'enc.bias']);
    const l = new nn.ModuleList([new nn.Linear(1, 1), new nn.Linear(1, 1)]);
    assert.equal(l.length, 2);
    assert.deepEqual(Object.keys(l.stateDict()), ['0.weight', '0.bias', '1.weight', '1.bias']);
    const d = new nn.ModuleDict({ a: new nn.Linear(1, 2) });
    assert.deepEqual(d.get('a').parameters().map((p) => p.shape), [[2, 1], [2]]);
    assert.throws(() => d.get('b'), /ModuleDict: no module named 'b'/);
  });

  it('prints a readable structure', () => {
    assert.equal(new Net().toString(), [
      'Net(',
      '  (fc1): Linear(inFeatures=4, outFeatures=3, bias=true)',
      '  (drop): Dropout(p=0.5)',
      '  (fc2): Linear(inFeatures=3, outFeatures=2, bias=false)',
      ')',
    ].join('\n'));
  });
});

describe('nn.init', () => {
  it('initialises Linear like PyTorch: U(±1/√fanIn)', () => {
    st.manualSeed(3);
    const l = new nn.Linear(400, 300);
    const w = flat(l.weight), b = flat(l.bias!);
    const bound = 1 / Math.sqrt(400);
    assert.ok(w.every((v) => Math.abs(v) <= bound) && b.every((v) => Math.abs(v) <= bound));
    // the variance of U(−b, b) is b²/3
    const varW = w.reduce((s, v) => s + v * v, 0) / w.length;
    assert.ok(Math.abs(varW / (bound * bound / 3) - 1) < 0.02, `variance ratio ${varW / (bound * bound / 3)}`);
  });

  it('kaiming and xavier have the right variances; orthogonal gives orthonormal rows', () => {
    const t = st.zeros([256, 512]);
    nn.init.kaimingNormal_(t, { nonlinearity: 'relu' });
    const v = flat(t);
    const var1 = v.reduce((s, x) => s + x * x, 0) / v.length;
    assert.ok(Math.abs(var1 / (2 / 512) - 1) < 0.02);
    nn.init.xavierUniform_(t);
    const var2 = flat(t).reduce((s, x) => s + x * x, 0) / v.length;
    assert.ok(Math.abs(var2 / (2 / (256 + 512)) - 1) < 0.02);
    const q = st.zeros([3, 5]);
    nn.init.orthogonal_(q);
    assertClose(q.matmul(q.t()), [1, 0, 0, 0, 1, 0, 0, 0, 1], { atol: 1e-5 });
    assert.throws(() => nn.init.kaimingUniform_(st.zeros([3])), /init: fan in and fan out need at least 2 dims/);
  });
});
