// --device and --precision on the command line: bad values exit 2 naming the flag, a GPU that cannot be had
// is refused with the reason and the fix, and a bf16 run trains and evaluates like an fp32 one.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasNative, st } from './helpers.js';

const root = new URL('../..', import.meta.url).pathname;
const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/strata.js'), ...args], { encoding: 'utf8', timeout: 120000 });
const haveData = existsSync(st.data.FASHION_MNIST_DEFAULT_ROOT);
const tiny = ['train', '--model', 'cnn', '--subset', '128', '--eval-subset', '64', '--threads', '1', '--quiet', '--batch-size', '32', '--epochs', '1'];

describe('strata --device and --precision', () => {
  it('refuses values that are not devices or precisions, naming the flag (exit 2)', () => {
    const d = cli('train', '--device', 'gpu');
    assert.equal(d.status, 2, d.stderr);
    assert.match(d.stderr, /--device: expected cpu, cuda, cuda:N or auto, got 'gpu'/);
    const p = cli('eval', '--checkpoint', 'x', '--precision', 'fp8');
    assert.equal(p.status, 2, p.stderr);
    assert.match(p.stderr, /--precision/);
    const j = cli('train', '--backend', 'js', '--device', 'cuda');
    assert.equal(j.status, 2, j.stderr);
    assert.match(j.stderr, /js backend has the CPU only/);
  });

  it('without CUDA, --device cuda says why and how to get a CUDA build; info says so too', { skip: st.cuda.isAvailable() && 'a GPU is present' }, () => {
    const r = cli(...tiny, '--device', 'cuda', '--out', mkdtempSync(join(tmpdir(), 'strata-dev-')));
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /CUDA is not available/);
    if (hasNative()) assert.match(r.stderr, /LIBTORCH=.*npm run build:native/);
    const i = cli('info');
    assert.equal(i.status, 0);
    assert.match(i.stdout, /^cuda: none \(/m);
  });

  it('--device auto falls back to the CPU, and --precision bf16 trains and evaluates (native)', { skip: (!haveData && 'Fashion-MNIST not installed') || (!hasNative() && 'needs the native backend') }, () => {
    const out = mkdtempSync(join(tmpdir(), 'strata-bf16-'));
    const r = cli(...tiny, '--device', 'auto', '--precision', 'bf16', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    const log = JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')[0]) as { train_loss: number; test_accuracy: number };
    assert.ok(Number.isFinite(log.train_loss) && log.train_loss > 0);
    assert.ok(log.test_accuracy >= 0 && log.test_accuracy <= 1);
    const e = cli('predict', '--checkpoint', out, '--index', '0', '--precision', 'bf16', '--threads', '1');
    assert.equal(e.status, 0, e.stderr);
  });
});
