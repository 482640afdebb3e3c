// strata's recurrent workloads for `npm run bench`: training steps (forward, backward, Adam) of LSTM and GRU
// sequence taggers, printed as JSON lines like bench/workloads.ts. PyTorch's side: bench/peers/torch_rnn.py.
// usage: node dist/bench/rnn.js --backend native|js --threads N [--only name,name]
import * as st from '../src/index.js';
import { measure as measureIn, parseFlags } from './util.js';

const flags = parseFlags(process.argv.slice(2));
const backend = flags.backend as 'native' | 'js';
st.setBackend(backend);
st.setNumThreads(Number(flags.threads));
st.manualSeed(0);
const only = new Set((flags.only ?? '').split(',').filter(Boolean));
const isJs = backend === 'js';

const measure = (name: string, fn: () => void, warmup: number, reps: number) => measureIn(only, name, fn, warmup, reps);

// batch 32, sequence 64, input 128, hidden 256: a per-step tagger (recurrent layers, then a linear
// classifier on every step's output, cross-entropy over all steps)
const B = 32, T = 64, I = 128, H = 256, C = 10;
const x = st.randn([T, B, I]), y = st.randint(0, C, [T * B]);

function trainStep(rnn: st.nn.LSTM | st.nn.GRU): () => void {
  const fc = new st.nn.Linear(H, C);
  const opt = new st.optim.Adam([...rnn.parameters(), ...fc.parameters()], { lr: 1e-3 });
  return () => st.tidy(() => {
    opt.zeroGrad();
    const [out] = rnn.forward(x);
    const loss = st.crossEntropy(fc.forward(out).reshape([T * B, C]), y);
    loss.backward();
    opt.step();
  });
}

const warm = isJs ? 1 : 3, reps = isJs ? 3 : 15;
for (const layers of [1, 2]) {
  const tag = layers === 1 ? '' : `-${layers}layer`;
  measure(`lstm${tag}-train-step`, trainStep(new st.nn.LSTM(I, H, { numLayers: layers })), warm, reps);
  measure(`gru${tag}-train-step`, trainStep(new st.nn.GRU(I, H, { numLayers: layers })), warm, reps);
}
