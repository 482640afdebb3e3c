// A minimal, safe pickle reader (protocol 2 and the other protocols' opcodes for plain data; globals only through an allow-list,
// never executed) and a protocol-2 writer for the few opcodes a PyTorch state dict needs.
import { StrataError } from '../tensor/errors.js';
import { ByteWriter } from './bytes.js';

/**
 * How pickled values come back: None → null, bool → boolean, int → number (bigint beyond 2^53),
 * float → number, str → string, bytes → Uint8Array, tuple and list → array, dict → Map, set → Set.
 */
export type PickleValue = unknown;

/** A global the caller allows; `call` runs for REDUCE/NEWOBJ with the arguments as an array. */
export interface PickleGlobal {
  readonly module: string;
  readonly name: string;
  call?(args: PickleValue[]): PickleValue;
}

export interface UnpickleHooks {
  /** Resolves a GLOBAL; throws (a StrataError naming it) for anything not allowed. */
  findGlobal(module: string, name: string): PickleGlobal;
  /** Resolves a persistent id (BINPERSID/PERSID). */
  persistentLoad?(pid: PickleValue): PickleValue;
  /** Applies BUILD state to an object; default: state on a dict (instance attributes) is dropped. */
  build?(obj: PickleValue, state: PickleValue): PickleValue;
}

export function isPickleGlobal(v: unknown): v is PickleGlobal {
  return typeof v === 'object' && v !== null && (v as { [GLOBAL]?: true })[GLOBAL] === true;
}
const GLOBAL = Symbol('pickleGlobal');
/** Marks an object as a global for isPickleGlobal. */
export function pickleGlobal(module: string, name: string, call?: (args: PickleValue[]) => PickleValue): PickleGlobal {
  return { module, name, call, [GLOBAL]: true } as PickleGlobal;
}

const MARK = Symbol('mark');

/**
 * Unpickles `data`. Errors are StrataErrors from `op` naming `where` (the file and record) and the
 * byte position.
 */
export function unpickle(data: Uint8Array, hooks: UnpickleHooks, op: string, where: string): PickleValue {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const dec = new TextDecoder('utf-8', { fatal: true });
  const latin1 = new TextDecoder('latin1');
  let pos = 0;
  let stack: PickleValue[] = [];
  const metastack: PickleValue[][] = [];
  const memo = new Map<number, PickleValue>();

  const fail = (msg: string): never => {
    throw new StrataError(op, `${where}: ${msg}`);
  };
  const need = (n: number): number => {
    if (pos + n > data.length) fail(`pickle data ends unexpectedly at byte ${data.length} (needed ${n} more at ${pos}); the file is truncated or corrupt`);
    const at = pos;
    pos += n;
    return at;
  };
  const byte = (): number => data[need(1)];
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) fail(`pickle data ends inside a text line at byte ${pos}`);
    const s = latin1.decode(data.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const utf8 = (n: number): string => {
    const at = need(n);
    try {
      return dec.decode(data.subarray(at, at + n));
    } catch {
      return fail(`string at byte ${at} is not valid UTF-8`);
    }
  };
  const bytesOf = (n: number): Uint8Array => {
    const at = need(n);
    return data.slice(at, at + n);
  };
  const len64 = (): number => {
    const at = need(8);
    const v = view.getBigUint64(at, true);
    if (v > BigInt(data.length)) fail(`length ${v} at byte ${at} runs past the end of the pickle`);
    return Number(v);
  };
  const pop = (): PickleValue => {
    if (stack.length === 0) fail(`stack underflow at byte ${pos - 1}; the pickle is corrupt`);
    const v = stack.pop();
    if (v === MARK) fail(`unexpected MARK at byte ${pos - 1}; the pickle is corrupt`);
    return v;
  };
  const top = (): PickleValue => {
    if (stack.length === 0 || stack[stack.length - 1] === MARK) fail(`stack underflow at byte ${pos - 1}; the pickle is corrupt`);
    return stack[stack.length - 1];
  };
  const popMark = (): PickleValue[] => {
    const items = stack;
    if (metastack.length === 0) fail(`no MARK for the opcode at byte ${pos - 1}; the pickle is corrupt`);
    stack = metastack.pop()!;
    return items;
  };
  const int = (v: bigint): number | bigint => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
  const longLE = (n: number): number | bigint => {
    const at = need(n);
    if (n === 0) return 0;
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[at + i]);
    if (data[at + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    return int(v);
  };
  const setItems = (d: PickleValue, items: PickleValue[]): void => {
    if (!(d instanceof Map)) return fail(`SETITEM(S) on a ${describe(d)} at byte ${pos - 1}; only dicts are supported`);
    if (items.length % 2) fail(`odd number of items for SETITEMS at byte ${pos - 1}`);
    for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
  };
  const append = (l: PickleValue, items: PickleValue[]): void => {
    if (!Array.isArray(l)) return fail(`APPEND(S) on a ${describe(l)} at byte ${pos - 1}; only lists are supported`);
    l.push(...items);
  };
  const callGlobal = (fn: PickleValue, args: PickleValue, opName: string): PickleValue => {
    if (!isPickleGlobal(fn)) return fail(`${opName} of a ${describe(fn)} at byte ${pos - 1}; only allowed globals can be called`);
    if (!Array.isArray(args)) return fail(`${opName} of ${fn.module}.${fn.name} with non-tuple arguments at byte ${pos - 1}`);
    if (!fn.call) return fail(`${fn.module}.${fn.name} cannot be called here`);
    return fn.call(args);
  };
  const memoGet = (k: number): PickleValue => {
    if (!memo.has(k)) fail(`memo key ${k} used before it was set (byte ${pos - 1}); the pickle is corrupt`);
    return memo.get(k);
  };

  for (;;) {
    const opAt = pos;
    const code = byte();
    switch (code) {
      case 0x80: { // PROTO
        const v = byte();
        if (v > 5) fail(`pickle protocol ${v} is newer than this reader understands`);
        break;
      }
      case 0x95: need(8); break; // FRAME: the length is only a read-ahead hint
      case 0x2e: { // STOP
        const v = pop();
        return v;
      }
      case 0x28: metastack.push(stack); stack = []; break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(view.getInt32(need(4), true)); break; // BININT
      case 0x4b: stack.push(byte()); break; // BININT1
      case 0x4d: stack.push(view.getUint16(need(2), true)); break; // BININT2
      case 0x8a: stack.push(longLE(byte())); break; // LONG1
      case 0x8b: { // LONG4
        const n = view.getInt32(need(4), true);
        if (n < 0 || n > data.length) fail(`bad LONG4 length ${n} at byte ${opAt}`);
        stack.push(longLE(n));
        break;
      }
      case 0x49: { // INT (text); I00/I01 are protocol 0's False/True
        const s = line();
        if (s === '00') stack.push(false);
        else if (s === '01') stack.push(true);
        else if (/^[+-]?\d+$/.test(s)) stack.push(int(BigInt(s)));
        else fail(`bad INT ${JSON.stringify(s)} at byte ${opAt}`);
        break;
      }
      case 0x4c: { // LONG (text)
        const s = line().replace(/L$/, '');
        if (!/^[+-]?\d+$/.test(s)) fail(`bad LONG ${JSON.stringify(s)} at byte ${opAt}`);
        stack.push(int(BigInt(s)));
        break;
      }
      case 0x47: stack.push(view.getFloat64(need(8), false)); break; // BINFLOAT (big-endian)
      case 0x46: { // FLOAT (text)
        const s = line();
        const v = Number(s);
        if (Number.isNaN(v) && !/^[+-]?nan$/i.test(s)) fail(`bad FLOAT ${JSON.stringify(s)} at byte ${opAt}`);
        stack.push(/^[+-]?inf$/i.test(s) ? (s.startsWith('-') ? -Infinity : Infinity) : v);
        break;
      }
      case 0x58: stack.push(utf8(view.getUint32(need(4), true))); break; // BINUNICODE
      case 0x8c: stack.push(utf8(byte())); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(utf8(len64())); break; // BINUNICODE8
      // Python 2 str: bytes that were text in practice (torch decodes them as ASCII)
      case 0x54: stack.push(latin1.decode(bytesOf(view.getUint32(need(4), true)))); break; // BINSTRING
      case 0x55: stack.push(latin1.decode(bytesOf(byte()))); break; // SHORT_BINSTRING
      case 0x42: stack.push(bytesOf(view.getUint32(need(4), true))); break; // BINBYTES
      case 0x43: stack.push(bytesOf(byte())); break; // SHORT_BINBYTES
      case 0x8e: stack.push(bytesOf(len64())); break; // BINBYTES8
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x74: { const items = popMark(); stack.push(items); break; } // TUPLE (popMark swaps `stack`: call it first)
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(), a = pop(); stack.push([a, b]); break; } // TUPLE2
      case 0x87: { const c = pop(), b = pop(), a = pop(); stack.push([a, b, c]); break; } // TUPLE3
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: { const items = popMark(); stack.push(items); break; } // LIST
      case 0x61: { const v = pop(); append(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); append(top(), items); break; } // APPENDS
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x64: { const items = popMark(); const d = new Map(); setItems(d, items); stack.push(d); break; } // DICT
      case 0x73: { const v = pop(), k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x90: { // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) fail(`ADDITEMS on a ${describe(s)} at byte ${opAt}`);
        for (const v of items) (s as Set<PickleValue>).add(v);
        break;
      }
      case 0x91: { const items = popMark(); stack.push(new Set(items)); break; } // FROZENSET
      case 0x63: { // GLOBAL
        const module = line(), name = line();
        stack.push(hooks.findGlobal(fixModule(module), name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop(), module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail(`STACK_GLOBAL needs two strings at byte ${opAt}`);
        stack.push(hooks.findGlobal(module as string, name as string));
        break;
      }
      case 0x52: { const args = pop(), fn = pop(); stack.push(callGlobal(fn, args, 'REDUCE')); break; } // REDUCE
      case 0x81: { const args = pop(), cls = pop(); stack.push(callGlobal(cls, args, 'NEWOBJ')); break; } // NEWOBJ
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop(), args = pop(), cls = pop();
        if (!(kwargs instanceof Map) || kwargs.size) fail(`NEWOBJ_EX with keyword arguments at byte ${opAt} is not supported`);
        stack.push(callGlobal(cls, args, 'NEWOBJ_EX'));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const obj = pop();
        if (hooks.build) stack.push(hooks.build(obj, state));
        else if (obj instanceof Map) stack.push(obj);
        else fail(`cannot BUILD a ${describe(obj)} at byte ${opAt}`);
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!hooks.persistentLoad) fail(`persistent id at byte ${opAt}, but none are expected here`);
        stack.push(hooks.persistentLoad!(pid));
        break;
      }
      case 0x50: { // PERSID
        const pid = line();
        if (!hooks.persistentLoad) fail(`persistent id at byte ${opAt}, but none are expected here`);
        stack.push(hooks.persistentLoad!(pid));
        break;
      }
      case 0x71: memo.set(byte(), top()); break; // BINPUT
      case 0x72: memo.set(view.getUint32(need(4), true), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x70: { // PUT
        const s = line();
        if (!/^\d+$/.test(s)) fail(`bad PUT ${JSON.stringify(s)} at byte ${opAt}`);
        memo.set(Number(s), top());
        break;
      }
      case 0x68: stack.push(memoGet(byte())); break; // BINGET
      case 0x6a: stack.push(memoGet(view.getUint32(need(4), true))); break; // LONG_BINGET
      case 0x67: { // GET
        const s = line();
        if (!/^\d+$/.test(s)) fail(`bad GET ${JSON.stringify(s)} at byte ${opAt}`);
        stack.push(memoGet(Number(s)));
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${code.toString(16).padStart(2, '0')} (${JSON.stringify(String.fromCharCode(code))}) at byte ${opAt}`);
    }
  }
}

/** Python 2 module names that protocol-2 pickles written by Python 3 use (fix_imports). */
function fixModule(m: string): string {
  return m === '__builtin__' ? 'builtins' : m === 'copy_reg' ? 'copyreg' : m;
}

function describe(v: PickleValue): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'tuple/list';
  if (v instanceof Map) return 'dict';
  if (isPickleGlobal(v)) return `${v.module}.${v.name}`;
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

/** Protocol-2 pickle writer for PyTorch-style structures. Globals are memoized; nothing else is. */
export class PickleWriter {
  private w = new ByteWriter();
  private memo = new Map<string, number>();

  constructor() {
    this.w.u8(0x80).u8(2); // PROTO 2
  }

  /** Pushes module.name (GLOBAL the first time, then BINGET/LONG_BINGET). */
  global(module: string, name: string): this {
    const key = `${module}\n${name}`;
    const id = this.memo.get(key);
    if (id !== undefined) return this.get(id);
    this.w.u8(0x63).bytes(new TextEncoder().encode(`${module}\n${name}\n`));
    return this.put(key);
  }
  private put(key: string): this {
    const id = this.memo.size;
    this.memo.set(key, id);
    if (id < 256) this.w.u8(0x71).u8(id);
    else this.w.u8(0x72).u32(id);
    return this;
  }
  private get(id: number): this {
    if (id < 256) this.w.u8(0x68).u8(id);
    else this.w.u8(0x6a).u32(id);
    return this;
  }
  /** A Python int: BININT1/BININT2/BININT where they fit, else LONG1 (two's complement, little-endian). */
  int(v: number | bigint): this {
    if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new RangeError(`pickle int ${v} is not an integer`);
    const n = BigInt(v);
    if (n >= 0n && n < 256n) return this.w.u8(0x4b).u8(Number(n)), this;
    if (n >= 0n && n < 65536n) return this.w.u8(0x4d).u16(Number(n)), this;
    if (n >= -(2n ** 31n) && n < 2n ** 31n) return this.w.u8(0x4a).i32(Number(n)), this;
    const bytes: number[] = [];
    let x = n;
    // emit bytes until the remaining value is just the sign extension of the last byte written
    for (;;) {
      const b = Number(BigInt.asUintN(8, x));
      bytes.push(b);
      x >>= 8n;
      if ((x === 0n && !(b & 0x80)) || (x === -1n && b & 0x80)) break;
    }
    this.w.u8(0x8a).u8(bytes.length).bytes(Uint8Array.from(bytes));
    return this;
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    this.w.u8(0x58).u32(b.length).bytes(b); // BINUNICODE
    return this;
  }
  bool(v: boolean): this {
    this.w.u8(v ? 0x88 : 0x89);
    return this;
  }
  none(): this {
    this.w.u8(0x4e);
    return this;
  }
  mark(): this {
    this.w.u8(0x28);
    return this;
  }
  /** TUPLE from the last MARK. */
  tuple(): this {
    this.w.u8(0x74);
    return this;
  }
  emptyTuple(): this {
    this.w.u8(0x29);
    return this;
  }
  /** A tuple of ints, with the short-tuple opcodes as Python's pickler uses them. */
  intTuple(vs: readonly number[]): this {
    if (vs.length === 0) return this.emptyTuple();
    if (vs.length > 3) this.mark();
    for (const v of vs) this.int(v);
    this.w.u8(vs.length === 1 ? 0x85 : vs.length === 2 ? 0x86 : vs.length === 3 ? 0x87 : 0x74);
    return this;
  }
  reduce(): this {
    this.w.u8(0x52);
    return this;
  }
  binpersid(): this {
    this.w.u8(0x51);
    return this;
  }
  /** SETITEMS from the last MARK. */
  setitems(): this {
    this.w.u8(0x75);
    return this;
  }
  stop(): Uint8Array {
    this.w.u8(0x2e);
    return this.w.result();
  }
}
