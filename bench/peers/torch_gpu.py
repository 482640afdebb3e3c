#!/usr/bin/env python3
# PyTorch peer of bench/gpu.ts: the same training steps on CUDA (same models, optimizers, batch sizes,
# precision via torch.autocast), timed per step with torch.cuda.synchronize. Prints JSON lines.
# usage: torch_gpu.py [--only a,b] [--precision fp32,bf16] [--reps 20] [--warmup 5]
import argparse, json, math, statistics, time
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

p = argparse.ArgumentParser()
p.add_argument('--only', default='')
p.add_argument('--precision', default='fp32,bf16')
p.add_argument('--reps', type=int, default=20)
p.add_argument('--warmup', type=int, default=5)
p.add_argument('--device', default='cuda')
args = p.parse_args()
only = set(filter(None, args.only.split(',')))
dev = torch.device(args.device)
sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)
torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self, D, H, T):
        super().__init__()
        self.D, self.H = D, H
        self.ln1, self.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.qkv, self.proj = nn.Linear(D, 3 * D), nn.Linear(D, D)
        self.fc1, self.fc2 = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)
        self.register_buffer('mask', torch.ones(T, T, dtype=torch.bool).tril().logical_not())

    def forward(self, x):
        b, t, D = x.shape
        H = self.H
        q, k, v = self.qkv(self.ln1(x)).split(D, dim=2)
        q, k, v = [z.view(b, t, H, D // H).transpose(1, 2) for z in (q, k, v)]
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(D // H))
        att = att.masked_fill(self.mask[:t, :t], float('-inf')).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, D)
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class GPT(nn.Module):
    def __init__(self, L, H, D, T, V):
        super().__init__()
        self.tok, self.pos = nn.Embedding(V, D), nn.Parameter(torch.randn(T, D) * 0.02)
        self.blocks = nn.ModuleList([Block(D, H, T) for _ in range(L)])
        self.ln = nn.LayerNorm(D)

    def forward(self, idx):
        x = self.tok(idx) + self.pos[: idx.shape[1]]
        for b in self.blocks:
            x = b(x)
        return F.linear(self.ln(x), self.tok.weight)


def classifier(model, x, y, opt):
    model = model.to(dev)
    o = torch.optim.Adam(model.parameters(), lr=1e-3) if opt == 'adam' else torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return model, o, lambda: F.cross_entropy(model(x), y)


def gpt(L, H, D, T, B):
    V = 65
    model = GPT(L, H, D, T, V).to(dev)
    x, y = torch.randint(0, V, (B, T), device=dev), torch.randint(0, V, (B, T), device=dev)
    return model, torch.optim.AdamW(model.parameters(), lr=1e-3), lambda: F.cross_entropy(model(x).view(-1, V), y.view(-1))


def cnn():
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10))


workloads = [
    ('cnn-train-step', lambda: classifier(cnn(), torch.randn(64, 1, 28, 28, device=dev), torch.randint(0, 10, (64,), device=dev), 'adam')),
    ('mlp-train-step', lambda: classifier(nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)),
                                          torch.randn(64, 784, device=dev), torch.randint(0, 10, (64,), device=dev), 'adam')),
    ('gpt-char-train-step', lambda: gpt(4, 4, 128, 128, 32)),
    ('gpt-8l-512w-train-step', lambda: gpt(8, 8, 512, 256, 64)),
    ('resnet18-b64-train-step', lambda: classifier(torchvision.models.resnet18(num_classes=1000), torch.randn(64, 3, 224, 224, device=dev), torch.randint(0, 1000, (64,), device=dev), 'sgd')),
    ('resnet50-b64-train-step', lambda: classifier(torchvision.models.resnet50(num_classes=1000), torch.randn(64, 3, 224, 224, device=dev), torch.randint(0, 1000, (64,), device=dev), 'sgd')),
]

for name, make in workloads:
    if only and name not in only:
        continue
    for precision in args.precision.split(','):
        model, opt, loss = make()

        def step():
            opt.zero_grad(set_to_none=True)
            if precision == 'fp32':
                l = loss()
            else:
                with torch.autocast(dev.type, dtype=torch.bfloat16 if precision == 'bf16' else torch.float16):
                    l = loss()
            l.backward()
            opt.step()

        for _ in range(args.warmup):
            step()
        sync()
        if dev.type == 'cuda':
            torch.cuda.reset_peak_memory_stats()
        times = []
        for _ in range(args.reps):
            t = time.perf_counter()
            step()
            sync()
            times.append(time.perf_counter() - t)
        print(json.dumps({'workload': name, 'precision': precision, 'impl': 'pytorch', 'seconds': statistics.median(times),
                          'min': min(times), 'reps': args.reps, 'peakBytes': torch.cuda.max_memory_allocated() if dev.type == 'cuda' else None}), flush=True)
        del model, opt
        if dev.type == 'cuda':
            torch.cuda.empty_cache()
