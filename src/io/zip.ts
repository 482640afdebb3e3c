// A small ZIP reader and writer for PyTorch checkpoints: reads stored (and deflated) entries via the
// central directory, ZIP64 included; writes stored entries with data aligned to 64 bytes as PyTorch's
// writer does (without ZIP64: up to 4 GiB).
import { inflateRawSync } from 'node:zlib';
import { StrataError } from '../tensor/errors.js';
import { ByteWriter, crc32, type ByteSource } from './bytes.js';

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const ZIP64_EOCD_SIZE = 56;
const EOCD_SIZE = 22;
const LOCAL_SIZE = 30;
const CENTRAL_SIZE = 46;
/** PyTorch aligns every record's data to 64 bytes (padding in an "FB" extra field of the local header). */
export const TORCH_ALIGNMENT = 64;

export interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

function u16(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

function u64(b: Uint8Array, o: number, fail: (msg: string) => never): number {
  const v = BigInt(u32(b, o)) | (BigInt(u32(b, o + 4)) << 32n);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`64-bit zip field ${v} is out of range; the file is corrupt`);
  return Number(v);
}

/** Entries of a zip archive, read from its central directory. */
export class ZipReader {
  readonly entries = new Map<string, ZipEntry>();
  /** Entry names in central-directory order. */
  readonly names: string[] = [];

  constructor(private readonly src: ByteSource, private readonly op: string) {
    const fail = (msg: string): never => {
      throw new StrataError(op, `${src.name}: ${msg}`);
    };
    if (src.size < EOCD_SIZE) fail(`is ${src.size} bytes, too short to be a zip archive`);
    // The end-of-central-directory record is the last 22 bytes plus an optional comment (< 64 KiB).
    const tailLen = Math.min(src.size, EOCD_SIZE + 0xffff);
    const tail = src.read(src.size - tailLen, tailLen);
    let at = -1;
    for (let i = tailLen - EOCD_SIZE; i >= 0; i--) {
      if (u32(tail, i) === SIG_EOCD && i + EOCD_SIZE + u16(tail, i + 20) <= tailLen) {
        at = i;
        break;
      }
    }
    if (at < 0) fail('no zip end-of-central-directory record (the file is truncated or not a zip archive)');
    const eocdPos = src.size - tailLen + at;
    let disk = u16(tail, at + 4), cdDisk = u16(tail, at + 6);
    let countDisk = u16(tail, at + 8), count = u16(tail, at + 10);
    let cdSize = u32(tail, at + 12), cdOffset = u32(tail, at + 16);
    let cdLimit = eocdPos;
    // PyTorch's writer always adds ZIP64 end records (a locator right before the classic record).
    if (eocdPos >= 20 && u32(src.read(eocdPos - 20, 4), 0) === SIG_ZIP64_LOCATOR) {
      const loc = src.read(eocdPos - 20, 20);
      const z64Pos = u64(loc, 8, fail);
      if (z64Pos + ZIP64_EOCD_SIZE > eocdPos - 20) fail('ZIP64 end record lies outside the file; the file is corrupt');
      const z = src.read(z64Pos, ZIP64_EOCD_SIZE);
      if (u32(z, 0) !== SIG_ZIP64_EOCD) fail(`no ZIP64 end record at offset ${z64Pos}; the file is corrupt`);
      disk = u32(z, 16);
      cdDisk = u32(z, 20);
      countDisk = u64(z, 24, fail);
      count = u64(z, 32, fail);
      cdSize = u64(z, 40, fail);
      cdOffset = u64(z, 48, fail);
      cdLimit = z64Pos;
    } else if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      fail('the end record points to ZIP64 records that are missing; the file is truncated or corrupt');
    }
    if (disk !== 0 || cdDisk !== 0 || countDisk !== count) fail('multi-part zip archives are not supported');
    if (cdOffset + cdSize > cdLimit) fail(`central directory [${cdOffset}, ${cdOffset + cdSize}) runs past the end records at ${cdLimit}; the file is truncated or corrupt`);

    const cd = src.read(cdOffset, cdSize);
    const dec = new TextDecoder();
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + CENTRAL_SIZE > cd.length || u32(cd, p) !== SIG_CENTRAL) fail(`central directory entry ${i} is corrupt`);
      const flags = u16(cd, p + 8);
      const method = u16(cd, p + 10);
      const crc = u32(cd, p + 16);
      let compressedSize = u32(cd, p + 20), size = u32(cd, p + 24);
      const nameLen = u16(cd, p + 28), extraLen = u16(cd, p + 30), commentLen = u16(cd, p + 32);
      let localOffset = u32(cd, p + 42);
      if (p + CENTRAL_SIZE + nameLen + extraLen > cd.length) fail(`central directory entry ${i} is corrupt`);
      const name = dec.decode(cd.subarray(p + CENTRAL_SIZE, p + CENTRAL_SIZE + nameLen));
      if (flags & 1) fail(`entry ${JSON.stringify(name)} is encrypted`);
      if (compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff) {
        // the 64-bit values are in the ZIP64 extra field (id 1), in this order, for the fields that overflowed
        const extra = cd.subarray(p + CENTRAL_SIZE + nameLen, p + CENTRAL_SIZE + nameLen + extraLen);
        let q = 0;
        while (q + 4 <= extra.length && u16(extra, q) !== 1) q += 4 + u16(extra, q + 2);
        if (q + 4 > extra.length) fail(`entry ${JSON.stringify(name)} lacks its ZIP64 sizes; the file is corrupt`);
        const end = q + 4 + u16(extra, q + 2);
        let r = q + 4;
        const next = (): number => {
          if (r + 8 > end || r + 8 > extra.length) fail(`entry ${JSON.stringify(name)} has a short ZIP64 field; the file is corrupt`);
          r += 8;
          return u64(extra, r - 8, fail);
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localOffset === 0xffffffff) localOffset = next();
      }
      if (localOffset + LOCAL_SIZE + compressedSize > cdOffset) fail(`entry ${JSON.stringify(name)} runs past the central directory; the file is corrupt`);
      const e: ZipEntry = { name, method, crc, compressedSize, size, localOffset };
      this.entries.set(name, e);
      this.names.push(name);
      p += CENTRAL_SIZE + nameLen + extraLen + commentLen;
    }
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The uncompressed contents of an entry, checked against its size and CRC-32. */
  read(name: string): Uint8Array {
    const e = this.entries.get(name);
    const fail = (msg: string): never => {
      throw new StrataError(this.op, `${this.src.name}: entry ${JSON.stringify(name)}: ${msg}`);
    };
    if (!e) return fail('not in the archive');
    const head = this.src.read(e.localOffset, LOCAL_SIZE);
    if (u32(head, 0) !== SIG_LOCAL) fail(`no local header at offset ${e.localOffset}; the file is corrupt`);
    const start = e.localOffset + LOCAL_SIZE + u16(head, 26) + u16(head, 28);
    if (start + e.compressedSize > this.src.size) fail('data runs past the end of the file; the file is truncated');
    const raw = this.src.read(start, e.compressedSize);
    let data: Uint8Array;
    if (e.method === 0) {
      if (e.compressedSize !== e.size) fail(`stored entry has compressed size ${e.compressedSize} but size ${e.size}`);
      data = raw;
    } else if (e.method === 8) {
      try {
        data = inflateRawSync(raw);
      } catch (err) {
        return fail(`cannot inflate (${(err as Error).message})`);
      }
      if (data.length !== e.size) fail(`inflated to ${data.length} bytes, expected ${e.size}`);
    } else {
      return fail(`compression method ${e.method} is not supported (only stored and deflate)`);
    }
    if (crc32(data) !== e.crc) fail('CRC-32 mismatch: the data is corrupt');
    return data;
  }
}

/** Streams a zip archive of stored entries through `write`; call finish() once after the last add(). */
export class ZipWriter {
  private offset = 0;
  private central = new ByteWriter();
  private count = 0;

  constructor(private readonly write: (chunk: Uint8Array) => void, private readonly op: string) {}

  /** Adds a stored entry whose data starts at a multiple of `align` bytes in the archive. */
  add(name: string, data: Uint8Array, align = TORCH_ALIGNMENT): void {
    const nameBytes = new TextEncoder().encode(name);
    const utf8Flag = /^[\x20-\x7e]*$/.test(name) ? 0 : 0x800;
    // NOTE: the "FB" extra field's own 4 bytes count before the padding, as in PyTorch's writer.
    const start = this.offset + LOCAL_SIZE + nameBytes.length + 4;
    const pad = (align - (start % align)) % align;
    const extra = new Uint8Array(4 + pad).fill(0x5a); // 'Z' padding
    extra.set([0x46, 0x42, pad & 0xff, pad >> 8]); // "FB", padding length
    const end = this.offset + LOCAL_SIZE + nameBytes.length + extra.length + data.length;
    if (end >= 0xffffffff || this.count >= 0xfffe) {
      throw new StrataError(this.op, 'the archive would exceed 4 GiB or 65534 entries, which needs ZIP64 (not supported); save large models with saveSafetensors');
    }
    const crc = crc32(data);
    const local = new ByteWriter()
      .u32(SIG_LOCAL).u16(20).u16(utf8Flag).u16(0) // version needed, flags, method: stored
      .u16(0).u16(0x21) // DOS time 00:00:00, date 1980-01-01 (fixed: identical inputs give identical files)
      .u32(crc).u32(data.length).u32(data.length)
      .u16(nameBytes.length).u16(extra.length)
      .bytes(nameBytes).bytes(extra);
    this.central
      .u32(SIG_CENTRAL).u16(20).u16(20).u16(utf8Flag).u16(0)
      .u16(0).u16(0x21)
      .u32(crc).u32(data.length).u32(data.length)
      .u16(nameBytes.length).u16(0).u16(0) // extra, comment
      .u16(0).u16(0).u32(0) // disk, internal and external attributes
      .u32(this.offset)
      .bytes(nameBytes);
    this.write(local.result());
    this.write(data);
    this.offset = end;
    this.count++;
  }

  finish(): void {
    const cd = this.central.result();
    if (this.offset + cd.length >= 0xffffffff) {
      throw new StrataError(this.op, 'the archive would exceed 4 GiB, which needs ZIP64 (not supported); save large models with saveSafetensors');
    }
    const eocd = new ByteWriter()
      .u32(SIG_EOCD).u16(0).u16(0).u16(this.count).u16(this.count)
      .u32(cd.length).u32(this.offset).u16(0);
    this.write(cd);
    this.write(eocd.result());
  }
}
