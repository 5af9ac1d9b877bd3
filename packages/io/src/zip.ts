/**
 * The zip container of `.npz` files, as Python's `zipfile` (hence `numpy.savez`) writes it, and a
 * defensive reader for what numpy and other zip writers produce. Deflate itself is fflate's.
 * Every declared size is checked against the bytes really present before anything is allocated,
 * and inflation stops as soon as an entry grows past its declared size (deflate bombs).
 */
import { Inflate, deflateSync } from 'fflate';
import { ValueError } from '@fluxion/core';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { IoError, problem, type Problem } from './errors.js';
import { plain } from './npy.js';
import { utf8Decode, utf8Encode } from './utf8.js';

// ----------------------------------------------------------------------------------------------
// CRC-32 (IEEE, as zip uses)

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** The CRC-32 of `bytes` (as zip stores it), an unsigned 32-bit integer. */
export function crc32(bytes: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

// ----------------------------------------------------------------------------------------------
// Types

/** An entry to write: its name in the archive and its uncompressed bytes. */
export interface ZipInput {
  readonly name: string;
  readonly data: Uint8Array;
}

/** Options for {@link writeZip}. */
export interface WriteZipOptions {
  /** Deflate every entry (`numpy.savez_compressed`) instead of storing it (`numpy.savez`). Default false. */
  readonly compress?: boolean;
  /** Deflate level 0–9 when compressing (default 6, zlib's default, which Python uses). */
  readonly level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
}

/** An entry found by {@link readZip}; its bytes are inflated and checked only when `read()` is called. */
export interface ZipEntry {
  readonly name: string;
  /** 0 (stored) or 8 (deflate). */
  readonly method: 0 | 8;
  /** Uncompressed size as declared by the archive. */
  readonly size: number;
  /** Compressed size as declared (and checked to be present in the file). */
  readonly compressedSize: number;
  /** CRC-32 of the uncompressed data as declared. */
  readonly crc32: number;
  /**
   * The uncompressed bytes, or an IoError when the data is corrupt: inflation fails, yields
   * more or fewer bytes than declared (a deflate bomb stops at the declared size), or the CRC
   * differs. Never throws.
   */
  read(): Either<IoError, Uint8Array>;
}

// ----------------------------------------------------------------------------------------------
// Writing

/** Python zipfile's fixed values: 1980-01-01 00:00:00, made by Unix / zip 2.0, mode 0600. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const VERSION_MADE_BY = (3 << 8) | 20;
const VERSION_NEEDED = 20;
const EXTERNAL_ATTR = 0o600 << 16;
const MAX32 = 0xffffffff;


function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * Writes a zip archive exactly as Python 3.11's `zipfile` does when `numpy.savez` (or
 * `savez_compressed`) writes it to a file: entries in the given order, each local header with the
 * real sizes plus a zip64 extra field (numpy forces zip64), a fixed 1980-01-01 timestamp and mode
 * 0600, UTF-8 names flagged when not ASCII, no archive comment. The same entries always give the
 * same bytes; stored archives are byte-identical to numpy's.
 *
 * @throws ValueError for a name containing NUL, a duplicate name, or an archive of 4 GiB or more
 *   (zip64 end records are not written).
 */
export function writeZip(entries: readonly ZipInput[], options: WriteZipOptions = {}): Uint8Array {
  const compress = options.compress ?? false;
  const level = options.level ?? 6;
  const names = new Set<string>();
  interface Prepared {
    name: Uint8Array;
    flags: number;
    method: number;
    crc: number;
    size: number;
    payload: Uint8Array;
    offset: number;
  }
  const prepared: Prepared[] = [];
  let offset = 0;
  for (const e of entries) {
    if (e.name.includes('\0')) throw new ValueError('writeZip', `entry name ${JSON.stringify(e.name)} contains a NUL character`);
    if (names.has(e.name)) throw new ValueError('writeZip', `duplicate entry name '${e.name}'`);
    names.add(e.name);
    const name = utf8Encode(e.name);
    const payload = compress ? deflateSync(e.data, { level }) : e.data;
    prepared.push({ name, flags: isAscii(e.name) ? 0 : 0x800, method: compress ? 8 : 0, crc: crc32(e.data), size: e.data.length, payload, offset });
    offset += 30 + name.length + 20 + payload.length;
  }
  let cdSize = 0;
  for (const p of prepared) cdSize += 46 + p.name.length;
  const total = offset + cdSize + 22;
  if (offset >= MAX32 || cdSize >= MAX32 || prepared.length >= 0xffff || prepared.some((p) => p.size >= MAX32 || p.payload.length >= MAX32)) {
    throw new ValueError('writeZip', 'archives of 4 GiB or more, or with 65535 entries or more, are not supported');
  }
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  let o = 0;
  for (const p of prepared) {
    v.setUint32(o, 0x04034b50, true);
    v.setUint16(o + 4, VERSION_NEEDED, true);
    v.setUint16(o + 6, p.flags, true);
    v.setUint16(o + 8, p.method, true);
    v.setUint16(o + 10, DOS_TIME, true);
    v.setUint16(o + 12, DOS_DATE, true);
    v.setUint32(o + 14, p.crc, true);
    v.setUint32(o + 18, p.payload.length, true);
    v.setUint32(o + 22, p.size, true);
    v.setUint16(o + 26, p.name.length, true);
    v.setUint16(o + 28, 20, true);
    out.set(p.name, o + 30);
    o += 30 + p.name.length;
    // zip64 extra: id 1, 16 bytes: uncompressed size, compressed size.
    v.setUint16(o, 1, true);
    v.setUint16(o + 2, 16, true);
    v.setBigUint64(o + 4, BigInt(p.size), true);
    v.setBigUint64(o + 12, BigInt(p.payload.length), true);
    o += 20;
    out.set(p.payload, o);
    o += p.payload.length;
  }
  const cdStart = o;
  for (const p of prepared) {
    v.setUint32(o, 0x02014b50, true);
    v.setUint16(o + 4, VERSION_MADE_BY, true);
    v.setUint16(o + 6, VERSION_NEEDED, true);
    v.setUint16(o + 8, p.flags, true);
    v.setUint16(o + 10, p.method, true);
    v.setUint16(o + 12, DOS_TIME, true);
    v.setUint16(o + 14, DOS_DATE, true);
    v.setUint32(o + 16, p.crc, true);
    v.setUint32(o + 20, p.payload.length, true);
    v.setUint32(o + 24, p.size, true);
    v.setUint16(o + 28, p.name.length, true);
    v.setUint16(o + 30, 0, true); // extra
    v.setUint16(o + 32, 0, true); // comment
    v.setUint16(o + 34, 0, true); // disk
    v.setUint16(o + 36, 0, true); // internal attributes
    v.setUint32(o + 38, EXTERNAL_ATTR, true);
    v.setUint32(o + 42, p.offset, true);
    out.set(p.name, o + 46);
    o += 46 + p.name.length;
  }
  v.setUint32(o, 0x06054b50, true);
  v.setUint16(o + 4, 0, true);
  v.setUint16(o + 6, 0, true);
  v.setUint16(o + 8, prepared.length, true);
  v.setUint16(o + 10, prepared.length, true);
  v.setUint32(o + 12, o - cdStart, true);
  v.setUint32(o + 16, cdStart, true);
  v.setUint16(o + 20, 0, true);
  return out;
}

// ----------------------------------------------------------------------------------------------
// Reading

/** Deflate cannot expand data by more than ~1032:1; a larger declared ratio is a lie. */
const MAX_DEFLATE_RATIO = 1032;
/** Compressed bytes fed to the inflater at a time, so a bomb is stopped after at most ~16 MiB. */
const INFLATE_CHUNK = 16384;

const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

function decodeName(raw: Uint8Array, utf8Flag: boolean): string | null {
  if (utf8Flag) return utf8Decode(raw);
  let s = '';
  for (const b of raw) s += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80]!;
  return s;
}

function fail(message: string, path?: string): Either<IoError, never> {
  return left(new IoError([problem('format', message, path === undefined ? {} : { path })]));
}

/** Reads a zip64 extra field's values for the fields that were 0xffffffff, in the spec's order. */
function zip64Extra(
  v: DataView,
  start: number,
  end: number,
  need: { size: boolean; csize: boolean; offset: boolean },
): { size?: number; csize?: number; offset?: number } | null {
  let o = start;
  while (o + 4 <= end) {
    const id = v.getUint16(o, true);
    const len = v.getUint16(o + 2, true);
    const body = o + 4;
    if (body + len > end) return null;
    if (id === 1) {
      const out: { size?: number; csize?: number; offset?: number } = {};
      let p = body;
      const take = (): number | undefined => {
        if (p + 8 > body + len) return undefined;
        const x = v.getBigUint64(p, true);
        p += 8;
        return x > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(x);
      };
      if (need.size) {
        const x = take();
        if (x === undefined) return null;
        out.size = x;
      }
      if (need.csize) {
        const x = take();
        if (x === undefined) return null;
        out.csize = x;
      }
      if (need.offset) {
        const x = take();
        if (x === undefined) return null;
        out.offset = x;
      }
      return out;
    }
    o = body + len;
  }
  return need.size || need.csize || need.offset ? null : {};
}

/**
 * Lists a zip archive's entries from its central directory, checking everything that can be
 * checked without inflating: signatures, the end record (zip64 end records included), that every
 * header and every entry's data lie inside the file and do not overlap (no overlapping-entry
 * bombs), names (UTF-8 when flagged, else CP437), no duplicates, that local and central names
 * agree, and that declared sizes are possible for the method. Local headers may carry zip64
 * extras and data descriptors (sizes are taken from the central directory).
 *
 * @returns the entries, or an IoError: `format` for anything malformed, `unsupported` for
 *   encrypted entries, multi-disk archives and methods other than stored and deflate. Never throws.
 */
export function readZip(bytes: Uint8Array): Either<IoError, readonly ZipEntry[]> {
  try {
    return readZipUnsafe(bytes);
  } catch (e) {
    return fail(`zip: internal error while reading: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function readZipUnsafe(bytes: Uint8Array): Either<IoError, readonly ZipEntry[]> {
  if (!(bytes instanceof Uint8Array)) return fail('zip: expected a Uint8Array');
  bytes = plain(bytes);
  const n = bytes.length;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // End of central directory: the last signature whose comment ends exactly at the end of the file.
  let eocd = -1;
  for (let p = n - 22; p >= 0 && p >= n - 22 - 0xffff; p--) {
    if (v.getUint32(p, true) === 0x06054b50 && p + 22 + v.getUint16(p + 20, true) === n) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) {
    return fail(
      n >= 4 && v.getUint32(0, true) === 0x04034b50
        ? 'zip: no end-of-central-directory record (the file is truncated)'
        : 'npz: not a zip archive (no end-of-central-directory record)',
    );
  }
  if (v.getUint16(eocd + 4, true) !== 0 || v.getUint16(eocd + 6, true) !== 0) {
    return left(new IoError([problem('unsupported', 'zip: multi-disk archives are not supported')]));
  }
  let count = v.getUint16(eocd + 10, true);
  let cdSize = v.getUint32(eocd + 12, true);
  let cdOffset = v.getUint32(eocd + 16, true);
  let cdLimit = eocd;
  if (count === 0xffff || cdSize === MAX32 || cdOffset === MAX32) {
    // zip64 end of central directory locator, 20 bytes before the end record.
    const loc = eocd - 20;
    if (loc < 0 || v.getUint32(loc, true) !== 0x07064b50) return fail('zip: zip64 end-of-central-directory locator missing');
    const rec = Number(v.getBigUint64(loc + 8, true));
    if (!Number.isSafeInteger(rec) || rec + 56 > loc || v.getUint32(rec, true) !== 0x06064b50) {
      return fail('zip: bad zip64 end-of-central-directory record offset');
    }
    const c64 = v.getBigUint64(rec + 32, true);
    const s64 = v.getBigUint64(rec + 40, true);
    const o64 = v.getBigUint64(rec + 48, true);
    if (c64 > BigInt(n) || s64 > BigInt(n) || o64 > BigInt(n)) return fail('zip: zip64 end record declares sizes larger than the file');
    count = Number(c64);
    cdSize = Number(s64);
    cdOffset = Number(o64);
    cdLimit = rec;
  }
  if (cdOffset + cdSize > cdLimit) {
    return fail(`zip: central directory (offset ${cdOffset}, ${cdSize} bytes) goes past its end record at ${cdLimit}`);
  }
  if (count * 46 > cdSize) return fail(`zip: ${count} entries cannot fit in a ${cdSize}-byte central directory`);
  const entries: ZipEntry[] = [];
  const spans: { start: number; end: number; name: string }[] = [];
  const seen = new Set<string>();
  let o = cdOffset;
  const cdEnd = cdOffset + cdSize;
  for (let i = 0; i < count; i++) {
    if (o + 46 > cdEnd || v.getUint32(o, true) !== 0x02014b50) return fail(`zip: central directory entry ${i} is malformed`);
    const flags = v.getUint16(o + 8, true);
    const method = v.getUint16(o + 10, true);
    const crc = v.getUint32(o + 16, true);
    let csize = v.getUint32(o + 20, true);
    let size = v.getUint32(o + 24, true);
    const nameLen = v.getUint16(o + 28, true);
    const extraLen = v.getUint16(o + 30, true);
    const commentLen = v.getUint16(o + 32, true);
    let local = v.getUint32(o + 42, true);
    const next = o + 46 + nameLen + extraLen + commentLen;
    if (next > cdEnd) return fail(`zip: central directory entry ${i} goes past the directory`);
    const name = decodeName(bytes.subarray(o + 46, o + 46 + nameLen), (flags & 0x800) !== 0);
    if (name === null) return fail(`zip: entry ${i} has a name flagged UTF-8 that is not valid UTF-8`);
    if (size === MAX32 || csize === MAX32 || local === MAX32) {
      const z = zip64Extra(v, o + 46 + nameLen, o + 46 + nameLen + extraLen, { size: size === MAX32, csize: csize === MAX32, offset: local === MAX32 });
      if (z === null) return fail('zip: missing or malformed zip64 extra field', name);
      if (z.size !== undefined) size = z.size;
      if (z.csize !== undefined) csize = z.csize;
      if (z.offset !== undefined) local = z.offset;
    }
    o = next;
    if (flags & 0x1) return left(new IoError([problem('unsupported', 'zip: encrypted entries are not supported', { path: name })]));
    if (method !== 0 && method !== 8) {
      return left(new IoError([problem('unsupported', `zip: compression method ${method} is not supported (only stored and deflate)`, { path: name })]));
    }
    if (seen.has(name)) return fail('zip: duplicate entry name', name);
    seen.add(name);
    // Local header: inside the file, same name; its data (sized by the central directory) too.
    if (local + 30 > cdOffset || v.getUint32(local, true) !== 0x04034b50) return fail(`zip: bad local header offset ${local}`, name);
    const lNameLen = v.getUint16(local + 26, true);
    const lExtraLen = v.getUint16(local + 28, true);
    const dataStart = local + 30 + lNameLen + lExtraLen;
    if (dataStart > cdOffset) return fail('zip: local header goes past the central directory', name);
    const lName = decodeName(bytes.subarray(local + 30, local + 30 + lNameLen), (v.getUint16(local + 6, true) & 0x800) !== 0);
    if (lName !== name) return fail(`zip: local header names ${JSON.stringify(lName)}, the directory ${JSON.stringify(name)}`, name);
    if (!Number.isFinite(csize) || dataStart + csize > cdOffset) {
      return fail(`zip: declared compressed size ${Number.isFinite(csize) ? csize : 'beyond 2^53'} is larger than the data (file of ${n} bytes)`, name);
    }
    if (!Number.isFinite(size)) return fail(`zip: declared size beyond 2^53 is impossible for ${csize} bytes of data`, name);
    if (method === 0 && size !== csize) {
      return fail(`zip: stored entry declares ${size} bytes but holds ${csize}`, name);
    }
    if (method === 8 && size > csize * MAX_DEFLATE_RATIO + 1024) {
      return fail(`zip: declared size ${size} is impossible for ${csize} bytes of deflate data (a deflate bomb?)`, name);
    }
    // A data descriptor (flag bit 3) follows the data; its values duplicate the central directory's.
    const end = dataStart + csize + (flags & 0x8 ? 12 : 0);
    spans.push({ start: local, end: Math.min(end, cdOffset), name });
    entries.push(makeEntry(bytes, name, method, size, csize, crc, dataStart));
  }
  spans.sort((a, b) => a.start - b.start);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i]!.start < spans[i - 1]!.end) {
      return fail(`zip: entries '${spans[i - 1]!.name}' and '${spans[i]!.name}' overlap`, spans[i]!.name);
    }
  }
  return right(Object.freeze(entries));
}

function makeEntry(bytes: Uint8Array, name: string, method: 0 | 8, size: number, csize: number, crc: number, start: number): ZipEntry {
  const comp = bytes.subarray(start, start + csize);
  return Object.freeze({
    name,
    method,
    size,
    compressedSize: csize,
    crc32: crc,
    read(): Either<IoError, Uint8Array> {
      try {
        const r = method === 0 ? right<Problem, Uint8Array>(comp) : inflateCapped(comp, size, name);
        if (r._tag === 'Left') return left(new IoError([r.left]));
        const got = crc32(r.right);
        if (got !== crc) {
          return fail(`zip: CRC-32 mismatch (declared ${crc.toString(16).padStart(8, '0')}, data has ${got.toString(16).padStart(8, '0')}): the entry is corrupt`, name);
        }
        return right(r.right);
      } catch (e) {
        return fail(`zip: internal error while reading: ${e instanceof Error ? e.message : String(e)}`, name);
      }
    },
  });
}

/** Inflates raw deflate data that must produce exactly `size` bytes; stops as soon as it exceeds them. */
function inflateCapped(comp: Uint8Array, size: number, name: string): Either<Problem, Uint8Array> {
  const out = new Uint8Array(size);
  let got = 0;
  let over = false;
  let done = false;
  const inf = new Inflate((chunk, final) => {
    if (over) return;
    if (got + chunk.length > size) {
      over = true;
      return;
    }
    out.set(chunk, got);
    got += chunk.length;
    if (final) done = true;
  });
  try {
    if (comp.length === 0) return left(problem('format', 'zip: empty deflate data', { path: name }));
    for (let p = 0; p < comp.length && !over; p += INFLATE_CHUNK) {
      const end = Math.min(comp.length, p + INFLATE_CHUNK);
      inf.push(comp.subarray(p, end), end === comp.length);
    }
  } catch (e) {
    return left(problem('format', `zip: corrupt deflate data (${e instanceof Error ? e.message : String(e)})`, { path: name }));
  }
  if (over) return left(problem('format', `zip: deflate data inflates past the declared ${size} bytes (a deflate bomb?); stopped`, { path: name }));
  if (!done || got !== size) {
    return left(problem('format', `zip: deflate data inflates to ${got} bytes, the archive declares ${size}`, { path: name }));
  }
  return right(out);
}
