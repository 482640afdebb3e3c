// Seed 002 §4: the PyTorch attention module, in strata, learning where to look in a sequence.
// Run: npm run example seed-002-attention
import * as st from 'strata-ml';

const { nn } = st;

class Attention extends nn.Module {
  W: st.nn.Linear; V: st.nn.Linear; a: st.nn.Linear;
  constructor(readonly hiddenSize: number, readonly attentionSize: number) {
    super();
    this.W = new nn.Linear(hiddenSize, attentionSize);
    this.V = new nn.Linear(hiddenSize, attentionSize);
    this.a = new nn.Linear(attentionSize, 1);
  }
  /** hidden: [B, T, H] (a query per position), encoderOutputs: [B, T, H] → context [B, H], weights [B, T]. */
  forward(hidden: st.Tensor, encoderOutputs: st.Tensor): [st.Tensor, st.Tensor] {
    hidden = this.W.forward(hidden);
    hidden = st.tanh(hidden);
    hidden = this.V.forward(hidden);
    // NOTE: the seed applies `a` and then `unsqueeze(2)`, which only fits if `a`'s size-1 output
    // dimension is dropped first; V also maps hidden_size, so the seed's sizes must be equal.
    let attentionWeights = this.a.forward(hidden).squeeze(-1);
    attentionWeights = st.exp(attentionWeights);
    attentionWeights = attentionWeights.div(attentionWeights.sum(1, true));
    let context = encoderOutputs.mul(attentionWeights.unsqueeze(2));
    context = context.sum(1);
    return [context, attentionWeights];
  }
}

// A task that needs attention: each sequence of T random vectors has one "marked" position (its
// first feature is 1, others 0); the label is the class encoded in that position's features.
const B = 64, T = 12, H = 16, C = 4;
function batch(g: st.Generator): { x: st.Tensor; y: st.Tensor; where: number[] } {
  const x = new Float32Array(B * T * H), y: number[] = [], where: number[] = [];
  for (let b = 0; b < B; b++) {
    const pos = g.randint(0, T), cls = g.randint(0, C);
    for (let t = 0; t < T; t++) {
      for (let h = 1; h < H; h++) x[(b * T + t) * H + h] = g.normal() * 0.5;
      if (t === pos) {
        x[(b * T + t) * H] = 1;
        x[(b * T + t) * H + 1 + cls] += 2;
      }
    }
    y.push(cls);
    where.push(pos);
  }
  return { x: st.tensor(x, { shape: [B, T, H] }), y: st.tensor(y, { dtype: 'int64' }), where };
}

st.manualSeed(0);
const attention = new Attention(H, H);
const classifier = new nn.Linear(H, C);
const params = [...attention.parameters(), ...classifier.parameters()];
const opt = new st.optim.Adam(params, { lr: 1e-2 });
const g = new st.Generator(1);
for (let step = 1; step <= 300; step++) {
  const loss = st.tidy(() => {
    const { x, y } = batch(g);
    const [context] = attention.forward(x, x);
    const l = st.crossEntropy(classifier.forward(context), y);
    opt.zeroGrad();
    l.backward();
    opt.step();
    return l.item();
  });
  if (step % 100 === 0) console.log(`step ${step}: loss ${loss.toFixed(4)}`);
}
st.noGrad(() => st.tidy(() => {
  const { x, y, where } = batch(new st.Generator(99));
  const [context, weights] = attention.forward(x, x);
  const pred = classifier.forward(context).argmax(1);
  const acc = pred.eq(y).float().mean().item();
  const w = weights.toArray() as number[][];
  const onMarked = where.reduce((s, p, b) => s + w[b][p], 0) / B;
  console.log(`held-out accuracy: ${(100 * acc).toFixed(1)}%; mean attention weight on the marked position: ${onMarked.toFixed(3)} (uniform would be ${(1 / T).toFixed(3)})`);
}));
