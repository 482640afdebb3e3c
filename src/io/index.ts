// Model serialization: safetensors (Hugging Face) and PyTorch's torch.save zip format.
// `import { io } from 'strata'`: io.saveSafetensors, io.loadSafetensors, io.loadTorch, io.saveTorch, …
export {
  saveSafetensors, saveSafetensorsBuffer, loadSafetensors, loadSafetensorsBuffer,
  readSafetensorsHeader, readSafetensorsHeaderBuffer,
} from './safetensors.js';
export type { SafetensorsDType, SafetensorsTensorInfo, SafetensorsHeader, LoadSafetensorsOptions, LoadedSafetensors } from './safetensors.js';
export { atomicWrite, writeFileAtomic } from './atomic.js';
export { loadTorch, loadTorchBuffer, loadTorchObject, saveTorch, saveTorchBuffer } from './torch.js';
export type { LoadTorchOptions } from './torch.js';
export { convertWeights, loadOnnxInitializers, weightFormat } from './convert.js';
export type { WeightFormat } from './convert.js';
