// strata train's run folder under bad conditions: a diverged run, a bad --out, damaged or stale resume
// files, resuming the original plan, time-limited runs that resume, load errors that name the file.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { st } from './helpers.js';
import { run } from '../src/cli/main.js';

const root = new URL('../..', import.meta.url).pathname;
const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/strata.js'), ...args], { encoding: 'utf8' });
const haveData = existsSync(st.data.FASHION_MNIST_DEFAULT_ROOT);
const tmp = (name: string) => mkdtempSync(join(tmpdir(), `strata-${name}-`));
// a tiny MLP run: 200 training images, 100 test images, 1 thread
const tiny = ['train', '--model', 'mlp', '--subset', '200', '--eval-subset', '100', '--threads', '1', '--quiet', '--batch-size', '50'];
/** `strata ARGV` in this process (for the refusals, which stop before any data is read): exit code and stderr. */
async function inProcess(...argv: string[]): Promise<{ status: number; stderr: string }> {
  let stderr = '';
  const saved = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = ((c: string) => ((stderr += c), true)) as typeof process.stderr.write;
  try {
    return { status: await run(argv), stderr };
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
  }
}
const epochsOf = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { epoch: number }).epoch);

describe('strata train run folders', { skip: !haveData && 'Fashion-MNIST not installed' }, () => {
  it('a diverged run stops before saving and says so', () => {
    const out = tmp('nan');
    const r = cli(...tiny, '--epochs', '2', '--lr', '1e39', '--out', out);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^strata train: the loss is NaN at epoch 1.*stopped before saving: no epoch had completed/m);
    for (const f of ['model.safetensors', 'train-state.safetensors', 'best.safetensors']) assert.ok(!existsSync(join(out, f)), `${f} was written`);
  });

  it('--out at a file, under a file, or where no folder can be made: exit 2 naming the path', async () => {
    const dir = tmp('out');
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    for (const [out, msg] of [[file, /is a file, not a folder/], [join(file, 'run'), /is a file, not a folder/]] as const) {
      const r = await inProcess(...tiny, '--out', out);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, msg);
      assert.equal(r.stderr.split('\n').length, 2, r.stderr);
    }
    if (existsSync('/proc/self')) {
      const r = spawnSync(process.execPath, [join(root, 'bin/strata.js'), ...tiny, '--out', '/proc/strata-run'], { encoding: 'utf8', timeout: 60000 });
      assert.equal(r.status, 2, `/proc: ${r.stderr} ${r.signal ?? ''}`);
      assert.match(r.stderr, /--out \/proc\/strata-run: cannot create the folder/);
    }
  });

  it('resume continues the original plan; --epochs extends it; damaged or stale files are named', async () => {
    const out = tmp('plan');
    assert.equal(cli(...tiny, '--epochs', '2', '--out', out).status, 0);
    // nothing left to do: no fallback to 5 epochs, config.json keeps the plan
    const again = await inProcess('train', '--out', out, '--resume', '--threads', '1', '--quiet');
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /has done all 2 epochs of its plan; nothing to resume/);
    assert.deepEqual(epochsOf(out), [1, 2]);
    assert.equal((JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { epochs: number }).epochs, 2);
    // a temporary file a killed run left behind is removed on resume
    const stale = join(out, '.model.safetensors.2147483646.0123456789ab.tmp');
    writeFileSync(stale, 'partial');
    const more = cli('train', '--out', out, '--resume', '--epochs', '3', '--threads', '1');
    assert.equal(more.status, 0, more.stderr);
    assert.deepEqual(epochsOf(out), [1, 2, 3]);
    assert.ok(!existsSync(stale), 'stale temporary file removed');
    assert.match(more.stderr, /removed 1 temporary file/);
    assert.match((await inProcess('train', '--out', out, '--resume', '--epochs', '2', '--threads', '1')).stderr, /--epochs 2 is fewer than the 3 epochs/);

    // damaged metadata: each names the file and the entry, exit 1, no stack trace
    const state = join(out, 'train-state.safetensors');
    const { tensors, metadata } = st.io.loadSafetensors(state);
    const cases: [string, Record<string, string | undefined>, RegExp][] = [
      ['config-missing', { config: undefined }, /'config' metadata is missing/],
      ['optimizer-bad', { optimizer: '{not json' }, /'optimizer' metadata is not valid JSON/],
      ['history-missing', { history: undefined }, /'history' metadata is missing/],
      ['epoch-abc', { epoch: 'abc' }, /'epoch' metadata is "abc", not a whole number/],
    ];
    for (const [name, change, msg] of cases) {
      const dir = join(out, name);
      mkdirSync(dir);
      const meta = { ...metadata, ...change };
      for (const k of Object.keys(meta)) if (meta[k] === undefined) delete meta[k];
      st.io.saveSafetensors(join(dir, 'train-state.safetensors'), tensors, meta as Record<string, string>);
      const r = await inProcess('train', '--out', dir, '--resume', '--threads', '1', '--quiet');
      assert.equal(r.status, 1, `${name}: ${r.stderr}`);
      assert.match(r.stderr, msg, name);
      assert.ok(r.stderr.includes(join(dir, 'train-state.safetensors')), `${name} names the file: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, `${name}: no stack trace`);
    }
    for (const t of Object.values(tensors)) t.dispose();

    // a model file whose weights do not fit its model: the error names the file
    const bad = join(out, 'bad-model');
    mkdirSync(bad);
    copyFileSync(join(out, 'model.safetensors'), join(bad, 'model.safetensors'));
    const m = st.io.loadSafetensors(join(bad, 'model.safetensors'));
    const cfg = JSON.parse(m.metadata.config) as { task: { numClasses: number } };
    cfg.task.numClasses = 7;
    st.io.saveSafetensors(join(bad, 'model.safetensors'), m.tensors, { ...m.metadata, config: JSON.stringify(cfg) });
    const ev = await inProcess('eval', '--checkpoint', bad, '--threads', '1');
    assert.equal(ev.status, 1, ev.stderr);
    assert.ok(ev.stderr.includes(join(bad, 'model.safetensors')), ev.stderr);
  });

  it('a --minutes run writes a resume point; --resume finishes the cut epoch within a longer budget', async () => {
    const out = tmp('minutes');
    // 1 batch of 10 images fits in 0.0001 minutes (6 ms) only just: the epoch is cut after its first batch
    const r = cli(...tiny, '--batch-size', '10', '--epochs', '1', '--minutes', '0.0001', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(out, 'train-state.safetensors')), readdirSync(out).join(', '));
    const first = JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim()) as { partial?: number };
    assert.ok(first.partial !== undefined && first.partial < 20, `cut after ${first.partial} of 20 batches`);
    assert.match((await inProcess('train', '--out', out, '--resume', '--threads', '1')).stderr, /has used its 0.0001-minute budget; give a larger --minutes/);
    const res = cli('train', '--out', out, '--resume', '--minutes', '5', '--threads', '1');
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stderr, new RegExp(`resuming .* in epoch 1 at batch ${first.partial}`));
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { epoch: number; partial?: number });
    assert.deepEqual(lines.map((l) => [l.epoch, l.partial]), [[1, undefined]]);
  });
});
