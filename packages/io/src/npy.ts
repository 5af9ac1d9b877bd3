/**
 * The `.npy` format, as numpy writes and reads it: a magic string, a version, a Python dict
 * literal (`{'descr': '<f4', 'fortran_order': False, 'shape': (16, 1), }`) padded to 64 bytes, then
 * the raw elements. Pure functions on `Uint8Array`; nothing here touches a file.
 */
import { ValueError, random, tensor, type DType, type Key, type Tensor, type TypedArray } from '@fluxion/core';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { IoError, fmtShape, problem, type Problem } from './errors.js';
import { parsePyLiteral, type PyValue } from './literal.js';
import { utf8Decode } from './utf8.js';
import { contextPath, failWith, toProblems } from './validate.js';

// ----------------------------------------------------------------------------------------------
// Types

/** Byte order of an npy dtype: little-endian, big-endian, or not applicable (1-byte types). */
export type ByteOrder = '<' | '>' | '|';

/**
 * Element kinds Fluxion reads: float, signed int, unsigned int, bool, and unicode strings (`U`,
 * used for checkpoint metadata; a string array is not a Tensor).
 */
export type NpyKind = 'f' | 'i' | 'u' | 'b' | 'U';

/** A parsed npy dtype descriptor such as `'<f4'` or `'>i8'`. */
export interface NpyDType {
  /** The descriptor as numpy writes it: byte order, kind, item size (`'<f4'`, `'|u1'`, `'<U12'`). */
  readonly descr: string;
  readonly kind: NpyKind;
  /** Bytes per element. */
  readonly itemsize: number;
  readonly byteOrder: ByteOrder;
}

/**
 * An npy array as stored: its header fields and its raw element bytes. Any dtype Fluxion can
 * parse is kept exactly as in the file (`'>f4'`, `'<i8'`, Fortran order), so `formatNpy` writes
 * it back byte for byte. Treat `data` as read-only: `parseNpy` returns a view into its input.
 */
export interface NpyArray {
  /** The dtype descriptor (`'<f4'`, `'>i8'`, `'|b1'`, `'<U5'` ...). */
  readonly descr: string;
  /** The shape; `[]` for a 0-d array. */
  readonly shape: readonly number[];
  /** True when elements are stored column-major (numpy's `fortran_order`). */
  readonly fortranOrder: boolean;
  /** The raw elements: `size(shape) * itemsize` bytes in the file's byte order and layout. */
  readonly data: Uint8Array;
}

// ----------------------------------------------------------------------------------------------
// Constants and small helpers

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** numpy's alignment of the data start. */
const ARRAY_ALIGN = 64;
/** Spare header room numpy leaves so the first axis can grow in place. */
const GROWTH_AXIS_MAX_DIGITS = 21;
/** numpy 2's NPY_MAXDIMS. */
const MAX_NDIM = 64;

/** True on little-endian hosts (all mainstream ones). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const FLUXION_DESCR: Record<DType, string> = { float32: '<f4', float64: '<f8', int32: '<i4', bool: '|b1' };

/** A shape's element count, or `Infinity` when it exceeds `limit` (guards absurd shapes). */
function sizeUpTo(shape: readonly number[], limit: number): number {
  let n = 1;
  for (const d of shape) if (d === 0) return 0;
  for (const d of shape) {
    n *= d;
    if (n > limit) return Infinity;
  }
  return n;
}

function describePy(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'None';
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}...` : v}'`;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'object' && 'kind' in v) {
    const k = (v as { kind: string }).kind;
    if (k === 'tuple' || k === 'list') {
      const items = (v as unknown as { items: readonly unknown[] }).items;
      const inner = items.slice(0, 8).map(describePy).join(', ');
      const more = items.length > 8 ? ', ...' : '';
      return k === 'tuple' ? `(${inner}${items.length === 1 ? ',' : ''}${more})` : `[${inner}${more}]`;
    }
    if (k === 'dict') return 'a dict';
  }
  return typeof v;
}

// ----------------------------------------------------------------------------------------------
// Descriptors

const ITEMSIZES: Record<string, readonly number[]> = { f: [2, 4, 8], i: [1, 2, 4, 8], u: [1, 2, 4, 8], b: [1] };

/**
 * Parses a dtype descriptor (`'<f4'`, `'>i8'`, `'|b1'`, `'<U7'`). Accepts every byte order numpy
 * knows; `'|'`, `'='` or no byte order on a multi-byte type mean the native order, taken as
 * little-endian. Refuses object arrays (`'|O'`: pickles) and every other kind.
 */
export function parseDescr(descr: string): Either<Problem, NpyDType> {
  const m = /^([<>|=]?)([A-Za-z])(\d{1,10})$/.exec(descr);
  const kind = m?.[2];
  if (descr === 'O' || /^[<>|=]?O\d*$/.test(descr)) {
    return left(
      problem(
        'unsupported',
        `object arrays (dtype '${descr}') are refused: their data is a Python pickle, and Fluxion never runs code from a file`,
        { found: descr },
      ),
    );
  }
  if (!m || kind === undefined) return left(problem('unsupported', `unsupported dtype descriptor '${descr}'`, { found: descr }));
  const order = m[1]!;
  const n = Number(m[3]);
  if (kind === 'U') {
    if (n < 1 || n > 0x7fffffff) return left(problem('unsupported', `unsupported string dtype '${descr}'`, { found: descr }));
    const byteOrder: ByteOrder = order === '>' ? '>' : '<';
    return right({ descr: `${byteOrder}U${n}`, kind: 'U', itemsize: 4 * n, byteOrder });
  }
  const sizes = ITEMSIZES[kind];
  if (!sizes || !sizes.includes(n)) {
    return left(
      problem(
        'unsupported',
        `unsupported dtype '${descr}': Fluxion reads float (f2, f4, f8), int (i1, i2, i4, i8), uint (u1, u2, u4, u8) and bool (b1) arrays`,
        { found: descr },
      ),
    );
  }
  const byteOrder: ByteOrder = n === 1 ? '|' : order === '>' ? '>' : '<';
  return right({ descr: `${byteOrder}${kind}${n}`, kind: kind as NpyKind, itemsize: n, byteOrder });
}

// ----------------------------------------------------------------------------------------------
// Header codec (io-ts): all of the header's problems at once

interface Header {
  readonly descr: NpyDType;
  readonly fortran_order: boolean;
  readonly shape: readonly number[];
}

const DescrC = new t.Type<NpyDType, string, unknown>(
  'descr',
  (u): u is NpyDType => typeof u === 'object' && u !== null && 'itemsize' in u,
  (u, c) => {
    if (typeof u === 'string') {
      const d = parseDescr(u);
      return d._tag === 'Right' ? t.success(d.right) : failWith(c, d.left.kind, `npy header: ${d.left.message}`, { found: u });
    }
    if (typeof u === 'object' && u !== null && (u as { kind?: string }).kind === 'list') {
      const text = describePy(u);
      const refuse = hasObjectField(u as PyValue, 0);
      return failWith(
        c,
        'unsupported',
        refuse
          ? 'npy header: structured dtype with object fields refused (a Python pickle); Fluxion never runs code from a file'
          : `npy header: structured dtypes (descr ${text}) are not supported`,
        { found: text },
      );
    }
    return failWith(c, 'format', `npy header: 'descr' must be a string, found ${describePy(u)}`, { found: describePy(u) });
  },
  (d) => d.descr,
);

/** True when a structured descr names an object field anywhere (`[('a', '|O')]`). */
function hasObjectField(v: PyValue, depth: number): boolean {
  if (depth > 40) return false;
  if (typeof v === 'string') return /^[<>|=]?O\d*$/.test(v);
  if (typeof v === 'object' && v !== null && (v.kind === 'list' || v.kind === 'tuple')) return v.items.some((x) => hasObjectField(x, depth + 1));
  return false;
}

const ShapeC = new t.Type<readonly number[], readonly number[], unknown>(
  'shape',
  (u): u is readonly number[] => Array.isArray(u),
  (u, c) => {
    const tuple = typeof u === 'object' && u !== null && (u as { kind?: string }).kind === 'tuple' ? (u as { items: readonly PyValue[] }).items : null;
    if (!tuple) return failWith(c, 'format', `npy header: 'shape' must be a tuple of integers, found ${describePy(u)}`, { found: describePy(u) });
    if (tuple.length > MAX_NDIM) {
      return failWith(c, 'format', `npy header: 'shape' has ${tuple.length} dimensions, more than numpy's ${MAX_NDIM}`);
    }
    for (const d of tuple) {
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
        return failWith(c, 'format', `npy header: 'shape' ${describePy(u)} has a bad dimension ${describePy(d)}`, {
          found: describePy(u),
        });
      }
    }
    return t.success(Object.freeze(tuple.slice() as number[]));
  },
  (s) => s,
);

const HeaderC = t.type({ descr: DescrC, fortran_order: t.boolean, shape: ShapeC });
const HEADER_KEYS = ['descr', 'fortran_order', 'shape'];

function decodeHeaderDict(v: PyValue): Either<Problem[], Header> {
  if (typeof v !== 'object' || v === null || v.kind !== 'dict') {
    return left([problem('format', `npy header: expected a dict literal, found ${describePy(v)}`)]);
  }
  const obj: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const problems: Problem[] = [];
  for (const [k, val] of v.entries) {
    if (HEADER_KEYS.includes(k)) obj[k] = val;
    else problems.push(problem('format', `npy header: unexpected key '${k}' (numpy writes exactly 'descr', 'fortran_order' and 'shape')`));
  }
  const r = HeaderC.decode(obj);
  if (r._tag === 'Left') {
    problems.push(
      ...toProblems(r.left, (e) => {
        const key = contextPath(e.context);
        if (e.value === undefined) return problem('format', `npy header: missing key '${key}'`);
        return problem('format', `npy header: '${key}' must be ${key === 'fortran_order' ? 'True or False' : 'valid'}, found ${describePy(e.value)}`, {
          found: describePy(e.value),
        });
      }),
    );
  }
  if (problems.length > 0 || r._tag === 'Left') return left(problems);
  return right(r.right);
}

// ----------------------------------------------------------------------------------------------
// parse / format

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return s;
}

/**
 * Reads an `.npy` file's header and locates its data, without converting anything. Accepts header
 * versions 1.0, 2.0 and 3.0, every byte order, Fortran order, 0-d and empty arrays. The header is
 * parsed as a literal, never evaluated.
 *
 * @returns the array, whose `data` is a view into `bytes` (no copy); or an IoError when the bytes
 *   are not a complete npy file (bad magic, header past the end, a header that is not numpy's
 *   dict, a data size that differs from what the shape needs) or hold an object array, a
 *   structured dtype or another dtype Fluxion does not read. Never throws.
 */
export function parseNpy(bytes: Uint8Array): Either<IoError, NpyArray> {
  return guard(() => {
    const r = parseNpyProblems(bytes);
    return r._tag === 'Left' ? left(new IoError(r.left)) : r;
  });
}

/** parseNpy with bare problems, for callers that add a path. @internal */
export function parseNpyProblems(bytes: Uint8Array): Either<Problem[], NpyArray> {
  if (!(bytes instanceof Uint8Array)) return left([problem('format', 'npy: expected a Uint8Array')]);
  bytes = plain(bytes);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    return left([problem('format', 'npy: not an npy file (it does not start with \\x93NUMPY)')]);
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3 || minor !== 0) {
    return left([problem('unsupported', `npy: unsupported format version ${major}.${minor} (numpy writes 1.0, 2.0 and 3.0)`)]);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let start: number;
  let hlen: number;
  if (major === 1) {
    hlen = view.getUint16(8, true);
    start = 10;
  } else {
    if (bytes.length < 12) return left([problem('format', `npy: truncated: ${bytes.length} bytes, shorter than a version ${major}.0 preamble`)]);
    hlen = view.getUint32(8, true);
    start = 12;
  }
  if (start + hlen > bytes.length) {
    return left([problem('format', `npy: the header length ${hlen} goes past the end of the file (${bytes.length} bytes)`)]);
  }
  const raw = bytes.subarray(start, start + hlen);
  let text: string;
  if (major === 3) {
    const decoded = utf8Decode(raw);
    if (decoded === null) return left([problem('format', 'npy: a version 3.0 header that is not valid UTF-8')]);
    text = decoded;
  } else text = latin1(raw);
  const lit = parsePyLiteral(text);
  if (!lit.ok) return left([problem('format', `npy: ${lit.error}`)]);
  const h = decodeHeaderDict(lit.value);
  if (h._tag === 'Left') return h;
  const { descr, fortran_order: fortranOrder, shape } = h.right;
  const dataStart = start + hlen;
  const have = bytes.length - dataStart;
  // Guarded product: nothing is allocated from it, and past 2^53 it is just "too much".
  const size = sizeUpTo(shape, Number.MAX_SAFE_INTEGER / descr.itemsize);
  const need = size * descr.itemsize;
  if (need !== have) {
    const needText = Number.isFinite(need) ? `${need} bytes` : 'more than 2^53 bytes';
    return left([
      problem(
        'format',
        `npy: shape ${fmtShape(shape)} of ${descr.descr} needs ${needText} of data, but the file holds ${have}${need > have ? ' (truncated, or a declared size larger than the data)' : ' (trailing bytes)'}`,
        { expected: needText, found: `${have} bytes` },
      ),
    ]);
  }
  return right(Object.freeze({ descr: descr.descr, shape, fortranOrder, data: bytes.subarray(dataStart) }));
}

function pyRepr(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function pyTuple(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/**
 * Writes an `.npy` file byte for byte as numpy 1.24–2.x's `numpy.save` does for the same array:
 * header version 1.0 (2.0 when the header needs more than 65535 bytes), sorted keys, numpy's
 * spare room for a growing first axis, padding with spaces and a newline to a multiple of 64.
 *
 * @throws ValueError when `arr` is inconsistent (unknown descr, data length not size × itemsize):
 *   arrays made by Fluxion or `parseNpy` always are consistent.
 */
export function formatNpy(arr: NpyArray): Uint8Array {
  const d = parseDescr(arr.descr);
  if (d._tag === 'Left') throw new ValueError('formatNpy', d.left.message);
  const dt = d.right;
  for (const n of arr.shape) {
    if (!Number.isSafeInteger(n) || n < 0) throw new ValueError('formatNpy', `bad shape ${fmtShape(arr.shape)}`);
  }
  const size = sizeUpTo(arr.shape, Number.MAX_SAFE_INTEGER);
  if (size * dt.itemsize !== arr.data.length) {
    throw new ValueError('formatNpy', `shape ${fmtShape(arr.shape)} of ${dt.descr} needs ${size * dt.itemsize} bytes, data has ${arr.data.length}`);
  }
  let header = `{'descr': ${pyRepr(dt.descr)}, 'fortran_order': ${arr.fortranOrder ? 'True' : 'False'}, 'shape': ${pyTuple(arr.shape)}, }`;
  if (arr.shape.length > 0) {
    const growing = arr.shape[arr.fortranOrder ? arr.shape.length - 1 : 0]!;
    header += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(growing).length));
  }
  // numpy's _wrap_header: version 1.0 when the length fits 16 bits, else 2.0.
  const hlen = header.length + 1;
  let version = 1;
  let prefix = 10;
  let padlen = ARRAY_ALIGN - ((prefix + hlen) % ARRAY_ALIGN);
  if (hlen + padlen > 0xffff) {
    version = 2;
    prefix = 12;
    padlen = ARRAY_ALIGN - ((prefix + hlen) % ARRAY_ALIGN);
  }
  const total = prefix + hlen + padlen;
  const out = new Uint8Array(total + arr.data.length);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, hlen + padlen, true);
  else view.setUint32(8, hlen + padlen, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i) & 0xff;
  out.fill(0x20, prefix + header.length, total - 1);
  out[total - 1] = 0x0a;
  out.set(arr.data, total);
  return out;
}

// ----------------------------------------------------------------------------------------------
// Element conversion

/** An aligned copy of the elements in host byte order and C (row-major) order. */
function hostElements(arr: NpyArray, dt: NpyDType): Uint8Array {
  const is = dt.itemsize;
  // A copy into a fresh, aligned buffer (`new Uint8Array(x)` copies even when x is a Node Buffer,
  // whose slice() would be a view into a shared pool).
  let raw: Uint8Array = new Uint8Array(arr.data);
  const swap = is > 1 && (dt.byteOrder === '>') === HOST_LITTLE_ENDIAN;
  if (swap) {
    // For 'U' the unit is a 4-byte code point, not the whole item.
    const unit = dt.kind === 'U' ? 4 : is;
    for (let o = 0; o < raw.length; o += unit) {
      for (let a = o, b = o + unit - 1; a < b; a++, b--) {
        const tmp = raw[a]!;
        raw[a] = raw[b]!;
        raw[b] = tmp;
      }
    }
  }
  if (arr.fortranOrder && arr.shape.length > 1) raw = fortranToC(raw, arr.shape, is);
  return raw;
}

/** Reorders column-major elements (`itemsize` bytes each) into row-major order. */
function fortranToC(src: Uint8Array, shape: readonly number[], itemsize: number): Uint8Array {
  const n = shape.length;
  const size = src.length / itemsize;
  const out = new Uint8Array(src.length);
  if (size === 0) return out;
  const fstride = new Array<number>(n);
  let acc = 1;
  for (let k = 0; k < n; k++) {
    fstride[k] = acc;
    acc *= shape[k]!;
  }
  const idx = new Array<number>(n).fill(0);
  let f = 0;
  for (let c = 0; c < size; c++) {
    const so = f * itemsize;
    const dst = c * itemsize;
    for (let b = 0; b < itemsize; b++) out[dst + b] = src[so + b]!;
    for (let k = n - 1; k >= 0; k--) {
      idx[k]!++;
      f += fstride[k]!;
      if (idx[k]! < shape[k]!) break;
      f -= fstride[k]! * shape[k]!;
      idx[k] = 0;
    }
  }
  return out;
}

/** IEEE half → number, exactly. */
function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** The Fluxion dtype an npy dtype loads as (see the README's table), or null for strings. */
export function fluxionDTypeOf(descr: string): DType | null {
  const d = parseDescr(descr);
  if (d._tag === 'Left') return null;
  const { kind, itemsize } = d.right;
  if (kind === 'f') return itemsize === 8 ? 'float64' : 'float32';
  if (kind === 'i' || kind === 'u') return 'int32';
  if (kind === 'b') return 'bool';
  return null;
}

function describeArr(arr: NpyArray): string {
  return `${arr.descr} ${fmtShape(arr.shape)}`;
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

/**
 * Converts a parsed array to a Tensor. Dtype mapping (exact, or an error value; never a silent
 * change of value): `f2`→float32 (exact), `f4`→float32, `f8`→float64, `i1 i2 i4 u1 u2`→int32,
 * `i8 u4 u8`→int32 when every value fits in int32 (else a `value` problem naming the first that
 * does not), `b1`→bool (any non-zero byte is true). Big-endian data is byte-swapped and Fortran
 * order is transposed to row-major.
 *
 * @param path names the array in problems (e.g. its npz key).
 * @returns the tensor, or an IoError: `unsupported` for string arrays, `value` for int64 overflow.
 */
export function npyToTensor(arr: NpyArray, path?: string): Either<IoError, Tensor> {
  return guard(() => {
    const r = npyToTensorProblem(arr, path);
    return r._tag === 'Left' ? left(new IoError([r.left])) : r;
  });
}

/** @internal */
export function npyToTensorProblem(arr: NpyArray, path?: string): Either<Problem, Tensor> {
  const pd = parseDescr(arr.descr);
  if (pd._tag === 'Left') return left(problem(pd.left.kind, pd.left.message, pathOpt(path)));
  const dt = pd.right;
  const raw = hostElements(arr, dt);
  const buf = raw.buffer;
  const n = raw.length / dt.itemsize;
  const shape = arr.shape;
  let data: TypedArray;
  let dtype: DType;
  const tooBig = (i: number, v: bigint | number): Either<Problem, Tensor> =>
    left(
      problem('value', `${arr.descr} value ${String(v)} at flat index ${i} does not fit in int32, Fluxion's integer dtype`, {
        ...pathOpt(path),
        expected: 'int32 values',
        found: String(v),
      }),
    );
  switch (`${dt.kind}${dt.itemsize}`) {
    case 'f2': {
      const h = new Uint16Array(buf, 0, n);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToNumber(h[i]!);
      data = out;
      dtype = 'float32';
      break;
    }
    case 'f4':
      data = new Float32Array(buf, 0, n);
      dtype = 'float32';
      break;
    case 'f8':
      data = new Float64Array(buf, 0, n);
      dtype = 'float64';
      break;
    case 'i4':
      data = new Int32Array(buf, 0, n);
      dtype = 'int32';
      break;
    case 'i1':
      data = Int32Array.from(new Int8Array(buf, 0, n));
      dtype = 'int32';
      break;
    case 'i2':
      data = Int32Array.from(new Int16Array(buf, 0, n));
      dtype = 'int32';
      break;
    case 'u1':
      data = Int32Array.from(new Uint8Array(buf, 0, n));
      dtype = 'int32';
      break;
    case 'u2':
      data = Int32Array.from(new Uint16Array(buf, 0, n));
      dtype = 'int32';
      break;
    case 'u4': {
      const src = new Uint32Array(buf, 0, n);
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = src[i]!;
        if (v > INT32_MAX) return tooBig(i, v);
        out[i] = v;
      }
      data = out;
      dtype = 'int32';
      break;
    }
    case 'i8':
    case 'u8': {
      const src = dt.kind === 'i' ? new BigInt64Array(buf, 0, n) : new BigUint64Array(buf, 0, n);
      const out = new Int32Array(n);
      const lo = BigInt(INT32_MIN);
      const hi = BigInt(INT32_MAX);
      for (let i = 0; i < n; i++) {
        const v = src[i]!;
        if (v < lo || v > hi) return tooBig(i, v);
        out[i] = Number(v);
      }
      data = out;
      dtype = 'int32';
      break;
    }
    case 'b1': {
      const out = new Uint8Array(buf, 0, n);
      for (let i = 0; i < n; i++) if (out[i] !== 0) out[i] = 1;
      data = out;
      dtype = 'bool';
      break;
    }
    default:
      return left(
        problem('unsupported', `a ${arr.descr} (string) array is not a tensor: Fluxion tensors hold numbers`, {
          ...pathOpt(path),
          found: describeArr(arr),
        }),
      );
  }
  return right(tensor(data, { dtype, shape }));
}

/** A plain Uint8Array view of the same bytes (Node Buffers have different slice semantics). @internal */
export function plain(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function pathOpt(path: string | undefined): { path?: string } {
  return path === undefined ? {} : { path };
}

/**
 * The npy array of a tensor: `float32`→`<f4`, `float64`→`<f8`, `int32`→`<i4`, `bool`→`|b1`,
 * row-major, little-endian, bits copied exactly (NaN payloads and -0 included).
 * @throws TracerError for an abstract (traced) tensor, which has no data.
 */
export function npyFromTensor(x: Tensor): NpyArray {
  const d = x.data;
  let bytes: Uint8Array = new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
  if (!HOST_LITTLE_ENDIAN && d.BYTES_PER_ELEMENT > 1) bytes = swapped(bytes, d.BYTES_PER_ELEMENT);
  return Object.freeze({ descr: FLUXION_DESCR[x.dtype], shape: Object.freeze(x.shape.slice()), fortranOrder: false, data: bytes });
}

function swapped(bytes: Uint8Array, unit: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let o = 0; o < bytes.length; o += unit) for (let b = 0; b < unit; b++) out[o + b] = bytes[o + unit - 1 - b]!;
  return out;
}

/**
 * Decodes an `.npy` file into a Tensor: `parseNpy` then `npyToTensor`.
 * @returns the tensor, or an IoError saying everything wrong with the bytes; never throws.
 */
export function decodeNpy(bytes: Uint8Array): Either<IoError, Tensor> {
  return guard(() => {
    const p = parseNpyProblems(bytes);
    if (p._tag === 'Left') return left(new IoError(p.left));
    const r = npyToTensorProblem(p.right);
    return r._tag === 'Left' ? left(new IoError([r.left])) : r;
  });
}

/**
 * Encodes a tensor as an `.npy` file, byte for byte what `numpy.save` writes for the same array
 * (`float32`→`<f4`, `float64`→`<f8`, `int32`→`<i4`, `bool`→`|b1`).
 * @throws TracerError for an abstract (traced) tensor.
 */
export function encodeNpy(x: Tensor): Uint8Array {
  return formatNpy(npyFromTensor(x));
}

// ----------------------------------------------------------------------------------------------
// Non-tensor leaves: numbers, booleans, random keys, strings (internal)

/** `<i8` for safe integers (not -0), `<f8` otherwise; 0-d. @internal */
export function npyFromNumber(v: number): NpyArray {
  const data = new Uint8Array(8);
  const view = new DataView(data.buffer);
  const isInt = Number.isSafeInteger(v) && !Object.is(v, -0);
  if (isInt) view.setBigInt64(0, BigInt(v), true);
  else view.setFloat64(0, v, true);
  return Object.freeze({ descr: isInt ? '<i8' : '<f8', shape: Object.freeze([]), fortranOrder: false, data });
}

/** `|b1`, 0-d. @internal */
export function npyFromBoolean(v: boolean): NpyArray {
  return Object.freeze({ descr: '|b1', shape: Object.freeze([]), fortranOrder: false, data: Uint8Array.of(v ? 1 : 0) });
}

/** A random key's two words as `<u4`, shape [2] (like `jax.random.key_data`). @internal */
export function npyFromKey(k: Key): NpyArray {
  const w = random.keyData(k);
  const data = new Uint8Array(8);
  const view = new DataView(data.buffer);
  view.setUint32(0, w[0]!, true);
  view.setUint32(4, w[1]!, true);
  return Object.freeze({ descr: '<u4', shape: Object.freeze([2]), fortranOrder: false, data });
}

/** A string as a 0-d numpy unicode array (`<U{n}`, UTF-32LE), which numpy reads as `str`. @internal */
export function npyFromString(s: string): NpyArray {
  const cps = Array.from(s, (ch) => ch.codePointAt(0)!);
  const n = Math.max(1, cps.length);
  const data = new Uint8Array(4 * n);
  const view = new DataView(data.buffer);
  cps.forEach((cp, i) => view.setUint32(4 * i, cp, true));
  return Object.freeze({ descr: `<U${n}`, shape: Object.freeze([]), fortranOrder: false, data });
}

function scalarMismatch(arr: NpyArray, path: string, expected: string): Problem {
  return problem('shape', `expected ${expected}, found ${describeArr(arr)}`, { path, expected, found: describeArr(arr) });
}

/** A 0-d numeric array as a JS number (exact, or a `value` problem for int64 beyond 2^53). @internal */
export function npyToNumber(arr: NpyArray, path: string): Either<Problem, number> {
  const pd = parseDescr(arr.descr);
  if (pd._tag === 'Left') return left(problem(pd.left.kind, pd.left.message, { path }));
  const dt = pd.right;
  if (dt.kind !== 'f' && dt.kind !== 'i' && dt.kind !== 'u') {
    return left(problem('dtype', `expected a number (a 0-d numeric array), found ${describeArr(arr)}`, { path, expected: 'a number', found: arr.descr }));
  }
  if (arr.shape.length !== 0) return left(scalarMismatch(arr, path, 'a number (a 0-d array)'));
  const raw = hostElements(arr, dt);
  const v = new DataView(raw.buffer);
  const le = HOST_LITTLE_ENDIAN;
  let out: number;
  switch (`${dt.kind}${dt.itemsize}`) {
    case 'f2':
      out = halfToNumber(v.getUint16(0, le));
      break;
    case 'f4':
      out = v.getFloat32(0, le);
      break;
    case 'f8':
      out = v.getFloat64(0, le);
      break;
    case 'i1':
      out = v.getInt8(0);
      break;
    case 'u1':
      out = v.getUint8(0);
      break;
    case 'i2':
      out = v.getInt16(0, le);
      break;
    case 'u2':
      out = v.getUint16(0, le);
      break;
    case 'i4':
      out = v.getInt32(0, le);
      break;
    case 'u4':
      out = v.getUint32(0, le);
      break;
    default: {
      const b = dt.kind === 'i' ? v.getBigInt64(0, le) : v.getBigUint64(0, le);
      if (b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER)) {
        return left(problem('value', `${arr.descr} value ${b} is beyond 2^53, so it is not exact as a number`, { path, found: String(b) }));
      }
      out = Number(b);
    }
  }
  return right(out);
}

/** A 0-d `b1` array as a boolean. @internal */
export function npyToBoolean(arr: NpyArray, path: string): Either<Problem, boolean> {
  if (arr.descr !== '|b1' && arr.descr !== '<b1' && arr.descr !== '>b1') {
    return left(problem('dtype', `expected a boolean (a 0-d |b1 array), found ${describeArr(arr)}`, { path, expected: '|b1', found: arr.descr }));
  }
  if (arr.shape.length !== 0) return left(scalarMismatch(arr, path, 'a boolean (a 0-d array)'));
  return right(arr.data[0] !== 0);
}

/** An integer array of shape [2] with words in [0, 2^32) as a random key. @internal */
export function npyToKey(arr: NpyArray, path: string): Either<Problem, Key> {
  const pd = parseDescr(arr.descr);
  if (pd._tag === 'Left') return left(problem(pd.left.kind, pd.left.message, { path }));
  const dt = pd.right;
  if (dt.kind !== 'u' && dt.kind !== 'i') {
    return left(problem('dtype', `expected a random key (<u4 [2]), found ${describeArr(arr)}`, { path, expected: '<u4 [2]', found: describeArr(arr) }));
  }
  if (arr.shape.length !== 1 || arr.shape[0] !== 2) {
    return left(problem('shape', `expected a random key (<u4 [2]), found ${describeArr(arr)}`, { path, expected: '<u4 [2]', found: describeArr(arr) }));
  }
  const raw = hostElements(arr, dt);
  const v = new DataView(raw.buffer);
  const words: number[] = [];
  for (let i = 0; i < 2; i++) {
    const o = i * dt.itemsize;
    let w: number | bigint;
    switch (dt.itemsize) {
      case 1:
        w = dt.kind === 'i' ? v.getInt8(o) : v.getUint8(o);
        break;
      case 2:
        w = dt.kind === 'i' ? v.getInt16(o, HOST_LITTLE_ENDIAN) : v.getUint16(o, HOST_LITTLE_ENDIAN);
        break;
      case 4:
        w = dt.kind === 'i' ? v.getInt32(o, HOST_LITTLE_ENDIAN) : v.getUint32(o, HOST_LITTLE_ENDIAN);
        break;
      default:
        w = dt.kind === 'i' ? v.getBigInt64(o, HOST_LITTLE_ENDIAN) : v.getBigUint64(o, HOST_LITTLE_ENDIAN);
    }
    if (w < 0 || w > 0xffffffff) {
      return left(problem('value', `random key word ${String(w)} is not in [0, 2^32)`, { path, found: String(w) }));
    }
    words.push(Number(w));
  }
  return right(random.keyFromData(words));
}

/** A 0-d unicode (`<U`) array as a string, trailing NULs stripped as numpy does. @internal */
export function npyToString(arr: NpyArray, path: string): Either<Problem, string> {
  const pd = parseDescr(arr.descr);
  if (pd._tag === 'Left') return left(problem(pd.left.kind, pd.left.message, { path }));
  const dt = pd.right;
  if (dt.kind !== 'U') return left(problem('dtype', `expected a string (a 0-d <U array), found ${describeArr(arr)}`, { path, expected: '<U', found: arr.descr }));
  if (arr.shape.length !== 0) return left(scalarMismatch(arr, path, 'a string (a 0-d array)'));
  const raw = hostElements(arr, dt);
  const v = new DataView(raw.buffer);
  let end = raw.length / 4;
  while (end > 0 && v.getUint32(4 * (end - 1), HOST_LITTLE_ENDIAN) === 0) end--;
  let s = '';
  for (let i = 0; i < end; i++) {
    const cp = v.getUint32(4 * i, HOST_LITTLE_ENDIAN);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return left(problem('value', `invalid code point ${cp} in a string array`, { path }));
    }
    s += String.fromCodePoint(cp);
  }
  return right(s);
}

// ----------------------------------------------------------------------------------------------

/**
 * Runs a decoder and turns any exception (which would be a bug: decoders return error values) into
 * an error value, so that bad bytes can never make a decoder throw. @internal
 */
export function guard<A>(f: () => Either<IoError, A>): Either<IoError, A> {
  try {
    return f();
  } catch (e) {
    return left(new IoError([problem('format', `internal error while decoding: ${e instanceof Error ? e.message : String(e)}`)]));
  }
}
