import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { DTypeError, ShapeError, ValueError } from '../src/errors.js';
import { isLeaf, leaves } from '../src/tree.js';
import {
  Key,
  _special,
  bernoulli,
  bits,
  foldIn,
  isKey,
  key,
  keyData,
  keyFromData,
  normal,
  permutation,
  randint,
  split,
  threefry2x32,
  truncatedNormal,
  uniform,
} from '../src/random.js';

// Known answers in this file come from sources independent of this implementation:
//  [R123]  Random123's Threefry-2x32-20 known-answer vectors (tests/kat_vectors), as quoted by
//          JAX's tests/random_test.py `testThreefry2x32`, which cites
//          https://github.com/DEShawResearch/Random123-Boost/blob/65e3d874b67aa7b3e02d5ad8306462f52d2079c0/libs/random/test/test_threefry.cpp#L30-L32
//  [JAXT]  JAX's tests/random_test.py (github.com/google/jax), run with the classic
//          (jax_threefry_partitionable=False) Threefry: `testPRNGValues`, `testRngRandomBits`,
//          `test_prng_seeds_and_keys` and the `_RANDOM_VALUES_CASES` table, whose keys are
//          `PRNGKey(zlib.adler32(name + 'threefry2x32'))`.
//  [JAXD]  JAX's "Pseudo random numbers" tutorial, which prints split(PRNGKey(0)).
//  [MLX]   MLX's tests/random_tests.cpp (github.com/ml-explore/mlx), whose expected bits were
//          generated with JAX's threefry implementation.
//  [MP]    mpmath at 50 significant digits (erf, erfc, erfinv constants).

const words = (k: Key): number[] => Array.from(keyData(k));
const arr = (t: { data: ArrayLike<number> }): number[] => Array.from(t.data);

/** zlib's Adler-32 (RFC 1950), to derive the seeds of JAX's _RANDOM_VALUES_CASES. */
function adler32(s: string): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < s.length; i++) {
    a = (a + s.charCodeAt(i)) % 65521;
    b = (b + a) % 65521;
  }
  return b * 65536 + a;
}
const jaxCaseKey = (name: string): Key => key(adler32(name + 'threefry2x32'));

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!), `index ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(tol);
  }
}

function moments(xs: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  const mean = s / xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i]! - mean) ** 2;
  return { mean, variance: v / (xs.length - 1) };
}

/** Expects a FluxionError subclass whose message starts with `op: `. */
function expectError(fn: () => unknown, type: new (...args: never[]) => Error, op: string, pattern?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(type);
  const msg = (caught as Error).message;
  expect(msg.startsWith(`${op}: `), msg).toBe(true);
  if (pattern) expect(msg).toMatch(pattern);
}

describe('adler32 helper', () => {
  it('matches the published checksum of "Wikipedia" (0x11E60398)', () => {
    expect(adler32('Wikipedia')).toBe(0x11e60398);
  });
});

describe('threefry2x32', () => {
  it('matches the Random123 known-answer vectors [R123]', () => {
    const cases: [number, number, number, number, number, number][] = [
      // key0, key1, ctr0, ctr1 -> out0, out1
      [0, 0, 0, 0, 0x6b200159, 0x99ba4efe],
      [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x1cb996fc, 0xbb002be7],
      [0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3, 0xc4923a9c, 0x483df7a0],
    ];
    for (const [k0, k1, c0, c1, y0, y1] of cases) {
      const [o0, o1] = threefry2x32(k0, k1, Uint32Array.of(c0), Uint32Array.of(c1));
      expect([o0[0], o1[0]]).toEqual([y0, y1]);
    }
  });

  it('encrypts every pair of a vector independently (JAX testThreefry2x32Large, smaller) [R123]', () => {
    const n = 1001;
    const [o0, o1] = threefry2x32(
      0x13198a2e,
      0x03707344,
      new Uint32Array(n).fill(0x243f6a88),
      new Uint32Array(n).fill(0x85a308d3),
    );
    expect(o0.every((v) => v === 0xc4923a9c)).toBe(true);
    expect(o1.every((v) => v === 0x483df7a0)).toBe(true);
  });

  it('handles empty input and does not touch its arguments', () => {
    const [a, b] = threefry2x32(1, 2, new Uint32Array(0), new Uint32Array(0));
    expect(a.length + b.length).toBe(0);
    const x0 = Uint32Array.of(1, 2);
    const x1 = Uint32Array.of(3, 4);
    threefry2x32(5, 6, x0, x1);
    expect(Array.from(x0)).toEqual([1, 2]);
    expect(Array.from(x1)).toEqual([3, 4]);
  });

  it('rejects mismatched lengths and bad key words', () => {
    expectError(() => threefry2x32(0, 0, new Uint32Array(2), new Uint32Array(3)), ShapeError, 'threefry2x32');
    expectError(() => threefry2x32(-1, 0, new Uint32Array(1), new Uint32Array(1)), ValueError, 'threefry2x32');
    expectError(() => threefry2x32(0, 2 ** 32, new Uint32Array(1), new Uint32Array(1)), ValueError, 'threefry2x32');
    expectError(() => threefry2x32(0, 0, [1] as never, [2] as never), ValueError, 'threefry2x32');
  });
});

describe('keys', () => {
  it('key(seed) follows threefry_seed: [hi32, lo32] [JAXT test_prng_seeds_and_keys, MLX]', () => {
    expect(words(key(0))).toEqual([0, 0]);
    expect(words(key(1))).toEqual([0, 1]);
    expect(words(key(3))).toEqual([0, 3]);
    expect(words(key(2147483647 + 100))).toEqual([0, 2147483747]);
    expect(words(key(2 ** 32))).toEqual([1, 0]);
    expect(words(key(2 ** 32 + 1))).toEqual([1, 1]);
    expect(words(key(Number.MAX_SAFE_INTEGER))).toEqual([0x1fffff, 0xffffffff]);
  });

  it('rejects negative, fractional, unsafe and non-number seeds', () => {
    for (const s of [-1, 1.5, NaN, Infinity, 2 ** 53, '3' as unknown as number]) {
      expectError(() => key(s), ValueError, 'key', /seed/);
    }
  });

  it('is an immutable class instance, not a plain object', () => {
    const k = key(42);
    expect(k).toBeInstanceOf(Key);
    expect(isKey(k)).toBe(true);
    expect(isKey({ k0: 0, k1: 42 })).toBe(false);
    expect(isKey(null)).toBe(false);
    expect(Object.getPrototypeOf(k)).not.toBe(Object.prototype);
    expect(Object.isFrozen(k)).toBe(true);
    expect(() => {
      (k as { k0: number }).k0 = 1;
    }).toThrow(TypeError);
    expect(isLeaf(k)).toBe(true);
    expect(leaves({ rng: k, layers: [split(k)[0]] })).toHaveLength(2);
    expect(String(k)).toBe('Key(0, 42)');
    expect(`${split(key(0))[0]}`).toBe('Key(4146024105, 967050713)');
  });

  it('keyData returns a copy and keyFromData restores the key', () => {
    const k = foldIn(key(7), 123);
    const d = keyData(k);
    expect(d).toBeInstanceOf(Uint32Array);
    d[0] = 0;
    expect(keyData(k)[0]).not.toBe(0);
    const k2 = keyFromData(keyData(k));
    expect(words(k2)).toEqual(words(k));
    expect(arr(uniform(k2, [4]))).toEqual(arr(uniform(k, [4])));
    expect(words(keyFromData([1, 2]))).toEqual([1, 2]);
    expect(words(keyFromData(new Float64Array([4294967295, 0])))).toEqual([4294967295, 0]);
  });

  it('keyFromData validates length and word range', () => {
    expectError(() => keyFromData([1, 2, 3]), ShapeError, 'keyFromData', /2 words/);
    expectError(() => keyFromData([1]), ShapeError, 'keyFromData');
    expectError(() => keyFromData([-1, 0]), ValueError, 'keyFromData', /word 0/);
    expectError(() => keyFromData([0, 2 ** 32]), ValueError, 'keyFromData', /word 1/);
    expectError(() => keyFromData([0, 0.5]), ValueError, 'keyFromData');
    expectError(() => keyFromData(null as never), ValueError, 'keyFromData');
    expectError(() => new Key(0, -3), ValueError, 'Key');
  });

  it('every function rejects a non-Key', () => {
    const bad = [0, 0] as unknown as Key;
    expectError(() => keyData(bad), ValueError, 'keyData', /expected a Key/);
    expectError(() => split(bad), ValueError, 'split');
    expectError(() => foldIn(bad, 1), ValueError, 'foldIn');
    expectError(() => bits(bad, [2]), ValueError, 'bits');
    expectError(() => uniform(bad, [2]), ValueError, 'uniform');
    expectError(() => normal(bad, [2]), ValueError, 'normal');
    expectError(() => truncatedNormal(bad, [2]), ValueError, 'truncatedNormal');
    expectError(() => bernoulli(bad, 0.5, [2]), ValueError, 'bernoulli');
    expectError(() => permutation(bad, 2), ValueError, 'permutation');
    expectError(() => randint(bad, [2], 0, 3), ValueError, 'randint');
  });
});

describe('split, foldIn and bits agree with JAX (classic threefry)', () => {
  it('split(PRNGKey(0)) [JAXD, MLX]', () => {
    expect(split(key(0)).map(words)).toEqual([
      [4146024105, 967050713],
      [2718843009, 1272950319],
    ]);
  });

  it('split(PRNGKey(0), 3) [MLX]', () => {
    expect(split(key(0), 3).map(words)).toEqual([
      [2467461003, 428148500],
      [3186719485, 3840466878],
      [2562233961, 1946702221],
    ]);
  });

  it('split(PRNGKey(0), 4) and fold_in(PRNGKey(0), 4) [JAXT testPRNGValues]', () => {
    expect(split(key(0), 4).map(words)).toEqual([
      [2285895361, 1501764800],
      [1518642379, 4090693311],
      [433833334, 4221794875],
      [839183663, 3740430601],
    ]);
    expect(words(foldIn(key(0), 4))).toEqual([2285895361, 433833334]);
  });

  it('bits of PRNGKey(0), PRNGKey(1) and PRNGKey(1701) [MLX, JAXT testRngRandomBits]', () => {
    expect(Array.from(bits(key(0), []))).toEqual([1797259609]);
    expect(Array.from(bits(key(1), []))).toEqual([507451445]);
    // An odd count exercises the zero pad of the count vector.
    expect(Array.from(bits(key(0), [3, 1]))).toEqual([4146024105, 1351547692, 2718843009]);
    expect(Array.from(bits(key(1701), [3]))).toEqual([56197195, 4200222568, 961309823]);
    expect(Array.from(bits(key(0), [0]))).toEqual([]);
  });

  it('bits for the "bits" case of _RANDOM_VALUES_CASES [JAXT]', () => {
    expect(Array.from(bits(jaxCaseKey('bits'), [5]))).toEqual([1978747883, 4134381225, 3628107870, 689687174, 2788938207]);
  });

  it('64-bit draws pair word i with word n + i, as JAX x64 does [JAXT]', () => {
    // uint64 values JAX returns with x64 enabled; float64 uniform is built from exactly these.
    const cases: [Key, bigint[]][] = [
      [key(1701), [3982329540505020460n, 16822122385914693683n, 7882654074788531506n]],
      [
        jaxCaseKey('bits'),
        [17649965731882839947n, 1415307058040849897n, 8282622628079774249n, 14024425113645909402n, 2012979996110532418n],
      ],
    ];
    for (const [k, expected] of cases) {
      const n = expected.length;
      const w = bits(k, [2 * n]);
      const got = expected.map((_, i) => (BigInt(w[i]!) << 32n) | BigInt(w[n + i]!));
      expect(got).toEqual(expected);
      // JAX x64 uniform: (bits >> 12) as the mantissa of a float in [1, 2), minus 1.
      const u = uniform(k, [n], { dtype: 'float64' });
      expect(arr(u)).toEqual(expected.map((b) => Number(b >> 12n) * 2 ** -52));
    }
  });

  it('split accepts n = 0 and n = 1 and rejects bad counts', () => {
    expect(split(key(0), 0)).toEqual([]);
    expect(split(key(5), 1)).toHaveLength(1);
    for (const n of [-1, 1.5, NaN, 2 ** 31]) expectError(() => split(key(0), n), ValueError, 'split', /n must be/);
  });

  it('foldIn rejects bad data; bits rejects bad shapes', () => {
    for (const d of [-1, 0.5, 2 ** 53]) expectError(() => foldIn(key(0), d), ValueError, 'foldIn', /data/);
    expectError(() => bits(key(0), [-1]), ShapeError, 'bits');
    expectError(() => bits(key(0), [2.5]), ShapeError, 'bits');
    expectError(() => bits(key(0), [2 ** 32, 2]), ValueError, 'bits', /random words/);
  });
});

describe('samplers agree with JAX values (classic threefry, float32) [JAXT _RANDOM_VALUES_CASES]', () => {
  it('uniform', () => {
    const u = uniform(jaxCaseKey('uniform'), [5]);
    expect(u.dtype).toBe('float32');
    expectClose(u.data, [0.298671, 0.073213, 0.873356, 0.260549, 0.412797], 1e-6);
  });

  it('normal', () => {
    expectClose(normal(jaxCaseKey('normal'), [5]).data, [-1.173234, -1.511662, 0.070593, -0.099764, 1.052845], 2e-6);
  });

  it('truncated_normal(lower=0, upper=2)', () => {
    const t = truncatedNormal(jaxCaseKey('truncated_normal'), [5], { lower: 0, upper: 2 });
    expectClose(t.data, [0.582807, 1.709771, 0.159513, 0.861376, 0.36148], 2e-6);
  });

  it('bernoulli(p=0.5)', () => {
    const b = bernoulli(jaxCaseKey('bernoulli'), 0.5, [5]);
    expect(b.dtype).toBe('bool');
    expect(b.toArray()).toEqual([false, true, true, true, false]);
  });

  it('randint(0, 10) and randint(PRNGKey(0), (3, 3), 0, 8) [JAXT testPRNGValues]', () => {
    expect(arr(randint(jaxCaseKey('randint'), [5], 0, 10))).toEqual([0, 5, 7, 7, 5]);
    const r = randint(key(0), [3, 3], 0, 8);
    expect(r.dtype).toBe('int32');
    expect(r.toArray()).toEqual([
      [2, 1, 3],
      [6, 1, 5],
      [6, 3, 4],
    ]);
  });
});

describe('determinism and independence', () => {
  it('the same key gives the same numbers, different keys differ', () => {
    const k = key(2024);
    expect(arr(uniform(k, [64]))).toEqual(arr(uniform(k, [64])));
    expect(arr(normal(k, [64], { dtype: 'float64' }))).toEqual(arr(normal(k, [64], { dtype: 'float64' })));
    expect(arr(permutation(k, 50))).toEqual(arr(permutation(k, 50)));
    const [a, b] = split(k);
    expect(arr(uniform(a, [64]))).not.toEqual(arr(uniform(b, [64])));
    expect(arr(uniform(k, [64]))).not.toEqual(arr(uniform(a, [64])));
  });

  it('split keys are distinct from each other and from the parent (property)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 40 }), fc.integer({ min: 2, max: 40 }), (seed, n) => {
        const parent = key(seed);
        const seen = new Set([String(parent)]);
        for (const child of split(parent, n)) seen.add(String(child));
        return seen.size === n + 1;
      }),
      { numRuns: 50 },
    );
  });

  it('foldIn gives different keys for different data (property)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1e6 }), fc.nat({ max: 2 ** 40 }), fc.nat({ max: 2 ** 40 }), (seed, a, b) => {
        fc.pre(a !== b);
        return String(foldIn(key(seed), a)) !== String(foldIn(key(seed), b));
      }),
      { numRuns: 50 },
    );
  });

  it('1000 split keys of one parent are all distinct', () => {
    const ks = split(key(99), 1000).map(String);
    expect(new Set(ks).size).toBe(1000);
  });
});

describe('uniform', () => {
  it('returns the requested shape and dtype', () => {
    const s = uniform(key(0), []);
    expect(s.shape).toEqual([]);
    expect(s.size).toBe(1);
    const t = uniform(key(0), [2, 3], { dtype: 'float64' });
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float64');
    expect(uniform(key(0), [0, 4]).size).toBe(0);
  });

  it('stays in [min, max) with the right mean and variance (float32 and float64)', () => {
    const n = 100_000;
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [min, max] of [
        [0, 1],
        [-3, 5],
      ] as const) {
        const x = uniform(key(11), [n], { min, max, dtype }).data;
        let lo = Infinity;
        let hi = -Infinity;
        for (let i = 0; i < n; i++) {
          lo = Math.min(lo, x[i]!);
          hi = Math.max(hi, x[i]!);
        }
        expect(lo).toBeGreaterThanOrEqual(min);
        expect(hi).toBeLessThan(max);
        const w = max - min;
        const { mean, variance } = moments(x);
        // 5 standard errors: sd of the mean is w/sqrt(12 n), of the variance about w^2/sqrt(180 n).
        expect(Math.abs(mean - (min + max) / 2)).toBeLessThan((5 * w) / Math.sqrt(12 * n));
        expect(Math.abs(variance - (w * w) / 12)).toBeLessThan((5 * w * w) / Math.sqrt(180 * n));
      }
    }
  });

  it('keeps float32 results inside [min, max) when the bounds are not float32 values', () => {
    // fround(-0.1) < -0.1, so JAX's arithmetic alone could return a value below min.
    const x = Array.from(uniform(key(3), [20_000], { min: -0.1, max: 0.1 }).data);
    expect(x.every((v) => v >= -0.1 && v < 0.1)).toBe(true);
    // The only float32 value in [1, 1 + 1e-12) is 1.
    expect(arr(uniform(key(3), [3], { min: 1, max: 1 + 1e-12 }))).toEqual([1, 1, 1]);
  });

  it('never returns max, even when rounding would reach it', () => {
    // At 2^24 float32 steps are 2 wide, so f * 2 + 2^24 rounds up to max for f > 1/2.
    const a = uniform(key(3), [1000], { min: 2 ** 24, max: 2 ** 24 + 2 }).data;
    expect(Array.from(a).every((v) => v === 2 ** 24)).toBe(true);
    // Same at 2^53 for float64, where steps are 2 wide and max is two steps up.
    const b = Array.from(uniform(key(3), [1000], { min: 2 ** 53, max: 2 ** 53 + 4, dtype: 'float64' }).data);
    expect(b.every((v) => v >= 2 ** 53 && v < 2 ** 53 + 4)).toBe(true);
    expect(new Set(b).size).toBe(2);
  });

  it('rejects bad bounds, dtypes and shapes', () => {
    expectError(() => uniform(key(0), [2], { min: 2, max: 1 }), ValueError, 'uniform', /min \(2\) must be < max \(1\)/);
    expectError(() => uniform(key(0), [2], { min: 1, max: 1 }), ValueError, 'uniform');
    expectError(() => uniform(key(0), [2], { min: NaN }), ValueError, 'uniform', /min/);
    expectError(() => uniform(key(0), [2], { max: Infinity }), ValueError, 'uniform', /max/);
    expectError(() => uniform(key(0), [2], { min: -3e38, max: 3e38 }), ValueError, 'uniform', /overflows float32/);
    expectError(() => uniform(key(0), [2], { min: 1 + 1e-12, max: 1 + 2e-12 }), ValueError, 'uniform', /no float32 value/);
    expectError(() => uniform(key(0), [2], { dtype: 'int32' as never }), DTypeError, 'uniform');
    expectError(() => uniform(key(0), [-1]), ShapeError, 'uniform');
    expectError(() => uniform(key(0), [1.5]), ShapeError, 'uniform');
    expectError(() => uniform(key(0), 3 as never), ShapeError, 'uniform');
  });
});

describe('normal', () => {
  it('has mean 0, variance 1 and normal tail mass (float32 and float64)', () => {
    const n = 100_000;
    for (const dtype of ['float32', 'float64'] as const) {
      const z = normal(key(5), [n], { dtype });
      expect(z.dtype).toBe(dtype);
      const x = z.data;
      const { mean, variance } = moments(x);
      expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
      expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
      let inside = 0;
      let finite = true;
      for (let i = 0; i < n; i++) {
        if (Math.abs(x[i]!) < 1.959963984540054) inside++;
        if (!Number.isFinite(x[i]!)) finite = false;
      }
      expect(finite).toBe(true);
      // P(|Z| < 1.96) = 0.95; binomial sd is sqrt(0.95 * 0.05 / n).
      expect(Math.abs(inside / n - 0.95)).toBeLessThan(5 * Math.sqrt((0.95 * 0.05) / n));
    }
  });

  it('applies mean and std', () => {
    const n = 50_000;
    const { mean, variance } = moments(normal(key(8), [n], { mean: 3, std: 0.5 }).data);
    expect(Math.abs(mean - 3)).toBeLessThan((5 * 0.5) / Math.sqrt(n));
    expect(Math.abs(variance - 0.25)).toBeLessThan(5 * 0.25 * Math.sqrt(2 / n));
    expect(arr(normal(key(8), [4], { mean: 2, std: 0 }))).toEqual([2, 2, 2, 2]);
  });

  it('rejects bad options', () => {
    expectError(() => normal(key(0), [2], { std: -1 }), ValueError, 'normal', /std must be >= 0/);
    expectError(() => normal(key(0), [2], { mean: NaN }), ValueError, 'normal', /mean/);
    expectError(() => normal(key(0), [2], { std: Infinity }), ValueError, 'normal', /std/);
    expectError(() => normal(key(0), [2], { dtype: 'bool' as never }), DTypeError, 'normal');
    expectError(() => normal(key(0), [2, -2]), ShapeError, 'normal');
  });
});

describe('erf, erfc, erfinv (float64)', () => {
  const { erf, erfc, erfinv } = _special;
  const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

  it('match high-precision reference values [MP]', () => {
    expect(rel(erf(0.5), 0.5204998778130465377)).toBeLessThan(4e-16);
    expect(rel(erf(1), 0.84270079294971486934)).toBeLessThan(4e-16);
    expect(rel(erf(-2), -0.99532226501895273416)).toBeLessThan(4e-16);
    expect(rel(erfc(2), 0.0046777349810472658379)).toBeLessThan(2e-15);
    expect(rel(erfc(5), 1.5374597944280348502e-12)).toBeLessThan(2e-15);
    expect(rel(erfc(10), 2.0884875837625447570e-45)).toBeLessThan(2e-15);
    expect(rel(erfc(-1), 1.8427007929497148693)).toBeLessThan(4e-16);
    expect(rel(erfinv(0.5), 0.47693627620446987338)).toBeLessThan(2e-15);
    expect(rel(erfinv(-0.9), -1.1630871536766741628)).toBeLessThan(2e-15);
    expect(rel(erfinv(0.999999), 3.4589107372754988)).toBeLessThan(2e-15);
    expect(rel(erfinv(1 - 2 ** -53), 5.8635847487551679)).toBeLessThan(2e-15);
    expect(rel(erfinv(1e-300), 8.8622692545275801365e-301)).toBeLessThan(2e-15);
  });

  it('handle the ends of the domain', () => {
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erfc(Infinity)).toBe(0);
    expect(erfinv(1)).toBe(Infinity);
    expect(erfinv(-1)).toBe(-Infinity);
    expect(erfinv(0)).toBe(0);
    expect(erfinv(1.5)).toBeNaN();
    expect(erfinv(NaN)).toBeNaN();
  });

  it('erfinv inverts erf (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: -0.999999, max: 0.999999, noNaN: true }), (x) => {
        return Math.abs(erf(erfinv(x)) - x) <= 4e-16 * Math.max(1, Math.abs(x));
      }),
      { numRuns: 300 },
    );
  });
});

describe('truncatedNormal', () => {
  const phi = (x: number): number => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);

  it('stays strictly inside (lower, upper), including far tails and infinite bounds', () => {
    const cases: [number, number][] = [
      [-2, 2],
      [0, 2],
      [5, 6],
      [-6, -5],
      [8, Infinity],
      [-Infinity, -3],
      [-Infinity, Infinity],
      [-0.3, 0.3],
    ];
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [lower, upper] of cases) {
        const x = truncatedNormal(key(21), [20_000], { lower, upper, dtype }).data;
        for (let i = 0; i < x.length; i++) {
          if (!(x[i]! > lower && x[i]! < upper && Number.isFinite(x[i]!))) {
            throw new Error(`${dtype} (${lower}, ${upper}): sample ${x[i]} at ${i}`);
          }
        }
      }
    }
  });

  it('has the truncated-normal mean and variance', () => {
    const n = 100_000;
    // Closed forms for Z ~ N(0,1) given a < Z < b, with P = Phi(b) - Phi(a):
    // mean = (phi(a) - phi(b)) / P, var = 1 + (a phi(a) - b phi(b)) / P - mean^2.
    // Phi differences use erf values from [MP]: erf(sqrt 2) and erf(0) = 0, and erfc(5/sqrt 2).
    const cases: [number, number, number][] = [
      [-2, 2, 0.95449973610364158560],
      [0, 2, 0.95449973610364158560 / 2],
      [5, Infinity, 5.733031437583878e-7 / 2],
    ];
    for (const [a, b, P] of cases) {
      const pa = phi(a);
      const pb = b === Infinity ? 0 : phi(b);
      const bpb = b === Infinity ? 0 : b * pb;
      const mean = (pa - pb) / P;
      const variance = 1 + (a * pa - bpb) / P - mean * mean;
      for (const dtype of ['float32', 'float64'] as const) {
        const m = moments(truncatedNormal(key(31), [n], { lower: a, upper: b, dtype }).data);
        expect(Math.abs(m.mean - mean), `mean (${a}, ${b}) ${dtype}`).toBeLessThan(5 * Math.sqrt(variance / n));
        expect(Math.abs(m.variance - variance), `variance (${a}, ${b}) ${dtype}`).toBeLessThan(0.03 * variance);
      }
    }
  });

  it('rejects bad bounds', () => {
    expectError(() => truncatedNormal(key(0), [2], { lower: 1, upper: 1 }), ValueError, 'truncatedNormal', /lower \(1\) must be < upper \(1\)/);
    expectError(() => truncatedNormal(key(0), [2], { lower: NaN }), ValueError, 'truncatedNormal', /lower/);
    expectError(
      () => truncatedNormal(key(0), [2], { lower: 1, upper: 1 + 2 ** -23 }),
      ValueError,
      'truncatedNormal',
      /no float32 value/,
    );
    expectError(() => truncatedNormal(key(0), [2], { dtype: 'int32' as never }), DTypeError, 'truncatedNormal');
    expectError(() => truncatedNormal(key(0), [NaN]), ShapeError, 'truncatedNormal');
  });
});

describe('bernoulli', () => {
  it('gives a bool scalar by default and the requested shape otherwise', () => {
    const s = bernoulli(key(0));
    expect(s.shape).toEqual([]);
    expect(s.dtype).toBe('bool');
    expect(bernoulli(key(0), 0.3, [2, 5]).shape).toEqual([2, 5]);
  });

  it('has frequency p, and p = 0 / p = 1 are exact', () => {
    const n = 100_000;
    expect(arr(bernoulli(key(1), 0, [1000])).every((v) => v === 0)).toBe(true);
    expect(arr(bernoulli(key(1), 1, [1000])).every((v) => v === 1)).toBe(true);
    for (const p of [0.1, 0.5, 0.9]) {
      const { mean } = moments(bernoulli(key(2), p, [n]).data);
      expect(Math.abs(mean - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    }
  });

  it('rejects bad p and shapes', () => {
    for (const p of [-0.1, 1.1, NaN]) expectError(() => bernoulli(key(0), p, [2]), ValueError, 'bernoulli', /p/);
    expectError(() => bernoulli(key(0), 0.5, [-3]), ShapeError, 'bernoulli');
  });
});

describe('permutation', () => {
  it('is a permutation of 0..n-1 (property over n and seeds)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.nat({ max: 2 ** 40 }), (n, seed) => {
        const p = permutation(key(seed), n);
        expect(p.dtype).toBe('int32');
        expect(p.shape).toEqual([n]);
        const sorted = Array.from(p.data).sort((a, b) => a - b);
        return sorted.every((v, i) => v === i);
      }),
      { numRuns: 100 },
    );
  });

  it('is a permutation when it needs several chunks of words', () => {
    const n = 70_000;
    const seen = new Uint8Array(n);
    for (const v of permutation(key(4), n).data) seen[v] = 1;
    expect(seen.every((v) => v === 1)).toBe(true);
  });

  it('draws each of the 6 permutations of 3 elements about equally often', () => {
    const draws = 6000;
    const counts = new Map<string, number>();
    for (const k of split(key(77), draws)) {
      const s = arr(permutation(k, 3)).join('');
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    // Chi-square with 5 degrees of freedom; 20.5 is its 0.999 quantile.
    let chi2 = 0;
    for (const c of counts.values()) chi2 += (c - draws / 6) ** 2 / (draws / 6);
    expect(chi2).toBeLessThan(20.5);
  });

  it('handles n = 0 and n = 1 and rejects bad n', () => {
    expect(arr(permutation(key(0), 0))).toEqual([]);
    expect(arr(permutation(key(0), 1))).toEqual([0]);
    for (const n of [-1, 2.5, 2 ** 31, NaN]) expectError(() => permutation(key(0), n), ValueError, 'permutation', /n must be/);
  });
});

describe('randint', () => {
  it('stays in [min, max) with a uniform mean', () => {
    const n = 100_000;
    const x = randint(key(6), [n], -5, 7).data;
    const counts = new Array<number>(12).fill(0);
    let inRange = true;
    for (let i = 0; i < n; i++) {
      if (!(x[i]! >= -5 && x[i]! < 7)) inRange = false;
      else counts[x[i]! + 5]!++;
    }
    expect(inRange).toBe(true);
    // Chi-square with 11 degrees of freedom; 31.3 is its 0.999 quantile.
    const chi2 = counts.reduce((s, c) => s + (c - n / 12) ** 2 / (n / 12), 0);
    expect(chi2).toBeLessThan(31.3);
  });

  it('covers the full int32 range and large spans', () => {
    const full = randint(key(9), [10_000], -(2 ** 31), 2 ** 31).data;
    let neg = 0;
    for (const v of full) if (v < 0) neg++;
    expect(Math.abs(neg / 10_000 - 0.5)).toBeLessThan(0.03);
    const big = randint(key(9), [10_000], 0, 3_000_000_000 - 2 ** 31).data;
    expect(Array.from(big).every((v) => v >= 0 && v < 3_000_000_000 - 2 ** 31)).toBe(true);
  });

  it('rejects bad bounds', () => {
    expectError(() => randint(key(0), [2], 3, 3), ValueError, 'randint', /min \(3\) must be < max \(3\)/);
    expectError(() => randint(key(0), [2], 0.5, 3), ValueError, 'randint', /min/);
    expectError(() => randint(key(0), [2], 0, 2 ** 31 + 1), ValueError, 'randint', /max/);
    expectError(() => randint(key(0), [2], -(2 ** 31) - 1, 0), ValueError, 'randint', /min/);
    expectError(() => randint(key(0), [-2], 0, 3), ShapeError, 'randint');
  });
});
