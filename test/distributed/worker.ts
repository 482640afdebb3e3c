// One rank of the distributed tests: `node worker.js MODE OUT.json` with torchrun's variables set.
// It writes what the test compares (reduced values, trained parameters) to OUT.json.
import { writeFileSync } from 'node:fs';
import * as st from '../../src/index.js';

const [mode, out] = process.argv.slice(2);
const D = st.distributed;

function save(v: unknown): void {
  writeFileSync(out, JSON.stringify(v));
}

async function collectives(): Promise<void> {
  const rank = D.getRank(), world = D.getWorldSize();
  const a = st.tensor([rank + 1, 10 * (rank + 1)]);
  await D.allReduce(a, 'sum').wait();
  const m = st.tensor([rank + 1]);
  await D.allReduce(m, 'max').wait();
  const av = st.tensor([rank + 1], { dtype: 'float64' });
  await D.allReduce(av, 'avg').wait();
  const b = rank === 1 ? st.tensor([7, 8, 9]) : st.zeros([3]);
  await D.broadcast(b, 1).wait();
  const g = D.allGather(st.tensor([[rank, rank * 2]]));
  await g.wait();
  const rs = D.reduceScatter(Array.from({ length: world }, (_, r) => st.tensor([r * 100 + rank, 1])));
  await rs.wait();
  await D.barrier().wait();
  save({ rank, world, sum: a.tolist(), max: m.tolist(), avg: av.tolist(), bcast: b.tolist(), gather: g.result.map((t) => t.toArray()), rs: rs.result[0].tolist() });
}

async function main(): Promise<void> {
  await D.initProcessGroup({ backend: 'gloo', timeoutMs: Number(process.env.STRATA_TEST_TIMEOUT_MS ?? 20000) });
  if (mode === 'collectives') await collectives();
  D.destroyProcessGroup();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
