// strata's side of `npm run bench`: each workload on one backend, printed as JSON lines.
// usage: node dist/bench/workloads.js --backend native|js --threads N [--only name,name] [--profile name]
// (--profile: after timing that workload, its time per kernel, bench/op-profile.ts)
import * as st from '../src/index.js';
import { observeOps } from './op-profile.js';
import { measure as measureIn, parseFlags } from './util.js';

const flags = parseFlags(process.argv.slice(2));
const backend = flags.backend as 'native' | 'js';
st.setBackend(backend);
st.setNumThreads(Number(flags.threads));
st.manualSeed(0);
const only = new Set((flags.only ?? '').split(',').filter(Boolean));
const isJs = backend === 'js';

const measure = (name: string, fn: () => void, warmup: number, reps: number) => {
  measureIn(only, name, fn, warmup, reps);
  if (flags.profile === name) observeOps(fn, reps);
};

for (const [n, reps] of [[512, isJs ? 5 : 20], [2048, isJs ? 1 : 5]] as const) {
  const a = st.randn([n, n]), b = st.randn([n, n]);
  measure(`sgemm-${n}`, () => a.matmul(b).dispose(), isJs ? 1 : 3, reps);
}

function trainStep(model: st.nn.Module, x: st.Tensor, y: st.Tensor): () => void {
  const opt = new st.optim.Adam(model.parameters(), { lr: 1e-3 });
  return () => st.tidy(() => {
    opt.zeroGrad();
    const loss = st.crossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
  });
}

const { nn } = st;
const cnn = new nn.Sequential(
  new nn.Conv2d(1, 32, 3), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Conv2d(32, 64, 3), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Flatten(), new nn.Linear(64 * 5 * 5, 128), new nn.ReLU(), new nn.Linear(128, 10));
const x = st.randn([64, 1, 28, 28]), y = st.randint(0, 10, [64]);
measure('cnn-train-step', trainStep(cnn, x, y), isJs ? 2 : 5, isJs ? 10 : 30);

const mlp = new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 128), new nn.ReLU(), new nn.Linear(128, 10));
measure('mlp-train-step', trainStep(mlp, x.reshape([64, 784]), y), 10, isJs ? 30 : 100);

const u = st.ones([64, 64]), v = st.ones([64, 64]);
// NOTE: each result is freed at once, as Python's refcounting frees PyTorch's.
measure('add-64x64-x1000', () => {
  for (let i = 0; i < 1000; i++) u.add(v).dispose();
}, 5, 30);
