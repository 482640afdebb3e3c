// `npm run bench:fashion`: trains on Fashion-MNIST with the strata CLI and with PyTorch (same model, batch
// size, optimizer, normalisation, epochs and thread count) in one run; prints epoch times and accuracies
// and writes bench/fashion-latest.json.
// usage: node dist/bench/fashion.js [--models cnn,mlp] [--epochs 5] [--threads N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, parseFlags, peerEnv } from './util.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const flags = parseFlags(process.argv.slice(2));
const models = (flags.models ?? 'cnn,mlp').split(',');
const epochs = Number(flags.epochs ?? 5);
const threads = Number(flags.threads ?? availableParallelism());
const py = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);

// NOTE: strata's epoch_seconds times the training loop alone, not the test pass; the peer reports
// that as train_seconds, so the ratios compare training loops on both sides.
interface Epoch { epoch: number; test_accuracy: number; epoch_seconds: number; train_seconds?: number; train_loss: number; test_loss: number }
const trainTime = (e: Epoch): number => e.train_seconds ?? e.epoch_seconds;
const results: Record<string, Record<string, Epoch[]>> = {};

for (const model of models) {
  results[model] = {};
  const out = mkdtempSync(join(tmpdir(), `strata-${model}-`));
  console.error(`fashion: strata ${model}, ${epochs} epochs, ${threads} threads`);
  const r = spawnSync(process.execPath, [join(root, 'bin/strata.js'), 'train', '--model', model, '--dataset', 'fashion-mnist', '--epochs', String(epochs), '--threads', String(threads), '--out', out, '--quiet'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`strata train failed (exit ${r.status})`);
  results[model].strata = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Epoch);
  if (py) {
    console.error(`fashion: pytorch ${model}`);
    const p = spawnSync(py, [join(root, 'bench/peers/torch_fashion.py'), '--model', model, '--epochs', String(epochs), '--threads', String(threads)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...peerEnv(threads) } });
    if (p.status !== 0) throw new Error(`the PyTorch peer failed (exit ${p.status})`);
    results[model].pytorch = p.stdout.trim().split('\n').map((l) => JSON.parse(l) as Epoch);
  }
}

console.log(`\nFashion-MNIST, ${epochs} epochs, batch 64, Adam with OneCycle (peak 3e-3; strata train's default, and the same in PyTorch), ${threads} threads (epoch time: the training loop, without the test pass, on both sides):\n`);
console.log('| model | impl | test accuracy (last epoch) | median epoch time | ratio to PyTorch |');
console.log('|---|---|---|---|---|');
const rows: unknown[] = [];
for (const [model, byImpl] of Object.entries(results)) {
  const ref = byImpl.pytorch ? median(byImpl.pytorch.map(trainTime)) : null;
  for (const [impl, eps] of Object.entries(byImpl)) {
    const t = median(eps.map(trainTime));
    const acc = eps[eps.length - 1].test_accuracy;
    console.log(`| ${model} | ${impl} | ${(100 * acc).toFixed(2)}% | ${t.toFixed(1)} s | ${ref ? (t / ref).toFixed(2) + '×' : '-'} |`);
    rows.push({ model, impl, epochs: eps, median_epoch_seconds: t, ratio_to_pytorch: ref ? t / ref : null, final_test_accuracy: acc });
  }
}
const file = join(root, 'bench', 'fashion-latest.json');
writeFileSync(file + '.tmp', JSON.stringify({ date: new Date().toISOString(), threads, epochs, results: rows }, null, 2) + '\n');
renameSync(file + '.tmp', file);
console.log(`\nwrote ${file}`);
