// train: the training loop, callbacks and metrics.
export { Trainer, TrainingDiverged, auxLossOf, PRECISIONS, setDefaultPrecision, getDefaultPrecision, withPrecision } from './trainer.js';
export type { Batch, BatchSource, Callback, EpochLog, EvalResult, EvalStepInfo, HasAuxLoss, Precision, StepInfo, TrainerOptions } from './trainer.js';
export { ProgressLogger, JsonlLogger, EarlyStopping, ModelCheckpoint, TimeLimit } from './callbacks.js';
export { ConfusionMatrix, ClassificationMeter, predictions, topKAccuracy } from './metrics.js';
export type { ClassReport } from './metrics.js';
export { saveModel, loadModelFile, saveTrainState, restoreTrainState, readTrainConfig, readTrainProgress } from './checkpoint.js';
export type { TrainState, SavedProgress } from './checkpoint.js';
export { forwardFor } from './forward.js';
