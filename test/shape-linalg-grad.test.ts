// Issue 11 item 5: the float64 gradient checks that shape, linalg, softmax and dropout ops lacked (the op-coverage
// meta-test lists every exported op without one). Values are tested in the ops' own files.
import { test } from 'node:test';
import * as st from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { backends, gradcheck, smooth } from './helpers.js';

for (const be of backends()) {
  test(`gradcheck: shape ops (${be})`, () => {
    const x = smooth([2, 3, 4], 1, be);
    const cases: [string, (...xs: Tensor[]) => Tensor | Tensor[], Tensor[]][] = [
      ['view', (a) => st.view(a, [6, 4]).mul(st.arange(4, undefined, 1, { dtype: 'float64', backend: be })), [x]],
      ['flatten', (a) => st.flatten(a, 1).square(), [x]],
      ['unflatten', (a) => st.unflatten(a, 2, [2, 2]).square(), [x]],
      ['expand', (a) => st.expand(a, [2, 2, 3]).square(), [smooth([2, 1, 3], 2, be)]],
      ['repeat', (a) => st.repeat(a, [2, 1, 2]).square(), [smooth([1, 2, 2], 3, be)]],
      ['narrow', (a) => st.narrow(a, 2, 1, 2).square(), [x]],
      ['flip', (a) => st.flip(a, [0, 2]).mul(st.arange(4, undefined, 1, { dtype: 'float64', backend: be })), [x]],
      ['split', (a) => st.split(a, [1, 3], 2).map((t, i) => t.mul(i + 1).square()), [x]],
      ['chunk', (a) => st.chunk(a, 3, 1).map((t, i) => t.mul(i + 2).square()), [x]],
      ['unbind', (a) => st.unbind(a, 0).map((t, i) => t.mul(i - 0.5).square()), [x]],
      ['contiguous', (a) => st.contiguous(st.transpose(a, 0, 2)).square(), [x]],
      ['pad', (a) => st.pad(a, [1, 2, 0, 1], 0.5).square(), [x]],
    ];
    for (const [name, f, inputs] of cases) gradcheck(f, inputs, { name: `${be} ${name}` });
  });

  test(`gradcheck: matrix products and distances (${be})`, () => {
    const cases: [string, (...xs: Tensor[]) => Tensor, Tensor[]][] = [
      ['mm', (a, b) => st.mm(a, b), [smooth([2, 3], 1, be), smooth([3, 4], 2, be)]],
      ['bmm', (a, b) => st.bmm(a, b), [smooth([2, 2, 3], 3, be), smooth([2, 3, 2], 4, be)]],
      ['matmul (broadcast batch)', (a, b) => st.matmul(a, b), [smooth([2, 1, 2, 3], 5, be), smooth([3, 3, 2], 6, be)]],
      ['matmul (vector @ matrix)', (a, b) => st.matmul(a, b), [smooth([3], 7, be), smooth([3, 2], 8, be)]],
      ['matmul (matrix @ vector)', (a, b) => st.matmul(a, b), [smooth([2, 3], 9, be), smooth([3], 10, be)]],
      ['dot', (a, b) => st.dot(a, b), [smooth([4], 11, be), smooth([4], 12, be)]],
      ['outer', (a, b) => st.outer(a, b), [smooth([3], 13, be), smooth([2], 14, be)]],
      ['pairwiseDistance', (a, b) => st.pairwiseDistance(a, b), [smooth([3, 4], 15, be), smooth([3, 4], 16, be)]],
      ['pairwiseDistance (p=1, keepdim)', (a, b) => st.pairwiseDistance(a, b, 1, 1e-6, true), [smooth([2, 3], 17, be), smooth([2, 3], 18, be)]],
    ];
    for (const [name, f, inputs] of cases) gradcheck(f, inputs, { name: `${be} ${name}` });
  });

  test(`gradcheck: softmax, logSoftmax, dropout, variance, minDim (${be})`, () => {
    const x = smooth([3, 4], 21, be);
    const cases: [string, (...xs: Tensor[]) => Tensor, Tensor[]][] = [
      ['softmax', (a) => st.softmax(a, 1), [x]],
      ['softmax dim 0', (a) => st.softmax(a, 0), [x]],
      ['logSoftmax', (a) => st.logSoftmax(a, -1), [x]],
      // a fresh generator per call: every evaluation draws the same mask
      ['dropout', (a) => st.dropout(a, 0.4, true, new st.Generator(5)), [x]],
      ['variance', (a) => st.variance(a, 1), [x]],
      ['variance (correction 0, keepdim)', (a) => st.variance(a, [0, 1], { correction: 0, keepdim: true }), [x]],
      ['minDim', (a) => st.minDim(a, 1).values, [x]],
      ['minDim keepdim', (a) => st.minDim(a, 0, true).values, [x]],
    ];
    for (const [name, f, inputs] of cases) gradcheck(f, inputs, { name: `${be} ${name}` });
  });
}
