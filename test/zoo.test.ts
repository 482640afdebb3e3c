// The convolutional model zoo: every family at a tiny width/depth (parameter counts against formulas written
// here from the papers, forward/backward/one SGD step on both backends, native-vs-js parity, state-dict round
// trip), torchvision's published sizes and costs for the full-size models (native only), ResNet-18's
// state-dict keys against torchvision's, and hand-checked values of the building blocks.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose, assertSameAfterLoad, backends, captureStdout, flat, hasNative, imageBatch as batch, imageTask as task, onBackend as on, st } from './helpers.js';
import { cmdSummary, defaultClasses } from '../src/cli/summary.js';

const { nn, models } = st;
type Stem = 'small' | 'imagenet';
type Task = st.models.ImageTask;

// ---- independent parameter formulas (from the papers' layer tables)

const conv = (cin: number, cout: number, k: number, opts: { bias?: boolean; groups?: number } = {}) =>
  (cin / (opts.groups ?? 1)) * cout * k * k + (opts.bias ? cout : 0);
const bn = (c: number) => 2 * c;
const lin = (i: number, o: number) => i * o + o;

/** torchvision ResNet: stem, four stages (stride 2 from the second), projection shortcuts where the shape changes, fc. */
function resnetParams(inC: number, classes: number, stem: Stem, w: number, layers: number[], bottleneck: boolean, seR = 0): number {
  let p = conv(inC, w, stem === 'imagenet' ? 7 : 3) + bn(w);
  const exp = bottleneck ? 4 : 1;
  let inp = w;
  layers.forEach((n, s) => {
    const planes = w * 2 ** s;
    for (let i = 0; i < n; i++) {
      const stride = s > 0 && i === 0 ? 2 : 1;
      p += bottleneck
        ? conv(inp, planes, 1) + bn(planes) + conv(planes, planes, 3) + bn(planes) + conv(planes, 4 * planes, 1) + bn(4 * planes)
        : conv(inp, planes, 3) + bn(planes) + conv(planes, planes, 3) + bn(planes);
      if (seR) {
        const c = planes * exp, h = Math.max(1, Math.floor(c / seR));
        p += lin(c, h) + lin(h, c);
      }
      if (stride !== 1 || inp !== planes * exp) p += conv(inp, planes * exp, 1) + bn(planes * exp);
      inp = planes * exp;
    }
  });
  return p + lin(inp, classes);
}

/** He et al. §4.2 with n = 1 and width w: three basic blocks (w, 2w, 4w); option B adds two 1×1 conv + BN projections. */
function cifarResnetParams(inC: number, classes: number, stem: Stem, w: number, shortcut: 'A' | 'B'): number {
  const block = (i: number, o: number) => conv(i, o, 3) + bn(o) + conv(o, o, 3) + bn(o);
  let p = conv(inC, w, stem === 'imagenet' ? 7 : 3) + bn(w) + block(w, w) + block(w, 2 * w) + block(2 * w, 4 * w);
  if (shortcut === 'B') p += conv(w, 2 * w, 1) + bn(2 * w) + conv(2 * w, 4 * w, 1) + bn(4 * w);
  return p + lin(4 * w, classes);
}

/** WRN-10-k at base width w (n = 1): pre-activation blocks with 1×1 shortcut convs where the width changes. */
function wrnParams(inC: number, classes: number, stem: Stem, w: number, k: number): number {
  const block = (i: number, o: number) => bn(i) + conv(i, o, 3) + bn(o) + conv(o, o, 3) + (i !== o ? conv(i, o, 1) : 0);
  const c = [w, w * k, 2 * w * k, 4 * w * k];
  return conv(inC, w, stem === 'imagenet' ? 7 : 3) + block(c[0], c[1]) + block(c[1], c[2]) + block(c[2], c[3]) + bn(c[3]) + lin(c[3], classes);
}

/** DenseNet: stem, dense layers (BN-ReLU-1×1-BN-ReLU-3×3 with a bottleneck, BN-ReLU-3×3 without), transitions ⌊θ·C⌋, final BN, classifier. */
function densenetParams(inC: number, classes: number, stem: Stem, k: number, blocks: number[], init: number, bnSize: number, theta: number): number {
  let p = conv(inC, init, stem === 'imagenet' ? 7 : 3) + (stem === 'imagenet' ? bn(init) : 0);
  let c = init;
  blocks.forEach((n, b) => {
    for (let i = 0; i < n; i++) {
      const ci = c + i * k;
      p += bn(ci) + (bnSize ? conv(ci, bnSize * k, 1) + bn(bnSize * k) + conv(bnSize * k, k, 3) : conv(ci, k, 3));
    }
    c += n * k;
    if (b < blocks.length - 1) {
      const out = Math.floor(c * theta);
      p += bn(c) + conv(c, out, 1);
      c = out;
    }
  });
  return p + bn(c) + lin(c, classes);
}

/** MobileNetV1 at α = 1/8: Table 1's widths divided by 8. */
function mobilenetV1Params(inC: number, classes: number): number {
  const ds = (i: number, o: number) => conv(i, i, 3, { groups: i }) + bn(i) + conv(i, o, 1) + bn(o);
  const widths = [4, 8, 16, 16, 32, 32, 64, 64, 64, 64, 64, 64, 128, 128];
  let p = conv(inC, 4, 3) + bn(4);
  for (let i = 1; i < widths.length; i++) p += ds(widths[i - 1], widths[i]);
  return p + lin(128, classes);
}

/**
 * The tiny MobileNetV2 below (width 1/4, rounding to 4, rows [1,16,1,1], [6,24,2,2], [6,32,1,2], last 32):
 * stem 8 channels, blocks 8→4 (t=1), 4→8, 8→8, 8→8 (t=6), last conv 8→32. Channels worked out by hand:
 * 32/4 = 8, 16/4 = 4, 24/4 = 6 → 8 (nearest multiple of 4, rounding half up), 32/4 = 8.
 */
function mobilenetV2Params(inC: number, classes: number): number {
  const ir = (i: number, o: number, t: number) => {
    const h = i * t;
    return (t !== 1 ? conv(i, h, 1) + bn(h) : 0) + conv(h, h, 3, { groups: h }) + bn(h) + conv(h, o, 1) + bn(o);
  };
  return conv(inC, 8, 3) + bn(8) + ir(8, 4, 1) + ir(4, 8, 6) + ir(8, 8, 6) + ir(8, 8, 6) + conv(8, 32, 1) + bn(32) + lin(32, classes);
}

/** ShuffleNet V2 with channels [8, 8, 16, 32, 32] and repeats [1, 2, 1]. */
function shufflenetParams(inC: number, classes: number): number {
  const down = (i: number, o: number) => {
    const b = o / 2;
    return conv(i, i, 3, { groups: i }) + bn(i) + conv(i, b, 1) + bn(b) // branch1
      + conv(i, b, 1) + bn(b) + conv(b, b, 3, { groups: b }) + bn(b) + conv(b, b, 1) + bn(b); // branch2
  };
  const keep = (c: number) => {
    const b = c / 2;
    return conv(b, b, 1) + bn(b) + conv(b, b, 3, { groups: b }) + bn(b) + conv(b, b, 1) + bn(b);
  };
  return conv(inC, 8, 3) + bn(8) + down(8, 8) + down(8, 16) + keep(16) + down(16, 32) + conv(32, 32, 1) + bn(32) + lin(32, classes);
}

/** GoogLeNet at width 1/16: Szegedy et al.'s Table 1 divided by 16 and rounded (half up, at least 1) by hand. */
const GOOGLENET_16: number[][] = [
  [4, 6, 8, 1, 2, 2], [8, 8, 12, 2, 6, 4],
  [12, 6, 13, 1, 3, 4], [10, 7, 14, 2, 4, 4], [8, 8, 16, 2, 4, 4], [7, 9, 18, 2, 4, 4], [16, 10, 20, 2, 8, 8],
  [16, 10, 20, 2, 8, 8], [24, 12, 24, 3, 8, 8],
];
function googlenetParams(inC: number, classes: number, stem: Stem, k5: number): number {
  const bc = (i: number, o: number, k: number) => conv(i, o, k) + bn(o);
  let p = bc(inC, 4, stem === 'imagenet' ? 7 : 3) + bc(4, 4, 1) + bc(4, 12, 3);
  let c = 12;
  for (const [a, b, d, e, f, g] of GOOGLENET_16) {
    p += bc(c, a, 1) + bc(c, b, 1) + bc(b, d, 3) + bc(c, e, 1) + bc(e, f, k5) + bc(c, g, 1);
    c = a + d + f + g;
  }
  return p + lin(c, classes);
}

/** VGG at width 1/16 (64 → 4 … 512 → 32): 3×3 convs with bias [+ BN]; the small head is one linear layer, the ImageNet head three (hidden 4096/16). */
function vggParams(inC: number, classes: number, stem: Stem, widths: number[], batchNorm: boolean): number {
  let p = 0, c = inC;
  for (const o of widths) {
    p += conv(c, o, 3, { bias: true }) + (batchNorm ? bn(o) : 0);
    c = o;
  }
  return p + (stem === 'imagenet' ? lin(c * 49, 256) + lin(256, 256) + lin(256, classes) : lin(c, classes));
}

interface Case {
  name: string;
  model: string;
  config: Record<string, unknown>;
  params(inC: number, classes: number, stem: Stem): number;
}

const CASES: Case[] = [
  { name: 'ResNet (basic blocks)', model: 'resnet18', config: { width: 4, layers: [1, 1, 1, 1] }, params: (c, k, s) => resnetParams(c, k, s, 4, [1, 1, 1, 1], false) },
  { name: 'ResNet (bottlenecks)', model: 'resnet50', config: { width: 2, layers: [1, 2, 1, 1] }, params: (c, k, s) => resnetParams(c, k, s, 2, [1, 2, 1, 1], true) },
  { name: 'SE-ResNet', model: 'se_resnet18', config: { width: 8, layers: [1, 1, 1, 1], seReduction: 4 }, params: (c, k, s) => resnetParams(c, k, s, 8, [1, 1, 1, 1], false, 4) },
  { name: 'CIFAR ResNet-8, option A', model: 'resnet20', config: { depth: 8, width: 4 }, params: (c, k, s) => cifarResnetParams(c, k, s, 4, 'A') },
  { name: 'CIFAR ResNet-8, option B', model: 'resnet56', config: { depth: 8, width: 4, shortcut: 'B' }, params: (c, k, s) => cifarResnetParams(c, k, s, 4, 'B') },
  { name: 'WRN-10-2', model: 'wrn28_10', config: { depth: 10, widen: 2, width: 4 }, params: (c, k, s) => wrnParams(c, k, s, 4, 2) },
  { name: 'DenseNet-BC', model: 'densenet121', config: { growthRate: 4, blockConfig: [2, 2], numInitFeatures: 8, bnSize: 2 }, params: (c, k, s) => densenetParams(c, k, s, 4, [2, 2], 8, 2, 0.5) },
  { name: 'DenseNet (no B, no C)', model: 'densenet_bc_100', config: { growthRate: 3, blockConfig: [2, 1, 2], numInitFeatures: 5, bnSize: 0, compression: 1 }, params: (c, k, s) => densenetParams(c, k, s, 3, [2, 1, 2], 5, 0, 1) },
  { name: 'MobileNetV1', model: 'mobilenet_v1', config: { widthMult: 0.125 }, params: (c, k) => mobilenetV1Params(c, k) },
  {
    name: 'MobileNetV2', model: 'mobilenet_v2',
    config: { widthMult: 0.25, roundNearest: 4, invertedResidualSetting: [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 1, 2]], lastChannel: 32, dropout: 0 },
    params: (c, k) => mobilenetV2Params(c, k),
  },
  { name: 'ShuffleNet V2', model: 'shufflenet_v2_x1_0', config: { stagesOutChannels: [8, 8, 16, 32, 32], stagesRepeats: [1, 2, 1] }, params: (c, k) => shufflenetParams(c, k) },
  { name: 'GoogLeNet', model: 'googlenet', config: { widthMult: 1 / 16, dropout: 0 }, params: (c, k, s) => googlenetParams(c, k, s, 5) },
  { name: 'VGG-11 with batch norm', model: 'vgg11_bn', config: { widthMult: 1 / 16, dropout: 0 }, params: (c, k, s) => vggParams(c, k, s, [4, 8, 16, 16, 32, 32, 32, 32], true) },
  { name: 'VGG-16', model: 'vgg16', config: { widthMult: 1 / 16, dropout: 0 }, params: (c, k, s) => vggParams(c, k, s, [4, 4, 8, 8, 16, 16, 16, 32, 32, 32, 32, 32, 32], false) },
];


const build = (cs: Case, t: Task, extra: Record<string, unknown> = {}) => models.createModel(cs.model, t, { ...cs.config, ...extra });


describe('model zoo: tiny models', () => {
  for (const cs of CASES) {
    it(`${cs.name}: parameter count equals the formula for 1×28×28, 3×32×32 and 3×224×224 tasks`, () => {
      on('js', () => {
        for (const [c, h, classes, stem] of [[1, 28, 10, 'small'], [3, 32, 10, 'small'], [3, 224, 1000, 'imagenet']] as const) {
          const m = build(cs, task(c, h, classes));
          assert.equal(m.numParameters(), cs.params(c, classes, stem), `${cs.model} ${c}×${h}×${h}`);
          m.dispose();
        }
      });
    });

    for (const be of backends()) {
      it(`${cs.name} on ${be}: forward and backward on 1×28×28, one SGD step lowers the loss, state dict round trip`, () => {
        st.manualSeed(11);
        const m = on(be, () => build(cs, task(1, 28)));
        const { x, y } = batch(be, 4, 1, 28, 3);
        const out = m.forward(x);
        assert.deepEqual(out.shape, [4, 10]);
        const loss = st.crossEntropy(out, y);
        loss.backward();
        for (const [k, p] of m.namedParameters()) {
          assert.ok(p.grad, `${k} has a gradient`);
          assert.ok(flat(p.grad).every(Number.isFinite), `${k}'s gradient is finite`);
        }
        assert.ok(m.parameters().some((p) => flat(p.grad!).some((v) => v !== 0)), 'some gradient is non-zero');
        const opt = new st.optim.SGD(m.parameters(), { lr: 0.02 });
        opt.step();
        const after = st.noGrad(() => st.crossEntropy(m.forward(x), y).item());
        assert.ok(after < loss.item(), `loss ${loss.item()} → ${after}`);
        // save → load into a fresh instance → same outputs (eval mode)
        assertSameAfterLoad(m, on(be, () => build(cs, task(1, 28))), x);
      });
    }

    it(`${cs.name}: 3×32×32 (small stem) and 3×64×64 (ImageNet stem) forward passes`, () => {
      const be = hasNative() ? 'native' : 'js';
      for (const [h, stem] of [[32, 'small'], [64, 'imagenet']] as const) {
        const m = on(be, () => build(cs, task(3, h, 7), { stem }));
        assert.equal(m.numParameters(), cs.params(3, 7, stem));
        const out = m.forward(batch(be, 2, 3, h, 5).x);
        assert.deepEqual(out.shape, [2, 7]);
        assert.ok(flat(out).every(Number.isFinite));
        m.dispose();
      }
    });

    it(`${cs.name}: native matches js with the same weights (eval outputs, training-mode gradients)`, { skip: !hasNative() && 'native backend not built' }, () => {
      st.manualSeed(5);
      const a = on('js', () => build(cs, task(1, 28)));
      const b = on('native', () => build(cs, task(1, 28)));
      b.loadStateDict(a.stateDict());
      const { x, y } = batch('js', 4, 1, 28, 9);
      const xn = x.to('native'), yn = y.to('native');
      a.eval();
      b.eval();
      st.noGrad(() => assertClose(flat(b.forward(xn)), flat(a.forward(x)), { atol: 1e-4, rtol: 1e-3 }, 'eval output'));
      a.train();
      b.train();
      st.crossEntropy(a.forward(x), y).backward();
      st.crossEntropy(b.forward(xn), yn).backward();
      const pa = [...a.namedParameters()], pb = [...b.namedParameters()];
      pa.forEach(([k, p], i) => {
        const ga = flat(p.grad!), gb = flat(pb[i][1].grad!);
        const scale = Math.max(1e-3, ...ga.map(Math.abs));
        assertClose(gb.map((v) => v / scale), ga.map((v) => v / scale), { atol: 2e-3, rtol: 0 }, `grad of ${k}`);
      });
      a.dispose();
      b.dispose();
    });
  }
});

describe('model zoo: torchvision figures for the full-size models (1000 classes, 3×224×224)', () => {
  const skip = !hasNative() && 'native backend not built (a 224×224 forward on js is slow)';
  // torchvision's model tables: num_params and _ops (GFLOPS counted as one multiply-add = one op, convolutions and linear layers)
  const FIGURES: [string, Record<string, unknown>, number, string][] = [
    ['resnet18', {}, 11_689_512, '1.814'],
    ['resnet50', {}, 25_557_032, '4.089'],
    ['mobilenet_v2', {}, 3_504_872, '0.301'],
    ['densenet121', {}, 7_978_856, '2.834'],
    ['shufflenet_v2_x1_0', {}, 2_278_604, '0.145'],
    ['googlenet', { branch3Kernel: 3 }, 6_624_904, '1.498'],
  ];
  for (const [name, config, params, gmacs] of FIGURES) {
    it(`${name}${Object.keys(config).length ? ' ' + JSON.stringify(config) : ''}: ${params.toLocaleString('en-US')} parameters, ${gmacs} G multiply-adds`, { skip }, () => {
      const m = on('native', () => models.createModel(name, task(3, 224, 1000), config));
      const s = st.lab.summary(m, [3, 224, 224]);
      assert.equal(s.params, params);
      assert.equal(m.numParameters(), params);
      assert.equal((s.macs / 1e9).toFixed(3), gmacs);
      m.dispose();
    });
  }

  it('`strata summary --model resnet18 --input 3x224x224 --json`: 1000 classes by default, 1,814,073,344 multiply-adds, the layer-by-layer sum', { skip }, () => {
    // conv1 7×7: 112²·64·3·49; layer1: four 3×3 64→64 convs at 56²; layers 2–4: a strided 3×3 conv
    // (C→2C), three 3×3 2C→2C convs and a strided 1×1 projection at the halved size; fc 512·1000
    const stage = (hw: number, c: number) => hw * hw * 2 * c * c * 9 + 3 * hw * hw * 2 * c * 2 * c * 9 + hw * hw * 2 * c * c;
    const expected = 112 * 112 * 64 * 3 * 49 + 4 * 56 * 56 * 64 * 64 * 9 + stage(28, 64) + stage(14, 128) + stage(7, 256) + 512 * 1000;
    assert.equal(expected, 1_814_073_344);
    const text = captureStdout(() => assert.equal(cmdSummary(['--model', 'resnet18', '--input', '3x224x224', '--json']), 0));
    const j = JSON.parse(text);
    assert.equal(j.classes, 1000);
    assert.equal(j.params, 11_689_512);
    assert.equal(j.macs, expected);
    assert.deepEqual(j.input, [3, 224, 224]);
    assert.equal(defaultClasses(28, 28), 10);
    assert.equal(defaultClasses(32, 32), 10);
    assert.equal(defaultClasses(224, 224), 1000);
  });

  it('SE-ResNet-50 has 28,088,024 parameters (Hu et al., 2018: 28.1 M)', () => {
    const m = models.createModel('se_resnet50', task(3, 224, 1000));
    assert.equal(m.numParameters(), 28_088_024);
    assert.equal(m.numParameters(), resnetParams(3, 1000, 'imagenet', 64, [3, 4, 6, 3], true, 16));
    m.dispose();
  });
});

describe('model zoo: ResNet-18 state dict against torchvision', () => {
  // torchvision/models/resnet.py: ResNet.conv1, bn1, layer1..4 (Sequential of BasicBlock: conv1, bn1, conv2,
  // bn2, downsample = Sequential(conv1x1, BatchNorm2d) in layer2.0, layer3.0, layer4.0), fc
  const bnKeys = (p: string) => [`${p}.weight`, `${p}.bias`, `${p}.running_mean`, `${p}.running_var`, `${p}.num_batches_tracked`];
  const TORCHVISION_KEYS: Record<string, string[]> = {
    stem: ['conv1.weight', ...bnKeys('bn1')],
    'layer1.0.': ['layer1.0.conv1.weight', ...bnKeys('layer1.0.bn1'), 'layer1.0.conv2.weight', ...bnKeys('layer1.0.bn2')],
    'layer2.0.': [
      'layer2.0.conv1.weight', ...bnKeys('layer2.0.bn1'), 'layer2.0.conv2.weight', ...bnKeys('layer2.0.bn2'),
      'layer2.0.downsample.0.weight', ...bnKeys('layer2.0.downsample.1'),
    ],
    'layer4.1.': ['layer4.1.conv1.weight', ...bnKeys('layer4.1.bn1'), 'layer4.1.conv2.weight', ...bnKeys('layer4.1.bn2')],
    'fc.': ['fc.weight', 'fc.bias'],
  };
  it('has the same keys, in the same order, with the same shapes', () => {
    const m = models.createModel('resnet18', task(3, 224, 1000));
    const sd = m.stateDict();
    const keys = Object.keys(sd);
    assert.equal(keys.length, 122, '62 parameters and 20 batch norms × 3 buffers');
    assert.equal([...m.namedParameters()].length, 62);
    assert.deepEqual(keys.slice(0, 6), TORCHVISION_KEYS.stem);
    for (const [prefix, expected] of Object.entries(TORCHVISION_KEYS)) {
      if (prefix === 'stem') continue;
      assert.deepEqual(keys.filter((k) => k.startsWith(prefix)), expected, prefix);
    }
    assert.deepEqual(keys.filter((k) => k.includes('downsample')).map((k) => k.split('.')[0]), [...Array(6).fill('layer2'), ...Array(6).fill('layer3'), ...Array(6).fill('layer4')]);
    assert.deepEqual(sd['conv1.weight'].shape, [64, 3, 7, 7]);
    assert.deepEqual(sd['layer2.0.downsample.0.weight'].shape, [128, 64, 1, 1]);
    assert.deepEqual(sd['layer4.1.conv2.weight'].shape, [512, 512, 3, 3]);
    assert.deepEqual(sd['fc.weight'].shape, [1000, 512]);
    m.dispose();
  });
});

for (const be of backends()) {
  describe(`model zoo building blocks on ${be}`, () => {
    const T = (v: st.NestedArray) => st.tensor(v, { backend: be });
    const seq = (shape: number[]) => st.arange(0, shape.reduce((a, b) => a * b, 1), 1, { backend: be, dtype: 'float32' }).reshape(shape);

    it('channelShuffle interleaves the groups', () => {
      // channels 0..5 as two groups [0,1,2] [3,4,5] → 0,3,1,4,2,5
      const x = seq([1, 6, 1, 1]);
      assertClose(models.channelShuffle(x, 2), [0, 3, 1, 4, 2, 5]);
      assertClose(models.channelShuffle(x, 3), [0, 2, 4, 1, 3, 5]);
      assert.throws(() => models.channelShuffle(x, 4), /channelShuffle: expected \[N, C, H, W\] with C divisible by 4/);
    });

    it("option-A shortcut subsamples and zero-pads channels on both sides", () => {
      const x = seq([1, 2, 2, 2]); // channel 0: [[0,1],[2,3]], channel 1: [[4,5],[6,7]]
      const y = new models.ZeroPadShortcut(2, 4, 2).forward(x);
      assert.deepEqual(y.shape, [1, 4, 1, 1]);
      assertClose(y, [0, 0, 4, 0]);
      assertClose(new models.ZeroPadShortcut(2, 5, 1).forward(x), [...Array(4).fill(0), 0, 1, 2, 3, 4, 5, 6, 7, ...Array(8).fill(0)]);
    });

    it('squeeze-and-excitation scales each channel by σ(fc2(relu(fc1(mean))))', () => {
      const se = new models.SqueezeExcitation(2, 2).to(be);
      assert.equal(se.numParameters(), 2 * 1 + 1 + 1 * 2 + 2);
      st.noGrad(() => {
        se.fc1.weight.copy_(T([[1, 1]]));
        se.fc1.bias!.fill_(0);
        se.fc2.weight.copy_(T([[1], [-1]]));
        se.fc2.bias!.copy_(T([0, 0]));
      });
      const x = seq([1, 2, 1, 2]); // means 0.5 and 2.5; hidden relu(3) = 3; gates σ(3), σ(−3)
      const s = (v: number) => 1 / (1 + Math.exp(-v));
      assertClose(se.forward(x), [0, s(3), 2 * s(-3), 3 * s(-3)]);
    });

    it('ReLU6 and Hardtanh clamp and pass gradients inside the range', () => {
      const x = T([-2, 0.5, 3, 7]).requiresGrad_();
      const y = new nn.ReLU6().forward(x);
      assertClose(y, [0, 0.5, 3, 6]);
      y.sum().backward();
      assertClose(x.grad!, [0, 1, 1, 0]);
      assertClose(new nn.Hardtanh(-1, 2).forward(T([-3, -0.5, 1, 5])), [-1, -0.5, 1, 2]);
      assert.throws(() => new nn.Hardtanh(1, 1), /Hardtanh: minVal \(1\) must be less than maxVal \(1\)/);
    });

    it('a dense block keeps its input as the first channels and adds k per layer', () => {
      const blk = new models.DenseBlock(3, 2, 2, 4).to(be);
      const x = st.randn([2, 2, 5, 5], { backend: be });
      const y = blk.forward(x);
      assert.deepEqual(y.shape, [2, 2 + 3 * 4, 5, 5]);
      assertClose(y.slice(1, 0, 2), x);
      assert.deepEqual([...blk.namedChildren()].map(([k]) => k), ['denselayer1', 'denselayer2', 'denselayer3']);
    });

    it('an Inception block concatenates its four branches in order', () => {
      const inc = new models.Inception(3, 2, 2, 3, 1, 4, 5).to(be).eval();
      const x = st.randn([1, 3, 6, 6], { backend: be });
      const y = inc.forward(x);
      assert.deepEqual(y.shape, [1, 2 + 3 + 4 + 5, 6, 6]);
      assertClose(y.slice(1, 0, 2), inc.branch1.forward(x));
      assertClose(y.slice(1, 5, 9), inc.branch3.forward(x));
      assertClose(y.slice(1, 9, 14), inc.branch4.forward(x));
      assert.deepEqual((inc.branch3.at(1) as st.models.BasicConv2d).conv.weight.shape, [4, 1, 5, 5]);
    });

    it('a depthwise-separable conv costs C·9 + C·C′ multiply-adds per output pixel', () => {
      const m = new models.DepthwiseSeparableConv(4, 6, 2).to(be);
      const s = st.lab.summary(m, [4, 8, 8]);
      assert.equal(s.macs, 4 * 4 * (4 * 9 + 4 * 6));
      assert.equal(s.params, 4 * 9 + 2 * 4 + 4 * 6 + 2 * 6);
    });
  });
}

describe('model zoo: configuration', () => {
  it('chooses the stem from the input size unless told', () => {
    assert.equal(models.stemFor('m', task(1, 28), {}), 'small');
    assert.equal(models.stemFor('m', task(3, 64), {}), 'small');
    assert.equal(models.stemFor('m', task(3, 96), {}), 'imagenet');
    assert.equal(models.stemFor('m', task(3, 224), { stem: 'small' }), 'small');
    assert.throws(() => models.stemFor('m', task(3, 32), { stem: 'big' }), /m: config.stem must be 'auto', 'imagenet' or 'small', got "big"/);
    const r = models.resnet18(task(3, 224, 1000), { width: 2, layers: [1, 1, 1, 1] });
    assert.ok(r.maxpool !== null);
    assert.deepEqual(r.conv1.weight.shape, [2, 3, 7, 7]);
    const c = models.resnet18(task(3, 32), { width: 2, layers: [1, 1, 1, 1] });
    assert.equal(c.maxpool, null);
    assert.deepEqual(c.conv1.weight.shape, [2, 3, 3, 3]);
  });

  it('rejects impossible configurations with the model and the fix', () => {
    assert.throws(() => models.resnet20(task(3, 32), { depth: 21 }), /resnet20: config.depth must be 6n \+ 2/);
    assert.throws(() => models.wrn28_10(task(3, 32), { depth: 27 }), /wrn28_10: config.depth must be 6n \+ 4/);
    assert.throws(() => models.vgg11(task(3, 32), { depth: 12 }), /vgg11: config.depth must be 11, 13, 16 or 19/);
    assert.throws(() => models.shufflenetV2x1_0(task(3, 32), { scale: 0.75 }), /config.scale must be 0.5, 1, 1.5 or 2/);
    assert.throws(() => models.resnet18(task(3, 32), { layers: [2, 2, 2] }), /resnet18: config.layers must be a list of 4 positive integers/);
    assert.throws(() => models.resnet18(task(3, 32), { width: 0 }), /resnet18: config.width must be an integer ≥ 1, got 0/);
    assert.throws(() => models.createModel('resnet19', task(3, 32)), /unknown model 'resnet19'/);
  });

  it('registers every family under its torchvision-style name', () => {
    const names = models.modelNames();
    for (const n of ['resnet18', 'resnet34', 'resnet50', 'resnet20', 'resnet56', 'wrn28_10', 'se_resnet18', 'se_resnet50', 'densenet121', 'densenet_bc_100', 'mobilenet_v1', 'mobilenet_v2', 'shufflenet_v2_x0_5', 'shufflenet_v2_x1_0', 'shufflenet_v2_x1_5', 'shufflenet_v2_x2_0', 'googlenet', 'vgg11', 'vgg11_bn', 'vgg16', 'vgg16_bn']) {
      assert.ok(names.includes(n), n);
    }
  });

  it('zero-initialises the last batch norm of every residual branch on request', () => {
    const m = models.resnet50(task(3, 32), { width: 2, layers: [1, 1, 1, 1], zeroInitResidual: true });
    const bn3 = [...m.namedParameters()].filter(([k]) => /layer\d\.\d\.bn3\.weight$/.test(k));
    assert.equal(bn3.length, 4);
    for (const [, p] of bn3) assert.ok(flat(p).every((v) => v === 0));
    const other = [...m.namedParameters()].filter(([k]) => /layer\d\.\d\.bn[12]\.weight$/.test(k));
    assert.equal(other.length, 8);
    for (const [, p] of other) assert.ok(flat(p).every((v) => v === 1));
  });
});
