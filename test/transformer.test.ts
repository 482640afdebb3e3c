// Transformer layers and stacks (harness, PyTorch interop), position encodings, and the text models:
// GPT (causality, generation) and the BERT-style classifier (padding), with their registry entries.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { assertClose, backends, flat, hasNative, st, roundTrip, trainStepLowers } from './helpers.js';
import type { Tensor } from '../src/index.js';

const { nn, models } = st;

/** Parameters of one encoder layer of width d and feed-forward width f: attention, feed-forward, two norms. */
const encoderLayerParams = (d: number, f: number) => (3 * d * d + 3 * d + d * d + d) + (d * f + f + f * d + d) + 2 * (2 * d);
const ENCODER_KEYS = [
  'self_attn.in_proj_weight', 'self_attn.in_proj_bias', 'self_attn.out_proj.weight', 'self_attn.out_proj.bias',
  'linear1.weight', 'linear1.bias', 'linear2.weight', 'linear2.bias', 'norm1.weight', 'norm1.bias', 'norm2.weight', 'norm2.bias',
];

for (const be of backends()) {
  describe(`transformer layers on ${be}`, () => {
    it('encoder layer: harness (shapes, parameters, PyTorch names, state dict, training step), post- and pre-norm', () => {
      st.manualSeed(1);
      const d = 8, h = 2, f = 16, T = 5, N = 3;
      for (const normFirst of [false, true]) {
        const l = new nn.TransformerEncoderLayer(d, h, { dimFeedforward: f, normFirst, activation: normFirst ? 'gelu' : 'relu' }).to(be);
        assert.equal(l.numParameters(), encoderLayerParams(d, f));
        assert.deepEqual(Object.keys(l.stateDict()), ENCODER_KEYS);
        const x = st.randn([T, N, d]).to(be);
        assert.deepEqual(l.forward(x).shape, [T, N, d]);
        assert.deepEqual(l.forward(x.select(1, 0)).shape, [T, d]);
        const bf = new nn.TransformerEncoderLayer(d, h, { dimFeedforward: f, normFirst, activation: normFirst ? 'gelu' : 'relu', batchFirst: true }).to(be).eval();
        bf.loadStateDict(l.stateDict());
        l.eval();
        assertClose(bf.forward(x.transpose(0, 1)).transpose(0, 1), flat(l.forward(x)), { atol: 1e-5 });
        roundTrip(l, new nn.TransformerEncoderLayer(d, h, { dimFeedforward: f, normFirst, activation: normFirst ? 'gelu' : 'relu' }).to(be), (m) => (m as st.nn.TransformerEncoderLayer).forward(x, { isCausal: true }));
        l.train();
        const target = st.randn([T, N, d]).to(be);
        trainStepLowers(l, () => st.mseLoss(l.forward(x, { srcKeyPaddingMask: st.tensor([[false, false, false, true, true], [false, false, false, false, false], [false, true, false, false, false]], { backend: be }) }), target));
      }
    });

    it('decoder layer: harness, self- and cross-attention, masks', () => {
      st.manualSeed(2);
      const d = 8, h = 4, f = 12, T = 4, S = 6, N = 2;
      const l = new nn.TransformerDecoderLayer(d, h, { dimFeedforward: f, batchFirst: true }).to(be);
      const mha = 3 * d * d + 3 * d + d * d + d;
      assert.equal(l.numParameters(), 2 * mha + (d * f + f + f * d + d) + 3 * 2 * d);
      assert.deepEqual(Object.keys(l.stateDict()), [
        ...ENCODER_KEYS.slice(0, 4),
        'multihead_attn.in_proj_weight', 'multihead_attn.in_proj_bias', 'multihead_attn.out_proj.weight', 'multihead_attn.out_proj.bias',
        ...ENCODER_KEYS.slice(4), 'norm3.weight', 'norm3.bias',
      ]);
      const x = st.randn([N, T, d]).to(be), mem = st.randn([N, S, d]).to(be);
      assert.deepEqual(l.forward(x, mem).shape, [N, T, d]);
      // causal self-attention: a mask tensor and the flag agree, and later positions do not leak backwards
      l.eval();
      const a = l.forward(x, mem, { tgtMask: nn.generateSquareSubsequentMask(T, { backend: be }) });
      assertClose(l.forward(x, mem, { tgtIsCausal: true }), flat(a), { atol: 1e-5 });
      const x2 = st.cat([x.slice(1, 0, 2), st.randn([N, 2, d]).to(be)], 1);
      assertClose(l.forward(x2, mem, { tgtIsCausal: true }).slice(1, 0, 2), flat(a.slice(1, 0, 2)), { atol: 1e-5 });
      roundTrip(l, new nn.TransformerDecoderLayer(d, h, { dimFeedforward: f, batchFirst: true }).to(be), (m) => (m as st.nn.TransformerDecoderLayer).forward(x, mem));
      l.train();
      const target = st.randn([N, T, d]).to(be);
      trainStepLowers(l, () => st.mseLoss(l.forward(x, mem, { memoryKeyPaddingMask: st.tensor([[false, false, false, false, true, true], [false, false, false, false, false, false]], { backend: be }) }), target));
    });

    it('stacks clone the layer (as PyTorch) or build fresh ones, with an optional final norm', () => {
      st.manualSeed(3);
      const d = 8, f = 16;
      const layer = new nn.TransformerEncoderLayer(d, 2, { dimFeedforward: f, dropout: 0 });
      const enc = new nn.TransformerEncoder(layer, 3, { norm: new nn.LayerNorm(d) }).to(be);
      assert.equal(enc.numParameters(), 3 * encoderLayerParams(d, f) + 2 * d);
      assert.deepEqual(Object.keys(enc.stateDict()).slice(-3), ['layers.2.norm2.bias', 'norm.weight', 'norm.bias']);
      const sd = enc.stateDict();
      assert.deepEqual(flat(sd['layers.0.linear1.weight']), flat(sd['layers.2.linear1.weight']), 'clones start equal');
      assert.notEqual(sd['layers.0.linear1.weight'], sd['layers.2.linear1.weight'], 'but do not share tensors');
      const fresh = new nn.TransformerEncoder(() => new nn.TransformerEncoderLayer(d, 2, { dimFeedforward: f }), 2);
      assert.notDeepEqual(flat(fresh.stateDict()['layers.0.linear1.weight']), flat(fresh.stateDict()['layers.1.linear1.weight']));
      const x = st.randn([4, 2, d]).to(be);
      const y = enc.forward(x, { isCausal: true });
      assert.deepEqual(y.shape, [4, 2, d]);
      // the final LayerNorm (weight 1, bias 0) leaves each position with mean 0
      assertClose(y.mean(-1), new Array(8).fill(0), { atol: 1e-5 });
      roundTrip(enc, new nn.TransformerEncoder(() => new nn.TransformerEncoderLayer(d, 2, { dimFeedforward: f }), 3, { norm: new nn.LayerNorm(d) }).to(be),
        (m) => (m as st.nn.TransformerEncoder).forward(x, { isCausal: true }));
      const dl = new nn.TransformerDecoderLayer(d, 2, { dimFeedforward: f });
      const dec = new nn.TransformerDecoder(dl, 2).to(be);
      assert.equal(dec.numParameters(), 2 * dl.numParameters());
      assert.deepEqual(dec.forward(x, st.randn([3, 2, d]).to(be)).shape, [4, 2, d]);
      assert.throws(() => new nn.TransformerEncoder(layer, 0), /TransformerEncoder: numLayers must be a positive integer/);
      assert.throws(() => new nn.TransformerEncoderLayer(d, 3), /MultiheadAttention: embedDim 8 is not divisible by numHeads 3/);
      assert.throws(() => new nn.TransformerEncoderLayer(d, 2, { activation: 'tanh' as 'relu' }), /activation must be 'relu' or 'gelu'/);
    });

    it('causal mask and position encodings (hand-checked)', () => {
      assert.deepEqual(flat(nn.generateSquareSubsequentMask(3, { backend: be })), [0, -Infinity, -Infinity, 0, 0, -Infinity, 0, 0, 0]);
      const pe = new nn.SinusoidalPositionalEncoding(4, { maxLen: 10, batchFirst: true }).to(be);
      assert.equal(pe.numParameters(), 0);
      assert.deepEqual(Object.keys(pe.stateDict()), [], 'the table is not persistent');
      const y = pe.forward(st.zeros([1, 3, 4], { backend: be }));
      // PE(p, 2i) = sin(p / 10000^(2i/4)), PE(p, 2i+1) = cos(…): i = 1 divides by 100
      assertClose(y, [0, 1, 0, 1, Math.sin(1), Math.cos(1), Math.sin(0.01), Math.cos(0.01), Math.sin(2), Math.cos(2), Math.sin(0.02), Math.cos(0.02)]);
      assertClose(pe.forward(st.zeros([1, 1, 4], { backend: be }), 2), [Math.sin(2), Math.cos(2), Math.sin(0.02), Math.cos(0.02)]);
      const seqFirst = new nn.SinusoidalPositionalEncoding(4, { maxLen: 10 }).to(be);
      assertClose(seqFirst.forward(st.zeros([3, 2, 4], { backend: be })).select(1, 1), flat(y.select(0, 0)));
      assert.throws(() => pe.forward(st.zeros([1, 11, 4], { backend: be })), /SinusoidalPositionalEncoding: positions 0..10 exceed maxLen 10/);
      st.manualSeed(4);
      const lp = new nn.LearnedPositionalEmbedding(6, 4).to(be);
      assert.equal(lp.numParameters(), 24);
      const x = st.randn([2, 5, 4]).to(be);
      assertClose(lp.forward(x).sub(x).select(0, 1), flat(lp.weight.slice(0, 0, 5)), { atol: 1e-6 });
      trainStepLowers(lp, () => lp.forward(x).square().mean(), 0.5);
      assert.throws(() => lp.forward(st.zeros([2, 7, 4], { backend: be })), /exceed maxLen 6/);
    });
  });

  describe(`text models on ${be}`, () => {
    const task = { vocabSize: 11, contextLength: 8 };

    it('GPT: shapes, parameter count, causality, training step', () => {
      st.manualSeed(5);
      const d = 16, L = 2, cfg = { nLayer: L, nHead: 2, dModel: d };
      const m = new models.GPT(task, cfg).to(be);
      const expected = 11 * d + 8 * d + L * encoderLayerParams(d, 4 * d) + 2 * d;
      assert.equal(m.numParameters(), expected);
      const untied = new models.GPT(task, { ...cfg, tieWeights: false });
      assert.equal(untied.numParameters(), expected + 11 * d);
      const ids = st.tensor([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]], { dtype: 'int64', backend: be });
      const logits = m.forward(ids);
      assert.deepEqual(logits.shape, [2, 5, 11]);
      // changing token 3 changes no logits before position 3
      const ids2 = st.tensor([[1, 2, 3, 0, 0], [6, 7, 8, 1, 1]], { dtype: 'int64', backend: be });
      assertClose(m.forward(ids2).slice(1, 0, 3), flat(logits.slice(1, 0, 3)), { atol: 1e-5 });
      assert.ok(Math.abs(m.forward(ids2).select(1, 4).sub(logits.select(1, 4)).abs().max().item()) > 1e-4);
      const targets = st.tensor([[2, 3, 4, 5, 6], [7, 8, 9, 10, 1]], { dtype: 'int64', backend: be });
      // at initialisation the loss is near log(vocab)
      assert.ok(Math.abs(m.loss(ids, targets).item() - Math.log(11)) < 0.3);
      trainStepLowers(m, () => m.loss(ids, targets), 0.5);
      roundTrip(m, new models.GPT(task, cfg).to(be), (mm) => (mm as st.models.GPT).forward(ids));
      // multiply-adds per sequence of 8: per layer the q/k/v, output and two feed-forward projections and
      // attention's q·kᵀ and weights·v (T·T·d each, over all heads), then the tied head
      const T = 8, macs = L * (T * d * 3 * d + T * d * d + 2 * T * d * 4 * d + 2 * T * T * d) + T * d * 11;
      assert.equal(st.lab.summary(m, [T], { input: () => st.zeros([1, T], { dtype: 'int64', backend: be }) }).macs, macs);
      assert.throws(() => m.forward(st.zeros([1, 9], { dtype: 'int64', backend: be })), /GPT: sequence length 9 exceeds the context length 8/);
      assert.throws(() => m.forward(st.zeros([1, 3], { backend: be })), /GPT: expected token ids as an int64 tensor/);
    });

    it('GPT: greedy and seeded sampling are deterministic; top-k, top-p and the context window', () => {
      st.manualSeed(6);
      const m = new models.GPT(task, { nLayer: 1, nHead: 2, dModel: 16 }).to(be);
      m.train();
      const prompt = [1, 2, 3];
      const greedy = flat(m.generate(prompt, { maxNewTokens: 6, temperature: 0 }));
      assert.equal(m.training, true, 'generate restores the training mode');
      assert.deepEqual(greedy.slice(0, 3), prompt);
      assert.equal(greedy.length, 9);
      assert.deepEqual(flat(m.generate(prompt, { maxNewTokens: 6, temperature: 0 })), greedy);
      // the first greedy token is the argmax of the last position's logits
      m.eval();
      const first = m.forward(st.tensor([prompt], { dtype: 'int64', backend: be })).select(1, -1).argmax(-1).item();
      assert.equal(greedy[3], first);
      // top-k 1 and a tiny nucleus are greedy
      assert.deepEqual(flat(m.generate(prompt, { maxNewTokens: 6, topK: 1, generator: new st.Generator(1) })), greedy);
      assert.deepEqual(flat(m.generate(prompt, { maxNewTokens: 6, topP: 1e-9, generator: new st.Generator(1) })), greedy);
      const s1 = flat(m.generate(prompt, { maxNewTokens: 20, temperature: 2, generator: new st.Generator(42) }));
      assert.deepEqual(flat(m.generate(prompt, { maxNewTokens: 20, temperature: 2, generator: new st.Generator(42) })), s1);
      assert.notDeepEqual(flat(m.generate(prompt, { maxNewTokens: 20, temperature: 2, generator: new st.Generator(43) })), s1);
      // top-k 2: every sampled token is one of the two most likely given what precedes it (window of 8)
      const s2 = flat(m.generate(prompt, { maxNewTokens: 10, temperature: 3, topK: 2, generator: new st.Generator(7) }));
      assert.equal(s2.length, 13, 'the prompt grows past the context length; only the last 8 tokens are fed back');
      for (let i = 3; i < s2.length; i++) {
        const ctx = s2.slice(Math.max(0, i - 8), i);
        const top2 = m.forward(st.tensor([ctx], { dtype: 'int64', backend: be })).select(1, -1).topk(2, -1).indices;
        assert.ok(flat(top2).includes(s2[i]), `token ${i} (${s2[i]}) is not in the top 2 ${flat(top2)}`);
      }
      const batch = m.generate(st.tensor([[1, 2], [3, 4]], { dtype: 'int64', backend: be }), { maxNewTokens: 3, temperature: 0 });
      assert.deepEqual(batch.shape, [2, 5]);
      assert.throws(() => m.generate([11], { maxNewTokens: 1 }), /GPT.generate: token 11 is out of range for a vocabulary of 11/);
      assert.throws(() => m.generate([1], { maxNewTokens: 1, topP: 0 }), /topP must be in \(0, 1\]/);
    });

    it('BERT classifier: padding is masked out (cls and mean pooling), training step', () => {
      st.manualSeed(7);
      const t = { vocabSize: 11, contextLength: 8, numClasses: 3 };
      for (const pooling of ['cls', 'mean'] as const) {
        const m = new models.BertClassifier(t, { nLayer: 2, nHead: 2, dModel: 16, pooling }).to(be).eval();
        const d = 16;
        assert.equal(m.numParameters(), 11 * d + 8 * d + 2 * d + 2 * encoderLayerParams(d, 4 * d) + d * 3 + 3);
        const short = m.forward(st.tensor([[1, 5, 6]], { dtype: 'int64', backend: be }));
        const padded = m.forward(st.tensor([[1, 5, 6, 0, 0, 0]], { dtype: 'int64', backend: be }));
        assert.deepEqual(padded.shape, [1, 3]);
        assertClose(padded, flat(short), { atol: 1e-5 });
        // an explicit mask overrides padIdx
        const explicit = m.forward(st.tensor([[1, 5, 6, 9, 9]], { dtype: 'int64', backend: be }), { keyPaddingMask: st.tensor([[false, false, false, true, true]], { backend: be }) });
        assertClose(explicit, flat(short), { atol: 1e-5 });
        const ids = st.tensor([[1, 2, 3, 0], [1, 4, 0, 0], [1, 7, 8, 9]], { dtype: 'int64', backend: be });
        roundTrip(m, new models.BertClassifier(t, { nLayer: 2, nHead: 2, dModel: 16, pooling }).to(be), (mm) => (mm as st.models.BertClassifier).forward(ids));
        m.train();
        const y = st.tensor([0, 2, 1], { dtype: 'int64', backend: be });
        const dropFree = new models.BertClassifier(t, { nLayer: 1, nHead: 2, dModel: 16, pooling, dropout: 0 }).to(be);
        trainStepLowers(dropFree, () => st.crossEntropy(dropFree.forward(ids), y), 0.05);
      }
    });
  });
}

describe('text model registry', () => {
  it("builds 'gpt' and 'bert' from a TextTask and refuses the wrong kind of task", () => {
    assert.ok(models.modelNames().includes('gpt') && models.modelNames().includes('bert'));
    assert.equal(models.getModel('gpt').kind, 'text');
    assert.equal(models.getModel('mlp').kind, 'image');
    const g = models.createModel('gpt', { vocabSize: 7, contextLength: 4 }, { nLayer: 1, dModel: 8, nHead: 2 });
    assert.ok(g instanceof models.GPT);
    assert.ok(models.createModel('bert', { vocabSize: 7, contextLength: 4, numClasses: 2 }, { nLayer: 1, dModel: 8, nHead: 2 }) instanceof models.BertClassifier);
    assert.throws(() => models.createModel('gpt', { inChannels: 1, height: 28, width: 28, numClasses: 10 }), /'gpt' is a text model: it needs a TextTask/);
    assert.throws(() => models.createModel('mlp', { vocabSize: 7, contextLength: 4 }), /'mlp' is an image model/);
    assert.throws(() => models.createModel('bert', { vocabSize: 7, contextLength: 4 }), /BertClassifier: expected a text task \{ vocabSize, contextLength, numClasses \}/);
    assert.ok(models.createModel('mlp', { inChannels: 1, height: 28, width: 28, numClasses: 10 }) instanceof models.MLP);
  });
});

describe('GPT parity (native vs js)', () => {
  it('matches logits, loss and every parameter gradient', { skip: !hasNative() && 'native addon not available' }, () => {
    st.manualSeed(8);
    const task = { vocabSize: 9, contextLength: 6 }, cfg = { nLayer: 2, nHead: 2, dModel: 8 };
    const js = new models.GPT(task, cfg).to('js');
    const nat = new models.GPT(task, cfg).to('native');
    nat.loadStateDict(js.stateDict());
    const ids = st.tensor([[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]], { dtype: 'int64' });
    const targets = st.tensor([[2, 3, 4, 5, 6, 7], [5, 4, 3, 2, 1, 0]], { dtype: 'int64' });
    const run = (m: st.models.GPT, be: 'js' | 'native') => {
      const logits = m.forward(ids.to(be));
      st.crossEntropy(logits.reshape([-1, 9]), targets.to(be).reshape([-1])).backward();
      return { logits: flat(logits), grads: m.parameters().map((p) => flat(p.grad!)) };
    };
    const a = run(js, 'js'), b = run(nat, 'native');
    assertClose(b.logits, a.logits, { atol: 1e-5 }, 'logits');
    const names = [...js.namedParameters()].map(([n]) => n);
    a.grads.forEach((g, i) => assertClose(b.grads[i], g, { atol: 1e-5 }, `grad of ${names[i]}`));
  });
});

// ---------------------------------------------------------------- PyTorch interop

const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

function enc(t: Tensor | null): unknown {
  if (t === null) return null;
  return { shape: t.shape, dtype: t.dtype, data: flat(t).map((x) => (x === -Infinity ? '-inf' : x)) };
}

function python(script: string, input: unknown): any {
  const r = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('PyTorch 1.13 interop', { skip: !hasTorch && 'PyTorch is not installed (/usr/bin/python3 -c "import torch" failed)' }, () => {
  it('encoder and decoder layers and stacks match torch.nn given the same weights (1e-5)', () => {
    st.manualSeed(9);
    const d = 8, h = 2, f = 16, T = 5, S = 4, N = 2;
    type Case = { kind: 'enc' | 'dec' | 'stack'; cfg: { activation: 'relu' | 'gelu'; normFirst: boolean; batchFirst: boolean }; m: st.nn.Module; masks: Record<string, Tensor | null> };
    const cases: Case[] = [];
    const randomize = (m: st.nn.Module) => st.noGrad(() => { for (const p of m.parameters()) p.copy_(st.randn(p.shape).mul(0.3).add(p.shape.length === 1 && p.numel === d ? 1 : 0)); });
    const opts = (c: Case['cfg']) => ({ dimFeedforward: f, dropout: 0.1, activation: c.activation, normFirst: c.normFirst, batchFirst: c.batchFirst });
    const addCase = (kind: Case['kind'], cfg: Case['cfg'], masks: Case['masks']) => {
      const m = kind === 'enc' ? new nn.TransformerEncoderLayer(d, h, opts(cfg))
        : kind === 'dec' ? new nn.TransformerDecoderLayer(d, h, opts(cfg))
          : new nn.TransformerEncoder(() => new nn.TransformerEncoderLayer(d, h, opts(cfg)), 2, { norm: new nn.LayerNorm(d) });
      randomize(m);
      cases.push({ kind, cfg, m: m.eval(), masks });
    };
    const kpm = st.tensor([[false, false, false, true, true], [false, false, false, false, false]]);
    addCase('enc', { activation: 'relu', normFirst: false, batchFirst: false }, { srcMask: nn.generateSquareSubsequentMask(T), kpm });
    addCase('enc', { activation: 'gelu', normFirst: true, batchFirst: true }, { srcMask: st.rand([T, T]).gt(0.7).logicalAnd(st.eye(T).logicalNot()), kpm: null });
    addCase('dec', { activation: 'relu', normFirst: false, batchFirst: false }, { tgtMask: nn.generateSquareSubsequentMask(T), memKpm: st.tensor([[false, false, true, true], [false, false, false, false]]) });
    addCase('dec', { activation: 'gelu', normFirst: true, batchFirst: true }, { memMask: st.randn([T, S]), tgtKpm: kpm });
    addCase('stack', { activation: 'gelu', normFirst: false, batchFirst: true }, { srcMask: nn.generateSquareSubsequentMask(T), kpm: null });
    const inputs = cases.map((c) => ({ x: st.randn(c.cfg.batchFirst ? [N, T, d] : [T, N, d]), mem: st.randn(c.cfg.batchFirst ? [N, S, d] : [S, N, d]) }));
    const res = python(`
import json, sys, torch
torch.set_num_threads(1)
def T(o):
    if o is None: return None
    dt = {'float32': torch.float32, 'float64': torch.float64, 'bool': torch.bool}[o['dtype']]
    return torch.tensor([float(x) for x in o['data']] if dt != torch.bool else o['data'], dtype=dt).reshape(o['shape'])
res = []
for c in json.load(sys.stdin):
    g = c['cfg']
    kw = dict(dim_feedforward=${f}, dropout=0.1, activation=g['activation'], norm_first=g['normFirst'], batch_first=g['batchFirst'])
    if c['kind'] == 'enc':
        m = torch.nn.TransformerEncoderLayer(${d}, ${h}, **kw)
    elif c['kind'] == 'dec':
        m = torch.nn.TransformerDecoderLayer(${d}, ${h}, **kw)
    else:
        m = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(${d}, ${h}, **kw), 2, norm=torch.nn.LayerNorm(${d}))
    keys = list(m.state_dict().keys())
    m.load_state_dict({k: T(v) for k, v in c['sd'].items()})
    m.eval()  # NOTE: gradients stay enabled, so PyTorch takes its ordinary (not fast-path) code
    k = c['masks']
    if c['kind'] == 'enc':
        y = m(T(c['x']), src_mask=T(k['srcMask']), src_key_padding_mask=T(k['kpm']))
    elif c['kind'] == 'dec':
        y = m(T(c['x']), T(c['mem']), tgt_mask=T(k.get('tgtMask')), memory_mask=T(k.get('memMask')),
              tgt_key_padding_mask=T(k.get('tgtKpm')), memory_key_padding_mask=T(k.get('memKpm')))
    else:
        y = m(T(c['x']), mask=T(k['srcMask']))
    res.append({'keys': keys, 'shape': list(y.shape), 'data': y.detach().reshape(-1).tolist()})
print(json.dumps(res))
`, cases.map((c, i) => ({
      kind: c.kind, cfg: c.cfg, x: enc(inputs[i].x), mem: enc(inputs[i].mem),
      sd: Object.fromEntries(Object.entries(c.m.stateDict()).map(([k, t]) => [k, enc(t)])),
      masks: Object.fromEntries(Object.entries(c.masks).map(([k, t]) => [k, enc(t)])),
    })));
    cases.forEach((c, i) => {
      assert.deepEqual(Object.keys(c.m.stateDict()), res[i].keys, `case ${i}: PyTorch's state dict keys`);
      for (const be of backends()) {
        const m = c.m.to(be);
        const x = inputs[i].x.to(be), mem = inputs[i].mem.to(be);
        const mk = (k: string) => c.masks[k]?.to(be) ?? null;
        const y = c.kind === 'enc' ? (m as st.nn.TransformerEncoderLayer).forward(x, { srcMask: mk('srcMask'), srcKeyPaddingMask: mk('kpm') })
          : c.kind === 'dec' ? (m as st.nn.TransformerDecoderLayer).forward(x, mem, { tgtMask: mk('tgtMask'), memoryMask: mk('memMask'), tgtKeyPaddingMask: mk('tgtKpm'), memoryKeyPaddingMask: mk('memKpm') })
            : (m as st.nn.TransformerEncoder).forward(x, { mask: mk('srcMask') });
        assert.deepEqual(y.shape, res[i].shape);
        assertClose(y, res[i].data, { atol: 1e-5, rtol: 0 }, `${c.kind} case ${i} on ${be}`);
      }
    });
  });
});
