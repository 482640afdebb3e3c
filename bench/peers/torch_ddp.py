#!/usr/bin/env python3
# PyTorch peer of bench/ddp-worker.ts: the same CNN over the first --samples Fashion-MNIST images with DDP
# under torchrun (or one process), or --allreduce MB timed all-reduces on gloo; prints one JSON line (rank 0).
import argparse, gzip, json, os, statistics, time
import torch, torch.nn as nn, torch.nn.functional as F
import torch.distributed as dist

p = argparse.ArgumentParser()
p.add_argument('--samples', type=int, default=6000)
p.add_argument('--epochs', type=int, default=1)
p.add_argument('--batch-size', type=int, default=128)
p.add_argument('--allreduce', type=float, default=0)
p.add_argument('--data-dir', default='/usr/share/datasets/fashion-mnist')
a = p.parse_args()
ddp = 'WORLD_SIZE' in os.environ
if ddp:
    dist.init_process_group('gloo')
rank, world = (dist.get_rank(), dist.get_world_size()) if ddp else (0, 1)
if a.allreduce:
    t = torch.ones(round(a.allreduce * 1024 * 1024 / 4))
    times = []
    for i in range(6):
        t0 = time.perf_counter(); dist.all_reduce(t)
        if i: times.append((time.perf_counter() - t0) * 1000)
    ms = statistics.median(times)
    if rank == 0: print(json.dumps({'what': 'allreduce', 'mb': a.allreduce, 'ms': ms, 'gbps': a.allreduce / 1024 / (ms / 1000)}))
else:
    def idx(name):
        path = os.path.join(a.data_dir, name + '.gz')
        with (gzip.open(path) if os.path.exists(path) else open(os.path.join(a.data_dir, name), 'rb')) as f:
            raw = f.read()
        nd = raw[3]; shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(nd)]
        return torch.frombuffer(bytearray(raw[4 + 4 * nd:]), dtype=torch.uint8).reshape(shape)
    img = lambda n: ((idx(n).float() / 255 - 0.286) / 0.353).unsqueeze(1)
    xtr, ytr = img('train-images-idx3-ubyte')[:a.samples], idx('train-labels-idx1-ubyte').long()[:a.samples]
    xte, yte = img('t10k-images-idx3-ubyte'), idx('t10k-labels-idx1-ubyte').long()
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))
    model = nn.parallel.DistributedDataParallel(net) if ddp else net
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    ds = torch.utils.data.TensorDataset(xtr, ytr)
    sampler = torch.utils.data.distributed.DistributedSampler(ds, seed=1) if ddp else None
    loader = torch.utils.data.DataLoader(ds, batch_size=a.batch_size // world, sampler=sampler, shuffle=not ddp)
    seconds = 0.0
    for e in range(a.epochs):
        if sampler: sampler.set_epoch(e)
        t0 = time.perf_counter()
        for x, y in loader:
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            opt.step()
        seconds += time.perf_counter() - t0
    net.eval()
    with torch.no_grad():
        part = slice(rank, None, world)
        c = torch.tensor([float((net(xte[part]).argmax(1) == yte[part]).sum()), float(len(yte[part]))])
    if ddp: dist.all_reduce(c)
    if rank == 0: print(json.dumps({'what': 'epoch', 'world': world, 'samples': a.samples, 'epochs': a.epochs, 'seconds': seconds,
                                    'imagesPerSec': a.samples * a.epochs / seconds, 'accuracy': float(c[0] / c[1])}))
if ddp:
    dist.destroy_process_group()
