# One torch.distributed rank of the interoperability test: the same collectives as worker.ts's
# 'collectives' mode, in the same order, so that a strata rank and this one form one c10d group.
import json, sys
from datetime import timedelta
import torch
import torch.distributed as dist

out = sys.argv[1]
dist.init_process_group('gloo', init_method='env://', timeout=timedelta(seconds=20))
rank, world = dist.get_rank(), dist.get_world_size()
a = torch.tensor([rank + 1.0, 10.0 * (rank + 1)])
dist.all_reduce(a)
m = torch.tensor([rank + 1.0])
dist.all_reduce(m, op=dist.ReduceOp.MAX)
av = torch.tensor([rank + 1.0], dtype=torch.float64)
dist.all_reduce(av)
av /= world  # gloo has no AVG; strata's 'avg' is a sum scaled by 1/world as well
b = torch.tensor([7.0, 8.0, 9.0]) if rank == 1 else torch.zeros(3)
dist.broadcast(b, 1)
g = [torch.zeros(1, 2) for _ in range(world)]
dist.all_gather(g, torch.tensor([[float(rank), rank * 2.0]]))
# gloo has no reduce_scatter in 1.13: strata's is an all-reduce of the concatenated inputs
flat = torch.cat([torch.tensor([r * 100.0 + rank, 1.0]) for r in range(world)])
dist.all_reduce(flat)
rs = flat.view(world, 2)[rank]
dist.barrier()
json.dump({'rank': rank, 'world': world, 'sum': a.tolist(), 'max': m.tolist(), 'avg': av.tolist(), 'bcast': b.tolist(),
           'gather': [t.tolist() for t in g], 'rs': rs.tolist()}, open(out, 'w'))
dist.destroy_process_group()
