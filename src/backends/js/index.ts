// The js backend: pure TypeScript kernels over typed arrays, the portable reference for native.
import type { Backend, BackendInfo } from '../backend.js';
import type { DType, TypedArray } from '../../tensor/dtype.js';
import { StrataError } from '../../tensor/errors.js';
import type { Shape } from '../../tensor/shape.js';
import { numel } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import * as at from './attention.js';
import * as cv from './conv.js';
import * as ew from './elementwise.js';
import * as ix from './indexing.js';
import * as la from './linalg.js';
import * as ls from './loss.js';
import * as nm from './norm.js';
import * as rd from './reduce.js';
import * as opt from './optim.js';
import * as rnd from './random.js';
import * as rnn from './rnn.js';
import * as sh from './shape.js';
import { CPU } from '../../tensor/device.js';
import { fresh, fromCanonical, inexactInt64, release, stats, storeFor, toCanonical, values, type JsHandle } from './storage.js';

function todo(name: string): never {
  throw new StrataError(name, 'this kernel is not implemented on the js backend yet');
}

export const jsBackend: Backend = {
  name: 'js',
  device: CPU,
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
    if (dtype === 'int64' && !(Math.abs(value) < 2 ** 53)) throw inexactInt64('full', value);
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
  variance: rd.variance,
  reduceWithIndex: rd.reduceWithIndex,
  logsumexp: rd.logsumexp,
  cumsum: rd.cumsum,
  topk: rd.topk,
  sort: rd.sort,
  valueSelectingBackward: rd.valueSelectingBackward,
  softmax: rd.softmax,
  softmaxBackward: rd.softmaxBackward,

  matmul: la.matmul,
  linear: la.linear,

  cat: sh.cat,
  indexSelect: ix.indexSelect,
  gather: ix.gather,
  scatterAdd: ix.scatterAdd,
  indexAdd: ix.indexAdd,
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

  batchNorm: nm.batchNorm,
  batchNormBackward: nm.batchNormBackward,
  layerNorm: nm.layerNorm,
  layerNormBackward: nm.layerNormBackward,
  groupNorm: nm.groupNorm,
  groupNormBackward: nm.groupNormBackward,

  nllLoss: ls.nllLoss,
  nllLossBackward: ls.nllLossBackward,
  embeddingBackward: ix.embeddingBackward,
  bernoulli: rnd.bernoulli,
  dropout: rnd.dropout,

  attention: at.attention,
  attentionBackward: at.attentionBackward,

  lstmForward: rnn.lstmForward,
  lstmBackward: rnn.lstmBackward,
  gruForward: rnn.gruForward,
  gruBackward: rnn.gruBackward,
  rnnForward: rnn.rnnForward,
  rnnBackward: rnn.rnnBackward,

  adamStep: opt.adamStep,
  sgdStep: opt.sgdStep,
};
