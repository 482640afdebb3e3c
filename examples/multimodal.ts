// Multimodal fusion on Audio-Visual Fashion-MNIST: image-only, audio-only, early, late and cross-attention models
// trained for the same short budget; prints test accuracy overall and by what the clip says, and parameters.
// Run: npm run example multimodal [-- --train 12000 --epochs 2 --seed 0]
import * as st from 'strata-ml';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const trainSize = arg('train', 12000), epochs = arg('epochs', 2), seed = arg('seed', 0);

const { data } = st;
const trainFull = new data.AVFashionMNIST({ train: true });
const test = new data.AVFashionMNIST({ train: false });
const train = new data.Subset(trainFull, Array.from({ length: Math.min(trainSize, trainFull.length) }, (_, i) => i));
const transform = data.compose([data.toTensor(), data.normalize([...data.AVFashionMNIST.mean], [...data.AVFashionMNIST.std])]);
const task: st.models.ImageTask = { inChannels: 1, height: 28, width: 28, numClasses: 10, inputs: { audio: [data.AV_AUDIO.frames, data.AV_AUDIO.mels] } };
const kinds = Array.from({ length: test.length }, (_, i) => test.condition(i).kind);

const rows: string[][] = [];
for (const [name, label] of [['av_image', 'image only'], ['av_audio', 'audio only'], ['fusion_early', 'early fusion'], ['fusion_late', 'late fusion'], ['fusion_cross', 'cross-attention']]) {
  st.manualSeed(seed);
  const model = st.models.createModel(name, task);
  const loader = new data.DataLoader(train, { batchSize: 64, shuffle: true, generator: new st.Generator(seed + 1), transform });
  const optimizer = new st.optim.Adam(model.parameters(), { lr: 3e-3 });
  const scheduler = new st.optim.OneCycleLR(optimizer, 3e-3, epochs * loader.length);
  const trainer = new st.train.Trainer({ model, optimizer, scheduler, schedulerInterval: 'step', forward: (x, b) => model.forward(x, b.audio) });
  const t0 = performance.now();
  await trainer.fit(loader, { epochs });
  const seconds = (performance.now() - t0) / 1000;
  // test accuracy, overall and by the clip's condition
  model.eval();
  const right = { all: 0, match: 0, other: 0, none: 0 }, count = { all: 0, match: 0, other: 0, none: 0 };
  let i = 0;
  for (const b of new data.DataLoader(test, { batchSize: 500, transform })) {
    const pred = st.noGrad(() => model.forward(b.x, b.audio).argmax(1));
    const p = pred.data() as BigInt64Array, y = b.y.data() as BigInt64Array;
    for (let k = 0; k < p.length; k++, i++) {
      const ok = p[k] === y[k] ? 1 : 0;
      right.all += ok;
      count.all++;
      right[kinds[i]] += ok;
      count[kinds[i]]++;
    }
    b.x.dispose();
    b.audio.dispose();
    b.y.dispose();
  }
  const pct = (k: keyof typeof right) => `${((100 * right[k]) / count[k]).toFixed(2)}%`;
  rows.push([label, name, model.numParameters().toLocaleString('en-US'), pct('all'), pct('match'), pct('other'), pct('none'), seconds.toFixed(0)]);
  process.stderr.write(`${label}: ${pct('all')}\n`);
}

const head = ['model', 'registry name', 'params', 'test acc', 'clip names the class', 'names another', 'noise only', 'train s'];
const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
const line = (r: string[]) => r.map((v, c) => (c < 2 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ');
console.log(`Audio-Visual Fashion-MNIST: ${train.length} training samples × ${epochs} epochs, 10,000 test samples (test voices unseen in training)`);
console.log(`test clips: ${count('match')} name the class, ${count('other')} another class, ${count('none')} noise only`);
console.log(line(head));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));

function count(kind: string): number {
  return kinds.filter((k) => k === kind).length;
}
