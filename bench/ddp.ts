// DDP benchmark on this machine: the Fashion-MNIST CNN as 1 process × 2 threads vs 2 processes × 1 thread
// (strata launch), the same with PyTorch (one process; torchrun --nproc-per-node 2), and a 25 MB all-reduce
// on gloo in both. Interleaved rounds, medians. Writes bench/ddp-latest.json.
// usage: node dist/bench/ddp.js [--samples 6000] [--epochs 1] [--rounds 1] [--parts epoch,allreduce]
// (a run of some parts keeps the other parts' figures from the previous bench/ddp-latest.json)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as st from '../src/index.js';
import { peerEnv } from './util.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const arg = (k: string, d: string) => { const i = process.argv.indexOf(`--${k}`); return i >= 0 ? process.argv[i + 1] : d; };
const samples = arg('samples', '6000'), epochs = arg('epochs', '1'), rounds = Number(arg('rounds', '1'));
const worker = join(here, 'ddp-worker.js'), peer = join(root, 'bench', 'peers', 'torch_ddp.py');
const strata = join(root, 'bin', 'strata.js');
const py = '/usr/bin/python3';

function jsonLine(cmd: string, args: string[], env: NodeJS.ProcessEnv): Record<string, number> {
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30 * 60 * 1000 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{"what"'));
  if (r.status !== 0 || !line) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(line);
}

const launch = (extra: string[]) => [strata, 'launch', '--nproc-per-node', '2', '--log-dir', join(root, 'runs', 'bench-ddp'), '--', process.execPath, worker, ...extra];
// NOTE: Debian's torchrun (torch 1.13 on Python 3.11) fails before starting workers (AttributeError in
// elastic/multiprocessing/api.py to_map: redirects is None); the PyTorch workers are started by strata launch
// instead, with the same environment variables torchrun sets (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT...).
const torchrun = (extra: string[]) => [strata, 'launch', '--nproc-per-node', '2', '--log-dir', join(root, 'runs', 'bench-ddp-torch'), '--', py, peer, ...extra];
const work = ['--samples', samples, '--epochs', epochs];
const parts = arg('parts', 'epoch,allreduce').split(',');
const latest = join(root, 'bench', 'ddp-latest.json');
const runs: Record<string, Record<string, number>[]> = {};
if (!parts.includes('epoch') || !parts.includes('allreduce')) {
  const prev = existsSync(latest) ? JSON.parse(readFileSync(latest, 'utf8')).runs ?? {} : {};
  for (const [k, v] of Object.entries(prev)) if (parts.includes(k.includes('allreduce') ? 'epoch' : 'allreduce')) runs[k] = v as Record<string, number>[];
}
const add = (k: string, v: Record<string, number>) => { (runs[k] ??= []).push(v); console.log(k.padEnd(34), JSON.stringify(v)); };
for (let r = 0; r < rounds; r++) {
  if (parts.includes('epoch')) {
    add('strata 1 process x 2 threads', jsonLine(process.execPath, [worker, ...work], { STRATA_THREADS: '2' }));
    add('strata DDP 2 processes x 1 thread', jsonLine(process.execPath, launch(work), {}));
    add('torch 1 process x 2 threads', jsonLine(py, [peer, ...work], peerEnv(2)));
    add('torch DDP 2 processes x 1 thread', jsonLine(process.execPath, torchrun(work), peerEnv(1)));
  }
  if (parts.includes('allreduce')) {
    add('strata allreduce 25 MB', jsonLine(process.execPath, launch(['--allreduce', '25']), {}));
    add('torch allreduce 25 MB', jsonLine(process.execPath, torchrun(['--allreduce', '25']), peerEnv(1)));
  }
}
const med = (k: string, f: string) => { const v = runs[k].map((x) => x[f]).sort((a, b) => a - b); return v[v.length >> 1]; };
const summary = {
  note: 'measured on a 2-core machine shared with other jobs (under load): compare ratios within this run',
  samples: Number(samples), epochs: Number(epochs), rounds,
  strataEpochSeconds1x2: med('strata 1 process x 2 threads', 'seconds'),
  strataEpochSecondsDDP: med('strata DDP 2 processes x 1 thread', 'seconds'),
  torchEpochSeconds1x2: med('torch 1 process x 2 threads', 'seconds'),
  torchEpochSecondsDDP: med('torch DDP 2 processes x 1 thread', 'seconds'),
  strataAllreduceMs: med('strata allreduce 25 MB', 'ms'),
  torchAllreduceMs: med('torch allreduce 25 MB', 'ms'),
  accuracy: { strata1: med('strata 1 process x 2 threads', 'accuracy'), strataDDP: med('strata DDP 2 processes x 1 thread', 'accuracy'), torch1: med('torch 1 process x 2 threads', 'accuracy'), torchDDP: med('torch DDP 2 processes x 1 thread', 'accuracy') },
};
const ratios = {
  strataDDPvsTorchDDP: summary.strataEpochSecondsDDP / summary.torchEpochSecondsDDP,
  strataScaling: summary.strataEpochSeconds1x2 / summary.strataEpochSecondsDDP,
  torchScaling: summary.torchEpochSeconds1x2 / summary.torchEpochSecondsDDP,
  allreduceStrataVsTorch: summary.strataAllreduceMs / summary.torchAllreduceMs,
};
console.log(JSON.stringify({ ...summary, ratios }, null, 2));
writeFileSync(latest, JSON.stringify({ ...summary, ratios, runs }, null, 2) + '\n');
