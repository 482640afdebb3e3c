// models: the zoo of structures, built from nn layers only, and a registry by name.
export { MLP, CNN, LeNet5 } from './basic.js';
export type { ImageTask, MLPConfig, CNNConfig } from './basic.js';
export { registerModel, getModel, createModel, modelNames } from './registry.js';
export type { ModelEntry } from './registry.js';
