/** Element types a Tensor can hold. `bool` is stored as 0/1 bytes. */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';

/** The typed array that backs each dtype. */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** A typed array that must not be written to: the data of an immutable Tensor. */
// Readonly<> is what makes the index signature read-only: in an intersection with Omit<>'s
// writable index signature, a `readonly [index: number]` member would still allow `data[0] = 1`.
export type ReadonlyTypedArray = Readonly<Omit<TypedArray, 'set' | 'fill' | 'copyWithin' | 'reverse' | 'sort'>>;

/** All dtypes, in a fixed order. */
export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

/** True for the floating-point dtypes, the only ones that carry gradients. */
export function isFloat(dtype: DType): dtype is 'float32' | 'float64' {
  return dtype === 'float32' || dtype === 'float64';
}

/** Allocates a zero-filled typed array of `size` elements for `dtype`. */
export function allocate(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
  }
}

/** The dtype whose storage is this typed array's class (Uint8Array maps to bool). */
export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  return 'bool';
}

/** Converts one JS number to the value `dtype` stores (rounding, truncation toward zero, 0/1). */
export function coerce(dtype: DType, v: number): number {
  switch (dtype) {
    case 'float32':
      return Math.fround(v);
    case 'float64':
      return v;
    case 'int32':
      return v | 0;
    case 'bool':
      return v ? 1 : 0;
  }
}
