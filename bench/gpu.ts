// strata's side of `npm run bench:gpu`: training steps on a CUDA device, timed per step with a device
// synchronisation, printed as JSON lines. The PyTorch peer is bench/peers/torch_gpu.py (same models,
// optimizers, batch sizes and precision); bench/gpu-run.ts runs both in interleaved rounds.
// usage: node dist/bench/gpu.js [--only name,…] [--precision fp32,bf16] [--reps 20] [--warmup 5] [--device cuda|cpu (a dry run)]
import * as st from '../src/index.js';
import { median, parseFlags } from './util.js';

const flags = parseFlags(process.argv.slice(2));
const only = new Set((flags.only ?? '').split(',').filter(Boolean));
const precisions = (flags.precision ?? 'fp32,bf16').split(',');
const reps = Number(flags.reps ?? 20), warmup = Number(flags.warmup ?? 5);
const device = flags.device ?? 'cuda';
if (device.startsWith('cuda') && !st.cuda.isAvailable()) {
  console.error(`bench:gpu: ${st.cuda.unavailableReason()}`);
  process.exit(2);
}
st.setDefaultDevice(device);
const sync = () => { if (device !== 'cpu') st.cuda.synchronize(); };
st.manualSeed(0);
const { nn } = st;
const autocast = (st as unknown as { autocast?: <R>(o: { dtype: string }, f: () => R) => R }).autocast;

interface Workload { name: string; make: () => { model: st.nn.Module; opt: st.optim.Optimizer<never>; loss: () => st.Tensor } }

function classifier(model: st.nn.Module, x: st.Tensor, y: st.Tensor, opt: 'adam' | 'sgd') {
  const o = opt === 'adam' ? new st.optim.Adam(model.parameters(), { lr: 1e-3 }) : new st.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  return { model, opt: o as unknown as st.optim.Optimizer<never>, loss: () => st.crossEntropy(model.forward(x) as st.Tensor, y) };
}
function gpt(nLayer: number, nHead: number, dModel: number, T: number, B: number) {
  const V = 65;
  const model = new st.models.GPT({ vocabSize: V, contextLength: T }, { nLayer, nHead, dModel });
  const x = st.randint(0, V, [B, T]), y = st.randint(0, V, [B, T]);
  return { model, opt: new st.optim.AdamW(model.parameters(), { lr: 1e-3 }) as unknown as st.optim.Optimizer<never>, loss: () => model.loss(x, y) };
}
const image = { inChannels: 3, height: 224, width: 224, numClasses: 1000 };

const workloads: Workload[] = [
  { name: 'cnn-train-step', make: () => classifier(new nn.Sequential(
    new nn.Conv2d(1, 32, 3), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Conv2d(32, 64, 3), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(64 * 5 * 5, 128), new nn.ReLU(), new nn.Linear(128, 10)), st.randn([64, 1, 28, 28]), st.randint(0, 10, [64]), 'adam') },
  { name: 'mlp-train-step', make: () => classifier(new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 128), new nn.ReLU(), new nn.Linear(128, 10)),
    st.randn([64, 784]), st.randint(0, 10, [64]), 'adam') },
  { name: 'gpt-char-train-step', make: () => gpt(4, 4, 128, 128, 32) },
  { name: 'gpt-8l-512w-train-step', make: () => gpt(8, 8, 512, 256, 64) },
  { name: 'resnet18-b64-train-step', make: () => classifier(st.models.resnet18(image), st.randn([64, 3, 224, 224]), st.randint(0, 1000, [64]), 'sgd') },
  { name: 'resnet50-b64-train-step', make: () => classifier(st.models.resnet50(image), st.randn([64, 3, 224, 224]), st.randint(0, 1000, [64]), 'sgd') },
];

for (const w of workloads) {
  if (only.size && !only.has(w.name)) continue;
  for (const precision of precisions) {
    if (precision !== 'fp32' && !autocast) {
      console.log(JSON.stringify({ workload: w.name, precision, impl: 'strata', skipped: 'st.autocast is not available in this build' }));
      continue;
    }
    const { model, opt, loss } = w.make();
    const step = () => st.tidy(() => {
      opt.zeroGrad();
      const l = precision === 'fp32' ? loss() : autocast!({ dtype: precision === 'bf16' ? 'bfloat16' : 'float16' }, loss);
      l.backward();
      opt.step();
    });
    try {
      for (let i = 0; i < warmup; i++) step();
      sync();
      const times: number[] = [];
      for (let i = 0; i < reps; i++) {
        const t = performance.now();
        step();
        sync();
        times.push((performance.now() - t) / 1000);
      }
      let peak: number | null = null;
      try { peak = st.cuda.maxMemoryAllocated(); } catch { /* lite build */ }
      console.log(JSON.stringify({ workload: w.name, precision, impl: 'strata', device, seconds: median(times), min: Math.min(...times), reps, peakBytes: peak }));
    } catch (e) {
      console.log(JSON.stringify({ workload: w.name, precision, impl: 'strata', error: (e as Error).message.split('\n')[0] }));
    }
    model.dispose();
    opt.dispose?.();
    try { st.cuda.emptyCache(); st.cuda.resetPeakMemoryStats(); } catch { /* lite build */ }
  }
}
