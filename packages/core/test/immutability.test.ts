/**
 * Tensors are immutable: no public op (shape ops and autodiff included) changes the values, shape
 * or dtype of a tensor it is given or of a tensor it returned earlier, even where outputs share
 * storage with inputs (reshape, stopGradient, ...). Ops also must not hold on to caller-owned
 * containers (arrays of tensors, parameter trees) that the caller may go on to change.
 */
import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  Tensor,
  abs,
  add,
  argmax,
  argmin,
  astype,
  broadcastTo,
  clip,
  concat,
  cos,
  customVjp,
  div,
  dot,
  equal,
  exp,
  expandDims,
  grad,
  greater,
  greaterEqual,
  hvp,
  leakyRelu,
  less,
  lessEqual,
  log,
  logSoftmax,
  logsumexp,
  matmul,
  max,
  maximum,
  mean,
  meanSquaredError,
  min,
  minimum,
  mul,
  neg,
  notEqual,
  oneHot,
  ones,
  onesLike,
  outer,
  pow,
  relu,
  reshape,
  sigmoid,
  sign,
  sin,
  slice,
  softmax,
  softplus,
  sqrt,
  square,
  squeeze,
  stack,
  stopGradient,
  sub,
  sum,
  take,
  tanh,
  tensor,
  transpose,
  tree,
  valueAndGrad,
  vjp,
  where,
  zeros,
  zerosLike,
  type DType,
  type ReadonlyTypedArray,
} from '@fluxion/core';
import { broadcastablePair, shape, tensorOf } from '@fluxion/core/testing';

// ---------------------------------------------------------------------------------------------
// Snapshots

interface Snap {
  readonly shape: number[];
  readonly dtype: DType;
  readonly bytes: number[];
}

/** Shape, dtype and the exact bytes of the data (NaN payloads and −0 included). */
function snap(t: Tensor): Snap {
  return { shape: [...t.shape], dtype: t.dtype, bytes: Array.from(new Uint8Array(t.toTypedArray().buffer)) };
}

/** Every tensor in a value (a tensor, or a tree of them). */
function tensorsIn(x: unknown): Tensor[] {
  return (tree.leaves(x as unknown) as unknown[]).filter((l): l is Tensor => l instanceof Tensor);
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const S = { maxRank: 3, maxDim: 3 } as const;
const floatDT = fc.constantFrom<DType>('float32', 'float64');
const numericDT = fc.constantFrom<DType>('float32', 'float64', 'int32');
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

const floatT = (s: fc.Arbitrary<number[]> | number[] = shape(S), opts: { min?: number; max?: number } = {}) =>
  floatDT.chain((dtype) => tensorOf(s, { dtype, ...opts }));
const numericT = (s: fc.Arbitrary<number[]> | number[] = shape(S)) => numericDT.chain((dtype) => tensorOf(s, { dtype, min: -5, max: 5 }));
/** Two tensors of one dtype with broadcastable shapes. */
const pairOf = (dts: fc.Arbitrary<DType>) =>
  fc.tuple(broadcastablePair(S), dts).chain(([[sa, sb], dtype]) => fc.tuple(tensorOf(sa, { dtype }), tensorOf(sb, { dtype })));

/** A call of an op: the tensors it is given (to watch) and the call itself. */
interface Call {
  readonly inputs: readonly Tensor[];
  readonly run: () => unknown;
}

const unary = (arb: fc.Arbitrary<Tensor>, f: (x: Tensor) => unknown): fc.Arbitrary<Call> =>
  arb.map((x) => ({ inputs: [x], run: () => f(x) }));
const binary = (arb: fc.Arbitrary<[Tensor, Tensor]>, f: (a: Tensor, b: Tensor) => unknown): fc.Arbitrary<Call> =>
  arb.map(([a, b]) => ({ inputs: [a, b], run: () => f(a, b) }));
/** With an axis argument for the tensor's rank. */
const withAxis = (arb: fc.Arbitrary<Tensor>, f: (x: Tensor, axis: number | undefined) => unknown, minRank = 0): fc.Arbitrary<Call> =>
  arb
    .filter((x) => x.ndim >= minRank)
    .chain((x) => fc.tuple(fc.constant(x), fc.option(fc.integer({ min: -x.ndim, max: Math.max(x.ndim - 1, -x.ndim) }), { nil: undefined })))
    .map(([x, axis]) => ({ inputs: [x], run: () => f(x, x.ndim === 0 ? undefined : axis) }));

const float64T = (s: fc.Arbitrary<number[]> | readonly number[] = shape(S)) => tensorOf(s, { dtype: 'float64' });

const ops: Record<string, fc.Arbitrary<Call>> = {
  // elementwise
  neg: unary(numericT(), neg),
  exp: unary(floatT(), exp),
  log: unary(floatT(), log),
  sqrt: unary(floatT(), sqrt),
  sign: unary(numericT(), sign),
  abs: unary(numericT(), abs),
  sin: unary(floatT(), sin),
  cos: unary(floatT(), cos),
  tanh: unary(floatT(), tanh),
  sigmoid: unary(floatT(), sigmoid),
  softplus: unary(floatT(), softplus),
  relu: unary(numericT(), relu),
  leakyRelu: unary(floatT(), (x) => leakyRelu(x, 0.1)),
  square: unary(numericT(), square),
  add: binary(pairOf(numericDT), add),
  sub: binary(pairOf(numericDT), sub),
  mul: binary(pairOf(numericDT), mul),
  div: binary(pairOf(floatDT), div),
  pow: binary(pairOf(floatDT), pow),
  maximum: binary(pairOf(numericDT), maximum),
  minimum: binary(pairOf(numericDT), minimum),
  greater: binary(pairOf(numericDT), greater),
  greaterEqual: binary(pairOf(numericDT), greaterEqual),
  less: binary(pairOf(numericDT), less),
  lessEqual: binary(pairOf(numericDT), lessEqual),
  equal: binary(pairOf(fc.constantFrom<DType>('float32', 'int32', 'bool')), equal),
  notEqual: binary(pairOf(fc.constantFrom<DType>('float64', 'int32', 'bool')), notEqual),
  where: fc
    .tuple(pairOf(numericDT), shape({ maxRank: 2, maxDim: 1 }))
    .chain(([[a, b], sc]) => tensorOf(sc, { dtype: 'bool' }).map((c) => ({ inputs: [c, a, b], run: () => where(c, a, b) }))),
  clip: fc.tuple(pairOf(numericDT), fc.integer({ min: -2, max: 2 })).map(([[x, lo], hi]) => ({ inputs: [x, lo], run: () => clip(x, lo, hi) })),
  // reductions
  sum: withAxis(numericT(), (x, a) => sum(x, a, true)),
  mean: withAxis(floatT(), (x, a) => mean(x, a)),
  max: withAxis(numericT(shape({ ...S, minDim: 1 })), (x, a) => max(x, a)),
  min: withAxis(numericT(shape({ ...S, minDim: 1 })), (x, a) => min(x, a, true)),
  logsumexp: withAxis(floatT(), (x, a) => logsumexp(x, a)),
  argmax: withAxis(numericT(), (x, a) => argmax(x, a)),
  argmin: withAxis(numericT(), (x, a) => argmin(x, a)),
  // linear algebra
  matmul: fc
    .tuple(floatDT, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), shape({ maxRank: 1, maxDim: 2 }))
    .chain(([dtype, m, k, n, batch]) => fc.tuple(tensorOf([...batch, m, k], { dtype }), tensorOf([k, n], { dtype })))
    .map(([a, b]) => ({ inputs: [a, b], run: () => matmul(a, b) })),
  dot: fc
    .tuple(floatDT, fc.integer({ min: 1, max: 4 }))
    .chain(([dtype, n]) => fc.tuple(tensorOf([n], { dtype }), tensorOf([n], { dtype })))
    .map(([a, b]) => ({ inputs: [a, b], run: () => dot(a, b) })),
  outer: binary(fc.tuple(floatDT, shape(S), shape(S)).chain(([dtype, sa, sb]) => fc.tuple(tensorOf(sa, { dtype }), tensorOf(sb, { dtype }))), outer),
  meanSquaredError: fc
    .tuple(floatDT, shape(S))
    .chain(([dtype, s]) => fc.tuple(tensorOf(s, { dtype }), tensorOf(s, { dtype })))
    .map(([x, t]) => ({ inputs: [x, t], run: () => [meanSquaredError(x, t), grad((u: Tensor) => meanSquaredError(u, t))(x)] })),
  // shape ops (several share storage with their input)
  reshape: unary(numericT(), (x) => reshape(x, [-1])),
  transpose: unary(numericT(), (x) => transpose(x)),
  broadcastTo: unary(numericT(), (x) => broadcastTo(x, [2, ...x.shape])),
  expandDims: unary(numericT(), (x) => expandDims(x, 0)),
  squeeze: unary(numericT(shape({ maxRank: 3, maxDim: 2 })), (x) => squeeze(x)),
  concat: numericDT
    .chain((dtype) => fc.array(tensorOf([2, 2], { dtype }), { minLength: 1, maxLength: 3 }))
    .map((xs) => ({ inputs: xs, run: () => concat(xs, 1) })),
  stack: numericDT
    .chain((dtype) => fc.array(tensorOf([3], { dtype }), { minLength: 1, maxLength: 3 }))
    .map((xs) => ({ inputs: xs, run: () => stack(xs, -1) })),
  slice: unary(numericT(shape({ minRank: 1, maxRank: 3, maxDim: 4 })), (x) => slice(x, [1], [null], [-1])),
  take: numericT(shape({ minRank: 1, maxRank: 3 }))
    .chain((x) => {
      const n = x.shape[0]!;
      return tensorOf([3], { dtype: 'int32', min: -n, max: n - 1 }).map((idx) => ({ inputs: [x, idx], run: () => take(x, idx, 0) }));
    }),
  // activations, casts
  softmax: withAxis(floatT(), (x, a) => softmax(x, a), 1),
  logSoftmax: withAxis(floatT(), (x, a) => logSoftmax(x, a), 1),
  oneHot: unary(tensorOf(shape(S), { dtype: 'int32', min: -1, max: 4 }), (x) => oneHot(x, 4)),
  astype: fc
    .tuple(tensorOf(shape(S), { dtype: 'float64' }), fc.constantFrom<DType>('float32', 'float64', 'int32', 'bool'))
    .map(([x, dtype]) => ({ inputs: [x], run: () => astype(x, dtype) })),
  stopGradient: unary(numericT(), stopGradient),
  zerosLike: unary(numericT(), zerosLike),
  onesLike: unary(numericT(), onesLike),
  // autodiff: the primal values, the cotangents and the tangent vectors are all inputs
  vjp: fc
    .tuple(float64T(), fc.nat())
    .chain(([x]) => float64T(x.shape).map((ct) => [x, ct] as const))
    .map(([x, ct]) => ({
      inputs: [x, ct],
      run: () => {
        const [y, pb] = vjp((t: Tensor) => mul(reshape(stopGradient(t), [-1]), reshape(sin(t), [-1])), x);
        return [y, pb(reshape(ct, [-1]))];
      },
    })),
  grad: float64T().map((x) => ({ inputs: [x], run: () => grad((t: Tensor) => sum(mul(expandDims(t, 0), t)))(x) })),
  valueAndGrad: fc
    .tuple(float64T([2, 3]), float64T([3]))
    .map(([W, b]) => ({
      inputs: [W, b],
      run: () => valueAndGrad((p: { W: Tensor; b: Tensor }) => sum(square(add(p.W, p.b))))({ W, b }),
    })),
  hvp: float64T()
    .chain((x) => float64T(x.shape).map((v) => [x, v] as const))
    .map(([x, v]) => ({ inputs: [x, v], run: () => hvp((t: Tensor) => sum(mul(exp(t), reshape(t, t.shape))), x, v) })),
  customVjp: float64T().map((x) => {
    const f = customVjp((t: Tensor) => stopGradient(t), (g) => [g]);
    return { inputs: [x], run: () => [f(x), grad((t: Tensor) => sum(f(t)))(x)] };
  }),
};

/** Further uses of an op's outputs: more ops and a gradient through them. */
function consume(outs: readonly Tensor[]): void {
  for (const y of outs) {
    reshape(y, [-1]);
    stopGradient(y);
    if (y.dtype === 'float32' || y.dtype === 'float64') {
      grad((t: Tensor) => sum(mul(reshape(t, [-1]), 2)))(y);
      add(y, 1);
    }
  }
}

describe('no op changes the tensors it is given or the ones it returned', () => {
  for (const [name, arb] of Object.entries(ops)) {
    it(name, () => {
      fc.assert(
        fc.property(arb, ({ inputs, run }) => {
          const before = inputs.map(snap);
          const outs = tensorsIn(run());
          expect(outs.length).toBeGreaterThan(0);
          expect(inputs.map(snap)).toEqual(before);
          const outBefore = outs.map(snap);
          // Running the op again and consuming the outputs changes neither inputs nor outputs.
          run();
          consume(outs);
          expect(inputs.map(snap)).toEqual(before);
          expect(outs.map(snap)).toEqual(outBefore);
          // Shapes stay frozen.
          for (const t of [...inputs, ...outs]) expect(Object.isFrozen(t.shape)).toBe(true);
        }),
        { numRuns: 25 },
      );
    });
  }
});

describe('copies in and out', () => {
  it('tensor() copies its argument; toTypedArray() returns a copy, also of a view', () => {
    fc.assert(
      fc.property(shape(S), fc.array(fc.double({ min: -9, max: 9, noNaN: true }), { minLength: 27, maxLength: 27 }), (s, vals) => {
        const n = s.reduce((a, b) => a * b, 1);
        const src = new Float64Array(vals.slice(0, n));
        const nested = Array.from(src);
        const t = tensor(src, { shape: s });
        const u = tensor(nested, { shape: s, dtype: 'float64' });
        const before = snap(t);
        src.fill(42);
        nested.fill(42);
        expect(snap(t)).toEqual(before);
        expect(snap(u)).toEqual(before);
        // A view's copy is not the input's storage.
        for (const view of [reshape(t, [-1]), stopGradient(t), expandDims(t, 0), astype(t, 'float64')]) {
          const copy = view.toTypedArray();
          copy.fill(-7);
          expect(snap(t)).toEqual(before);
        }
      }),
      { numRuns: 30 },
    );
  });

  it('data is typed read-only, on views too', () => {
    const x = tensor([1, 2, 3]);
    for (const y of [x, reshape(x, [3, 1]), stopGradient(x), expandDims(x, 0)]) {
      expectTypeOf(y.data).toEqualTypeOf<ReadonlyTypedArray>();
      expectTypeOf(y.data).not.toHaveProperty('set');
      expectTypeOf(y.data).not.toHaveProperty('fill');
      expectTypeOf(y.data).not.toHaveProperty('copyWithin');
      expectTypeOf(y.data).not.toHaveProperty('sort');
      expectTypeOf(y.data).not.toHaveProperty('reverse');
    }
    // Never called: these lines only have to fail to type-check.
    const mutate = (t: Tensor): void => {
      // @ts-expect-error: the data is read-only
      t.data[0] = 5;
      // @ts-expect-error: no set
      t.data.set([1]);
      // @ts-expect-error: shapes are read-only
      t.shape[0] = 2;
      // @ts-expect-error: so is the dtype
      t.dtype = 'int32';
    };
    void mutate;
    expect(x.toArray()).toEqual([1, 2, 3]);
  });
});

describe('ops do not keep caller-owned containers', () => {
  it('concat: changing the array of parts afterwards changes neither the result nor its gradient', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(float64T([n]), float64T([n]))),
        ([x, other]) => {
          const [y, pb] = vjp((t: Tensor) => {
            const parts = [t, mul(t, 2)];
            const out = concat(parts);
            // The caller reuses its array.
            parts.push(t);
            parts[0] = other;
            return out;
          }, x);
          expect(y).toBeAllclose(concat([x, mul(x, 2)]), { rtol: 0, atol: 0 });
          const [g] = pb(ones(y.shape, 'float64'));
          expect(g).toBeAllclose(mul(onesLike(x), 3), { rtol: 0, atol: 0 });
        },
      ),
      { numRuns: 25 },
    );
  });

  it('shape arguments changed after the call do not reach the result', () => {
    fc.assert(
      fc.property(float64T(shape({ minRank: 1, maxRank: 3 })), (x) => {
        const target = [...x.shape].reverse();
        const r = reshape(x, target);
        const bshape = [2, ...x.shape];
        const b = broadcastTo(x, bshape);
        const perm = range(x.ndim).reverse();
        const tr = transpose(x, perm);
        const starts = x.shape.map(() => 0);
        const s = slice(x, starts);
        const axes = [0];
        const m = sum(x, axes);
        const want = [r, b, tr, s, m].map(snap);
        target.fill(1);
        bshape[0] = 7;
        perm.fill(0);
        starts.fill(1);
        axes[0] = 9;
        expect([r, b, tr, s, m].map(snap)).toEqual(want);
        // ... nor the gradients: the arrays are changed after the ops ran, before the backward pass.
        const [, pb] = vjp((t: Tensor) => {
          const tgt = [...t.shape].reverse();
          const p = range(t.ndim).reverse();
          const steps = t.shape.map(() => -1);
          const ax = [0];
          const lead = [2, ...t.shape];
          const parts = [reshape(t, tgt), transpose(t, p), slice(t, [], [], steps), sum(t, ax), broadcastTo(t, lead)];
          tgt.fill(1);
          p.fill(0);
          steps.fill(2);
          ax[0] = 9;
          lead[0] = 5;
          return parts.reduce<Tensor>((acc, q) => add(acc, sum(q)), tensor(0, { dtype: 'float64' }));
        }, x);
        const [g] = pb(tensor(1, { dtype: 'float64' }));
        expect(g).toBeAllclose(mul(onesLike(x), 6), { rtol: 0, atol: 0 });
      }),
      { numRuns: 25 },
    );
  });

  it('vjp: changing the argument tree between the call and the pullback does not change the gradient tree', () => {
    fc.assert(
      fc.property(float64T(shape(S)), float64T(shape(S)), (a, b) => {
        const params: Record<string, Tensor> = { a, b };
        const [, pb] = vjp((p: Record<string, Tensor>) => add(sum(square(p.a!)), sum(p.b!)), params);
        // The caller updates its tree in place, as an optimizer loop might.
        params.c = a;
        delete params.b;
        params.a = zerosLike(a);
        const [g] = pb(tensor(3, { dtype: 'float64' }));
        expect(Object.keys(g).sort()).toEqual(['a', 'b']);
        expect(g.a).toBeAllclose(mul(a, 6), { rtol: 0, atol: 0 });
        expect(g.b).toBeAllclose(mul(onesLike(b), 3), { rtol: 0, atol: 0 });
      }),
      { numRuns: 25 },
    );
  });

  it('vjp: the pullback refuses a cotangent tree whose structure differs from the output', () => {
    fc.assert(
      fc.property(float64T(shape(S)), (x) => {
        const [y, pb] = vjp((t: Tensor) => ({ s: sin(t), c: cos(t) }), x);
        // Same number of leaves and shapes, other structure.
        expect(() => pb({ u: y.s, v: y.c } as unknown as typeof y)).toThrow(/vjp/);
        expect(() => pb([y.s, y.c] as unknown as typeof y)).toThrow(/vjp/);
        expect(() => pb({ s: y.s, c: y.c })).not.toThrow();
      }),
      { numRuns: 15 },
    );
  });
});
