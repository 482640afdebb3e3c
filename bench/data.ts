// Times one epoch of Fashion-MNIST train through the DataLoader: batch 64, with/without augmentation and workers.
// Usage: node dist/bench/data.js [root] [numWorkers...]; STEP_MS=n busy-waits n ms per batch (a stand-in
// training step) to show how much loading the workers hide behind compute.
import * as st from '../src/index.js';

const { data } = st;
const root = process.argv[2] && !/^\d+$/.test(process.argv[2]) ? process.argv[2] : undefined;
const workerCounts = process.argv.slice(root ? 3 : 2).map(Number);
const stepMs = Number(process.env.STEP_MS ?? 0);
const step = () => { const end = performance.now() + stepMs; while (performance.now() < end); };
const base = [data.toTensor(), data.normalize(data.FashionMNIST.mean, data.FashionMNIST.std)];
const pipelines: [string, st.data.Transform][] = [
  ['toTensor+normalize', data.compose(base)],
  ['randomCrop(28,pad 4)+flip+toTensor+normalize', data.compose([data.randomCrop(28, { padding: 4 }), data.randomHorizontalFlip(), ...base])],
];
let t = performance.now();
const train = new data.FashionMNIST({ root, train: true });
console.log(`backend ${st.getBackend().name}; step ${stepMs} ms/batch; loading ${train.length} images: ${(performance.now() - t).toFixed(0)} ms`);
for (const [name, transform] of pipelines) {
  for (const numWorkers of workerCounts.length ? workerCounts : [0, 2]) {
    const loader = new data.DataLoader(train, { batchSize: 64, shuffle: true, seed: 0, transform, numWorkers });
    t = performance.now();
    for (const b of loader) { b.x.dispose(); b.y.dispose(); break; }
    if (numWorkers) console.log(`${name.padEnd(48)} workers ${numWorkers} start + first batch: ${(performance.now() - t).toFixed(0)} ms`);
    for (const mode of ['sync', 'async'] as const) {
      t = performance.now();
      let n = 0;
      if (mode === 'sync') {
        for (const b of loader) { n += b.x.shape[0]; step(); b.x.dispose(); b.y.dispose(); }
      } else {
        for await (const b of loader) { n += b.x.shape[0]; step(); b.x.dispose(); b.y.dispose(); }
      }
      const ms = performance.now() - t;
      console.log(`${name.padEnd(48)} workers ${numWorkers} ${mode.padEnd(5)}: ${ms.toFixed(0).padStart(5)} ms/epoch (${((n / ms) * 1000).toFixed(0)} samples/s)`);
    }
    await loader.close();
  }
}
