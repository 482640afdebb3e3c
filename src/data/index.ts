// data: datasets, loaders, transforms and file formats (IDX, CIFAR-10 binary, PNG).
export { ArrayDataset, Subset, ImageSubset, ConcatDataset, randomSplit } from './dataset.js';
export type { Dataset, ImageSample, ImageSource } from './dataset.js';
export { DataLoader } from './loader.js';
export type { Batch, DataLoaderOptions } from './loader.js';
export { normalize, randomCrop, centerCrop, randomHorizontalFlip, randomErasing, compose, outputShape, applyTransforms } from './transforms.js';
export type { TransformSpec } from './transforms.js';
export { readIdx, readMaybeGzip } from './idx.js';
export type { IdxArray } from './idx.js';
export { FashionMNIST, MNIST, CIFAR10, readCifarBatch, FASHION_MNIST_CLASSES, MNIST_CLASSES, CIFAR10_CLASSES, FASHION_MNIST_DIR } from './vision.js';
export { readPng, writePng, decodePng, encodePng } from './png.js';
export type { Image } from './png.js';
