// A DataLoader worker thread: assembles augmented batches into shared memory.
import { parentPort } from 'node:worker_threads';
import { assemble, type RawImages } from './batch.js';
import type { TransformSpec } from './transforms.js';

interface Init { images: SharedArrayBuffer; imagesU8: boolean; labels: SharedArrayBuffer; shape: [number, number, number]; map: SharedArrayBuffer | null; specs: TransformSpec[] }
interface Job { id: number; indices: Int32Array; seed: number; batch: number; x: SharedArrayBuffer; y: SharedArrayBuffer }

let raw: RawImages | null = null;
let specs: TransformSpec[] = [];

parentPort!.on('message', (m: { init?: Init; job?: Job }) => {
  if (m.init) {
    const i = m.init;
    raw = {
      images: i.imagesU8 ? new Uint8Array(i.images) : new Float32Array(i.images),
      labels: new Int32Array(i.labels),
      shape: i.shape,
      map: i.map ? new Int32Array(i.map) : null,
    };
    specs = i.specs;
    return;
  }
  const j = m.job!;
  try {
    assemble(raw!, j.indices, specs, j.seed, j.batch, new Float32Array(j.x, 0, (j.x.byteLength / 4)), new Int32Array(j.y));
    parentPort!.postMessage({ id: j.id });
  } catch (e) {
    parentPort!.postMessage({ id: j.id, error: (e as Error).message });
  }
});
