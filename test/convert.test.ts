// `strata export` and `strata convert` (issue 18): a run exported to ONNX runs in ONNX Runtime with strata's logits;
// weights convert between torch.save (written by PyTorch), safetensors and ONNX exactly; pickled objects are refused.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as st from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { flat, imageTask } from './helpers.js';

const bin = resolve('bin/strata.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
const require = createRequire(import.meta.url);
let ort: typeof import('onnxruntime-node') | null = null;
try {
  ort = require('onnxruntime-node');
} catch {
  ort = null;
}
const PY = '/usr/bin/python3';
const hasTorch = spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

describe('strata export and strata convert', () => {
  let dir: string;
  let model: st.nn.Module;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'strata-convert-'));
    mkdirSync(join(dir, 'run'));
    model = st.models.createModel('cnn', imageTask(1, 28, 10)).eval();
    st.train.saveModel(join(dir, 'run', 'model.safetensors'), model, { config: { model: 'cnn', task: imageTask(1, 28, 10), dataset: 'fashion-mnist' } });
  });
  after(() => {
    model?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('strata export writes an ONNX file that ONNX Runtime runs with strata\'s logits (dynamic batch)', { skip: !ort && 'onnxruntime-node is not installed' }, async () => {
    const out = join(dir, 'cnn.onnx');
    const r = cli('export', '--checkpoint', join(dir, 'run'), '--format', 'onnx', '--opset', '17', '--dynamic-batch', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /wrote .*cnn\.onnx \(ONNX opset 17, cnn, input \[1, 1, 28, 28\], dynamic batch\)/);
    const x = st.randn([5, 1, 28, 28], { generator: new st.Generator(4) });
    const s = await ort!.InferenceSession.create(out);
    const y = (await s.run({ input: new ort!.Tensor('float32', Float32Array.from(x.data() as Float32Array), [5, 1, 28, 28]) })).logits;
    const ours = flat(st.noGrad(() => model.forward(x) as Tensor));
    assert.equal(y.data.length, 50);
    for (let i = 0; i < 50; i++) assert.ok(Math.abs(Number(y.data[i]) - ours[i]) <= 1e-4, `logit ${i}: ${y.data[i]} vs ${ours[i]}`);
    await s.release();
  });

  it('strata export: a bad opset or a missing run is a clear error', () => {
    const r = cli('export', '--checkpoint', join(dir, 'run'), '--opset', '11', '--out', join(dir, 'x.onnx'));
    assert.equal(r.status, 2, 'a bad command line exits with 2');
    assert.match(r.stderr, /--opset: opset 11 is not supported; strata exports opset 17/);
    assert.ok(!existsSync(join(dir, 'x.onnx')));
    const m = cli('export', '--checkpoint', join(dir, 'nope'), '--out', join(dir, 'x.onnx'));
    assert.notEqual(m.status, 0);
    assert.match(m.stderr, /nope.*does not exist/);
  });

  it('convert: safetensors → torch.save → safetensors and ONNX → safetensors keep every tensor exactly', () => {
    const sd = model.stateDict();
    const pt = join(dir, 'w.pt'), back = join(dir, 'w.safetensors'), fromOnnx = join(dir, 'onnx.safetensors');
    assert.equal(cli('convert', join(dir, 'run', 'model.safetensors'), pt).status, 0);
    const r = cli('convert', pt, back);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /8 tensors/);
    st.onnx.exportModel(model, st.randn([1, 1, 28, 28]), join(dir, 'm.onnx'));
    assert.equal(cli('convert', join(dir, 'm.onnx'), fromOnnx).status, 0);
    for (const f of [back, fromOnnx]) {
      const got = st.io.loadSafetensors(f).tensors;
      assert.deepEqual(Object.keys(got).sort(), Object.keys(sd).sort(), f);
      for (const [k, t] of Object.entries(sd)) assert.deepEqual(flat(got[k]), flat(t), `${f}: ${k}`);
    }
  });

  it('convert: writing ONNX from weights alone and unknown extensions are refused with the fix', () => {
    const r = cli('convert', join(dir, 'run', 'model.safetensors'), join(dir, 'x.onnx'));
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /needs the model's graph.*strata export --checkpoint/);
    assert.match(cli('convert', join(dir, 'run', 'model.safetensors'), join(dir, 'x.h5')).stderr, /cannot tell the format .*'\.h5'/);
    const one = cli('convert', 'only-one.pt');
    assert.equal(one.status, 2);
    assert.match(one.stderr, /strata convert: give IN OUT/);
  });

  it('convert: a PyTorch state dict converts exactly; a pickled module is refused, nothing written', { skip: !hasTorch && `${PY} -c 'import torch' failed` }, () => {
    const script = String.raw`
import sys, json, torch
torch.manual_seed(0)
m = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2))
m[1].running_mean.uniform_(); m[1].num_batches_tracked.fill_(5)
torch.save(m.state_dict(), sys.argv[1] + '/tv.pt')
torch.save(m, sys.argv[1] + '/module.pt')
print(json.dumps({k: v.flatten().tolist() for k, v in m.state_dict().items()}))`;
    const py = spawnSync(PY, ['-c', script, dir], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    const expected = JSON.parse(py.stdout) as Record<string, number[]>;
    const r = cli('convert', join(dir, 'tv.pt'), join(dir, 'tv.safetensors'));
    assert.equal(r.status, 0, r.stderr);
    const got = st.io.loadSafetensors(join(dir, 'tv.safetensors')).tensors;
    assert.deepEqual(Object.keys(got).sort(), Object.keys(expected).sort());
    for (const [k, v] of Object.entries(expected)) {
      const g = flat(got[k]);
      assert.equal(g.length, v.length);
      g.forEach((x, i) => assert.ok(Math.abs(x - v[i]) <= 1e-7 * Math.max(1, Math.abs(v[i])), `${k}[${i}]`));
    }
    const bad = cli('convert', join(dir, 'module.pt'), join(dir, 'module.safetensors'));
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /unsupported pickle global torch\.nn\.modules\.container\.Sequential; strata reads state dicts/);
    assert.ok(!existsSync(join(dir, 'module.safetensors')));
  });
});
