// Memory of a 784-128-10 MLP training loop over many steps: RSS, the V8 heap and strata's live tensors,
// every 1,000 steps. Usage: node dist/bench/memory-loop.js [steps=10000] [tidy|sync] [native|js]
// `tidy` wraps each step in st.tidy; `sync` leaves every tensor to the finalizer without yielding
// (the PyTorch-style loop of issue 12: watch for the STRATA_FINALIZER_BACKLOG warning).
import * as st from '../src/index.js';

const steps = Number(process.argv[2] ?? 10000);
const mode = process.argv[3] ?? 'tidy';
st.setBackend((process.argv[4] ?? 'native') as st.BackendName);
st.setNumThreads(1);
st.manualSeed(0);
const model = new st.nn.Sequential(new st.nn.Linear(784, 128), new st.nn.ReLU(), new st.nn.Linear(128, 10));
const opt = new st.optim.SGD(model.parameters(), { lr: 0.01 });
const x = st.randn([64, 784]), y = st.randint(0, 10, [64]);
const step = () => {
  opt.zeroGrad();
  st.crossEntropy(model.forward(x), y).backward();
  opt.step();
};
const mb = (b: number) => (b / 2 ** 20).toFixed(1);
for (let i = 0; i <= steps; i++) {
  if (mode === 'tidy') st.tidy(step);
  else step();
  if (i % 1000 === 0) {
    const m = process.memoryUsage(), s = st.memory();
    console.log(`step ${i}: rss ${mb(m.rss)} MB, heapUsed ${mb(m.heapUsed)} MB, heapTotal ${mb(m.heapTotal)} MB, tensors ${s.tensors}, storage ${mb(s.bytes)} MB`);
  }
}
