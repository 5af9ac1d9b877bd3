/**
 * Weight initializers, key-driven like everything random in Fluxion: each one is a pure function
 * `(key, shape, { dtype, scale }) => Tensor`, so the same key always gives the same weights and
 * there is no global generator.
 *
 * Formulas, names and defaults follow Chainer's `chainer.initializers` (LeCunNormal, GlorotUniform,
 * HeNormal, Orthogonal, ...), because Fluxion's layers keep Chainer's weight layout (`Linear`'s W is
 * [out, in]). Where Chainer and JAX's `jax.nn.initializers` differ, Chainer wins:
 *
 * - the *normal* variants draw from a plain normal with std = scale·sqrt(k / fan), not from a
 *   truncated normal rescaled by 1/0.8796 as JAX's `variance_scaling` does;
 * - fans are computed from [out, in, ...receptive] shapes (Chainer's `get_fans`), whereas JAX
 *   reads kernels as [..., in, out];
 * - `orthogonal` has Chainer's default scale 1.1 (JAX: 1.0).
 *
 * The numbers themselves come from Fluxion's Threefry keys, so they are not numpy's: only the
 * distributions match Chainer.
 */
import { ShapeError, ValueError, full, random, tensor, type Key, type Tensor } from '@fluxion/core';
import { floatDType, fmt, type FloatDType } from './util.js';

/** Options every initializer takes. */
export interface InitializerOptions {
  /** dtype of the result (default `'float32'`). */
  readonly dtype?: FloatDType;
  /**
   * Multiplies the spread: the std of the normal variants, the bound of the uniform ones, the
   * value of `orthogonal`'s singular values. Default 1 (1.1 for `orthogonal`, 0.05 for `normal`
   * and `uniform`, as in Chainer). Not used by `zeros` and `constant`.
   */
  readonly scale?: number;
}

/**
 * An initializer: a tensor of `shape` drawn with `key`. Deterministic: same key, same result.
 * Built-ins throw ShapeError for a bad shape (or, for the fan-based ones, fewer than 2 axes),
 * DTypeError for a non-float dtype and ValueError for a bad key or scale.
 */
export type Initializer = (key: Key, shape: readonly number[], options?: InitializerOptions) => Tensor;

/** Fan-in and fan-out of a weight shape. */
export interface Fans {
  readonly fanIn: number;
  readonly fanOut: number;
}

function checkShapeArg(op: string, shape: unknown): asserts shape is readonly number[] {
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) {
    throw new ShapeError(op, `shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
}

function checkScale(op: string, scale: unknown, dflt: number): number {
  if (scale === undefined) return dflt;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale < 0) {
    throw new ValueError(op, `scale must be a finite number >= 0, got ${String(scale)}`);
  }
  return scale;
}

/**
 * Chainer's `get_fans`: for a weight of shape [out, in, ...receptive], fanIn = in·r and
 * fanOut = out·r with r the product of the receptive dims (1 for a [out, in] matrix).
 *
 * @example fans([16, 1])           // { fanIn: 1, fanOut: 16 }   (Linear(1, 16).W)
 * @example fans([8, 3, 5, 5])      // { fanIn: 75, fanOut: 200 } (a 5×5 convolution)
 * @throws ShapeError for a shape with fewer than 2 axes.
 */
export function fans(shape: readonly number[]): Fans {
  return fansFor('fans', shape);
}

/** {@link fans}, with errors naming `op` (the initializer that asked). */
function fansFor(op: string, shape: readonly number[]): Fans {
  checkShapeArg(op, shape);
  if (shape.length < 2) {
    throw new ShapeError(op, `needs a weight shape with at least 2 axes ([out, in, ...receptive]) to compute fans, got ${fmt(shape)}`);
  }
  let r = 1;
  for (let i = 2; i < shape.length; i++) r *= shape[i]!;
  return { fanIn: shape[1]! * r, fanOut: shape[0]! * r };
}

function normalWith(op: string, key: Key, shape: readonly number[], dtype: FloatDType, std: number): Tensor {
  if (!Number.isFinite(std)) throw new ValueError(op, `the std ${std} is not finite (is a fan 0?) for shape ${fmt(shape)}`);
  return random.normal(key, shape, { std, dtype });
}

function uniformWith(op: string, key: Key, shape: readonly number[], dtype: FloatDType, bound: number): Tensor {
  if (!Number.isFinite(bound)) throw new ValueError(op, `the bound ${bound} is not finite (is a fan 0?) for shape ${fmt(shape)}`);
  if (bound === 0) return full(shape, 0, dtype);
  return random.uniform(key, shape, { min: -bound, max: bound, dtype });
}

/** Builds a fan-based initializer: `k` picks the normal std or the uniform bound from the fans. */
function fanBased(op: string, kind: 'normal' | 'uniform', spread: (f: Fans) => number): Initializer {
  const init: Initializer = (key, shape, options = {}) => {
    const dtype = floatDType(op, options.dtype);
    const scale = checkScale(op, options.scale, 1);
    const s = scale * spread(fansFor(op, shape));
    return kind === 'normal' ? normalWith(op, key, shape, dtype, s) : uniformWith(op, key, shape, dtype, s);
  };
  return init;
}

/**
 * Chainer's `Normal`: N(0, scale²) with Chainer's default scale 0.05 (`EmbedID` uses scale 1).
 * Any shape.
 */
export const normal: Initializer = (key, shape, options = {}) => {
  checkShapeArg('normal', shape);
  const dtype = floatDType('normal', options.dtype);
  return normalWith('normal', key, shape, dtype, checkScale('normal', options.scale, 0.05));
};

/** Chainer's `Uniform`: U[−scale, scale) with Chainer's default scale 0.05. Any shape. */
export const uniform: Initializer = (key, shape, options = {}) => {
  checkShapeArg('uniform', shape);
  const dtype = floatDType('uniform', options.dtype);
  return uniformWith('uniform', key, shape, dtype, checkScale('uniform', options.scale, 0.05));
};

/**
 * LeCun normal (Chainer's `LeCunNormal`, the default for `linear`'s W): N(0, s²) with
 * s = scale·sqrt(1 / fanIn). A plain normal, not JAX's truncated one.
 * @example initializers.lecunNormal(random.key(0), [16, 1])   // std 1: fanIn = 1
 */
export const lecunNormal: Initializer = fanBased('lecunNormal', 'normal', (f) => Math.sqrt(1 / f.fanIn));

/** LeCun uniform (Chainer's `LeCunUniform`): U[−s, s) with s = scale·sqrt(3 / fanIn), variance 1/fanIn. */
export const lecunUniform: Initializer = fanBased('lecunUniform', 'uniform', (f) => Math.sqrt(3 / f.fanIn));

/** Glorot (Xavier) normal (Chainer's `GlorotNormal`): N(0, s²) with s = scale·sqrt(2 / (fanIn + fanOut)). */
export const glorotNormal: Initializer = fanBased('glorotNormal', 'normal', (f) => Math.sqrt(2 / (f.fanIn + f.fanOut)));

/** Glorot (Xavier) uniform (Chainer's `GlorotUniform`): U[−s, s) with s = scale·sqrt(6 / (fanIn + fanOut)). */
export const glorotUniform: Initializer = fanBased('glorotUniform', 'uniform', (f) => Math.sqrt(6 / (f.fanIn + f.fanOut)));

/** He (Kaiming) normal (Chainer's `HeNormal`, fan_option 'fan_in'): N(0, s²) with s = scale·sqrt(2 / fanIn). */
export const heNormal: Initializer = fanBased('heNormal', 'normal', (f) => Math.sqrt(2 / f.fanIn));

/** He (Kaiming) uniform (Chainer's `HeUniform`): U[−s, s) with s = scale·sqrt(6 / fanIn). */
export const heUniform: Initializer = fanBased('heUniform', 'uniform', (f) => Math.sqrt(6 / f.fanIn));

/**
 * An initializer that fills every element with `value` (Chainer's `Constant`); the key is
 * ignored. `linear.init(..., { initialW: 0 })` is shorthand for `initialW: constant(0)`.
 * @throws ValueError when `value` is not a finite number.
 */
export function constant(value: number): Initializer {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValueError('constant', `value must be a finite number, got ${String(value)}`);
  }
  return (_key, shape, options = {}) => {
    checkShapeArg('constant', shape);
    const dtype = floatDType('constant', options.dtype);
    return full(shape, value, dtype);
  };
}

/** All zeros (Chainer's `Zero`, the default for biases); the key is ignored. */
export const zeros: Initializer = (key, shape, options = {}) => constant(0)(key, shape, options);

/**
 * A (semi-)orthogonal matrix times `scale` (Chainer's `Orthogonal`, default scale 1.1; Saxe et al.
 * 2014). The shape is read as [out, in] with in = product of the trailing axes. A standard normal
 * [out, in] matrix (drawn in float64) is QR-decomposed, transposed first when in > out, with R's
 * diagonal made non-negative so the result is Haar-distributed. The result has orthonormal
 * rows (W Wᵀ = scale²·I) when out ≤ in and orthonormal columns (Wᵀ W = scale²·I) when out ≥ in.
 * A 0-d shape gives ±scale; a 1-D shape [n] a random unit vector times scale.
 * @throws ShapeError for a bad shape; ValueError for an empty shape (no elements) or a bad scale.
 */
export const orthogonal: Initializer = (key, shape, options = {}) => {
  const op = 'orthogonal';
  checkShapeArg(op, shape);
  const dtype = floatDType(op, options.dtype);
  const scale = checkScale(op, options.scale, 1.1);
  if (shape.length === 0) {
    const sign = random.bernoulli(key, 0.5).item() ? 1 : -1;
    return constant(sign * scale)(key, [], { dtype });
  }
  let size = 1;
  for (const d of shape) size *= d;
  if (size === 0) throw new ValueError(op, `the shape must have elements, got ${fmt(shape)}`);
  const out = shape[0]!;
  const inn = size / out;
  const transpose = inn > out;
  // Work on a tall m × n matrix (m ≥ n), stored column by column.
  const m = transpose ? inn : out;
  const n = transpose ? out : inn;
  const a = random.normal(key, [out, inn], { dtype: 'float64' }).data;
  const cols: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const c = new Float64Array(m);
    for (let i = 0; i < m; i++) c[i] = transpose ? a[j * inn + i]! : a[i * inn + j]!;
    cols.push(c);
  }
  gramSchmidt(cols, m);
  const w = dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
  for (let j = 0; j < n; j++) {
    const c = cols[j]!;
    for (let i = 0; i < m; i++) {
      // Q is m × n; the weight is Q (out × in) or Qᵀ when transposed.
      if (transpose) w[j * inn + i] = scale * c[i]!;
      else w[i * inn + j] = scale * c[i]!;
    }
  }
  return tensor(w, { dtype, shape });
};

/**
 * Orthonormalises the columns in place by classical Gram–Schmidt run twice per column ("twice is
 * enough"), which is as accurate as Householder QR for full-rank input. The norms it divides by
 * are R's (positive) diagonal, so Q is the QR factor with diag(R) ≥ 0.
 */
function gramSchmidt(cols: Float64Array[], m: number): void {
  for (let j = 0; j < cols.length; j++) {
    const v = cols[j]!;
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        const q = cols[k]!;
        let d = 0;
        for (let i = 0; i < m; i++) d += q[i]! * v[i]!;
        for (let i = 0; i < m; i++) v[i] = v[i]! - d * q[i]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += v[i]! * v[i]!;
    norm = Math.sqrt(norm);
    for (let i = 0; i < m; i++) v[i] = v[i]! / norm;
  }
}
