// Image datasets by name (fashion-mnist, mnist, cifar10, av-fashion-mnist), with their normalisation and
// augmentation: what `strata train --dataset NAME` loads. Text datasets by name: data/text/registry.ts.
import { StrataError } from '../tensor/errors.js';
import type { Dataset, ImageSample } from './dataset.js';
import { CIFAR10, FashionMNIST, MNIST } from './datasets.js';
import { AVFashionMNIST } from './av-fashion.js';
import { isNDArray } from './ndarray.js';
import { compose, normalize, randomCrop, randomHorizontalFlip, toTensor, type Transform } from './transforms.js';

/** The input shape and class count a model is built for (models' ImageTask). */
export interface ImageTaskShape {
  inChannels: number;
  height: number;
  width: number;
  numClasses: number;
  /** Further array inputs beside the image (e.g. audio: [32, 32]). */
  inputs?: Record<string, number[]>;
}

/** A labelled dataset of images x (transformed and normalised here), with any further inputs as other array fields (e.g. audio). */
export type ClassificationDataset = Dataset<ImageSample> & { readonly classes?: readonly string[] };

export interface ImageDatasetEntry {
  description: string;
  load(train: boolean, dataDir?: string): ClassificationDataset;
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
  'av-fashion-mnist': {
    description: 'Audio-Visual Fashion-MNIST: each image with a clip of a spoken class name (espeak-ng, noisy, right half the time; test voices unseen), field audio [32 frames, 32 mels]',
    load: (train, root) => new AVFashionMNIST({ root, train }),
    mean: AVFashionMNIST.mean, std: AVFashionMNIST.std,
    augment: () => [randomCrop(28, { padding: 2 }), randomHorizontalFlip()],
  },
};

export function imageDataset(name: string): ImageDatasetEntry {
  const e = IMAGE_DATASETS[name];
  if (!e) throw new StrataError('imageDataset', `unknown dataset '${name}'; available: ${Object.keys(IMAGE_DATASETS).join(', ')}`);
  return e;
}

/** Input shape and class count of an image dataset; the shapes of its further array fields (beyond x and y) as task.inputs. */
export function taskOf(ds: ClassificationDataset): ImageTaskShape {
  const s = ds.get(0) as ImageSample & Record<string, unknown>;
  const [c, h, w] = s.x.shape;
  const task: ImageTaskShape = { inChannels: c, height: h, width: w, numClasses: ds.classes?.length ?? 10 };
  const inputs: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(s)) if (k !== 'x' && k !== 'y' && isNDArray(v)) inputs[k] = v.shape.slice();
  if (Object.keys(inputs).length) task.inputs = inputs;
  return task;
}

/** toTensor, augmentation when training with --augment, then normalisation. */
export function transformFor(e: ImageDatasetEntry, train: boolean, augment: boolean): Transform {
  return compose([toTensor(), ...(train && augment ? e.augment() : []), normalize([...e.mean], [...e.std])]);
}
