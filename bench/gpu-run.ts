// `npm run bench:gpu`: strata (bench/gpu.ts) and PyTorch (bench/peers/torch_gpu.py) on the same GPU, in
// interleaved rounds (strata, PyTorch, strata, …); per workload and precision the median over rounds of each
// side's median step time, and the ratio strata / PyTorch. Writes bench/gpu-latest.json.
// usage: node dist/bench/gpu-run.js [--rounds 2] [--reps 20] [--only a,b] [--precision fp32,bf16] [--python python3]
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, parseFlags } from './util.js';

const flags = parseFlags(process.argv.slice(2));
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const rounds = Number(flags.rounds ?? 2);
const common = ['--reps', flags.reps ?? '20', '--precision', flags.precision ?? 'fp32,bf16', ...(flags.only ? ['--only', flags.only] : []), ...(flags.device ? ['--device', flags.device] : []), ...(flags.warmup ? ['--warmup', flags.warmup] : [])];
const python = flags.python ?? process.env.PYTHON ?? 'python3';

interface Row { workload: string; precision: string; impl: string; seconds?: number; peakBytes?: number | null; error?: string; skipped?: string }
const rows: Row[] = [];
function runSide(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) process.stderr.write(`${cmd} exited with ${r.status}: ${(r.stderr ?? '').split('\n').slice(-8).join('\n')}\n`);
  for (const line of (r.stdout ?? '').split('\n')) {
    if (!line.startsWith('{')) continue;
    const row = JSON.parse(line) as Row;
    rows.push(row);
    process.stderr.write(`${line}\n`);
  }
}
for (let i = 0; i < rounds; i++) {
  runSide(process.execPath, [join(root, 'dist/bench/gpu.js'), ...common]);
  runSide(python, [join(root, 'bench/peers/torch_gpu.py'), ...common]);
}
const key = (r: Row) => `${r.workload}|${r.precision}`;
const keys = [...new Set(rows.map(key))];
const table = keys.map((k) => {
  const [workload, precision] = k.split('|');
  const side = (impl: string) => {
    const rs = rows.filter((r) => key(r) === k && r.impl === impl);
    const ok = rs.filter((r) => r.seconds !== undefined);
    return {
      seconds: ok.length ? median(ok.map((r) => r.seconds!)) : null,
      rounds: ok.map((r) => r.seconds!),
      peakBytes: ok.length ? ok[ok.length - 1].peakBytes ?? null : null,
      note: rs.find((r) => r.error || r.skipped)?.error ?? rs.find((r) => r.skipped)?.skipped ?? null,
    };
  };
  const s = side('strata'), p = side('pytorch');
  return { workload, precision, strata: s, pytorch: p, ratio: s.seconds && p.seconds ? s.seconds / p.seconds : null };
});
const ms = (v: number | null) => (v === null ? '—' : `${(v * 1000).toFixed(2)} ms`);
console.log('| workload | precision | strata | PyTorch | strata / PyTorch |');
console.log('| --- | --- | ---: | ---: | ---: |');
for (const t of table) console.log(`| ${t.workload} | ${t.precision} | ${ms(t.strata.seconds)}${t.strata.note ? ` (${t.strata.note})` : ''} | ${ms(t.pytorch.seconds)} | ${t.ratio === null ? '—' : t.ratio.toFixed(2) + '×'} |`);
const out = { date: new Date().toISOString(), rounds, method: 'interleaved rounds; each side reports the median of its synchronised per-step times; the table shows the median over rounds', table };
writeFileSync(resolve(root, flags.out ?? 'bench/gpu-latest.json'), JSON.stringify(out, null, 2) + '\n');
