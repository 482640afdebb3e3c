// strata prune, quantize and distill end to end on a tiny run: run folders that eval loads, exit code 2 for bad flags.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasNative, st } from './helpers.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin/strata.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
const haveData = existsSync(st.data.FASHION_MNIST_DEFAULT_ROOT);

describe('strata prune / quantize / distill', { skip: !haveData || !hasNative() ? 'needs Fashion-MNIST and the native addon' : false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-compress-cli-'));
  const run = join(dir, 'mlp');
  const acc = (out: string) => Number(/accuracy: ([\d.]+)%/.exec(out)?.[1]);

  it('trains a tiny run to start from', () => {
    const r = cli('train', '--model', 'mlp', '--subset', '300', '--epochs', '1', '--threads', '1', '--quiet', '--out', run);
    assert.equal(r.status, 0, r.stderr);
  });

  it('quantize writes an int8 run that eval scores as quantize reported', () => {
    const r = cli('quantize', '--checkpoint', run, '--mode', 'static', '--calibration-batches', '2', '--out', join(dir, 'int8'), '--json');
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { test_accuracy: number; quantize: { int8Layers: string[]; layout: string }; bytes: number };
    assert.deepEqual(j.quantize.int8Layers, ['layers.0', 'layers.2', 'layers.4']);
    assert.equal(j.quantize.layout, 'program');
    assert.ok(j.bytes * 3.5 < readFileSync(join(run, 'model.safetensors')).length, 'int8 file under 1/3.5 of the float one');
    const e = cli('eval', '--checkpoint', join(dir, 'int8'));
    assert.equal(e.status, 0, e.stderr);
    assert.equal(acc(e.stdout), Number((100 * j.test_accuracy).toFixed(2)));
  });

  it('prune writes a sparse run', () => {
    const r = cli('prune', '--checkpoint', run, '--sparsity', '0.8', '--out', join(dir, 'p80'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /sparsity of Conv2d\/Linear weights: 80\.0%/);
    assert.ok(existsSync(join(dir, 'p80', 'model.safetensors')));
  });

  it('distill trains a student into a normal run folder', () => {
    const r = cli('distill', '--teacher', run, '--model', 'lenet5', '--limit', '128', '--epochs', '1', '--out', join(dir, 'kd'), '--json');
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { test_accuracy: number; student_params: number };
    assert.equal(j.student_params, 61706);
    assert.ok(existsSync(join(dir, 'kd', 'model.safetensors')));
  });

  it('bad flags exit 2 naming the flag', () => {
    const a = cli('prune', '--checkpoint', run, '--sparsity', '1.2', '--out', join(dir, 'x'));
    assert.equal(a.status, 2);
    assert.match(a.stderr, /--sparsity must be/);
    const b = cli('quantize', '--checkpoint', run, '--mode', 'qat', '--out', join(dir, 'x'));
    assert.equal(b.status, 2);
    assert.match(b.stderr, /qat .* not implemented yet/);
    const c = cli('quantize', '--checkpoint', run, '--out', join(dir, 'int8'));
    assert.notEqual(c.status, 0);
    assert.match(c.stderr, /already holds a model/);
  });

  it('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});
