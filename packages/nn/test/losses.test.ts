/**
 * Losses and accuracy: PyTorch reference values and pullbacks (fixtures/torch-losses.json, copied
 * from the shared reference), Chainer's documented values, hand-derived formulas, ignore labels,
 * errors, and gradients of every loss against finite differences.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DTypeError,
  ShapeError,
  ValueError,
  grad,
  reshape,
  softmax,
  oneHot,
  sub,
  div,
  tensor,
  transpose,
  vjp,
  zeros,
  type Tensor,
} from '@fluxion/core';
import { checkGrad, shape, tensorOf } from '@fluxion/core/testing';
import {
  accuracy,
  huberLoss,
  meanAbsoluteError,
  meanSquaredError,
  sigmoidCrossEntropy,
  softmaxCrossEntropy,
} from '@fluxion/nn';

interface Arr {
  readonly shape: number[];
  readonly data: number[];
}
interface LossCase {
  readonly op: string;
  readonly kwargs: { readonly labels?: number[] };
  readonly inputs: Arr[];
  readonly output: Arr;
  readonly cotangent: Arr;
  readonly input_grads: Arr[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/torch-losses.json', import.meta.url), 'utf8')) as {
  cases: LossCase[];
};

const f64 = (a: Arr): Tensor => tensor(new Float64Array(a.data), { dtype: 'float64', shape: a.shape });
const i32 = (v: number[] | number[][]): Tensor => tensor(v, { dtype: 'int32' });
const F64 = (v: number[] | number[][] | number[][][]): Tensor => tensor(v, { dtype: 'float64' });
const TOL = { rtol: 1e-10, atol: 1e-12 };
const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

function fixtureCase(op: string): LossCase {
  const c = fixture.cases.find((x) => x.op === op);
  if (!c) throw new Error(`fixture has no case ${op}`);
  return c;
}

describe('PyTorch reference (float64, 1e-10 relative): value and pullback', () => {
  it('meanSquaredError', () => {
    const c = fixtureCase('meanSquaredError');
    const [y, pb] = vjp(meanSquaredError, f64(c.inputs[0]!), f64(c.inputs[1]!));
    expect(y).toBeAllclose(f64(c.output), TOL);
    const [gx, gt] = pb(f64(c.cotangent));
    expect(gx).toBeAllclose(f64(c.input_grads[0]!), TOL);
    expect(gt).toBeAllclose(f64(c.input_grads[1]!), TOL);
  });

  it('softmaxCrossEntropy', () => {
    const c = fixtureCase('softmaxCrossEntropy');
    const labels = i32(c.kwargs.labels!);
    const [y, pb] = vjp((x: Tensor) => softmaxCrossEntropy(x, labels), f64(c.inputs[0]!));
    expect(y).toBeAllclose(f64(c.output), TOL);
    const [gx] = pb(f64(c.cotangent));
    expect(gx).toBeAllclose(f64(c.input_grads[0]!), TOL);
  });
});

describe('meanSquaredError and meanAbsoluteError', () => {
  it('average over all elements (Chainer), by hand', () => {
    const x = F64([[1, -2], [0, 3]]);
    const t = F64([[0.5, 0.5], [0, 1]]);
    expect(meanSquaredError(x, t)).toBeAllclose((0.25 + 6.25 + 0 + 4) / 4, { rtol: 1e-15 });
    expect(meanAbsoluteError(x, t)).toBeAllclose((0.5 + 2.5 + 0 + 2) / 4, { rtol: 1e-15 });
    expect(meanSquaredError(x, t).shape).toEqual([]);
  });

  it('reject shape and dtype mismatches, naming themselves', () => {
    expect(() => meanSquaredError(F64([1, 2]), F64([[1, 2]]))).toThrow(ShapeError);
    expect(() => meanSquaredError(F64([1, 2]), F64([[1, 2]]))).toThrow(/^meanSquaredError: .*\[2\] and \[1, 2\]/);
    expect(() => meanAbsoluteError(F64([1, 2]), tensor([1, 2]))).toThrow(/^meanAbsoluteError: .*dtypes differ/);
    expect(() => meanSquaredError(i32([1, 2]), i32([1, 2]))).toThrow(DTypeError);
  });

  it('gradients match finite differences', () => {
    const pair = shape({ minRank: 1 }).chain((s) => fc.tuple(tensorOf(s), tensorOf(s, { minAbs: 0.05 })));
    fc.assert(
      fc.property(pair, ([x, d]) => {
        const t = sub(x, d); // |x − t| ≥ 0.05: away from abs's kink
        checkGrad(meanSquaredError, [x, t], { order: 2 });
        checkGrad(meanAbsoluteError, [x, t]);
      }),
      { numRuns: 30 },
    );
  });
});

describe('huberLoss', () => {
  const x = F64([[0, 0.5, 3], [-2, 1, 0.2]]);
  const t = zeros([2, 3], 'float64');

  it("sums along axis 1 by default, as Chainer's huber_loss (hand-derived values)", () => {
    // ½d² for |d| ≤ δ, δ(|d| − ½δ) above. δ = 1: [0, .125, 2.5] and [1.5, .5, .02].
    expect(huberLoss(x, t)).toBeAllclose([2.625, 2.02], { rtol: 1e-14 });
    // δ = 2: [0, .125, 4] and [2, .5, .02].
    expect(huberLoss(x, t, 2)).toBeAllclose([4.125, 2.52], { rtol: 1e-14 });
    expect(huberLoss(x, t, 1, { reduce: 'no' })).toBeAllclose([[0, 0.125, 2.5], [1.5, 0.5, 0.02]], { rtol: 1e-14 });
    expect(huberLoss(F64([[[1, 2], [3, 4]]]), zeros([1, 2, 2], 'float64')).shape).toEqual([1, 2]);
  });

  it('has gradient clip(x − t, −δ, δ)', () => {
    const [, pb] = vjp((x: Tensor) => huberLoss(x, t), x);
    const [gx] = pb(F64([1, 1]));
    expect(gx).toBeAllclose([[0, 0.5, 1], [-1, 1, 0.2]], { rtol: 1e-15 });
  });

  it('validates its inputs', () => {
    expect(() => huberLoss(F64([1, 2]), F64([1, 2]))).toThrow(/^huberLoss: .*at least 2 axes/);
    expect(huberLoss(F64([1, 2]), F64([1, 4]), 1, { reduce: 'no' })).toBeAllclose([0, 1.5]);
    expect(() => huberLoss(x, t, 0)).toThrow(ValueError);
    expect(() => huberLoss(x, F64([1, 2]))).toThrow(ShapeError);
    // @ts-expect-error not a reduce mode
    expect(() => huberLoss(x, t, 1, { reduce: 'mean' })).toThrow(/^huberLoss: reduce/);
  });

  it('gradients match finite differences away from |x − t| = δ', () => {
    const arb = fc.tuple(shape({ minRank: 2, maxRank: 3 }), fc.double({ min: 0.3, max: 2, noNaN: true })).chain(([s, delta]) =>
      fc.tuple(
        tensorOf(s),
        // Push differences within 0.05 of ±δ away from the kink.
        tensorOf(s, { min: -3, max: 3 }).map((d) =>
          tensor(
            Float64Array.from(d.data, (v) => (Math.abs(Math.abs(v) - delta) < 0.05 ? v + 0.1 * Math.sign(v || 1) : v)),
            { dtype: 'float64', shape: d.shape },
          ),
        ),
        fc.constant(delta),
      ),
    );
    fc.assert(
      fc.property(arb, ([x, d, delta]) => {
        checkGrad((x, t) => huberLoss(x, t, delta), [x, sub(x, d)]);
      }),
      { numRuns: 30 },
    );
  });
});

describe('softmaxCrossEntropy', () => {
  const logits = F64([[1, 2, 0.5], [0.1, -1, 2], [3, 0, -2], [0, 0, 0]]);
  const logSm = (row: number[], k: number): number => row[k]! - Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
  const rows = logits.toArray() as number[][];

  it('is −mean log softmax at the labels', () => {
    const expected = -(logSm(rows[0]!, 1) + logSm(rows[1]!, 2) + logSm(rows[2]!, 0) + logSm(rows[3]!, 2)) / 4;
    expect(softmaxCrossEntropy(logits, i32([1, 2, 0, 2]))).toBeAllclose(expected, { rtol: 1e-14 });
  });

  it('ignores labels equal to ignoreLabel (−1 by default): no loss, not counted', () => {
    const expected = -(logSm(rows[0]!, 1) + logSm(rows[2]!, 0)) / 2;
    expect(softmaxCrossEntropy(logits, i32([1, -1, 0, -1]))).toBeAllclose(expected, { rtol: 1e-14 });
    expect(softmaxCrossEntropy(logits, i32([1, 2, 0, 2]), { ignoreLabel: 2 })).toBeAllclose(expected, { rtol: 1e-14 });
    // normalize: false divides by the batch size instead.
    expect(softmaxCrossEntropy(logits, i32([1, -1, 0, -1]), { normalize: false })).toBeAllclose(expected / 2, { rtol: 1e-14 });
    // Ignored rows get no gradient; the others get (softmax − onehot) / count.
    const [, pb] = vjp((x: Tensor) => softmaxCrossEntropy(x, i32([1, -1, 0, -1])), logits);
    const [g] = pb(tensor(1, { dtype: 'float64' }));
    const want = div(sub(softmax(logits), oneHot(i32([1, -1, 0, -1]), 3, 'float64')), 2).toArray() as number[][];
    want[1] = [0, 0, 0];
    want[3] = [0, 0, 0];
    expect(g).toBeAllclose(want, { rtol: 1e-13, atol: 1e-16 });
  });

  it('is 0 with zero gradient when every label is ignored', () => {
    const labels = i32([-1, -1, -1, -1]);
    expect(softmaxCrossEntropy(logits, labels)).toBeAllclose(0, { atol: 0 });
    expect(grad((x: Tensor) => softmaxCrossEntropy(x, labels))(logits)).toBeAllclose(zeros([4, 3], 'float64'), { atol: 0 });
  });

  it("reduce: 'no' gives the per-label loss with 0 where ignored", () => {
    const y = softmaxCrossEntropy(logits, i32([1, -1, 0, 2]), { reduce: 'no' });
    expect(y).toBeAllclose([-logSm(rows[0]!, 1), 0, -logSm(rows[2]!, 0), -logSm(rows[3]!, 2)], { rtol: 1e-14 });
  });

  it('takes [N, C, d...] logits with [N, d...] labels (class axis 1, as Chainer)', () => {
    // [2, 3, 2]: move the class axis last and flatten, then compare with the 2-D form.
    const x = F64([[[1, 2], [0.5, -1], [0, 3]], [[2, 2], [1, 0], [-1, 0.3]]]);
    const t = i32([[0, 2], [1, -1]]);
    const flat = reshape(transpose(x, [0, 2, 1]), [4, 3]);
    expect(softmaxCrossEntropy(x, t)).toBeAllclose(softmaxCrossEntropy(flat, i32([0, 2, 1, -1])), { rtol: 1e-14 });
    expect(softmaxCrossEntropy(x, t, { reduce: 'no' }).shape).toEqual([2, 2]);
  });

  it('validates labels and shapes', () => {
    expect(() => softmaxCrossEntropy(logits, F64([1, 2, 0, 2]))).toThrow(DTypeError);
    expect(() => softmaxCrossEntropy(logits, i32([1, 2, 0]))).toThrow(/^softmaxCrossEntropy: logits \[4, 3\].*labels must be \[4\], got \[3\]/);
    expect(() => softmaxCrossEntropy(F64([1, 2]), i32([1]))).toThrow(ShapeError);
    expect(() => softmaxCrossEntropy(logits, i32([1, 3, 0, 2]))).toThrow(/^softmaxCrossEntropy: label 3 at flat index 1 must be a class in \[0, 3\)/);
    expect(() => softmaxCrossEntropy(logits, i32([1, -2, 0, 2]))).toThrow(ValueError);
  });

  it('gradients (and second derivatives) match finite differences', () => {
    const arb = fc
      .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 2, max: 5 }))
      .chain(([n, c]) => fc.tuple(tensorOf([n, c], { min: -4, max: 4 }), fc.array(fc.integer({ min: -1, max: c - 1 }), { minLength: n, maxLength: n })));
    fc.assert(
      fc.property(arb, ([x, labels]) => {
        checkGrad((x) => softmaxCrossEntropy(x, i32(labels)), [x], { order: 2 });
      }),
      { numRuns: 30 },
    );
  });
});

describe('sigmoidCrossEntropy', () => {
  const x = F64([[-2, 3, 0.5], [5, 2, -0.5]]);
  const t = i32([[0, 1, 0], [1, 1, -1]]);
  // softplus(x) − t·x per element, t = −1 ignored.
  const terms = [softplus(-2), softplus(3) - 3, softplus(0.5), softplus(5) - 5, softplus(2) - 2];
  const total = terms.reduce((a, b) => a + b, 0);

  it("matches Chainer's documented example (0.25664714, 0.64161783)", () => {
    expect(sigmoidCrossEntropy(x, t)).toBeAllclose(total / 5, { rtol: 1e-14 });
    expect(sigmoidCrossEntropy(x, t).item()).toBeCloseTo(0.25664714, 7);
    expect(sigmoidCrossEntropy(x, t, { normalize: false }).item()).toBeCloseTo(0.64161783, 7);
    expect(sigmoidCrossEntropy(x, t, { reduce: 'no' })).toBeAllclose(
      [[terms[0]!, terms[1]!, terms[2]!], [terms[3]!, terms[4]!, 0]],
      { rtol: 1e-14 },
    );
  });

  it('is stable for large logits, and 0 when everything is ignored', () => {
    const big = F64([[1000, -1000]]);
    expect(sigmoidCrossEntropy(big, i32([[1, 0]]))).toBeAllclose(0, { atol: 1e-300 });
    expect(sigmoidCrossEntropy(big, i32([[0, 1]]))).toBeAllclose(1000, { rtol: 1e-15 });
    expect(sigmoidCrossEntropy(big, i32([[-1, -1]]))).toBeAllclose(0, { atol: 0 });
  });

  it('validates targets', () => {
    expect(() => sigmoidCrossEntropy(x, i32([[0, 1, 2], [1, 1, -1]]))).toThrow(/^sigmoidCrossEntropy: label 2 .* must be 0 or 1/);
    expect(() => sigmoidCrossEntropy(x, i32([0, 1]))).toThrow(ShapeError);
    expect(() => sigmoidCrossEntropy(x, x)).toThrow(DTypeError);
  });

  it('gradients match finite differences', () => {
    const arb = shape({ minRank: 1 }).chain((s) => fc.tuple(tensorOf(s, { min: -5, max: 5 }), tensorOf(s, { dtype: 'int32', min: -1, max: 1 })));
    fc.assert(
      fc.property(arb, ([x, t]) => {
        checkGrad((x) => sigmoidCrossEntropy(x, t), [x], { order: 2 });
        checkGrad((x) => sigmoidCrossEntropy(x, t, { normalize: false }), [x]);
      }),
      { numRuns: 30 },
    );
  });
});

describe('accuracy', () => {
  const logits = tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.5, 0.5]]);

  it('is the fraction of argmax hits (ties pick the first class), in the logits dtype', () => {
    const a = accuracy(logits, i32([1, 1, 1, 0]));
    expect(a.dtype).toBe('float32');
    expect(a.item()).toBe(0.75);
  });

  it('leaves out ignored labels; nothing left gives 0', () => {
    expect(accuracy(logits, i32([1, -1, 1, 0]), { ignoreLabel: -1 }).item()).toBe(1);
    expect(accuracy(logits, i32([-1, -1, -1, -1]), { ignoreLabel: -1 }).item()).toBe(0);
    // Without ignoreLabel (Chainer's default None) −1 is just a wrong label.
    expect(accuracy(logits, i32([1, -1, 1, 0])).item()).toBe(0.75);
  });

  it('handles [N, C, d] logits and has no gradient', () => {
    const x = F64([[[1, 0], [0, 1]], [[0, 1], [1, 0]]]); // argmax over axis 1: [[0, 1], [1, 0]]
    expect(accuracy(x, i32([[0, 1], [0, 0]])).item()).toBe(0.75);
    expect(grad((x: Tensor) => accuracy(x, i32([[0, 1], [0, 0]])))(x)).toBeAllclose(zeros([2, 2, 2], 'float64'), { atol: 0 });
    expect(() => accuracy(x, i32([0, 1]))).toThrow(ShapeError);
  });
});
