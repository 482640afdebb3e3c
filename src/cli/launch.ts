// `strata launch`: torchrun's role — N workers per node with RANK/WORLD_SIZE/MASTER_ADDR/... set, per-rank logs, restarts.
import * as st from '../index.js';
import { flags, UsageError } from './args.js';
import { defineCommand } from './command.js';

const LAUNCH_FLAGS = flags({
  'nproc-per-node': { type: 'int', help: 'workers on this node', min: 1, valueName: 'N' },
  nnodes: { type: 'int', help: 'nodes', min: 1, default: 1, valueName: 'M' },
  'node-rank': { type: 'int', help: "this node's index, 0..M-1", min: 0, default: 0, valueName: 'R' },
  'master-addr': { type: 'string', help: 'address of node 0, where rank 0 serves the store', defaultText: '127.0.0.1', valueName: 'A' },
  'master-port': { type: 'int', help: 'its port', min: 1, max: 65535, defaultText: 'a free port on one node, 29500 on several', valueName: 'P' },
  'max-restarts': { type: 'int', help: 'restarts of the whole group after a worker fails', min: 0, default: 0, valueName: 'K' },
  'log-dir': { type: 'string', help: 'folder of the per-rank logs rank<R>.log', defaultText: 'runs/launch-<time>', valueName: 'DIR' },
  threads: { type: 'int', help: 'threads per worker', min: 1, defaultText: "1 when N > 1, as torchrun's OMP_NUM_THREADS", valueName: 'T' },
});

export const command = defineCommand({
  name: 'launch',
  summary: "run a command as N distributed workers per node (torchrun's role)",
  usage: '--nproc-per-node N [--nnodes M --node-rank R --master-addr A --master-port P] [--max-restarts K] -- COMMAND [ARGS...]',
  description: "Runs COMMAND as N workers (ranks R*N … R*N+N-1 of a group of M*N) with torchrun's environment variables (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT, TORCHELASTIC_RESTART_COUNT). Rank 0's output is shown; every rank logs to DIR/rank<R>.log. When a worker fails, the others are stopped and the failed rank is named; --max-restarts K restarts the group up to K times. A COMMAND 'strata' runs this strata's CLI (-- strata ...).",
  flags: LAUNCH_FLAGS,
  positionals: { name: 'COMMAND [ARGS...] after --', min: 0 },
  async run(a) {
    const cmd = 'launch';
    const nproc = a.get('nproc-per-node');
    if (nproc === undefined) throw new UsageError(cmd, '--nproc-per-node is required');
    const nnodes = a.get('nnodes'), nodeRank = a.get('node-rank');
    if (nodeRank >= nnodes) throw new UsageError(cmd, `--node-rank ${nodeRank} must be below --nnodes ${nnodes}`);
    if (nnodes > 1 && a.get('master-addr') === undefined) throw new UsageError(cmd, '--nnodes > 1 needs --master-addr (the address of node 0, reachable from every node)');
    let command = [...a.positional];
    if (!command.length) throw new UsageError(cmd, 'no command to launch: give it after --, e.g. strata launch --nproc-per-node 2 -- node train.js');
    // 'strata' runs this CLI with this node binary (workers need not find strata on PATH)
    if (command[0] === 'strata') command = [process.execPath, process.argv[1], ...command.slice(1)];
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    const r = await st.distributed.launch({
      command, nprocPerNode: nproc, nnodes, nodeRank, masterAddr: a.get('master-addr'), masterPort: a.get('master-port'),
      maxRestarts: a.get('max-restarts'), logDir: a.get('log-dir') ?? `runs/launch-${stamp}`, threadsPerProc: a.get('threads'),
    });
    return r.exitCode;
  },
});
