// The zoo's Transformer and MLP models and the mixture of experts: ViT, MLP-Mixer and the MoE ViT at tiny
// widths (parameter counts against formulas written here, forward/backward/one step on both backends, state-dict
// round trip), ViT-B/16's torchvision size and cost, MoE routing, gates, gradients and load-balancing loss, and
// the Trainer's auxiliary-loss hook.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose, assertSameAfterLoad, backends, captureStdout, flat, gradcheck, hasNative, imageBatch as batch, imageTask as task, onBackend as on, st } from './helpers.js';
import { cmdSummary } from '../src/cli/summary.js';

const { nn, models } = st;
type Task = st.models.ImageTask;

// ---- independent parameter formulas

const lin = (i: number, o: number, bias = true) => i * o + (bias ? o : 0);
const ln = (d: number) => 2 * d;
/** nn.MultiheadAttention: packed in_proj [3D, D] + bias, out_proj D×D + bias. */
const mha = (d: number) => 3 * d * d + 3 * d + d * d + d;

/**
 * ViT (Dosovitskiy et al., Eq. 1–4): patch projection (P²·C·D + D), class token D, position embeddings
 * (1 + HW/P²)·D, L blocks (two LayerNorms, attention, MLP D→M→D or E experts with a bias-free router in every
 * moeEvery-th block), final LayerNorm, head.
 */
function vitParams(c: number, h: number, w: number, classes: number, p: number, l: number, d: number, m: number, moe: { every: number; experts: number } | null = null): number {
  const tokens = 1 + (h / p) * (w / p);
  let n = p * p * c * d + d + d + tokens * d;
  for (let i = 0; i < l; i++) {
    const isMoe = moe !== null && (i + 1) % moe.every === 0;
    const mlp = lin(d, m) + lin(m, d);
    n += ln(d) + mha(d) + ln(d) + (isMoe ? lin(d, moe.experts, false) + moe.experts * mlp : mlp);
  }
  return n + ln(d) + lin(d, classes);
}

/** MLP-Mixer (Tolstikhin et al., §2): stem, blocks of LayerNorm + token MLP (S→D_S→S) + LayerNorm + channel MLP (C→D_C→C), final LayerNorm, head. */
function mixerParams(c: number, h: number, w: number, classes: number, p: number, blocks: number, hidden: number, ds: number, dc: number): number {
  const s = (h / p) * (w / p);
  const block = ln(hidden) + lin(s, ds) + lin(ds, s) + ln(hidden) + lin(hidden, dc) + lin(dc, hidden);
  return p * p * c * hidden + hidden + blocks * block + ln(hidden) + lin(hidden, classes);
}

interface Case {
  name: string;
  model: string;
  config: Record<string, unknown>;
  params(t: Task): number;
}

const CASES: Case[] = [
  { name: 'ViT (patch 4)', model: 'vit_tiny', config: { numLayers: 2, hiddenDim: 16, numHeads: 2, mlpRatio: 2 }, params: (t) => vitParams(t.inChannels, t.height, t.width, t.numClasses, 4, 2, 16, 32) },
  { name: 'ViT (patch 7)', model: 'vit_tiny', config: { patchSize: 7, numLayers: 1, hiddenDim: 12, numHeads: 3, mlpDim: 20 }, params: (t) => vitParams(t.inChannels, t.height, t.width, t.numClasses, 7, 1, 12, 20) },
  {
    name: 'ViT with MoE MLPs', model: 'vit_moe_tiny', config: { numLayers: 2, hiddenDim: 16, numHeads: 2, numExperts: 3 },
    params: (t) => vitParams(t.inChannels, t.height, t.width, t.numClasses, 4, 2, 16, 32, { every: 2, experts: 3 }),
  },
  { name: 'MLP-Mixer', model: 'mixer_tiny', config: { numBlocks: 2, hiddenDim: 16 }, params: (t) => mixerParams(t.inChannels, t.height, t.width, t.numClasses, 4, 2, 16, 8, 64) },
  { name: 'MLP-Mixer (patch 7, explicit widths)', model: 'mixer_b_16', config: { patchSize: 7, numBlocks: 1, hiddenDim: 8, tokensMlpDim: 5, channelsMlpDim: 12 }, params: (t) => mixerParams(t.inChannels, t.height, t.width, t.numClasses, 7, 1, 8, 5, 12) },
];




describe('zoo 2: tiny Transformer and MLP models', () => {
  for (const cs of CASES) {
    it(`${cs.name}: parameter count equals the formula for 1×28×28 and 3×32×32 tasks`, () => {
      on('js', () => {
        for (const t of [task(1, 28), task(3, 28, 7)]) {
          const m = models.createModel(cs.model, t, cs.config);
          assert.equal(m.numParameters(), cs.params(t), `${cs.model} ${t.inChannels}×${t.height}`);
          m.dispose();
        }
      });
    });

    for (const be of backends()) {
      it(`${cs.name} on ${be}: forward and backward, one Adam step lowers the loss, state dict round trip`, () => {
        st.manualSeed(11);
        const m = on(be, () => models.createModel(cs.model, task(1, 28), cs.config));
        // the published heads start at zero (every class equally likely): the loss is ln 10 before the first step
        const { x, y } = batch(be, 6, 1, 28, 3);
        const out = m.forward(x);
        assert.deepEqual(out.shape, [6, 10]);
        const loss = st.crossEntropy(out, y);
        assert.ok(Math.abs(loss.item() - Math.log(10)) < 1e-5, `initial loss ${loss.item()}`);
        loss.backward();
        for (const [k, p] of m.namedParameters()) {
          if (!p.grad) {
            assert.ok(k.includes('experts'), `${k} has a gradient`);
            continue;
          }
          assert.ok(flat(p.grad).every(Number.isFinite), `${k}'s gradient is finite`);
        }
        const opt = new st.optim.Adam(m.parameters(), { lr: 1e-2 });
        opt.step();
        opt.zeroGrad();
        const after = st.crossEntropy(m.forward(x), y).item();
        assert.ok(after < loss.item(), `loss ${loss.item()} → ${after}`);
        // a second step reaches the layers below the head (its gradient was zero while the head was)
        st.crossEntropy(m.forward(x), y).backward();
        const below = [...m.namedParameters()].filter(([k]) => !k.includes('head') && !k.includes('experts'));
        assert.ok(below.every(([, p]) => p.grad && flat(p.grad).some((v) => v !== 0)), 'every parameter below the head has a gradient after one step');
        assertSameAfterLoad(m, on(be, () => models.createModel(cs.model, task(1, 28), cs.config)), x);
      });
    }
  }

  it('native matches js with the same weights (ViT, Mixer)', { skip: !hasNative() && 'native backend not built' }, () => {
    for (const cs of [CASES[0], CASES[3]]) {
      st.manualSeed(5);
      const a = on('js', () => models.createModel(cs.model, task(1, 28), cs.config));
      const b = on('native', () => models.createModel(cs.model, task(1, 28), cs.config));
      // non-zero heads so the gradients reach every layer
      st.noGrad(() => {
        for (const [k, p] of a.namedParameters()) if (k.includes('head')) p.copy_(st.randn(p.shape, { generator: new st.Generator(1), backend: 'js' }).mul(0.1));
      });
      b.loadStateDict(a.stateDict());
      const { x, y } = batch('js', 3, 1, 28, 9);
      st.crossEntropy(a.forward(x), y).backward();
      const lb = st.crossEntropy(b.forward(x.to('native')), y.to('native'));
      lb.backward();
      assertClose(flat(b.forward(x.to('native'))), flat(a.forward(x)), { atol: 1e-4, rtol: 1e-3 }, `${cs.model} output`);
      const pb = new Map(b.namedParameters());
      for (const [k, p] of a.namedParameters()) {
        const ga = flat(p.grad!), gb = flat(pb.get(k)!.grad!);
        const scale = Math.max(1e-3, ...ga.map(Math.abs));
        assertClose(gb.map((v) => v / scale), ga.map((v) => v / scale), { atol: 2e-3, rtol: 0 }, `${cs.model} grad of ${k}`);
      }
    }
  });

  it('ViT: torchvision layout (state-dict keys and shapes), class token first, rejects sizes the patches do not divide', () => {
    const m = models.vitTiny(task(1, 28), { numLayers: 1, hiddenDim: 8, numHeads: 2 });
    const sd = m.stateDict();
    assert.deepEqual(Object.keys(sd), [
      'class_token', 'conv_proj.weight', 'conv_proj.bias', 'encoder.pos_embedding',
      'encoder.layers.encoder_layer_0.ln_1.weight', 'encoder.layers.encoder_layer_0.ln_1.bias',
      'encoder.layers.encoder_layer_0.self_attention.in_proj_weight', 'encoder.layers.encoder_layer_0.self_attention.in_proj_bias',
      'encoder.layers.encoder_layer_0.self_attention.out_proj.weight', 'encoder.layers.encoder_layer_0.self_attention.out_proj.bias',
      'encoder.layers.encoder_layer_0.ln_2.weight', 'encoder.layers.encoder_layer_0.ln_2.bias',
      'encoder.layers.encoder_layer_0.mlp.0.weight', 'encoder.layers.encoder_layer_0.mlp.0.bias',
      'encoder.layers.encoder_layer_0.mlp.3.weight', 'encoder.layers.encoder_layer_0.mlp.3.bias',
      'encoder.ln.weight', 'encoder.ln.bias', 'heads.head.weight', 'heads.head.bias',
    ]);
    assert.deepEqual(sd['encoder.pos_embedding'].shape, [1, 50, 8]);
    assert.deepEqual(sd['conv_proj.weight'].shape, [8, 1, 4, 4]);
    // embed: the class token, then the 7×7 patches row by row; a patch of ones through a conv of ones gives 16
    st.noGrad(() => {
      m.conv_proj.weight.fill_(1);
      m.conv_proj.bias!.fill_(0);
      m.class_token.fill_(-1);
    });
    const x = st.zeros([1, 1, 28, 28]);
    st.noGrad(() => x.slice(2, 4, 8).slice(3, 8, 12).fill_(1)); // the patch at grid row 1, column 2
    const e = flat(m.embed(x));
    assert.equal(e.length, 50 * 8);
    assert.deepEqual(e.slice(0, 8), Array(8).fill(-1));
    const patch = 1 + 1 * 7 + 2;
    assert.deepEqual(e.slice(patch * 8, patch * 8 + 8), Array(8).fill(16));
    assert.equal(e.filter((v) => v === 16).length, 8);
    assert.throws(() => models.vitTiny(task(1, 28), { patchSize: 5 }), /vit_tiny: the input 28×28 does not divide into 5×5 patches/);
    assert.throws(() => models.vitTiny(task(1, 28), { hiddenDim: 10, numHeads: 4 }), /vit_tiny: config.hiddenDim 10 must be divisible by config.numHeads 4/);
    assert.throws(() => m.forward(st.zeros([1, 1, 32, 32])), /vit_tiny: expected images \[N, 1, 28, 28\]/);
  });

  it('Mixer: token mixing acts across patches, channel mixing across channels', () => {
    const blk = new models.MixerBlock(3, 4, 2, 5, 0);
    st.noGrad(() => {
      for (const p of blk.mlp_channels.parameters()) p.fill_(0);
    });
    // with the channel MLP at zero, the block is x + T(x) where T mixes the 4 tokens of each channel alike:
    // permuting the channels of x permutes the output's channels the same way
    const x = st.randn([1, 4, 3], { generator: new st.Generator(2) });
    const y = blk.forward(x);
    const xp = x.indexSelect(2, st.tensor([2, 0, 1], { dtype: 'int64' }));
    const yp = blk.forward(xp);
    assertClose(yp, y.indexSelect(2, st.tensor([2, 0, 1], { dtype: 'int64' })), { atol: 1e-6 });
    assert.deepEqual(blk.mlp_tokens.fc1.weight.shape, [2, 4]);
    assert.deepEqual(blk.mlp_channels.fc1.weight.shape, [5, 3]);
  });

  it('registers the Transformer and MLP families', () => {
    for (const n of ['vit_tiny', 'vit_b_16', 'vit_moe_tiny', 'mixer_tiny', 'mixer_b_16']) assert.ok(models.modelNames().includes(n), n);
  });
});

describe('zoo 2: the published full-size models (1000 classes, 3×224×224)', () => {
  const be = hasNative() ? 'native' : 'js';
  it('ViT-B/16 has 86,567,656 parameters, torchvision\'s vit_b_16', () => {
    assert.equal(vitParams(3, 224, 224, 1000, 16, 12, 768, 3072), 86_567_656);
    const m = on(be, () => models.createModel('vit_b_16', task(3, 224, 1000)));
    assert.equal(m.numParameters(), 86_567_656);
    m.dispose();
  });

  it('Mixer-B/16 has 59,880,472 parameters (Table 1: 59 M)', () => {
    assert.equal(mixerParams(3, 224, 224, 1000, 16, 12, 768, 384, 3072), 59_880_472);
    const m = on(be, () => models.createModel('mixer_b_16', task(3, 224, 1000)));
    assert.equal(m.numParameters(), 59_880_472);
    m.dispose();
  });

  it('`strata summary --model vit_b_16 --input 3x224x224 --json` counts the attention matmuls: 17,563,828,224 multiply-adds', { skip: !hasNative() && 'a 224×224 ViT-B forward on js is slow' }, () => {
    // 196 patches of 16·16·3 → 768; per block on 197 tokens: q/k/v 3·768², q·kᵀ and weights·v 2·197·768,
    // out_proj 768², MLP 2·768·3072; head 768·1000 on the class token
    const T = 197, D = 768;
    const block = T * 3 * D * D + 2 * T * T * D + T * D * D + 2 * T * D * 3072;
    const expected = 196 * 768 * 768 + 12 * block + 768 * 1000;
    assert.equal(expected, 17_563_828_224);
    const text = captureStdout(() => assert.equal(cmdSummary(['--model', 'vit_b_16', '--input', '3x224x224', '--json']), 0));
    const j = JSON.parse(text);
    assert.equal(j.params, 86_567_656);
    assert.equal(j.macs, expected);
  });
});

for (const be of backends()) {
  describe(`mixture of experts on ${be}`, () => {
    const T = (v: st.NestedArray, dtype: st.DType = 'float32') => st.tensor(v, { backend: be, dtype });

    /** An MoE on 2 features whose router logits are x itself (router = identity, E = 2) and experts scale by 10 and 100. */
    function identityMoE(opts: st.nn.MixtureOfExpertsOptions): st.nn.MixtureOfExperts {
      const moe = new nn.MixtureOfExperts(2, 2, { hiddenFeatures: 2, activation: 'relu', ...opts }).to(be);
      st.noGrad(() => {
        moe.router.weight.copy_(T([[1, 0], [0, 1]]));
        [...moe.experts].forEach((e, i) => {
          const m = e as st.nn.ExpertMLP;
          m.fc1.weight.copy_(T([[1, 0], [0, 1]]));
          m.fc1.bias!.fill_(0);
          m.fc2.weight.copy_(T([[10 ** (i + 1), 0], [0, 10 ** (i + 1)]]));
          m.fc2.bias!.fill_(0);
        });
      });
      return moe;
    }
    const sm = (a: number, b: number) => Math.exp(a) / (Math.exp(a) + Math.exp(b));

    it('top-1 (Switch) routes each token to its most probable expert, gate = that probability', () => {
      const moe = identityMoE({ k: 1 });
      const x = T([[2, 1], [0.5, 3], [1, 1.5]]);
      const y = moe.forward(x);
      assert.deepEqual([...moe.lastRouting!.expert], [0, 1, 1]);
      assert.deepEqual(moe.tokensPerExpert(), [1, 2]);
      // token 0 → expert 0 (×10) with p = σ(2 − 1); tokens 1, 2 → expert 1 (×100)
      assertClose(y, [10 * 2 * sm(2, 1), 10 * 1 * sm(2, 1), 100 * 0.5 * sm(3, 0.5), 100 * 3 * sm(3, 0.5), 100 * 1 * sm(1.5, 1), 100 * 1.5 * sm(1.5, 1)], { rtol: 1e-5 });
    });

    it('top-2 (GShard) mixes both experts with renormalised gates that sum to 1', () => {
      const moe = identityMoE({ k: 2 });
      const x = T([[2, 1], [0.5, 3]]);
      const y = moe.forward(x);
      assert.deepEqual([...moe.lastRouting!.expert], [0, 1, 1, 0]);
      // with both experts chosen the renormalised gates are the probabilities themselves
      const p0 = sm(2, 1), p1 = sm(3, 0.5);
      assertClose(y, [(10 * p0 + 100 * (1 - p0)) * 2, (10 * p0 + 100 * (1 - p0)) * 1, (100 * p1 + 10 * (1 - p1)) * 0.5, (100 * p1 + 10 * (1 - p1)) * 3], { rtol: 1e-5 });
      // 3 experts, k = 2: the two best gates divided by their sum
      const r = nn.moeForward(T([[1, 1]]), T([[Math.log(1), Math.log(2), Math.log(5)]]), (_e, xe) => xe, { k: 2 });
      assertClose(r.gates, [5 / 7, 2 / 7], { atol: 1e-6 });
      assert.deepEqual([...r.routing.expert], [2, 1]);
    });

    it('the load-balancing loss is E·Σ f_i·P_i: a hand-worked example, and 1 when routing is balanced', () => {
      const moe = identityMoE({ k: 1 });
      // 4 tokens, first choices 0, 0, 0, 1: f = [3/4, 1/4]; P = mean of the softmax rows
      const x = T([[1, 0], [2, 0], [0, 0.5], [0, 1]]);
      moe.forward(x);
      const p = [sm(1, 0), sm(2, 0), sm(0, 0.5), sm(0, 1)];
      const P0 = p.reduce((a, b) => a + b) / 4, P1 = 1 - P0;
      // third token: p0 = σ(−0.5) < ½, so it goes to expert 1: first choices 0, 0, 1, 1
      assert.deepEqual([...moe.lastRouting!.expert], [0, 0, 1, 1]);
      assertClose([moe.auxLoss()!.item()], [2 * (0.5 * P0 + 0.5 * P1)], { rtol: 1e-5 });
      // perfectly balanced: each expert gets half the tokens with mirrored probabilities → 2·(½·½ + ½·½) = 1
      moe.forward(T([[3, 0], [0, 3]]));
      assertClose([moe.auxLoss()!.item()], [1], { atol: 1e-6 });
      // everything on expert 0 with probability q: 2·(1·q + 0) = 2q
      moe.forward(T([[3, 0], [3, 0]]));
      assertClose([moe.auxLoss()!.item()], [2 * sm(3, 0)], { rtol: 1e-5 });
      // a skewed example with unequal probabilities: f = [1, 0, 0], P = softmax([ln 4, ln 2, ln 2]) = [½, ¼, ¼] → 3·½
      const r = nn.moeForward(T([[1, 1]]), T([[Math.log(4), Math.log(2), Math.log(2)]]), (_e, xe) => xe);
      assertClose([r.auxLoss.item()], [1.5], { atol: 1e-6 });
    });

    it('capacity: choices beyond an expert\'s capacity are dropped, first choices before second choices', () => {
      // 4 tokens, k = 2, E = 2, capacity 2: first choices 0, 0, 0, 1 → expert 0 takes tokens 0, 1 and drops 2
      const r = nn.dispatchTopK(Int32Array.from([0, 1, 0, 1, 0, 1, 1, 0]), 4, 2, 2, 2);
      assert.deepEqual(r.slots, [[0, 2], [6, 1]]);
      assert.deepEqual([...r.kept], [1, 1, 1, 0, 0, 0, 1, 0]);
      assert.deepEqual(r.dropped, [2]);
      assert.equal(nn.expertCapacity(10, 2, 4, 1.25), 7);
      assert.equal(nn.expertCapacity(10, 1, 4, null), Infinity);
      // a dropped token passes through; with dropped: 'zero' it gets zeros
      const moe = identityMoE({ k: 1, capacityFactor: 0.5 }); // capacity ceil(0.5·1·2/2) = 1
      const x = T([[2, 1], [3, 1]]);
      const y = flat(moe.forward(x));
      assertClose(y.slice(2), [3, 1]);
      const moeZ = identityMoE({ k: 1, capacityFactor: 0.5, dropped: 'zero' });
      assertClose(flat(moeZ.forward(x)).slice(2), [0, 0]);
      assert.throws(() => nn.dispatchTopK(Int32Array.from([0, 3]), 2, 1, 2), /dispatchTopK: expert index 3 is out of range for 2 experts/);
      assert.throws(() => new nn.MixtureOfExperts(4, 2, { k: 3 }), /MixtureOfExperts: k must be an integer in 1..2/);
    });

    it('gradcheck (float64): the gradients reach the tokens, the router and the experts (k = 1 and k = 2)', () => {
      const g = new st.Generator(7);
      const r = (shape: number[]) => st.randn(shape, { generator: g, dtype: 'float64', backend: be });
      const x = r([5, 3]), wr = r([3, 3]), w1 = r([3, 4, 3]), b1 = r([3, 4]), w2 = r([3, 3, 4]), b2 = r([3, 3]);
      for (const k of [1, 2]) {
        gradcheck((x, wr, w1, b1, w2, b2) => {
          const res = nn.moeForward(x, st.linear(x, wr), (e, xe) => st.linear(st.gelu(st.linear(xe, w1.select(0, e), b1.select(0, e))), w2.select(0, e), b2.select(0, e)), { k });
          return [res.output, res.auxLoss];
        }, [x, wr, w1, b1, w2, b2], { name: `moe k=${k}`, atol: 1e-5, rtol: 1e-4 });
      }
    });

    it('a layer harness: shape, parameters, state dict round trip, one training step lowers loss + aux', () => {
      st.manualSeed(3);
      const moe = new nn.MixtureOfExperts(6, 4, { k: 2, hiddenFeatures: 5 }).to(be);
      assert.equal(moe.numParameters(), 6 * 4 + 4 * (6 * 5 + 5 + 5 * 6 + 6));
      const x = st.randn([2, 5, 6], { backend: be, generator: new st.Generator(1) });
      const target = st.randn([2, 5, 6], { backend: be, generator: new st.Generator(2) });
      const loss = () => st.mseLoss(moe.forward(x), target).add(moe.auxLoss()!.mul(0.01));
      const l0 = loss();
      assert.deepEqual(moe.forward(x).shape, [2, 5, 6]);
      const opt = new st.optim.SGD(moe.parameters(), { lr: 0.05 });
      l0.backward();
      assert.ok(flat(moe.router.weight.grad!).some((v) => v !== 0), 'the router learns');
      opt.step();
      assert.ok(loss().item() < l0.item());
      const fresh = new nn.MixtureOfExperts(6, 4, { k: 2, hiddenFeatures: 5 }).to(be);
      fresh.loadStateDict(moe.stateDict());
      assertClose(fresh.forward(x), moe.forward(x), { atol: 1e-6 });
    });
  });
}

describe('Trainer adds the models\' auxiliary losses', () => {
  /** A linear model with an auxiliary loss sum(a²) on its own parameter a. */
  class WithAux extends nn.Module {
    fc = new nn.Linear(2, 2);
    a = nn.Parameter(st.tensor([3, -1]));
    auxLoss(): st.Tensor {
      return this.a.square().sum();
    }
    forward(x: st.Tensor): st.Tensor {
      return this.fc.forward(x);
    }
  }
  const data = () => [{ x: st.tensor([[1, 2], [0, 1]]), y: st.tensor([0, 1], { dtype: 'int64' }) }];

  it('adds weight × auxLoss() to the loss, logs its mean as train_aux_loss, and leaves it out with weight 0', async () => {
    const m = new WithAux();
    const t = new st.train.Trainer({ model: m, optimizer: new st.optim.SGD(m.parameters(), { lr: 1 }), auxLossWeight: 0.5 });
    const [log] = await t.fit(data(), { epochs: 1 });
    // d(0.5·(a0² + a1²))/da = a: a ← a − 1·a = 0
    assertClose(m.a, [0, 0], { atol: 1e-7 });
    assert.equal(log.train_aux_loss, 10);
    assert.equal(st.train.auxLossOf(m)!.item(), 0);
    const m2 = new WithAux();
    const t2 = new st.train.Trainer({ model: m2, optimizer: new st.optim.SGD(m2.parameters(), { lr: 1 }), auxLossWeight: 0 });
    const [log2] = await t2.fit(data(), { epochs: 1 });
    assertClose(m2.a, [3, -1]);
    assert.equal(log2.train_aux_loss, undefined);
  });

  it('collects the MoE blocks of vit_moe_tiny (one per MoE block)', () => {
    const m = models.createModel('vit_moe_tiny', task(1, 28), { numLayers: 4, hiddenDim: 8, numHeads: 2 });
    m.forward(st.randn([2, 1, 28, 28]));
    const moes = [...m.modules()].filter((q) => q instanceof nn.MixtureOfExperts) as st.nn.MixtureOfExperts[];
    assert.equal(moes.length, 2);
    assertClose([st.train.auxLossOf(m)!.item()], [moes[0].auxLoss()!.item() + moes[1].auxLoss()!.item()], { rtol: 1e-6 });
  });
});
