// `npm run bench:zoo`: every image model of the zoo trained on Fashion-MNIST for the same wall-clock
// budget, on equal footing: parameters and multiply-adds (exact), measured epoch time, test accuracy.
// Writes bench/zoo-latest.json and a Markdown table bench/zoo-latest.md.
// usage: node dist/bench/zoo.js [--minutes 3] [--models a,b,c] [--threads N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as st from '../src/index.js';
import { parseFlags } from './util.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const flags = parseFlags(process.argv.slice(2));
const minutes = Number(flags.minutes ?? 3);
const threads = Number(flags.threads ?? availableParallelism());
const names = flags.models ? flags.models.split(',') : st.models.modelNames().filter((n) => {
  const e = st.models.getModel(n);
  return e.kind === 'image' && !e.inputs;
});

interface Row { model: string; params: number; macs: number; epoch_seconds: number; epochs_run: number; test_accuracy: number; minutes: number }
const rows: Row[] = [];
for (const name of names) {
  const task = { inChannels: 1, height: 28, width: 28, numClasses: 10 };
  const m = st.models.createModel(name, task);
  const s = st.lab.summary(m, [1, 28, 28]);
  m.dispose();
  const out = mkdtempSync(join(tmpdir(), `zoo-${name}-`));
  console.error(`zoo: ${name} (${(s.params / 1e6).toFixed(2)} M params, ${(s.macs / 1e6).toFixed(1)} M mult-adds), ${minutes} min`);
  const r = spawnSync(process.execPath, [join(root, 'bin/strata.js'), 'train', '--model', name, '--dataset', 'fashion-mnist', '--minutes', String(minutes), '--epochs', '1000', '--threads', String(threads), '--augment', '--out', out, '--quiet'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) {
    console.error(`zoo: ${name} failed (exit ${r.status})`);
    continue;
  }
  const logs = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  const last = logs[logs.length - 1];
  // epoch time from full epochs when there are some, else extrapolated from the partial one
  const full = logs.filter((l) => l.partial === undefined);
  const batchesPerEpoch = Math.ceil(60000 / 64);
  const epochSeconds = full.length ? full.reduce((a, l) => a + l.epoch_seconds, 0) / full.length : (last.epoch_seconds * batchesPerEpoch) / Math.max(1, last.partial);
  const epochsRun = full.length + (last.partial !== undefined ? last.partial / batchesPerEpoch : 0);
  rows.push({ model: name, params: s.params, macs: s.macs, epoch_seconds: epochSeconds, epochs_run: epochsRun, test_accuracy: last.test_accuracy, minutes });
}

const md = [
  `Fashion-MNIST, ${minutes} minutes of training per model (OneCycle, Adam, batch 64, crop+flip augmentation), ${threads} threads; parameters and multiply-adds for a 1×28×28 input:`,
  '',
  '| model | params | mult-adds | epoch time | epochs in budget | test accuracy |',
  '|---|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.model} | ${r.params.toLocaleString('en-US')} | ${(r.macs / 1e6).toFixed(1)} M | ${r.epoch_seconds.toFixed(0)} s | ${r.epochs_run.toFixed(2)} | ${(100 * r.test_accuracy).toFixed(2)}% |`),
].join('\n');
console.log('\n' + md);
for (const [f, body] of [['zoo-latest.json', JSON.stringify({ date: new Date().toISOString(), minutes, threads, results: rows }, null, 2) + '\n'], ['zoo-latest.md', md + '\n']]) {
  const p = join(root, 'bench', f);
  writeFileSync(p + '.tmp', body);
  renameSync(p + '.tmp', p);
}
