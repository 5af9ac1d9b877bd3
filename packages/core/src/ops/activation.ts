/** Normalised exponentials and one-hot encoding, composed from primitives. */
import { DTypeError } from '../errors.js';
import { arange } from '../creation.js';
import type { DType } from '../dtype.js';
import { normalizeAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkDType, checkTensor } from './util.js';
import { div, equal, exp, sub } from './elementwise.js';
import { logsumexp, max, sum } from './reduce.js';
import { expandDims } from './shape.js';
import { astype, stopGradient } from './misc.js';

/**
 * exp(x) / Σ exp(x) along `axis` (last by default), shifted by the maximum for stability.
 * @throws ShapeError for a bad axis; DTypeError for non-float input.
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  checkTensor('softmax', x);
  checkDType('softmax', x.dtype, 'float');
  const a = normalizeAxis('softmax', axis, x.ndim);
  const e = exp(sub(x, stopGradient(max(x, a, true))));
  return div(e, sum(e, a, true));
}

/**
 * x − logsumexp(x) along `axis` (last by default): log of softmax without its underflow.
 * @throws ShapeError for a bad axis; DTypeError for non-float input.
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  checkTensor('logSoftmax', x);
  checkDType('logSoftmax', x.dtype, 'float');
  const a = normalizeAxis('logSoftmax', axis, x.ndim);
  return sub(x, logsumexp(x, a, true));
}

/**
 * One-hot encoding: int32 `indices` of any shape give shape [...indices.shape, depth] with 1
 * at each index and 0 elsewhere (an index outside [0, depth) gives an all-zero row).
 * @throws DTypeError when indices are not int32.
 */
export function oneHot(indices: Tensor, depth: number, dtype: DType = 'float32'): Tensor {
  checkTensor('oneHot', indices);
  if (indices.dtype !== 'int32') throw new DTypeError('oneHot', `indices must be int32, got ${indices.dtype}`);
  return astype(equal(expandDims(indices, -1), arange(depth)), dtype);
}
