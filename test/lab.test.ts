// The structure lab: the run store (WAL, several processes, damaged stores, import), the Pareto front and
// aggregation (hand-checked), the reports, strata runs, and a small strata compare end to end with resume.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as st from '../src/index.js';
import type { EpochLog, Trainer } from '../src/train/trainer.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-lab-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ROOT = new URL('../..', import.meta.url).pathname;
const CLI = join(ROOT, 'bin/strata.js');
const cli = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, cwd: dir });
const epoch = (e: number, acc: number) => ({ epoch: e, train_loss: 1 / e, train_accuracy: acc - 0.01, test_accuracy: acc, lr: 1e-3, epoch_seconds: 1 }) as EpochLog;

describe('run store', () => {
  test('records a run, its epochs and final metrics; lists, filters, shows and removes', () => {
    const s = st.lab.RunStore.open(join(dir, 'a.db'));
    const id = s.startRun({ kind: 'train', config: { model: 'mlp', dataset: 'fashion-mnist', lr: 0.01 }, runDir: join(dir, 'r1') });
    s.logEpoch(id, epoch(1, 0.5));
    s.logEpoch(id, epoch(2, 0.75));
    s.finishRun(id, { test_accuracy: 0.75, bad: NaN });
    const id2 = s.startRun({ kind: 'train', config: { model: 'cnn', dataset: 'mnist' } });
    const r = s.get(id)!;
    assert.equal(r.status, 'finished');
    assert.equal(r.name, 'mlp-fashion-mnist');
    assert.deepEqual(r.epochs.map((e) => e.test_accuracy), [0.5, 0.75]);
    assert.deepEqual(r.final, { test_accuracy: 0.75 }); // NaN is not stored
    assert.deepEqual(s.list().map((x) => x.id), [id2, id]);
    assert.deepEqual(s.list({ model: 'cnn' }).map((x) => x.id), [id2]);
    assert.deepEqual(s.list({ lr: '0.01' }).map((x) => x.id), [id]);
    assert.deepEqual(s.epochs(id, 1).map((e) => e.epoch), [2]);
    assert.equal(s.remove(id2), true);
    assert.equal(s.remove(id2), false);
    assert.equal((s as unknown as { db: { pragma(q: string, o: object): unknown } }).db.pragma('journal_mode', { simple: true }), 'wal');
    s.close();
  });

  test('several processes record into one store at once (WAL) and lose nothing', async () => {
    const path = join(dir, 'multi.db');
    st.lab.RunStore.open(path).close();
    const script = `import('${join(ROOT, 'dist/src/index.js')}').then((st) => { const s = st.lab.RunStore.open(process.argv[1]);
      const id = s.startRun({ kind: 'train', config: { model: 'p' + process.argv[2] } });
      for (let e = 1; e <= 25; e++) s.logEpoch(id, { epoch: e, test_accuracy: e / 100 });
      s.finishRun(id, { test_accuracy: 0.25 }); s.close(); })`;
    const codes = await Promise.all([0, 1, 2, 3].map((i) => new Promise<number | null>((res) => spawn(process.execPath, ['-e', script, path, String(i)], { stdio: 'inherit' }).on('close', res))));
    assert.deepEqual(codes, [0, 0, 0, 0]);
    const s = st.lab.RunStore.open(path);
    const runs = s.list();
    assert.equal(runs.length, 4);
    for (const r of runs) assert.equal(s.get(r.id)!.epochs.length, 25);
    s.close();
  });

  test('a damaged store gives a clear error; the training run is kept and import re-adds it', () => {
    const bad = join(dir, 'bad.db');
    writeFileSync(bad, 'this is not a database, it is a text file with enough bytes to be read as a header'.repeat(20));
    assert.throws(() => st.lab.RunStore.open(bad), (e: Error) => e instanceof st.StrataError && /bad\.db is not a readable run store .*strata runs import/.test(e.message));
    // recording into it warns and never throws into the training loop
    const warnings: string[] = [];
    const cb = st.lab.recordRun({ kind: 'train', config: { model: 'mlp' }, store: bad, runDir: join(dir, 'kept'), warn: (m) => warnings.push(m) });
    const t = {} as Trainer;
    cb.onTrainBegin!(t);
    cb.onEpochEnd!(t, epoch(1, 0.6));
    cb.onTrainEnd!(t, [epoch(1, 0.6)]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /run not recorded .*not a readable run store.*strata runs import .*kept/);
    // the run folder is the source of truth
    const run = join(dir, 'kept');
    spawnSync('mkdir', ['-p', run]);
    writeFileSync(join(run, 'config.json'), JSON.stringify({ model: 'mlp', dataset: 'mnist', lr: 0.1 }));
    writeFileSync(join(run, 'metrics.jsonl'), [epoch(1, 0.6), epoch(2, 0.7)].map((e) => JSON.stringify(e)).join('\n') + '\n{"epoch": 3, "train_lo');
    const good = st.lab.RunStore.open(join(dir, 'good.db'));
    const id = good.importRun(run);
    const again = good.importRun(run); // re-importing replaces, never duplicates
    assert.equal(good.list().length, 1);
    const r = good.get(again)!;
    assert.notEqual(id, again);
    assert.deepEqual(r.epochs.map((e) => e.test_accuracy), [0.6, 0.7]); // the torn last line is skipped
    assert.equal(r.final.test_accuracy, 0.7);
    good.close();
  });

  test('recordRun records begin, epochs and end with train time and peak memory', () => {
    const path = join(dir, 'rec.db');
    const cb = st.lab.recordRun({ kind: 'train', config: { model: 'cnn', dataset: 'mnist' }, store: path, runDir: join(dir, 'r') });
    const t = {} as Trainer;
    cb.onTrainBegin!(t);
    const s = st.lab.RunStore.open(path);
    assert.equal(s.list()[0].status, 'running'); // visible while it trains
    cb.onEpochEnd!(t, epoch(1, 0.8));
    assert.equal(s.get(s.list()[0].id)!.epochs.length, 1);
    cb.onTrainEnd!(t, [epoch(1, 0.8)]);
    const r = s.list()[0];
    assert.equal(r.status, 'finished');
    assert.equal(r.final.test_accuracy, 0.8);
    assert.ok(r.final.peak_rss_bytes > 10e6 && r.final.train_seconds >= 0);
    s.close();
  });
});

describe('pareto and aggregation', () => {
  test('the Pareto front keeps exactly the non-dominated points (hand-checked)', () => {
    // (accuracy, cost): b dominates d (more accurate, cheaper); c ties a on accuracy at a higher cost
    const pts = [{ n: 'a', acc: 0.9, cost: 10 }, { n: 'b', acc: 0.8, cost: 2 }, { n: 'c', acc: 0.9, cost: 20 }, { n: 'd', acc: 0.7, cost: 5 }, { n: 'e', acc: 0.95, cost: 100 }];
    assert.deepEqual(st.lab.paretoFront(pts, (p) => p.acc, (p) => p.cost).map((p) => p.n), ['a', 'b', 'e']);
  });

  test('aggregate: mean and sample std over seeds, curves averaged, Pareto axes marked', () => {
    const run = (model: string, seed: number, acc: number) => ({ model, seed, dir: '', epochs: 2, testAccuracy: acc, testMacroF1: acc - 0.1, trainSeconds: 10, peakMemoryBytes: 1000 + seed, curve: [{ epoch: 1, testAccuracy: acc - 0.1, trainLoss: 1 }, { epoch: 2, testAccuracy: acc, trainLoss: 0.5 }] });
    const cost = (macs: number, params: number, latencyMs: number) => ({ macs, params, latencyMs, weightBytes: 4 * params, activationBytesPerSample: 0, throughput: 1, device: 'x' });
    const { models, pareto } = st.lab.aggregate([run('big', 0, 0.9), run('big', 1, 0.8), run('small', 0, 0.8), run('small', 1, 0.8)], { big: cost(100, 10, 5), small: cost(10, 20, 1) });
    const big = models.find((m) => m.model === 'big')!;
    assert.ok(Math.abs(big.accuracyMean - 0.85) < 1e-12);
    assert.ok(Math.abs(big.accuracyStd - Math.sqrt(0.005)) < 1e-12); // sample std of 0.9, 0.8: sqrt(((0.05)²·2)/1)
    assert.deepEqual(big.curve.map((c) => +c.testAccuracy.toFixed(6)), [0.75, 0.85]);
    assert.equal(big.peakMemoryBytes, 1001);
    // small is cheaper in macs and latency but less accurate: both are on those fronts; on params small costs more and is less accurate
    assert.deepEqual(pareto, { macs: ['big', 'small'], params: ['big'], latencyMs: ['big', 'small'] });
    assert.deepEqual(models.find((m) => m.model === 'small')!.pareto, ['macs', 'latencyMs']);
  });
});

describe('strata compare and strata runs', { skip: !existsSync(st.data.FASHION_MNIST_DEFAULT_ROOT) && 'Fashion-MNIST not installed' }, () => {
  test('compare trains each structure, records costs, writes the reports, and resumes without retraining', { timeout: 180_000 }, async () => {
    const out = join(dir, 'cmp');
    const store = join(dir, 'cmp.db');
    const args = ['compare', '--models', 'mlp,lenet5', '--epochs', '1', '--subset', '256', '--seeds', '1', '--jobs', '2', '--out', out, '--store', store];
    const r = cli(args);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Pareto-optimal on macs: /);
    const res = st.lab.readResults(out);
    const mlp = res.models.find((m) => m.model === 'mlp')!;
    // MLP 784-256-128-10: weights 784·256 + 256·128 + 128·10, biases 256 + 128 + 10
    assert.equal(mlp.macs, 784 * 256 + 256 * 128 + 128 * 10);
    assert.equal(mlp.params, 784 * 256 + 256 * 128 + 128 * 10 + 256 + 128 + 10);
    assert.equal(mlp.weightBytes, 4 * mlp.params);
    assert.ok(mlp.latencyMs > 0 && mlp.throughput > 0, `latency ${mlp.latencyMs} ms, throughput ${mlp.throughput}/s`);
    assert.ok(mlp.peakMemoryBytes! > 10e6, `peak memory ${mlp.peakMemoryBytes} (from the run store)`);
    assert.ok(mlp.accuracyMean > 0.1 && mlp.accuracyMean <= 1);
    for (const f of ['results.json', 'results.csv', 'report.md', 'report.html', 'pareto-macs.svg', 'curves.svg']) assert.ok(existsSync(join(out, f)), f);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.match(html, /<svg[^>]*class="marks"/); // rendered by vega
    assert.ok(!/<script|src="http/.test(html)); // self-contained, no script or external file
    const csv = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n');
    assert.equal(csv.length, 3);
    assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /accuracy vs multiply-adds per sample: \*\*/);
    // the store has both runs, grouped under the compare, with the costs
    const s = st.lab.RunStore.open(store);
    const rows = s.list();
    assert.equal(rows.length, 2);
    assert.ok(rows.every((x) => x.group === out && x.status === 'finished' && typeof x.final.macs === 'number'));
    s.close();
    // resume: nothing is retrained (the run folders are untouched) and --report re-renders
    const before = statSync(join(out, 'runs/mlp-s0/metrics.jsonl')).mtimeMs;
    const again = cli(args);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /resuming .*2 of 2 runs already finished/);
    assert.equal(statSync(join(out, 'runs/mlp-s0/metrics.jsonl')).mtimeMs, before);
    rmSync(join(out, 'report.html'));
    assert.equal(cli(['compare', '--report', out]).status, 0);
    assert.ok(existsSync(join(out, 'report.html')));
    // strata runs over the same store
    const ls = cli(['runs', 'ls', '--store', store, '--filter', 'model=lenet5']);
    assert.equal(ls.status, 0, ls.stderr);
    assert.equal(ls.stdout.trim().split('\n').length, 2);
    const ids = rows.map((x) => String(x.id));
    const cmp = cli(['runs', 'compare', ...ids, '--store', store]);
    assert.equal(cmp.status, 0, cmp.stderr);
    assert.match(cmp.stdout, /^model\s+"lenet5"\s+"mlp"|^model\s+"mlp"\s+"lenet5"/m);
    assert.match(cli(['runs', 'show', ids[0], '--store', store]).stdout, /epoch +1 /);
  });

  test('bad input: unknown model, no budget, missing run, damaged store', () => {
    const bad = cli(['compare', '--models', 'nosuch', '--epochs', '1', '--out', join(dir, 'x')]);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /nosuch/);
    const nob = cli(['compare', '--models', 'mlp', '--out', join(dir, 'x')]);
    assert.match(nob.stderr, /exactly one of --epochs N or --minutes M/);
    assert.equal(nob.status, 2); // a bad command line
    const badId = cli(['runs', 'show', 'abc', '--store', join(dir, 'a.db')]);
    assert.equal(badId.status, 2);
    assert.match(badId.stderr, /'abc' is not a run id/);
    assert.match(cli(['runs', 'show', '999', '--store', join(dir, 'a.db')]).stderr, /no run 999/);
    assert.match(cli(['runs', 'ls', '--store', join(dir, 'bad.db')]).stderr, /not a readable run store/);
    assert.match(cli(['compare', '--report', join(dir, 'nothing')]).stderr, /results\.json does not exist/);
  });
});
