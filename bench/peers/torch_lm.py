#!/usr/bin/env python3
# PyTorch peer of bench/lm.ts: trains the same character GPT (4 pre-norm causal blocks of
# nn.TransformerEncoderLayer, 4 heads, width 128, context 128, batch 32, tied head) from the same initial
# weights, on the same batches (the shared LCG of bench/lm.ts), with Adam and the same time-driven LR
# schedule, for the same number of minutes; then the mean cross-entropy (nats/char) on the fixed
# validation windows. Everything it reads comes from the folder bench/lm.ts writes (meta.json,
# train.u8, val.u8, init.f32). Writes result-pytorch.json there and prints progress lines.
# usage: torch_lm.py --dir DIR --threads N
import argparse, json, math, os, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--dir', required=True)
p.add_argument('--threads', type=int, default=1)
args = p.parse_args()
torch.set_num_threads(args.threads)
meta = json.load(open(os.path.join(args.dir, 'meta.json')))
V, T, B = meta['vocabSize'], meta['contextLength'], meta['batchSize']
D, L, H = meta['dModel'], meta['nLayer'], meta['nHead']
train = torch.from_numpy(np.fromfile(os.path.join(args.dir, 'train.u8'), dtype=np.uint8).astype(np.int64))
val = torch.from_numpy(np.fromfile(os.path.join(args.dir, 'val.u8'), dtype=np.uint8).astype(np.int64)).view(-1, T + 1)


class PosEmb(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(T, D))


class GPT(nn.Module):
    """strata's models.GPT, parameter for parameter (the same state-dict names)."""

    def __init__(self):
        super().__init__()
        self.tokEmb = nn.Embedding(V, D)
        self.posEmb = PosEmb()
        self.blocks = nn.ModuleList([nn.TransformerEncoderLayer(D, H, 4 * D, 0.0, activation='gelu', batch_first=True, norm_first=True) for _ in range(L)])
        self.lnF = nn.LayerNorm(D)
        self.register_buffer('mask', torch.full((T, T), float('-inf')).triu(1), persistent=False)

    def forward(self, idx):
        t = idx.shape[1]
        x = self.tokEmb(idx) + self.posEmb.weight[:t]
        for b in self.blocks:
            x = b(x, src_mask=self.mask[:t, :t])
        return F.linear(self.lnF(x), self.tokEmb.weight)


model = GPT()
flat = torch.from_numpy(np.fromfile(os.path.join(args.dir, 'init.f32'), dtype=np.float32))
state = {e['name']: flat[e['offset']:e['offset'] + math.prod(e['shape'])].view(*e['shape']).clone() for e in meta['params']}
model.load_state_dict(state, strict=True)
opt = torch.optim.Adam(model.parameters(), lr=meta['lr'], betas=tuple(meta['betas']), eps=meta['eps'])


def lr_at(f):
    """The schedule of bench/lm.ts: linear warm-up over the first warmupFrac of the time, then cosine to minLrFrac·lr."""
    w, lo, peak = meta['warmupFrac'], meta['minLrFrac'], meta['lr']
    if f < w:
        return peak * f / w
    q = min(1.0, (f - w) / (1 - w))
    return peak * (lo + (1 - lo) * (1 + math.cos(math.pi * q)) / 2)


class Lcg:
    """The batch-offset generator shared with bench/lm.ts (32-bit LCG, high bits scaled to the range)."""

    def __init__(self, seed):
        self.s = seed & 0xffffffff

    def next(self, n):
        self.s = (self.s * 1664525 + 1013904223) & 0xffffffff
        return math.floor(self.s / 4294967296.0 * n)  # the same double arithmetic as the JS side


rng = Lcg(meta['seed'])
span = len(train) - T - 1
ar = torch.arange(T + 1)


def batch():
    offs = torch.tensor([rng.next(span) for _ in range(B)])
    w = train[offs[:, None] + ar]
    return w[:, :-1], w[:, 1:]


budget = meta['minutes'] * 60
steps, losses, curve = 0, [], []
t0 = time.perf_counter()
c0 = time.process_time()
next_log = 0.0
while True:
    el = time.perf_counter() - t0
    if el >= budget:
        break
    for g in opt.param_groups:
        g['lr'] = lr_at(el / budget)
    x, y = batch()
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x).view(-1, V), y.reshape(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), meta['clip'])
    opt.step()
    steps += 1
    losses.append(loss.item())
    if el >= next_log:
        curve.append({'seconds': round(el, 1), 'step': steps, 'trainLoss': round(sum(losses[-20:]) / len(losses[-20:]), 4)})
        print(json.dumps({'impl': 'pytorch', **curve[-1]}), flush=True)
        next_log += max(budget / 10, 1)
train_seconds = time.perf_counter() - t0
cpu_seconds = time.process_time() - c0

model.eval()
te = time.perf_counter()
total = 0.0
with torch.no_grad():
    for s in range(0, val.shape[0], B):
        w = val[s:s + B]
        total += F.cross_entropy(model(w[:, :-1]).reshape(-1, V), w[:, 1:].reshape(-1), reduction='sum').item()
val_loss = total / (val.shape[0] * T)
result = {'impl': 'pytorch', 'torch': torch.__version__, 'threads': args.threads, 'steps': steps, 'trainSeconds': round(train_seconds, 2),
          'cpuSeconds': round(cpu_seconds, 2), 'tokensPerSecond': round(steps * B * T / train_seconds),
          'finalTrainLoss': round(sum(losses[-50:]) / max(1, len(losses[-50:])), 4), 'valLoss': round(val_loss, 4),
          'evalSeconds': round(time.perf_counter() - te, 2), 'curve': curve}
json.dump(result, open(os.path.join(args.dir, 'result-pytorch.json'), 'w'), indent=2)
print(json.dumps({'impl': 'pytorch', 'done': True, 'valLoss': result['valLoss'], 'steps': steps}), flush=True)
