/** Reductions: sum, max, min as primitives; mean and logsumexp composed from them. */
import { definePrimitive, bind, type Primitive } from '../dispatch.js';
import { DTypeError } from '../errors.js';
import { argReduce, reduce, type ReduceKind } from '../kernels.js';
import { normalizeAxes, normalizeAxis, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkDType, checkTensor } from './util.js';
import { add, div, equal, exp, log, mul, sub, where } from './elementwise.js';
import { broadcastTo, reshape } from './shape.js';
import { astype, stopGradient } from './misc.js';

/** Axis argument of reductions: one axis, several, or undefined for all. Negative counts from the end. */
export type Axis = number | readonly number[] | undefined;

interface ReduceAttrs {
  readonly axes: readonly number[];
  readonly keepdims: boolean;
}

function keptShape(shape: readonly number[], axes: readonly number[], keepdims: boolean): number[] {
  return keepdims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

function reducePrim(name: ReduceKind): Primitive<ReduceAttrs> {
  return definePrimitive<ReduceAttrs>({
    name,
    abstractEval: ([x], { axes, keepdims }) => {
      if (name !== 'sum') checkDType(name, x!.dtype, 'numeric');
      if (name !== 'sum' && x!.size === 0) {
        throw new DTypeError(name, `cannot take the ${name} of an empty tensor (shape [${x!.shape.join(', ')}])`);
      }
      return { shape: keptShape(x!.shape, axes, keepdims), dtype: x!.dtype === 'bool' ? 'int32' : x!.dtype };
    },
    impl: ([x], { axes }, out) => reduce(x!.values(name), x!.shape, axes, name, out.dtype),
    vjp:
      name === 'sum'
        ? (g, [x], _y, { axes }) => [broadcastTo(reshape(g, keptShape(x!.shape, axes, true)), x!.shape)]
        : (g, [x], y, { axes }) => {
            // Ties share the gradient equally, so the rule is symmetric in equal inputs.
            const keep = keptShape(x!.shape, axes, true);
            const mask = astype(equal(x!, reshape(y, keep)), x!.dtype);
            const count: Tensor = bind(sumP, [mask], { axes, keepdims: true });
            return [mul(div(mask, count), reshape(g, keep))];
          },
  });
}

const sumP = reducePrim('sum');
const maxP = reducePrim('max');
const minP = reducePrim('min');

/**
 * Sum over `axis` (all axes by default). `keepdims` keeps reduced axes with length 1.
 * float sums accumulate in float64; bool sums give int32.
 * @throws ShapeError for an axis out of range or repeated.
 */
export function sum(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  checkTensor('sum', x);
  return bind(sumP, [x], { axes: normalizeAxes('sum', axis, x.ndim), keepdims });
}

/**
 * Largest element over `axis` (all by default); NaN propagates. The gradient is shared among ties.
 * @throws ShapeError for a bad axis; DTypeError for bool or an empty tensor.
 */
export function max(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  checkTensor('max', x);
  return bind(maxP, [x], { axes: normalizeAxes('max', axis, x.ndim), keepdims });
}

/**
 * Smallest element over `axis` (all by default); NaN propagates. The gradient is shared among ties.
 * @throws ShapeError for a bad axis; DTypeError for bool or an empty tensor.
 */
export function min(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  checkTensor('min', x);
  return bind(minP, [x], { axes: normalizeAxes('min', axis, x.ndim), keepdims });
}

/**
 * Arithmetic mean over `axis` (all by default). Float dtypes.
 * @throws ShapeError for a bad axis; DTypeError for int or bool input.
 */
export function mean(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  checkTensor('mean', x);
  checkDType('mean', x.dtype, 'float');
  const axes = normalizeAxes('mean', axis, x.ndim);
  const count = sizeOf(axes.map((a) => x.shape[a]!));
  return div(sum(x, axes, keepdims), count);
}

/**
 * log(Σ exp(x)) over `axis`, computed stably by shifting by the maximum. Float dtypes.
 * @throws ShapeError for a bad axis; DTypeError for int or bool input.
 */
export function logsumexp(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  checkTensor('logsumexp', x);
  checkDType('logsumexp', x.dtype, 'float');
  const axes = normalizeAxes('logsumexp', axis, x.ndim);
  const m0 = stopGradient(max(x, axes, true));
  // An all −inf row would give (−inf) − (−inf) = NaN; shift by 0 there instead.
  const m = where(equal(m0, -Infinity), 0, m0);
  const r = add(log(sum(exp(sub(x, m)), axes, true)), m);
  return keepdims ? r : reshape(r, keptShape(x.shape, axes, false));
}

function argPrim(name: 'argmax' | 'argmin'): Primitive<{ axis: number | null }> {
  return definePrimitive<{ axis: number | null }>({
    name,
    abstractEval: ([x], { axis }) => {
      checkDType(name, x!.dtype, 'numeric');
      if (x!.size === 0) throw new DTypeError(name, 'cannot reduce an empty tensor');
      return { shape: axis === null ? [] : x!.shape.filter((_, i) => i !== axis), dtype: 'int32' };
    },
    impl: ([x], { axis }) => {
      const data = x!.values(name);
      return axis === null
        ? argReduce(data, [data.length], 0, name === 'argmax')
        : argReduce(data, x!.shape, axis, name === 'argmax');
    },
  });
}

const argmaxP = argPrim('argmax');
const argminP = argPrim('argmin');

/**
 * int32 index of the largest element along `axis`, or into the flattened tensor when `axis` is
 * omitted. The first index wins on ties. No gradient.
 * @throws ShapeError for a bad axis; DTypeError for bool or an empty tensor.
 */
export function argmax(x: Tensor, axis?: number): Tensor {
  checkTensor('argmax', x);
  return bind(argmaxP, [x], { axis: axis === undefined ? null : normalizeAxis('argmax', axis, x.ndim) });
}

/** int32 index of the smallest element along `axis` (flattened when omitted); see `argmax`. */
export function argmin(x: Tensor, axis?: number): Tensor {
  checkTensor('argmin', x);
  return bind(argminP, [x], { axis: axis === undefined ? null : normalizeAxis('argmin', axis, x.ndim) });
}
