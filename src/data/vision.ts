// Image datasets: MNIST and Fashion-MNIST (IDX files; Debian's dataset-fashion-mnist), CIFAR-10 binary batches.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StrataError } from '../tensor/errors.js';
import { ArrayDataset } from './dataset.js';
import { readIdx } from './idx.js';

export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;
export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

/** Where Debian's dataset-fashion-mnist package puts the files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

function findIdx(root: string, stem: string): string | null {
  for (const name of [`${stem}.gz`, stem, stem.replace('-idx', '.idx')]) {
    const p = join(root, name);
    if (existsSync(p)) return p;
  }
  return null;
}

function loadIdxPair(op: string, root: string, train: boolean, classes: readonly string[], install: string): ArrayDataset {
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new StrataError(op, `data folder ${root} does not exist; ${install}`);
  }
  const prefix = train ? 'train' : 't10k';
  const imgPath = findIdx(root, `${prefix}-images-idx3-ubyte`);
  const lblPath = findIdx(root, `${prefix}-labels-idx1-ubyte`);
  if (!imgPath || !lblPath) throw new StrataError(op, `${root} lacks ${prefix}-images-idx3-ubyte(.gz) or ${prefix}-labels-idx1-ubyte(.gz); ${install}`);
  const img = readIdx(imgPath);
  const lbl = readIdx(lblPath);
  if (img.shape.length !== 3) throw new StrataError(op, `${imgPath}: expected a 3-dimensional image file, found [${img.shape.join(', ')}]`);
  if (lbl.shape.length !== 1) throw new StrataError(op, `${lblPath}: expected a 1-dimensional label file, found [${lbl.shape.join(', ')}]`);
  if (img.shape[0] !== lbl.shape[0]) throw new StrataError(op, `${imgPath} has ${img.shape[0]} images but ${lblPath} has ${lbl.shape[0]} labels`);
  for (let i = 0; i < lbl.data.length; i++) {
    if (lbl.data[i] >= classes.length) throw new StrataError(op, `${lblPath}: label ${lbl.data[i]} at index ${i} is outside 0..${classes.length - 1}`);
  }
  return new ArrayDataset(img.data, lbl.data, [1, img.shape[1], img.shape[2]], { classes });
}

/** Fashion-MNIST (Xiao et al., 2017): 60,000 train / 10,000 test grayscale 28×28 images, 10 classes. */
export function FashionMNIST(opts: { root?: string; train?: boolean } = {}): ArrayDataset {
  return loadIdxPair('FashionMNIST', opts.root ?? FASHION_MNIST_DIR, opts.train ?? true, FASHION_MNIST_CLASSES,
    'install Debian\'s dataset-fashion-mnist package (apt-get install dataset-fashion-mnist) or pass --data-dir with the four IDX files');
}

/** MNIST handwritten digits (LeCun et al., 1998), from a folder of the four IDX files. */
export function MNIST(opts: { root: string; train?: boolean }): ArrayDataset {
  return loadIdxPair('MNIST', opts.root, opts.train ?? true, MNIST_CLASSES, 'pass a folder with the four MNIST IDX files (--data-dir)');
}

const CIFAR_RECORD = 1 + 3 * 32 * 32;

/** Parses one CIFAR-10 binary batch (records of 1 label byte + 3072 pixel bytes, channel-major). */
export function readCifarBatch(path: string): { images: Uint8Array; labels: Uint8Array } {
  const op = 'CIFAR10';
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new StrataError(op, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (buf.length === 0 || buf.length % CIFAR_RECORD !== 0) {
    throw new StrataError(op, `${path}: ${buf.length} bytes is not a whole number of ${CIFAR_RECORD}-byte records (truncated or not a CIFAR-10 binary batch)`);
  }
  const n = buf.length / CIFAR_RECORD;
  const images = new Uint8Array(n * 3072), labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const l = buf[i * CIFAR_RECORD];
    if (l > 9) throw new StrataError(op, `${path}: record ${i} has label ${l}; CIFAR-10 labels are 0..9`);
    labels[i] = l;
    images.set(buf.subarray(i * CIFAR_RECORD + 1, (i + 1) * CIFAR_RECORD), i * 3072);
  }
  return { images, labels };
}

/** CIFAR-10 (Krizhevsky, 2009) from the binary version's folder (cifar-10-batches-bin). */
export function CIFAR10(opts: { root: string; train?: boolean }): ArrayDataset {
  const train = opts.train ?? true;
  const files = train ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['test_batch.bin'];
  const missing = files.filter((f) => !existsSync(join(opts.root, f)));
  if (missing.length) throw new StrataError('CIFAR10', `${opts.root} lacks ${missing.join(', ')}; download the CIFAR-10 binary version (cifar-10-binary.tar.gz) and pass its cifar-10-batches-bin folder`);
  const parts = files.map((f) => readCifarBatch(join(opts.root, f)));
  const n = parts.reduce((s, p) => s + p.labels.length, 0);
  const images = new Uint8Array(n * 3072), labels = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    images.set(p.images, off * 3072);
    labels.set(p.labels, off);
    off += p.labels.length;
  }
  return new ArrayDataset(images, labels, [3, 32, 32], { classes: CIFAR10_CLASSES });
}
