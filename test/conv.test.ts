// Convolution and pooling: hand-checked values on every backend, float64 gradient checks of every
// backward rule, native-vs-js parity (including non-contiguous inputs) and error messages.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose, backends, flat, gradcheck, hasNative, parity, smooth, st } from './helpers.js';

for (const be of backends()) {
  describe(`convolution on ${be}`, () => {
    const T = (v: st.NestedArray, dtype?: st.DType) => st.tensor(v, { backend: be, dtype });
    /** 1..n as a tensor of `shape`. */
    const seq = (shape: number[], start = 1) => st.arange(start, start + shape.reduce((a, b) => a * b, 1), 1, { backend: be, dtype: 'float32' }).reshape(shape);
    const x33 = () => seq([1, 1, 3, 3]); // [[1,2,3],[4,5,6],[7,8,9]]
    const k22 = () => T([[[[1, 2], [3, 4]]]]);

    it('computes a small conv2d by hand', () => {
      // out[i,j] = 1·x[i,j] + 2·x[i,j+1] + 3·x[i+1,j] + 4·x[i+1,j+1]
      const y = st.conv2d(x33(), k22());
      assert.deepEqual(y.shape, [1, 1, 2, 2]);
      assertClose(y, [37, 47, 67, 77]);
      assertClose(st.conv2d(x33(), k22(), T([1])), [38, 48, 68, 78]);
      // unbatched input [C, H, W]
      assertClose(st.conv2d(seq([1, 3, 3]), k22()), [37, 47, 67, 77]);
      assert.deepEqual(st.conv2d(seq([1, 3, 3]), k22()).shape, [1, 2, 2]);
    });

    it('applies stride, padding and dilation', () => {
      // zero-padded by 1, stride 2: windows at rows/cols {-1,0} and {1,2}
      const y = st.conv2d(x33(), k22(), null, { stride: 2, padding: 1 });
      assert.deepEqual(y.shape, [1, 1, 2, 2]);
      assertClose(y, [4 * 1, 3 * 2 + 4 * 3, 2 * 4 + 4 * 7, 5 + 12 + 24 + 36]);
      // dilation 2 spreads the 2×2 kernel over the corners of the 3×3 input
      assertClose(st.conv2d(x33(), k22(), null, { dilation: 2 }), [1 * 1 + 2 * 3 + 3 * 7 + 4 * 9]);
      // per-dim parameters: stride [1, 2] keeps both rows, takes column 0 only
      assertClose(st.conv2d(x33(), k22(), null, { stride: [1, 2] }), [37, 67]);
      assertClose(st.conv2d(x33(), k22(), null, { padding: 'valid' }), [37, 47, 67, 77]);
      // conv1d: [0,1,2,3,4,5,0] ⋆ [1,0,−1] at positions 0, 2, 4
      const y1 = st.conv1d(seq([1, 1, 5]), T([[[1, 0, -1]]]), null, { stride: 2, padding: 1 });
      assert.deepEqual(y1.shape, [1, 1, 3]);
      assertClose(y1, [-2, -2, 4]);
    });

    it("pads 'same' like PyTorch (odd total padding goes on the right)", () => {
      // kernel 2: total padding 1, all on the right: out[i] = x[i] + 10·x[i+1]
      assertClose(st.conv1d(seq([1, 1, 4]), T([[[1, 10]]]), null, { padding: 'same' }), [21, 32, 43, 4]);
      // kernel 3, dilation 2: total padding 4, two each side: out[i] = x[i−2] + x[i] + x[i+2]
      assertClose(st.conv1d(seq([1, 1, 5]), T([[[1, 1, 1]]]), null, { padding: 'same', dilation: 2 }), [1 + 3, 2 + 4, 1 + 3 + 5, 2 + 4, 3 + 5]);
      const y = st.conv2d(seq([2, 3, 5, 4]), st.ones([6, 3, 3, 2], { backend: be }), null, { padding: 'same' });
      assert.deepEqual(y.shape, [2, 6, 5, 4]);
    });

    it('convolves in groups (depthwise when groups = channels)', () => {
      const x = T([[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]]); // [1, 2, 2, 2]
      assertClose(st.conv2d(x, T([[[[2]]], [[[-1]]]]), null, { groups: 2 }), [2, 4, 6, 8, -5, -6, -7, -8]);
      assertClose(st.conv2d(x, T([[[[1]], [[1]]]])), [6, 8, 10, 12]);
      // channel multiplier 2: output channels 0,1 read input channel 0; 2,3 read channel 1
      const y = st.conv2d(x, T([[[[1]]], [[[2]]], [[[3]]], [[[4]]]]), T([0, 0, 0, 0.5]), { groups: 2 });
      assertClose(y, [1, 2, 3, 4, 2, 4, 6, 8, 15, 18, 21, 24, 20.5, 24.5, 28.5, 32.5]);
      // grouped 3×3 with padding: channel 1 of group 1 sees only input channel 1
      const z = st.conv2d(x, st.ones([2, 1, 3, 3], { backend: be }), null, { groups: 2, padding: 1 });
      assertClose(z, [10, 10, 10, 10, 26, 26, 26, 26]);
    });

    it('computes transposed convolutions by hand', () => {
      const x = T([[[[1, 2], [3, 4]]]]);
      const ones = st.ones([1, 1, 2, 2], { backend: be });
      // stride 2: each input pixel becomes a 2×2 block
      const y = st.convTranspose2d(x, ones, null, { stride: 2 });
      assert.deepEqual(y.shape, [1, 1, 4, 4]);
      assertClose(y, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
      // stride 1: overlapping blocks add
      assertClose(st.convTranspose2d(x, ones), [1, 3, 2, 4, 10, 6, 3, 7, 4]);
      // padding 1 crops one from each border
      assertClose(st.convTranspose2d(x, ones, null, { padding: 1 }), [10]);
      // outputPadding adds a row and column that only the bias reaches
      const z = st.convTranspose2d(x, ones, T([0.5]), { stride: 2, outputPadding: 1 });
      assert.deepEqual(z.shape, [1, 1, 5, 5]);
      assertClose(z, [1.5, 1.5, 2.5, 2.5, 0.5, 1.5, 1.5, 2.5, 2.5, 0.5, 3.5, 3.5, 4.5, 4.5, 0.5, 3.5, 3.5, 4.5, 4.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
      // dilation 2 spreads each copy of the kernel: out[i] += x[j]·w[k] at i = j + 2k
      assertClose(st.convTranspose1d(T([[[1, 2]]]), T([[[1, 10]]]), null, { dilation: 2 }), [1, 2, 10, 20]);
      assertClose(st.convTranspose1d(T([[[1, 2, 3]]]), T([[[1, -1]]])), [1, 1, 1, -3]);
      // groups: input channel i feeds only output channel i; weight [Cin, Cout/groups, k]
      assertClose(st.convTranspose2d(T([[[[2]], [[3]]]]), T([[[[10]]], [[[100]]]]), null, { groups: 2 }), [20, 300]);
      // weight [Cin=1, Cout=2, 1]: two output channels
      assertClose(st.convTranspose1d(T([[[1, 2]]]), T([[[3], [4]]])), [3, 6, 4, 8]);
    });

    it('max-pools with indices, padding, dilation and ceil mode', () => {
      const { values, indices } = st.maxPool2dWithIndices(seq([1, 1, 4, 4]), 2);
      assertClose(values, [6, 8, 14, 16]);
      assert.equal(indices.dtype, 'int64');
      assert.deepEqual(flat(indices), [5, 7, 13, 15]);
      // 5×5 of 0..24 (value 5r + c): ceil mode adds a window holding only the last row/column
      const x5 = seq([1, 1, 5, 5], 0);
      assertClose(st.maxPool2d(x5, 2), [6, 8, 16, 18]);
      assertClose(st.maxPool2d(x5, 2, { ceilMode: true }), [6, 8, 9, 16, 18, 19, 21, 23, 24]);
      // padding counts as −∞: windows {-1,0}, {1,2}, {3,4} over rows and columns
      assertClose(st.maxPool2d(x5, 2, { padding: 1 }), [0, 2, 4, 10, 12, 14, 20, 22, 24]);
      // dilation 2, kernel 2, stride 1: max of x[r,c], x[r,c+2], x[r+2,c], x[r+2,c+2]
      assertClose(st.maxPool2d(x5, 2, { stride: 1, dilation: 2 }), [12, 13, 14, 17, 18, 19, 22, 23, 24]);
      // [1, 5, 2, 4], kernel 3, stride 2, padding 1: floor mode has 2 windows, ceil mode 3
      const a = T([[[1, 5, 2, 4]]]);
      assertClose(st.maxPool1d(a, 3, { stride: 2, padding: 1 }), [5, 5]);
      assertClose(st.maxPool1d(a, 3, { stride: 2, padding: 1, ceilMode: true }), [5, 5, 4]);
      // ceil mode drops a last window that would start in the right padding: 3 outputs, not 4
      assertClose(st.maxPool1d(T([[[1, 5, 2, 4, 3]]]), 2, { stride: 2, padding: 1, ceilMode: true }), [1, 5, 4]);
      // unbatched [C, H, W]
      assert.deepEqual(st.maxPool2d(seq([2, 4, 4]), 2).shape, [2, 2, 2]);
      // NaN wins its window
      const n = st.maxPool2d(T([[[[1, NaN], [3, 4]]]]), 2);
      assert.ok(Number.isNaN(n.item()));
    });

    it('average-pools with padding, countIncludePad, divisorOverride and ceil mode', () => {
      assertClose(st.avgPool2d(seq([1, 1, 4, 4]), 2), [3.5, 5.5, 11.5, 13.5]);
      const x = T([[[1, 2, 3, 4]]]);
      // windows {-1,0}, {1,2}, {3,4}: positions -1 and 4 are padding
      assertClose(st.avgPool1d(x, 2, { stride: 2, padding: 1 }), [0.5, 2.5, 2]);
      assertClose(st.avgPool1d(x, 2, { stride: 2, padding: 1, countIncludePad: false }), [1, 2.5, 4]);
      assertClose(st.avgPool1d(x, 2, { stride: 2, padding: 1, divisorOverride: 3 }), [1 / 3, 5 / 3, 4 / 3]);
      // NOTE: a ceil-mode window past the padded input divides only by its part inside it
      assertClose(st.avgPool1d(T([[[1, 2, 3, 4, 5]]]), 2, { ceilMode: true }), [1.5, 3.5, 5]);
      // kernel 3, stride 2, padding 1 on 4: windows {-1,0,1}, {1,2,3}, {3,4,5} (5 is past the padding)
      assertClose(st.avgPool1d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [1, 3, 2]);
      assertClose(st.avgPool1d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), [1.5, 3, 4]);
      // 2-D with padding: the corner window holds x[0,0] = 1 only, divided by 4
      const y = st.avgPool2d(seq([1, 1, 3, 3]), 2, { padding: 1 });
      assertClose(y, [1 / 4, (2 + 3) / 4, (4 + 7) / 4, (5 + 6 + 8 + 9) / 4]);
    });

    it('pools adaptively', () => {
      // 3 → 2 cells: windows [0, 2) and [1, 3) overlap
      assertClose(st.adaptiveAvgPool2d(x33(), 2), [3, 4, 6, 7]);
      assertClose(st.adaptiveAvgPool2d(x33(), [1, null]), [4, 5, 6]);
      assertClose(st.adaptiveAvgPool2d(x33(), 1), [5]);
      assert.deepEqual(st.adaptiveAvgPool2d(seq([2, 5, 7]), [3, 2]).shape, [2, 3, 2]);
      // 5 → 2: windows [0, 3) and [2, 5)
      assertClose(st.adaptiveAvgPool1d(seq([1, 1, 5]), 2), [2, 4]);
      // 2 → 4: each cell repeats one input
      assertClose(st.adaptiveAvgPool1d(T([[[1, 2]]]), 4), [1, 1, 2, 2]);
    });

    it('has exact gradients (float64 finite differences)', () => {
      const s = (shape: number[], seed: number) => smooth(shape, seed, be);
      const cases: [string, (...t: st.Tensor[]) => st.Tensor, st.Tensor[]][] = [
        ['conv2d', (x, w, b) => st.conv2d(x, w, b, { stride: [2, 1], padding: [1, 2], dilation: [1, 2] }), [s([2, 2, 5, 4], 1), s([3, 2, 3, 2], 2), s([3], 3)]],
        ['conv2d groups', (x, w, b) => st.conv2d(x, w, b, { groups: 2, padding: 1 }), [s([1, 4, 3, 3], 4), s([2, 2, 2, 2], 5), s([2], 6)]],
        ['conv2d depthwise', (x, w) => st.conv2d(x, w, null, { groups: 2, stride: 2 }), [s([2, 2, 4, 4], 7), s([4, 1, 2, 2], 8)]],
        ['conv2d 1×1', (x, w) => st.conv2d(x, w), [s([2, 3, 2, 3], 9), s([4, 3, 1, 1], 10)]],
        ['conv2d same', (x, w) => st.conv2d(x, w, null, { padding: 'same' }), [s([1, 2, 3, 4], 11), s([2, 2, 2, 3], 12)]],
        ['conv1d', (x, w, b) => st.conv1d(x, w, b, { stride: 2, padding: 1, dilation: 2 }), [s([2, 2, 7], 13), s([3, 2, 3], 14), s([3], 15)]],
        ['convTranspose2d', (x, w, b) => st.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }), [s([1, 2, 3, 2], 16), s([2, 3, 3, 2], 17), s([3], 18)]],
        ['convTranspose2d groups dilation', (x, w) => st.convTranspose2d(x, w, null, { groups: 2, dilation: [2, 1], stride: [1, 2] }), [s([2, 4, 2, 3], 19), s([4, 1, 2, 2], 20)]],
        ['convTranspose1d', (x, w, b) => st.convTranspose1d(x, w, b, { stride: 3, padding: 1, outputPadding: 1 }), [s([2, 2, 3], 21), s([2, 3, 3], 22), s([3], 23)]],
        ['maxPool2d', (x) => st.maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [s([2, 2, 6, 5], 24)]],
        ['maxPool2d dilation', (x) => st.maxPool2d(x, [2, 2], { stride: 1, dilation: [2, 1] }), [s([1, 2, 5, 4], 25)]],
        ['maxPool1d', (x) => st.maxPool1d(x, 3, { stride: 2, padding: 1 }), [s([2, 2, 7], 26)]],
        ['avgPool2d', (x) => st.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [s([2, 2, 6, 5], 27)]],
        ['avgPool2d excluding padding', (x) => st.avgPool2d(x, [3, 2], { stride: [2, 1], padding: 1, countIncludePad: false }), [s([1, 2, 5, 4], 28)]],
        ['avgPool2d divisorOverride', (x) => st.avgPool2d(x, 2, { divisorOverride: 3, ceilMode: true }), [s([1, 2, 5, 5], 29)]],
        ['avgPool1d', (x) => st.avgPool1d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [s([2, 2, 6], 30)]],
        ['adaptiveAvgPool2d', (x) => st.adaptiveAvgPool2d(x, [2, 3]), [s([2, 2, 5, 4], 31)]],
        ['adaptiveAvgPool1d', (x) => st.adaptiveAvgPool1d(x, 3), [s([2, 2, 7], 32)]],
        ['unbatched conv2d + maxPool2d', (x, w) => st.maxPool2d(st.conv2d(x, w, null, { padding: 1 }), 2), [s([2, 4, 4], 33), s([2, 2, 3, 3], 34)]],
      ];
      for (const [name, f, inputs] of cases) gradcheck(f, inputs, { name: `${be} ${name}` });
    });

    it('rejects bad shapes and arguments with clear errors', () => {
      const z = (shape: number[], dtype: st.DType = 'float32') => st.zeros(shape, { backend: be, dtype });
      assert.throws(() => st.conv2d(z([8, 3, 32, 32]), z([16, 1, 3, 3])), /conv2d: input of shape \[8,3,32,32\] has 3 channels but weight \[16,1,3,3\] expects 1×groups=1/);
      assert.throws(() => st.conv2d(z([8, 4, 8, 8]), z([6, 2, 3, 3]), null, { groups: 3 }), /conv2d: input of shape \[8,4,8,8\] has 4 channels but weight \[6,2,3,3\] expects 2×groups=6/);
      assert.throws(() => st.conv2d(z([1, 4, 8, 8]), z([3, 2, 3, 3]), null, { groups: 2 }), /conv2d: weight \[3,2,3,3\] has 3 output channels, which is not divisible by groups=2/);
      assert.throws(() => st.conv2d(z([1, 1, 2, 2]), z([1, 1, 3, 3])), /conv2d: .*smaller than the kernel \[3,3\].*output size would be \[0,0\]/);
      assert.throws(() => st.conv2d(z([1, 1, 5, 5]), z([1, 1, 3, 3]), null, { dilation: 3 }), /output size would be \[-1,-1\]/);
      assert.throws(() => st.conv2d(z([1, 1, 5, 5]), z([2, 1, 3, 3]), z([3])), /conv2d: bias must have shape \[2\]/);
      assert.throws(() => st.conv2d(z([1, 5, 5]).reshape([5, 5]), z([2, 1, 3, 3])), /conv2d: expected a 4-D \(batched\) or 3-D \(unbatched\) input, got shape \[5,5\]/);
      assert.throws(() => st.conv2d(z([1, 1, 5, 5]), z([2, 1, 3])), /conv2d: weight must be 4-D/);
      assert.throws(() => st.conv1d(z([1, 1, 5]), z([1, 1, 3]), null, { padding: 'same', stride: 2 }), /conv1d: padding='same' is not supported for strided convolutions/);
      assert.throws(() => st.conv2d(z([1, 1, 5, 5]), z([1, 1, 3, 3]), null, { stride: 0 }), /conv2d: expected stride to be an integer >= 1/);
      assert.throws(() => st.conv2d(z([1, 1, 5, 5]), z([1, 1, 3, 3]), null, { padding: [1, 2, 3] }), /conv2d: expected padding to be an integer >= 0 or a list of 2/);
      assert.throws(() => st.conv2d(z([1, 1, 5, 5]), z([1, 1, 3, 3]), null, { groups: 0 }), /conv2d: groups must be a positive integer/);
      assert.throws(() => st.conv2d(z([1, 1, 5, 5], 'int64'), z([1, 1, 3, 3])), /conv2d: expected input to be float32 or float64/);
      assert.throws(() => st.conv2d(z([1, 1, 5, 5]), z([1, 1, 3, 3], 'float64')), /conv2d: input, weight and bias must share a dtype/);
      assert.throws(() => st.convTranspose2d(z([1, 2, 3, 3]), z([3, 1, 2, 2])), /convTranspose2d: input of shape \[1,2,3,3\] has 2 channels but weight \[3,1,2,2\] expects 3/);
      assert.throws(() => st.convTranspose2d(z([1, 3, 3, 3]), z([3, 1, 2, 2]), null, { groups: 2 }), /not divisible by groups=2/);
      assert.throws(() => st.convTranspose2d(z([1, 1, 3, 3]), z([1, 1, 2, 2]), null, { stride: 2, outputPadding: 2 }), /outputPadding \[2,2\] must be smaller than either stride \[2,2\] or dilation \[1,1\]/);
      assert.throws(() => st.convTranspose1d(z([1, 1, 1]), z([1, 1, 1]), null, { padding: 1 }), /convTranspose1d: .*output size of \[-1\]/);
      assert.throws(() => st.maxPool2d(z([1, 1, 4, 4]), 2, { padding: 2 }), /maxPool2d: padding \[2,2\] must be at most half the kernel size \[2,2\]/);
      assert.throws(() => st.maxPool2d(z([1, 1, 2, 2]), 3), /maxPool2d: input of shape \[1,1,2,2\] is too small for kernel \[3,3\].*output size would be \[0,0\]/);
      assert.throws(() => st.maxPool2d(z([4, 4]), 2), /maxPool2d: expected a 4-D \[N, C, H, W\] or 3-D \[C, H, W\] input/);
      assert.throws(() => st.maxPool2d(z([1, 1, 4, 4], 'int32'), 2), /maxPool2d: expected input to be float32 or float64/);
      assert.throws(() => st.maxPool1d(z([1, 1, 4]), 0), /maxPool1d: expected kernelSize to be an integer >= 1/);
      assert.throws(() => st.avgPool2d(z([1, 1, 4, 4]), 2, { divisorOverride: 0 }), /avgPool2d: divisorOverride must be a non-zero integer/);
      assert.throws(() => st.avgPool1d(z([1, 1, 4]), 2, { padding: 2 }), /avgPool1d: padding \[0,2\] must be at most half the kernel size/);
      assert.throws(() => st.adaptiveAvgPool2d(z([1, 1, 4, 4]), [2, 0]), /adaptiveAvgPool2d: outputSize must hold positive integers/);
      assert.throws(() => st.adaptiveAvgPool2d(z([1, 1, 4, 4]), [2, 2, 2]), /adaptiveAvgPool2d: outputSize must be an integer or a list \[h, w\]/);
      assert.throws(() => st.adaptiveAvgPool1d(z([1, 1, 0]), 2), /adaptiveAvgPool1d: input of shape \[1,1,1,0\] has an empty spatial dimension/);
    });

    it('does not support double backward through its gradient kernels', () => {
      const x = smooth([1, 1, 3, 3], 1, be).requiresGrad_();
      const w = smooth([1, 1, 2, 2], 2, be).requiresGrad_();
      const [gx] = st.grad(st.conv2d(x, w).sum(), [x], { createGraph: true });
      assert.throws(() => gx!.sum().backward(), /double backward through convolution is not supported/);
    });
  });
}

describe('js gemm (behind convolution and matmul)', () => {
  it('matches a naive product across block and tile edges', () => {
    // 67×300 · 300×1030 crosses the 4×4 tile, 64-row, 256-deep and 1024-column block boundaries
    const m = 67, k = 300, n = 1030;
    const a = st.randn([m, k], { backend: 'js', dtype: 'float64' }), b = st.randn([k, n], { backend: 'js', dtype: 'float64' });
    const A = flat(a), B = flat(b);
    const expected = new Array<number>(m * n).fill(0);
    for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) expected[i * n + j] += A[i * k + p] * B[p * n + j];
    assertClose(st.matmul(a, b), expected, { atol: 1e-10, rtol: 1e-10 });
    // thin operands (fewer than 4 rows or columns) and transposed views
    assertClose(st.matmul(a.slice(0, 0, 3), b.slice(1, 0, 2)), Array.from({ length: 6 }, (_, t) => expected[Math.floor(t / 2) * n + (t % 2)]), { atol: 1e-10, rtol: 1e-10 });
    const at = st.matmul(b.slice(1, 0, 5).t(), a.t());
    assertClose(at, Array.from({ length: 5 * m }, (_, t) => expected[(t % m) * n + Math.floor(t / m)]), { atol: 1e-10, rtol: 1e-10 });
  });
});

describe('convolution parity (native vs js)', () => {
  it('matches on float32 inputs, including permuted (NHWC → NCHW) ones', () => {
    if (!hasNative()) return;
    const x = st.randn([2, 7, 6, 4], { backend: 'js' }); // NHWC
    const nchw = (t: st.Tensor) => t.permute(0, 3, 1, 2);
    const tol = { atol: 1e-4, rtol: 1e-4 };
    parity((t, w, b) => st.conv2d(nchw(t), w, b, { stride: 2, padding: 1 }), [x, st.randn([5, 4, 3, 3], { backend: 'js' }), st.randn([5], { backend: 'js' })], { ...tol, name: 'conv2d' });
    parity((t, w) => st.conv2d(nchw(t), w, null, { groups: 4, padding: 'same', dilation: 2 }), [x, st.randn([8, 1, 3, 3], { backend: 'js' })], { ...tol, name: 'depthwise conv2d' });
    parity((t, w) => st.conv2d(nchw(t), w), [x, st.randn([3, 4, 1, 1], { backend: 'js' })], { ...tol, name: '1×1 conv2d' });
    parity((t, w, b) => st.convTranspose2d(nchw(t), w, b, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }), [x, st.randn([4, 3, 3, 3], { backend: 'js' }), st.randn([6], { backend: 'js' })], { ...tol, name: 'convTranspose2d' });
    parity((t, w, b) => st.conv1d(t.permute(0, 2, 1).slice(2, 0, 6), w, b, { stride: 2, padding: 2, dilation: 2 }), [st.randn([3, 9, 5], { backend: 'js' }), st.randn([4, 5, 3], { backend: 'js' }), st.randn([4], { backend: 'js' })], { ...tol, name: 'conv1d on a sliced view' });
    parity((t, w) => st.convTranspose1d(t.permute(0, 2, 1), w, null, { stride: 3 }), [st.randn([2, 6, 4], { backend: 'js' }), st.randn([4, 2, 4], { backend: 'js' })], { ...tol, name: 'convTranspose1d' });
    parity((t) => st.maxPool2d(nchw(t), 3, { stride: 2, padding: 1, ceilMode: true }), [x], { ...tol, name: 'maxPool2d' });
    parity((t) => { const r = st.maxPool2dWithIndices(nchw(t), 2, { dilation: 2, stride: 1 }); return [r.values, r.indices]; }, [x], { ...tol, name: 'maxPool2d indices' });
    parity((t) => st.avgPool2d(nchw(t), [3, 2], { stride: [2, 1], padding: 1, ceilMode: true, countIncludePad: false }), [x], { ...tol, name: 'avgPool2d' });
    parity((t) => st.avgPool2d(nchw(t), 2, { divisorOverride: 3 }), [x], { ...tol, name: 'avgPool2d divisorOverride' });
    parity((t) => st.adaptiveAvgPool2d(nchw(t), [4, 3]), [x], { ...tol, name: 'adaptiveAvgPool2d' });
    parity((t) => st.maxPool1d(t.permute(0, 2, 1), 2, { ceilMode: true }), [st.randn([2, 7, 3], { backend: 'js' })], { ...tol, name: 'maxPool1d' });
    parity((t) => st.avgPool1d(t.permute(0, 2, 1), 3, { stride: 2, padding: 1 }), [st.randn([2, 7, 3], { backend: 'js' })], { ...tol, name: 'avgPool1d' });
    parity((t) => st.adaptiveAvgPool1d(t.permute(0, 2, 1), 3), [st.randn([2, 7, 3], { backend: 'js' })], { ...tol, name: 'adaptiveAvgPool1d' });
  });

  it('depthwise convolutions of contiguous MobileNet-style inputs match js, gradients included', () => {
    if (!hasNative()) return;
    const tol = { atol: 1e-4, rtol: 1e-4 };
    const r = (shape: number[], seed: number) => st.randn(shape, { backend: 'js', generator: new st.Generator(seed) });
    // MobileNet-style 3×3 depthwise at stride 1 and 2, a channel multiplier of 2 with bias, and a 5×5 kernel with dilation
    parity((x, w) => st.conv2d(x, w, null, { groups: 16, padding: 1 }), [r([3, 16, 9, 9], 1), r([16, 1, 3, 3], 2)], { ...tol, name: 'depthwise 3×3' });
    parity((x, w) => st.conv2d(x, w, null, { groups: 16, padding: 1, stride: 2 }), [r([3, 16, 9, 9], 3), r([16, 1, 3, 3], 4)], { ...tol, name: 'depthwise 3×3 stride 2' });
    parity((x, w, b) => st.conv2d(x, w, b, { groups: 8, padding: 1 }), [r([2, 8, 7, 7], 5), r([16, 1, 3, 3], 6), r([16], 7)], { ...tol, name: 'depthwise multiplier 2' });
    parity((x, w) => st.conv2d(x, w, null, { groups: 6, padding: 4, dilation: 2 }), [r([2, 6, 11, 8], 8), r([6, 1, 5, 5], 9)], { ...tol, name: 'depthwise 5×5 dilated' });
  });

  it('max-pools large many-channel inputs (the native channels-last path) exactly as js, ties and NaN included', () => {
    if (!hasNative()) return;
    // [4,16,32,32] = 65,536 values with 16 channels: native pools these in channels-last layout
    const vals = st.randn([4, 16, 32, 32], { backend: 'js', generator: new st.Generator(7) }).relu().round().toArray() as number[][][][];
    vals[0][0][0][0] = NaN;
    vals[3][15][31][30] = NaN;
    const x = st.tensor(vals, { backend: 'js' });
    for (const [k, o] of [[2, {}], [3, { stride: 2, padding: 1, ceilMode: true }], [2, { stride: 1, dilation: 2 }]] as const) {
      const want = st.maxPool2dWithIndices(x, k, o);
      const xn = x.to('native').requiresGrad_();
      const got = st.maxPool2dWithIndices(xn, k, o);
      const nan = (v: number) => (Number.isNaN(v) ? 'NaN' : v);
      assert.deepEqual(flat(got.values).map(nan), flat(want.values).map(nan));
      assert.deepEqual(flat(got.indices), flat(want.indices));
      // backward: every gradient lands on its window's maximum
      const g = st.randn(got.values.shape, { generator: new st.Generator(8) });
      got.values.backward(g);
      const xj = x.detach().requiresGrad_();
      st.maxPool2dWithIndices(xj, k, o).values.backward(g.to('js'));
      assertClose(xn.grad!.to('js'), flat(xj.grad!), { atol: 1e-6 });
    }
  });

  it('matches on a small CNN forward and backward (gemm paths of every size)', () => {
    if (!hasNative()) return;
    const r = (shape: number[], s = 1) => st.randn(shape, { backend: 'js' }).mul(s);
    parity((x, w1, b1, w2, b2, w3) => {
      let h = st.maxPool2d(st.conv2d(x, w1, b1).relu(), 2);
      h = st.maxPool2d(st.conv2d(h, w2, b2).relu(), 2);
      return st.linear(h.flatten(1), w3);
    }, [r([5, 1, 28, 28]), r([32, 1, 3, 3], 0.3), r([32]), r([64, 32, 3, 3], 0.06), r([64]), r([10, 1600], 0.03)], { atol: 1e-3, rtol: 1e-3, name: 'cnn' });
  });

  it('rejects operands on different backends', () => {
    if (!hasNative()) return;
    assert.throws(() => st.conv2d(st.zeros([1, 1, 3, 3], { backend: 'js' }), st.zeros([1, 1, 2, 2], { backend: 'native' })), /conv2d: tensors are on different backends/);
  });
});
