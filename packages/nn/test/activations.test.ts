/** elu and gelu: values, edge cases and gradients; the re-exported core activations. */
import fc from 'fast-check';
import * as core from '@fluxion/core';
import { describe, expect, it } from 'vitest';
import { DTypeError, ValueError, grad, sum, tensor, type Tensor } from '@fluxion/core';
import { checkGrad, shape, tensorOf } from '@fluxion/core/testing';
import * as nn from '@fluxion/nn';
import { elu, gelu } from '@fluxion/nn';

const F64 = (v: number[]): Tensor => tensor(v, { dtype: 'float64' });

describe('re-exported activations', () => {
  it('are core’s own functions', () => {
    for (const name of ['relu', 'leakyRelu', 'sigmoid', 'tanh', 'softplus', 'softmax', 'logSoftmax'] as const) {
      expect(nn[name]).toBe(core[name]);
    }
    expect(nn.leakyRelu(F64([-1, 2]))).toBeAllclose([-0.2, 2]); // Chainer's default slope 0.2
  });
});

describe('elu', () => {
  it('is x for x ≥ 0 and alpha·(eˣ − 1) below', () => {
    expect(elu(F64([-1, 0, 2]))).toBeAllclose([Math.expm1(-1), 0, 2], { rtol: 1e-15 });
    expect(elu(F64([-2, 3]), 0.5)).toBeAllclose([0.5 * Math.expm1(-2), 3], { rtol: 1e-15 });
    expect(elu(tensor([-1])).dtype).toBe('float32');
  });

  it('has gradient 1 at 0 (as Chainer) and no NaN for huge inputs', () => {
    const g = grad((x: Tensor) => sum(elu(x, 2)))(F64([-1, 0, 1000, -1000]));
    expect(g).toBeAllclose([2 * Math.exp(-1), 1, 1, 0], { rtol: 1e-15 });
  });

  it('validates its arguments', () => {
    expect(() => elu(tensor([1], { dtype: 'int32' }))).toThrow(DTypeError);
    expect(() => elu(F64([1]), NaN)).toThrow(ValueError);
  });

  it('gradients (and second derivatives) match finite differences away from the kink at 0', () => {
    fc.assert(
      fc.property(tensorOf(shape(), { minAbs: 0.01 }), fc.double({ min: 0.1, max: 3, noNaN: true }), (x, alpha) => {
        checkGrad((x) => elu(x, alpha), [x], { order: 2 });
      }),
      { numRuns: 30 },
    );
  });
});

describe('gelu', () => {
  it('exact: x·Φ(x), accurate in the left tail (values from Python math.erfc)', () => {
    const x = F64([-20, -10, -5, -1, -0.5, 0, 0.5, 1, 2]);
    const expected = [
      -5.507248237212663e-88, -7.619853024160593e-23, -1.4332578593959731e-6, -0.15865525393145707, -0.15426876936299344, 0,
      0.34573123063700656, 0.8413447460685429, 1.9544997361036416,
    ];
    expect(gelu(x)).toBeAllclose(expected, { rtol: 1e-13, atol: 0 });
    expect(gelu(tensor([1])).dtype).toBe('float32');
    expect(gelu(tensor([1])).item()).toBeCloseTo(0.8413447, 6);
  });

  it('approximate: the tanh form', () => {
    expect(gelu(F64([-1, 0.5, 2]), { approximate: true })).toBeAllclose(
      [-0.15880800939172324, 0.34571400982514394, 1.954597694087775],
      { rtol: 1e-14 },
    );
  });

  it('rejects non-float input', () => {
    expect(() => gelu(tensor([1], { dtype: 'int32' }))).toThrow(/^gelu: x must be float32 or float64/);
  });

  it('gradients (and second derivatives) match finite differences, both forms', () => {
    fc.assert(
      fc.property(tensorOf(shape(), { min: -4, max: 4 }), (x) => {
        checkGrad((x) => gelu(x), [x], { order: 2 });
        checkGrad((x) => gelu(x, { approximate: true }), [x], { order: 2 });
      }),
      { numRuns: 30 },
    );
  });
});
