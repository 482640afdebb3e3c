// models: the zoo of structures, built from nn layers only, and a registry by name.
export { MLP, CNN, LeNet5 } from './basic.js';
export type { ImageTask, MLPConfig, CNNConfig } from './basic.js';
export { GPT, BertClassifier } from './text.js';
export type { TextTask, GPTConfig, BertConfig, GenerateOptions } from './text.js';
export { registerModel, getModel, createModel, modelNames } from './registry.js';
export type { ModelEntry, ImageModelEntry, TextModelEntry } from './registry.js';
