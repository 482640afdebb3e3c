// The js backend: pure TypeScript kernels over typed arrays, the portable reference for native.
import type { Backend, BackendInfo } from '../backend.js';
import type { DType, TypedArray } from '../../tensor/dtype.js';
import { StrataError } from '../../tensor/errors.js';
import type { Shape } from '../../tensor/shape.js';
import { numel } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import * as cv from './conv.js';
import * as ew from './elementwise.js';
import * as la from './linalg.js';
import * as rd from './reduce.js';
import * as rnd from './random.js';
import * as sh from './shape.js';
import { fresh, fromCanonical, release, stats, storeFor, toCanonical, values, type JsHandle } from './storage.js';

function todo(name: string): never {
  throw new StrataError(name, 'this kernel is not implemented on the js backend yet');
}

export const jsBackend: Backend = {
  name: 'js',
  info(): BackendInfo {
    return { name: 'js', atenVersion: null, threads: 1, detail: 'pure TypeScript kernels' };
  },
  setNumThreads() {},
  stats: () => ({ tensors: stats.tensors, bytes: stats.bytes }),

  fromData: (data: TypedArray, shape: Shape, dtype: DType) => fresh(fromCanonical(data, dtype), shape),
  read: (x: Tensor) => toCanonical(values(x), x.dtype),
  free: (h) => release(h as JsHandle),
  full(shape: Shape, value: number, dtype: DType) {
    const d = storeFor(dtype, numel(shape));
    if (value !== 0) d.fill(dtype === 'bool' ? (value ? 1 : 0) : value);
    return fresh(d, shape);
  },
  cast: ew.cast,
  contiguous: sh.contiguous,

  view: sh.view,
  permute: sh.permute,
  expand: sh.expand,
  slice: sh.slice,

  copy_: ew.copy_,
  fill_: ew.fill_,
  add_: ew.add_,
  mul_: ew.mul_,

  unary: ew.unary,
  binary: ew.binary,
  where: ew.where,
  clamp: ew.clamp,
  leakyRelu: ew.leakyRelu,
  elu: ew.elu,
  softplus: ew.softplus,
  activationBackward: ew.activationBackward,
  leakyReluBackward: ew.leakyReluBackward,
  eluBackward: ew.eluBackward,
  softplusBackward: ew.softplusBackward,

  reduce: rd.reduce,
  variance: () => todo('variance'),
  reduceWithIndex: () => todo('reduceWithIndex'),
  logsumexp: () => todo('logsumexp'),
  cumsum: () => todo('cumsum'),
  topk: () => todo('topk'),
  sort: () => todo('sort'),
  softmax: rd.softmax,
  softmaxBackward: rd.softmaxBackward,

  matmul: la.matmul,
  linear: la.linear,

  cat: sh.cat,
  indexSelect: () => todo('indexSelect'),
  gather: () => todo('gather'),
  scatterAdd: () => todo('scatterAdd'),
  indexAdd: () => todo('indexAdd'),
  flip: sh.flip,
  pad: sh.pad,

  convolution: cv.convolution,
  convolutionBackward: cv.convolutionBackward,
  maxPool2d: cv.maxPool2d,
  maxPool2dBackward: cv.maxPool2dBackward,
  avgPool2d: cv.avgPool2d,
  avgPool2dBackward: cv.avgPool2dBackward,
  adaptiveAvgPool2d: cv.adaptiveAvgPool2d,
  adaptiveAvgPool2dBackward: cv.adaptiveAvgPool2dBackward,

  batchNorm: () => todo('batchNorm'),
  batchNormBackward: () => todo('batchNormBackward'),
  layerNorm: () => todo('layerNorm'),
  layerNormBackward: () => todo('layerNormBackward'),
  groupNorm: () => todo('groupNorm'),
  groupNormBackward: () => todo('groupNormBackward'),

  nllLoss: () => todo('nllLoss'),
  nllLossBackward: () => todo('nllLossBackward'),
  embeddingBackward: () => todo('embeddingBackward'),
  bernoulli: rnd.bernoulli,
};
