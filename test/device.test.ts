// Devices: parsing, tensor.device, moves between devices and backends, Module.to in place, the errors
// without CUDA (every CI machine), and CUDA behaviour against the CPU (skipped where no GPU is usable).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../src/index.js';
import { backends, hasNative, onBackend, throwsWith } from './helpers.js';

const cuda = st.cuda.isAvailable();
const noCuda = { skip: cuda ? 'a CUDA device is present' : false };
const needCuda = { skip: cuda ? false : 'no CUDA device (scripts/gpu-check.sh runs these on a GPU machine)' };

describe('devices', () => {
  it('parses device strings as torch.device does', () => {
    assert.equal(st.device('cpu').toString(), 'cpu');
    assert.equal(st.device('cuda').toString(), 'cuda');
    const d = st.device('cuda:1');
    assert.equal(d.type, 'cuda');
    assert.equal(d.index, 1);
    assert.ok(st.device('cuda').equals('cuda:0'));
    assert.ok(!st.device('cuda:1').equals('cuda:0'));
    throwsWith(() => st.device('gpu'), 'device', "expected 'cpu', 'cuda' or 'cuda:N'");
    throwsWith(() => st.device('cpu:1'), 'one CPU device');
    throwsWith(() => st.device('cuda:-1'), 'unknown device');
  });

  for (const be of backends()) {
    it(`${be}: CPU tensors report the cpu device; moving to the cpu is a no-op`, () => onBackend(be, () => {
      const x = st.tensor([1, 2, 3], { device: 'cpu' });
      assert.equal(x.device.toString(), 'cpu');
      assert.equal(x.isCuda, false);
      assert.equal(x.to('cpu'), x);
      assert.equal(x.cpu(), x);
      assert.equal(st.zeros([2], { device: 'cpu', backend: be }).backend, x.backend);
    }));
  }

  it('without CUDA: every way onto a GPU fails with a StrataError saying why and how to fix it', noCuda, () => {
    assert.equal(st.cuda.isAvailable(), false);
    assert.equal(st.cuda.deviceCount(), 0);
    assert.ok(st.cuda.unavailableReason());
    const x = st.tensor([1, 2]);
    throwsWith(() => x.to('cuda'), 'to', 'CUDA is not available');
    throwsWith(() => x.cuda(), 'CUDA is not available');
    throwsWith(() => st.zeros([2], { device: 'cuda:0' }), 'tensor', 'CUDA is not available');
    throwsWith(() => st.setDefaultDevice('cuda'), 'setDefaultDevice', 'CUDA is not available');
    throwsWith(() => new st.nn.Linear(2, 2).to('cuda'), 'Module.to', 'CUDA is not available');
    throwsWith(() => st.cuda.synchronize(), 'cuda.synchronize', 'CUDA is not available');
    throwsWith(() => x.pinMemory(), 'pinMemory');
    assert.equal(st.getDefaultDevice().toString(), 'cpu');
    // the js backend has the CPU only
    throwsWith(() => x.to('js').to('cuda'), 'CUDA is not available');
    if (hasNative()) assert.match(st.cuda.unavailableReason()!, /libtorch|GPU/);
  });

  it('a DataLoader asked to pin memory without CUDA warns once and loads as usual', noCuda, async () => {
    const ds = new st.data.ArrayDataset({ x: { data: new Float32Array(8), shape: [4, 2] }, y: new Int32Array([0, 1, 0, 1]) });
    const loader = new st.data.DataLoader(ds, { batchSize: 2, pinMemory: true });
    assert.equal(loader.pinMemory, false);
    let n = 0;
    for await (const b of loader) {
      assert.equal((b as { x: st.Tensor }).x.isPinned(), false);
      n++;
    }
    assert.equal(n, 2);
  });

  it('Module.to moves parameters in place: the optimizer made before the move follows, state included', { skip: !hasNative() }, () => {
    onBackend('native', () => {
      st.manualSeed(3);
      const m = new st.nn.Linear(3, 2);
      const ref = new st.nn.Linear(3, 2);
      ref.loadStateDict(m.stateDict());
      const opt = new st.optim.Adam(m.parameters(), { lr: 0.1 });
      const optRef = new st.optim.Adam(ref.parameters(), { lr: 0.1 });
      const w = m.weight;
      const x = st.tensor([[1, -2, 0.5]]);
      const step = (mod: st.nn.Linear, o: st.optim.Adam, input: st.Tensor) => {
        o.zeroGrad();
        mod.forward(input).square().sum().backward();
        o.step();
      };
      step(m, opt, x);
      step(ref, optRef, x);
      m.to('js');
      assert.equal(m.weight, w, 'the parameter object stays the same');
      assert.equal(w.backend.name, 'js');
      step(m, opt, x.to('js')); // Adam's moments moved with the parameter
      step(ref, optRef, x);
      m.to('native');
      assert.equal(w.backend.name, 'native');
      assert.deepEqual(Array.from(m.weight.data() as Float32Array).map((v) => v.toFixed(5)), Array.from(ref.weight.data() as Float32Array).map((v) => v.toFixed(5)));
    });
  });

  it('moving between backends is differentiable: gradients flow back to the source', { skip: !hasNative() }, () => {
    const a = onBackend('js', () => st.tensor([1, 2, 3], { requiresGrad: true }));
    const b = a.to('native');
    b.mul(b).sum().backward();
    assert.equal(a.grad!.backend.name, 'js');
    assert.deepEqual(a.grad!.toArray(), [2, 4, 6]);
  });
});

describe('CUDA (on a GPU machine)', () => {
  it('moves tensors to the GPU and back, keeping values; reads copy to the host', needCuda, () => {
    const x = st.tensor([[1.5, -2], [3, 4]], { device: 'cpu' });
    const g = x.to('cuda');
    assert.equal(g.device.toString(), 'cuda:0');
    assert.ok(g.isCuda);
    assert.deepEqual(g.toArray(), [[1.5, -2], [3, 4]]);
    assert.equal(g.sum().item(), 6.5);
    assert.deepEqual(g.cpu().toArray(), x.toArray());
    assert.equal(st.zeros([3], { device: 'cuda' }).device.toString(), 'cuda:0');
    const props = st.cuda.getDeviceProperties(0);
    assert.ok(props.name.length > 0);
  });

  it('refuses ops mixing devices, naming both', needCuda, () => {
    const a = st.tensor([1, 2], { device: 'cpu' }), b = st.tensor([3, 4], { device: 'cpu' }).cuda();
    throwsWith(() => a.add(b), 'add', 'cpu', 'cuda:0');
    throwsWith(() => st.matmul(a.reshape([1, 2]), b.reshape([2, 1])), 'cuda:0', 'cpu');
  });

  it('gradients through .to("cuda") arrive on the CPU leaf, equal to the CPU computation', needCuda, () => {
    const w = st.tensor([[0.5, -1], [2, 0.25]], { requiresGrad: true, device: 'cpu' });
    const x = st.tensor([[1, 2], [3, 4]], { device: 'cpu' });
    w.to('cuda').matmul(x.cuda()).tanh().sum().backward();
    const gCuda = w.grad!.toArray() as number[][];
    w.zeroGrad();
    w.matmul(x).tanh().sum().backward();
    const gCpu = w.grad!.toArray() as number[][];
    assert.equal(w.grad!.device.toString(), 'cpu');
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) assert.ok(Math.abs(gCuda[i][j] - gCpu[i][j]) < 1e-5);
  });

  it('dropout draws the same mask on the GPU as on the CPU for a seed', needCuda, () => {
    const x = st.ones([1000], { device: 'cpu' });
    const cpu = st.dropout(x, 0.3, true, new st.Generator(7)).toArray();
    const gpu = st.dropout(x.cuda(), 0.3, true, new st.Generator(7)).toArray();
    assert.deepEqual(gpu, cpu);
  });

  it('batch norm in eval mode and pooling backward match the CPU (kernels that failed on CUDA before)', needCuda, () => onBackend('native', () => {
    const prev = st.getDefaultDevice();
    st.setDefaultDevice('cpu');
    st.manualSeed(1);
    // NHWC data seen as NCHW (channels-last strides): ATen's CUDA avg-pool backward got such inputs wrong
    const x = st.randn([4, 6, 6, 3]).permute(0, 3, 1, 2);
    const model = () => new st.nn.Sequential(new st.nn.AvgPool2d(3, { stride: 1, padding: 1 }), new st.nn.Conv2d(3, 4, 3), new st.nn.BatchNorm2d(4), new st.nn.ReLU(), new st.nn.AvgPool2d(2), new st.nn.MaxPool2d(2), new st.nn.Flatten());
    const cpuModel = model();
    const gpuModel = model();
    gpuModel.loadStateDict(cpuModel.stateDict());
    gpuModel.to('cuda');
    for (const training of [true, false]) {
      cpuModel.train(training);
      gpuModel.train(training);
      cpuModel.zeroGrad();
      gpuModel.zeroGrad();
      cpuModel.forward(x).sum().backward();
      gpuModel.forward(x.cuda()).sum().backward();
      const a = cpuModel.parameters(), b = gpuModel.parameters();
      for (let i = 0; i < a.length; i++) {
        const d = st.sub(a[i].grad!, b[i].grad!.cpu()).abs().amax().item();
        assert.ok(d < 1e-4, `parameter ${i} gradient differs by ${d} (training=${training})`);
      }
    }
    st.setDefaultDevice(prev);
  }));

  it('module.to("cuda") then Trainer: batches move to the model, pinned loaders copy asynchronously', needCuda, async () => {
    st.manualSeed(2);
    const n = 64;
    const ds = new st.data.ArrayDataset({ x: { data: Float32Array.from({ length: n * 4 }, (_, i) => Math.sin(i)), shape: [n, 4] }, y: Int32Array.from({ length: n }, (_, i) => i % 2) });
    const loader = new st.data.DataLoader(ds, { batchSize: 16, pinMemory: true });
    assert.equal(loader.pinMemory, true);
    const model = new st.nn.Sequential(new st.nn.Linear(4, 8), new st.nn.ReLU(), new st.nn.Linear(8, 2)).to('cuda');
    const trainer = new st.train.Trainer({ model, optimizer: new st.optim.Adam(model.parameters(), { lr: 1e-2 }) });
    const hist = await trainer.fit(loader, { epochs: 2 });
    assert.equal(hist.length, 2);
    assert.ok(Number.isFinite(hist[1].train_loss));
    assert.equal(model.parameters()[0].device.toString(), 'cuda:0');
    assert.ok(st.cuda.memoryAllocated() > 0);
    assert.ok(st.cuda.maxMemoryAllocated() >= st.cuda.memoryAllocated());
  });
});
