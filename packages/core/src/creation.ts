import { allocate, coerce, dtypeOfArray, type DType, type TypedArray } from './dtype.js';
import { DTypeError, ShapeError, ValueError, fmtShape } from './errors.js';
import { checkShape, sizeOf } from './shape.js';
import { Tensor, type NestedArray } from './tensor.js';

/** Options for `tensor()`. */
export interface TensorOptions {
  /** Element type; default float32 for numbers, bool for booleans, the array's own for typed arrays. */
  readonly dtype?: DType;
  /** Shape; default inferred from the nesting, or `[length]` for a flat typed array. */
  readonly shape?: readonly number[];
  /**
   * For a typed array only: `false` wraps the array itself instead of copying it, for code that
   * builds arrays in hot loops (optimizers, kernels). The caller hands the array over and must
   * never write to it again. Default true.
   */
  readonly copy?: boolean;
}

/** Anything `tensor()` accepts. */
export type TensorInput = NestedArray | readonly NestedArray[] | TypedArray | readonly number[];

/**
 * Creates a tensor from nested arrays, a number, a boolean or a typed array. The data is copied,
 * so later changes to the argument do not reach the tensor.
 *
 * @example tensor([[1, 2], [3, 4]])                 // float32 [2, 2]
 * @example tensor(new Float64Array(6), { shape: [2, 3] })
 * @example tensor(freshArray, { shape: [2, 3], copy: false })   // no copy; never write to freshArray again
 * @throws ShapeError for ragged nesting or a `shape` whose size differs from the data's;
 *   DTypeError for a value the dtype cannot hold (a fraction in int32, a non-number).
 */
export function tensor(values: TensorInput, options: TensorOptions = {}): Tensor {
  if (ArrayBuffer.isView(values)) {
    const arr = values as TypedArray;
    const dtype = options.dtype ?? dtypeOfArray(arr);
    const shape = options.shape ?? [arr.length];
    checkShape('tensor', shape);
    if (sizeOf(shape) !== arr.length) {
      throw new ShapeError('tensor', `shape ${fmtShape(shape)} needs ${sizeOf(shape)} elements, got ${arr.length}`);
    }
    if (options.copy === false) {
      if (dtype !== dtypeOfArray(arr)) {
        throw new DTypeError('tensor', `copy: false needs the array type of ${dtype}, got a ${arr.constructor.name}`);
      }
      return new Tensor(shape, dtype, arr);
    }
    const data = allocate(dtype, arr.length);
    if (dtype === dtypeOfArray(arr)) data.set(arr);
    else for (let i = 0; i < arr.length; i++) data[i] = coerce(dtype, arr[i]!);
    return new Tensor(shape, dtype, data);
  }
  const inferred: number[] = [];
  let v: unknown = values;
  while (Array.isArray(v)) {
    inferred.push(v.length);
    v = v[0];
  }
  const dtype = options.dtype ?? (typeof v === 'boolean' ? 'bool' : 'float32');
  const flat = allocate(dtype, sizeOf(inferred));
  let pos = 0;
  const walk = (x: unknown, d: number): void => {
    if (d === inferred.length) {
      if (Array.isArray(x)) throw new ShapeError('tensor', `ragged nesting: expected a value at depth ${d}, got an array`);
      if (typeof x === 'boolean') flat[pos++] = x ? 1 : 0;
      else if (typeof x === 'number') {
        if (dtype === 'int32' && !Number.isInteger(x)) {
          throw new DTypeError('tensor', `${x} is not an integer, so it cannot be stored as int32`);
        }
        flat[pos++] = coerce(dtype, x);
      } else throw new DTypeError('tensor', `expected numbers or booleans, got ${typeof x}`);
      return;
    }
    if (!Array.isArray(x) || x.length !== inferred[d]) {
      throw new ShapeError(
        'tensor',
        `ragged nesting: expected ${inferred[d]} elements at depth ${d}, got ${Array.isArray(x) ? x.length : 'a value'}`,
      );
    }
    for (const e of x) walk(e, d + 1);
  };
  walk(values, 0);
  if (options.shape) {
    checkShape('tensor', options.shape);
    if (sizeOf(options.shape) !== flat.length) {
      throw new ShapeError('tensor', `shape ${fmtShape(options.shape)} needs ${sizeOf(options.shape)} elements, got ${flat.length}`);
    }
    return new Tensor(options.shape, dtype, flat);
  }
  return new Tensor(inferred, dtype, flat);
}

/** A 0-d tensor holding `value` (float32 unless `dtype` says otherwise). */
export function scalar(value: number | boolean, dtype?: DType): Tensor {
  return tensor(value, dtype ? { dtype } : {});
}

/** A tensor of `shape` filled with `value`. @throws ShapeError for a bad shape. */
export function full(shape: readonly number[], value: number | boolean, dtype: DType = 'float32'): Tensor {
  checkShape('full', shape);
  const data = allocate(dtype, sizeOf(shape));
  const v = coerce(dtype, typeof value === 'boolean' ? (value ? 1 : 0) : value);
  if (v !== 0) data.fill(v);
  return new Tensor(shape, dtype, data);
}

/** A tensor of zeros. @throws ShapeError for a bad shape. */
export function zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return full(shape, 0, dtype);
}

/** A tensor of ones. @throws ShapeError for a bad shape. */
export function ones(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return full(shape, 1, dtype);
}

/** Zeros with the shape and dtype of `x`. */
export function zerosLike(x: Tensor): Tensor {
  return zeros(x.shape, x.dtype);
}

/** Ones with the shape and dtype of `x`. */
export function onesLike(x: Tensor): Tensor {
  return ones(x.shape, x.dtype);
}

/**
 * Evenly spaced values in [start, stop) with `step`, like `numpy.arange`. One argument means
 * [0, stop). Default dtype: int32 when all arguments are integers, else float32.
 * @throws ValueError for a zero or non-finite step.
 */
export function arange(start: number, stop?: number, step = 1, dtype?: DType): Tensor {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  if (step === 0 || !Number.isFinite(step)) throw new ValueError('arange', `step must be finite and non-zero, got ${step}`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const dt = dtype ?? (Number.isInteger(start) && Number.isInteger(stop) && Number.isInteger(step) ? 'int32' : 'float32');
  const data = allocate(dt, n);
  for (let i = 0; i < n; i++) data[i] = coerce(dt, start + i * step);
  return new Tensor([n], dt, data);
}

/**
 * `num` evenly spaced values from `start` to `stop` inclusive, like `numpy.linspace`.
 * @throws ValueError for a negative or fractional `num`.
 */
export function linspace(start: number, stop: number, num = 50, dtype: DType = 'float32'): Tensor {
  if (!Number.isInteger(num) || num < 0) throw new ValueError('linspace', `num must be a non-negative integer, got ${num}`);
  const data = allocate(dtype, num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) data[i] = coerce(dtype, i === num - 1 && num > 1 ? stop : start + i * step);
  return new Tensor([num], dtype, data);
}

/** An n×m matrix with ones on the diagonal (m defaults to n). */
export function eye(n: number, m: number = n, dtype: DType = 'float32'): Tensor {
  checkShape('eye', [n, m]);
  const data = allocate(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return new Tensor([n, m], dtype, data);
}
