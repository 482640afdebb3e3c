// Datasets the CLI knows by name, with their normalisation and augmentation.
import { StrataError } from '../tensor/errors.js';
import type { ArrayDataset } from '../data/dataset.js';
import { CIFAR10, FashionMNIST, MNIST } from '../data/datasets.js';
import { compose, normalize, randomCrop, randomHorizontalFlip, toTensor, type Transform } from '../data/transforms.js';
import type { ImageTask } from '../models/basic.js';

export interface ImageDatasetEntry {
  description: string;
  load(train: boolean, dataDir?: string): ArrayDataset;
  /** Per-channel mean and std of the training images after toTensor(). */
  mean: readonly number[];
  std: readonly number[];
  /** Augmentation used with --augment (before normalisation). */
  augment: () => Transform[];
}

export const IMAGE_DATASETS: Record<string, ImageDatasetEntry> = {
  'fashion-mnist': {
    description: 'Fashion-MNIST: 60k/10k 28×28 grayscale, 10 classes (Debian package dataset-fashion-mnist)',
    load: (train, root) => new FashionMNIST({ root, train }),
    mean: FashionMNIST.mean, std: FashionMNIST.std,
    augment: () => [randomCrop(28, { padding: 2 }), randomHorizontalFlip()],
  },
  mnist: {
    description: 'MNIST digits: 60k/10k 28×28 grayscale (--data-dir with the IDX files)',
    load: (train, root) => new MNIST({ root, train }),
    mean: MNIST.mean, std: MNIST.std,
    augment: () => [randomCrop(28, { padding: 2 })],
  },
  cifar10: {
    description: 'CIFAR-10: 50k/10k 32×32 colour, 10 classes (--data-dir with cifar-10-batches-bin)',
    load: (train, root) => {
      if (!root) throw new StrataError('train', 'CIFAR-10 needs --data-dir, the cifar-10-batches-bin folder of the binary version');
      return new CIFAR10({ root, train });
    },
    mean: CIFAR10.mean, std: CIFAR10.std,
    augment: () => [randomCrop(32, { padding: 4 }), randomHorizontalFlip()],
  },
};

export function imageDataset(name: string): ImageDatasetEntry {
  const e = IMAGE_DATASETS[name];
  if (!e) throw new StrataError('train', `unknown dataset '${name}'; available: ${Object.keys(IMAGE_DATASETS).join(', ')}`);
  return e;
}

/** Input shape and class count of an image dataset. */
export function taskOf(ds: ArrayDataset): ImageTask {
  const [c, h, w] = ds.get(0).x.shape;
  return { inChannels: c, height: h, width: w, numClasses: ds.classes?.length ?? 10 };
}

/** toTensor, augmentation when training with --augment, then normalisation. */
export function transformFor(e: ImageDatasetEntry, train: boolean, augment: boolean): Transform {
  return compose([toTensor(), ...(train && augment ? e.augment() : []), normalize([...e.mean], [...e.std])]);
}
