# Shared by the PyTorch peers of `npm run bench` (torch_workloads.py, torch_rnn.py): the common flags and
# the timer that prints one JSON line per workload, as bench/util.ts's measure does on strata's side.
import argparse, json, statistics, time

import torch


def setup():
    """Parses --threads N [--only name,name], sets the thread count and seed; returns measure(name, fn, warmup, reps)."""
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
    return measure
