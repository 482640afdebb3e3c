// The command line end to end: info, summary, train (kill mid-epoch and resume), eval, predict.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { st } from './helpers.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin/strata.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
const haveData = existsSync(st.data.FASHION_MNIST_DEFAULT_ROOT);

describe('strata CLI', () => {
  it('info names the version, backend, libtorch version and threads', () => {
    const r = cli('info');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^strata ${st.VERSION.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(r.stdout, /^backend: (native|js)/m);
    assert.match(r.stdout, /^libtorch\/ATen: /m);
    assert.match(r.stdout, /^threads: \d+$/m);
  });

  it('summary counts the CNN exactly', () => {
    const r = cli('summary', '--model', 'cnn', '--json');
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { params: number; macs: number };
    // conv 1→32 (3×3) + conv 32→64 (3×3) + linear 1600→128 + linear 128→10, with biases
    assert.equal(j.params, (9 * 32 + 32) + (32 * 9 * 64 + 64) + (1600 * 128 + 128) + (128 * 10 + 10));
    assert.equal(j.macs, 32 * 26 * 26 * 9 + 64 * 11 * 11 * 32 * 9 + 1600 * 128 + 128 * 10);
    const t = cli('summary', '--model', 'cnn');
    assert.match(t.stdout, /features\.3 +Conv2d +\[64, 11, 11\] +18,496 +2,230,272/);
  });

  it('summary --bench measures latency and throughput; text models are refused with the reason', () => {
    const r = cli('summary', '--model', 'lenet5', '--json', '--bench', '--batch-size', '4', '--threads', '1');
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { params: number; bench: { batchSize: number; latencyMs: number; inferencePerSecond: number; trainPerSecond: number; backend: string } };
    assert.equal(j.bench.batchSize, 4);
    for (const k of ['latencyMs', 'inferencePerSecond', 'trainPerSecond'] as const) assert.ok(j.bench[k] > 0 && Number.isFinite(j.bench[k]), `${k} = ${j.bench[k]}`);
    assert.match(j.bench.backend, /^(native|js)$/);
    const t = cli('summary', '--model', 'lenet5', '--bench', '--batch-size', '2');
    assert.match(t.stdout, /inference latency \(batch 1\): +[\d.]+ ms/);
    assert.match(t.stdout, /training throughput \(batch 2\): +[\d.]+ samples\/s/);
    assert.match(cli('summary', '--model', 'gpt').stderr, /'gpt' is a text model; summary takes image models/);
  });

  it('reports bad flags clearly', () => {
    const r = cli('train', '--model', 'nope', '--subset', '10');
    // a bad command line: exit code 2 (as the handbook asks; it was 1 before the typed spec checked --model)
    assert.equal(r.status, 2);
    assert.match(r.stderr, /model: unknown model 'nope'; available: .*cnn/);
    assert.match(cli('train', '--epochs', 'x').stderr, /--epochs needs an integer, got 'x'/);
    assert.match(cli('train', '--bogus').stderr, /unknown option --bogus/);
  });

  it('trains, is killed mid-epoch, resumes, and ends where an uninterrupted run ends', { skip: !haveData && 'Fashion-MNIST not installed', timeout: 600000 }, async () => {
    const args = ['train', '--model', 'mlp', '--subset', '6000', '--epochs', '3', '--threads', '1', '--seed', '3', '--quiet'];
    const full = mkdtempSync(join(tmpdir(), 'strata-full-'));
    const r = cli(...args, '--out', full);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^test accuracy: \d+\.\d+% \(epoch 3/m);
    const cfg = JSON.parse(readFileSync(join(full, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(cfg.model, 'mlp');
    assert.equal(cfg.dataset, 'fashion-mnist');
    const lines = readFileSync(join(full, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    assert.deepEqual(lines.map((l) => l.epoch), [1, 2, 3]);
    for (const k of ['train_loss', 'test_loss', 'test_accuracy', 'epoch_seconds']) assert.equal(typeof lines[2][k], 'number', k);
    assert.ok(existsSync(join(full, 'model.safetensors')));

    // a second run, killed with SIGKILL during epoch 2
    const cut = mkdtempSync(join(tmpdir(), 'strata-cut-'));
    const child = spawn(process.execPath, [bin, ...args, '--out', cut], { stdio: 'ignore' });
    await new Promise<void>((resolve, reject) => {
      const t0 = Date.now();
      const poll = setInterval(() => {
        const m = existsSync(join(cut, 'metrics.jsonl')) ? readFileSync(join(cut, 'metrics.jsonl'), 'utf8').trim() : '';
        if (m.split('\n').filter(Boolean).length >= 1) {
          clearInterval(poll);
          // let epoch 2 get under way, then kill
          setTimeout(() => { child.kill('SIGKILL'); resolve(); }, 300);
        } else if (Date.now() - t0 > 300000) {
          clearInterval(poll);
          child.kill('SIGKILL');
          reject(new Error('the first epoch did not finish in time'));
        }
      }, 50);
    });
    await new Promise((r2) => child.on('exit', r2));
    const partial = readFileSync(join(cut, 'metrics.jsonl'), 'utf8').trim().split('\n');
    assert.ok(partial.length < 3, 'killed before the end');
    const resumed = cli('train', '--out', cut, '--resume', '--epochs', '3', '--threads', '1', '--quiet');
    assert.equal(resumed.status, 0, resumed.stderr);
    const after = readFileSync(join(cut, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    assert.deepEqual(after.map((l) => l.epoch), [1, 2, 3]);
    assert.equal(after[2].test_accuracy, lines[2].test_accuracy);
    assert.equal(after[2].test_loss, lines[2].test_loss);

    const ev = cli('eval', '--checkpoint', full, '--threads', '1');
    assert.equal(ev.status, 0, ev.stderr);
    assert.match(ev.stdout, new RegExp(`accuracy: ${(100 * lines[2].test_accuracy).toFixed(2)}%`));
    assert.match(ev.stdout, /Ankle boot/);
    const pr = cli('predict', '--checkpoint', full, '--index', '0', '--json');
    assert.equal(pr.status, 0, pr.stderr);
    const pj = JSON.parse(pr.stdout) as { label: number; predictions: { probability: number }[] };
    assert.equal(pj.label, 9);
    assert.ok(pj.predictions[0].probability >= pj.predictions[1].probability);
    assert.match(cli('train', '--out', mkdtempSync(join(tmpdir(), 'strata-none-')), '--resume').stderr, /--resume: .*train-state\.safetensors does not exist \(nothing to resume\)/);
  });
});
