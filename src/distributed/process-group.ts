// Process groups over PyTorch's c10d (TCPStore + ProcessGroupGloo in the native addon): initialisation from
// torchrun's environment variables or a tcp:// address, and asynchronous collectives with a Work handle.
import { createSocket } from 'node:dgram';
import type { Backend } from '../backends/backend.js';
import { addonError, loadAddon } from '../backends/native/load.js';
import { backendByName } from '../backends/registry.js';
import { wrap } from '../ops/util.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';

export type DistBackend = 'gloo' | 'nccl';
export type ReduceOp = 'sum' | 'avg' | 'product' | 'min' | 'max';
const REDUCE_CODE: Record<Exclude<ReduceOp, 'avg'>, number> = { sum: 0, product: 2, min: 3, max: 4 };

export interface InitOptions {
  /** 'gloo' (CPU tensors) or 'nccl' (CUDA tensors, when the addon was built with NCCL). Default 'gloo'. */
  backend?: DistBackend;
  /** 'env://' (default: MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE) or 'tcp://HOST:PORT'. */
  initMethod?: string;
  /** This process's rank (default: $RANK). */
  rank?: number;
  /** Number of processes (default: $WORLD_SIZE). */
  worldSize?: number;
  /** How long rendezvous and every collective may take before failing (default 60 000 ms, or $STRATA_DIST_TIMEOUT_MS). */
  timeoutMs?: number;
}

type Native = Record<string, (...args: any[]) => any>;

interface Group {
  store: number;
  pg: number;
  rank: number;
  worldSize: number;
  backend: DistBackend;
  masterAddr: string;
  masterPort: number;
  timeoutMs: number;
}

let group: Group | null = null;
const works = new Map<number, Work>();

function addon(op: string): Native {
  const a = loadAddon() as Native | null;
  if (!a) throw new StrataError(op, `distributed training needs the native addon (libtorch's c10d): ${addonError()}; build it with npm run build:native`);
  if (typeof a.distStoreCreate !== 'function') throw new StrataError(op, 'the native addon was built without distributed support; rebuild it (npm run build:native)');
  return a;
}

function native(): Backend {
  return backendByName('native');
}

/** The group, or an error telling the caller to initialise it. */
function current(op: string): Group {
  if (!group) throw new StrataError(op, 'the default process group is not initialised; call st.distributed.initProcessGroup() first (or run under strata launch)');
  return group;
}

/**
 * A collective in flight (torch.distributed's Work): its result is valid once `wait()` resolves.
 * The collective runs on c10d's threads; waiting does not block Node's event loop.
 */
export class Work {
  private done = false;
  private error: string | null = null;
  private waiters: [() => void, (e: Error) => void][] = [];
  /** @internal */
  constructor(readonly id: number, readonly op: string, private readonly outputs: Tensor[] = []) {}

  /** @internal Called when the addon reports completion. */
  _settle(error: string | null): void {
    if (this.done) return;
    this.done = true;
    this.error = error;
    works.delete(this.id);
    const ws = this.waiters;
    this.waiters = [];
    for (const [res, rej] of ws) error === null ? res() : rej(this.failure());
  }

  private failure(): StrataError {
    return collectiveError(this.op, this.error ?? 'unknown error');
  }

  /** True once the collective finished (successfully or not). */
  isCompleted(): boolean {
    return this.done;
  }

  /** Resolves when the collective finished; rejects with a StrataError naming the failure. */
  wait(): Promise<void> {
    if (this.done) return this.error === null ? Promise.resolve() : Promise.reject(this.failure());
    return new Promise((res, rej) => this.waiters.push([res, rej]));
  }

  /** Blocks this thread until the collective finished (DDP's end of backward, as PyTorch's reducer does). */
  waitSync(): void {
    if (!this.done) {
      const err = addon('wait').distWaitSync(this.id) as string | null | undefined;
      if (err !== undefined) this._settle(err);
    }
    if (this.error !== null) throw this.failure();
  }

  /** The result tensors of allGather / reduceScatter (valid after wait). */
  get result(): Tensor[] {
    return this.outputs;
  }
}

function onComplete(id: number, error: string | null): void {
  works.get(id)?._settle(error);
}

/**
 * A rank that stops answering is named: each rank's addon publishes a heartbeat in the store; when a
 * collective fails, the ranks whose heartbeat stopped are the ones that died.
 */
function collectiveError(op: string, detail: string): StrataError {
  const g = group;
  const what = detail.split('\n')[0];
  if (!g) return new StrataError(op, what);
  let dead: number[] = [];
  try {
    dead = addon(op).distDeadRanks(g.pg, 2500) as number[];
  } catch {
    // the store itself is unreachable: it lives in rank 0's process
    dead = g.rank === 0 ? [] : [0];
  }
  const who = dead.length
    ? `rank${dead.length > 1 ? 's' : ''} ${dead.join(', ')} stopped responding (process exited or was killed)`
    : 'a peer failed or timed out';
  return new StrataError(op, `${who}; this is rank ${g.rank} of ${g.worldSize}, timeout ${g.timeoutMs} ms (gloo: ${what})`);
}

function envInt(name: string, op: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new StrataError(op, `environment variable ${name}=${v} is not a non-negative integer`);
  return n;
}

/** The local address this machine uses to reach `host` (the interface gloo should bind). */
function localAddressFor(host: string, port: number): Promise<string> {
  if (host === 'localhost' || host.startsWith('127.')) return Promise.resolve('127.0.0.1');
  return new Promise((resolve) => {
    const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    s.on('error', () => { s.close(); resolve(''); });
    s.connect(port, host, () => {
      const a = s.address().address;
      s.close();
      resolve(a);
    });
  });
}

/**
 * Joins the default process group (torch.distributed.init_process_group): a TCPStore at MASTER_ADDR:
 * MASTER_PORT served by rank 0, and a c10d ProcessGroupGloo over it. Every rank must call it.
 * A torch.distributed process can be a member of the same group (same store layout, same engine).
 * @example
 * await st.distributed.initProcessGroup({ backend: 'gloo' });   // under strata launch / torchrun
 * const t = st.tensor([rank]); await st.distributed.allReduce(t).wait();
 */
export async function initProcessGroup(opts: InitOptions = {}): Promise<void> {
  const op = 'initProcessGroup';
  if (group) throw new StrataError(op, 'the default process group is already initialised; call destroyProcessGroup() first');
  const A = addon(op);
  const backend = opts.backend ?? 'gloo';
  if (backend !== 'gloo' && backend !== 'nccl') throw new StrataError(op, `unknown backend '${backend}' (expected 'gloo' or 'nccl')`);
  const initMethod = opts.initMethod ?? 'env://';
  let host: string, port: number;
  if (initMethod === 'env://') {
    host = process.env.MASTER_ADDR ?? '';
    const p = envInt('MASTER_PORT', op);
    if (!host || p === undefined) throw new StrataError(op, "init method env:// needs MASTER_ADDR and MASTER_PORT (strata launch and torchrun set them); or pass initMethod: 'tcp://HOST:PORT'");
    port = p;
  } else {
    const m = /^tcp:\/\/\[?([^\]]+?)\]?:(\d+)$/.exec(initMethod);
    if (!m) throw new StrataError(op, `unsupported initMethod '${initMethod}' (expected 'env://' or 'tcp://HOST:PORT')`);
    [host, port] = [m[1], Number(m[2])];
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new StrataError(op, `master port ${port} is not a TCP port (1-65535)`);
  const rank = opts.rank ?? envInt('RANK', op);
  const worldSize = opts.worldSize ?? envInt('WORLD_SIZE', op);
  if (rank === undefined || worldSize === undefined) throw new StrataError(op, 'rank and worldSize are needed: pass them, or set RANK and WORLD_SIZE (strata launch and torchrun do)');
  if (!Number.isInteger(worldSize) || worldSize < 1) throw new StrataError(op, `worldSize must be a positive integer, got ${worldSize}`);
  if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) throw new StrataError(op, `rank ${rank} is outside 0..${worldSize - 1} (worldSize ${worldSize})`);
  const timeoutMs = opts.timeoutMs ?? envInt('STRATA_DIST_TIMEOUT_MS', op) ?? 60000;
  A.distSetCallback(onComplete);
  let store: number;
  try {
    store = await A.distStoreCreate(host, port, rank === 0, worldSize, timeoutMs);
  } catch (e) {
    const msg = (e as Error).message;
    if (rank === 0 && /address already in use|EADDRINUSE|bind/i.test(msg)) {
      throw new StrataError(op, `port ${port} on ${host} is already in use, so rank 0 cannot serve the TCPStore there; pick a free MASTER_PORT (--master-port) or stop the process holding it (${msg.split('\n')[0]})`);
    }
    if (/timeout|timed out/i.test(msg)) {
      throw new StrataError(op, rank === 0
        ? `rank 0 waited ${timeoutMs} ms at ${host}:${port} for all ${worldSize} ranks to connect; some never started, or were started with another MASTER_ADDR/MASTER_PORT (${msg.split('\n')[0]})`
        : `rank ${rank} could not reach the TCPStore of rank 0 at ${host}:${port} within ${timeoutMs} ms; check MASTER_ADDR/MASTER_PORT and that rank 0 runs (${msg.split('\n')[0]})`);
    }
    throw new StrataError(op, `TCPStore at ${host}:${port}: ${msg.split('\n')[0]}`);
  }
  // every rank must agree on the world size: rank 0's is the reference
  try {
    if (rank === 0) A.distStoreSet(store, 'strata/world_size', String(worldSize));
    const ref = Number(A.distStoreGet(store, 'strata/world_size', timeoutMs));
    if (ref !== worldSize) {
      A.distStoreSet(store, `strata/bad_world_size/${rank}`, String(worldSize));
      throw new StrataError(op, `world size mismatch: rank ${rank} was started with WORLD_SIZE=${worldSize}, rank 0 with ${ref}; start every rank with the same --nproc-per-node/--nnodes`);
    }
  } catch (e) {
    A.distStoreDestroy(store);
    if (e instanceof StrataError) throw e;
    throw new StrataError(op, `rendezvous at ${host}:${port} failed: ${(e as Error).message.split('\n')[0]}`);
  }
  const deviceHost = await localAddressFor(host, port);
  let pg: number;
  try {
    pg = await A.distGroupCreate(store, backend, rank, worldSize, timeoutMs, deviceHost);
  } catch (e) {
    A.distStoreDestroy(store);
    throw new StrataError(op, `creating the ${backend} process group (rank ${rank} of ${worldSize}, store ${host}:${port}) failed: ${(e as Error).message.split('\n')[0]}`);
  }
  group = { store, pg, rank, worldSize, backend, masterAddr: host, masterPort: port, timeoutMs };
}

/** True once initProcessGroup succeeded (and destroyProcessGroup was not called). */
export function isInitialized(): boolean {
  return group !== null;
}

/** This process's rank in the default group (0 when no group is initialised, as a single process). */
export function getRank(): number {
  return group?.rank ?? 0;
}

/** Processes in the default group (1 when no group is initialised). */
export function getWorldSize(): number {
  return group?.worldSize ?? 1;
}

/** The default group's backend name. */
export function getBackendName(): DistBackend {
  return current('getBackend').backend;
}

/** Leaves the default group (waits for collectives still queued on it). */
export function destroyProcessGroup(): void {
  const g = group;
  if (!g) return;
  group = null;
  const A = addon('destroyProcessGroup');
  A.distGroupDestroy(g.pg);
  A.distStoreDestroy(g.store);
}

function checkTensor(op: string, t: Tensor): void {
  if (!(t instanceof Tensor)) throw new StrataError(op, 'expected a Tensor');
  t.checkAlive(op);
  if (t.backend.name !== 'native') {
    throw new StrataError(op, `collectives run on the native backend's tensors (c10d), got a ${t.backend.name} tensor of shape ${fmtShape(t.shape)}; move it with .to('native')`);
  }
}

function track(w: Work): Work {
  works.set(w.id, w);
  return w;
}

function opCode(op: string, reduce: ReduceOp): [number, number] {
  const g = current(op);
  if (reduce === 'avg') return [0, 1 / g.worldSize];
  const c = REDUCE_CODE[reduce];
  if (c === undefined) throw new StrataError(op, `unknown reduce op '${reduce}' (expected sum, avg, product, min or max)`);
  return [c, 1];
}

/**
 * Reduces `t` across all ranks, in place (every rank receives the result).
 * @example
 * await st.distributed.allReduce(loss, 'avg').wait();
 */
export function allReduce(t: Tensor, op: ReduceOp = 'sum'): Work {
  const name = 'allReduce';
  checkTensor(name, t);
  const g = current(name);
  const [code, scale] = opCode(name, op);
  return track(new Work(addon(name).distAllReduce(g.pg, [t.handle], code, scale) as number, name));
}

/**
 * Reduces several tensors across ranks as one flat buffer (a DDP bucket), in place: one collective for all.
 * @internal used by DistributedDataParallel
 */
export function allReduceCoalesced(ts: readonly Tensor[], op: ReduceOp = 'sum'): Work {
  const name = 'allReduce';
  for (const t of ts) checkTensor(name, t);
  const g = current(name);
  const [code, scale] = opCode(name, op);
  return track(new Work(addon(name).distAllReduce(g.pg, ts.map((t) => t.handle), code, scale) as number, name));
}

/** Copies rank `src`'s `t` into `t` on every rank, in place. */
export function broadcast(t: Tensor, src = 0): Work {
  const name = 'broadcast';
  checkTensor(name, t);
  const g = current(name);
  if (!Number.isInteger(src) || src < 0 || src >= g.worldSize) throw new StrataError(name, `src rank ${src} is outside 0..${g.worldSize - 1}`);
  return track(new Work(addon(name).distBroadcast(g.pg, t.handle, src) as number, name));
}

/** Gathers every rank's `t` (same shape on all): `work.result[r]` is rank r's, after `wait()`. */
export function allGather(t: Tensor): Work {
  const name = 'allGather';
  checkTensor(name, t);
  const g = current(name);
  const [id, ...slots] = addon(name).distAllGather(g.pg, t.handle) as number[];
  const b = native();
  return track(new Work(id, name, slots.map((s) => wrap(b, s, t.shape, t.dtype))));
}

/**
 * Reduces `inputs[r]` across ranks and gives rank r the result (torch.distributed.reduce_scatter):
 * `work.result[0]`, after `wait()`.
 */
export function reduceScatter(inputs: readonly Tensor[], op: ReduceOp = 'sum'): Work {
  const name = 'reduceScatter';
  const g = current(name);
  if (inputs.length !== g.worldSize) throw new StrataError(name, `expected one input per rank (${g.worldSize}), got ${inputs.length}`);
  for (const t of inputs) checkTensor(name, t);
  const [code, scale] = opCode(name, op);
  const [id, slot] = addon(name).distReduceScatter(g.pg, inputs.map((t) => t.handle), code, scale) as number[];
  const me = inputs[g.rank];
  return track(new Work(id, name, [wrap(native(), slot, me.shape, me.dtype)]));
}

/** Waits until every rank reached this point. */
export function barrier(): Work {
  const name = 'barrier';
  const g = current(name);
  return track(new Work(addon(name).distBarrier(g.pg) as number, name));
}

/** @internal The store, for small agreements at start (DDP's model check). */
export function storeOf(op: string): { set(k: string, v: string): void; get(k: string): string } {
  const g = current(op);
  const A = addon(op);
  return {
    set: (k, v) => A.distStoreSet(g.store, k, v),
    get: (k) => A.distStoreGet(g.store, k, g.timeoutMs) as string,
  };
}
