// Seed 000 §4: the PyTorch recurrent network, in strata, then trained on a task that needs memory.
// Run: npm run example seed-000-rnn
import * as st from 'strata-ml';

const { nn } = st;

class RNN extends nn.Module {
  rnn: st.nn.RNN;
  linear: st.nn.Linear;
  constructor(inputSize: number, readonly hiddenSize: number, outputSize: number) {
    super();
    // NOTE: the seed builds nn.RNN(input_size, hidden_size) but feeds it [batch, seq, feature] and reads
    // out[:, -1, :], which is the batch-first layout: batchFirst makes the two agree.
    this.rnn = new nn.RNN(inputSize, hiddenSize, { batchFirst: true });
    this.linear = new nn.Linear(hiddenSize, outputSize);
  }
  forward(x: st.Tensor): st.Tensor {
    const h0 = st.zeros([1, x.size(0), this.hiddenSize]);
    let [out] = this.rnn.forward(x, h0);
    out = this.linear.forward(out.select(1, -1)); // out[:, -1, :]
    return out;
  }
}

const inputSize = 10;
const hiddenSize = 20;
const outputSize = 5;

st.manualSeed(0);
const model = new RNN(inputSize, hiddenSize, outputSize);
console.log(String(model));
console.log(`parameters: ${model.numParameters()} (RNN ${hiddenSize * (inputSize + hiddenSize + 2)} + linear ${hiddenSize * outputSize + outputSize})`);

// A task that needs the recurrence: in a sequence of 5 random 10-d vectors, which of the first 5
// features was largest in the FIRST vector? The answer is only available by remembering step 0.
function batch(g: st.Generator, n: number): { x: st.Tensor; y: st.Tensor } {
  const x = st.randn([n, 5, inputSize], { generator: g });
  const y = x.select(1, 0).narrow(1, 0, outputSize).argmax(1);
  return { x, y };
}
const opt = new st.optim.Adam(model.parameters(), { lr: 5e-3 });
const g = new st.Generator(1);
for (let step = 1; step <= 1000; step++) {
  const loss = st.tidy(() => {
    const { x, y } = batch(g, 64);
    const l = st.crossEntropy(model.forward(x), y);
    opt.zeroGrad();
    l.backward();
    opt.step();
    return l.item();
  });
  if (step % 250 === 0) console.log(`step ${step}: loss ${loss.toFixed(4)}`);
}
const acc = st.noGrad(() => st.tidy(() => {
  const { x, y } = batch(new st.Generator(99), 1000);
  return model.forward(x).argmax(1).eq(y).float().mean().item();
}));
console.log(`held-out accuracy: ${(100 * acc).toFixed(1)}% (chance: ${(100 / outputSize).toFixed(0)}%)`);
