#!/usr/bin/env python3
# PyTorch side of `npm run bench`: the same workloads as bench/workloads.ts, printed as JSON lines.
# usage: torch_workloads.py --threads N [--only name,name]
import argparse, json, statistics, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--threads', type=int, required=True)
p.add_argument('--only', default='')
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)
only = set(filter(None, args.only.split(',')))


def measure(name, fn, warmup, reps):
    if only and name not in only:
        return
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    print(json.dumps({'workload': name, 'seconds': statistics.median(times), 'reps': reps}), flush=True)


for n, reps in ((512, 20), (2048, 5)):
    a, b = torch.randn(n, n), torch.randn(n, n)
    measure(f'sgemm-{n}', lambda: torch.mm(a, b), 3, reps)


def train_step(model, x, y):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return step


cnn = nn.Sequential(
    nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10))
x, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
measure('cnn-train-step', train_step(cnn, x, y), 5, 30)

mlp = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
measure('mlp-train-step', train_step(mlp, x.reshape(64, 784), y), 10, 100)

u, v = torch.ones(64, 64), torch.ones(64, 64)


def adds():
    for _ in range(1000):
        u + v
measure('add-64x64-x1000', adds, 5, 30)
