// One process of bench/ddp.ts: a CNN pass over the first --samples Fashion-MNIST training images (DDP when
// WORLD_SIZE is set), or --allreduce MB timed all-reduces; prints one JSON line (rank 0).
import * as st from '../src/index.js';

const arg = (k: string, d: string) => { const i = process.argv.indexOf(`--${k}`); return i >= 0 ? process.argv[i + 1] : d; };
const D = st.distributed;
const distributed = process.env.WORLD_SIZE !== undefined;
if (distributed) await D.initProcessGroup({ backend: 'gloo' });
const rank = D.getRank(), world = D.getWorldSize();

if (arg('allreduce', '') !== '') {
  const mb = Number(arg('allreduce', '25'));
  const t = st.ones([Math.round((mb * 1024 * 1024) / 4)]);
  const times: number[] = [];
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    await D.allReduce(t, 'sum').wait();
    if (i > 0) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const ms = times[times.length >> 1];
  if (rank === 0) console.log(JSON.stringify({ what: 'allreduce', mb, ms, gbps: (mb / 1024) / (ms / 1000) }));
} else {
  const samples = Number(arg('samples', '6000')), epochs = Number(arg('epochs', '1'));
  const globalBatch = Number(arg('batch-size', '128'));
  const norm = st.data.compose([st.data.toTensor(), st.data.normalize(st.data.FashionMNIST.mean, st.data.FashionMNIST.std)]);
  const full = st.data.TensorDataset.from(new st.data.FashionMNIST({ train: true, transform: norm }));
  const idx = st.arange(0, samples, 1, { dtype: 'int64' });
  const train = new st.data.TensorDataset({ x: full.fields.x.indexSelect(0, idx), y: full.fields.y.indexSelect(0, idx) });
  const test = st.data.TensorDataset.from(new st.data.FashionMNIST({ train: false, transform: norm }));
  st.manualSeed(0);
  const { nn } = st;
  const net = new nn.Sequential(new nn.Conv2d(1, 32, 3), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Conv2d(32, 64, 3), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(1600, 128), new nn.ReLU(), new nn.Linear(128, 10));
  const model: st.nn.Module = distributed ? new nn.DistributedDataParallel(net) : net;
  const opt = new st.optim.Adam(net.parameters(), { lr: 1e-3 });
  const loader = new st.data.DataLoader(train, distributed
    ? { batchSize: globalBatch / world, sampler: new st.data.DistributedSampler(train.length, { seed: 1 }) }
    : { batchSize: globalBatch, shuffle: true, seed: 1 });
  let seconds = 0;
  for (let e = 0; e < epochs; e++) {
    const t0 = performance.now();
    for (const b of loader) {
      opt.zeroGrad();
      st.tidy(() => st.crossEntropy(model.forward(b.x) as st.Tensor, b.y).backward());
      opt.step();
      b.x.dispose(); b.y.dispose();
    }
    seconds += (performance.now() - t0) / 1000;
  }
  // accuracy on the test set, each rank its shard, counts reduced across ranks
  net.eval();
  const shard = new st.data.DistributedSampler(test.length, { shuffle: false });
  let correct = 0, total = 0;
  for (const b of new st.data.DataLoader(test, { batchSize: 500, sampler: shard })) {
    st.noGrad(() => st.tidy(() => { correct += net.forward(b.x).argmax(1).eq(b.y).sum().item(); }));
    total += b.y.shape[0];
  }
  const m = await D.reduceMetrics({ correct, total });
  if (rank === 0) console.log(JSON.stringify({ what: 'epoch', world, samples, epochs, seconds, imagesPerSec: (samples * epochs) / seconds, accuracy: m.correct / m.total }));
}
if (distributed) D.destroyProcessGroup();
