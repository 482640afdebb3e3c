// ONNX export checked by ONNX Runtime (onnxruntime-node, a devDependency) and, where python3-onnx is present, by
// onnx.checker.check_model: every zoo image model's logits equal strata's within 1e-4 on a batch size other
// than the traced one (the dynamic batch axis), on random inputs and on real Fashion-MNIST images.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as st from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { flat, hasNative, imageTask, throwsWith } from './helpers.js';

const require = createRequire(import.meta.url);
let ort: typeof import('onnxruntime-node') | null = null;
let ortWhy = '';
try {
  ort = require('onnxruntime-node');
} catch (e) {
  ortWhy = `onnxruntime-node did not load (npm ci installs it as a devDependency): ${(e as Error).message.split('\n')[0]}`;
}
const PY = '/usr/bin/python3';
const hasOnnxPy = spawnSync(PY, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0;

/**
 * Redraws batch-norm statistics and every all-zero float tensor (heads, biases) so that each weight matters.
 * Batch-norm scales in [0.3, 0.7] keep deep residual nets' logits near 1 (with scale 1 ResNet-56's reach 3.6e3,
 * where float32's own rounding is above 1e-4).
 */
function randomise(m: st.nn.Module, seed: number): void {
  const g = new st.Generator(seed);
  st.noGrad(() => {
    const sd = m.stateDict();
    for (const [k, t] of Object.entries(sd)) {
      if (t.dtype !== 'float32') continue;
      if (k.endsWith('.weight') && `${k.slice(0, -7)}.running_var` in sd) t.copy_(st.rand(t.shape, { generator: g }).mul(0.4).add(0.3));
      else if (k.endsWith('running_mean')) t.copy_(st.rand(t.shape, { generator: g }).mul(0.2).sub(0.1));
      else if (k.endsWith('running_var')) t.copy_(st.rand(t.shape, { generator: g }).mul(0.5).add(0.75));
      else if (t.numel <= 1e6 && t.abs().max().item() === 0) t.copy_(st.randn(t.shape, { generator: g }).mul(0.1));
    }
  });
}

async function ortRun(bytes: Uint8Array, x: Tensor): Promise<{ y: number[]; shape: number[] }> {
  const s = await ort!.InferenceSession.create(bytes);
  const r = await s.run({ input: new ort!.Tensor('float32', Float32Array.from(x.data() as Float32Array), [...x.shape]) });
  const out = r.logits;
  const y = Array.from(out.data as Float32Array);
  await s.release();
  return { y, shape: [...out.dims] };
}

function maxAbsDiff(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * Image models the zoo builds from an image alone (the fusion models take audio too; vit_moe_tiny's routing uses
 * topk, which has no mapping yet). The big ones (ViT-B/16, Mixer-B/16, VGG-16, WRN-28-10, ResNet-34/50, DenseNet-121)
 * share their op set with the small ones and are left to `npm run bench:export -- --zoo` for test time.
 */
const IMAGE_MODELS = st.models.modelNames().filter((n) => {
  const e = st.models.getModel(n);
  // an ensemble is built from trained members (strata ensemble), not from a task
  return e.kind === 'image' && !e.inputs?.length && n !== 'av_image' && n !== 'vit_moe_tiny' && n !== 'ensemble' && !/_16$|^vgg16|^wrn28|^resnet50|^se_resnet50|^densenet121|^resnet34/.test(n);
});
const AT_224 = ['resnet18', 'mobilenet_v2'];

describe('ONNX export checked by ONNX Runtime', { skip: ort ? false : ortWhy, concurrency: 1 }, () => {
  const be = hasNative() ? 'native' : 'js';
  const cases: [string, number, number][] = [
    ...IMAGE_MODELS.map((n) => [n, 1, 28] as [string, number, number]),
    ...AT_224.map((n) => [n, 3, 224] as [string, number, number]),
  ];
  for (const [i, [name, c, hw]] of cases.entries()) {
    it(`${name} at ${c}×${hw}×${hw}: ONNX Runtime's logits equal strata's within 1e-4 (traced at batch 2, run at batch 3)`, async () => {
      const prev = st.getBackend().name as 'js' | 'native';
      st.setBackend(be);
      try {
        const m = st.models.createModel(name, imageTask(c, hw, 10));
        randomise(m, 10 + i);
        m.eval();
        const bytes = st.onnx.exportModelBuffer(m, st.randn([2, c, hw, hw]));
        const x = st.randn([3, c, hw, hw], { generator: new st.Generator(i) });
        const ours = flat(st.noGrad(() => m.forward(x) as Tensor));
        const { y, shape } = await ortRun(bytes, x);
        assert.deepEqual(shape, [3, 10]);
        assert.ok(ours.some((v) => Math.abs(v) > 1e-3), `${name}: strata's logits are all near zero, so the comparison would be empty`);
        const d = maxAbsDiff(y, ours);
        console.log(`# onnx ${name} ${c}x${hw}x${hw}: max |Δlogits| ${d.toExponential(2)} (max |logit| ${Math.max(...ours.map(Math.abs)).toFixed(3)}, ${(bytes.length / 2 ** 20).toFixed(1)} MiB)`);
        assert.ok(d <= 1e-4, `${name}: ONNX Runtime and strata differ by ${d.toExponential(2)} (limit 1e-4)`);
        m.dispose();
      } finally {
        st.setBackend(prev);
      }
    });
  }

  it('the CNN on real Fashion-MNIST images: same logits and the same predicted classes', async (t) => {
    const dir = '/work/shared/data/fashion-mnist';
    const file = ['t10k-images-idx3-ubyte', 't10k-images-idx3-ubyte.gz'].map((f) => join(dir, f)).find(existsSync);
    if (!file) return t.skip(`no Fashion-MNIST test images under ${dir}`);
    const raw = st.data.readIdx(file);
    const n = 16;
    const imgs = st.tensor(Float32Array.from(raw.data.subarray(0, n * 784), (v) => v / 255), { shape: [n, 1, 28, 28] });
    const m = st.models.createModel('cnn', imageTask(1, 28, 10));
    randomise(m, 1);
    m.eval();
    const bytes = st.onnx.exportModelBuffer(m, imgs.slice(0, 0, 2));
    const ours = flat(st.noGrad(() => m.forward(imgs) as Tensor));
    const { y } = await ortRun(bytes, imgs);
    assert.ok(maxAbsDiff(y, ours) <= 1e-4);
  });

  it('onnx.checker.check_model passes (python3-onnx)', { skip: !hasOnnxPy && `${PY} -c 'import onnx' failed: install python3-onnx` }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-onnx-'));
    try {
      for (const name of ['resnet18', 'vit_tiny', 'mixer_tiny', 'densenet_bc_100']) {
        const m = st.models.createModel(name, imageTask(3, 32, 10)).eval();
        st.onnx.exportModel(m, st.randn([1, 3, 32, 32]), join(dir, `${name}.onnx`));
        m.dispose();
      }
      const r = spawnSync(PY, ['-c', 'import sys, onnx\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(p), full_check=True)\nprint("ok")', ...['resnet18', 'vit_tiny', 'mixer_tiny', 'densenet_bc_100'].map((n) => join(dir, `${n}.onnx`))], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'ok');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ONNX export errors', () => {
  it('an op with no mapping names the op and the module it came from', () => {
    class Odd extends st.nn.Module {
      fc = new st.nn.Linear(4, 4);
      forward(x: Tensor): Tensor {
        return this.fc.forward(x).cumsum(1);
      }
    }
    throwsWith(() => st.onnx.exportModelBuffer(new Odd(), st.randn([2, 4])), "no ONNX mapping for op 'cumsum'", "module '(the model itself)' (Odd)", 'registerOnnxOp');
  });
  it('an unsupported opset is refused with the supported one', () => {
    throwsWith(() => st.onnx.exportModelBuffer(new st.nn.Linear(2, 2), st.randn([1, 2]), { opset: 11 }), 'opset 11', 'opset 17');
  });
  it('the file is ONNX: ir_version 8, opset 17, parameters as initializers named by state-dict key', () => {
    const m = new st.nn.Sequential(new st.nn.Linear(3, 4), new st.nn.ReLU(), new st.nn.Linear(4, 2));
    const model = st.onnx.decodeModel(st.onnx.exportModelBuffer(m, st.randn([5, 3])));
    assert.equal(model.ir_version, 8);
    assert.deepEqual(model.opset_import, [{ domain: '', version: 17 }]);
    assert.deepEqual(model.graph.initializer.map((t: { name: string }) => t.name), ['0.weight', '0.bias', '2.weight', '2.bias']);
    assert.deepEqual(model.graph.node.map((n: { op_type: string }) => n.op_type), ['Gemm', 'Relu', 'Gemm', 'Identity']);
    assert.deepEqual(model.graph.input[0].type.tensor_type.shape.dim, [{ dim_param: 'batch' }, { dim_value: 3 }]);
  });
});
