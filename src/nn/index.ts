// nn: modules, layers, initialisers and the functional API.
export { Module, Parameter } from './module.js';
export type { ForwardHook, ForwardPreHook, LoadResult } from './module.js';
export * as init from './init.js';
export * as functional from './functional.js';
export { Linear, Identity, Flatten, Unflatten } from './layers/linear.js';
export { Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d } from './layers/conv.js';
export type { ConvLayerOptions, ConvTransposeLayerOptions } from './layers/conv.js';
export { MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool1d, AdaptiveAvgPool2d } from './layers/pool.js';
export { BatchNorm1d, BatchNorm2d, LayerNorm, GroupNorm } from './layers/norm.js';
export { ReLU, ReLU6, Hardtanh, LeakyReLU, ELU, GELU, SiLU, Sigmoid, Tanh, Softplus, Softmax, LogSoftmax, Dropout } from './layers/activation.js';
export { Embedding } from './layers/embedding.js';
export { RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell } from './layers/rnn.js';
export type { RNNBaseOptions, RNNOptions, RecurrentForwardOptions, CellOptions } from './layers/rnn.js';
export { Sequential, ModuleList, ModuleDict } from './layers/container.js';
export { AdditiveAttention, MultiheadAttention, RotaryEmbedding } from './layers/attention.js';
export type { MultiheadAttentionOptions, MultiheadAttentionCallOptions } from './layers/attention.js';
export {
  TransformerEncoderLayer, TransformerDecoderLayer, TransformerEncoder, TransformerDecoder,
  SinusoidalPositionalEncoding, LearnedPositionalEmbedding, generateSquareSubsequentMask,
} from './layers/transformer.js';
export type { TransformerLayerOptions, TransformerActivation, EncoderLayerCallOptions, DecoderLayerCallOptions, EncoderCallOptions, LayerSource } from './layers/transformer.js';
export { MixtureOfExperts, ExpertMLP, moeForward, dispatchTopK, expertCapacity } from './layers/moe.js';
export type { MixtureOfExpertsOptions, MoEForwardOptions, MoEResult, Routing } from './layers/moe.js';
export { CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, SmoothL1Loss, BCEWithLogitsLoss, BCELoss, KLDivLoss } from './layers/loss.js';
export { DistributedDataParallel, SyncBatchNorm } from '../distributed/index.js';
export type { DDPOptions } from '../distributed/index.js';
