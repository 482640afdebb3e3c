// strata's data package (`st.data`): datasets, the DataLoader, image transforms, IDX/CIFAR readers, PNG I/O and text (`st.data.text`).
export type { NDArray, SampleArray } from './ndarray.js';
export { isNDArray } from './ndarray.js';
export type { Dataset, DatasetSpec, ImageSample, ArrayField, ArrayDatasetOptions } from './dataset.js';
export { Subset, ConcatDataset, TransformedDataset, ArrayDataset, randomSplit, permutation, datasetFromSpec } from './dataset.js';
export type { MaterializeOptions } from './tensor-dataset.js';
export { TensorDataset } from './tensor-dataset.js';
export type { ArrayBatch, ArrayBatchField } from './collate.js';
export { collateArrays, assembleBatch } from './collate.js';
export type { Collated, DataLoaderOptions, LoaderState, Sampler } from './loader.js';
export { DistributedSampler } from '../distributed/sampler.js';
export type { DistributedSamplerOptions } from '../distributed/sampler.js';
export { DataLoader, defaultCollate, toTensors } from './loader.js';
export type { Transform, TransformLike, TransformSpec, RandomCropOptions, RandomErasingOptions } from './transforms.js';
export {
  compose, toTensor, normalize, randomCrop, centerCrop, resize, randomHorizontalFlip, randomErasing, lambda, transformFromSpec,
} from './transforms.js';
export type { IdxArray, IdxDType } from './idx.js';
export { readIdx, parseIdx } from './idx.js';
export { readCifarBatch, parseCifarBatch, CIFAR_RECORD_BYTES } from './cifar.js';
export type { ImageDatasetOptions } from './datasets.js';
export {
  MNIST, FashionMNIST, CIFAR10, MNIST_CLASSES, FASHION_MNIST_CLASSES, CIFAR10_CLASSES, FASHION_MNIST_DEFAULT_ROOT, MNIST_DEFAULT_ROOT,
} from './datasets.js';
export { AVFashionMNIST, loadClipBank, clipMel, strataCacheDir, AV_SPOKEN_NAMES, AV_TRAIN_VOICES, AV_TEST_VOICES, AV_SPEEDS, AV_PITCHES, AV_AUDIO } from './av-fashion.js';
export type { AVSample, AVCondition, AVFashionMNISTOptions, AVClipBank } from './av-fashion.js';
export { decodeWav, readWav, fft, powerSpectrogram, melFilterbank, melCenters, logMelSpectrogram } from './audio.js';
export type { Audio, SpectrogramOptions, LogMelOptions } from './audio.js';
export type { PngImage, EncodePngOptions } from './png.js';
export { readPng, writePng, decodePng, encodePng, imageToArray, crc32 } from './png.js';
export * as text from './text/index.js';
