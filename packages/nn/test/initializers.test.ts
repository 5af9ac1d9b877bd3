/**
 * Initializers: sample statistics against Chainer's formulas (bounds from the standard error),
 * determinism in the key, orthogonality, fans and errors.
 */
import { describe, expect, it } from 'vitest';
import { DTypeError, ShapeError, ValueError, matmul, random, reshape, transpose, eye, type Tensor } from '@fluxion/core';
import { initializers, type Initializer } from '@fluxion/nn';

const { fans } = initializers;

interface Stats {
  readonly n: number;
  readonly mean: number;
  readonly variance: number;
  readonly maxAbs: number;
  /** Fraction of |w − mean| > 2σ. */
  readonly beyond2: number;
}

function stats(t: Tensor): Stats {
  const d = t.data;
  const n = d.length;
  let s = 0;
  let maxAbs = 0;
  for (let i = 0; i < n; i++) {
    s += d[i]!;
    maxAbs = Math.max(maxAbs, Math.abs(d[i]!));
  }
  const mean = s / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (d[i]! - mean) ** 2;
  const variance = ss / (n - 1);
  const sd = Math.sqrt(variance);
  let beyond = 0;
  for (let i = 0; i < n; i++) if (Math.abs(d[i]! - mean) > 2 * sd) beyond++;
  return { n, mean, variance, maxAbs, beyond2: beyond / n };
}

/** How many standard errors a statistic may stray (the keys are fixed, so this never flakes). */
const Z = 5;

/**
 * Checks mean and variance against N(0, σ²) or U[−s, s) with σ² = s²/3. The standard error of the
 * mean is σ/√n; of the sample variance sqrt((μ₄ − σ⁴)/n), with μ₄ = 3σ⁴ (normal) or 9σ⁴/5 (uniform).
 */
function expectDistribution(t: Tensor, kind: 'normal' | 'uniform', variance: number): void {
  const st = stats(t);
  const mu4 = kind === 'normal' ? 3 * variance ** 2 : (9 / 5) * variance ** 2;
  expect(Math.abs(st.mean)).toBeLessThan(Z * Math.sqrt(variance / st.n));
  expect(Math.abs(st.variance - variance)).toBeLessThan(Z * Math.sqrt((mu4 - variance ** 2) / st.n));
  if (kind === 'uniform') {
    expect(st.maxAbs).toBeLessThanOrEqual(Math.sqrt(3 * variance) * (1 + 1e-6));
  } else {
    // A plain normal (not truncated at 2σ as JAX's variance_scaling): about 4.55% beyond 2σ.
    const p = 0.0455;
    expect(Math.abs(st.beyond2 - p)).toBeLessThan(Z * Math.sqrt((p * (1 - p)) / st.n));
  }
}

describe('fan-based initializers follow Chainer formulas', () => {
  const big = [1000, 500]; // fanIn 500, fanOut 1000
  const k = random.key(42);

  const cases: [string, Initializer, 'normal' | 'uniform', (fi: number, fo: number) => number][] = [
    ['lecunNormal', initializers.lecunNormal, 'normal', (fi) => 1 / fi],
    ['lecunUniform', initializers.lecunUniform, 'uniform', (fi) => 1 / fi],
    ['glorotNormal', initializers.glorotNormal, 'normal', (fi, fo) => 2 / (fi + fo)],
    ['glorotUniform', initializers.glorotUniform, 'uniform', (fi, fo) => 2 / (fi + fo)],
    ['heNormal', initializers.heNormal, 'normal', (fi) => 2 / fi],
    ['heUniform', initializers.heUniform, 'uniform', (fi) => 2 / fi],
  ];

  it('lecunNormal on a [1000, 500] matrix has mean 0 and variance 1/fanIn = 1/500', () => {
    const w = initializers.lecunNormal(k, big);
    expect(w.shape).toEqual(big);
    expect(w.dtype).toBe('float32');
    expectDistribution(w, 'normal', 1 / 500);
  });

  it.each(cases)('%s: variance from the fans, scale multiplies the std or bound', (_name, init, kind, variance) => {
    const w = init(k, [400, 250], { dtype: 'float64' });
    expect(w.dtype).toBe('float64');
    expectDistribution(w, kind, variance(250, 400));
    const scaled = init(k, [400, 250], { dtype: 'float64', scale: 0.5 });
    expectDistribution(scaled, kind, 0.25 * variance(250, 400));
  });

  it.each(cases)('%s: conv-style shapes [out, in, kh, kw] count the receptive field', (_name, init, kind, variance) => {
    // fanIn = 20·3·3 = 180, fanOut = 30·3·3 = 270.
    expectDistribution(init(k, [30, 20, 3, 3], { dtype: 'float64' }), kind, variance(180, 270));
  });

  it.each(cases)('%s: same key, same weights; other key, other weights', (_name, init) => {
    const a = init(random.key(1), [8, 6]);
    expect(init(random.key(1), [8, 6])).toBeAllclose(a, { rtol: 0, atol: 0 });
    expect(init(random.key(2), [8, 6])).not.toBeAllclose(a, { rtol: 0, atol: 0.01 });
  });

  it.each(cases)('%s: needs at least 2 axes and a valid scale', (name, init) => {
    expect(() => init(k, [5])).toThrow(ShapeError);
    expect(() => init(k, [5])).toThrow(new RegExp(`^${name}: .*at least 2 axes`));
    expect(() => init(k, [5, 5], { scale: -1 })).toThrow(ValueError);
    // @ts-expect-error int32 weights are not allowed
    expect(() => init(k, [5, 5], { dtype: 'int32' })).toThrow(DTypeError);
  });
});

describe('fans', () => {
  it('are Chainer get_fans: [out, in, ...receptive]', () => {
    expect(fans([16, 1])).toEqual({ fanIn: 1, fanOut: 16 });
    expect(fans([8, 3, 5, 5])).toEqual({ fanIn: 75, fanOut: 200 });
    expect(() => fans([3])).toThrow(ShapeError);
  });
});

describe('normal, uniform, zeros, constant', () => {
  it('normal and uniform default to Chainer scale 0.05', () => {
    expectDistribution(initializers.normal(random.key(3), [200, 200], { dtype: 'float64' }), 'normal', 0.05 ** 2);
    expectDistribution(initializers.uniform(random.key(3), [200, 200], { dtype: 'float64' }), 'uniform', 0.05 ** 2 / 3);
    expectDistribution(initializers.normal(random.key(3), [40000], { scale: 2, dtype: 'float64' }), 'normal', 4);
  });

  it('zeros and constant ignore the key and take any shape', () => {
    expect(initializers.zeros(random.key(0), [2, 2])).toBeAllclose([[0, 0], [0, 0]], { rtol: 0, atol: 0 });
    expect(initializers.constant(1.5)(random.key(9), [3], { dtype: 'float64' })).toBeAllclose([1.5, 1.5, 1.5]);
    expect(initializers.constant(1.5)(random.key(9), []).shape).toEqual([]);
    expect(() => initializers.constant(NaN)).toThrow(ValueError);
  });
});

describe('orthogonal', () => {
  const gram = (w: Tensor, rows: boolean): Tensor => (rows ? matmul(w, transpose(w)) : matmul(transpose(w), w));

  it('tall: WᵀW = I (scale 1)', () => {
    const w = initializers.orthogonal(random.key(0), [64, 32], { dtype: 'float64', scale: 1 });
    expect(gram(w, false)).toBeAllclose(eye(32, 32, 'float64'), { atol: 1e-12 });
  });

  it('square and wide: W Wᵀ = I, and square also WᵀW = I', () => {
    const sq = initializers.orthogonal(random.key(1), [50, 50], { dtype: 'float64', scale: 1 });
    expect(gram(sq, true)).toBeAllclose(eye(50, 50, 'float64'), { atol: 1e-12 });
    expect(gram(sq, false)).toBeAllclose(eye(50, 50, 'float64'), { atol: 1e-12 });
    const wide = initializers.orthogonal(random.key(2), [20, 70], { dtype: 'float64', scale: 1 });
    expect(gram(wide, true)).toBeAllclose(eye(20, 20, 'float64'), { atol: 1e-12 });
  });

  it("has Chainer's default scale 1.1: WᵀW = 1.21·I, in float32 by default", () => {
    const w = initializers.orthogonal(random.key(3), [16, 8]);
    expect(w.dtype).toBe('float32');
    expect(gram(w, false)).toBeAllclose(
      [...Array(8)].map((_, i) => [...Array(8)].map((__, j) => (i === j ? 1.21 : 0))),
      { atol: 1e-5 },
    );
  });

  it('flattens trailing axes: [out, in, kh, kw] has orthonormal rows of length in·kh·kw', () => {
    const w = initializers.orthogonal(random.key(4), [8, 3, 2, 2], { dtype: 'float64', scale: 1 });
    expect(w.shape).toEqual([8, 3, 2, 2]);
    expect(gram(reshape(w, [8, 12]), true)).toBeAllclose(eye(8, 8, 'float64'), { atol: 1e-12 });
  });

  it('is deterministic in the key; 0-d gives ±scale, 1-D a unit vector; empty shapes are an error', () => {
    const a = initializers.orthogonal(random.key(5), [6, 4]);
    expect(initializers.orthogonal(random.key(5), [6, 4])).toBeAllclose(a, { rtol: 0, atol: 0 });
    expect(initializers.orthogonal(random.key(6), [6, 4])).not.toBeAllclose(a, { rtol: 0, atol: 0.01 });
    expect(Math.abs(initializers.orthogonal(random.key(0), []).item())).toBeCloseTo(1.1, 6);
    const v = initializers.orthogonal(random.key(0), [5], { dtype: 'float64', scale: 1 }).data;
    expect(Array.from(v).reduce((s, x) => s + x * x, 0)).toBeCloseTo(1, 12);
    expect(() => initializers.orthogonal(random.key(0), [0, 3])).toThrow(ValueError);
  });
});
