// `npm run bench`: runs the same workloads in strata (native, js), PyTorch and TensorFlow.js with one
// thread count, prints one table of seconds and ratios to PyTorch, and writes bench/latest.json.
// usage: npm run bench [-- --only cnn-train-step,lstm-train-step] [--impl strata-native,pytorch] [--threads N] [--rounds 3]
import { spawnSync } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { median, parseFlags, peerEnv } from './util.js';

const here = dirname(fileURLToPath(import.meta.url)); // dist/bench
const root = join(here, '..', '..');
const flags = parseFlags(process.argv.slice(2));
const threads = Number(flags.threads ?? process.env.STRATA_BENCH_THREADS ?? availableParallelism());
const only = flags.only ? ['--only', flags.only] : [];
const wantImpl = flags.impl ? new Set(flags.impl.split(',')) : null;

interface Row { workload: string; impl: string; seconds: number; ratio_to_pytorch: number | null }

function python(): string | null {
  for (const py of [process.env.PYTHON, '/usr/bin/python3', 'python3']) {
    if (!py) continue;
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return null;
}

function hasTfjs(): boolean {
  try {
    createRequire(join(root, 'package.json')).resolve('@tensorflow/tfjs');
    return true;
  } catch {
    return false;
  }
}

function nativeAvailable(): boolean {
  const r = spawnSync(process.execPath, ['-e', `import('${join(root, 'dist/src/index.js')}').then(st => st.setBackend('native'))`], { stdio: 'ignore' });
  return r.status === 0;
}

const impls: { name: string; cmd: string; args: string[]; env?: Record<string, string> }[] = [];
if (nativeAvailable()) impls.push({ name: 'strata-native', cmd: process.execPath, args: [join(here, 'workloads.js'), '--backend', 'native', '--threads', String(threads), ...only] });
else console.error('bench: the native backend is unavailable; build it with `npm run build:native`');
impls.push({ name: 'strata-js', cmd: process.execPath, args: [join(here, 'workloads.js'), '--backend', 'js', '--threads', String(threads), ...only] });
const py = python();
if (py) impls.push({ name: 'pytorch', cmd: py, args: [join(root, 'bench/peers/torch_workloads.py'), '--threads', String(threads), ...only], env: peerEnv(threads) });
else console.error('bench: PyTorch not found (apt-get install python3-torch); ratios to PyTorch will be missing');
// the recurrent workloads (bench/rnn.ts, bench/peers/torch_rnn.py) report under the same implementation names
const rnnImpls = impls.map((i) => ({
  ...i,
  args: i.name === 'pytorch' ? [join(root, 'bench/peers/torch_rnn.py'), ...i.args.slice(1)] : [join(here, 'rnn.js'), ...i.args.slice(1)],
}));
impls.push(...rnnImpls);
if (hasTfjs()) impls.push({ name: 'tfjs-cpu', cmd: process.execPath, args: [join(here, 'tfjs-workloads.js'), ...only] });
else console.error('bench: @tensorflow/tfjs not installed (bash setup.sh bench installs it)');

// NOTE: on a shared 2-core machine one process's timings can shift by tens of percent for a minute at a
// time; strata-native and PyTorch, the pair the targets compare, therefore run in `rounds` interleaved
// rounds (native, pytorch, native, ...) and each figure is the median of its rounds' medians.
const rounds = Math.max(1, Number(flags.rounds ?? 3));
const paired = new Set(['strata-native', 'pytorch']);
const schedule = [
  ...Array.from({ length: rounds }, () => impls.filter((i) => paired.has(i.name))).flat(),
  ...impls.filter((i) => !paired.has(i.name)),
].filter((i) => !wantImpl || wantImpl.has(i.name));
const samples = new Map<string, { workload: string; impl: string; seconds: number[] }>();
for (const impl of schedule) {
  console.error(`bench: running ${impl.name} (${threads} thread${threads > 1 ? 's' : ''})`);
  const r = spawnSync(impl.cmd, impl.args, { encoding: 'utf8', env: { ...process.env, ...impl.env }, maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    console.error(`bench: ${impl.name} failed (exit ${r.status}):\n${(r.stderr ?? '').split('\n').slice(-15).join('\n')}`);
  }
  for (const line of (r.stdout ?? '').split('\n')) {
    if (!line.startsWith('{')) continue;
    const j = JSON.parse(line) as { workload: string; seconds: number };
    const key = `${j.workload}\t${impl.name}`;
    const e = samples.get(key) ?? { workload: j.workload, impl: impl.name, seconds: [] };
    e.seconds.push(j.seconds);
    samples.set(key, e);
  }
}
const results = [...samples.values()].map((e) => ({ workload: e.workload, impl: e.impl, seconds: median(e.seconds), rounds: e.seconds }));

const workloads = [...new Set(results.map((r) => r.workload))];
const implNames = [...new Set(results.map((r) => r.impl))];
const rows: Row[] = results.map((r) => {
  const ref = results.find((x) => x.workload === r.workload && x.impl === 'pytorch');
  return { ...r, ratio_to_pytorch: ref ? r.seconds / ref.seconds : null };
});

const fmtS = (s: number) => (s >= 1 ? `${s.toFixed(2)} s` : s >= 1e-3 ? `${(s * 1e3).toFixed(2)} ms` : `${(s * 1e6).toFixed(1)} µs`);
const header = ['workload', ...implNames];
const table = workloads.map((w) => [w, ...implNames.map((i) => {
  const r = rows.find((x) => x.workload === w && x.impl === i);
  if (!r) return '-';
  return r.ratio_to_pytorch === null ? fmtS(r.seconds) : `${fmtS(r.seconds)} (${r.ratio_to_pytorch.toFixed(2)}×)`;
})]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(`\nseconds per workload (ratio to PyTorch; lower is faster), ${threads} thread${threads > 1 ? 's' : ''}; strata-native and PyTorch: median of ${rounds} interleaved rounds:\n`);
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const t of table) console.log(line(t));

const get = (w: string, i: string) => rows.find((r) => r.workload === w && r.impl === i);
const js = get('cnn-train-step', 'strata-js'), tfjs = get('cnn-train-step', 'tfjs-cpu');
if (js && tfjs) console.log(`\nstrata-js vs TensorFlow.js cpu on the CNN step: ${(tfjs.seconds / js.seconds).toFixed(1)}× faster`);

const out = join(root, 'bench', 'latest.json');
writeFileSync(out + '.tmp', JSON.stringify({ threads, rounds, date: new Date().toISOString(), node: process.version, results: rows }, null, 2) + '\n');
renameSync(out + '.tmp', out);
console.log(`\nwrote ${out}`);
