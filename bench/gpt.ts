// One training step of a character GPT (4 layers, 4 heads, width 128, context 128, batch 32, vocab 65)
// in strata, timed per step; optionally profiled per op. The PyTorch peer: bench/peers/torch_gpt.py.
// usage: node dist/bench/gpt.js [--backend native|js] [--threads 2] [--steps 10] [--dropout 0] [--profile 1]
import * as st from '../src/index.js';
import { median, parseFlags } from './util.js';
import { observeOps } from './op-profile.js';

const flags = parseFlags(process.argv.slice(2));
st.setBackend((flags.backend ?? 'native') as 'native' | 'js');
st.setNumThreads(Number(flags.threads ?? 2));
st.manualSeed(0);
const steps = Number(flags.steps ?? 10);
const B = 32, T = 128, V = 65;
const model = new st.models.GPT({ vocabSize: V, contextLength: T }, { nLayer: 4, nHead: 4, dModel: 128, dropout: Number(flags.dropout ?? 0) });
const opt = new st.optim.AdamW(model.parameters(), { lr: 1e-3 });
const x = st.randint(0, V, [B, T]), y = st.randint(0, V, [B, T]);

const step = () => st.tidy(() => {
  opt.zeroGrad();
  const loss = model.loss(x, y);
  loss.backward();
  opt.step();
  return loss.item();
});

for (let i = 0; i < 3; i++) step();
// wall-clock per step, and CPU time per step (all threads; less disturbed by other processes on the machine)
const times: number[] = [], cpu: number[] = [];
for (let i = 0; i < steps; i++) {
  const t = performance.now(), c = process.cpuUsage();
  step();
  const dc = process.cpuUsage(c);
  times.push((performance.now() - t) / 1000);
  cpu.push((dc.user + dc.system) / 1e6);
}
const r3 = (v: number) => Math.round(v * 1000) / 1000;
console.log(JSON.stringify({ workload: 'gpt-char-train-step', impl: `strata-${st.getBackend().name}`, seconds: r3(median(times)), min: r3(Math.min(...times)), cpuSeconds: r3(median(cpu)), steps }));
if (flags.profile) observeOps(step, 3);
