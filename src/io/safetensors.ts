// safetensors (Hugging Face): an 8-byte little-endian header length N, N bytes of JSON header
// {name: {dtype, shape, data_offsets}, "__metadata__": {...}}, then the tensors' bytes, back to back.
import type { BackendName, Backend } from '../backends/backend.js';
import { tensor as makeTensor } from '../ops/creation.js';
import type { DType } from '../tensor/dtype.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { isTensor, type Tensor } from '../tensor/tensor.js';
import { atomicWrite } from './atomic.js';
import { RAW_TO_DTYPE, bufferSource, decodeRaw, encodeLE, fileSource, hasOwn, setOwn, type ByteSource, type RawKind } from './bytes.js';

/** The element types safetensors files name (`F8_*` can be inspected but not loaded). */
export type SafetensorsDType =
  | 'BOOL' | 'U8' | 'I8' | 'F8_E5M2' | 'F8_E4M3' | 'I16' | 'U16' | 'F16' | 'BF16'
  | 'I32' | 'U32' | 'F32' | 'F64' | 'I64' | 'U64';

// Listed in the reference implementation's enum order: writers sort by it (descending), then by name.
const ST_DTYPES: readonly { name: SafetensorsDType; size: number; raw: RawKind | null }[] = [
  { name: 'BOOL', size: 1, raw: 'bool' },
  { name: 'U8', size: 1, raw: 'u8' },
  { name: 'I8', size: 1, raw: 'i8' },
  { name: 'F8_E5M2', size: 1, raw: null },
  { name: 'F8_E4M3', size: 1, raw: null },
  { name: 'I16', size: 2, raw: 'i16' },
  { name: 'U16', size: 2, raw: 'u16' },
  { name: 'F16', size: 2, raw: 'f16' },
  { name: 'BF16', size: 2, raw: 'bf16' },
  { name: 'I32', size: 4, raw: 'i32' },
  { name: 'U32', size: 4, raw: 'u32' },
  { name: 'F32', size: 4, raw: 'f32' },
  { name: 'F64', size: 8, raw: 'f64' },
  { name: 'I64', size: 8, raw: 'i64' },
  { name: 'U64', size: 8, raw: 'u64' },
];
const ST_BY_NAME = new Map(ST_DTYPES.map((d, i) => [d.name as string, { ...d, order: i }]));
// NOTE: bfloat16 and float16 tensors are written as F32 (their values read back as a Float32Array)
const DTYPE_TO_ST: Record<DType, SafetensorsDType> = { float32: 'F32', float64: 'F64', int32: 'I32', int64: 'I64', bool: 'BOOL', bfloat16: 'F32', float16: 'F32' };

/** The reference implementation refuses headers above 100 MB; so do we (a corrupt length would otherwise allocate it). */
const MAX_HEADER_SIZE = 100_000_000;

/** One tensor's entry in a safetensors header. */
export interface SafetensorsTensorInfo {
  dtype: SafetensorsDType;
  shape: number[];
  /** [begin, end) byte offsets into the data section (which starts at `dataStart` in the file). */
  dataOffsets: [number, number];
}

/** A validated safetensors header. */
export interface SafetensorsHeader {
  /** Tensor entries, in file order. */
  tensors: Record<string, SafetensorsTensorInfo>;
  /** The free-form `__metadata__` map ({} when absent). */
  metadata: Record<string, string>;
  /** N, the header's length in bytes (including padding). */
  headerSize: number;
  /** Where the data section starts in the file (8 + N). */
  dataStart: number;
  /** Total size of the file or buffer. */
  byteLength: number;
}

export interface LoadSafetensorsOptions {
  /** Backend of the loaded tensors (default: the current backend). */
  backend?: BackendName | Backend;
  /** Load only these tensors (the rest of the file is not read). Default: all. */
  names?: readonly string[];
}

export interface LoadedSafetensors {
  /** F32/F64/I32/I64/BOOL load as float32/float64/int32/int64/bool; F16/BF16 as float32;
   * I8/U8/I16/U16 as int32; U32/U64 as int64. */
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

// ---------------------------------------------------------------- reading

function fail(op: string, src: ByteSource, msg: string): never {
  throw new StrataError(op, `${src.name}: ${msg}`);
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Reads and validates the header of `src` against its size, reading nothing past the header. */
function readHeader(op: string, src: ByteSource): SafetensorsHeader {
  if (src.size < 8) fail(op, src, `is ${src.size} bytes, shorter than the 8-byte header length that starts a safetensors file`);
  const n64 = new DataView(src.read(0, 8).slice().buffer).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_SIZE)) {
    if (n64 + 8n > BigInt(src.size)) fail(op, src, `header length ${n64} runs past the end of the file (${src.size} bytes); the file is truncated or not safetensors`);
    fail(op, src, `header length ${n64} exceeds the ${MAX_HEADER_SIZE}-byte limit`);
  }
  const n = Number(n64);
  if (8 + n > src.size) fail(op, src, `header length ${n} runs past the end of the file (${src.size} bytes); the file is truncated or not safetensors`);
  const dataLen = src.size - 8 - n;

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(src.read(8, n));
  } catch {
    fail(op, src, 'header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(op, src, `header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(op, src, 'header must be a JSON object {name: {dtype, shape, data_offsets}}');

  const metadata: Record<string, string> = {};
  const entries: [string, SafetensorsTensorInfo][] = [];
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(op, src, '__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(op, src, `__metadata__ value for ${JSON.stringify(k)} must be a string, found ${JSON.stringify(v)}`);
        setOwn(metadata, k, v);
      }
      continue;
    }
    const what = `tensor ${JSON.stringify(name)}`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(op, src, `${what}: entry must be an object {dtype, shape, data_offsets}`);
    const { dtype, shape, data_offsets: offs } = raw as Record<string, unknown>;
    const info = typeof dtype === 'string' ? ST_BY_NAME.get(dtype) : undefined;
    if (!info) fail(op, src, `${what}: unknown dtype ${JSON.stringify(dtype)}; safetensors dtypes are ${ST_DTYPES.map((d) => d.name).join(', ')}`);
    if (!Array.isArray(shape) || !shape.every(isNonNegInt)) fail(op, src, `${what}: shape must be an array of non-negative integers, found ${JSON.stringify(shape)}`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isNonNegInt)) fail(op, src, `${what}: data_offsets must be [begin, end] with non-negative integers, found ${JSON.stringify(offs)}`);
    const [b, e] = offs as [number, number];
    if (e < b) fail(op, src, `${what}: data_offsets [${b},${e}] end before they begin`);
    const count = (shape as number[]).reduce((a, s) => a * s, 1);
    const need = count * info.size;
    if (!Number.isSafeInteger(need)) fail(op, src, `${what}: shape ${fmtShape(shape as number[])} is too large`);
    if (e - b !== need) fail(op, src, `${what}: data_offsets [${b},${e}] hold ${e - b} bytes, but shape ${fmtShape(shape as number[])} of ${info.name} needs ${need}`);
    if (e > dataLen) fail(op, src, `${what}: data_offsets [${b},${e}] run past the end of the data section (${dataLen} bytes); the file is truncated or the header is wrong`);
    entries.push([name, { dtype: info.name, shape: (shape as number[]).slice(), dataOffsets: [b, e] }]);
  }

  // The tensors must tile the data section exactly: no overlaps, no holes, nothing after the last one.
  entries.sort((x, y) => x[1].dataOffsets[0] - y[1].dataOffsets[0] || x[1].dataOffsets[1] - y[1].dataOffsets[1]);
  let pos = 0;
  let prev = '';
  for (const [name, { dataOffsets: [b, e] }] of entries) {
    if (b < pos) fail(op, src, `tensor ${JSON.stringify(name)}: data_offsets [${b},${e}] overlap tensor ${JSON.stringify(prev)} (which ends at ${pos})`);
    if (b > pos) fail(op, src, `tensor ${JSON.stringify(name)}: data_offsets [${b},${e}] leave bytes [${pos},${b}) of the data section unused`);
    pos = e;
    if (e > b) prev = name;
  }
  if (pos !== dataLen) fail(op, src, `${dataLen - pos} bytes of trailing data after the last tensor (data section is ${dataLen} bytes, tensors cover ${pos})`);

  const tensors: Record<string, SafetensorsTensorInfo> = {};
  for (const [name, info] of entries) setOwn(tensors, name, info);
  return { tensors, metadata, headerSize: n, dataStart: 8 + n, byteLength: src.size };
}

function loadFrom(op: string, src: ByteSource, opts: LoadSafetensorsOptions): LoadedSafetensors {
  const header = readHeader(op, src);
  let names = Object.keys(header.tensors);
  if (opts.names) {
    for (const want of opts.names) {
      if (!hasOwn(header.tensors, want)) fail(op, src, `no tensor named ${JSON.stringify(want)}; the file has ${names.length ? names.map((x) => JSON.stringify(x)).join(', ') : 'none'}`);
    }
    names = [...new Set(opts.names)];
  }
  // Check every dtype before allocating anything.
  for (const name of names) {
    const dt = header.tensors[name].dtype;
    if (!ST_BY_NAME.get(dt)!.raw) fail(op, src, `tensor ${JSON.stringify(name)} has dtype ${dt}, which strata cannot load (load the others with the names option)`);
  }
  const tensors: Record<string, Tensor> = {};
  try {
    for (const name of names) {
      const { dtype, shape, dataOffsets: [b, e] } = header.tensors[name];
      const raw = ST_BY_NAME.get(dtype)!.raw!;
      let data;
      try {
        data = decodeRaw(src.read(header.dataStart + b, e - b), raw);
      } catch (err) {
        if (err instanceof StrataError) throw err;
        fail(op, src, `tensor ${JSON.stringify(name)}: ${(err as Error).message}`);
      }
      setOwn(tensors, name, makeTensor(data, { shape, backend: opts.backend, dtype: RAW_TO_DTYPE[raw] }));
    }
  } catch (err) {
    for (const t of Object.values(tensors)) t.dispose();
    throw err;
  }
  return { tensors, metadata: header.metadata };
}

/**
 * Reads and validates only the header of a safetensors file (names, dtypes, shapes, offsets,
 * metadata), so big checkpoints can be inspected without reading their data.
 * @example const h = io.readSafetensorsHeader('model.safetensors'); h.tensors['fc.weight'].shape
 */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  const src = fileSource('readSafetensorsHeader', path);
  try {
    return readHeader('readSafetensorsHeader', src);
  } finally {
    src.close();
  }
}

/** readSafetensorsHeader for bytes in memory. */
export function readSafetensorsHeaderBuffer(bytes: Uint8Array): SafetensorsHeader {
  return readHeader('readSafetensorsHeaderBuffer', bufferSource(bytes));
}

/**
 * Loads the tensors (and `__metadata__`) of a safetensors file. Each tensor is read from the file on
 * its own (the file is never held in memory whole); `names` loads a subset.
 * @example const { tensors, metadata } = io.loadSafetensors('model.safetensors', { backend: 'native' });
 */
export function loadSafetensors(path: string, opts: LoadSafetensorsOptions = {}): LoadedSafetensors {
  const src = fileSource('loadSafetensors', path);
  try {
    return loadFrom('loadSafetensors', src, opts);
  } finally {
    src.close();
  }
}

/** loadSafetensors for bytes in memory. */
export function loadSafetensorsBuffer(bytes: Uint8Array, opts: LoadSafetensorsOptions = {}): LoadedSafetensors {
  return loadFrom('loadSafetensorsBuffer', bufferSource(bytes), opts);
}

// ---------------------------------------------------------------- writing

interface Prepared {
  /** 8-byte length + padded JSON header. */
  head: Uint8Array;
  /** Tensors in data order with their byte sizes. */
  order: { name: string; t: Tensor; nbytes: number }[];
  dataLen: number;
}

const utf8 = new TextEncoder();

function prepare(op: string, tensors: Record<string, Tensor>, metadata: Record<string, string> | undefined): Prepared {
  if (typeof tensors !== 'object' || tensors === null || isTensor(tensors) || Array.isArray(tensors)) {
    throw new StrataError(op, 'tensors must be an object mapping names to tensors');
  }
  const items: { name: string; t: Tensor; st: SafetensorsDType; key: Uint8Array }[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    if (!isTensor(t)) throw new StrataError(op, `value for ${JSON.stringify(name)} is not a Tensor`);
    if (name === '__metadata__') throw new StrataError(op, 'the name "__metadata__" is reserved for metadata; rename the tensor');
    t.checkAlive(op);
    items.push({ name, t, st: DTYPE_TO_ST[t.dtype], key: utf8.encode(name) });
  }
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) throw new StrataError(op, 'metadata must be an object of strings');
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new StrataError(op, `metadata value for ${JSON.stringify(k)} must be a string, got ${typeof v} (convert it with String() or JSON.stringify())`);
    }
  }
  // As the reference writer: larger alignment first (its dtype enum order, descending), then by name
  // (byte order of the UTF-8 names), so every tensor starts aligned to its element size.
  items.sort((a, b) => ST_BY_NAME.get(b.st)!.order - ST_BY_NAME.get(a.st)!.order || Buffer.compare(a.key, b.key));

  const parts: string[] = [];
  if (metadata !== undefined) {
    parts.push(`"__metadata__":{${Object.entries(metadata).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  }
  const order: Prepared['order'] = [];
  let offset = 0;
  for (const { name, t, st } of items) {
    const nbytes = t.numel * ST_BY_NAME.get(st)!.size;
    parts.push(`${JSON.stringify(name)}:{"dtype":"${st}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + nbytes}]}`);
    order.push({ name, t, nbytes });
    offset += nbytes;
  }
  const json = utf8.encode(`{${parts.join(',')}}`);
  // NOTE: the header is padded with spaces to a multiple of 8 so the data section starts 8-aligned.
  const padded = Math.ceil(json.length / 8) * 8;
  const head = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);
  return { head, order, dataLen: offset };
}

function tensorBytes(op: string, name: string, t: Tensor, nbytes: number): Uint8Array {
  const bytes = encodeLE(t.data());
  if (bytes.length !== nbytes) throw new StrataError(op, `tensor ${JSON.stringify(name)} returned ${bytes.length} bytes of data, expected ${nbytes}`);
  return bytes;
}

/**
 * Saves tensors (float32→F32, float64→F64, int32→I32, int64→I64, bool→BOOL) and optional string
 * metadata as a safetensors file, laid out as the reference implementation lays it out. The write is
 * atomic: a temporary file in the same folder is written, fsynced and renamed over `path`; on any
 * error it is removed and an existing file at `path` is left intact.
 * @example io.saveSafetensors('model.safetensors', { 'fc.weight': w, 'fc.bias': b }, { format: 'pt' });
 */
export function saveSafetensors(path: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): void {
  const op = 'saveSafetensors';
  const p = prepare(op, tensors, metadata);
  atomicWrite(op, path, (write) => {
    write(p.head);
    for (const { name, t, nbytes } of p.order) write(tensorBytes(op, name, t, nbytes));
  });
}

/** saveSafetensors into a byte array (the exact file contents). */
export function saveSafetensorsBuffer(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const op = 'saveSafetensorsBuffer';
  const p = prepare(op, tensors, metadata);
  const out = new Uint8Array(p.head.length + p.dataLen);
  out.set(p.head, 0);
  let pos = p.head.length;
  for (const { name, t, nbytes } of p.order) {
    out.set(tensorBytes(op, name, t, nbytes), pos);
    pos += nbytes;
  }
  return out;
}
