// Reusing models: fine-tuning helpers, self-supervised objectives, multi-task learning, probes.
export { loadMatching, formatLoadReport, ClassSubset, parseClassList, prepareFineTune, loadStateDictFile, globToRegExp, matchParameters, requiresGradByPattern, backboneGroups, unfreezeAfter, labelSubsetIndices, labelsOf } from './finetune.js';
export type { LoadReport, FineTuneOptions } from './finetune.js';
export { Encoder, ConvDecoder, Autoencoder, VAE, SimCLR, ntXent, augmentBatch } from './ssl.js';
export type { AugmentOptions } from './ssl.js';
export { MultiTask, MultiTaskLoss, FASHION_COARSE } from './multitask.js';
export { extractFeatures, linearProbe, knnAccuracy } from './probe.js';
export type { LabelledBatches, LinearProbeOptions } from './probe.js';
export { pretrain, objectiveFor, imageGridPng, vaeFigure, PRETRAIN_METHODS } from './pretrain.js';
export type { PretrainMethod, PretrainOptions, PretrainLog } from './pretrain.js';
