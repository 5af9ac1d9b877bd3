/** Argument checks shared by nn's functions. Every error names the public function it guards. */
import { DTypeError, ShapeError, Tensor, TracerError, ValueError, type DType, type ReadonlyTypedArray } from '@fluxion/core';

/** The float dtypes parameters and activations may have. */
export type FloatDType = 'float32' | 'float64';

/** `[3, 4]`, as core's messages print shapes. */
export function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Throws a DTypeError naming `op` unless `x` is a Tensor. */
export function checkTensor(op: string, x: unknown, what: string): asserts x is Tensor {
  if (!(x instanceof Tensor)) {
    const got = x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x;
    throw new DTypeError(op, `${what} must be a Tensor, got ${got}`);
  }
}

/** Throws unless `x` is a float32 or float64 Tensor. */
export function checkFloat(op: string, x: unknown, what: string): asserts x is Tensor {
  checkTensor(op, x, what);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') {
    throw new DTypeError(op, `${what} must be float32 or float64, got ${x.dtype}`);
  }
}

/** Throws unless `x` is an int32 Tensor (labels, ids). */
export function checkInt(op: string, x: unknown, what: string): asserts x is Tensor {
  checkTensor(op, x, what);
  if (x.dtype !== 'int32') throw new DTypeError(op, `${what} must be int32, got ${x.dtype}`);
}

/** Throws a DTypeError unless both tensors have one dtype. */
export function checkSameDType(op: string, a: Tensor, b: Tensor, what: string): void {
  if (a.dtype !== b.dtype) {
    throw new DTypeError(op, `${what} dtypes differ: ${a.dtype} and ${b.dtype}; convert one with astype`);
  }
}

/** Throws a ShapeError unless both tensors have one shape (no broadcasting). */
export function checkSameShape(op: string, a: Tensor, b: Tensor, what: string): void {
  if (a.ndim !== b.ndim || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(op, `${what} must have the same shape, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  }
}

/** Validates an optional float dtype option (float32 by default). */
export function floatDType(op: string, dtype: unknown): FloatDType {
  if (dtype === undefined) return 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new DTypeError(op, `dtype must be 'float32' or 'float64', got ${String(dtype as DType)}`);
  }
  return dtype;
}

/** Throws a ValueError unless `n` is a positive integer. */
export function checkSize(op: string, n: unknown, what: string): asserts n is number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new ValueError(op, `${what} must be a positive integer, got ${String(n)}`);
  }
}

/**
 * The values of `t`, or null when `t` is abstract (inside `trace`), so value checks (label
 * ranges) run on concrete data and are skipped while tracing.
 */
export function concreteValues(t: Tensor): ReadonlyTypedArray | null {
  try {
    return t.data;
  } catch (e) {
    if (e instanceof TracerError) return null;
    throw e;
  }
}
