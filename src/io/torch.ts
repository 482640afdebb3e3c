// PyTorch's torch.save/torch.load format (zip, PyTorch ≥ 1.6): <archive>/data.pkl holds a pickle whose
// tensors point (persistent ids) at raw storages in <archive>/data/<key>; <archive>/version holds "3".
import { basename, extname } from 'node:path';
import type { Backend, BackendName } from '../backends/backend.js';
import { tensor as makeTensor } from '../ops/creation.js';
import { allocTyped, type DType, type TypedArray } from '../tensor/dtype.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { MAX_NUMEL } from '../tensor/shape.js';
import { isTensor, type Tensor } from '../tensor/tensor.js';
import { atomicWrite } from './atomic.js';
import { DTYPE_TO_RAW, RAW_SIZE, RAW_TO_DTYPE, bufferSource, decodeRaw, encodeLE, fileSource, hasOwn, setOwn, type ByteSource, type RawKind } from './bytes.js';
import { PickleWriter, isPickleGlobal, pickleGlobal, unpickle, type PickleGlobal, type PickleValue } from './pickle.js';
import { ZipReader, ZipWriter } from './zip.js';

export interface LoadTorchOptions {
  /** Backend of the loaded tensors (default: the current backend). */
  backend?: BackendName | Backend;
}

/** torch storage class → element encoding. */
const STORAGE_TYPES: Record<string, RawKind> = {
  FloatStorage: 'f32', DoubleStorage: 'f64', HalfStorage: 'f16', BFloat16Storage: 'bf16',
  IntStorage: 'i32', LongStorage: 'i64', ShortStorage: 'i16', CharStorage: 'i8', ByteStorage: 'u8', BoolStorage: 'bool',
};
const RAW_TO_STORAGE: Partial<Record<RawKind, string>> = { f32: 'FloatStorage', f64: 'DoubleStorage', i32: 'IntStorage', i64: 'LongStorage', bool: 'BoolStorage' };

/** The archive version torch.save (1.13) writes; torch.load accepts 1 through 10 or so. */
const FILE_FORMAT_VERSION = '3\n';

interface StorageRef {
  key: string;
  raw: RawKind;
  numel: number;
}

/** A tensor as the pickle describes it: a strided view of a storage (materialized after unpickling). */
class TensorRef {
  constructor(readonly storage: StorageRef, readonly offset: number, readonly size: number[], readonly stride: number[]) {}
}

type StorageGlobal = PickleGlobal & { raw?: RawKind };

function isIntList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isSafeInteger(x));
}

/** Unpickles data.pkl of a torch zip checkpoint and turns its tensors into strata tensors. */
function loadObject(op: string, src: ByteSource, opts: LoadTorchOptions): PickleValue {
  const fail = (msg: string): never => {
    throw new StrataError(op, `${src.name}: ${msg}`);
  };
  if (src.size < 4) fail(`is ${src.size} bytes, too short to be a PyTorch checkpoint`);
  const head = src.read(0, 4);
  if (!(head[0] === 0x50 && head[1] === 0x4b && head[2] === 3 && head[3] === 4)) {
    if (head[0] === 0x80 && head[1] <= 5) {
      fail('is in the legacy torch.save format (PyTorch < 1.6, or _use_new_zipfile_serialization=False), which strata does not read; re-save it with torch.save from PyTorch ≥ 1.6');
    }
    fail('is not a PyTorch checkpoint (torch.save writes a zip archive, which starts with "PK\\x03\\x04")');
  }
  const zip = new ZipReader(src, op);
  if (zip.names.length === 0) fail('the zip archive is empty');
  const first = zip.names[0];
  const slash = first.indexOf('/');
  if (slash < 0) fail(`zip entry ${JSON.stringify(first)} is not inside an archive folder; not a torch.save checkpoint`);
  const prefix = first.slice(0, slash + 1);
  if (!zip.has(`${prefix}data.pkl`)) fail(`no ${prefix}data.pkl in the archive; not a torch.save checkpoint`);
  let bigEndian = false;
  if (zip.has(`${prefix}byteorder`)) {
    const order = new TextDecoder().decode(zip.read(`${prefix}byteorder`)).trim();
    if (order !== 'little' && order !== 'big') fail(`unknown byteorder ${JSON.stringify(order)}`);
    bigEndian = order === 'big';
  }

  const where = `${src.name}: ${prefix}data.pkl`;
  const refail = (msg: string): never => {
    throw new StrataError(op, `${where}: ${msg}`);
  };
  const storages = new Map<string, StorageRef>();

  const rebuild = (args: PickleValue[], fn: string): TensorRef => {
    const [storage, offset, size, stride] = args;
    if (!(storage instanceof Object) || !storages.has((storage as StorageRef).key) || storages.get((storage as StorageRef).key) !== storage) {
      return refail(`${fn}: first argument is not a storage`);
    }
    const s = storage as StorageRef;
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return refail(`${fn}: bad storage offset ${String(offset)}`);
    if (!isIntList(size) || size.some((d) => d < 0)) return refail(`${fn}: bad size ${JSON.stringify(size)}`);
    if (!isIntList(stride) || stride.length !== size.length || stride.some((d) => d < 0)) {
      return refail(`${fn}: bad stride ${JSON.stringify(stride)} for size ${JSON.stringify(size)}`);
    }
    const n = size.reduce((a, b) => a * b, 1);
    if (n > MAX_NUMEL) refail(`${fn}: a tensor of size ${fmtShape(size)} has ${n} elements, more than the ${MAX_NUMEL} one tensor can hold: the file is corrupt or not meant for strata`);
    if (n > 0) {
      const last = size.reduce((acc, d, i) => acc + (d - 1) * stride[i], offset);
      if (last >= s.numel) {
        refail(`${fn}: a tensor of size ${fmtShape(size)}, stride ${fmtShape(stride)} at offset ${offset} reaches element ${last} of storage ${JSON.stringify(s.key)}, which has ${s.numel}`);
      }
    }
    return new TensorRef(s, offset, size.slice(), stride.slice());
  };
  const asTensorRef = (v: PickleValue, fn: string): TensorRef => (v instanceof TensorRef ? v : refail(`${fn}: expected a tensor`));
  const classGlobal = (module: string, name: string) => pickleGlobal(module, name);

  const findGlobal = (module: string, name: string): PickleGlobal => {
    const full = `${module}.${name}`;
    switch (full) {
      case 'collections.OrderedDict':
        return pickleGlobal(module, name, (args) => {
          const m = new Map<PickleValue, PickleValue>();
          // OrderedDict([(k, v), ...]) as older protocols pickle it
          if (Array.isArray(args[0])) for (const kv of args[0]) if (Array.isArray(kv) && kv.length === 2) m.set(kv[0], kv[1]);
          return m;
        });
      case 'torch._utils._rebuild_tensor':
      case 'torch._utils._rebuild_tensor_v2':
        return pickleGlobal(module, name, (args) => rebuild(args, full));
      case 'torch._utils._rebuild_parameter':
      case 'torch._utils._rebuild_parameter_with_state':
        return pickleGlobal(module, name, (args) => asTensorRef(args[0], full));
      case 'torch._tensor._rebuild_from_type_v2':
        // (func, type, args, state): a tensor (subclass) with Python attributes; keep the tensor
        return pickleGlobal(module, name, (args) => {
          const [fn, , inner] = args;
          if (!isPickleGlobal(fn) || !fn.call || !Array.isArray(inner)) return refail(`${full}: unexpected arguments`);
          return asTensorRef(fn.call(inner), full);
        });
      case 'torch.Tensor':
      case 'torch._tensor.Tensor':
      case 'torch.nn.parameter.Parameter':
        return classGlobal(module, name);
      case 'torch.Size':
        return pickleGlobal(module, name, (args) => (isIntList(args[0]) ? args[0].slice() : refail('torch.Size: expected a tuple of ints')));
      case '_codecs.encode':
        // protocol 2 pickles Python bytes as _codecs.encode(text, 'latin1')
        return pickleGlobal(module, name, (args) => {
          const [text, enc] = args;
          if (typeof text !== 'string') return refail('_codecs.encode: expected a string');
          if (enc === 'latin1' || enc === 'latin-1') return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
          return new TextEncoder().encode(text);
        });
    }
    if (module === 'torch' && hasOwn(STORAGE_TYPES, name)) {
      return Object.assign(classGlobal(module, name), { raw: STORAGE_TYPES[name] });
    }
    let hint = '';
    if (module.startsWith('__torch__')) hint = '; this looks like a TorchScript archive (torch.jit.save): save model.state_dict() with torch.save instead';
    else if (module.startsWith('numpy')) hint = '; the checkpoint holds numpy values: convert them to tensors or Python numbers before torch.save';
    return refail(`unsupported pickle global ${full}; strata reads state dicts (tensors in dicts, lists and tuples, with strings, numbers, booleans and None)${hint}`);
  };

  const persistentLoad = (pid: PickleValue): StorageRef => {
    if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage') {
      return refail(`unsupported persistent id ${describePid(pid)}; expected ('storage', type, key, location, numel)`);
    }
    const [, type, key, , numel] = pid as [string, StorageGlobal, unknown, unknown, unknown];
    if (!isPickleGlobal(type) || !(type as StorageGlobal).raw) return refail(`persistent id has storage type ${describePid(type)}, not a torch storage class`);
    if (typeof key !== 'string') return refail('persistent id has a non-string storage key');
    if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) return refail(`storage ${JSON.stringify(key)}: bad element count ${String(numel)}`);
    const raw = (type as StorageGlobal).raw!;
    const known = storages.get(key);
    if (known) {
      if (known.raw !== raw) refail(`storage ${JSON.stringify(key)} is used both as ${known.raw} and ${raw}`);
      return known;
    }
    const s: StorageRef = { key, raw, numel };
    storages.set(key, s);
    return s;
  };

  const root = unpickle(zip.read(`${prefix}data.pkl`), { findGlobal, persistentLoad }, op, where);

  // Materialize: read each storage once, then copy every view out of it as a contiguous tensor.
  const decoded = new Map<string, TypedArray>();
  const storageData = (s: StorageRef): TypedArray => {
    let d = decoded.get(s.key);
    if (d) return d;
    const name = `${prefix}data/${s.key}`;
    if (!zip.has(name)) fail(`storage ${JSON.stringify(s.key)} has no record ${name}`);
    const bytes = zip.read(name);
    const need = s.numel * RAW_SIZE[s.raw];
    if (bytes.length < need) fail(`record ${name} has ${bytes.length} bytes, but its storage needs ${need} (${s.numel} elements of ${s.raw})`);
    try {
      d = decodeRaw(bytes.subarray(0, need), s.raw, bigEndian);
    } catch (e) {
      return fail(`record ${name}: ${(e as Error).message}`);
    }
    decoded.set(s.key, d);
    return d;
  };
  const made = new Map<TensorRef, Tensor>();
  const toTensor = (r: TensorRef): Tensor => {
    let t = made.get(r);
    if (t) return t;
    const dtype: DType = RAW_TO_DTYPE[r.storage.raw];
    const out = allocTyped(dtype, r.size.reduce((a, b) => a * b, 1));
    if (out.length > 0) gather(storageData(r.storage), r.offset, r.size, r.stride, out);
    t = makeTensor(out, { shape: r.size, dtype, backend: opts.backend });
    made.set(r, t);
    return t;
  };
  const seen = new Set<object>();
  const walk = (v: PickleValue): PickleValue => {
    if (v instanceof TensorRef) return toTensor(v);
    if (typeof v !== 'object' || v === null || seen.has(v)) return v;
    seen.add(v);
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) v[i] = walk(v[i]);
    else if (v instanceof Map) for (const [k, x] of v) v.set(k, walk(x));
    else if (v instanceof Set) for (const x of [...v]) if (x instanceof TensorRef) (v.delete(x), v.add(toTensor(x)));
    return v;
  };
  try {
    return walk(root);
  } catch (e) {
    for (const t of made.values()) t.dispose();
    throw e;
  }
}

function describePid(v: PickleValue): string {
  if (isPickleGlobal(v)) return `${v.module}.${v.name}`;
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : isPickleGlobal(x) ? `${x.module}.${x.name}` : x)) ?? String(v);
  } catch {
    return String(v);
  }
}

type Indexable = { [i: number]: number | bigint; length: number; set(a: ArrayLike<number | bigint>): void; subarray(b: number, e: number): Indexable };

/** Copies the strided view (offset, size, stride) of `src` into contiguous `out`. */
function gather(src: TypedArray, offset: number, size: number[], stride: number[], out: TypedArray): void {
  const s = src as unknown as Indexable, o = out as unknown as Indexable;
  const nd = size.length;
  let contiguous = true;
  for (let d = nd - 1, expect = 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expect) contiguous = false;
    expect *= size[d];
  }
  if (contiguous) {
    o.set(s.subarray(offset, offset + o.length) as unknown as ArrayLike<number>);
    return;
  }
  const idx = new Array<number>(nd).fill(0);
  let p = offset;
  for (let i = 0; i < o.length; i++) {
    o[i] = s[p];
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      p += stride[d];
      if (idx[d] < size[d]) break;
      p -= stride[d] * size[d];
      idx[d] = 0;
    }
  }
}

/** Flattens nested dicts/lists of a loaded object into '.'-joined keys, keeping only tensors. */
function flatten(op: string, name: string, root: PickleValue): Record<string, Tensor> {
  if (!(root instanceof Map)) {
    throw new StrataError(op, `${name}: holds ${isTensor(root) ? 'a single tensor' : Array.isArray(root) ? 'a list or tuple' : typeof root}, not a dict of tensors; use loadTorchObject to read it as it is`);
  }
  const out: Record<string, Tensor> = {};
  const seen = new Set<object>();
  const visit = (v: PickleValue, key: string): void => {
    if (isTensor(v)) {
      if (hasOwn(out, key)) throw new StrataError(op, `${name}: two entries flatten to the key ${JSON.stringify(key)}`);
      setOwn(out, key, v);
      return;
    }
    if (typeof v !== 'object' || v === null || seen.has(v)) return;
    seen.add(v);
    const join = (k: string) => (key === '' ? k : `${key}.${k}`);
    if (v instanceof Map) {
      for (const [k, x] of v) {
        if (typeof k !== 'string' && typeof k !== 'number' && typeof k !== 'bigint') {
          throw new StrataError(op, `${name}: a dict key of type ${Array.isArray(k) ? 'tuple' : typeof k} cannot be flattened into a name; use loadTorchObject`);
        }
        visit(x, join(String(k)));
      }
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => visit(x, join(String(i))));
    }
  };
  visit(root, '');
  return out;
}

function withFile<T>(op: string, path: string, f: (src: ByteSource) => T): T {
  const src = fileSource(op, path);
  try {
    return f(src);
  } finally {
    src.close();
  }
}

/**
 * Loads a `torch.save(model.state_dict(), path)` checkpoint: a flat record of tensors named as in
 * the state dict. Nested dicts and lists are flattened with '.' (`{'model': sd}` gives 'model.fc.weight');
 * entries that are not tensors (epochs, hyper-parameters) are skipped. Strided views are copied out
 * contiguously; float16/bfloat16 load as float32, int8/int16/uint8 as int32.
 * @example const sd = io.loadTorch('model.pt'); sd['fc.weight'].shape
 */
export function loadTorch(path: string, opts: LoadTorchOptions = {}): Record<string, Tensor> {
  return flatten('loadTorch', path, withFile('loadTorch', path, (src) => loadObject('loadTorch', src, opts)));
}

/** loadTorch for bytes in memory. */
export function loadTorchBuffer(bytes: Uint8Array, opts: LoadTorchOptions = {}): Record<string, Tensor> {
  return flatten('loadTorchBuffer', '<buffer>', loadObject('loadTorchBuffer', bufferSource(bytes), opts));
}

/**
 * Loads a torch.save checkpoint as its structure: dicts as Map, lists and tuples as arrays, tensors
 * as strata Tensors, Python ints as number (bigint beyond 2^53), None as null.
 */
export function loadTorchObject(path: string, opts: LoadTorchOptions = {}): unknown {
  return withFile('loadTorchObject', path, (src) => loadObject('loadTorchObject', src, opts));
}

/** The zip entries torch.save writes for a flat dict of tensors, in order, without reading data yet. */
function prepareTorch(op: string, tensors: Record<string, Tensor>): { pickle: Uint8Array; storages: { key: string; t: Tensor; nbytes: number }[] } {
  if (typeof tensors !== 'object' || tensors === null || isTensor(tensors) || Array.isArray(tensors)) {
    throw new StrataError(op, 'tensors must be an object mapping names to tensors');
  }
  const keys = new Map<Tensor, string>();
  const storages: { key: string; t: Tensor; nbytes: number }[] = [];
  const pw = new PickleWriter();
  const entries = Object.entries(tensors);
  pw.global('collections', 'OrderedDict').emptyTuple().reduce();
  if (entries.length) pw.mark();
  for (const [name, t] of entries) {
    if (!isTensor(t)) throw new StrataError(op, `value for ${JSON.stringify(name)} is not a Tensor`);
    t.checkAlive(op);
    let key = keys.get(t);
    if (key === undefined) {
      // the same Tensor under two names (tied weights) shares one storage, as in PyTorch
      key = String(storages.length);
      keys.set(t, key);
      storages.push({ key, t, nbytes: t.numel * RAW_SIZE[DTYPE_TO_RAW[t.dtype]] });
    }
    // torch's contiguous strides: stride[i] = Π max(size[j], 1) for j > i
    const stride = new Array<number>(t.ndim);
    for (let d = t.ndim - 1, acc = 1; d >= 0; d--) {
      stride[d] = acc;
      acc *= Math.max(t.shape[d], 1);
    }
    pw.str(name).global('torch._utils', '_rebuild_tensor_v2').mark();
    pw.mark().str('storage').global('torch', RAW_TO_STORAGE[DTYPE_TO_RAW[t.dtype]]!).str(key).str('cpu').int(t.numel).tuple().binpersid();
    pw.int(0).intTuple(t.shape).intTuple(stride).bool(false);
    pw.global('collections', 'OrderedDict').emptyTuple().reduce(); // backward_hooks
    pw.tuple().reduce();
  }
  if (entries.length) pw.setitems();
  return { pickle: pw.stop(), storages };
}

type PreparedTorch = ReturnType<typeof prepareTorch>;

function writeTorch(op: string, archive: string, { pickle, storages }: PreparedTorch, write: (chunk: Uint8Array) => void): void {
  const zip = new ZipWriter(write, op);
  zip.add(`${archive}/data.pkl`, pickle);
  for (const { key, t, nbytes } of storages) {
    const bytes = encodeLE(t.data());
    if (bytes.length !== nbytes) throw new StrataError(op, `tensor data for storage ${key} has ${bytes.length} bytes, expected ${nbytes}`);
    zip.add(`${archive}/data/${key}`, bytes);
  }
  zip.add(`${archive}/version`, new TextEncoder().encode(FILE_FORMAT_VERSION));
  zip.finish();
}

/**
 * Saves a flat record of tensors as torch.save saves a state dict (an OrderedDict of CPU tensors),
 * so `torch.load(path)` (also with weights_only=True) reads it back. Atomic, as saveSafetensors.
 * @example io.saveTorch('model.pt', { 'fc.weight': w, 'fc.bias': b });
 */
export function saveTorch(path: string, tensors: Record<string, Tensor>): void {
  const op = 'saveTorch';
  // torch names the archive folder after the file (without extension)
  const stem = basename(path, extname(path));
  const archive = /^[A-Za-z0-9_.-]+$/.test(stem) && stem !== '.' && stem !== '..' ? stem : 'archive';
  const prepared = prepareTorch(op, tensors); // validates before touching the file system
  atomicWrite(op, path, (write) => writeTorch(op, archive, prepared, write));
}

/** saveTorch into a byte array (the exact file contents, archive folder "archive"). */
export function saveTorchBuffer(tensors: Record<string, Tensor>): Uint8Array {
  const op = 'saveTorchBuffer';
  const chunks: Uint8Array[] = [];
  writeTorch(op, 'archive', prepareTorch(op, tensors), (c) => chunks.push(c));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}
