/**
 * Activations. The ones that are primitives live in core and are re-exported here unchanged
 * (`relu leakyRelu sigmoid tanh softplus softmax logSoftmax`); `elu` and `gelu` are composed
 * from core ops here, so their gradients (and gradients of gradients) come from core's rules.
 */
import {
  ValueError,
  add,
  erfc,
  exp,
  greaterEqual,
  less,
  mul,
  square,
  sub,
  tanh,
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

/**
 * Gaussian error linear unit (Hendrycks & Gimpel 2016), elementwise; same shape and dtype as x.
 *
 * - exact (default): x·Φ(x), Φ(x) = ½·erfc(−x/√2) with core's `erfc` (float64 accuracy, also
 *   deep in the left tail, where 1 + erf would cancel); differentiable to any order and traceable.
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
  // Φ(x) = ½·erfc(−x/√2): erfc keeps full relative precision in the left tail, where 1 + erf
  // would cancel.
  return mul(x, mul(erfc(mul(x, -Math.SQRT1_2)), 0.5));
}

