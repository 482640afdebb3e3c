// One rank of the distributed tests: `node worker.js MODE OUT.json` with torchrun's variables set.
// It writes what the test compares (reduced values, trained parameters) to OUT.json.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as st from '../../src/index.js';

const D = st.distributed;
const results: Record<string, unknown> = {};

function save(v: unknown, key = 'result'): void {
  results[key] = v;
}

async function collectives(): Promise<void> {
  const rank = D.getRank(), world = D.getWorldSize();
  const a = st.tensor([rank + 1, 10 * (rank + 1)]);
  await D.allReduce(a, 'sum').wait();
  const m = st.tensor([rank + 1]);
  await D.allReduce(m, 'max').wait();
  const av = st.tensor([rank + 1], { dtype: 'float64' });
  await D.allReduce(av, 'avg').wait();
  const b = rank === 1 ? st.tensor([7, 8, 9]) : st.zeros([3]);
  await D.broadcast(b, 1).wait();
  const g = D.allGather(st.tensor([[rank, rank * 2]]));
  await g.wait();
  const rs = D.reduceScatter(Array.from({ length: world }, (_, r) => st.tensor([r * 100 + rank, 1])));
  await rs.wait();
  await D.barrier().wait();
  save({ rank, world, sum: a.tolist(), max: m.tolist(), avg: av.tolist(), bcast: b.tolist(), gather: g.result.map((t) => t.toArray()), rs: rs.result[0].tolist() });
}

// ---- training: DDP with 2 ranks × batch B against one process with batch 2B over the same samples

const B = 4, STEPS = 5;

function dataset(kind: string): st.data.TensorDataset {
  const g = new st.Generator(7);
  const n = 2 * B * STEPS;
  const x = kind === 'cnn' ? st.randn([n, 1, 8, 8], { generator: g }) : st.randn([n, 8], { generator: g });
  const y = st.randint(0, 3, [n], { generator: g });
  return new st.data.TensorDataset({ x, y });
}

function model(kind: string): st.nn.Module {
  st.manualSeed(kind === 'cnn' ? 3 : 2);
  const { nn } = st;
  if (kind === 'cnn') return new nn.Sequential(new nn.Conv2d(1, 4, 3), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.Flatten(), new nn.Linear(4 * 6 * 6, 3));
  return new nn.Sequential(new nn.Linear(8, 16), new nn.ReLU(), new nn.Linear(16, 3));
}

function params(m: st.nn.Module): Record<string, number[]> {
  return Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.data() as ArrayLike<number>, Number)]));
}

function train(kind: string, distributed: boolean, momentum = 0.9, ckpt?: string): void {
  const ds = dataset(kind);
  let net = model(kind);
  // resuming (the restart test): rank 0 checkpointed the parameters after each step
  let done = 0;
  if (ckpt && existsSync(ckpt)) {
    const c = JSON.parse(readFileSync(ckpt, 'utf8')) as { step: number; params: Record<string, number[]> };
    const sd = net.stateDict();
    net.loadStateDict(Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, st.tensor(v, { dtype: sd[k].dtype }).reshape(sd[k].shape)])));
    done = c.step;
  }
  let forward: st.nn.Module = net;
  let loader: st.data.DataLoader<any, any>;
  if (distributed) {
    net = st.distributed.SyncBatchNorm.convertSyncBatchnorm(net);
    forward = new st.nn.DistributedDataParallel(net);
    loader = new st.data.DataLoader(ds, { batchSize: B, sampler: new st.data.DistributedSampler(ds.length, { shuffle: false }) });
  } else {
    loader = new st.data.DataLoader(ds, { batchSize: 2 * B });
  }
  const opt = new st.optim.SGD(net.parameters(), { lr: 0.1, momentum });
  let step = 0;
  for (const b of loader) {
    if (step++ < done) continue;
    if (ckpt && step === 3 && st.distributed.getRank() === 1 && process.env.TORCHELASTIC_RESTART_COUNT === '0') process.kill(process.pid, 'SIGKILL');
    opt.zeroGrad();
    st.tidy(() => st.crossEntropy(forward.forward(b.x) as st.Tensor, b.y).backward());
    opt.step();
    if (ckpt && st.distributed.getRank() === 0) {
      writeFileSync(`${ckpt}.tmp`, JSON.stringify({ step, params: params(net) }));
      renameSync(`${ckpt}.tmp`, ckpt);
    }
  }
  save({ rank: st.distributed.getRank(), params: params(net) }, kind);
}

// a parameter used only by rank 0 in a step, another by no rank: no hang, and ranks stay equal
function partial(): void {
  const { nn } = st;
  st.manualSeed(5);
  class Net extends nn.Module {
    body = new nn.Linear(4, 3);
    extra = new nn.Linear(4, 3);
    never = new nn.Linear(4, 3);
    forward(x: st.Tensor): st.Tensor {
      const y = this.body.forward(x);
      return st.distributed.getRank() === 0 ? y.add(this.extra.forward(x)) : y;
    }
  }
  const net = new Net();
  const ddp = new nn.DistributedDataParallel(net);
  const opt = new st.optim.SGD(net.parameters(), { lr: 0.1 });
  const g = new st.Generator(11 + st.distributed.getRank());
  for (let i = 0; i < 3; i++) {
    opt.zeroGrad();
    const x = st.randn([5, 4], { generator: g });
    // gradient accumulation: the first micro-batch under noSync, the second's backward reduces the sum
    ddp.noSync(() => st.tidy(() => (ddp.forward(x) as st.Tensor).square().mean().backward()));
    st.tidy(() => (ddp.forward(x.mul(2)) as st.Tensor).square().mean().backward());
    opt.step();
  }
  save({ rank: st.distributed.getRank(), params: params(net), neverGrad: net.never.weight.grad === null }, 'partial');
}

/** Runs MODES (comma-separated) in one process group; returns what each produced. */
export async function main(modes: string[]): Promise<Record<string, unknown>> {
  if (modes[0].startsWith('single-')) {
    const kind = modes[0].slice(7);
    if (kind === 'plain') train('mlp', false, 0);
    else train(kind, false);
    return results;
  }
  await D.initProcessGroup({ backend: 'gloo', timeoutMs: Number(process.env.STRATA_TEST_TIMEOUT_MS ?? 20000) });
  results.rank = D.getRank();
  for (const mode of modes) {
    if (mode === 'collectives') await collectives();
    else if (mode === 'ddp-mlp') train('mlp', true);
    else if (mode === 'ddp-cnn') train('cnn', true);
    else if (mode === 'partial') partial();
    else if (mode === 'resume') train('mlp', true, 0, process.env.STRATA_TEST_CKPT);
    else if (mode === 'plain') train('mlp', true, 0);
    else if (mode === 'mismatch') {
      try {
        new st.nn.DistributedDataParallel(new st.nn.Linear(4, D.getRank() === 0 ? 3 : 5));
      } catch (e) {
        save((e as Error).message, 'mismatch');
      }
    } else if (mode === 'die') {
      // rank 1 is killed after three all-reduces; the others must fail naming it, not hang
      for (let i = 0; ; i++) {
        if (i === 3 && D.getRank() === 1) process.kill(process.pid, 'SIGKILL');
        await D.allReduce(st.ones([1000])).wait();
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
  D.destroyProcessGroup();
  return results;
}

if (process.argv[1]?.endsWith('worker.js')) {
  const [modes, out] = process.argv.slice(2);
  main(modes.split(',')).then((r) => {
    writeFileSync(out.replace('%r', String(r.rank ?? 0)), JSON.stringify(r));
  }, (e) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  });
}