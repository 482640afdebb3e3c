// keras: a Keras-style facade (Sequential, lazily built layers, compile/fit/evaluate) over strata's nn and Trainer.
export { Sequential } from './model.js';
export type { CompileOptions, LossName } from './model.js';
export * as layers from './layers.js';
export { Layer } from './layers.js';
export * as preprocessing from './preprocessing.js';
export type { PadSequencesOptions } from './preprocessing.js';
