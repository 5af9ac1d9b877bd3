/** Elementwise primitives: each op's kernel and backward rule side by side. */
import { definePrimitive, bind, type Primitive, type VjpRule } from '../dispatch.js';
import { allocate } from '../dtype.js';
import { ValueError } from '../errors.js';
import { Bin, Un, leakyReluGradKernel, mapBinary, mapUnary, select } from '../kernels.js';
import { broadcastShapes } from '../shape.js';
import { erf as erfScalar, erfc as erfcScalar } from '../special.js';
import type { Tensor } from '../tensor.js';
import { asTensor, checkDType, checkTensor, coerceOperands, type DTypeClass, type TensorLike } from './util.js';

// ---------------------------------------------------------------- unary

function unaryPrim(
  name: string,
  cls: DTypeClass,
  code: Un,
  f: (v: number) => number,
  vjp?: (g: Tensor, x: Tensor, y: Tensor) => Tensor,
): Primitive<null> {
  return definePrimitive<null>({
    name,
    abstractEval: ([x]) => {
      checkDType(name, x!.dtype, cls);
      return { shape: x!.shape, dtype: x!.dtype };
    },
    impl: ([x], _a, out) => mapUnary(x!.values(name), out.dtype, code, f),
    ...(vjp ? { vjp: ((g, [x], y) => [vjp(g, x!, y)]) as VjpRule<null> } : {}),
  });
}

const negP = unaryPrim('neg', 'numeric', Un.Neg, (v) => -v, (g) => neg(g));
const expP = unaryPrim('exp', 'float', Un.Exp, Math.exp, (g, _x, y) => mul(g, y));
const logP = unaryPrim('log', 'float', Un.Log, Math.log, (g, x) => div(g, x));
const sqrtP = unaryPrim('sqrt', 'float', Un.Sqrt, Math.sqrt, (g, _x, y) => div(g, mul(y, 2)));
const signP = unaryPrim('sign', 'numeric', Un.Other, (v) => (v > 0 ? 1 : v < 0 ? -1 : v));
const absP = unaryPrim('abs', 'numeric', Un.Abs, Math.abs, (g, x) => mul(g, sign(x)));
const sinP = unaryPrim('sin', 'float', Un.Other, Math.sin, (g, x) => mul(g, cos(x)));
const cosP = unaryPrim('cos', 'float', Un.Other, Math.cos, (g, x) => neg(mul(g, sin(x))));
const tanhP = unaryPrim('tanh', 'float', Un.Tanh, Math.tanh, (g, _x, y) => mul(g, sub(1, square(y))));
const sigmoidP = unaryPrim('sigmoid', 'float', Un.Sigmoid,
  (v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))),
  (g, _x, y) => mul(g, mul(y, sub(1, y))),
);
const softplusP = unaryPrim('softplus', 'float', Un.Other,
  (v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))),
  (g, x) => mul(g, sigmoid(x)),
);
// d/dx erf(x) = 2/√π · e^(−x²); erfc = 1 − erf.
const erfSlope = (x: Tensor): Tensor => mul(exp(neg(square(x))), 2 / Math.sqrt(Math.PI));
const erfP = unaryPrim('erf', 'float', Un.Other, erfScalar, (g, x) => mul(g, erfSlope(x)));
const erfcP = unaryPrim('erfc', 'float', Un.Other, erfcScalar, (g, x) => neg(mul(g, erfSlope(x))));
const reluP = unaryPrim('relu', 'numeric', Un.Relu, (v) => (v > 0 ? v : v !== v ? v : 0), (g, x) => bind(leakyReluGradP, [x, g], { slope: 0, strict: true }));
const squareP = unaryPrim('square', 'numeric', Un.Square, (v) => v * v, (g, x) => mul(g, mul(x, 2)));

const leakyReluP = definePrimitive<{ slope: number }>({
  name: 'leakyRelu',
  abstractEval: ([x]) => {
    checkDType('leakyRelu', x!.dtype, 'float');
    return { shape: x!.shape, dtype: x!.dtype };
  },
  impl: ([x], { slope }, out) => mapUnary(x!.values('leakyRelu'), out.dtype, Un.LeakyRelu, (v) => (v >= 0 ? v : v * slope), slope),
  vjp: (g, [x], _y, { slope }) => [bind(leakyReluGradP, [x!, g], { slope, strict: false })],
});

// The backward of relu and leakyRelu in one pass: g where x ≥ 0 (x > 0 when strict), g·slope
// elsewhere. Linear in g and flat in x, so its own backward is itself.
const leakyReluGradP: Primitive<{ slope: number; strict: boolean }> = definePrimitive<{ slope: number; strict: boolean }>({
  name: 'leakyReluGrad',
  abstractEval: ([x, g]) => ({ shape: broadcastShapes('leakyReluGrad', x!.shape, g!.shape), dtype: g!.dtype }),
  impl: ([x, g], { slope, strict }, out) => {
    const xs = x!.values('leakyReluGrad');
    const gs = g!.values('leakyReluGrad');
    if (xs.length !== gs.length) {
      const f = strict ? (gv: number, xv: number) => (xv > 0 ? gv : gv * slope) : (gv: number, xv: number) => (xv >= 0 ? gv : gv * slope);
      return mapBinary(gs, g!.shape, xs, x!.shape, out.shape, out.dtype, Bin.Other, f);
    }
    return leakyReluGradKernel(xs, gs, allocate(out.dtype, gs.length), slope, strict);
  },
  vjp: (gg, [x], _y, attrs, needs) => [null, needs[1] ? bind(leakyReluGradP, [x!, gg], attrs) : null],
});

/** −x, elementwise. Any numeric dtype; same shape. */
export const neg = (x: TensorLike): Tensor => bind(negP, [asTensor('neg', x)], null);
/** eˣ, elementwise. Float dtypes; same shape. @throws DTypeError for int or bool input. */
export const exp = (x: TensorLike): Tensor => bind(expP, [asTensor('exp', x)], null);
/** Natural logarithm, elementwise (−inf at 0, NaN below). Float dtypes. @throws DTypeError otherwise. */
export const log = (x: TensorLike): Tensor => bind(logP, [asTensor('log', x)], null);
/** Square root, elementwise (NaN below 0). Float dtypes. @throws DTypeError otherwise. */
export const sqrt = (x: TensorLike): Tensor => bind(sqrtP, [asTensor('sqrt', x)], null);
/** −1, 0 or 1 by sign (NaN stays NaN). Numeric dtypes. Not differentiable (zero gradient). */
export const sign = (x: TensorLike): Tensor => bind(signP, [asTensor('sign', x)], null);
/** |x|, elementwise; the gradient at 0 is 0. Numeric dtypes. */
export const abs = (x: TensorLike): Tensor => bind(absP, [asTensor('abs', x)], null);
/** sin(x), elementwise. Float dtypes. */
export const sin = (x: TensorLike): Tensor => bind(sinP, [asTensor('sin', x)], null);
/** cos(x), elementwise. Float dtypes. */
export const cos = (x: TensorLike): Tensor => bind(cosP, [asTensor('cos', x)], null);
/** tanh(x), elementwise. Float dtypes. */
export const tanh = (x: TensorLike): Tensor => bind(tanhP, [asTensor('tanh', x)], null);
/** 1 / (1 + e⁻ˣ), elementwise, computed without overflow. Float dtypes. */
export const sigmoid = (x: TensorLike): Tensor => bind(sigmoidP, [asTensor('sigmoid', x)], null);
/** log(1 + eˣ), elementwise, computed without overflow. Float dtypes. */
export const softplus = (x: TensorLike): Tensor => bind(softplusP, [asTensor('softplus', x)], null);
/** The error function, elementwise, accurate to a few float64 ulp. Float dtypes. @throws DTypeError otherwise. */
export const erf = (x: TensorLike): Tensor => bind(erfP, [asTensor('erf', x)], null);
/**
 * 1 − erf(x), elementwise, accurate relative to its own size in the right tail (where 1 − erf
 * would cancel). Float dtypes. @throws DTypeError otherwise.
 */
export const erfc = (x: TensorLike): Tensor => bind(erfcP, [asTensor('erfc', x)], null);
/** max(x, 0), elementwise; the gradient at 0 is 0. Numeric dtypes. */
export const relu = (x: TensorLike): Tensor => bind(reluP, [asTensor('relu', x)], null);
/** x², elementwise. Numeric dtypes. */
export const square = (x: TensorLike): Tensor => bind(squareP, [asTensor('square', x)], null);

/**
 * x for x ≥ 0, slope·x below, elementwise (Chainer's F.leaky_relu; default slope 0.2).
 * @throws DTypeError for non-float input; ValueError for a non-finite slope.
 */
export function leakyRelu(x: TensorLike, slope = 0.2): Tensor {
  if (!Number.isFinite(slope)) throw new ValueError('leakyRelu', `slope must be a finite number, got ${slope}`);
  return bind(leakyReluP, [asTensor('leakyRelu', x)], { slope });
}

// ---------------------------------------------------------------- binary

function binaryPrim(
  name: string,
  cls: DTypeClass,
  code: Bin,
  f: (a: number, b: number) => number,
  vjp?: VjpRule<null>,
  bool = false,
): Primitive<null> {
  return definePrimitive<null>({
    name,
    abstractEval: ([a, b]) => {
      checkDType(name, a!.dtype, cls);
      return { shape: broadcastShapes(name, a!.shape, b!.shape), dtype: bool ? 'bool' : a!.dtype };
    },
    impl: ([a, b], _x, out) => mapBinary(a!.values(name), a!.shape, b!.values(name), b!.shape, out.shape, out.dtype, code, f),
    ...(vjp ? { vjp } : {}),
  });
}

const addP = binaryPrim('add', 'numeric', Bin.Add, (a, b) => a + b, (g) => [g, g]);
const subP = binaryPrim('sub', 'numeric', Bin.Sub, (a, b) => a - b, (g, _x, _y, _a, needs) => [g, needs[1] ? neg(g) : null]);
const mulP = binaryPrim('mul', 'numeric', Bin.Mul, (a, b) => a * b, (g, [a, b], _y, _x, needs) => [
  needs[0] ? mul(g, b!) : null,
  needs[1] ? mul(g, a!) : null,
]);
const divP = binaryPrim('div', 'float', Bin.Div, (a, b) => a / b, (g, [, b], y, _a, needs) => [
  needs[0] ? div(g, b!) : null,
  needs[1] ? neg(mul(g, div(y, b!))) : null,
]);
const powP = binaryPrim('pow', 'float', Bin.Other, Math.pow, (g, [a, b], y, _x, needs) => [
  needs[0] ? mul(g, mul(b!, pow(a!, sub(b!, 1)))) : null,
  // d/db aᵇ = aᵇ log a; at a = 0 use log 1 = 0, as JAX does, instead of 0·(−inf) = NaN.
  needs[1] ? mul(g, mul(y, log(where(equal(a!, 0), 1, a!)))) : null,
]);
// Ties split the gradient evenly between the two inputs (as PyTorch does).
const maximumP = binaryPrim('maximum', 'numeric', Bin.Other, (a, b) => (a > b || a !== a ? a : b), (g, [a, b]) => {
  const half = mul(g, 0.5);
  return [where(greater(a!, b!), g, where(equal(a!, b!), half, 0)), where(less(a!, b!), g, where(equal(a!, b!), half, 0))];
});
const minimumP = binaryPrim('minimum', 'numeric', Bin.Other, (a, b) => (a < b || a !== a ? a : b), (g, [a, b]) => {
  const half = mul(g, 0.5);
  return [where(less(a!, b!), g, where(equal(a!, b!), half, 0)), where(greater(a!, b!), g, where(equal(a!, b!), half, 0))];
});
const greaterP = binaryPrim('greater', 'numeric', Bin.Other, (a, b) => (a > b ? 1 : 0), undefined, true);
const greaterEqualP = binaryPrim('greaterEqual', 'numeric', Bin.Other, (a, b) => (a >= b ? 1 : 0), undefined, true);
const lessP = binaryPrim('less', 'numeric', Bin.Other, (a, b) => (a < b ? 1 : 0), undefined, true);
const lessEqualP = binaryPrim('lessEqual', 'numeric', Bin.Other, (a, b) => (a <= b ? 1 : 0), undefined, true);
const equalP = binaryPrim('equal', 'any', Bin.Other, (a, b) => (a === b ? 1 : 0), undefined, true);
const notEqualP = binaryPrim('notEqual', 'any', Bin.Other, (a, b) => (a !== b ? 1 : 0), undefined, true);

const bin = (p: Primitive<null>, a: TensorLike, b: TensorLike): Tensor => bind(p, coerceOperands(p.name, a, b), null);

/** a + b with NumPy broadcasting. Numeric dtypes, equal on both sides (numbers adapt). @throws ShapeError, DTypeError. */
export const add = (a: TensorLike, b: TensorLike): Tensor => bin(addP, a, b);
/** a − b with broadcasting. @throws ShapeError, DTypeError. */
export const sub = (a: TensorLike, b: TensorLike): Tensor => bin(subP, a, b);
/** a · b elementwise with broadcasting. @throws ShapeError, DTypeError. */
export const mul = (a: TensorLike, b: TensorLike): Tensor => bin(mulP, a, b);
/** a / b elementwise with broadcasting. Float dtypes. @throws ShapeError, DTypeError. */
export const div = (a: TensorLike, b: TensorLike): Tensor => bin(divP, a, b);
/** aᵇ elementwise with broadcasting. Float dtypes. @throws ShapeError, DTypeError. */
export const pow = (a: TensorLike, b: TensorLike): Tensor => bin(powP, a, b);
/** Elementwise maximum with broadcasting; NaN wins. @throws ShapeError, DTypeError. */
export const maximum = (a: TensorLike, b: TensorLike): Tensor => bin(maximumP, a, b);
/** Elementwise minimum with broadcasting; NaN wins. @throws ShapeError, DTypeError. */
export const minimum = (a: TensorLike, b: TensorLike): Tensor => bin(minimumP, a, b);
/** a > b as a bool tensor (no gradient). @throws ShapeError, DTypeError. */
export const greater = (a: TensorLike, b: TensorLike): Tensor => bin(greaterP, a, b);
/** a ≥ b as a bool tensor (no gradient). @throws ShapeError, DTypeError. */
export const greaterEqual = (a: TensorLike, b: TensorLike): Tensor => bin(greaterEqualP, a, b);
/** a < b as a bool tensor (no gradient). @throws ShapeError, DTypeError. */
export const less = (a: TensorLike, b: TensorLike): Tensor => bin(lessP, a, b);
/** a ≤ b as a bool tensor (no gradient). @throws ShapeError, DTypeError. */
export const lessEqual = (a: TensorLike, b: TensorLike): Tensor => bin(lessEqualP, a, b);
/** a == b as a bool tensor (no gradient); any dtype. @throws ShapeError, DTypeError. */
export const equal = (a: TensorLike, b: TensorLike): Tensor => bin(equalP, a, b);
/** a != b as a bool tensor (no gradient); any dtype. @throws ShapeError, DTypeError. */
export const notEqual = (a: TensorLike, b: TensorLike): Tensor => bin(notEqualP, a, b);

// ---------------------------------------------------------------- where

const whereP = definePrimitive<null>({
  name: 'where',
  abstractEval: ([c, a, b]) => ({ shape: broadcastShapes('where', c!.shape, a!.shape, b!.shape), dtype: a!.dtype }),
  impl: ([c, a, b], _x, out) =>
    select(c!.values('where'), c!.shape, a!.values('where'), a!.shape, b!.values('where'), b!.shape, out.shape, out.dtype),
  vjp: (g, [c], _y, _a, needs) => [null, needs[1] ? where(c!, g, 0) : null, needs[2] ? where(c!, 0, g) : null],
});

/**
 * Picks `a` where `cond` is non-zero, `b` elsewhere; all three broadcast together. `a` and `b`
 * share a dtype (numbers adapt); gradients flow to `a` and `b`, not to `cond`.
 * @throws ShapeError when the shapes cannot broadcast; DTypeError when a and b differ.
 */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  checkTensor('where', cond, 'cond');
  const [ta, tb] = coerceOperands('where', a, b);
  return bind(whereP, [cond, ta, tb], null);
}

/** Clamps x to [lo, hi] (either bound may be omitted); gradient 1 inside, 0 outside. */
export function clip(x: Tensor, lo?: TensorLike, hi?: TensorLike): Tensor {
  checkTensor('clip', x);
  // Bounds must fit x's dtype; checked here so that errors name clip, not maximum/minimum.
  if (lo !== undefined) coerceOperands('clip', x, lo);
  if (hi !== undefined) coerceOperands('clip', x, hi);
  let y = x;
  if (lo !== undefined) y = maximum(y, lo);
  if (hi !== undefined) y = minimum(y, hi);
  return y;
}
