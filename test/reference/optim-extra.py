import torch, json
torch.set_default_dtype(torch.float64)
def run(make, steps=6):
    p = torch.tensor([1.0, -2.0, 0.5, 0.05], requires_grad=True)
    opt = make([p])
    out = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((p - torch.tensor([0.3, 0.1, -0.4, 0.0]))**2 * torch.tensor([1.0, 2.0, 0.5, 3.0])).sum() + (p**3).sum() * 0.1
        loss.backward()
        opt.step()
        out += [round(v, 12) for v in p.tolist()]
    return out
class NAdam2(torch.optim.Optimizer):
    """torch 2.x's NAdam update (1.13 counts mu twice in mu_product_next, fixed upstream in 2.0)."""
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay))
    @torch.no_grad()
    def step(self):
        for g in self.param_groups:
            b1, b2 = g['betas']
            for p in g['params']:
                s = self.state[p]
                if not s:
                    s['step'] = 0; s['mu_product'] = 1.0
                    s['exp_avg'] = torch.zeros_like(p); s['exp_avg_sq'] = torch.zeros_like(p)
                s['step'] += 1; t = s['step']
                grad = p.grad
                if g['weight_decay'] != 0: grad = grad.add(p, alpha=g['weight_decay'])
                mu = b1 * (1. - 0.5 * (0.96 ** (t * g['momentum_decay'])))
                mu_next = b1 * (1. - 0.5 * (0.96 ** ((t + 1) * g['momentum_decay'])))
                s['mu_product'] *= mu
                s['exp_avg'].mul_(b1).add_(grad, alpha=1 - b1)
                s['exp_avg_sq'].mul_(b2).addcmul_(grad, grad, value=1 - b2)
                denom = s['exp_avg_sq'].div(1 - b2 ** t).sqrt().add_(g['eps'])
                p.addcdiv_(grad, denom, value=-g['lr'] * (1. - mu) / (1. - s['mu_product']))
                p.addcdiv_(s['exp_avg'], denom, value=-g['lr'] * mu_next / (1. - s['mu_product'] * mu_next))
cases = {
 'NAdam': lambda ps: NAdam2(ps, lr=0.05),
 'NAdam (weight decay)': lambda ps: NAdam2(ps, lr=0.05, weight_decay=0.1, momentum_decay=0.01),
 'RAdam': lambda ps: torch.optim.RAdam(ps, lr=0.05),
 'RAdam (rectified, beta2 0.9)': lambda ps: torch.optim.RAdam(ps, lr=0.05, betas=(0.8, 0.9), weight_decay=0.1),
 'Adamax': lambda ps: torch.optim.Adamax(ps, lr=0.05),
 'Adamax (weight decay)': lambda ps: torch.optim.Adamax(ps, lr=0.05, betas=(0.8, 0.95), weight_decay=0.1),
}
for k, f in cases.items(): print(json.dumps(k), run(f))
def sched(make, n=12, opt=None):
    p = torch.zeros(1, requires_grad=True)
    o = opt([p]) if opt else torch.optim.SGD([p], lr=0.1, momentum=0.9)
    s = make(o)
    lrs, mom = [], []
    for _ in range(n):
        lrs.append(round(o.param_groups[0]['lr'], 12))
        g = o.param_groups[0]
        mom.append(round(g['betas'][0] if 'betas' in g else g['momentum'], 12))
        o.step(); s.step()
    return lrs, mom
import torch.optim.lr_scheduler as L
sc = {
 'LambdaLR': lambda o: L.LambdaLR(o, lambda e: 0.5 ** e + 0.1 * e),
 'PolynomialLR': lambda o: L.PolynomialLR(o, total_iters=8, power=2.0),
 'CosineAnnealingWarmRestarts': lambda o: L.CosineAnnealingWarmRestarts(o, T_0=3, eta_min=0.01),
 'CosineAnnealingWarmRestarts (tMult 2)': lambda o: L.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2),
 'CyclicLR triangular': lambda o: L.CyclicLR(o, 0.01, 0.1, step_size_up=3, step_size_down=2),
 'CyclicLR triangular2': lambda o: L.CyclicLR(o, 0.01, 0.1, step_size_up=2, mode='triangular2'),
 'CyclicLR exp_range': lambda o: L.CyclicLR(o, 0.01, 0.1, step_size_up=2, mode='exp_range', gamma=0.9),
}
for k, f in sc.items(): print(json.dumps(k), sched(f))
