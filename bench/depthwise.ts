// Depthwise and grouped convolution, strata vs PyTorch on the same layer shapes: every grouped Conv2d of
// MobileNetV2 and ShuffleNetV2 x0.5 on 28×28 Fashion-MNIST at batch 64, forward + backward (input and
// weight gradients), interleaved rounds, medians. Prints one JSON line per layer set and the sums.
//   node dist/bench/depthwise.js [--rounds 3] [--batch 64] [--models mobilenet_v2,shufflenet_v2_x0_5]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import * as st from '../src/index.js';
import { Conv2d } from '../src/nn/layers/conv.js';
import { median, parseFlags, peerEnv } from './util.js';

interface ConvShape { model: string; x: number[]; w: number[]; stride: number[]; padding: number[]; groups: number }

const pair = (v: unknown, d: number): number[] => (Array.isArray(v) ? v.map(Number) : [Number(v ?? d), Number(v ?? d)]);

function groupedConvs(model: string, batch: number): ConvShape[] {
  const m = st.models.createModel(model, { inChannels: 1, height: 28, width: 28, numClasses: 10 });
  const out: ConvShape[] = [];
  for (const [, mod] of m.namedModules()) {
    if (mod instanceof Conv2d && mod.groups > 1) {
      mod.registerForwardPreHook((_m, args) => {
        const x = (args as st.Tensor[])[0];
        out.push({ model, x: [batch, ...x.shape.slice(1)], w: [...mod.weight.shape], stride: pair(mod.opts.stride, 1), padding: pair(mod.opts.padding, 0), groups: mod.groups });
      });
    }
  }
  st.noGrad(() => st.tidy(() => { m.eval(); m.forward(st.zeros([1, 1, 28, 28])); }));
  return out;
}

function strataRound(shapes: ConvShape[], reps: number): number[] {
  return shapes.map((s) => {
    const x = st.randn(s.x).requiresGrad_(true);
    const w = st.randn(s.w).requiresGrad_(true);
    const step = () => st.tidy(() => {
      const y = st.nn.functional.conv2d(x, w, null, { stride: s.stride, padding: s.padding, groups: s.groups });
      y.backward(st.onesLike(y));
      x.grad?.dispose(); w.grad?.dispose(); x.grad = null; w.grad = null;
    });
    step();
    const t: number[] = [];
    for (let i = 0; i < reps; i++) { const t0 = performance.now(); step(); t.push(performance.now() - t0); }
    x.dispose(); w.dispose();
    return median(t) / 1000;
  });
}

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2));
  const rounds = Number(f.rounds ?? 3), batch = Number(f.batch ?? 64), reps = Number(f.reps ?? 5);
  const shapes = (f.models ?? 'mobilenet_v2,shufflenet_v2_x0_5').split(',').flatMap((m) => groupedConvs(m, batch));
  const threads = st.getNumThreads();
  const peer = join(dirname(fileURLToPath(import.meta.url)), '../../bench/peers/torch_depthwise.py');
  const s: number[][] = [], p: number[][] = [];
  for (let r = 0; r < rounds; r++) {
    s.push(strataRound(shapes, reps));
    const res = spawnSync('/usr/bin/python3', [peer, JSON.stringify({ shapes, reps, threads })], { env: { ...process.env, ...peerEnv(threads) }, encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`peer failed: ${res.stderr}`);
    p.push(JSON.parse(res.stdout) as number[]);
    process.stderr.write(`round ${r + 1}/${rounds} done\n`);
  }
  const med = (xs: number[][], i: number) => median(xs.map((r) => r[i]));
  const rows = shapes.map((sh, i) => ({ ...sh, strata: med(s, i), torch: med(p, i), ratio: med(s, i) / med(p, i) }));
  for (const r of rows) console.log(JSON.stringify({ ...r, strata: +r.strata.toFixed(5), torch: +r.torch.toFixed(5), ratio: +r.ratio.toFixed(2) }));
  for (const m of new Set(shapes.map((x) => x.model))) {
    const rs = rows.filter((r) => r.model === m);
    const a = rs.reduce((q, r) => q + r.strata, 0), b = rs.reduce((q, r) => q + r.torch, 0);
    console.log(JSON.stringify({ model: m, layers: rs.length, batch, threads, strataSeconds: +a.toFixed(4), torchSeconds: +b.toFixed(4), ratio: +(a / b).toFixed(2), rounds }));
  }
}

await main();
