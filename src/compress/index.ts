// Model compression: pruning, int8 quantization, knowledge distillation (model → model transforms).
export { prune, applyMasks, masks, removePruning, sparsityOf, countNonZero, cubicSparsity, prunableWeights } from './prune.js';
export type { PruneOptions, PruneTarget } from './prune.js';
export { quantize, quantizeWeight, foldBatchNorm, affineQParams, MinMaxObserver, Int8Sequential, Int8Layer, DynamicInt8Linear } from './quantize.js';
export type { QuantizeMode, QuantizeOptions, QuantizeReport, Quantized, Int8Weights, Step } from './quantize.js';
export { quantizedEngines } from './qkernels.js';
export { distillationLoss, distillation } from './distill.js';
export type { DistillOptions, HintOptions } from './distill.js';
export { saveCompressed, loadCompressed, isCompressedFile, fileStats } from './serialize.js';
