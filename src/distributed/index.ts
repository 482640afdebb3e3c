// st.distributed: process groups over PyTorch's c10d, DistributedDataParallel, DistributedSampler, SyncBatchNorm.
export {
  initProcessGroup, destroyProcessGroup, isInitialized, getRank, getWorldSize, getBackendName,
  allReduce, broadcast, allGather, reduceScatter, barrier, Work,
} from './process-group.js';
export type { InitOptions, DistBackend, ReduceOp } from './process-group.js';
export { DistributedDataParallel } from './ddp.js';
export type { DDPOptions } from './ddp.js';
export { DistributedSampler } from './sampler.js';
export type { DistributedSamplerOptions } from './sampler.js';
export { SyncBatchNorm, allReduceSumWithGrad } from './sync-batch-norm.js';
export { reduceMetrics } from './metrics.js';
export { launch, freePort } from './launch.js';
export type { LaunchOptions, LaunchResult, WorkerFailure } from './launch.js';
