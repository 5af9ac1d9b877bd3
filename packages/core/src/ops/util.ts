import { isFloat, type DType } from '../dtype.js';
import { DTypeError, fmtShape } from '../errors.js';
import { full } from '../creation.js';
import { Tensor } from '../tensor.js';

/** A tensor or a JS number, which takes the dtype of the tensor it meets. */
export type TensorLike = Tensor | number;

/** Which dtypes an op accepts. */
export type DTypeClass = 'float' | 'numeric' | 'any';

/** Throws a DTypeError unless `dtype` belongs to `cls`. */
export function checkDType(op: string, dtype: DType, cls: DTypeClass, what = 'input'): void {
  if (cls === 'float' && !isFloat(dtype)) {
    throw new DTypeError(op, `${what} must be float32 or float64, got ${dtype}`);
  }
  if (cls === 'numeric' && dtype === 'bool') {
    throw new DTypeError(op, `${what} must be numeric (float32, float64 or int32), got bool`);
  }
}

/** Throws unless `x` is a Tensor, naming `op` and what it got instead. */
export function checkTensor(op: string, x: unknown, what = 'input'): asserts x is Tensor {
  if (!(x instanceof Tensor)) {
    throw new DTypeError(op, `${what} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  }
}

/**
 * Turns two operands into tensors of one dtype: a JS number adopts the other operand's dtype
 * (float32 if both are numbers). Tensors of different dtypes are an error: no silent promotion.
 */
export function coerceOperands(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  const ta = a instanceof Tensor;
  const tb = b instanceof Tensor;
  if (ta && tb) {
    if (a.dtype !== b.dtype) {
      throw new DTypeError(
        op,
        `dtypes differ: ${a.dtype}${fmtShape(a.shape)} and ${b.dtype}${fmtShape(b.shape)}; convert one with astype`,
      );
    }
    return [a, b];
  }
  if (!ta && typeof a !== 'number') checkTensor(op, a, 'first operand');
  if (!tb && typeof b !== 'number') checkTensor(op, b, 'second operand');
  const dtype: DType = ta ? (a as Tensor).dtype : tb ? (b as Tensor).dtype : 'float32';
  return [ta ? (a as Tensor) : scalarOf(op, a as number, dtype), tb ? (b as Tensor) : scalarOf(op, b as number, dtype)];
}

/** A 0-d tensor of `dtype`; a fraction cannot become an int32 or bool scalar. */
export function scalarOf(op: string, v: number, dtype: DType): Tensor {
  if (dtype === 'int32' && !Number.isInteger(v)) {
    throw new DTypeError(op, `the number ${v} is not an integer, so it cannot combine with an int32 tensor`);
  }
  return full([], v, dtype);
}

/** Accepts a TensorLike for a unary op: numbers become float32 scalars. */
export function asTensor(op: string, x: TensorLike): Tensor {
  if (typeof x === 'number') return full([], x, 'float32');
  checkTensor(op, x);
  return x;
}
