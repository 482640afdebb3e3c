// DataLoader worker thread: rebuilds the dataset from its spec and assembles requested batches into
// SharedArrayBuffers, posting them back on its own MessagePort (so the main thread can also receive synchronously).
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { StrataError } from '../tensor/errors.js';
import { assembleBatch, sharedAlloc } from './collate.js';
import { datasetFromSpec, type Dataset, type DatasetSpec } from './dataset.js';

interface Init { spec: DatasetSpec; port: MessagePort; signal: Int32Array; id: number; numWorkers: number }
export interface Task { token: number; k: number; indices: Int32Array; seed: number }

const { spec, port, signal, id, numWorkers } = workerData as Init;

function notify(): void {
  Atomics.add(signal, id, 1);
  Atomics.notify(signal, id);
}
function errorFields(e: unknown): { error: string; op?: string } {
  if (e instanceof StrataError) return { error: e.message.slice(e.op.length + 2), op: e.op };
  return { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
}

process.on('exit', () => {
  Atomics.store(signal, numWorkers + id, 1);
  notify();
});

let dataset: Dataset<unknown> | null = null;
let initError: unknown = null;
try {
  dataset = datasetFromSpec(spec);
} catch (e) {
  initError = e;
}
port.postMessage({ token: -1, k: -1, ...(initError ? errorFields(initError) : {}) });
notify();

parentPort!.on('message', (t: Task) => {
  let msg: object;
  try {
    if (initError) throw initError;
    msg = { token: t.token, k: t.k, batch: assembleBatch(dataset!, t.indices, t.seed, sharedAlloc) };
  } catch (e) {
    msg = { token: t.token, k: t.k, ...errorFields(e) };
  }
  port.postMessage(msg);
  notify();
});
