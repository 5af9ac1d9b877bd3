/**
 * Activations. The ones that are primitives live in core and are re-exported here unchanged
 * (`relu leakyRelu sigmoid tanh softplus softmax logSoftmax`); `elu` and `gelu` are composed
 * from core ops here, so their gradients (and gradients of gradients) come from core's rules.
 */
import {
  ValueError,
  add,
  customVjp,
  exp,
  greaterEqual,
  less,
  mul,
  square,
  sub,
  tanh,
  tensor,
  where,
  type Tensor,
} from '@fluxion/core';
import { checkFloat } from './util.js';

export { relu, leakyRelu, sigmoid, tanh, softplus, softmax, logSoftmax } from '@fluxion/core';

/** An elementwise (or any shape-preserving) activation, e.g. `leakyRelu` or `(x) => elu(x, 0.5)`. */
export type Activation = (x: Tensor) => Tensor;

/**
 * Exponential linear unit (Chainer's `F.elu`): x for x ≥ 0, alpha·(eˣ − 1) below, elementwise.
 * Same shape and dtype as x. The gradient is 1 for x ≥ 0 and alpha·eˣ below (at 0 it is 1, as in
 * Chainer). The negative branch only ever exponentiates values ≤ 0, so large x cannot overflow
 * into a NaN gradient.
 *
 * @param alpha the negative saturation value −alpha (default 1, as Chainer)
 * @throws DTypeError for non-float input; ValueError for a non-finite alpha.
 * @example elu(tensor([-1, 0, 2]))   // [-0.632, 0, 2]
 */
export function elu(x: Tensor, alpha = 1): Tensor {
  checkFloat('elu', x, 'x');
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) {
    throw new ValueError('elu', `alpha must be a finite number, got ${String(alpha)}`);
  }
  const negPart = mul(sub(exp(where(less(x, 0), x, 0)), 1), alpha);
  return where(greaterEqual(x, 0), x, negPart);
}

/** Options of {@link gelu}. */
export interface GeluOptions {
  /**
   * false (default): the exact x·Φ(x) with Φ the standard normal CDF (the paper's definition and
   * PyTorch's default). true: the tanh approximation (JAX's default). Chainer has no gelu.
   */
  readonly approximate?: boolean;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * Gaussian error linear unit (Hendrycks & Gimpel 2016), elementwise; same shape and dtype as x.
 *
 * - exact (default): x·Φ(x), Φ(x) = ½·erfc(−x/√2). Φ is evaluated in float64 to about 1e-15
 *   relative (also deep in the left tail, where 1 + erf would cancel) and differentiated by its
 *   closed-form derivative φ(x) = e^(−x²/2)/√(2π), written with core ops, so second derivatives
 *   work too. Because core has no `erf` op yet, Φ reads the values of x: this branch cannot be
 *   traced on abstract tensors.
 * - `approximate: true`: ½x(1 + tanh(√(2/π)(x + 0.044715x³))), pure core ops.
 *
 * @throws DTypeError for non-float input.
 * @example gelu(tensor([-1, 0, 1]))   // [-0.1587, 0, 0.8413]
 */
export function gelu(x: Tensor, options: GeluOptions = {}): Tensor {
  checkFloat('gelu', x, 'x');
  if (options.approximate) {
    const inner = mul(add(x, mul(mul(x, square(x)), 0.044715)), SQRT_2_OVER_PI);
    return mul(mul(x, 0.5), add(tanh(inner), 1));
  }
  return mul(x, normalCdf(x));
}

/** Φ(x) elementwise, with φ(x) as its derivative (written with core ops). */
const normalCdf = customVjp(
  (x: Tensor): Tensor => {
    const src = x.data;
    const out = x.dtype === 'float64' ? new Float64Array(src.length) : new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = 0.5 * erfc(-src[i]! / Math.SQRT2);
    return tensor(out, { dtype: x.dtype, shape: x.shape, copy: false });
  },
  (g, { inputs: [x] }) => [mul(g, mul(exp(mul(square(x), -0.5)), INV_SQRT_2PI))],
);

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** erf(x) for |x| < 1.5 by its Taylor series 2x/√π·e^(−x²)·Σ (2x²)ⁿ/(2n+1)!!, all terms positive. */
function erfSeries(x: number): number {
  const z = 2 * x * x;
  let term = 1;
  let s = 1;
  for (let n = 1; n < 200; n++) {
    term *= z / (2 * n + 1);
    s += term;
    if (term < 1e-17 * s) break;
  }
  return TWO_OVER_SQRT_PI * x * Math.exp(-x * x) * s;
}

/** erfc(x) for x ≥ 1.5 by Laplace's continued fraction (even contraction, modified Lentz). */
function erfcFraction(x: number): number {
  if (x === Infinity) return 0;
  const tiny = 1e-300;
  const z = 2 * x * x;
  let f = z + 1;
  let c = f;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = -(2 * n - 1) * (2 * n);
    const b = z + 1 + 4 * n;
    d = b + a * d;
    if (d === 0) d = tiny;
    c = b + a / c;
    if (c === 0) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return (TWO_OVER_SQRT_PI * x * Math.exp(-x * x)) / f;
}

/** erfc in float64, accurate relative to its own size for x ≥ 0 (the left tail of Φ). */
function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= 1.5) return erfcFraction(x);
  if (x > -1.5) return 1 - erfSeries(x);
  return 2 - erfcFraction(-x);
}
