# The PyTorch side of bench/depthwise.ts: forward + backward of each grouped convolution shape, median seconds.
import json, statistics, sys, time
import torch

cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg['threads'])
out = []
for s in cfg['shapes']:
    x = torch.randn(s['x'], requires_grad=True)
    w = torch.randn(s['w'], requires_grad=True)
    def step():
        y = torch.nn.functional.conv2d(x, w, None, s['stride'], s['padding'], 1, s['groups'])
        y.backward(torch.ones_like(y))
        x.grad = None; w.grad = None
    step()
    t = []
    for _ in range(cfg['reps']):
        t0 = time.perf_counter(); step(); t.append(time.perf_counter() - t0)
    out.append(statistics.median(t))
print(json.dumps(out))
