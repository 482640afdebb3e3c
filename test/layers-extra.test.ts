// Layers from issue 12 (conv paddingMode, InstanceNorm2d, EmbeddingBag, nn.Transformer, PReLU, …) against PyTorch 1.13:
// REF holds the outputs of test/reference/layers-extra.py (float64), written literally.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { assertClose, backends, checkModule, gradcheck, onBackend, throwsWith } from './helpers.js';

// prettier-ignore
const REF: Record<string, number[] | string[] | number> = {
  conv2d_reflect: [-0.2744311477, 0.0904905771, 0.19177659, -0.1385769233, -0.4213314879, -0.4116844419, -0.3679299994, 0.7239032228, 0.5496308766, 0.2224217658, 0.0277340889, -0.2452154976, -0.4769481797, -0.252951668, -0.2486413296, -0.3690048408, -0.0363280899, 0.1943076282, 0.220621903, 0.5047522229, 0.7238660831, -0.1108854215, 0.2170982221, 0.2897730238, 0.0312700995, -0.3081707167, -0.4525139486, -0.4551482466, -0.305941032, 0.0580688221, 0.1711183104, -0.1481528248, -0.4309770544, -0.4197948139, -0.376244221, 0.7018128866, 0.5354164533, 0.2023548918, 0.0008203471, -0.2770072186, -0.5193206744, -0.302938181, -0.2481569105, -0.3791785562, -0.0549952749, 0.1778598136, 0.2004419425, 0.4771507961, 0.7013408679, -0.1479148004, 0.1786348726, 0.2621075354, 0.0173901471, -0.3161599565, -0.4587234603, -0.4664697264, -0.2901900703, 0.0724962801, 0.1971814042, -0.1106463117, -0.3932203806, -0.3805155907, -0.3372180957, 0.7258437991, 0.5675114447, 0.2289740681, 0.0208205567, -0.2615708127, -0.5141910272, -0.3056672438, -0.2004769894, -0.3420086065, -0.0266853906, 0.2081257491, 0.2269501954, 0.4959246724, 0.7249374351, -0.137862034, 0.1868843967, 0.2810605273, 0.0504054084, -0.2768767945, -0.4174993553, -0.4303488296],
  conv2d_reflect_shape: [1, 3, 4, 7],
  conv2d_replicate: [0.5294311166, 0.3588265307, -0.0388147138, -0.48265078, -0.6184996624, -0.5443113232, -0.4517950155, 0.4175091751, 0.3713693698, 0.2224217658, 0.0277340889, -0.2452154976, -0.5479755736, -0.7468093862, -0.6851897088, -0.4175950883, -0.0363280899, 0.1943076282, 0.220621903, 0.2673165971, 0.3058022282, -0.3712012916, -0.249739108, 0.0276521584, 0.2475870775, 0.2228797284, 0.1636407642, 0.1726606483, 0.5066355239, 0.3401228167, -0.0534655264, -0.5011771152, -0.6452800537, -0.5726605506, -0.4770445314, 0.4123272614, 0.359863778, 0.2023548918, 0.0008203471, -0.2770072186, -0.5839357007, -0.7839274329, -0.703927016, -0.4365897392, -0.0549952749, 0.1778598136, 0.2004419425, 0.2371593745, 0.267298876, -0.4170427522, -0.2937165481, -0.0088535, 0.2252429929, 0.2132078807, 0.1584962017, 0.1664302294, 0.5301818921, 0.367949361, -0.0211409995, -0.4722218258, -0.6244158646, -0.5534473179, -0.4548397125, 0.4535939551, 0.3948661208, 0.2289740681, 0.0208205567, -0.2615708127, -0.5723206174, -0.7732441127, -0.6749534231, -0.4081758028, -0.0266853906, 0.2081257491, 0.2269501954, 0.2536488442, 0.2754081334, -0.4154977297, -0.290446966, 0.0015657323, 0.2495590759, 0.2502098104, 0.2000872861, 0.2069264853],
  conv2d_replicate_shape: [1, 3, 4, 7],
  conv2d_circular: [-0.2222523272, -0.1095566998, -0.2118226572, -0.5125398091, -0.4826503558, -0.2222523272, -0.1095566998, 0.0509251583, 0.2662139245, 0.2224217658, 0.0277340889, -0.2452154976, 0.0509251583, 0.2662139245, 0.1131587434, 0.0274937057, -0.0363280899, 0.1943076282, 0.220621903, 0.1131587434, 0.0274937057, -0.2432023337, -0.4867219867, -0.2780557215, -0.0122969452, 0.2054946101, -0.2432023337, -0.4867219867, -0.2560127162, -0.1374504121, -0.2348969463, -0.5405095811, -0.5127475395, -0.2560127162, -0.1374504121, 0.0145116943, 0.2349434153, 0.2023548918, 0.0008203471, -0.2770072186, 0.0145116943, 0.2349434153, 0.0973808976, 0.0109260274, -0.0549952749, 0.1778598136, 0.2004419425, 0.0973808976, 0.0109260274, -0.2544959675, -0.508209761, -0.3134961832, -0.038256221, 0.1902630879, -0.2544959675, -0.508209761, -0.2425687195, -0.1182738124, -0.2107907282, -0.5209532503, -0.4953500144, -0.2425687195, -0.1182738124, 0.0249966992, 0.2503221042, 0.2289740681, 0.0208205567, -0.2615708127, 0.0249966992, 0.2503221042, 0.1284078097, 0.0412608727, -0.0266853906, 0.2081257491, 0.2269501954, 0.1284078097, 0.0412608727, -0.2185869309, -0.482207958, -0.3016672553, -0.0172573566, 0.2217312897, -0.2185869309, -0.482207958],
  conv2d_circular_shape: [1, 3, 4, 7],
  conv2d_same_reflect: [-0.001298063, -0.1323779824, -0.2205501878, -0.1990877122, -0.1617271503, -0.2654941717, -0.2160366804, -0.0603602404, 0.0837223221, 0.0659793568, -0.007757015, -0.1740891761, -0.2659474234, -0.2138152669, -0.1758945204, -0.2106608937, -0.2126016279, -0.1109229927, 0.0174266479, -0.0209103458, -0.0038367409, 0.0554401714, -0.0029111314, -0.1347315466, -0.1334096814, 0.059297921, -0.0687550189, -0.2204477299, -0.2809821925, -0.2448089465, -0.0489870789, 0.0679732205, 0.0578205431, -0.0717617672, -0.0527887345, 0.0171399693, -0.1072177866, -0.2261074578, -0.2495557113, -0.1991668911],
  conv2d_same_reflect_shape: [1, 2, 4, 5],
  conv1d_circular: [0.1261971015, 0.0722673477, -0.2046371376, -0.1450460857, 0.1261971015, 0.0722673477, -0.092532635, -0.2032061599, -0.0629776664, 0.1252161978, -0.092532635, -0.2032061599, 0.0644870191, -0.0565172386, -0.143193782, -0.0309074737, 0.0644870191, -0.0565172386, 0.0105008035, 0.0303414429, 0.1273947394, 0.1413502151, 0.0105008035, 0.0303414429],
  conv1d_circular_shape: [2, 2, 6],
  inorm_train: [-0.1211113416, -0.0964247217, -0.0603216866, -0.0401242936, -0.0511175269, -0.0849819268, -0.0548028955, -0.0486643761, -0.0807384737, -0.1267521505, -0.1518831734, -0.1371128853, -0.0752088527, -0.1048450366, -0.1088923083, -0.0842877733, -0.0496516532, -0.0311958731, -0.1558854452, -0.102705486, -0.0554373442, -0.0498526071, -0.0901776925, -0.1458953796, -0.0337088038, -0.0455088836, -0.0774867312, -0.105442149, -0.1082190342, -0.0837158954, -0.127655826, -0.1510915078, -0.1339166297, -0.089128797, -0.0506225486, -0.0475386456],
  inorm_rm: [0.0023638585, 0.0033205794],
  inorm_rv: [0.958402445, 0.9615737898],
  inorm_eval: [-0.1028793597, -0.0859549556, -0.0612038005, -0.0473570753, -0.0548937054, -0.0781101196, -0.0656676503, -0.0608983249, -0.0858183091, -0.1215686555, -0.1410942148, -0.1296184329, -0.0785878171, -0.0996974996, -0.1025803479, -0.0850546798, -0.0603835716, -0.0472376261, -0.1291284287, -0.0951361676, -0.0649226992, -0.0613529741, -0.0871284889, -0.1227428481, -0.0471899273, -0.0559098462, -0.079540554, -0.1001988021, -0.1022508403, -0.0841437269, -0.1233204368, -0.1413011879, -0.1281239648, -0.0937610271, -0.064217561, -0.0618514727],
  inorm_keys: ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"],
  bag_mean: [-0.0489645093, -0.0295293166, 0.003793975, 0.0, 0.0, 0.0, 0.0146398065, 0.0470510314, 0.0573334211, 0.0, 0.0, 0.0],
  bag_sum_w: [0.1100197185, 0.0376823093, -0.0523776788, 0.0, 0.0, 0.0, -0.1294697516, -0.0045988074, 0.1224350278, 0.2909669433, 0.1754751579, -0.0225453361],
  bag_max_2d: [0.0965657777, 0.057119687, 0.0898708096, 0.0969889811, 0.0584917193, 0.0905954742],
  transformer: [-0.0849199199, -0.0510233195, -0.0373409916, -0.0260722747, 0.0533011362, 0.1694826889, -0.0236242444, -0.1046449742, -0.0844902399, -0.0564923676, -0.0341594572, -0.0260528755, 0.0530228964, 0.1687285051, -0.0241601689, -0.1051602375, -0.0843620675, -0.0609241343, -0.0280984289, -0.0263974295, 0.052710334, 0.1680391691, -0.0208695907, -0.1081516992, -0.084797419, -0.0594865757, -0.0242007838, -0.0268461362, 0.0526873669, 0.1683192731, -0.0163233347, -0.1111965202, -0.0853758087, -0.0529553157, -0.0270238013, -0.0269562785, 0.0529983933, 0.1693291478, -0.0148504406, -0.1113332622, -0.0855170899, -0.0483162655, -0.0331821412, -0.0266327308, 0.0533117814, 0.1699403041, -0.0178968347, -0.108372255],
  transformer_keys: ["encoder.layers.0.self_attn.in_proj_weight", "encoder.layers.0.self_attn.in_proj_bias", "encoder.layers.0.self_attn.out_proj.weight", "encoder.layers.0.self_attn.out_proj.bias", "encoder.layers.0.linear1.weight", "encoder.layers.0.linear1.bias", "encoder.layers.0.linear2.weight", "encoder.layers.0.linear2.bias", "encoder.layers.0.norm1.weight", "encoder.layers.0.norm1.bias", "encoder.layers.0.norm2.weight", "encoder.layers.0.norm2.bias", "encoder.norm.weight", "encoder.norm.bias", "decoder.layers.0.self_attn.in_proj_weight", "decoder.layers.0.self_attn.in_proj_bias", "decoder.layers.0.self_attn.out_proj.weight", "decoder.layers.0.self_attn.out_proj.bias", "decoder.layers.0.multihead_attn.in_proj_weight", "decoder.layers.0.multihead_attn.in_proj_bias", "decoder.layers.0.multihead_attn.out_proj.weight", "decoder.layers.0.multihead_attn.out_proj.bias", "decoder.layers.0.linear1.weight", "decoder.layers.0.linear1.bias", "decoder.layers.0.linear2.weight", "decoder.layers.0.linear2.bias", "decoder.layers.0.norm1.weight", "decoder.layers.0.norm1.bias", "decoder.layers.0.norm2.weight", "decoder.layers.0.norm2.bias", "decoder.layers.0.norm3.weight", "decoder.layers.0.norm3.bias", "decoder.layers.1.self_attn.in_proj_weight", "decoder.layers.1.self_attn.in_proj_bias", "decoder.layers.1.self_attn.out_proj.weight", "decoder.layers.1.self_attn.out_proj.bias", "decoder.layers.1.multihead_attn.in_proj_weight", "decoder.layers.1.multihead_attn.in_proj_bias", "decoder.layers.1.multihead_attn.out_proj.weight", "decoder.layers.1.multihead_attn.out_proj.bias", "decoder.layers.1.linear1.weight", "decoder.layers.1.linear1.bias", "decoder.layers.1.linear2.weight", "decoder.layers.1.linear2.bias", "decoder.layers.1.norm1.weight", "decoder.layers.1.norm1.bias", "decoder.layers.1.norm2.weight", "decoder.layers.1.norm2.bias", "decoder.layers.1.norm3.weight", "decoder.layers.1.norm3.bias", "decoder.norm.weight", "decoder.norm.bias"],
  transformer_nparams: 2440,
  prelu: [0.9553364891, 0.3623577545, -0.0504846105, -0.0989992497, -0.0725932304, 0.0874989834, 0.8347127848, 0.950232592, 0.3466353178, -0.0519288654, -0.0992225325, -0.0714265652],
};

/** The deterministic fill the reference script uses: 0.1·sin(0.7·i + len(name)) for each named parameter. */
function fill(m: st.nn.Module): void {
  st.noGrad(() => {
    for (const [name, p] of m.namedParameters()) {
      const v = Array.from({ length: p.numel }, (_, i) => 0.1 * Math.sin(0.7 * i + name.length));
      p.copy_(st.tensor(v, { shape: p.shape, dtype: p.dtype, backend: p.backend }));
    }
  });
}
const inp = (shape: number[], be: 'js' | 'native', k = 0.3): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return st.tensor(Array.from({ length: n }, (_, i) => Math.cos(0.9 * i + k)), { shape, dtype: 'float64', backend: be });
};
const tol = { atol: 1e-8, rtol: 1e-7 };

for (const be of backends()) {
  test(`layers: Conv1d/Conv2d paddingMode reflect, replicate, circular match PyTorch (${be})`, () => onBackend(be, () => {
    const x = inp([1, 2, 4, 5], be);
    for (const mode of ['reflect', 'replicate', 'circular'] as const) {
      const c = new st.nn.Conv2d(2, 3, 3, { padding: [1, 2], paddingMode: mode, dtype: 'float64' });
      fill(c);
      const y = c.forward(x);
      assert.deepEqual(y.shape, REF[`conv2d_${mode}_shape`], mode);
      assertClose(y, REF[`conv2d_${mode}`] as number[], tol, mode);
    }
    const same = new st.nn.Conv2d(2, 2, [3, 2], { padding: 'same', paddingMode: 'reflect', dtype: 'float64' });
    fill(same);
    assertClose(same.forward(x), REF.conv2d_same_reflect as number[], tol, 'same reflect');
    const c1 = new st.nn.Conv1d(2, 2, 3, { padding: 2, paddingMode: 'circular', dtype: 'float64' });
    fill(c1);
    const y1 = c1.forward(inp([2, 2, 4], be));
    assert.deepEqual(y1.shape, REF.conv1d_circular_shape);
    assertClose(y1, REF.conv1d_circular as number[], tol, 'conv1d circular');
    gradcheck((xx) => c1.forward(xx), [inp([1, 2, 3], be)], { name: 'Conv1d circular' });
  }));

  test(`layers: InstanceNorm2d running stats, eval and state-dict keys match PyTorch (${be})`, () => onBackend(be, () => {
    const m = new st.nn.InstanceNorm2d(2, { affine: true, trackRunningStats: true, dtype: 'float64' });
    fill(m);
    const x = inp([3, 2, 2, 3], be);
    assertClose(m.forward(x), REF.inorm_train as number[], tol, 'train');
    assertClose(m.runningMean!, REF.inorm_rm as number[], tol, 'running mean');
    assertClose(m.runningVar!, REF.inorm_rv as number[], tol, 'running var');
    m.eval();
    assertClose(m.forward(x), REF.inorm_eval as number[], tol, 'eval');
    // state-dict keys are PyTorch's (running_mean, …), as for BatchNorm
    assert.deepEqual(Object.keys(m.stateDict()), REF.inorm_keys as string[]);
  }));

  test(`layers: EmbeddingBag sum, mean (padding), max match PyTorch (${be})`, () => onBackend(be, () => {
    const ids = st.tensor([0, 2, 1, 4, 3, 3, 1], { dtype: 'int64' });
    const offs = st.tensor([0, 3, 3, 6], { dtype: 'int64' });
    const mean = new st.nn.EmbeddingBag(5, 3, { mode: 'mean', paddingIdx: 1, dtype: 'float64' });
    fill(mean);
    assertClose(mean.forward(ids, offs), REF.bag_mean as number[], tol, 'mean');
    const sum = new st.nn.EmbeddingBag(5, 3, { mode: 'sum', dtype: 'float64' });
    fill(sum);
    const w = st.tensor([0.5, 1, 2, -1, 1, 0.25, 3], { dtype: 'float64' });
    assertClose(sum.forward(ids, offs, w), REF.bag_sum_w as number[], tol, 'sum with weights');
    const max = new st.nn.EmbeddingBag(5, 3, { mode: 'max', dtype: 'float64' });
    fill(max);
    assertClose(max.forward(st.tensor([[0, 2, 4], [3, 3, 1]], { dtype: 'int64' })), REF.bag_max_2d as number[], tol, 'max');
    gradcheck((wt) => st.mul(sum.forward(ids, offs, w), wt.sum()), [inp([1], be)], { name: 'EmbeddingBag' });
    throwsWith(() => mean.forward(ids), 'EmbeddingBag', 'offsets');
    throwsWith(() => mean.forward(ids, offs, w), 'EmbeddingBag', "mode 'sum'");
  }));

  test(`layers: nn.Transformer matches PyTorch (keys, parameter count, output with a causal mask) (${be})`, () => onBackend(be, () => {
    const t = new st.nn.Transformer(8, 2, { numEncoderLayers: 1, numDecoderLayers: 2, dimFeedforward: 16, dropout: 0, dtype: 'float64' });
    fill(t);
    t.eval();
    assert.deepEqual(Object.keys(t.stateDict()), REF.transformer_keys);
    assert.equal(t.numParameters(), REF.transformer_nparams);
    const y = t.forward(inp([4, 2, 8], be, 0.1), inp([3, 2, 8], be, 0.5), { tgtMask: st.nn.generateSquareSubsequentMask(3, { dtype: 'float64', backend: be }) });
    assert.deepEqual(y.shape, [3, 2, 8]);
    assertClose(y, REF.transformer as number[], { atol: 1e-7, rtol: 1e-6 }, 'transformer');
  }));

  test(`layers: PReLU and the new activation/pool/loss modules call their functions (${be})`, () => onBackend(be, () => {
    const p = new st.nn.PReLU(3, 0.1, { dtype: 'float64' });
    assertClose(p.forward(inp([2, 3, 2], be)), REF.prelu as number[], tol, 'prelu');
    assert.equal(p.numParameters(), 3);
    const x = inp([1, 4, 2, 2], be);
    assertClose(new st.nn.Mish().forward(x), st.mish(x));
    assertClose(new st.nn.Hardswish().forward(x), st.hardswish(x));
    assertClose(new st.nn.GLU(1).forward(x), st.glu(x, 1));
    assertClose(new st.nn.PixelShuffle(2).forward(x), st.pixelShuffle(x, 2));
    assertClose(new st.nn.Upsample({ scaleFactor: 2, mode: 'bilinear' }).forward(x), st.interpolate(x, { scaleFactor: 2, mode: 'bilinear' }));
    assertClose(new st.nn.AdaptiveMaxPool2d(1).forward(x), st.amax(x, [2, 3], true));
    const a = inp([2, 3], be, 0.1), b = inp([2, 3], be, 0.7);
    assertClose(new st.nn.HuberLoss('sum', 0.5).forward(a, b), st.huberLoss(a, b, 'sum', 0.5));
  }));
}

for (const be of backends()) {
  test(`layers: the layer harness (shape, parameters, round trip, one training step, parity) on the new layers (${be})`, () => {
    const img = (b: 'js' | 'native') => inp([2, 4, 5, 6], b);
    checkModule(be, img, (x) => ({ build: () => new st.nn.Conv2d(4, 3, 3, { padding: 1, paddingMode: 'reflect', dtype: 'float64' }), run: (m) => m.forward(x), outputShape: [2, 3, 5, 6], numParameters: 3 * 4 * 9 + 3 }));
    checkModule(be, img, (x) => ({ build: () => new st.nn.InstanceNorm2d(4, { affine: true, trackRunningStats: true, dtype: 'float64' }), run: (m) => m.forward(x).mul(x.sin()), outputShape: [2, 4, 5, 6], numParameters: 8 }));
    checkModule(be, img, (x) => ({ build: () => new st.nn.PReLU(4, 0.25, { dtype: 'float64' }), run: (m) => m.forward(x), outputShape: [2, 4, 5, 6], numParameters: 4 }));
    checkModule(be, (b) => st.tensor([[0, 2, 4], [3, 3, 1]], { dtype: 'int64', backend: b }), (ids) => ({
      build: () => new st.nn.EmbeddingBag(5, 3, { mode: 'sum', dtype: 'float64' }), run: (m) => m.forward(ids), outputShape: [2, 3], numParameters: 15, everyParameterGrad: true,
    }));
    checkModule(be, (b) => ({ src: inp([4, 2, 8], b, 0.1), tgt: inp([3, 2, 8], b, 0.5) }), ({ src, tgt }) => ({
      build: () => {
        st.manualSeed(3);
        return new st.nn.Transformer(8, 2, { numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 16, dropout: 0, dtype: 'float64' });
      },
      run: (m) => m.forward(src, tgt).mul(tgt.cos()),
      outputShape: [3, 2, 8],
      // attention 4·8·8 + 4·8 = 288, feed-forward 8·16 + 16 + 16·8 + 8 = 280, norms 16 each: encoder layer 600,
      // decoder layer 2·288 + 280 + 48 = 904, two final norms 32 (PyTorch's count for 1 + 2 layers, 2440, agrees)
      numParameters: 600 + 904 + 32,
    }));
  });
}
