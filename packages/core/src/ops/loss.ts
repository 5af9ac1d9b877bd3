/**
 * Fused loss primitives. A loss written as a chain of ops (sub, square, sum, div) costs one
 * dispatch, one allocation and one backward node per op, and on a small batch that overhead,
 * not the arithmetic, is the loss's whole cost; one kernel forward and one backward do the same
 * work (Chainer's `F.mean_squared_error` is one function node for the same reason).
 */
import { bind, definePrimitive, type Primitive } from '../dispatch.js';
import { allocate } from '../dtype.js';
import { ShapeError, fmtShape } from '../errors.js';
import { shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { mul, neg, sub } from './elementwise.js';
import { sum } from './reduce.js';
import { checkDType, checkTensor, coerceOperands } from './util.js';

function checkSamePair(op: string, x: Tensor, t: Tensor): void {
  checkDType(op, x.dtype, 'float', 'x');
  if (x.dtype !== t.dtype) coerceOperands(op, x, t); // throws the binary ops' 'dtypes differ' error
  if (!shapesEqual(x.shape, t.shape)) {
    throw new ShapeError(op, `x and t must have the same shape, got ${fmtShape(x.shape)} and ${fmtShape(t.shape)}`);
  }
}

/** mean((x − t)²) over all elements: differences, squares and the sum in float64, one rounding. */
const mseP: Primitive<null> = definePrimitive<null>({
  name: 'meanSquaredError',
  abstractEval: ([x, t]) => {
    checkSamePair('meanSquaredError', x!, t!);
    return { shape: [], dtype: x!.dtype };
  },
  impl: ([x, t], _a, out) => {
    const xs = x!.values('meanSquaredError');
    const ts = t!.values('meanSquaredError');
    const n = xs.length;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const d = xs[i]! - ts[i]!;
      s += d * d;
    }
    const r = allocate(out.dtype, 1);
    r[0] = s / n; // 0/0 = NaN for an empty input, as mean of nothing
    return r;
  },
  vjp: (g, [x, t], _y, _a, needs) => {
    const d = bind(mseGradP, [x!, t!, g], null);
    return [needs[0] ? d : null, needs[1] ? neg(d) : null];
  },
});

/** The backward of meanSquaredError: c · 2(x − t)/n for the scalar cotangent c, in one pass. */
const mseGradP: Primitive<null> = definePrimitive<null>({
  name: 'meanSquaredErrorGrad',
  abstractEval: ([x, t, c]) => {
    checkSamePair('meanSquaredErrorGrad', x!, t!);
    if (c!.ndim !== 0 || c!.dtype !== x!.dtype) {
      throw new ShapeError('meanSquaredErrorGrad', `the cotangent must be a ${x!.dtype} scalar, got ${c!.dtype}${fmtShape(c!.shape)}`);
    }
    return { shape: x!.shape, dtype: x!.dtype };
  },
  impl: ([x, t, c], _a, out) => {
    const xs = x!.values('meanSquaredErrorGrad');
    const ts = t!.values('meanSquaredErrorGrad');
    const n = xs.length;
    const k = (2 * c!.values('meanSquaredErrorGrad')[0]!) / n;
    const r = allocate(out.dtype, n);
    for (let i = 0; i < n; i++) r[i] = k * (xs[i]! - ts[i]!);
    return r;
  },
  // d = 2c(x − t)/n is bilinear in (x − t) and c: ∂d/∂x = 2c/n, ∂d/∂t = −2c/n, ∂d/∂c = 2(x − t)/n.
  vjp: (gg, [x, t, c], _y, _a, needs) => {
    const n = x!.size;
    const dx = needs[0] || needs[1] ? mul(gg, mul(c!, 2 / n)) : null;
    return [
      needs[0] ? dx : null,
      needs[1] ? neg(dx!) : null,
      needs[2] ? mul(sum(mul(gg, sub(x!, t!))), 2 / n) : null,
    ];
  },
});

/**
 * Mean squared error, mean((x − t)²) over all elements: a scalar of x's dtype, differentiable in
 * both arguments, computed in one pass (differences, squares and sum in float64, rounded once),
 * and its gradient 2(x − t)/n in one pass too. An empty input gives NaN.
 * @throws ShapeError when x and t differ in shape (no broadcasting); DTypeError when they are
 *   not tensors of one float dtype.
 */
export function meanSquaredError(x: Tensor, t: Tensor): Tensor {
  checkTensor('meanSquaredError', x, 'x');
  checkTensor('meanSquaredError', t, 't');
  return bind(mseP, [x, t], null);
}
