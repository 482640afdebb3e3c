import torch, json, math
import torch.nn.functional as F
torch.set_default_dtype(torch.float64)
def data(shape, seed, positive=False):
    n = math.prod(shape)
    v = []
    for i in range(n):
        m = 0.2 + ((i * 37 + seed * 101) % 97) / 97.0
        s = 1 if positive or ((i * 13 + seed * 7) % 5) < 2 else -1
        v.append(round(s * m, 4))
    return torch.tensor(v).reshape(shape)
# name, input specs [(shape, seed, positive)], torch fn, ts fn
C = [
 ('roll', [((2,3),1)], lambda x: torch.roll(x, 1, 1), 'x => st.roll(x, 1, 1)'),
 ('roll (two dims, negative)', [((2,3),2)], lambda x: torch.roll(x, (-1, 4), (0, 1)), 'x => st.roll(x, [-1, 4], [0, 1])'),
 ('roll (flattened)', [((2,3),3)], lambda x: torch.roll(x, 2), 'x => st.roll(x, 2)'),
 ('tril', [((3,4),1)], lambda x: torch.tril(x), 'x => st.tril(x)'),
 ('tril (diagonal -1, batched)', [((2,3,3),2)], lambda x: torch.tril(x, -1), 'x => st.tril(x, -1)'),
 ('triu (diagonal 1)', [((3,4),3)], lambda x: torch.triu(x, 1), 'x => st.triu(x, 1)'),
 ('cumprod', [((2,4),4)], lambda x: torch.cumprod(x, 1), 'x => st.cumprod(x, 1)'),
 ('cumprod (dim 0)', [((3,2),5)], lambda x: torch.cumprod(x, 0), 'x => st.cumprod(x, 0)'),
 ('movedim', [((2,3,4),1)], lambda x: torch.movedim(x, 0, 2), 'x => st.movedim(x, 0, 2)'),
 ('movedim (two)', [((2,3,4),2)], lambda x: torch.movedim(x, (0, 1), (2, 0)), 'x => st.movedim(x, [0, 1], [2, 0])'),
 ('diagonal', [((3,4),1)], lambda x: torch.diagonal(x), 'x => st.diagonal(x)'),
 ('diagonal (offset 1)', [((3,4),2)], lambda x: torch.diagonal(x, 1), 'x => st.diagonal(x, 1)'),
 ('diagonal (offset -1, dims 1,2)', [((2,3,3),3)], lambda x: torch.diagonal(x, -1, 1, 2), 'x => st.diagonal(x, -1, 1, 2)'),
 ('repeatInterleave', [((2,2),1)], lambda x: torch.repeat_interleave(x, 2, 0), 'x => st.repeatInterleave(x, 2, 0)'),
 ('repeatInterleave (counts)', [((2,3),2)], lambda x: torch.repeat_interleave(x, torch.tensor([1, 0, 2]), 1), 'x => st.repeatInterleave(x, [1, 0, 2], 1)'),
 ('repeatInterleave (flat)', [((2,2),3)], lambda x: torch.repeat_interleave(x, 2), 'x => st.repeatInterleave(x, 2)'),
 ('pixelShuffle', [((1,8,2,2),1)], lambda x: F.pixel_shuffle(x, 2), 'x => st.pixelShuffle(x, 2)'),
 ('pixelUnshuffle', [((1,2,4,2),2)], lambda x: F.pixel_unshuffle(x, 2), 'x => st.pixelUnshuffle(x, 2)'),
 ('pad reflect', [((1,2,3,3),1)], lambda x: F.pad(x, (2, 1, 1, 2), mode='reflect'), "x => st.padMode(x, [2, 1, 1, 2], 'reflect')"),
 ('pad replicate', [((1,2,3),2)], lambda x: F.pad(x, (2, 3), mode='replicate'), "x => st.padMode(x, [2, 3], 'replicate')"),
 ('pad circular', [((1,1,3,3),3)], lambda x: F.pad(x, (1, 2, 2, 0), mode='circular'), "x => st.padMode(x, [1, 2, 2, 0], 'circular')"),
 ('maskedSelect', [((2,3),1)], lambda x: torch.masked_select(x, torch.tensor([True, False, True])), "x => st.maskedSelect(x, st.tensor([true, false, true], { backend: x.backend }))"),
 ('scatter', [((3,4),1), ((2,4),2)], lambda x, s: torch.scatter(x, 0, torch.tensor([[2,0,1,2],[0,1,2,1]]), s), "(x, s) => st.scatter(x, 0, st.tensor([[2, 0, 1, 2], [0, 1, 2, 1]], { dtype: 'int64', backend: x.backend }), s)"),
 ('scatter (dim 1, scalar)', [((2,4),3)], lambda x: torch.scatter(x, 1, torch.tensor([[3],[0]]), 0.5), "x => st.scatter(x, 1, st.tensor([[3], [0]], { dtype: 'int64', backend: x.backend }), 0.5)"),
 ('einsum matmul', [((2,3),1), ((3,4),2)], lambda a, b: torch.einsum('ij,jk->ik', a, b), "(a, b) => st.einsum('ij,jk->ik', a, b)"),
 ('einsum batched attention', [((2,2,3),1), ((2,4,3),2)], lambda a, b: torch.einsum('bqd,bkd->bqk', a, b), "(a, b) => st.einsum('bqd,bkd->bqk', a, b)"),
 ('einsum trace-free sum and transpose', [((2,3,2),3)], lambda a: torch.einsum('ijk->kj', a), "a => st.einsum('ijk->kj', a)"),
 ('einsum implicit output', [((3,),1), ((4,),2)], lambda a, b: torch.einsum('i,j', a, b), "(a, b) => st.einsum('i,j', a, b)"),
 ('einsum three operands', [((2,3),1), ((3,2),2), ((2,),3)], lambda a, b, c: torch.einsum('ij,jk,k->i', a, b, c), "(a, b, c) => st.einsum('ij,jk,k->i', a, b, c)"),
 ('einsum ellipsis', [((2,2,3),4), ((3,2),5)], lambda a, b: torch.einsum('...ij,jk->...ik', a, b), "(a, b) => st.einsum('...ij,jk->...ik', a, b)"),
 ('einsum dot', [((4,),1), ((4,),2)], lambda a, b: torch.einsum('i,i->', a, b), "(a, b) => st.einsum('i,i->', a, b)"),
 ('cdist', [((3,2),1), ((4,2),2)], lambda a, b: torch.cdist(a, b), '(a, b) => st.cdist(a, b)'),
 ('cdist p=1 batched', [((2,2,3),3), ((2,3,3),4)], lambda a, b: torch.cdist(a, b, p=1), '(a, b) => st.cdist(a, b, 1)'),
 ('normalize', [((2,3),1)], lambda x: F.normalize(x), 'x => st.normalize(x)'),
 ('normalize p=1 dim 0', [((3,2),2)], lambda x: F.normalize(x, p=1, dim=0), 'x => st.normalize(x, 1, 0)'),
 ('cosineSimilarity', [((3,4),1), ((3,4),2)], lambda a, b: F.cosine_similarity(a, b), '(a, b) => st.cosineSimilarity(a, b)'),
 ('cosineSimilarity (dim -1, broadcast)', [((2,3),3), ((1,3),4)], lambda a, b: F.cosine_similarity(a, b, dim=-1), '(a, b) => st.cosineSimilarity(a, b, -1)'),
 ('instanceNorm', [((2,2,3),1)], lambda x: F.instance_norm(x), 'x => st.instanceNorm(x)'),
 ('instanceNorm (affine, 2-D)', [((2,2,2,2),2), ((2,),3), ((2,),4)], lambda x, w, b: F.instance_norm(x, weight=w, bias=b), '(x, w, b) => st.instanceNorm(x, { weight: w, bias: b })'),
 ('adaptiveMaxPool2d (uneven)', [((1,2,5,4),1)], lambda x: F.adaptive_max_pool2d(x, (3, 3)), 'x => st.adaptiveMaxPool2d(x, [3, 3])'),
 ('adaptiveMaxPool2d (even)', [((1,1,4,4),2)], lambda x: F.adaptive_max_pool2d(x, 2), 'x => st.adaptiveMaxPool2d(x, 2)'),
 ('interpolate nearest', [((1,1,2,3),1)], lambda x: F.interpolate(x, scale_factor=2, mode='nearest'), "x => st.interpolate(x, { scaleFactor: 2, mode: 'nearest' })"),
 ('interpolate nearest (size)', [((1,2,5),2)], lambda x: F.interpolate(x, size=3, mode='nearest'), "x => st.interpolate(x, { size: 3, mode: 'nearest' })"),
 ('interpolate bilinear', [((1,1,2,3),3)], lambda x: F.interpolate(x, size=(3, 5), mode='bilinear'), "x => st.interpolate(x, { size: [3, 5], mode: 'bilinear' })"),
 ('interpolate bilinear alignCorners', [((1,2,2,2),4)], lambda x: F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=True), "x => st.interpolate(x, { scaleFactor: 2, mode: 'bilinear', alignCorners: true })"),
 ('interpolate bilinear downscale', [((1,1,4,5),5)], lambda x: F.interpolate(x, size=(3, 2), mode='bilinear'), "x => st.interpolate(x, { size: [3, 2], mode: 'bilinear' })"),
 ('interpolate linear', [((1,2,3),6)], lambda x: F.interpolate(x, scale_factor=1.5, mode='linear'), "x => st.interpolate(x, { scaleFactor: 1.5, mode: 'linear' })"),
 ('logSigmoid', [((2,3),1)], lambda x: F.logsigmoid(x*4), 'x => st.logSigmoid(x.mul(4))'),
 ('mish', [((2,3),2)], lambda x: F.mish(x*3), 'x => st.mish(x.mul(3))'),
 ('hardswish', [((2,4),3)], lambda x: F.hardswish(x*5), 'x => st.hardswish(x.mul(5))'),
 ('hardsigmoid', [((2,4),4)], lambda x: F.hardsigmoid(x*5), 'x => st.hardsigmoid(x.mul(5))'),
 ('selu', [((2,3),5)], lambda x: F.selu(x*2), 'x => st.selu(x.mul(2))'),
 ('glu', [((2,4),6)], lambda x: F.glu(x), 'x => st.glu(x)'),
 ('glu (dim 0)', [((2,3),7)], lambda x: F.glu(x, 0), 'x => st.glu(x, 0)'),
 ('prelu (per channel)', [((2,3,2),1), ((3,),2,True)], lambda x, w: F.prelu(x, w*0.3), '(x, w) => st.prelu(x, w.mul(0.3))'),
 ('prelu (shared)', [((2,3),3), ((1,),4,True)], lambda x, w: F.prelu(x, w), '(x, w) => st.prelu(x, w)'),
 ('huberLoss', [((2,3),1), ((2,3),2)], lambda a, b: F.huber_loss(a*2, b, delta=0.8), '(a, b) => st.huberLoss(a.mul(2), b, "mean", 0.8)'),
 ('huberLoss sum', [((4,),3), ((4,),4)], lambda a, b: F.huber_loss(a*2, b, reduction='sum'), '(a, b) => st.huberLoss(a.mul(2), b, "sum")'),
 ('marginRankingLoss', [((4,),1), ((4,),2)], lambda a, b: F.margin_ranking_loss(a, b, torch.tensor([1., -1., 1., -1.]), margin=0.3), "(a, b) => st.marginRankingLoss(a, b, st.tensor([1, -1, 1, -1], { dtype: 'float64', backend: a.backend }), { margin: 0.3 })"),
 ('tripletMarginLoss', [((3,4),1), ((3,4),2), ((3,4),3)], lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=1.5), '(a, p, n) => st.tripletMarginLoss(a, p, n, { margin: 1.5 })'),
 ('tripletMarginLoss (p=1, swap, none)', [((3,4),4), ((3,4),5), ((3,4),6)], lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=2.0, p=1, swap=True, reduction='none'), "(a, p, n) => st.tripletMarginLoss(a, p, n, { margin: 2, p: 1, swap: true, reduction: 'none' })"),
 ('cosineEmbeddingLoss', [((4,3),1), ((4,3),2)], lambda a, b: F.cosine_embedding_loss(a, b, torch.tensor([1, -1, -1, 1]), margin=-0.2), "(a, b) => st.cosineEmbeddingLoss(a, b, st.tensor([1, -1, -1, 1], { dtype: 'int64', backend: a.backend }), { margin: -0.2 })"),
]
def fmt(v):
    return '[' + ', '.join(repr(round(float(a), 12)) for a in v) + ']'
out = []
for name, specs, tf, ts in C:
    ins = [data(s[0], s[1], len(s) > 2 and s[2]) for s in specs]
    y = tf(*ins)
    inputs = ', '.join('{ shape: %s, data: %s }' % (json.dumps(list(s[0])), fmt(t.flatten().tolist())) for s, t in zip(specs, ins))
    out.append("  { name: %s, inputs: [%s], f: %s,\n    shape: %s, expected: %s },"
               % (json.dumps(name), inputs, ts, json.dumps(list(y.shape)), fmt(y.flatten().tolist())))
print('\n'.join(out))
