#!/usr/bin/env python3
# PyTorch side of `npm run bench`: the same workloads as bench/workloads.ts, printed as JSON lines.
# usage: torch_workloads.py --threads N [--only name,name]
from peer_workloads import setup

import torch
import torch.nn as nn
import torch.nn.functional as F

measure = setup()

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
