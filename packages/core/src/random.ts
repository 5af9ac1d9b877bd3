/**
 * Splittable, counter-based pseudo-random numbers in the style of `jax.random`.
 *
 * There is no global generator: every sampler takes an explicit {@link Key}, and the same key
 * always gives the same numbers. To get fresh randomness, derive new keys with {@link split}
 * or {@link foldIn} and never reuse a key for two different purposes.
 *
 * The bit stream is JAX's *classic* (non-partitionable, `jax_threefry_partitionable=False`)
 * Threefry-2x32 scheme, so keys, `split`, `foldIn` and `bits` agree word for word with JAX,
 * and `uniform`, `normal`, `truncatedNormal`, `bernoulli` and `randint` agree with JAX's
 * samplers up to float rounding (see each function).
 */
import { erf, erfc, erfinv, erfinvParts } from './special.js';
import { DTypeError, ShapeError, ValueError, fmtShape } from './errors.js';
import { checkShape, sizeOf } from './shape.js';
import { Tensor } from './tensor.js';

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

const TWO32 = 4294967296;
/** The most 32-bit counters one key can address: JAX switches to sub-keys at 2^32 - 1. */
const MAX_WORDS = TWO32 - 2;

/**
 * A PRNG key: two uint32 words, the state that every sampler consumes. Keys are immutable
 * (frozen) class instances rather than plain objects, so tree utilities treat them as leaves.
 * Make them with {@link key}, {@link split}, {@link foldIn} or {@link keyFromData}.
 */
export class Key {
  /** First uint32 word (JAX's `key_data(k)[0]`). */
  readonly k0: number;
  /** Second uint32 word (JAX's `key_data(k)[1]`). */
  readonly k1: number;

  /**
   * Wraps two uint32 words. Prefer {@link key} or {@link keyFromData}.
   * @throws ValueError when a word is not an integer in [0, 2^32).
   */
  constructor(k0: number, k1: number) {
    checkWord('Key', k0, 'k0');
    checkWord('Key', k1, 'k1');
    this.k0 = k0;
    this.k1 = k1;
    Object.freeze(this);
  }

  /** `Key(0, 42)`: the two words in decimal. */
  toString(): string {
    return `Key(${this.k0}, ${this.k1})`;
  }
}

function checkWord(op: string, w: unknown, what: string): void {
  if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w >= TWO32) {
    throw new ValueError(op, `${what} must be an integer in [0, 2^32), got ${String(w)}`);
  }
}

function checkKey(op: string, k: unknown): asserts k is Key {
  if (!(k instanceof Key)) {
    const got = k === null ? 'null' : typeof k === 'object' ? (k.constructor?.name ?? 'object') : typeof k;
    throw new ValueError(op, `expected a Key (make one with key(seed)), got ${got}`);
  }
}

/** Checks a non-negative integer < 2^53 and splits it into [hi32, lo32], like JAX's threefry_seed. */
function seedWords(op: string, what: string, v: unknown): [number, number] {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new ValueError(op, `${what} must be a non-negative integer below 2^53, got ${String(v)}`);
  }
  return [Math.floor(v / TWO32), v % TWO32];
}

/**
 * A key from an integer seed, like `jax.random.PRNGKey(seed)`: the words are
 * `[floor(seed / 2^32), seed mod 2^32]`.
 * @throws ValueError for a negative, fractional or non-safe (>= 2^53) seed.
 */
export function key(seed: number): Key {
  const [hi, lo] = seedWords('key', 'seed', seed);
  return new Key(hi, lo);
}

/** True when `x` is a {@link Key}. */
export function isKey(x: unknown): x is Key {
  return x instanceof Key;
}

/**
 * The key's two words as a fresh `Uint32Array` (like `jax.random.key_data`), e.g. to save
 * it in a checkpoint. Restore it with {@link keyFromData}.
 * @throws ValueError when `k` is not a Key.
 */
export function keyData(k: Key): Uint32Array {
  checkKey('keyData', k);
  return Uint32Array.of(k.k0, k.k1);
}

/**
 * Rebuilds a key from its two words, as {@link keyData} returned them. Any array-like of
 * numbers works (a plain array, a Uint32Array, a Float64Array); int32 storage must be
 * converted back with `>>> 0` first.
 * @throws ShapeError when `words` does not hold exactly 2 entries;
 *   ValueError when a word is not an integer in [0, 2^32).
 */
export function keyFromData(words: ArrayLike<number>): Key {
  if (words === null || typeof words !== 'object' || typeof words.length !== 'number') {
    throw new ValueError('keyFromData', `expected an array of 2 uint32 words, got ${String(words)}`);
  }
  if (words.length !== 2) throw new ShapeError('keyFromData', `expected 2 words, got ${words.length}`);
  const a = words[0];
  const b = words[1];
  checkWord('keyFromData', a, 'word 0');
  checkWord('keyFromData', b, 'word 1');
  return new Key(a as number, b as number);
}

// ---------------------------------------------------------------------------------------------
// Threefry-2x32
// ---------------------------------------------------------------------------------------------

// Outputs of `block`, kept in module variables so the hot loop allocates nothing.
let out0 = 0;
let out1 = 0;

/**
 * One Threefry-2x32 block with 20 rounds (Salmon et al., "Parallel Random Numbers: As Easy as
 * 1, 2, 3", SC 2011), written exactly as JAX's `threefry2x32` lowering: rotations
 * [13, 15, 26, 6] and [17, 29, 16, 24], key injection every 4 rounds with ks2 =
 * 0x1BD11BDA ^ k0 ^ k1. All words are uint32; `>>> 0` keeps each sum in range.
 * Writes the result to `out0`, `out1`.
 */
function block(k0: number, k1: number, ks2: number, c0: number, c1: number): void {
  let x0 = (c0 + k0) >>> 0;
  let x1 = (c1 + k1) >>> 0;
  // Rounds 1-4.
  x0 = (x0 + x1) >>> 0; x1 = ((x1 << 13) | (x1 >>> 19)) ^ x0;
  x0 = (x0 + x1) >>> 0; x1 = ((x1 << 15) | (x1 >>> 17)) ^ x0;
  x0 = (x0 + x1) >>> 0; x1 = ((x1 << 26) | (x1 >>> 6)) ^ x0;
  x0 = (x0 + x1) >>> 0; x1 = ((x1 << 6) | (x1 >>> 26)) ^ x0;
  x0 = (x0 + k1) >>> 0; x1 = (x1 + ks2 + 1) >>> 0;
  // Rounds 5-8.
  x0 = (x0 + x1) >>> 0; x1 = ((x1 << 17) | (x1 >>> 15)) ^ x0;
  x0 = (x0 + x1) >>> 0; x1 = ((x1 << 29) | (x1 >>> 3)) ^ x0;
  x0 = (x0 + x1) >>> 0; x1 = ((x1 << 16) | (x1 >>> 16)) ^ x0;
  x0 = (x0 + x1) >>> 0; x1 = ((x1 << 24) | (x1 >>> 8)) ^ x0;
  x0 = (x0 + ks2) >>> 0; x1 = (x1 + k0 + 2) >>> 0;
  // Rounds 9-12.
  x0 = (x0 + x1) >>> 0; x1 = ((x1 << 13) | (x1 >>> 19)) ^ x0;
  x0 = (x0 + x1) >>> 0; x1 = ((x1 << 15) | (x1 >>> 17)) ^ x0;
  x0 = (x0 + x1) >>> 0; x1 = ((x1 << 26) | (x1 >>> 6)) ^ x0;
  x0 = (x0 + x1) >>> 0; x1 = ((x1 << 6) | (x1 >>> 26)) ^ x0;
  x0 = (x0 + k0) >>> 0; x1 = (x1 + k1 + 3) >>> 0;
  // Rounds 13-16.
  x0 = (x0 + x1) >>> 0; x1 = ((x1 << 17) | (x1 >>> 15)) ^ x0;
  x0 = (x0 + x1) >>> 0; x1 = ((x1 << 29) | (x1 >>> 3)) ^ x0;
  x0 = (x0 + x1) >>> 0; x1 = ((x1 << 16) | (x1 >>> 16)) ^ x0;
  x0 = (x0 + x1) >>> 0; x1 = ((x1 << 24) | (x1 >>> 8)) ^ x0;
  x0 = (x0 + k1) >>> 0; x1 = (x1 + ks2 + 4) >>> 0;
  // Rounds 17-20.
  x0 = (x0 + x1) >>> 0; x1 = ((x1 << 13) | (x1 >>> 19)) ^ x0;
  x0 = (x0 + x1) >>> 0; x1 = ((x1 << 15) | (x1 >>> 17)) ^ x0;
  x0 = (x0 + x1) >>> 0; x1 = ((x1 << 26) | (x1 >>> 6)) ^ x0;
  x0 = (x0 + x1) >>> 0; x1 = ((x1 << 6) | (x1 >>> 26)) ^ x0;
  out0 = (x0 + ks2) >>> 0;
  out1 = (x1 + k0 + 5) >>> 0;
}

/**
 * The Threefry-2x32 block cipher (20 rounds), element-wise: encrypts the counter pairs
 * `(x0[i], x1[i])` under the key `(k0, k1)` and returns the two output words per pair.
 * Same as JAX's `threefry2x32_p` primitive and Random123's `threefry2x32`.
 *
 * @param k0 first key word, an integer in [0, 2^32)
 * @param k1 second key word
 * @param x0 first counter word of each block
 * @param x1 second counter word of each block, same length as `x0`
 * @returns `[y0, y1]`, fresh arrays of the same length as the inputs
 * @throws ValueError for a key word out of range; ShapeError when `x0` and `x1` differ in length.
 */
export function threefry2x32(k0: number, k1: number, x0: Uint32Array, x1: Uint32Array): [Uint32Array, Uint32Array] {
  checkWord('threefry2x32', k0, 'k0');
  checkWord('threefry2x32', k1, 'k1');
  if (!(x0 instanceof Uint32Array) || !(x1 instanceof Uint32Array)) {
    throw new ValueError('threefry2x32', 'x0 and x1 must be Uint32Arrays');
  }
  if (x0.length !== x1.length) {
    throw new ShapeError('threefry2x32', `x0 and x1 must have the same length, got ${x0.length} and ${x1.length}`);
  }
  const n = x0.length;
  const y0 = new Uint32Array(n);
  const y1 = new Uint32Array(n);
  const ks2 = (0x1bd11bda ^ k0 ^ k1) >>> 0;
  for (let i = 0; i < n; i++) {
    block(k0, k1, ks2, x0[i]!, x1[i]!);
    y0[i] = out0;
    y1[i] = out1;
  }
  return [y0, y1];
}

/**
 * JAX's `threefry_2x32(key, iota(m))` without materialising the counters: the count vector
 * 0..m-1 (padded with one 0 when m is odd) is cut into a first half `x0` and a second half
 * `x1`, the halves are encrypted pairwise, the two outputs are concatenated and the pad is
 * dropped. This is the classic layout behind `split`, `bits` and every sampler.
 */
function randomWords(k: Key, m: number): Uint32Array {
  const out = new Uint32Array(m);
  const h = (m + 1) >>> 1;
  const k0 = k.k0;
  const k1 = k.k1;
  const ks2 = (0x1bd11bda ^ k0 ^ k1) >>> 0;
  for (let i = 0; i < h; i++) {
    const j = i + h;
    block(k0, k1, ks2, i, j < m ? j : 0);
    out[i] = out0;
    if (j < m) out[j] = out1;
  }
  return out;
}

/** Checks a word count against what one key can address. */
function checkWordCount(op: string, m: number, shape: readonly number[]): void {
  if (m > MAX_WORDS) {
    throw new ValueError(op, `shape ${fmtShape(shape)} needs ${m} random words; at most ${MAX_WORDS} fit one key`);
  }
}

/** Two keys, from `split(k)` or `split(k, 2)`. */
export function split(k: Key, n?: 2): [Key, Key];
/** Three keys, from `split(k, 3)`. */
export function split(k: Key, n: 3): [Key, Key, Key];
/**
 * Splits a key into `n` new, independent keys (default 2), like `jax.random.split`: encrypts
 * the counters 0..2n-1 and reads the result as n rows of two words. The input key should not
 * be used again afterwards.
 *
 * @example const [k1, k2] = split(key(0));
 * @throws ValueError for a non-Key, or when `n` is not an integer in [0, 2^31).
 */
export function split(k: Key, n?: number): Key[];
export function split(k: Key, n = 2): Key[] {
  checkKey('split', k);
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
    throw new ValueError('split', `n must be an integer in [0, 2^31), got ${String(n)}`);
  }
  const w = randomWords(k, 2 * n);
  const keys = new Array<Key>(n);
  for (let i = 0; i < n; i++) keys[i] = new Key(w[2 * i]!, w[2 * i + 1]!);
  return keys;
}

/**
 * A new key that mixes `data` into `k`, like `jax.random.fold_in`: the encryption under `k`
 * of the counter pair `[floor(data / 2^32), data mod 2^32]` (JAX's `threefry_seed(data)`).
 * Matches JAX for every `data` below 2^32; larger values extend it naturally.
 * Typical use: `foldIn(k, step)` for a per-step key.
 * @throws ValueError for a non-Key, or when `data` is not a non-negative integer below 2^53.
 */
export function foldIn(k: Key, data: number): Key {
  checkKey('foldIn', k);
  const [hi, lo] = seedWords('foldIn', 'data', data);
  block(k.k0, k.k1, (0x1bd11bda ^ k.k0 ^ k.k1) >>> 0, hi, lo);
  return new Key(out0, out1);
}

/**
 * Raw random uint32 words, like `jax.random.bits(k, shape, 'uint32')`: `sizeOf(shape)` words in
 * row-major order, returned as a fresh, caller-owned `Uint32Array` (Tensor has no uint32 dtype).
 * @throws ValueError for a non-Key or a size beyond 2^32 - 2 words; ShapeError for a bad shape.
 */
export function bits(k: Key, shape: readonly number[]): Uint32Array {
  checkKey('bits', k);
  checkShape('bits', shape);
  const n = sizeOf(shape);
  checkWordCount('bits', n, shape);
  return randomWords(k, n);
}

// ---------------------------------------------------------------------------------------------
// Float helpers
// ---------------------------------------------------------------------------------------------

/** Float dtypes the samplers can produce. */
export type FloatDType = 'float32' | 'float64';

const SQRT2 = Math.SQRT2;
const P2_23 = 1 / 8388608; // 2^-23
const P2_24 = 1 / 16777216; // 2^-24
const P2_52 = 1 / 4503599627370496; // 2^-52
const P2_53 = P2_52 / 2;
const F32_MAX = 3.4028234663852886e38;

const scratch = new DataView(new ArrayBuffer(8));

/** The largest float64 below `x` (nextafter toward -inf). */
function nextDown64(x: number): number {
  if (Number.isNaN(x) || x === -Infinity) return x;
  if (x === Infinity) return Number.MAX_VALUE;
  if (x === 0) return -Number.MIN_VALUE;
  scratch.setFloat64(0, x);
  let hi = scratch.getUint32(0);
  let lo = scratch.getUint32(4);
  // Positive: step the magnitude down; negative: step it up.
  if (x > 0) {
    if (lo === 0) {
      hi = hi - 1;
      lo = 0xffffffff;
    } else lo = lo - 1;
  } else if (lo === 0xffffffff) {
    hi = hi + 1;
    lo = 0;
  } else lo = lo + 1;
  scratch.setUint32(0, hi);
  scratch.setUint32(4, lo);
  return scratch.getFloat64(0);
}

/** The largest float32 below the float32 value `x`. */
function nextDown32(x: number): number {
  if (Number.isNaN(x) || x === -Infinity) return x;
  if (x === Infinity) return F32_MAX;
  if (x === 0) return -1.401298464324817e-45;
  scratch.setFloat32(0, x);
  const b = scratch.getUint32(0);
  scratch.setUint32(0, x > 0 ? b - 1 : b + 1);
  return scratch.getFloat32(0);
}

/** The largest value of `dtype` strictly below `x` (x need not be representable). */
function below(dtype: FloatDType, x: number): number {
  if (dtype === 'float64') return nextDown64(x);
  const r = Math.fround(x);
  return r < x ? r : nextDown32(r);
}

/** The smallest value of `dtype` strictly above `x`. */
function above(dtype: FloatDType, x: number): number {
  return -below(dtype, -x);
}

function checkDType(op: string, dtype: unknown): FloatDType {
  if (dtype === undefined) return 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new DTypeError(op, `dtype must be 'float32' or 'float64', got ${String(dtype)}`);
  }
  return dtype;
}

function checkNumber(op: string, name: string, v: unknown, finite: boolean): number {
  if (typeof v !== 'number' || Number.isNaN(v) || (finite && !Number.isFinite(v))) {
    throw new ValueError(op, `${name} must be a ${finite ? 'finite ' : ''}number, got ${String(v)}`);
  }
  return v;
}

/**
 * `n` uniform variates in [0, 1) at `dtype`'s resolution, as float64 values, from the same
 * bits JAX uses: float32 takes the top 23 bits of one word (k * 2^-23, which is exactly JAX's
 * `bitcast((w >>> 9) | 0x3f800000) - 1`); float64 takes the top 52 bits of the 64-bit value
 * `hi << 32 | lo`, where `hi` and `lo` come from the first and second halves of 2n words, as
 * JAX with x64 enabled does.
 */
function unitFloats(k: Key, n: number, dtype: FloatDType, op: string, shape: readonly number[]): Float64Array {
  const f = new Float64Array(n);
  if (dtype === 'float32') {
    checkWordCount(op, n, shape);
    const w = randomWords(k, n);
    for (let i = 0; i < n; i++) f[i] = (w[i]! >>> 9) * P2_23;
  } else {
    checkWordCount(op, 2 * n, shape);
    const w = randomWords(k, 2 * n);
    for (let i = 0; i < n; i++) f[i] = ((w[i]! * 1048576 + (w[n + i]! >>> 12)) * P2_52);
  }
  return f;
}

/** @internal The float64 special functions behind the samplers, exposed for tests. */
export const _special = Object.freeze({ erf, erfc, erfinv });

// ---------------------------------------------------------------------------------------------
// Samplers
// ---------------------------------------------------------------------------------------------

/** Options for {@link uniform}. */
export interface UniformOptions {
  /** Inclusive lower bound (default 0). */
  readonly min?: number;
  /** Exclusive upper bound (default 1). */
  readonly max?: number;
  /** Output dtype (default float32). */
  readonly dtype?: FloatDType;
}

/**
 * Uniform samples in [min, max), like `jax.random.uniform`.
 *
 * float32 uses 23 bits per value from one word and repeats JAX's float32 arithmetic
 * (`f * (max - min) + min`, then `max(min, ·)`), so it reproduces JAX's values; float64 uses
 * 52 bits built from two words exactly as JAX does with x64 enabled. Unlike JAX, a result that
 * rounds up to `max` is replaced by the largest value below `max`, so `max` is never returned,
 * and a float32 result that rounding put below `min` is raised to the first float32 >= `min`.
 *
 * @param shape output shape (any rank; `[]` gives a scalar)
 * @returns a tensor of `shape` and `dtype`
 * @throws ShapeError for a bad shape; ValueError for a non-Key, non-finite bounds, `min >= max`,
 *   a range too wide for the dtype, or too many elements; DTypeError for a non-float dtype.
 */
export function uniform(k: Key, shape: readonly number[], options: UniformOptions = {}): Tensor {
  const op = 'uniform';
  checkKey(op, k);
  checkShape(op, shape);
  const dtype = checkDType(op, options.dtype);
  const min = checkNumber(op, 'min', options.min ?? 0, true);
  const max = checkNumber(op, 'max', options.max ?? 1, true);
  if (!(min < max)) throw new ValueError(op, `min (${min}) must be < max (${max})`);
  const n = sizeOf(shape);
  const f = unitFloats(k, n, dtype, op, shape);
  const top = below(dtype, max);
  if (dtype === 'float32') {
    const min32 = Math.fround(min);
    const span = Math.fround(Math.fround(max) - min32);
    if (!Number.isFinite(span)) throw new ValueError(op, `max - min (${max} - ${min}) overflows float32`);
    // The float32 values inside [min, max) run from `bottom` to `top`.
    const bottom = above(dtype, nextDown64(min));
    if (bottom > top) throw new ValueError(op, `no float32 value lies in [${min}, ${max})`);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      // Each Math.fround mirrors one float32 operation in JAX; the clamps only act within an ulp
      // of the ends, where rounding min or the sum could step outside [min, max).
      let r = Math.fround(Math.fround(f[i]! * span) + min32);
      if (r < bottom) r = bottom;
      if (r > top) r = top;
      out[i] = r;
    }
    return new Tensor(shape, 'float32', out);
  }
  const span = max - min;
  if (!Number.isFinite(span)) throw new ValueError(op, `max - min (${max} - ${min}) overflows float64`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let r = f[i]! * span + min;
    if (r < min) r = min;
    if (r > top) r = top;
    out[i] = r;
  }
  return new Tensor(shape, 'float64', out);
}

/** Options for {@link normal}. */
export interface NormalOptions {
  /** Mean (default 0). */
  readonly mean?: number;
  /** Standard deviation, >= 0 (default 1). */
  readonly std?: number;
  /** Output dtype (default float32). */
  readonly dtype?: FloatDType;
}

/**
 * Normal samples `mean + std * z` with z ~ N(0, 1), like `jax.random.normal`: z is
 * `sqrt(2) * erfinv(u)` with u uniform in [nextafter(-1, 0), 1) at the dtype's resolution.
 * The inverse error function is evaluated in float64 to near full precision, and the result
 * is rounded once to `dtype`; float32 results agree with JAX to within float32 rounding.
 *
 * @returns a tensor of `shape` and `dtype`
 * @throws ShapeError for a bad shape; ValueError for a non-Key, a non-finite mean or std, a
 *   negative std, or too many elements; DTypeError for a non-float dtype.
 */
export function normal(k: Key, shape: readonly number[], options: NormalOptions = {}): Tensor {
  const op = 'normal';
  checkKey(op, k);
  checkShape(op, shape);
  const dtype = checkDType(op, options.dtype);
  const mean = checkNumber(op, 'mean', options.mean ?? 0, true);
  const std = checkNumber(op, 'std', options.std ?? 1, true);
  if (std < 0) throw new ValueError(op, `std must be >= 0, got ${std}`);
  const n = sizeOf(shape);
  const f = unitFloats(k, n, dtype, op, shape);
  // JAX maps f to uniform(lo, 1) with lo = nextafter(-1, 0): in both dtypes the float
  // arithmetic (hi - lo rounds to 2) reduces exactly to u = 2f + lo, which never reaches ±1.
  const lo = dtype === 'float32' ? -(1 - P2_24) : -(1 - P2_53);
  const out = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = mean + std * (SQRT2 * erfinv(2 * f[i]! + lo));
  return new Tensor(shape, dtype, out);
}

/** Options for {@link truncatedNormal}. */
export interface TruncatedNormalOptions {
  /** Lower bound in standard deviations (default -2; may be -Infinity). */
  readonly lower?: number;
  /** Upper bound in standard deviations (default 2; may be Infinity). */
  readonly upper?: number;
  /** Output dtype (default float32). */
  readonly dtype?: FloatDType;
}

/**
 * Standard normal samples truncated to (lower, upper), like `jax.random.truncated_normal`:
 * inverse-CDF sampling, z = sqrt(2) * erfinv(u) with u uniform between erf(lower / sqrt 2) and
 * erf(upper / sqrt 2), then clipped to the open interval (rounded to `dtype`) as JAX does.
 * Unlike JAX, the work is done in float64, u is taken at the midpoints of the dtype's uniform
 * grid (so an infinite bound is never sampled), and when both bounds lie on one side of 0 the
 * uniform is drawn in erfc space, so far tails (e.g. lower = 5) keep their precision.
 *
 * @returns a tensor of `shape` and `dtype`
 * @throws ShapeError for a bad shape; ValueError for a non-Key, NaN bounds, `lower >= upper`,
 *   bounds with no `dtype` value strictly between them, or too many elements;
 *   DTypeError for a non-float dtype.
 */
export function truncatedNormal(k: Key, shape: readonly number[], options: TruncatedNormalOptions = {}): Tensor {
  const op = 'truncatedNormal';
  checkKey(op, k);
  checkShape(op, shape);
  const dtype = checkDType(op, options.dtype);
  const lower = checkNumber(op, 'lower', options.lower ?? -2, false);
  const upper = checkNumber(op, 'upper', options.upper ?? 2, false);
  if (!(lower < upper)) throw new ValueError(op, `lower (${lower}) must be < upper (${upper})`);
  const clipLo = above(dtype, lower);
  const clipHi = below(dtype, upper);
  if (clipLo > clipHi) throw new ValueError(op, `no ${dtype} value lies strictly between ${lower} and ${upper}`);
  const n = sizeOf(shape);
  const f = unitFloats(k, n, dtype, op, shape);
  // Draw u at the midpoints of the uniform grid, so an infinite bound is never hit exactly.
  const half = dtype === 'float32' ? P2_24 : P2_53;
  for (let i = 0; i < n; i++) f[i] = f[i]! + half;
  const out = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  // One-sided intervals are mirrored onto [0, inf) and sampled through erfc, whose values stay
  // representable far into the tail where erf rounds to 1.
  const side = lower >= 0 ? 1 : upper <= 0 ? -1 : 0;
  if (side !== 0) {
    const ca = erfc((side > 0 ? lower : -upper) / SQRT2);
    const cb = erfc((side > 0 ? upper : -lower) / SQRT2);
    for (let i = 0; i < n; i++) {
      const c = ca - f[i]! * (ca - cb);
      out[i] = side * SQRT2 * erfinvParts(1 - c, c);
    }
  } else {
    const a = erf(lower / SQRT2);
    const b = erf(upper / SQRT2);
    for (let i = 0; i < n; i++) out[i] = SQRT2 * erfinv(a + f[i]! * (b - a));
  }
  // Clip after rounding, so the stored value is inside (lower, upper).
  for (let i = 0; i < n; i++) {
    const v = out[i]!;
    if (v < clipLo) out[i] = clipLo;
    else if (v > clipHi) out[i] = clipHi;
  }
  return new Tensor(shape, dtype, out);
}

/**
 * Bernoulli samples, `true` with probability `p`, like `jax.random.bernoulli`: a float32 uniform
 * draw `u` (23 bits) gives `u < p`. Probabilities therefore resolve to multiples of 2^-23;
 * `p = 0` never and `p = 1` always gives `true`.
 *
 * @param p probability of `true`, in [0, 1] (default 0.5)
 * @param shape output shape (default `[]`, a scalar)
 * @returns a bool tensor of `shape`
 * @throws ShapeError for a bad shape; ValueError for a non-Key, `p` outside [0, 1], or too many
 *   elements.
 */
export function bernoulli(k: Key, p = 0.5, shape: readonly number[] = []): Tensor {
  const op = 'bernoulli';
  checkKey(op, k);
  checkShape(op, shape);
  checkNumber(op, 'p', p, true);
  if (p < 0 || p > 1) throw new ValueError(op, `p must be in [0, 1], got ${p}`);
  const n = sizeOf(shape);
  checkWordCount(op, n, shape);
  const w = randomWords(k, n);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (w[i]! >>> 9) * P2_23 < p ? 1 : 0;
  return new Tensor(shape, 'bool', out);
}

/** Words per refill of the permutation's word stream (bounded so memory stays small). */
function permutationChunk(n: number): number {
  return Math.min(Math.max(n, 16), 65536);
}

/**
 * A uniformly random permutation of 0..n-1 as an int32 tensor of shape [n], like
 * `jax.random.permutation(k, n)` in distribution (but not in values: JAX sorts by random keys,
 * this uses Fisher–Yates). Each swap index j in [0, i] is drawn without bias by rejection
 * sampling from uint32 words; the words come in chunks, chunk c being `bits(foldIn(k, c), ...)`,
 * so every permutation of n elements is equally likely up to the quality of Threefry.
 *
 * @throws ValueError for a non-Key, or when `n` is not an integer in [0, 2^31).
 */
export function permutation(k: Key, n: number): Tensor {
  const op = 'permutation';
  checkKey(op, k);
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
    throw new ValueError(op, `n must be an integer in [0, 2^31), got ${String(n)}`);
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  const chunk = permutationChunk(n);
  let words: Uint32Array = new Uint32Array(0);
  let pos = 0;
  let chunkIndex = 0;
  for (let i = n - 1; i > 0; i--) {
    const m = i + 1;
    // Accept only words below the largest multiple of m, so w % m is exactly uniform.
    const limit = TWO32 - (TWO32 % m);
    let w: number;
    do {
      if (pos === words.length) {
        words = randomWords(foldIn(k, chunkIndex++), chunk);
        pos = 0;
      }
      w = words[pos++]!;
    } while (w >= limit);
    const j = w % m;
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return new Tensor([n], 'int32', out);
}

/** (a * b) mod m, exactly, for integers a, b < m <= 2^32 (the product may exceed 2^53). */
function mulMod(a: number, b: number, m: number): number {
  const aHi = Math.floor(a / 65536);
  const aLo = a % 65536;
  return ((((aHi * b) % m) * 65536) + aLo * b) % m;
}

/**
 * Uniform integers in [min, max) as an int32 tensor, like `jax.random.randint`: splits `k` in
 * two, draws a high and a low word per element and returns
 * `min + ((hi mod s) * (2^32 mod s) + lo mod s) mod s` with s = max - min, i.e. a 64-bit draw
 * reduced mod s (bias below s / 2^64). Matches JAX exactly when s <= 2^16; for larger spans
 * JAX's uint32 product wraps around, while this computes the exact remainder.
 *
 * @throws ShapeError for a bad shape; ValueError for a non-Key, bounds that are not integers
 *   with -2^31 <= min < max <= 2^31, or too many elements.
 */
export function randint(k: Key, shape: readonly number[], min: number, max: number): Tensor {
  const op = 'randint';
  checkKey(op, k);
  checkShape(op, shape);
  if (typeof min !== 'number' || !Number.isInteger(min) || min < -2147483648 || min > 2147483647) {
    throw new ValueError(op, `min must be an int32 integer, got ${String(min)}`);
  }
  if (typeof max !== 'number' || !Number.isInteger(max) || max > 2147483648) {
    throw new ValueError(op, `max must be an integer <= 2^31, got ${String(max)}`);
  }
  if (!(min < max)) throw new ValueError(op, `min (${min}) must be < max (${max})`);
  const n = sizeOf(shape);
  checkWordCount(op, n, shape);
  const [k1, k2] = split(k);
  const hi = randomWords(k1, n);
  const lo = randomWords(k2, n);
  const span = max - min;
  const mult = TWO32 % span;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const off = (mulMod(hi[i]! % span, mult, span) + (lo[i]! % span)) % span;
    out[i] = min + off;
  }
  return new Tensor(shape, 'int32', out);
}
