/** Matrix products. */
import { definePrimitive, bind } from '../dispatch.js';
import { ShapeError, fmtShape } from '../errors.js';
import { matmulKernel } from '../kernels.js';
import { broadcastShapes } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkDType, checkTensor, coerceOperands } from './util.js';
import { mul } from './elementwise.js';
import { sum } from './reduce.js';
import { reshape, transpose } from './shape.js';

/** Swaps the last two axes. */
function mT(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  const r = x.ndim;
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return transpose(x, perm);
}

const matmulP = definePrimitive<null>({
  name: 'matmul',
  abstractEval: ([a, b]) => {
    checkDType('matmul', a!.dtype, 'float');
    const ar = a!.ndim;
    const br = b!.ndim;
    if (a!.shape[ar - 1] !== b!.shape[br - 2]) {
      throw new ShapeError(
        'matmul',
        `inner dimensions differ: ${fmtShape(a!.shape)} @ ${fmtShape(b!.shape)} (${a!.shape[ar - 1]} vs ${b!.shape[br - 2]})`,
      );
    }
    const batch = broadcastShapes('matmul', a!.shape.slice(0, ar - 2), b!.shape.slice(0, br - 2));
    return { shape: [...batch, a!.shape[ar - 2]!, b!.shape[br - 1]!], dtype: a!.dtype };
  },
  impl: ([a, b], _x, out) =>
    matmulKernel(a!.values('matmul'), a!.shape, b!.values('matmul'), b!.shape, out.shape.slice(0, -2), out.dtype),
  vjp: (g, [a, b], _y, _x, needs) => [needs[0] ? matmul(g, mT(b!)) : null, needs[1] ? matmul(mT(a!), g) : null],
});

/**
 * Matrix product with NumPy `matmul` semantics: [..., m, k] @ [..., k, n] → [..., m, n], batch
 * axes broadcast; a 1-D operand is a row (left) or column (right) vector whose axis is dropped.
 * Float dtypes, equal on both sides.
 * @throws ShapeError for 0-d operands, mismatched inner dimensions or batch axes that cannot
 *   broadcast; DTypeError for int/bool or mixed dtypes.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor('matmul', a, 'first operand');
  checkTensor('matmul', b, 'second operand');
  coerceOperands('matmul', a, b);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError('matmul', `operands must have at least 1 dimension, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  // Checked here too so that 1-D operands appear in the message as given, not as [1, k] / [k, 1].
  checkDType('matmul', a.dtype, 'float');
  const ka = a.shape[a.ndim - 1]!;
  const kb = b.shape[Math.max(b.ndim - 2, 0)]!;
  if (ka !== kb) {
    throw new ShapeError('matmul', `inner dimensions differ: ${fmtShape(a.shape)} @ ${fmtShape(b.shape)} (${ka} vs ${kb})`);
  }
  const a2 = a.ndim === 1 ? reshape(a, [1, a.shape[0]!]) : a;
  const b2 = b.ndim === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
  const y = bind(matmulP, [a2, b2], null);
  if (a.ndim > 1 && b.ndim > 1) return y;
  const shape = [...y.shape];
  if (b.ndim === 1) shape.splice(shape.length - 1, 1);
  if (a.ndim === 1) shape.splice(shape.length - (b.ndim === 1 ? 1 : 2), 1);
  return reshape(y, shape);
}

/**
 * Dot product of 1-D vectors (a scalar), or `matmul` when either operand is 2-D.
 * @throws ShapeError for operands above 2-D or mismatched lengths.
 */
export function dot(a: Tensor, b: Tensor): Tensor {
  checkTensor('dot', a, 'first operand');
  checkTensor('dot', b, 'second operand');
  coerceOperands('dot', a, b);
  if (a.ndim > 2 || b.ndim > 2) {
    throw new ShapeError('dot', `supports 1-D and 2-D operands, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}; use matmul`);
  }
  if (a.ndim === 1 && b.ndim === 1) {
    if (a.size !== b.size) throw new ShapeError('dot', `vector lengths differ: ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
    return sum(mul(a, b));
  }
  return matmul(a, b);
}

/** Outer product: [n] and [m] (flattened when not 1-D) give [n, m]. */
export function outer(a: Tensor, b: Tensor): Tensor {
  checkTensor('outer', a, 'first operand');
  checkTensor('outer', b, 'second operand');
  coerceOperands('outer', a, b);
  return mul(reshape(a, [-1, 1]), reshape(b, [1, -1]));
}
