// strata launch: torchrun's role — N workers per node with RANK/WORLD_SIZE/MASTER_ADDR/... set, per-rank logs, restarts.
import { parseArgs } from 'node:util';
import * as st from '../index.js';

export const LAUNCH_USAGE = `usage: strata launch --nproc-per-node N [--nnodes M --node-rank R --master-addr A --master-port P]
                     [--max-restarts K] [--log-dir DIR] [--threads T] -- COMMAND [ARGS...]

Runs COMMAND as N workers (ranks nodeRank*N … nodeRank*N+N-1 of a group of M*N), with torchrun's
environment variables (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT,
TORCHELASTIC_RESTART_COUNT). Rank 0's output is shown; every rank logs to DIR/rank<R>.log. When a worker
fails, the others are stopped and the failed rank is named; --max-restarts K restarts the group up to K times.
A 'strata' COMMAND runs this strata's CLI (e.g. -- strata train ...).

options:
  --nproc-per-node N    workers on this node (required)
  --nnodes M            nodes (default 1)
  --node-rank R         this node's index, 0..M-1 (default 0)
  --master-addr A       address of node 0, where rank 0 serves the store (default 127.0.0.1)
  --master-port P       its port (default: a free port on one node, 29500 on several)
  --max-restarts K      restarts of the whole group after a failure (default 0)
  --log-dir DIR         per-rank logs (default runs/launch-<time>)
  --threads T           threads per worker (default 1 when N > 1, as torchrun's OMP_NUM_THREADS)
`;

/** Exit codes: the workers' (0 when all succeeded), 2 for a bad command line. */
export async function cmdLaunch(argv: string[]): Promise<number> {
  const dash = argv.indexOf('--');
  const own = dash >= 0 ? argv.slice(0, dash) : argv;
  let command = dash >= 0 ? argv.slice(dash + 1) : [];
  let v: Record<string, string | boolean | undefined>;
  try {
    v = parseArgs({
      args: own, allowPositionals: false, strict: true,
      options: {
        'nproc-per-node': { type: 'string' }, nnodes: { type: 'string' }, 'node-rank': { type: 'string' },
        'master-addr': { type: 'string' }, 'master-port': { type: 'string' }, 'max-restarts': { type: 'string' },
        'log-dir': { type: 'string' }, threads: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    return usageError((e as Error).message);
  }
  if (v.help) {
    process.stdout.write(LAUNCH_USAGE);
    return 0;
  }
  const int = (k: string, min: number): number | undefined => {
    const s = v[k];
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${k} needs an integer ≥ ${min}, got '${s}'`);
    return n;
  };
  let nproc: number | undefined, nnodes: number, nodeRank: number, port: number | undefined, restarts: number, threads: number | undefined;
  try {
    nproc = int('nproc-per-node', 1);
    nnodes = int('nnodes', 1) ?? 1;
    nodeRank = int('node-rank', 0) ?? 0;
    port = int('master-port', 1);
    restarts = int('max-restarts', 0) ?? 0;
    threads = int('threads', 1);
  } catch (e) {
    return usageError((e as Error).message);
  }
  if (nproc === undefined) return usageError('--nproc-per-node is required');
  if (nodeRank >= nnodes) return usageError(`--node-rank ${nodeRank} must be below --nnodes ${nnodes}`);
  if (port !== undefined && port > 65535) return usageError(`--master-port ${port} is not a TCP port (1-65535)`);
  if (nnodes > 1 && v['master-addr'] === undefined) return usageError('--nnodes > 1 needs --master-addr (the address of node 0, reachable from every node)');
  if (!command.length) return usageError('no command to launch: give it after --, e.g. strata launch --nproc-per-node 2 -- node train.js');
  // 'strata' runs this CLI with this node binary (workers need not find strata on PATH)
  if (command[0] === 'strata') command = [process.execPath, process.argv[1], ...command.slice(1)];
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const r = await st.distributed.launch({
    command, nprocPerNode: nproc, nnodes, nodeRank, masterAddr: v['master-addr'] as string | undefined, masterPort: port,
    maxRestarts: restarts, logDir: (v['log-dir'] as string | undefined) ?? `runs/launch-${stamp}`, threadsPerProc: threads,
  });
  return r.exitCode;
}

function usageError(msg: string): number {
  process.stderr.write(`strata launch: ${msg}\n${LAUNCH_USAGE}`);
  return 2;
}
