// Datasets the CLI knows by name, and how to build their loaders.
import { StrataError } from '../tensor/errors.js';
import { ArrayDataset } from '../data/dataset.js';
import { CIFAR10, FashionMNIST, MNIST } from '../data/vision.js';
import { normalize, randomCrop, randomHorizontalFlip, type TransformSpec } from '../data/transforms.js';
import type { ImageTask } from '../models/basic.js';

export interface ImageDatasetEntry {
  description: string;
  load(train: boolean, dataDir?: string): ArrayDataset;
  /** Per-channel mean and std of the training images (for normalisation). */
  mean: number[];
  std: number[];
  /** Augmentation used with --augment. */
  augment: TransformSpec[];
}

export const IMAGE_DATASETS: Record<string, ImageDatasetEntry> = {
  'fashion-mnist': {
    description: 'Fashion-MNIST: 60k/10k 28×28 grayscale, 10 classes (Debian package dataset-fashion-mnist)',
    load: (train, dir) => FashionMNIST({ root: dir, train }),
    mean: [0.2860], std: [0.3530],
    augment: [randomCrop(28, { padding: 2 }), randomHorizontalFlip()],
  },
  mnist: {
    description: 'MNIST digits: 60k/10k 28×28 grayscale (--data-dir with the IDX files)',
    load: (train, dir) => {
      if (!dir) throw new StrataError('train', 'MNIST needs --data-dir, a folder with the four MNIST IDX files');
      return MNIST({ root: dir, train });
    },
    mean: [0.1307], std: [0.3081],
    augment: [randomCrop(28, { padding: 2 })],
  },
  cifar10: {
    description: 'CIFAR-10: 50k/10k 32×32 colour, 10 classes (--data-dir with cifar-10-batches-bin)',
    load: (train, dir) => {
      if (!dir) throw new StrataError('train', 'CIFAR-10 needs --data-dir, the cifar-10-batches-bin folder of the binary version');
      return CIFAR10({ root: dir, train });
    },
    mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616],
    augment: [randomCrop(32, { padding: 4 }), randomHorizontalFlip()],
  },
};

export function imageDataset(name: string): ImageDatasetEntry {
  const e = IMAGE_DATASETS[name];
  if (!e) throw new StrataError('train', `unknown dataset '${name}'; available: ${Object.keys(IMAGE_DATASETS).join(', ')}`);
  return e;
}

export function taskOf(ds: ArrayDataset): ImageTask {
  return { inChannels: ds.shape[0], height: ds.shape[1], width: ds.shape[2], numClasses: ds.numClasses };
}

export function transformsFor(e: ImageDatasetEntry, train: boolean, augment: boolean): TransformSpec[] {
  return [...(train && augment ? e.augment : []), normalize(e.mean, e.std)];
}
