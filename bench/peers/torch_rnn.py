#!/usr/bin/env python3
# PyTorch side of the recurrent workloads of `npm run bench`: the same training steps as bench/rnn.ts
# (nn.LSTM / nn.GRU, a linear classifier on every step, cross-entropy, Adam), printed as JSON lines.
# usage: torch_rnn.py --threads N [--only name,name]
from peer_workloads import setup

import torch
import torch.nn as nn
import torch.nn.functional as F

measure = setup()

B, T, I, H, C = 32, 64, 128, 256, 10
x, y = torch.randn(T, B, I), torch.randint(0, C, (T * B,))


def train_step(rnn):
    fc = nn.Linear(H, C)
    opt = torch.optim.Adam(list(rnn.parameters()) + list(fc.parameters()), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        out, _ = rnn(x)
        loss = F.cross_entropy(fc(out).reshape(T * B, C), y)
        loss.backward()
        opt.step()
    return step


for layers in (1, 2):
    tag = '' if layers == 1 else f'-{layers}layer'
    measure(f'lstm{tag}-train-step', train_step(nn.LSTM(I, H, num_layers=layers)), 3, 15)
    measure(f'gru{tag}-train-step', train_step(nn.GRU(I, H, num_layers=layers)), 3, 15)
