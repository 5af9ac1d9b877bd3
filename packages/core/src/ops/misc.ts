/** Casts and gradient stops. */
import { isFloat, allocate, coerce, type DType } from '../dtype.js';
import { definePrimitive, bind } from '../dispatch.js';
import { DTypeError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkTensor } from './util.js';

const astypeP = definePrimitive<{ dtype: DType }>({
  name: 'astype',
  abstractEval: ([x], { dtype }) => ({ shape: x!.shape, dtype }),
  impl: ([x], { dtype }) => {
    const src = x!.values('astype');
    const out = allocate(dtype, src.length);
    if (dtype === 'int32') {
      for (let i = 0; i < src.length; i++) out[i] = Math.trunc(src[i]!) | 0;
    } else if (dtype === 'bool') {
      for (let i = 0; i < src.length; i++) out[i] = src[i] ? 1 : 0;
    } else {
      for (let i = 0; i < src.length; i++) out[i] = coerce(dtype, src[i]!);
    }
    return out;
  },
  vjp: (g, [x]) => [isFloat(x!.dtype) ? astype(g, x!.dtype) : null],
});

/**
 * x converted to `dtype`: floats round to float32, truncate toward zero to int32 (NaN → 0),
 * non-zero becomes true for bool. Float-to-float casts carry gradients; others do not.
 * @throws DTypeError for an unknown dtype.
 */
export function astype(x: Tensor, dtype: DType): Tensor {
  checkTensor('astype', x);
  if (dtype !== 'float32' && dtype !== 'float64' && dtype !== 'int32' && dtype !== 'bool') {
    throw new DTypeError('astype', `unknown dtype '${String(dtype)}'`);
  }
  if (dtype === x.dtype) return x;
  return bind(astypeP, [x], { dtype });
}

const stopGradientP = definePrimitive<null>({
  name: 'stopGradient',
  abstractEval: ([x]) => ({ shape: x!.shape, dtype: x!.dtype }),
  impl: ([x]) => x!.values('stopGradient'),
});

/** The same values with no gradient flowing back through them (at every autodiff level). */
export function stopGradient(x: Tensor): Tensor {
  checkTensor('stopGradient', x);
  return bind(stopGradientP, [x], null);
}
