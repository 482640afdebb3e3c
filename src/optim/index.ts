// optim: optimizers, gradient clipping and learning-rate schedulers.
export { Optimizer } from './optimizer.js';
export type { ParamGroup, ParamsArg, OptimizerState, StateValue, GroupBase } from './optimizer.js';
export { SGD } from './sgd.js';
export type { SGDOptions } from './sgd.js';
export { Adam, AdamW } from './adam.js';
export type { AdamOptions } from './adam.js';
export { RMSprop, Adagrad } from './rmsprop.js';
export type { RMSpropOptions, AdagradOptions } from './rmsprop.js';
export { clipGradNorm_, clipGradValue_ } from './clip.js';
export {
  LRScheduler, StepLR, MultiStepLR, ExponentialLR, LinearLR, CosineAnnealingLR, CosineWithWarmup, OneCycleLR, ReduceLROnPlateau,
} from './scheduler.js';
export type { SchedulerState, OneCycleOptions, PlateauOptions } from './scheduler.js';
export { GradScaler } from './grad-scaler.js';
export type { GradScalerOptions } from './grad-scaler.js';
