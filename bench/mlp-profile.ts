// Profile of the MLP train step of `npm run bench` (time per kernel), for work on dispatch overhead.
// usage: node dist/bench/mlp-profile.js [--threads 2]
import * as st from '../src/index.js';
import { observeOps } from './op-profile.js';
import { parseFlags } from './util.js';

const flags = parseFlags(process.argv.slice(2));
st.setNumThreads(Number(flags.threads ?? 2));
st.manualSeed(0);
const { nn } = st;
const mlp = new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 128), new nn.ReLU(), new nn.Linear(128, 10));
const x = st.randn([64, 784]), y = st.randint(0, 10, [64]);
const opt = new st.optim.Adam(mlp.parameters(), { lr: 1e-3 });
const step = () => st.tidy(() => {
  opt.zeroGrad();
  const loss = st.crossEntropy(mlp.forward(x), y);
  loss.backward();
  opt.step();
});
for (let i = 0; i < 50; i++) step();
const t = performance.now();
for (let i = 0; i < 300; i++) step();
console.log(`plain: ${((performance.now() - t) / 300).toFixed(3)} ms/step`);
observeOps(step, 300);
