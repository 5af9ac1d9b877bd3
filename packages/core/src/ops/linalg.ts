/** Matrix products. */
import { definePrimitive, bind, type Primitive } from '../dispatch.js';
import { ShapeError, fmtShape } from '../errors.js';
import { matmulKernel } from '../kernels.js';
import { broadcastShapes } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkDType, checkTensor, coerceOperands } from './util.js';
import { mul } from './elementwise.js';
import { sum } from './reduce.js';
import { reshape } from './shape.js';

/** Which operands of a matmul are read transposed in their last two axes. */
interface MatmulAttrs {
  readonly ta: boolean;
  readonly tb: boolean;
}

const dims = (x: Tensor, t: boolean): [number, number] => {
  const r = x.ndim;
  return t ? [x.shape[r - 1]!, x.shape[r - 2]!] : [x.shape[r - 2]!, x.shape[r - 1]!];
};

const mm = (a: Tensor, b: Tensor, ta: boolean, tb: boolean): Tensor => bind(matmulP, [a, b], { ta, tb });

/** Inputs [a, b] or [a, b, bias]: a bias [n] is added to every output row inside the kernel. */

const matmulP: Primitive<MatmulAttrs> = definePrimitive<MatmulAttrs>({
  name: 'matmul',
  abstractEval: ([a, b], { ta, tb }) => {
    checkDType('matmul', a!.dtype, 'float');
    const [m, ka] = dims(a!, ta);
    const [kb, n] = dims(b!, tb);
    if (ka !== kb) {
      throw new ShapeError(
        'matmul',
        `inner dimensions differ: ${fmtShape(a!.shape)}${ta ? 'ᵀ' : ''} @ ${fmtShape(b!.shape)}${tb ? 'ᵀ' : ''} (${ka} vs ${kb})`,
      );
    }
    const batch = broadcastShapes('matmul', a!.shape.slice(0, -2), b!.shape.slice(0, -2));
    return { shape: [...batch, m, n], dtype: a!.dtype };
  },
  impl: ([a, b, bias], { ta, tb }, out) =>
    matmulKernel(
      a!.values('matmul'),
      a!.shape,
      b!.values('matmul'),
      b!.shape,
      out.shape.slice(0, -2),
      out.dtype,
      ta,
      tb,
      bias ? bias.values('matmul') : null,
    ),
  // C = op(A)·op(B); each cotangent is again one matmul with transposes as flags, never a copy.
  vjp: (g, [a, b], _y, { ta, tb }, needs) => [
    needs[0] ? (ta ? mm(b!, g, tb, true) : mm(g, b!, false, !tb)) : null,
    needs[1] ? (tb ? mm(g, a!, true, ta) : mm(a!, g, !ta, false)) : null,
    // The walker sums g down to the bias's shape [n].
    g,
  ],
});

/** Options of `matmul`. */
export interface MatmulOptions {
  /** Use aᵀ (a's last two axes swapped) without copying it. */
  readonly transposeA?: boolean;
  /** Use bᵀ (b's last two axes swapped) without copying it: `matmul(x, W, { transposeB: true })` is x·Wᵀ. */
  readonly transposeB?: boolean;
  /**
   * A vector [n] added to every row of the product inside the kernel, rounded once with it:
   * `matmul(x, W, { transposeB: true, bias: b })` is a linear layer x·Wᵀ + b in one pass.
   */
  readonly bias?: Tensor;
}

/**
 * Matrix product with NumPy `matmul` semantics: [..., m, k] @ [..., k, n] → [..., m, n], batch
 * axes broadcast; a 1-D operand is a row (left) or column (right) vector whose axis is dropped.
 * `transposeA`/`transposeB` read an operand (of rank ≥ 2) transposed in its last two axes, with
 * no copy; `bias` [n] is added to every row in the same pass. Float dtypes, all equal.
 * @throws ShapeError for 0-d operands, mismatched inner dimensions, batch axes that cannot
 *   broadcast, a transpose flag on a 1-D operand, or a bias that is not [n]; DTypeError for
 *   int/bool or mixed dtypes.
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  checkTensor('matmul', a, 'first operand');
  checkTensor('matmul', b, 'second operand');
  coerceOperands('matmul', a, b);
  const ta = options.transposeA === true;
  const tb = options.transposeB === true;
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError('matmul', `operands must have at least 1 dimension, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  if ((ta && a.ndim < 2) || (tb && b.ndim < 2)) {
    throw new ShapeError('matmul', `transposeA/transposeB need an operand of rank >= 2, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  // Checked here too so that 1-D operands appear in the message as given, not as [1, k] / [k, 1].
  checkDType('matmul', a.dtype, 'float');
  const ka = ta ? a.shape[a.ndim - 2]! : a.shape[a.ndim - 1]!;
  const kb = tb ? b.shape[b.ndim - 1]! : b.shape[Math.max(b.ndim - 2, 0)]!;
  if (ka !== kb) {
    throw new ShapeError(
      'matmul',
      `inner dimensions differ: ${fmtShape(a.shape)}${ta ? 'ᵀ' : ''} @ ${fmtShape(b.shape)}${tb ? 'ᵀ' : ''} (${ka} vs ${kb})`,
    );
  }
  const a2 = a.ndim === 1 ? reshape(a, [1, a.shape[0]!]) : a;
  const b2 = b.ndim === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
  const bias = options.bias;
  if (bias !== undefined) {
    checkTensor('matmul', bias, 'bias');
    const n = tb ? b.shape[b.ndim - 2]! : b.shape[b.ndim - 1]!;
    if (a.ndim < 2 || b.ndim < 2 || bias.ndim !== 1 || bias.shape[0] !== n) {
      throw new ShapeError(
        'matmul',
        `bias must be a vector [${b.ndim < 2 ? 'n' : n}] and both operands at least 2-D, got bias ${fmtShape(bias.shape)} for ${fmtShape(a.shape)} @ ${fmtShape(b.shape)}`,
      );
    }
    coerceOperands('matmul', a, bias);
    return bind(matmulP, [a2, b2, bias], { ta, tb });
  }
  const y = mm(a2, b2, ta, tb);
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
