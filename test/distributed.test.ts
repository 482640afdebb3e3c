// st.distributed on c10d: collectives between strata ranks and with a torch.distributed rank, DDP against
// one process with the whole batch, SyncBatchNorm, faults (a killed rank, mismatched models, a port in use),
// the launcher with restarts, and two "machines" in network namespaces.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as st from '../src/index.js';
import { main as runWorker } from './distributed/worker.js';
import { run as cli } from '../src/cli/main.js';

const here = dirname(fileURLToPath(import.meta.url));
const WORKER = join(here, 'distributed', 'worker.js');
const ROOT = join(here, '..', '..');
const STRATA = join(ROOT, 'bin', 'strata.js');
const TORCH_RANK = join(ROOT, 'test', 'distributed', 'torch_rank.py');
const native = st.backendByName('native').name === 'native' && spawnSync(process.execPath, ['-e', '0']).status === 0;
const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch.distributed as d; assert d.is_available()'], { timeout: 60000 }).status === 0;
const isRoot = process.getuid?.() === 0;

const children = new Set<ChildProcess>();
let tmp = '';
before(() => { tmp = mkdtempSync(join(tmpdir(), 'strata-dist-')); });
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

interface Exit { code: number | null; signal: string | null; stderr: string; ms: number }

/** Runs a process with a hard timeout (killed past it); every child is killed in after() too. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 90000): Promise<Exit> {
  return new Promise((res) => {
    const t0 = Date.now();
    const c = spawn(cmd, args, { env: { ...process.env, STRATA_THREADS: '1', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(c);
    let stderr = '';
    c.stderr!.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(c);
      res({ code, signal, stderr, ms: Date.now() - t0 });
    });
  });
}

/** Two strata ranks running the worker's modes; returns each rank's results. */
async function twoRanks(modes: string, extra: NodeJS.ProcessEnv = {}): Promise<{ exits: Exit[]; out: any[] }> {
  const port = await freePort();
  const out = join(tmp, `${modes.replace(/,/g, '_')}-%r.json`);
  const exits = await Promise.all([0, 1].map((r) => run(process.execPath, [WORKER, modes, out],
    { MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), RANK: String(r), WORLD_SIZE: '2', ...extra })));
  const read = (r: number) => { try { return JSON.parse(readFileSync(out.replace('%r', String(r)), 'utf8')); } catch { return null; } };
  return { exits, out: [read(0), read(1)] };
}

/** max |a − b| / max |b| over each tensor of a state dict (relative to the tensor's scale). */
function maxRelDiff(a: Record<string, number[]>, b: Record<string, number[]>): number {
  let worst = 0;
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
  for (const k of Object.keys(b)) {
    const scale = Math.max(1e-12, ...b[k].map(Math.abs));
    for (let i = 0; i < b[k].length; i++) worst = Math.max(worst, Math.abs(a[k][i] - b[k][i]) / scale);
  }
  return worst;
}

describe('DistributedSampler', () => {
  test('disjoint shards padded by wrapping around, as PyTorch pads them (hand-computed)', () => {
    // n = 10, 3 replicas: total 12 = [0..9, 0, 1]; rank r takes every third from r
    const shards = [0, 1, 2].map((r) => Array.from(new st.data.DistributedSampler(10, { numReplicas: 3, rank: r, shuffle: false }).indices()));
    assert.deepEqual(shards, [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]);
    const dropped = [0, 1, 2].map((r) => Array.from(new st.data.DistributedSampler(10, { numReplicas: 3, rank: r, shuffle: false, dropLast: true }).indices()));
    assert.deepEqual(dropped, [[0, 3, 6], [1, 4, 7], [2, 5, 8]]);
  });
  test('shuffled: a partition of the data each epoch, the same seed on every rank, a new order per epoch', () => {
    const s = [0, 1].map((r) => new st.data.DistributedSampler(9, { numReplicas: 2, rank: r, seed: 4 }));
    const epoch = (e: number) => s.map((x) => { x.setEpoch(e); return Array.from(x.indices()); });
    const [a, b] = epoch(0);
    assert.equal(a.length, 5);
    assert.equal(b.length, 5);
    assert.equal(new Set([...a, ...b]).size, 9);  // 10 places: every index once, one repeated as padding
    assert.notDeepEqual(epoch(1), [a, b]);
    const loader = new st.data.DataLoader(new st.data.TensorDataset({ x: st.arange(9) }), { batchSize: 5, sampler: s[0] });
    assert.equal(loader.length, 1);
    assert.throws(() => new st.data.DataLoader(new st.data.TensorDataset({ x: st.arange(9) }), { sampler: s[0], shuffle: true }), /mutually exclusive/);
  });
});

describe('distributed (2 ranks on c10d gloo)', { skip: !native && 'needs the native addon' }, () => {
  test('collectives, DDP (MLP; CNN with SyncBatchNorm) against one process with the whole batch, unused parameters, noSync, a model mismatch', async () => {
    const { exits, out } = await twoRanks('collectives,ddp-mlp,ddp-cnn,partial,mismatch');
    for (const e of exits) assert.equal(e.code, 0, e.stderr);
    const [r0, r1] = out;
    // hand-computed: ranks hold [r+1, 10(r+1)] …
    for (const r of [r0, r1]) {
      assert.deepEqual(r.result.sum, [3, 30]);
      assert.deepEqual(r.result.max, [2]);
      assert.deepEqual(r.result.avg, [1.5]);
      assert.deepEqual(r.result.bcast, [7, 8, 9]);
      assert.deepEqual(r.result.gather, [[[0, 0]], [[1, 2]]]);
    }
    assert.deepEqual(r0.result.rs, [1, 2]);
    assert.deepEqual(r1.result.rs, [201, 2]);
    // DDP with 2 × batch 4 = one process with batch 8 over the same samples, after 5 SGD-momentum steps
    const single = { ...(await runWorker(['single-mlp'])), ...(await runWorker(['single-cnn'])) } as any;
    for (const kind of ['mlp', 'cnn']) {
      assert.ok(maxRelDiff(r0[kind].params, single[kind].params) < 1e-5, `${kind}: rank 0 vs one process ${maxRelDiff(r0[kind].params, single[kind].params)}`);
      assert.deepEqual(r1[kind].params, r0[kind].params);
    }
    // a parameter used by rank 0 only, one by no rank, gradient accumulation under noSync: ranks agree, no hang
    assert.deepEqual(r1.partial.params, r0.partial.params);
    assert.equal(r0.partial.neverGrad, true);
    assert.match(r0.mismatch, /parameter 'weight' has shape \[3,4\] on rank 0 but \[5,4\] on rank 1/);
    assert.match(r1.mismatch, /parameter 'weight' has shape \[5,4\] on rank 1 but \[3,4\] on rank 0/);
  });

  test('interoperability: a strata rank and a torch.distributed rank in one group agree', { skip: !hasTorch && 'needs python3-torch' }, async () => {
    const port = await freePort();
    const env = { MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), WORLD_SIZE: '2', GLOO_SOCKET_IFNAME: 'lo' };
    const outS = join(tmp, 'interop-%r.json'), outT = join(tmp, 'interop-torch.json');
    const [s, t] = await Promise.all([
      run(process.execPath, [WORKER, 'collectives', outS], { ...env, RANK: '0' }),
      run('/usr/bin/python3', [TORCH_RANK, outT], { ...env, RANK: '1' }),
    ]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(t.code, 0, t.stderr);
    const a = JSON.parse(readFileSync(outS.replace('%r', '0'), 'utf8')).result, b = JSON.parse(readFileSync(outT, 'utf8'));
    for (const k of ['sum', 'max', 'avg', 'bcast', 'gather']) assert.deepEqual(a[k], b[k], k);
    assert.deepEqual(a.sum, [3, 30]);
    assert.deepEqual(b.rs, [201, 2]);
  });

  test('a killed rank: the other stops with an error naming it, well within the timeout', async () => {
    const { exits } = await twoRanks('die', { STRATA_TEST_TIMEOUT_MS: '30000' });
    assert.equal(exits[1].signal, 'SIGKILL');
    assert.equal(exits[0].code, 1);
    assert.match(exits[0].stderr, /rank 1 stopped responding/);
    assert.ok(exits[0].ms < 30000, `rank 0 took ${exits[0].ms} ms`);
  });

  test("bad rendezvous: a port in use, a world size that differs from rank 0's", async () => {
    const busy = createServer();
    await new Promise<void>((res) => busy.listen(0, '127.0.0.1', () => res()));
    const port = (busy.address() as { port: number }).port;
    try {
      const e = await run(process.execPath, [WORKER, 'collectives', join(tmp, 'busy.json')], { MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), RANK: '0', WORLD_SIZE: '1' });
      assert.equal(e.code, 1);
      assert.match(e.stderr, new RegExp(`port ${port} on 127.0.0.1 is already in use`));
    } finally {
      busy.close();
    }
    const p2 = await freePort();
    const env = { MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(p2), STRATA_TEST_TIMEOUT_MS: '4000' };
    const [a, b] = await Promise.all([
      run(process.execPath, [WORKER, 'collectives', join(tmp, 'ws0.json')], { ...env, RANK: '0', WORLD_SIZE: '2' }),
      run(process.execPath, [WORKER, 'collectives', join(tmp, 'ws1.json')], { ...env, RANK: '1', WORLD_SIZE: '3' }),
    ]);
    assert.equal(b.code, 1);
    assert.match(b.stderr, /world size mismatch: rank 1 was started with WORLD_SIZE=3, rank 0 with 2/);
    assert.equal(a.code, 1);
  });

  test('strata launch: a worker killed mid-epoch is named, --max-restarts 1 resumes from the checkpoint and matches one process', async () => {
    const logs = join(tmp, 'launch');
    const out = join(tmp, 'resume-%r.json');
    const e = await run(process.execPath, [STRATA, 'launch', '--nproc-per-node', '2', '--max-restarts', '1', '--log-dir', logs, '--', 'node', WORKER, 'resume', out],
      { STRATA_TEST_CKPT: join(tmp, 'ckpt.json') });
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stderr, /worker rank 1 \(local rank 1, pid \d+\) was killed by SIGKILL/);
    assert.match(e.stderr, /attempt 2\/2/);
    const single = (await runWorker(['single-plain'])) as any;
    const r0 = JSON.parse(readFileSync(out.replace('%r', '0'), 'utf8'));
    assert.ok(maxRelDiff(r0.mlp.params, single.mlp.params) < 1e-5);
    assert.match(readFileSync(join(logs, 'rank1.log'), 'utf8'), /restart 1/);
  });

  test('launch without restarts: the failed worker is named and its exit code returned', async () => {
    const lines: string[] = [];
    const r = await st.distributed.launch({
      command: [process.execPath, '-e', 'process.exit(process.env.RANK === "1" ? 3 : 0)'], nprocPerNode: 2, logDir: join(tmp, 'launch2'),
      echo: null, log: (l) => lines.push(l),
    });
    assert.equal(r.exitCode, 3);
    assert.equal(r.failures[0].rank, 1);
    assert.match(lines.join('\n'), /worker rank 1 \(local rank 1, pid \d+\) exited with code 3/);
  });

  test('strata launch: bad command lines exit with code 2', async () => {
    const write = process.stderr.write;
    for (const args of [['--nnodes', '2'], ['--nproc-per-node', '0', '--', 'true'], ['--nproc-per-node', '2'], ['--nproc-per-node', '1', '--nnodes', '2', '--node-rank', '2', '--', 'true'], ['--bogus']]) {
      let err = '';
      process.stderr.write = ((c: string) => { err += c; return true; }) as typeof process.stderr.write;
      let code: number;
      try {
        code = await cli(['launch', ...args]);
      } finally {
        process.stderr.write = write;
      }
      assert.equal(code, 2, `${args.join(' ')}: ${err}`);
      assert.match(err, /strata launch: /);
    }
  });

  test('two machines: network namespaces joined by a veth pair, strata launch --nnodes 2 on each', { skip: !isRoot && 'needs root for ip netns (CI runs as root)' }, async (t) => {
    const id = `st${process.pid % 100000}`;
    const ns = [`${id}a`, `${id}b`];
    const ip = (...a: string[]) => spawnSync('ip', a, { encoding: 'utf8', timeout: 20000 });
    const setup = [
      ['netns', 'add', ns[0]], ['netns', 'add', ns[1]],
      ['link', 'add', `${id}x`, 'type', 'veth', 'peer', 'name', `${id}y`],
      ['link', 'set', `${id}x`, 'netns', ns[0]], ['link', 'set', `${id}y`, 'netns', ns[1]],
      ['-n', ns[0], 'addr', 'add', '10.213.0.1/24', 'dev', `${id}x`], ['-n', ns[1], 'addr', 'add', '10.213.0.2/24', 'dev', `${id}y`],
      ['-n', ns[0], 'link', 'set', `${id}x`, 'up'], ['-n', ns[1], 'link', 'set', `${id}y`, 'up'],
      ['-n', ns[0], 'link', 'set', 'lo', 'up'], ['-n', ns[1], 'link', 'set', 'lo', 'up'],
    ];
    try {
      for (const a of setup) {
        const r = ip(...a);
        if (r.status !== 0) {
          t.skip(`ip ${a.join(' ')} is not permitted here: ${r.stderr.trim()}`);
          return;
        }
      }
      const out = join(tmp, 'netns-%r.json');
      const node = (k: number) => run('ip', ['netns', 'exec', ns[k], process.execPath, STRATA, 'launch', '--nproc-per-node', '1', '--nnodes', '2', '--node-rank', String(k),
        '--master-addr', '10.213.0.1', '--master-port', '29533', '--log-dir', join(tmp, `netns${k}`), '--', 'node', WORKER, 'plain', out], {});
      const [a, b] = await Promise.all([node(0), node(1)]);
      assert.equal(a.code, 0, a.stderr + readFileSync(join(tmp, 'netns0', 'rank0.log'), 'utf8'));
      assert.equal(b.code, 0, b.stderr + readFileSync(join(tmp, 'netns1', 'rank1.log'), 'utf8'));
      const single = (await runWorker(['single-plain'])) as any;
      const r0 = JSON.parse(readFileSync(out.replace('%r', '0'), 'utf8')), r1 = JSON.parse(readFileSync(out.replace('%r', '1'), 'utf8'));
      assert.ok(maxRelDiff(r0.mlp.params, single.mlp.params) < 1e-5);
      assert.deepEqual(r1.mlp.params, r0.mlp.params);
    } finally {
      ip('netns', 'del', ns[0]);
      ip('netns', 'del', ns[1]);
    }
  });
});
