#!/usr/bin/env python3
# PyTorch peer of bench/gpt.ts: one AdamW training step of the same character GPT (4 pre-norm causal
# blocks, 4 heads, width 128, context 128, batch 32, vocab 65, tied head), written two ways: by hand
# (nanoGPT style, explicit attention) and with nn.TransformerEncoderLayer. Prints JSON lines.
# usage: torch_gpt.py [--threads 2] [--steps 10] [--dropout 0]
import argparse, json, math, statistics, time
import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--threads', type=int, default=2)
p.add_argument('--steps', type=int, default=10)
p.add_argument('--dropout', type=float, default=0.0)
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)
B, T, V, D, L, H = 32, 128, 65, 128, 4, 4


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.qkv, self.proj = nn.Linear(D, 3 * D), nn.Linear(D, D)
        self.fc1, self.fc2 = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)
        self.drop = nn.Dropout(args.dropout)
        self.register_buffer('mask', torch.ones(T, T, dtype=torch.bool).tril().logical_not())

    def forward(self, x):
        b, t, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(D, dim=2)
        q, k, v = [z.view(b, t, H, D // H).transpose(1, 2) for z in (q, k, v)]
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(D // H))
        att = self.drop(att.masked_fill(self.mask[:t, :t], float('-inf')).softmax(-1))
        y = (att @ v).transpose(1, 2).reshape(b, t, D)
        x = x + self.drop(self.proj(y))
        return x + self.drop(self.fc2(self.drop(F.gelu(self.fc1(self.ln2(x))))))


class GPT(nn.Module):
    def __init__(self, builtin):
        super().__init__()
        self.tok, self.pos = nn.Embedding(V, D), nn.Parameter(torch.randn(T, D) * 0.02)
        if builtin:
            self.blocks = nn.ModuleList([nn.TransformerEncoderLayer(D, H, 4 * D, args.dropout, activation='gelu', batch_first=True, norm_first=True) for _ in range(L)])
        else:
            self.blocks = nn.ModuleList([Block() for _ in range(L)])
        self.builtin = builtin
        self.ln = nn.LayerNorm(D)
        self.register_buffer('mask', torch.full((T, T), float('-inf')).triu(1))

    def forward(self, idx):
        x = self.tok(idx) + self.pos[: idx.shape[1]]
        for b in self.blocks:
            x = b(x, src_mask=self.mask) if self.builtin else b(x)
        return F.linear(self.ln(x), self.tok.weight)


x, y = torch.randint(0, V, (B, T)), torch.randint(0, V, (B, T))
for name, builtin in (('pytorch-hand-written', False), ('pytorch-nn.TransformerEncoderLayer', True)):
    model = GPT(builtin)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x).view(-1, V), y.view(-1))
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(3):
        step()
    times, cpu = [], []
    for _ in range(args.steps):
        t, c = time.perf_counter(), time.process_time()
        step()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    r3 = lambda v: round(v, 3)
    print(json.dumps({'workload': 'gpt-char-train-step', 'impl': name, 'seconds': r3(statistics.median(times)), 'min': r3(min(times)),
                      'cpuSeconds': r3(statistics.median(cpu)), 'steps': args.steps}), flush=True)
