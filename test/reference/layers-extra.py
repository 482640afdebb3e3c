import torch, json, math
torch.set_default_dtype(torch.float64)
def fill(m):
    with torch.no_grad():
        for name, p in m.named_parameters():
            n = p.numel()
            p.copy_(torch.tensor([0.1 * math.sin(0.7 * i + len(name)) for i in range(n)]).reshape(p.shape))
def r(t): return [round(v, 10) for v in t.detach().flatten().tolist()]
def inp(shape, k=0.3):
    n = math.prod(shape)
    return torch.tensor([math.cos(0.9 * i + k) for i in range(n)]).reshape(shape)
out = {}
x = inp((1, 2, 4, 5))
for mode in ['reflect', 'replicate', 'circular']:
    c = torch.nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode); fill(c)
    out['conv2d_' + mode] = r(c(x)); out['conv2d_' + mode + '_shape'] = list(c(x).shape)
c = torch.nn.Conv2d(2, 2, (3, 2), padding='same', padding_mode='reflect'); fill(c)
out['conv2d_same_reflect'] = r(c(x)); out['conv2d_same_reflect_shape'] = list(c(x).shape)
c = torch.nn.Conv1d(2, 2, 3, padding=2, padding_mode='circular'); fill(c)
x1 = inp((2, 2, 4))
out['conv1d_circular'] = r(c(x1)); out['conv1d_circular_shape'] = list(c(x1).shape)
m = torch.nn.InstanceNorm2d(2, affine=True, track_running_stats=True); fill(m)
xi = inp((3, 2, 2, 3))
out['inorm_train'] = r(m(xi)); out['inorm_rm'] = r(m.running_mean); out['inorm_rv'] = r(m.running_var)
m.eval(); out['inorm_eval'] = r(m(xi))
out['inorm_keys'] = list(m.state_dict().keys())
e = torch.nn.EmbeddingBag(5, 3, mode='mean', padding_idx=1); fill(e)
ids = torch.tensor([0, 2, 1, 4, 3, 3, 1]); offs = torch.tensor([0, 3, 3, 6])
out['bag_mean'] = r(e(ids, offs))
e = torch.nn.EmbeddingBag(5, 3, mode='sum'); fill(e)
out['bag_sum_w'] = r(e(ids, offs, per_sample_weights=torch.tensor([0.5, 1, 2, -1, 1, 0.25, 3])))
e = torch.nn.EmbeddingBag(5, 3, mode='max'); fill(e)
out['bag_max_2d'] = r(e(torch.tensor([[0, 2, 4], [3, 3, 1]])))
t = torch.nn.Transformer(8, 2, num_encoder_layers=1, num_decoder_layers=2, dim_feedforward=16, dropout=0.0); fill(t); t.eval()
src = inp((4, 2, 8), 0.1); tgt = inp((3, 2, 8), 0.5)
mask = torch.nn.Transformer.generate_square_subsequent_mask(3)
out['transformer'] = r(t(src, tgt, tgt_mask=mask))
out['transformer_keys'] = list(t.state_dict().keys())
out['transformer_nparams'] = sum(p.numel() for p in t.parameters())
p = torch.nn.PReLU(3, init=0.1); xp = inp((2, 3, 2))
out['prelu'] = r(p(xp))
json.dump(out, open('layers.json', 'w'))
print({k: (len(v) if isinstance(v, list) else v) for k, v in out.items()})
