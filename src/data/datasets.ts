// Built-in image-classification datasets read from local files: MNIST, Fashion-MNIST (IDX) and CIFAR-10 (binary batches).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StrataError } from '../tensor/errors.js';
import { ArrayDataset, checkLabels } from './dataset.js';
import { readIdx } from './idx.js';
import { readCifarBatch } from './cifar.js';
import type { TransformLike } from './transforms.js';

export const MNIST_CLASSES: readonly string[] = ['0 - zero', '1 - one', '2 - two', '3 - three', '4 - four', '5 - five', '6 - six', '7 - seven', '8 - eight', '9 - nine'];
export const FASHION_MNIST_CLASSES: readonly string[] = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
export const CIFAR10_CLASSES: readonly string[] = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** Where Debian's dataset-fashion-mnist package puts the files. */
export const FASHION_MNIST_DEFAULT_ROOT = '/usr/share/datasets/fashion-mnist';
export const MNIST_DEFAULT_ROOT = '/usr/share/datasets/mnist';

export interface ImageDatasetOptions {
  /** The folder holding the files (also searched: root/raw, root/<Name>/raw, root/cifar-10-batches-bin). */
  root?: string;
  /** The training split (default true) or the test split. */
  train?: boolean;
  /** Applied to each image x (uint8 [C,H,W]); e.g. compose([toTensor(), normalize(mean, std)]). */
  transform?: TransformLike;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The first of `dirs` holding `name` or `name.gz`; null if none. */
function findFile(dirs: string[], name: string): string | null {
  for (const d of dirs) {
    for (const f of [name, `${name}.gz`]) if (existsSync(join(d, f))) return join(d, f);
  }
  return null;
}

function loadIdxPair(op: string, dirs: string[], train: boolean, missing: (what: string) => string): { images: Uint8Array; labels: Int32Array; n: number; h: number; w: number } {
  const prefix = train ? 'train' : 't10k';
  const imgName = `${prefix}-images-idx3-ubyte`, lblName = `${prefix}-labels-idx1-ubyte`;
  const imgPath = findFile(dirs, imgName), lblPath = findFile(dirs, lblName);
  if (!imgPath || !lblPath) throw new StrataError(op, missing(`${imgPath ? lblName : imgName}[.gz]`));
  const img = readIdx(imgPath), lbl = readIdx(lblPath);
  if (img.dtype !== 'uint8' || img.shape.length !== 3) throw new StrataError(op, `${imgPath}: expected uint8 images of shape [N,H,W] (magic 0x00000803), got ${img.dtype} [${img.shape.join(',')}]`);
  if (lbl.dtype !== 'uint8' || lbl.shape.length !== 1) throw new StrataError(op, `${lblPath}: expected uint8 labels of shape [N] (magic 0x00000801), got ${lbl.dtype} [${lbl.shape.join(',')}]`);
  const [n, h, w] = img.shape;
  if (lbl.shape[0] !== n) throw new StrataError(op, `${imgPath} has ${n} images but ${lblPath} has ${lbl.shape[0]} labels`);
  const labels = Int32Array.from(lbl.data as Uint8Array);
  checkLabels(op, labels, 10, lblPath);
  return { images: img.data as Uint8Array, labels, n, h, w };
}

function mnistLike(op: string, name: string, defaultRoot: string, install: string, opts: ImageDatasetOptions) {
  const root = opts.root ?? defaultRoot;
  const train = opts.train ?? true;
  const dirs = [root, join(root, 'raw'), join(root, name, 'raw')];
  const missing = (what: string) => isDir(root)
    ? `no ${what} in ${root} (also looked in raw/ and ${name}/raw/); ${install}`
    : `the folder ${root} does not exist; ${install}`;
  const d = loadIdxPair(op, dirs, train, missing);
  return { root, train, d };
}

/**
 * MNIST handwritten digits: 60000 train / 10000 test uint8 images [1,28,28] with labels 0-9, from the
 * IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-…) in `root`.
 */
export class MNIST extends ArrayDataset {
  static readonly classes = MNIST_CLASSES;
  /** The usual normalization constants (training-set pixel mean and std after toTensor()). */
  static readonly mean = [0.1307];
  static readonly std = [0.3081];
  readonly root: string;
  readonly train: boolean;
  constructor(opts: ImageDatasetOptions = {}) {
    const { root, train, d } = mnistLike('MNIST', 'MNIST', MNIST_DEFAULT_ROOT, 'put the four MNIST IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) in a folder and pass it as root (--data-dir on the command line)', opts);
    super({ x: { data: d.images, shape: [d.n, 1, d.h, d.w] }, y: d.labels }, { transform: opts.transform, classes: MNIST_CLASSES });
    this.root = root;
    this.train = train;
  }
}

/**
 * Fashion-MNIST (Zalando): 60000 train / 10000 test uint8 images [1,28,28] of 10 clothing classes,
 * from `root` (default /usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist package).
 */
export class FashionMNIST extends ArrayDataset {
  static readonly classes = FASHION_MNIST_CLASSES;
  static readonly mean = [0.286];
  static readonly std = [0.353];
  readonly root: string;
  readonly train: boolean;
  constructor(opts: ImageDatasetOptions = {}) {
    const { root, train, d } = mnistLike('FashionMNIST', 'FashionMNIST', FASHION_MNIST_DEFAULT_ROOT, 'install it with `apt-get install dataset-fashion-mnist` (files go to /usr/share/datasets/fashion-mnist) or pass the folder holding the IDX files as root (--data-dir on the command line)', opts);
    super({ x: { data: d.images, shape: [d.n, 1, d.h, d.w] }, y: d.labels }, { transform: opts.transform, classes: FASHION_MNIST_CLASSES });
    this.root = root;
    this.train = train;
  }
}

/**
 * CIFAR-10: 50000 train (data_batch_1..5.bin) / 10000 test (test_batch.bin) uint8 images [3,32,32]
 * in 10 classes, from the binary version's folder (cifar-10-batches-bin, or its parent).
 */
export class CIFAR10 extends ArrayDataset {
  static readonly classes = CIFAR10_CLASSES;
  static readonly mean = [0.4914, 0.4822, 0.4465];
  static readonly std = [0.247, 0.2435, 0.2616];
  readonly root: string;
  readonly train: boolean;
  constructor(opts: ImageDatasetOptions & { root: string }) {
    const op = 'CIFAR10';
    if (!opts || typeof opts.root !== 'string') throw new StrataError(op, 'pass root: the folder of the binary version (cifar-10-batches-bin with data_batch_1.bin … test_batch.bin)');
    const root = opts.root;
    const train = opts.train ?? true;
    const names = train ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['test_batch.bin'];
    const dirs = [root, join(root, 'cifar-10-batches-bin')];
    const files = names.map((f) => findFile(dirs, f));
    const lost = names.filter((_, i) => files[i] === null);
    if (lost.length) {
      throw new StrataError(op, `${isDir(root) ? `missing ${lost.join(', ')} in ${root} (also looked in cifar-10-batches-bin/)` : `the folder ${root} does not exist`}; get the binary version of CIFAR-10 (cifar-10-binary.tar.gz), extract it and pass its folder as root (--data-dir on the command line)`);
    }
    const parts = files.map((f) => readCifarBatch(f!));
    const n = parts.reduce((a, p) => a + p.labels.length, 0);
    const images = new Uint8Array(n * 3072), labels = new Int32Array(n);
    let off = 0;
    for (const p of parts) {
      images.set(p.images, off * 3072);
      labels.set(p.labels, off);
      off += p.labels.length;
    }
    super({ x: { data: images, shape: [n, 3, 32, 32] }, y: labels }, { transform: opts.transform, classes: CIFAR10_CLASSES });
    this.root = root;
    this.train = train;
  }
}
