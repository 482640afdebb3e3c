#!/usr/bin/env python3
# PyTorch peer of `strata train` on Fashion-MNIST: the same model, batch size, optimizer, normalisation
# and epochs, reading the same IDX files; prints one JSON line per epoch.
# usage: torch_fashion.py --model cnn|mlp --epochs N --threads T [--data-dir DIR] [--batch-size 64] [--lr 1e-3]
import argparse, gzip, json, os, time

import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--model', default='cnn')
p.add_argument('--epochs', type=int, default=5)
p.add_argument('--threads', type=int, required=True)
p.add_argument('--data-dir', default='/usr/share/datasets/fashion-mnist')
p.add_argument('--batch-size', type=int, default=64)
p.add_argument('--lr', type=float, default=3e-3)
p.add_argument('--scheduler', default='onecycle', choices=['onecycle', 'none'])
p.add_argument('--seed', type=int, default=0)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)


def idx(name):
    path = os.path.join(a.data_dir, name + '.gz')
    with (gzip.open(path) if os.path.exists(path) else open(os.path.join(a.data_dir, name), 'rb')) as f:
        raw = f.read()
    ndim = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    return torch.frombuffer(bytearray(raw[4 + 4 * ndim:]), dtype=torch.uint8).reshape(shape)


def images(name):
    return ((idx(name).float() / 255 - 0.2860) / 0.3530).unsqueeze(1)


xtr, ytr = images('train-images-idx3-ubyte'), idx('train-labels-idx1-ubyte').long()
xte, yte = images('t10k-images-idx3-ubyte'), idx('t10k-labels-idx1-ubyte').long()

if a.model == 'cnn':
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))
else:
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
opt = torch.optim.Adam(model.parameters(), lr=a.lr)
# strata train's default: OneCycle (per batch) with --lr as the peak
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=a.epochs * ((len(ytr) + a.batch_size - 1) // a.batch_size)) if a.scheduler == 'onecycle' else None
g = torch.Generator().manual_seed(a.seed + 1)
for epoch in range(1, a.epochs + 1):
    t = time.perf_counter()
    model.train()
    perm = torch.randperm(len(ytr), generator=g)
    total, n = 0.0, 0
    for s in range(0, len(ytr), a.batch_size):
        i = perm[s:s + a.batch_size]
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xtr[i]), ytr[i])
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        total += loss.item() * len(i)
        n += len(i)
    train_seconds = time.perf_counter() - t
    model.eval()
    correct, test_loss = 0, 0.0
    with torch.no_grad():
        for s in range(0, len(yte), 500):
            out = model(xte[s:s + 500])
            test_loss += F.cross_entropy(out, yte[s:s + 500], reduction='sum').item()
            correct += (out.argmax(1) == yte[s:s + 500]).sum().item()
    print(json.dumps({'epoch': epoch, 'train_loss': total / n, 'test_loss': test_loss / len(yte), 'test_accuracy': correct / len(yte),
                      'epoch_seconds': time.perf_counter() - t, 'train_seconds': train_seconds}), flush=True)
