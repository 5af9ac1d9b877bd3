/** `linear`: a hand computation, batch axes, no bias, init defaults and options, errors, gradients. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DTypeError, ShapeError, ValueError, grad, random, square, sub, sum, tensor, zeros, type Tensor } from '@fluxion/core';
import { checkGrad, shape, tensorOf } from '@fluxion/core/testing';
import { initializers, linear, type Layer, type LinearInitOptions, type LinearNoBiasParams, type LinearParams } from '@fluxion/nn';

const f64 = (v: number[] | number[][] | number[][][]): Tensor => tensor(v, { dtype: 'float64' });

describe('linear apply', () => {
  // W is [out, in] = [3, 2], as Chainer's L.Linear(2, 3).W.
  const p: LinearParams = { W: f64([[1, 2], [3, 4], [5, 6]]), b: f64([0.5, -1, 2]) };

  it('computes x·Wᵀ + b by hand', () => {
    const x = f64([[1, -1], [2, 0.5]]);
    // Row 0: [1−2, 3−4, 5−6] + b = [−1, −1, −1] + [0.5, −1, 2] = [−0.5, −2, 1]
    // Row 1: [2+1, 6+2, 10+3] + b = [3, 8, 13] + b = [3.5, 7, 15]
    expect(linear(p, x)).toBeAllclose([[-0.5, -2, 1], [3.5, 7, 15]], { rtol: 0, atol: 0 });
  });

  it('accepts a single vector [in] and gives [out]', () => {
    const y = linear(p, f64([1, -1]));
    expect(y.shape).toEqual([3]);
    expect(y).toBeAllclose([-0.5, -2, 1], { rtol: 0, atol: 0 });
  });

  it('keeps any batch axes: [..., in] → [..., out]', () => {
    const x = f64([[[1, -1], [2, 0.5]], [[0, 0], [1, 1]]]);
    const y = linear(p, x);
    expect(y.shape).toEqual([2, 2, 3]);
    expect(y).toBeAllclose(
      [
        [[-0.5, -2, 1], [3.5, 7, 15]],
        [[0.5, -1, 2], [3.5, 6, 13]],
      ],
      { rtol: 0, atol: 0 },
    );
  });

  it('works without a bias', () => {
    const y = linear({ W: p.W }, f64([[1, -1]]));
    expect(y).toBeAllclose([[-1, -1, -1]], { rtol: 0, atol: 0 });
  });

  it('names linear and both shapes when the in-size does not match', () => {
    expect(() => linear(p, f64([[1, 2, 3]]))).toThrow(ShapeError);
    expect(() => linear(p, f64([[1, 2, 3]]))).toThrow(/^linear: .*in-size 2.*\[3, 2\].*\[1, 3\]/);
  });

  it('rejects a bad W, b or x', () => {
    expect(() => linear({ W: f64([1, 2]), b: f64([0]) }, f64([1, 2]))).toThrow(/linear: W must be 2-D/);
    expect(() => linear({ W: p.W, b: f64([1, 2]) }, f64([1, 2]))).toThrow(/linear: b must have shape \[3\]/);
    expect(() => linear(p, tensor(1, { dtype: 'float64' }))).toThrow(ShapeError);
    expect(() => linear(p, tensor([[1, 2]]))).toThrow(DTypeError); // float32 x, float64 W
    expect(() => linear(p, tensor([[1, 2]], { dtype: 'int32' }))).toThrow(/linear: x must be float32 or float64/);
    expect(() => linear({ W: p.W, b: tensor([1, 2, 3]) }, f64([1, 2]))).toThrow(/linear: b and W dtypes differ/);
  });
});

describe('linear.init', () => {
  it('makes linear a Layer: the apply function with init attached', () => {
    const asLayer: Layer<LinearParams | LinearNoBiasParams, [Tensor], [number, number, LinearInitOptions?]> = linear;
    expect(typeof asLayer.init).toBe('function');
    expect(Object.isFrozen(linear)).toBe(true);
    expect(linear.apply).toBe(Function.prototype.apply); // not shadowed
  });

  it('gives W [out, in] and zero b, float32, as Chainer', () => {
    const p = linear.init(random.key(0), 3, 5);
    expect(p.W.shape).toEqual([5, 3]);
    expect(p.b.shape).toEqual([5]);
    expect(p.W.dtype).toBe('float32');
    expect([...p.b.data]).toEqual([0, 0, 0, 0, 0]);
    expect(Object.keys(p).sort()).toEqual(['W', 'b']);
  });

  it('is deterministic in the key, and W is lecunNormal drawn with the first split key', () => {
    const k = random.key(7);
    expect(linear.init(k, 4, 3).W).toBeAllclose(linear.init(k, 4, 3).W, { rtol: 0, atol: 0 });
    expect(linear.init(k, 4, 3).W).not.toBeAllclose(linear.init(random.key(8), 4, 3).W);
    const [kW] = random.split(k);
    expect(linear.init(k, 4, 3).W).toBeAllclose(initializers.lecunNormal(kW!, [3, 4]), { rtol: 0, atol: 0 });
  });

  it('takes initialW / initialBias (initializer or number), noBias and dtype', () => {
    const p = linear.init(random.key(0), 2, 3, { initialW: 0, initialBias: 0.5, dtype: 'float64' });
    expect(p.W.dtype).toBe('float64');
    expect(p.W).toBeAllclose(zeros([3, 2], 'float64'), { rtol: 0, atol: 0 });
    expect(p.b).toBeAllclose([0.5, 0.5, 0.5], { rtol: 0, atol: 0 });
    const q = linear.init(random.key(0), 2, 3, { initialW: initializers.orthogonal, initialBias: initializers.constant(2) });
    expect(q.b).toBeAllclose([2, 2, 2]);
    const nb = linear.init(random.key(0), 2, 3, { noBias: true });
    expect(Object.keys(nb)).toEqual(['W']);
    // @ts-expect-error a bias-free layer's params have no b
    expect(nb.b).toBeUndefined();
  });

  it('rejects bad sizes and dtypes', () => {
    expect(() => linear.init(random.key(0), 0, 3)).toThrow(ValueError);
    expect(() => linear.init(random.key(0), 2.5, 3)).toThrow(/linear.init: inSize must be a positive integer/);
    // @ts-expect-error int32 parameters are not allowed
    expect(() => linear.init(random.key(0), 2, 3, { dtype: 'int32' })).toThrow(DTypeError);
  });
});

describe('linear gradients', () => {
  it('match finite differences in x, W and b for any batch axes (second order too)', () => {
    const arb = fc
      .tuple(shape({ maxRank: 2, maxDim: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }))
      .chain(([batch, i, o]) => fc.tuple(tensorOf([...batch, i]), tensorOf([o, i]), tensorOf([o])));
    fc.assert(
      fc.property(arb, ([x, W, b]) => {
        checkGrad((x, W, b) => linear({ W, b }, x), [x, W, b], { order: 2 });
        checkGrad((x, W) => linear({ W }, x), [x, W]);
      }),
      { numRuns: 25 },
    );
  });

  it('gives the seed tutorial gradients 2(y−t)x and 2(y−t) for y = Wx + b and a squared error', () => {
    const p = { W: f64([[0.3]]), b: f64([0.1]) };
    const x = f64([[0.7]]);
    const t = f64([[Math.exp(0.7)]]);
    const g = grad((q: LinearParams) => sum(square(sub(linear(q, x), t))))(p);
    const y = 0.3 * 0.7 + 0.1;
    expect(g.W).toBeAllclose([[2 * (y - Math.exp(0.7)) * 0.7]], { rtol: 1e-14 });
    expect(g.b).toBeAllclose([2 * (y - Math.exp(0.7))], { rtol: 1e-14 });
  });
});
