// bench:textcls — the issue 5 text-classification target on the kjv-genre split (KJVGenre: verses → the genre
// of their book, 6 classes, fixed chapter split): a strata neural classifier against the bag-of-words
// logistic-regression baseline (kjvGenreBaseline's BowLogisticRegression, TF-IDF) trained on the same
// train split. Both report accuracy and macro F1 on validation and test; the neural model's epoch is
// chosen by validation accuracy (test is looked at once, for the reported numbers).
// usage: npm run bench:textcls [-- --model gru|bert] [--epochs 5] [--dropout 0.3] [--threads 2] [--backend native|js] [--out bench/textcls-latest.json]
// Models: gru (default): word embeddings → bidirectional GRU (lengths, no padding steps) → mean and max
// pooling over the verse → linear; bert: BertClassifier (2 post-norm layers, width 128, mean pooling).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as st from '../src/index.js';
import { parseFlags } from './util.js';

const T = st.data.text;
const { nn } = st;
const flags = parseFlags(process.argv.slice(2));
st.setBackend((flags.backend ?? 'native') as 'native' | 'js');
st.setNumThreads(Number(flags.threads ?? 2));
const modelName = flags.model ?? 'gru';
if (modelName !== 'gru' && modelName !== 'bert') throw new Error(`--model must be gru or bert, got ${modelName}`);
const epochs = Number(flags.epochs ?? 5);
const dropoutP = Number(flags.dropout ?? 0.3);
const root = new URL('../..', import.meta.url).pathname;
const outPath = flags.out ?? join(root, 'bench/textcls-latest.json');

interface Scores { accuracy: number; macroF1: number }

/** Accuracy and macro-averaged F1 (per-class F1 = 2PR/(P+R), 0 when a class is never predicted or present). */
function scores(pred: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): Scores {
  const r = T.classificationReport(pred, labels, numClasses);
  let f1 = 0;
  for (let c = 0; c < numClasses; c++) {
    const tp = r.confusion[c][c];
    const predicted = r.confusion.reduce((s, row) => s + row[c], 0), actual = r.confusion[c].reduce((a, b) => a + b, 0);
    const p = predicted ? tp / predicted : 0, rc = actual ? tp / actual : 0;
    f1 += p + rc > 0 ? (2 * p * rc) / (p + rc) : 0;
  }
  return { accuracy: r.accuracy, macroF1: f1 / numClasses };
}
const pct = (s: Scores) => `accuracy ${(100 * s.accuracy).toFixed(2)}%  macro F1 ${(100 * s.macroF1).toFixed(2)}%`;

const sets = { train: new T.KJVGenre({ split: 'train' }), validation: new T.KJVGenre({ split: 'validation' }), test: new T.KJVGenre({ split: 'test' }) };
const C = T.KJV_GENRES.length;

// ---------------------------------------------------------------- baseline
let t0 = performance.now();
const bow = T.BowLogisticRegression.fit(sets.train);
const baseline = {
  validation: scores(bow.predict(sets.validation.texts), sets.validation.labels, C),
  test: scores(bow.predict(sets.test.texts), sets.test.labels, C),
  seconds: Math.round((performance.now() - t0) / 100) / 10,
};
console.log(`baseline  bag-of-words logistic regression (TF-IDF): validation ${pct(baseline.validation)}; test ${pct(baseline.test)}  (${baseline.seconds} s)`);

// ---------------------------------------------------------------- neural classifier
st.manualSeed(0);
const tok = T.WordTokenizer.fromTexts(sets.train.texts, { maxSize: 20000, minFreq: 2 });
const maxLen = 128;
const encode = (ds: st.data.text.KJVGenre) => ds.texts.map((t) => T.truncateIds(tok.encode(t), maxLen));
const ids = { train: encode(sets.train), validation: encode(sets.validation), test: encode(sets.test) };
const V = tok.vocabSize;

/** Bidirectional GRU over word embeddings; the verse is the mean and the max of its steps' outputs. */
class GruClassifier extends nn.Module {
  emb = new nn.Embedding(V, 128, { paddingIdx: T.PAD_ID });
  drop = new nn.Dropout(dropoutP);
  gru = new nn.GRU(128, 128, { batchFirst: true, bidirectional: true });
  fc = new nn.Linear(4 * 128, C);
  forward(x: st.Tensor, lengths: Int32Array): st.Tensor {
    const [out] = this.gru.forward(this.drop.forward(this.emb.forward(x)), null, { lengths: Array.from(lengths) });
    const mask = x.ne(T.PAD_ID).unsqueeze(-1);
    const len = st.tensor(Float32Array.from(lengths), { shape: [lengths.length, 1] });
    const mean = out.sum(1).div(len);
    const max = st.where(mask, out, -Infinity).amax(1);
    return this.fc.forward(this.drop.forward(st.cat([mean, max], 1)));
  }
}

class BertModel extends nn.Module {
  bert = new st.models.BertClassifier({ vocabSize: V, contextLength: maxLen, numClasses: C }, { nLayer: 2, nHead: 4, dModel: 128, dropout: 0.1, pooling: 'mean' });
  forward(x: st.Tensor): st.Tensor {
    return this.bert.forward(x);
  }
}

const model: GruClassifier | BertModel = modelName === 'gru' ? new GruClassifier() : new BertModel();

/** Batches of similar lengths (less padding): shuffled, sorted within chunks of 50 batches, batches shuffled. */
function batchesOf(seqs: number[][], batchSize: number, g: st.Generator | null): number[][] {
  let order = Array.from({ length: seqs.length }, (_, i) => i);
  if (g) order = Array.from(st.randperm(seqs.length, { generator: g }).data() as BigInt64Array, Number);
  const chunk = g ? batchSize * 50 : seqs.length;
  const out: number[][] = [];
  for (let s = 0; s < order.length; s += chunk) {
    const part = order.slice(s, s + chunk).sort((a, b) => seqs[a].length - seqs[b].length);
    for (let b = 0; b < part.length; b += batchSize) out.push(part.slice(b, b + batchSize));
  }
  if (g) {
    const p = Array.from(st.randperm(out.length, { generator: g }).data() as BigInt64Array, Number);
    return p.map((i) => out[i]);
  }
  return out;
}

function logits(seqs: number[][], rows: number[]): st.Tensor {
  const b = T.padSequences(rows.map((i) => seqs[i]));
  const x = st.tensor(b.ids.data, { shape: b.ids.shape, dtype: 'int64' });
  return model instanceof GruClassifier ? model.forward(x, b.lengths) : model.forward(x);
}

function predict(seqs: number[][]): Int32Array {
  model.eval();
  const pred = new Int32Array(seqs.length);
  st.noGrad(() => {
    for (const rows of batchesOf(seqs, 256, null)) {
      const am = st.tidy(() => Array.from(logits(seqs, rows).argmax(1).data() as BigInt64Array, Number));
      rows.forEach((r, k) => (pred[r] = am[k]));
    }
  });
  model.train();
  return pred;
}

const batchSize = 64, lr = modelName === 'gru' ? 3e-3 : 1e-3;
const opt = new st.optim.AdamW(model.parameters(), { lr, weightDecay: 0.01 });
const stepsPerEpoch = Math.ceil(ids.train.length / batchSize);
const sched = new st.optim.CosineWithWarmup(opt, Math.round(stepsPerEpoch / 4), epochs * stepsPerEpoch);
const g = new st.Generator(1);
const yTrain = sets.train.labels;
let best: { epoch: number; validation: Scores; test: Scores; state: Record<string, st.Tensor> } | null = null;
t0 = performance.now();
const history: { epoch: number; trainLoss: number; validation: Scores; seconds: number }[] = [];
for (let e = 1; e <= epochs; e++) {
  let total = 0;
  model.train();
  for (const rows of batchesOf(ids.train, batchSize, g)) {
    total += st.tidy(() => {
      const y = st.tensor(Int32Array.from(rows, (r) => yTrain[r]), { dtype: 'int64' });
      const loss = st.crossEntropy(logits(ids.train, rows), y);
      opt.zeroGrad();
      loss.backward();
      st.optim.clipGradNorm_(model.parameters(), 1);
      opt.step();
      sched.step();
      return loss.item() * rows.length;
    });
  }
  const validation = scores(predict(ids.validation), sets.validation.labels, C);
  const seconds = Math.round((performance.now() - t0) / 100) / 10;
  history.push({ epoch: e, trainLoss: total / ids.train.length, validation, seconds });
  console.log(`${modelName} epoch ${e}/${epochs}  train loss ${(total / ids.train.length).toFixed(4)}  validation ${pct(validation)}  ${seconds} s`);
  if (!best || validation.accuracy > best.validation.accuracy) {
    best = { epoch: e, validation, test: { accuracy: NaN, macroF1: NaN }, state: Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, st.keep(v.clone())])) };
  }
}
model.loadStateDict(best!.state);
best!.test = scores(predict(ids.test), sets.test.labels, C);
const neural = { model: modelName, params: model.numParameters(), bestEpoch: best!.epoch, validation: best!.validation, test: best!.test, seconds: history[history.length - 1].seconds, history };
console.log(`${modelName} (epoch ${best!.epoch} by validation, ${neural.params} params): validation ${pct(best!.validation)}; test ${pct(best!.test)}`);
const beats = neural.test.accuracy > baseline.test.accuracy && neural.test.macroF1 > baseline.test.macroF1;
console.log(`target (neural beats bag-of-words on test accuracy and macro F1): ${beats ? 'met' : 'NOT met'}  (${(100 * (neural.test.accuracy - baseline.test.accuracy)).toFixed(2)} points accuracy)`);
const report = {
  task: 'kjv-genre', split: 'chapter split of KJVGenre (train 24888 / validation 3186 / test 3028 verses)', classes: T.KJV_GENRES,
  backend: st.getBackend().name, threads: Number(flags.threads ?? 2), date: new Date().toISOString(),
  baseline: { model: 'BowLogisticRegression (TF-IDF, 20000 words, 8 epochs Adam)', ...baseline }, neural, targetMet: beats,
};
writeFileSync(outPath, JSON.stringify(report, null, 2) + '\n');
console.log(`wrote ${outPath}`);
