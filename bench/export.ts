// `npm run bench:export`: ONNX Runtime (onnxruntime-node, CPU) on strata's exported ResNet-18 vs strata itself on the
// same CPU, batch 1 and 32 at 3×224×224 (interleaved rounds, medians; information for choosing a runtime, not a target).
// With --zoo: every zoo image model exported and checked against ONNX Runtime (max |Δlogits|), a Markdown table.
// usage: node dist/bench/export.js [--rounds 5] [--threads N] [--batches 1,32] [--zoo] [--sizes 28,224] [--models a,b]
import { writeFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as st from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { parseFlags } from './util.js';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const flags = parseFlags(process.argv.slice(2));
const threads = Number(flags.threads ?? availableParallelism());
st.setNumThreads(threads);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function ortSession(bytes: Uint8Array) {
  return ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1, executionProviders: ['cpu'] });
}
async function ortLogits(s: Awaited<ReturnType<typeof ortSession>>, x: Tensor): Promise<Float32Array> {
  const r = await s.run({ input: new ort.Tensor('float32', x.data() as Float32Array, [...x.shape]) });
  return r.logits.data as Float32Array;
}
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function speed(): Promise<void> {
  const rounds = Number(flags.rounds ?? 5);
  const batches = (flags.batches ?? '1,32').split(',').map(Number);
  const m = st.models.createModel('resnet18', { inChannels: 3, height: 224, width: 224, numClasses: 1000 }).eval();
  const s = await ortSession(st.onnx.exportModelBuffer(m, st.randn([1, 3, 224, 224])));
  const rows: string[] = [];
  const results: Record<string, unknown>[] = [];
  for (const n of batches) {
    const x = st.randn([n, 3, 224, 224]);
    const ts: number[] = [], to: number[] = [];
    let diff = 0;
    for (let r = 0; r <= rounds; r++) {
      // round 0 warms both up and is not counted
      let t0 = performance.now();
      const ys = st.noGrad(() => m.forward(x) as Tensor);
      const ours = ys.data() as Float32Array;
      const dStrata = performance.now() - t0;
      t0 = performance.now();
      const theirs = await ortLogits(s, x);
      const dOrt = performance.now() - t0;
      diff = Math.max(diff, maxAbsDiff(ours, theirs));
      ys.dispose();
      if (r > 0) {
        ts.push(dStrata);
        to.push(dOrt);
      }
      console.error(`export bench: batch ${n} round ${r}/${rounds}: strata ${dStrata.toFixed(0)} ms, ONNX Runtime ${dOrt.toFixed(0)} ms`);
    }
    const ms = median(ts), mo = median(to);
    results.push({ batch: n, strata_ms: ms, onnxruntime_ms: mo, ratio: ms / mo, max_abs_diff: diff });
    rows.push(`| ${n} | ${ms.toFixed(0)} ms | ${mo.toFixed(0)} ms | ${(ms / mo).toFixed(2)} | ${diff.toExponential(1)} |`);
    x.dispose();
  }
  await s.release();
  const md = [
    `ResNet-18 at 3×224×224, forward in eval mode, ${threads} threads, median of ${rounds} interleaved rounds (strata ${st.getBackend().name} backend vs onnxruntime-node ${ort.env.versions.common} CPU on the exported file):`,
    '',
    '| batch | strata | ONNX Runtime | strata / ORT | max \\|Δlogits\\| |',
    '|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
  console.log('\n' + md);
  write('export-latest.json', JSON.stringify({ date: new Date().toISOString(), threads, rounds, results }, null, 2) + '\n');
}

async function zoo(): Promise<void> {
  const sizes = (flags.sizes ?? '28,224').split(',').map(Number);
  const names = flags.models ? flags.models.split(',') : st.models.modelNames().filter((n) => {
    const e = st.models.getModel(n);
    return e.kind === 'image' && !e.inputs?.length && n !== 'av_image';
  });
  const rows: string[] = [];
  for (const name of names) {
    const cells: string[] = [];
    for (const hw of sizes) {
      const c = hw <= 28 ? 1 : 3;
      console.error(`export bench: ${name} at ${c}×${hw}×${hw}`);
      try {
        const m = st.models.createModel(name, { inChannels: c, height: hw, width: hw, numClasses: 10 }).eval();
        // every weight matters: batch-norm statistics and zero-initialised heads redrawn
        st.noGrad(() => {
          const sd = m.stateDict();
          for (const [k, t] of Object.entries(sd)) {
            if (t.dtype !== 'float32') continue;
            if (k.endsWith('.weight') && `${k.slice(0, -7)}.running_var` in sd) t.copy_(st.rand(t.shape).mul(0.4).add(0.3));
            else if (k.endsWith('running_mean')) t.copy_(st.rand(t.shape).mul(0.2).sub(0.1));
            else if (k.endsWith('running_var')) t.copy_(st.rand(t.shape).mul(0.5).add(0.75));
            else if (t.numel <= 1e6 && t.abs().max().item() === 0) t.copy_(st.randn(t.shape).mul(0.1));
          }
        });
        const bytes = st.onnx.exportModelBuffer(m, st.randn([2, c, hw, hw]));
        const s = await ortSession(bytes);
        const x = st.randn([3, c, hw, hw]);
        const d = maxAbsDiff(st.noGrad(() => m.forward(x) as Tensor).data() as Float32Array, await ortLogits(s, x));
        await s.release();
        m.dispose();
        cells.push(`${d <= 1e-4 ? '✓' : '✗'} ${d.toExponential(1)}`);
      } catch (e) {
        cells.push(`✗ ${(e as Error).message.replace(/\|/g, '/').slice(0, 90)}`);
      }
    }
    rows.push(`| ${name} | ${cells.join(' | ')} |`);
  }
  const md = [
    `ONNX export (opset 17) vs ONNX Runtime ${ort.env.versions.common}: max |Δlogits| on a random batch of 3 (traced at batch 2, dynamic batch axis):`,
    '',
    `| model | ${sizes.map((s) => (s <= 28 ? `1×${s}×${s}` : `3×${s}×${s}`)).join(' | ')} |`,
    `|---|${sizes.map(() => '---:').join('|')}|`,
    ...rows,
  ].join('\n');
  console.log('\n' + md);
  write('export-zoo-latest.md', md + '\n');
}

function write(f: string, body: string): void {
  const p = join(root, 'bench', f);
  writeFileSync(p + '.tmp', body);
  renameSync(p + '.tmp', p);
}

if (flags.zoo !== undefined) await zoo();
else await speed();
