// strata's public API: `import * as st from 'strata'`.
export { Tensor, isTensor } from './tensor/tensor.js';
export type { NestedArray, TensorOrScalar } from './tensor/tensor.js';
export type { DType, TypedArray } from './tensor/dtype.js';
export { DTYPES, promoteTypes } from './tensor/dtype.js';
export { StrataError } from './tensor/errors.js';
export { Generator, manualSeed, defaultGenerator } from './tensor/random.js';
export { tidy, keep, memory } from './tensor/memory.js';
export type { MemoryInfo } from './tensor/memory.js';
export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from './autograd/grad-mode.js';
export { grad } from './autograd/functional.js';
export type { Backend, BackendName, BackendInfo } from './backends/backend.js';
export { setBackend, getBackend, backendByName } from './backends/registry.js';
export * from './ops/index.js';
export { VERSION, info, setNumThreads, getNumThreads } from './info.js';
export * as io from './io/index.js';
