// bench:lm — the issue 5 language-model target: a character-level GPT (st.models.GPT: 4 pre-norm layers,
// 4 heads, width 128, context 128, batch 32, tied head, no dropout) on the KJV LM split, trained for the
// same wall-clock minutes in strata and in PyTorch (bench/peers/torch_lm.py), then both score the
// validation loss (nats/char) on the same fixed validation windows.
// Identical for both: the data (this script writes the train ids and the validation windows to a temp
// folder the peer reads), the initial weights (strata's GPT-2 init, exported to the peer), the batches
// (offsets from a shared 32-bit LCG), Adam (β 0.9/0.999, eps 1e-8, no weight decay), gradient clipping
// at norm 1 and the LR schedule, driven by elapsed time: linear warm-up over the first 5% of the
// minutes, then cosine decay to 10% of the peak (2e-3).
// Modes: concurrent (default): both at 1 thread, side by side, so both see the same machine;
// --sequential: one after the other (strata first), each with --threads (default: all cores).
// usage: npm run bench:lm [-- --minutes 10] [--sequential] [--threads N] [--val-windows 1024] [--out bench/lm-latest.json]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as st from '../src/index.js';
import { parseFlags, peerEnv } from './util.js';

const flags = parseFlags(process.argv.slice(2));
const root = fileURLToPath(new URL('../..', import.meta.url));

interface Meta {
  vocabSize: number; contextLength: number; batchSize: number; nLayer: number; nHead: number; dModel: number;
  lr: number; betas: [number, number]; eps: number; clip: number; warmupFrac: number; minLrFrac: number;
  minutes: number; seed: number; params: { name: string; shape: number[]; offset: number }[];
  trainTokens: number; valWindows: number;
}

interface Result {
  impl: string; threads: number; steps: number; trainSeconds: number; cpuSeconds: number; tokensPerSecond: number;
  finalTrainLoss: number; valLoss: number; evalSeconds: number; curve: { seconds: number; step: number; trainLoss: number }[];
}

const lrAt = (m: Meta, f: number): number => {
  if (f < m.warmupFrac) return m.lr * f / m.warmupFrac;
  const q = Math.min(1, (f - m.warmupFrac) / (1 - m.warmupFrac));
  return m.lr * (m.minLrFrac + (1 - m.minLrFrac) * (1 + Math.cos(Math.PI * q)) / 2);
};

/** The batch-offset generator shared with the peer: a 32-bit LCG, its state scaled to [0, n). */
class Lcg {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(n: number): number {
    this.s = (Math.imul(this.s, 1664525) + 1013904223) >>> 0;
    return Math.floor(this.s / 4294967296 * n);
  }
}

function makeModel(m: Meta): st.models.GPT {
  return new st.models.GPT({ vocabSize: m.vocabSize, contextLength: m.contextLength }, { nLayer: m.nLayer, nHead: m.nHead, dModel: m.dModel, dropout: 0 });
}

/** --worker: strata's side, in its own process (its own thread count), reading the same folder as the peer. */
function worker(dir: string, threads: number): void {
  st.setBackend('native');
  st.setNumThreads(threads);
  const m = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta;
  const V = m.vocabSize, T = m.contextLength, B = m.batchSize;
  const train = new Uint8Array(readFileSync(join(dir, 'train.u8')));
  const val = new Uint8Array(readFileSync(join(dir, 'val.u8')));
  const model = makeModel(m);
  const raw = readFileSync(join(dir, 'init.f32'));
  const init = new Float32Array(raw.byteLength / 4);
  new Uint8Array(init.buffer).set(raw);
  model.loadStateDict(Object.fromEntries(m.params.map((p) => [p.name, st.tensor(init.subarray(p.offset, p.offset + p.shape.reduce((a, b) => a * b, 1)), { shape: p.shape })])));
  const params = model.parameters();
  const opt = new st.optim.Adam(params, { lr: m.lr, betas: m.betas, eps: m.eps });
  const rng = new Lcg(m.seed);
  const span = train.length - T - 1;
  const x = new Int32Array(B * T), y = new Int32Array(B * T);
  const budget = m.minutes * 60;
  const losses: number[] = [], curve: Result['curve'] = [];
  let steps = 0, nextLog = 0;
  const t0 = performance.now(), c0 = process.cpuUsage();
  for (;;) {
    const el = (performance.now() - t0) / 1000;
    if (el >= budget) break;
    opt.paramGroups[0].lr = lrAt(m, el / budget);
    for (let b = 0; b < B; b++) {
      const o = rng.next(span);
      for (let t = 0; t < T; t++) {
        x[b * T + t] = train[o + t];
        y[b * T + t] = train[o + t + 1];
      }
    }
    const loss = st.tidy(() => {
      opt.zeroGrad();
      const l = model.loss(st.tensor(x, { shape: [B, T], dtype: 'int64' }), st.tensor(y, { shape: [B, T], dtype: 'int64' }));
      l.backward();
      st.optim.clipGradNorm_(params, m.clip);
      opt.step();
      return l.item();
    });
    steps++;
    losses.push(loss);
    if (el >= nextLog) {
      const last = losses.slice(-20);
      curve.push({ seconds: Math.round(el * 10) / 10, step: steps, trainLoss: Math.round(last.reduce((a, b) => a + b, 0) / last.length * 1e4) / 1e4 });
      console.log(JSON.stringify({ impl: 'strata', ...curve[curve.length - 1] }));
      nextLog += Math.max(budget / 10, 1);
    }
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  const cu = process.cpuUsage(c0);
  model.eval();
  const te = performance.now();
  let total = 0;
  const n = val.length / (T + 1);
  st.noGrad(() => {
    for (let s = 0; s < n; s += B) {
      const rows = Math.min(B, n - s);
      const w = val.subarray(s * (T + 1), (s + rows) * (T + 1));
      const xs = new Int32Array(rows * T), ys = new Int32Array(rows * T);
      for (let r = 0; r < rows; r++) {
        for (let t = 0; t < T; t++) {
          xs[r * T + t] = w[r * (T + 1) + t];
          ys[r * T + t] = w[r * (T + 1) + t + 1];
        }
      }
      total += st.tidy(() => model.loss(st.tensor(xs, { shape: [rows, T], dtype: 'int64' }), st.tensor(ys, { shape: [rows, T], dtype: 'int64' })).item() * rows * T);
    }
  });
  const last = losses.slice(-50);
  const r3 = (v: number, k = 2) => Math.round(v * 10 ** k) / 10 ** k;
  const result: Result = {
    impl: 'strata', threads, steps, trainSeconds: r3(trainSeconds), cpuSeconds: r3((cu.user + cu.system) / 1e6), tokensPerSecond: Math.round(steps * B * T / trainSeconds),
    finalTrainLoss: r3(last.reduce((a, b) => a + b, 0) / Math.max(1, last.length), 4), valLoss: r3(total / (n * T), 4), evalSeconds: r3((performance.now() - te) / 1000), curve,
  };
  writeFileSync(join(dir, 'result-strata.json'), JSON.stringify(result, null, 2));
  console.log(JSON.stringify({ impl: 'strata', done: true, valLoss: result.valLoss, steps }));
}

function python(): string | null {
  for (const py of [process.env.PYTHON, '/usr/bin/python3', 'python3']) {
    if (!py) continue;
    if (spawnSync(py, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0) return py;
  }
  return null;
}

/** Runs a command, echoing its output lines; resolves with the exit code. */
function run(cmd: string, args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('close', (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<void> {
  const minutes = Number(flags.minutes ?? 10);
  if (!(minutes >= 0)) throw new Error(`--minutes must be a non-negative number, got ${flags.minutes}`);
  const sequential = 'sequential' in flags;
  const threads = sequential ? Number(flags.threads ?? cpus().length) : 1;
  const py = python();
  if (!py) throw new Error('bench:lm needs PyTorch and numpy for its peer (apt-get install python3-torch), or set PYTHON');

  // the data: KJV train text and fixed validation windows, as character ids (kjvCharTokenizer)
  const T = 128, B = 32;
  const tok = st.data.text.kjvCharTokenizer();
  const train = tok.encode(st.data.text.kjvText('train'));
  const valIds = tok.encode(st.data.text.kjvText('validation'));
  if (tok.vocabSize > 256) throw new Error(`vocabulary of ${tok.vocabSize} does not fit the uint8 exchange files`);
  // validation windows of T + 1 characters, evenly spaced over the validation text (all non-overlapping by default)
  const maxWindows = Math.floor(valIds.length / (T + 1));
  const nVal = Math.min(Number(flags['val-windows'] ?? 1024), maxWindows);
  const val = new Uint8Array(nVal * (T + 1));
  for (let i = 0; i < nVal; i++) {
    const s = Math.floor(i * (valIds.length - (T + 1)) / Math.max(1, nVal - 1));
    for (let t = 0; t <= T; t++) val[i * (T + 1) + t] = valIds[s + t];
  }

  const dir = mkdtempSync(join(tmpdir(), 'strata-lm-'));
  const meta: Meta = {
    vocabSize: tok.vocabSize, contextLength: T, batchSize: B, nLayer: 4, nHead: 4, dModel: 128,
    lr: Number(flags.lr ?? 2e-3), betas: [0.9, 0.999], eps: 1e-8, clip: 1, warmupFrac: 0.05, minLrFrac: 0.1,
    minutes, seed: 1234, params: [], trainTokens: train.length, valWindows: nVal,
  };
  // the shared initial weights: strata's GPT init, in its state-dict order
  st.manualSeed(0);
  const sd = makeModel(meta).stateDict();
  let offset = 0;
  const chunks: Float32Array[] = [];
  for (const [name, t] of Object.entries(sd)) {
    meta.params.push({ name, shape: t.shape.slice(), offset });
    chunks.push(Float32Array.from(t.data() as Float32Array));
    offset += chunks[chunks.length - 1].length;
  }
  const init = new Float32Array(offset);
  chunks.reduce((o, c) => (init.set(c, o), o + c.length), 0);
  writeFileSync(join(dir, 'init.f32'), init);
  writeFileSync(join(dir, 'train.u8'), Uint8Array.from(train));
  writeFileSync(join(dir, 'val.u8'), val);
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
  console.log(`bench:lm  ${minutes} min each, ${sequential ? `one after the other at ${threads} threads` : 'side by side at 1 thread each'}; train ${train.length} chars, ${nVal} validation windows of ${T}; ${offset} parameters; data in ${dir}`);

  const self = fileURLToPath(import.meta.url);
  const strata = () => run(process.execPath, [self, '--worker', dir, '--threads', String(threads)], {});
  const torch = () => run(py, [join(root, 'bench/peers/torch_lm.py'), '--dir', dir, '--threads', String(threads)], peerEnv(threads));
  const codes = sequential ? [await strata(), await torch()] : await Promise.all([strata(), torch()]);
  if (codes.some((c) => c !== 0)) throw new Error(`a run failed (exit codes strata ${codes[0]}, pytorch ${codes[1]}); its files are in ${dir}`);
  const rs = JSON.parse(readFileSync(join(dir, 'result-strata.json'), 'utf8')) as Result;
  const rp = JSON.parse(readFileSync(join(dir, 'result-pytorch.json'), 'utf8')) as Result;
  rmSync(dir, { recursive: true, force: true });

  const row = (r: Result) => `${r.impl.padEnd(8)} val ${r.valLoss.toFixed(4)} nats/char  train ${r.finalTrainLoss.toFixed(4)}  ${String(r.steps).padStart(6)} steps  ${String(r.tokensPerSecond).padStart(7)} tok/s  cpu ${r.cpuSeconds} s`;
  console.log(row(rs));
  console.log(row(rp));
  const met = rs.valLoss <= rp.valLoss;
  console.log(`target (strata's validation loss no worse than PyTorch's): ${met ? 'met' : 'NOT met'}  (Δ ${(rs.valLoss - rp.valLoss).toFixed(4)} nats/char, ${(rs.steps / Math.max(1, rp.steps)).toFixed(2)}× PyTorch's steps)`);
  const report = {
    workload: 'char-gpt-kjv', date: new Date().toISOString(), minutes, mode: sequential ? 'sequential' : 'concurrent', threads,
    model: { nLayer: meta.nLayer, nHead: meta.nHead, dModel: meta.dModel, contextLength: T, batchSize: B, vocabSize: meta.vocabSize, params: offset },
    optimizer: { name: 'Adam', lr: meta.lr, betas: meta.betas, eps: meta.eps, clip: meta.clip, schedule: `linear warm-up ${meta.warmupFrac * 100}% of the time, cosine to ${meta.minLrFrac}·lr` },
    data: { trainChars: train.length, valWindows: nVal, valChars: nVal * T }, strata: rs, pytorch: rp,
    valLossDelta: Math.round((rs.valLoss - rp.valLoss) * 1e4) / 1e4, stepRatio: Math.round((rs.steps / Math.max(1, rp.steps)) * 1000) / 1000, targetMet: met,
  };
  const out = flags.out ?? join(root, 'bench/lm-latest.json');
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  console.log(`wrote ${out}`);
}

if (flags.worker) worker(flags.worker, Number(flags.threads ?? 1));
else await main();
