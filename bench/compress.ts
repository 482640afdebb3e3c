// Compression benchmark (npm run bench:compress → bench/compress-latest.json): int8 static quantization of
// the seeds' CNN on Fashion-MNIST (accuracy, bytes, batch-256 one-thread latency against strata fp32 and
// PyTorch's torch.ao.quantization model of the same network on the same engine, side by side), magnitude
// pruning of LeNet-300-100 on MNIST (Han et al. 2015), distillation of a small MLP on MNIST (Hinton et al.
// 2015), ResNet-20 int8 latency. Reduced training budgets (--train N images, --epochs E): see README.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as st from '../src/index.js';
import { DataLoader } from '../src/data/loader.js';
import { createModel } from '../src/models/registry.js';
import { imageDataset, transformFor } from '../src/cli/datasets.js';
import { median, parseFlags } from './util.js';

const here = dirname(fileURLToPath(import.meta.url));
const flags = parseFlags(process.argv.slice(2));
const N = Number(flags.train ?? 6000), EPOCHS = Number(flags.epochs ?? 1), ROUNDS = Number(flags.rounds ?? 7);
const tmp = mkdtempSync(join(tmpdir(), 'strata-bench-compress-'));
const log = (s: string) => process.stderr.write(s + '\n');
st.setBackend('native');

/** --data-dir ROOT: a folder holding mnist/ and fashion-mnist/ (default: the Debian packages' folders). */
const dataDir = (name: string) => (flags['data-dir'] ? join(flags['data-dir'], name) : undefined);

function loaders(name: string) {
  const ds = imageDataset(name);
  const train = new st.data.Subset(ds.load(true, dataDir(name)), Array.from({ length: N }, (_, i) => i));
  return {
    train: new DataLoader(train as never, { batchSize: 64, shuffle: true, transform: transformFor(ds, false, false) }),
    test: new DataLoader(ds.load(false, dataDir(name)), { batchSize: 500, transform: transformFor(ds, false, false) }),
  };
}

async function fit(model: st.nn.Module, train: DataLoader<any, any>, epochs: number, extra: Partial<st.train.TrainerOptions> = {}) {
  const t = new st.train.Trainer({ model, optimizer: new st.optim.Adam(model.parameters(), { lr: 1e-3 }), ...extra });
  await t.fit(train, { epochs });
}

async function accuracy(model: st.nn.Module, test: DataLoader<any, any>): Promise<number> {
  const params = model.parameters().length ? model.parameters() : [st.nn.Parameter(st.zeros([1]))];
  return (await new st.train.Trainer({ model, optimizer: new st.optim.SGD(params, { lr: 0 }) }).evaluate(test)).accuracy;
}

/** Interleaved rounds of batch-256 inference on one thread; median milliseconds per model. */
function latency(models: st.nn.Module[], shape: number[]): number[] {
  st.setNumThreads(1);
  const x = st.rand([256, ...shape]);
  const once = (m: st.nn.Module) => { const t = performance.now(); st.tidy(() => st.noGrad(() => (m.forward(x) as st.Tensor).sum().item())); return performance.now() - t; };
  for (const m of models) { once(m); once(m); }
  const times = models.map(() => [] as number[]);
  for (let r = 0; r < ROUNDS; r++) models.forEach((m, i) => times[i].push(once(m)));
  x.dispose();
  return times.map(median);
}

const PEER = `
import json, sys, time, torch, torch.nn as nn
from torch.ao.quantization import get_default_qconfig, prepare, convert, QuantStub, DeQuantStub, fuse_modules
torch.set_num_threads(1); torch.manual_seed(0)
engine = sys.argv[1]; rounds = int(sys.argv[2]); torch.backends.quantized.engine = engine
class CNN(nn.Module):
    def __init__(s):
        super().__init__(); s.q = QuantStub(); s.dq = DeQuantStub()
        s.c1 = nn.Conv2d(1, 32, 3); s.r1 = nn.ReLU(); s.p1 = nn.MaxPool2d(2); s.c2 = nn.Conv2d(32, 64, 3); s.r2 = nn.ReLU(); s.p2 = nn.MaxPool2d(2)
        s.f = nn.Flatten(); s.l1 = nn.Linear(64 * 5 * 5, 128); s.r3 = nn.ReLU(); s.l2 = nn.Linear(128, 10)
    def forward(s, x): return s.dq(s.l2(s.r3(s.l1(s.f(s.p2(s.r2(s.c2(s.p1(s.r1(s.c1(s.q(x))))))))))))
x = torch.rand(256, 1, 28, 28)
f = CNN().eval(); q = CNN().eval(); q.load_state_dict(f.state_dict())
q = fuse_modules(q, [['c1', 'r1'], ['c2', 'r2'], ['l1', 'r3']]); q.qconfig = get_default_qconfig(engine); prepare(q, inplace=True)
with torch.no_grad(): q(x)
convert(q, inplace=True)
def once(m):
    t = time.perf_counter()
    with torch.no_grad(): m(x)
    return (time.perf_counter() - t) * 1000
for _ in range(2): once(f); once(q)
a, b = [], []
for _ in range(rounds): a.append(once(f)); b.append(once(q))
a.sort(); b.sort()
print(json.dumps({'fp32_ms': a[len(a) // 2], 'int8_ms': b[len(b) // 2], 'torch': torch.__version__}))
`;

async function main() {
  const out: Record<string, unknown> = { note: `measured under load on a shared 2-core machine; training budget ${N} images × ${EPOCHS} epoch(s)`, date: new Date().toISOString(), engine: st.compress.quantizedEngines() };

  // ---- int8: the seeds' CNN on Fashion-MNIST
  log('int8: training the CNN on Fashion-MNIST');
  const fm = loaders('fashion-mnist');
  const task = { inChannels: 1, height: 28, width: 28, numClasses: 10 };
  const cnn = createModel('cnn', task);
  await fit(cnn, fm.train, EPOCHS);
  cnn.eval();
  const fp32Acc = await accuracy(cnn, fm.test);
  const denseFile = join(tmp, 'cnn.safetensors');
  st.train.saveModel(denseFile, cnn, { config: {} });
  const ref = createModel('cnn', task).eval();
  ref.loadStateDict(cnn.stateDict());
  const calib: st.Tensor[] = [];
  for (const b of fm.train) { if (calib.length >= 10) break; calib.push(st.keep(b.x)); }
  const { model: q, report } = st.compress.quantize(cnn, { mode: 'static', calibration: calib });
  const int8Acc = await accuracy(q, fm.test);
  const qFile = join(tmp, 'cnn-int8.safetensors');
  st.compress.saveCompressed(qFile, q, { config: {}, report });
  log('int8: latency');
  const [fpMs, qMs] = latency([ref, q], [1, 28, 28]);
  const peer = spawnSync('/usr/bin/python3', ['-c', PEER, report.engine, String(ROUNDS)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  const torch = peer.status === 0 ? JSON.parse(peer.stdout) as { fp32_ms: number; int8_ms: number } : { error: peer.stderr.slice(-400) };
  out.int8_cnn = {
    model: 'cnn', dataset: 'fashion-mnist', method: 'static int8 (per-channel weights, conv+relu fused, 10 calibration batches)',
    fp32_accuracy: fp32Acc, int8_accuracy: int8Acc, drop_points: 100 * (fp32Acc - int8Acc),
    fp32_bytes: statSync(denseFile).size, int8_bytes: statSync(qFile).size, bytes_ratio: statSync(denseFile).size / statSync(qFile).size,
    strata_fp32_ms: fpMs, strata_int8_ms: qMs, speedup_vs_strata_fp32: fpMs / qMs, torch,
    int8_vs_torch_int8: 'int8_ms' in torch ? torch.int8_ms / qMs : null,
  };
  log(JSON.stringify(out.int8_cnn));

  // ---- ResNet-20 int8 (per-layer layout): latency only
  log('int8: ResNet-20 latency');
  const r20 = createModel('resnet20', task).eval(), r20ref = createModel('resnet20', task).eval();
  r20ref.loadStateDict(r20.stateDict());
  const { model: r20q, report: r20rep } = st.compress.quantize(r20, { mode: 'static', calibration: calib.slice(0, 2) });
  const [rf, rq] = latency([r20ref, r20q], [1, 28, 28]);
  out.int8_resnet20 = { layout: r20rep.layout, strata_fp32_ms: rf, strata_int8_ms: rq, speedup_vs_strata_fp32: rf / rq };
  log(JSON.stringify(out.int8_resnet20));
  st.setNumThreads(2);

  // ---- pruning: LeNet-300-100 on MNIST
  log('prune: training LeNet-300-100 on MNIST');
  const mn = loaders('mnist');
  const lenet = createModel('mlp', task, { hidden: [300, 100] });
  await fit(lenet, mn.train, EPOCHS);
  const denseErr = 1 - await accuracy(lenet, mn.test);
  const teacherState = Object.fromEntries(Object.entries(lenet.stateDict()).map(([k, v]) => [k, st.keep(v.clone())]));
  st.compress.prune(lenet, { sparsity: 0.92 });
  await fit(lenet, mn.train, 1, { callbacks: [{ onBatchEnd: () => st.compress.applyMasks(lenet) }] });
  st.compress.removePruning(lenet);
  const nz = st.compress.countNonZero(lenet);
  const prunedErr = 1 - await accuracy(lenet, mn.test);
  const sparseFile = join(tmp, 'lenet-sparse.safetensors');
  st.compress.saveCompressed(sparseFile, lenet, { config: {} });
  out.prune_lenet300 = {
    model: 'LeNet-300-100 (mlp 300-100)', dataset: 'mnist', method: 'global magnitude pruning 92%, 1 epoch fine-tuning with masks',
    dense_error_pct: 100 * denseErr, pruned_error_pct: 100 * prunedErr, weights: nz.prunable, nonzero_weights: nz.prunableNonZero,
    fewer_weights: nz.prunable / nz.prunableNonZero, sparse_bytes: statSync(sparseFile).size, target_met: nz.prunable / nz.prunableNonZero >= 12 && prunedErr <= denseErr + 0.001,
  };
  log(JSON.stringify(out.prune_lenet300));

  // ---- distillation on MNIST: teacher LeNet-300-100 (dense), student MLP 784-30-10 alone vs distilled
  log('distill: students on MNIST');
  const teacher = createModel('mlp', task, { hidden: [300, 100] });
  teacher.loadStateDict(teacherState);
  teacher.eval();
  const teacherErrors = Math.round((1 - await accuracy(teacher, mn.test)) * 10000);
  st.manualSeed(1);
  const alone = createModel('mlp', task, { hidden: [30] });
  await fit(alone, mn.train, EPOCHS);
  const aloneErrors = Math.round((1 - await accuracy(alone, mn.test)) * 10000);
  st.manualSeed(1);
  const student = createModel('mlp', task, { hidden: [30] });
  await fit(student, mn.train, EPOCHS, st.compress.distillation(teacher, student, { temperature: 4, alpha: 0.9 }));
  const kdErrors = Math.round((1 - await accuracy(student, mn.test)) * 10000);
  out.distill_mnist = {
    teacher: 'mlp 300-100', student: 'mlp 30', temperature: 4, alpha: 0.9, teacher_errors: teacherErrors, student_alone_errors: aloneErrors, student_distilled_errors: kdErrors,
    target_met: aloneErrors - kdErrors >= (aloneErrors - teacherErrors) / 3,
  };
  log(JSON.stringify(out.distill_mnist));

  writeFileSync(join(here, '..', '..', 'bench', 'compress-latest.json'), JSON.stringify(out, null, 2) + '\n');
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

await main();
