// The launcher (torchrun's role): starts one process per local rank with torchrun's environment
// variables, logs each rank to its own file, stops the group when a worker fails, restarts it on request.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { StrataError } from '../tensor/errors.js';

export interface LaunchOptions {
  /** The command and its arguments, run once per local rank. */
  command: string[];
  /** Processes on this node. */
  nprocPerNode: number;
  /** Nodes (default 1). */
  nnodes?: number;
  /** This node's index (default 0). */
  nodeRank?: number;
  /** Address of node 0, where rank 0 serves the TCPStore (default 127.0.0.1). */
  masterAddr?: string;
  /** Its port (default: a free port when nnodes is 1, else 29500 as torchrun's). */
  masterPort?: number;
  /** Times the whole group is restarted after a worker fails (default 0). */
  maxRestarts?: number;
  /** Folder for the per-rank logs rank<R>.log (created). */
  logDir: string;
  /** Threads per worker ($OMP_NUM_THREADS / $STRATA_THREADS; default 1 when several workers share the node, as torchrun). */
  threadsPerProc?: number;
  /** Where rank 0's output is echoed (default process.stdout / stderr); the other ranks go to their files only. */
  echo?: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } | null;
  /** Grace between SIGTERM and SIGKILL when stopping the group (default 5000 ms). */
  killGraceMs?: number;
  /** Extra environment for the workers. */
  env?: NodeJS.ProcessEnv;
  /** Told about each attempt and failure (default: lines on stderr). */
  log?: (line: string) => void;
}

export interface WorkerFailure {
  rank: number;
  localRank: number;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  logFile: string;
}

export interface LaunchResult {
  /** 0 when every worker of the last attempt exited 0. */
  exitCode: number;
  /** Attempts made (1 + restarts used). */
  attempts: number;
  /** The first failure of each failed attempt. */
  failures: WorkerFailure[];
}

/** A free TCP port on host (bind port 0, read it, close). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function describe(f: WorkerFailure): string {
  const how = f.signal ? `was killed by ${f.signal}` : `exited with code ${f.code}`;
  return `worker rank ${f.rank} (local rank ${f.localRank}, pid ${f.pid}) ${how}; its log: ${f.logFile}`;
}

function tail(file: string, lines = 8): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => `    ${l}`).join('\n');
  } catch {
    return '';
  }
}

/**
 * Runs `command` as nprocPerNode workers of a group of nnodes × nprocPerNode ranks, with RANK,
 * LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT, GROUP_RANK and
 * TORCHELASTIC_RESTART_COUNT set as torchrun sets them. When a worker fails, the others are stopped
 * (SIGTERM, then SIGKILL) and the failure is named; with maxRestarts, the group starts again
 * (the workers resume from their last checkpoint, by reading TORCHELASTIC_RESTART_COUNT or their files).
 * @example
 * const r = await st.distributed.launch({ command: ['node', 'train.js'], nprocPerNode: 2, logDir: 'runs/ddp' });
 */
export async function launch(o: LaunchOptions): Promise<LaunchResult> {
  const op = 'launch';
  const nnodes = o.nnodes ?? 1, nodeRank = o.nodeRank ?? 0, maxRestarts = o.maxRestarts ?? 0;
  const int = (v: number, name: string, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new StrataError(op, `${name} must be an integer ≥ ${min}, got ${v}`);
  };
  int(o.nprocPerNode, 'nprocPerNode', 1);
  int(nnodes, 'nnodes', 1);
  int(maxRestarts, 'maxRestarts', 0);
  if (!Number.isInteger(nodeRank) || nodeRank < 0 || nodeRank >= nnodes) throw new StrataError(op, `nodeRank ${nodeRank} is outside 0..${nnodes - 1}`);
  if (!o.command.length) throw new StrataError(op, 'no command to launch (give it after --)');
  const masterAddr = o.masterAddr ?? '127.0.0.1';
  if (o.masterPort !== undefined && (!Number.isInteger(o.masterPort) || o.masterPort < 1 || o.masterPort > 65535)) {
    throw new StrataError(op, `master port ${o.masterPort} is not a TCP port (1-65535)`);
  }
  const log = o.log ?? ((l: string) => process.stderr.write(`strata launch: ${l}\n`));
  const echo = o.echo === undefined ? { stdout: process.stdout, stderr: process.stderr } : o.echo;
  const world = nnodes * o.nprocPerNode;
  const threads = o.threadsPerProc ?? (o.nprocPerNode > 1 ? 1 : undefined);
  mkdirSync(o.logDir, { recursive: true });
  const failures: WorkerFailure[] = [];
  for (let attempt = 0; ; attempt++) {
    const port = o.masterPort ?? (nnodes === 1 ? await freePort(masterAddr === 'localhost' ? '127.0.0.1' : masterAddr) : 29500);
    log(`attempt ${attempt + 1}/${maxRestarts + 1}: ${o.nprocPerNode} worker(s) on node ${nodeRank} of ${nnodes}, world size ${world}, master ${masterAddr}:${port}, logs in ${o.logDir}`);
    const failure = await runOnce(o, { attempt, port, masterAddr, world, nodeRank, threads, echo });
    if (!failure) return { exitCode: 0, attempts: attempt + 1, failures };
    failures.push(failure);
    log(describe(failure));
    const t = tail(failure.logFile);
    if (t.trim()) log(`last lines of rank ${failure.rank}'s log:\n${t}`);
    if (attempt >= maxRestarts) {
      log(maxRestarts > 0 ? `giving up after ${attempt + 1} attempts (--max-restarts ${maxRestarts})` : 'stopping (no --max-restarts)');
      return { exitCode: failure.code && failure.code > 0 ? failure.code : 1, attempts: attempt + 1, failures };
    }
    log(`restarting the group (${attempt + 1} of ${maxRestarts} restarts); workers resume from their last checkpoint`);
  }
}

interface Attempt {
  attempt: number;
  port: number;
  masterAddr: string;
  world: number;
  nodeRank: number;
  threads: number | undefined;
  echo: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } | null;
}

function runOnce(o: LaunchOptions, a: Attempt): Promise<WorkerFailure | null> {
  return new Promise((resolve) => {
    const kids: { child: ChildProcess; rank: number; localRank: number; file: string; stream: WriteStream; exited: boolean }[] = [];
    let failure: WorkerFailure | null = null;
    let left = o.nprocPerNode;
    let killTimer: NodeJS.Timeout | null = null;
    const stopAll = () => {
      for (const k of kids) if (!k.exited) k.child.kill('SIGTERM');
      killTimer = setTimeout(() => { for (const k of kids) if (!k.exited) k.child.kill('SIGKILL'); }, o.killGraceMs ?? 5000);
    };
    const onSignal = (sig: NodeJS.Signals) => {
      for (const k of kids) if (!k.exited) k.child.kill(sig);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    for (let lr = 0; lr < o.nprocPerNode; lr++) {
      const rank = a.nodeRank * o.nprocPerNode + lr;
      const file = join(o.logDir, `rank${rank}.log`);
      const stream = createWriteStream(file, { flags: a.attempt === 0 ? 'w' : 'a' });
      if (a.attempt > 0) stream.write(`---- restart ${a.attempt} ----\n`);
      const env: NodeJS.ProcessEnv = {
        ...process.env, ...o.env,
        RANK: String(rank), LOCAL_RANK: String(lr), WORLD_SIZE: String(a.world), LOCAL_WORLD_SIZE: String(o.nprocPerNode),
        GROUP_RANK: String(a.nodeRank), MASTER_ADDR: a.masterAddr, MASTER_PORT: String(a.port),
        TORCHELASTIC_RESTART_COUNT: String(a.attempt), TORCHELASTIC_MAX_RESTARTS: String(o.maxRestarts ?? 0),
      };
      if (a.threads !== undefined) {
        env.OMP_NUM_THREADS ??= String(a.threads);
        env.STRATA_THREADS ??= String(a.threads);
      }
      const child = spawn(o.command[0], o.command.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const k = { child, rank, localRank: lr, file, stream, exited: false };
      kids.push(k);
      child.stdout!.pipe(stream, { end: false });
      child.stderr!.pipe(stream, { end: false });
      if (rank === 0 && a.echo) {
        child.stdout!.pipe(a.echo.stdout, { end: false });
        child.stderr!.pipe(a.echo.stderr, { end: false });
      }
      child.on('error', (e) => {
        stream.write(`strata launch: cannot start ${o.command[0]}: ${e.message}\n`);
      });
      child.on('close', (code, signal) => {
        k.exited = true;
        stream.end();
        left--;
        if ((code !== 0 || signal) && !failure) {
          failure = { rank, localRank: lr, pid: child.pid ?? -1, code, signal, logFile: file };
          stopAll();
        }
        if (left === 0) {
          if (killTimer) clearTimeout(killTimer);
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          resolve(failure);
        }
      });
    }
  });
}
