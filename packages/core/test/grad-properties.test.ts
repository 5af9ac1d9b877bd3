/**
 * Gradients of every differentiable op against finite differences (one table, keyed by op name,
 * that must cover every primitive with a backward rule), the non-differentiable primitives, and
 * the behaviour of the autodiff API itself (nesting, trees, argnums, aux, custom rules, dtypes).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DTypeError,
  FluxionError,
  ShapeError,
  TreeStructureError,
  Tensor,
  ValueError,
  abs,
  add,
  argmax,
  argmin,
  astype,
  broadcastShapes,
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
  full,
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
  ones,
  onesLike,
  outer,
  pow,
  primitives,
  relu,
  reshape,
  sigmoid,
  sign,
  sin,
  slice,
  softmax,
  softplus,
  erf,
  erfc,
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
  type Axis,
} from '@fluxion/core';
import { broadcastablePair, checkGrad, shape, tensorOf } from '@fluxion/core/testing';

// ---------------------------------------------------------------------------------------------
// Arbitraries

interface FloatOpts {
  readonly min?: number;
  readonly max?: number;
  /** Keep |x| at least this far from 0. */
  readonly minAbs?: number;
  /** Only values spread over [min, max] (for ops that need distinct values: max, maximum, clip). */
  readonly spread?: boolean;
}

const GRID = 4000;

/**
 * float64 tensors from `tensorOf`. fast-check's doubles cluster at ±0 (most draws are below
 * 1e-100 in magnitude), which hides rules that are only wrong away from 0 (sin′ = cos ≈ 1 there)
 * and makes ties common, so half of the draws come from an int32 `tensorOf` mapped evenly onto
 * [min, max].
 */
function floats(shp: readonly number[] | fc.Arbitrary<number[]>, opts: FloatOpts = {}): fc.Arbitrary<Tensor> {
  const { min = -2, max = 2, minAbs = 0, spread = false } = opts;
  const grid = tensorOf(shp, { dtype: 'int32', min: 0, max: GRID }).map((t) => {
    const d = t.data;
    const out = new Float64Array(t.size);
    for (let i = 0; i < out.length; i++) {
      const v = min + ((max - min) * d[i]!) / GRID;
      out[i] = minAbs > 0 && Math.abs(v) < minAbs ? (v < 0 ? -minAbs : minAbs) : v;
    }
    return tensor(out, { shape: t.shape });
  });
  return spread ? grid : fc.oneof(tensorOf(shp, { dtype: 'float64', min, max, minAbs }), grid);
}

const SMALL = { maxRank: 3, maxDim: 3 } as const;
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** A shape `out` can be broadcast from: leading axes dropped, some axes turned into 1. */
function sideOf(out: readonly number[]): fc.Arbitrary<number[]> {
  return fc
    .tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
    .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
}

/** Axis arguments of reductions for a rank: undefined, one axis, or a list (negatives too). */
function axisArb(rank: number): fc.Arbitrary<number | number[] | undefined> {
  const list = fc
    .shuffledSubarray(range(rank))
    .chain((axes) => fc.tuple(...axes.map((a) => fc.boolean().map((n) => (n ? a - rank : a)))))
    .map((xs): number[] => [...xs]);
  const arbs: fc.Arbitrary<number | number[] | undefined>[] = [fc.constant(undefined), list];
  if (rank > 0) arbs.push(fc.integer({ min: -rank, max: rank - 1 }));
  return fc.oneof(...arbs);
}

function normAxes(axis: Axis, rank: number): number[] {
  if (axis === undefined) return range(rank);
  return (typeof axis === 'number' ? [axis] : [...axis]).map((a) => (a < 0 ? a + rank : a));
}

/** Indices of `x` grouped by the output position a reduction over `axes` sends them to. */
function groups(x: Tensor, axes: readonly number[]): number[][] {
  const byKey = new Map<string, number[]>();
  for (let i = 0; i < x.size; i++) {
    let rem = i;
    const key: number[] = [];
    for (let ax = x.ndim - 1; ax >= 0; ax--) {
      const n = x.shape[ax]!;
      if (!axes.includes(ax)) key.push(rem % n);
      rem = Math.floor(rem / n);
    }
    const k = key.join(',');
    const g = byKey.get(k);
    if (g) g.push(i);
    else byKey.set(k, [i]);
  }
  return [...byKey.values()];
}

/** True when, within every group reduced together over `axes`, values are at least `gap` apart. */
function tieFree(x: Tensor, axes: readonly number[], gap: number): boolean {
  const d = x.data;
  return groups(x, axes).every((g) => {
    const v = g.map((i) => d[i]!).sort((a, b) => a - b);
    return v.every((e, i) => i === 0 || e - v[i - 1]! >= gap);
  });
}

/** Smallest |a − b| after broadcasting (Infinity when empty). */
function minGap(a: Tensor, b: Tensor): number {
  const d = abs(sub(a, b));
  return d.size === 0 ? Infinity : min(d).item();
}

// ---------------------------------------------------------------------------------------------
// The gradient table

/** A function of float64 tensors and the point to check its gradient at. */
interface Case {
  readonly f: (...xs: Tensor[]) => Tensor;
  readonly xs: readonly Tensor[];
  /** Attributes (axes, perms, ...) for the counterexample report. */
  readonly attrs?: unknown;
}

interface GradEntry {
  readonly arb: fc.Arbitrary<Case>;
  /** 2 for smooth ops; kinked ops too where their (zero) second derivative checks out. */
  readonly order: 1 | 2;
  readonly rtol?: number;
  readonly atol?: number;
  readonly eps?: number;
  readonly numRuns?: number;
}

const unary = (f: (x: Tensor) => Tensor, opts: FloatOpts = {}, order: 1 | 2 = 2): GradEntry => ({
  order,
  arb: floats(shape(SMALL), opts).map((x) => ({ f, xs: [x] })),
});

const binary = (f: (a: Tensor, b: Tensor) => Tensor, aOpts: FloatOpts = {}, bOpts: FloatOpts = {}): GradEntry => ({
  order: 2,
  arb: broadcastablePair(SMALL)
    .chain(([sa, sb]) => fc.tuple(floats(sa, aOpts), floats(sb, bOpts)))
    .map(([a, b]) => ({ f, xs: [a, b] })),
});

/** maximum / minimum away from ties (after broadcasting). */
const noTieBinary = (f: (a: Tensor, b: Tensor) => Tensor): GradEntry => ({
  order: 2,
  arb: broadcastablePair(SMALL)
    .chain(([sa, sb]) => fc.tuple(floats(sa, { spread: true }), floats(sb, { spread: true })))
    .filter(([a, b]) => minGap(a, b) > 0.01)
    .map(([a, b]) => ({ f, xs: [a, b] })),
});

/** Reductions with an axis argument and keepdims. */
function reduction(
  f: (x: Tensor, axis: Axis, keepdims: boolean) => Tensor,
  opts: FloatOpts = {},
  noTies = false,
): GradEntry {
  return {
    order: 2,
    arb: shape(SMALL)
      .chain((s) => fc.tuple(floats(s, noTies ? { ...opts, spread: true } : opts), axisArb(s.length), fc.boolean()))
      .filter(([x, axis]) => !noTies || tieFree(x, normAxes(axis, x.ndim), 0.01))
      .map(([x, axis, keepdims]) => ({ f: (t: Tensor) => f(t, axis, keepdims), xs: [x], attrs: { axis, keepdims } })),
  };
}

/** Slice arguments for a shape: per-axis start/stop/step, each possibly null or missing. */
function sliceArgs(s: readonly number[]): fc.Arbitrary<[(number | null)[], (number | null)[], (number | null)[]]> {
  const idx = fc.option(fc.integer({ min: -5, max: 5 }), { nil: null });
  const step = fc.option(fc.integer({ min: -3, max: 3 }).filter((v) => v !== 0), { nil: null });
  const upTo = (a: fc.Arbitrary<number | null>) => fc.array(a, { maxLength: s.length });
  return fc.tuple(upTo(idx), upTo(idx), upTo(step));
}

/** take arguments: x's shape, an axis (maybe negative) and int32 indices in [−n, n) of rank 0..2. */
const takeArgs = shape({ minRank: 1, maxRank: 3, minDim: 1, maxDim: 3 }).chain((s) =>
  fc.integer({ min: -s.length, max: s.length - 1 }).chain((axis) => {
    const n = s[axis < 0 ? axis + s.length : axis]!;
    return fc.tuple(
      fc.constant(s),
      fc.constant(axis),
      tensorOf(shape({ maxRank: 2, maxDim: 3 }), { dtype: 'int32', min: -n, max: n - 1 }),
    );
  }),
);

/** The pullback of `f` at zeros of `inShape`, as a function of the cotangent: runs f's transpose. */
function pullbackOf(f: (x: Tensor) => Tensor, inShape: readonly number[]): { outShape: readonly number[]; pb: (g: Tensor) => Tensor } {
  const [y, pb] = vjp(f, zeros(inShape, 'float64'));
  return { outShape: y.shape, pb: (g) => pb(g)[0] };
}

/** Matmul operand shapes: [...ba, m, k] @ [...bb, k, n]. */
const mkn = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }));
const matmulCase = (sa: number[], sb: number[]): fc.Arbitrary<Case> =>
  fc.tuple(floats(sa), floats(sb)).map(([a, b]) => ({ f: (x: Tensor, y: Tensor) => matmul(x, y), xs: [a, b] }));

/** clip bound: omitted, a number, or a tensor broadcastable with x (then differentiated too). */
type Bound = { kind: 'none' } | { kind: 'number'; v: number } | { kind: 'tensor'; t: Tensor };
const boundArb = (xShape: readonly number[]): fc.Arbitrary<Bound> =>
  fc.oneof(
    fc.constant<Bound>({ kind: 'none' }),
    fc.integer({ min: -150, max: 150 }).map((v): Bound => ({ kind: 'number', v: v / 100 })),
    sideOf(xShape).chain((s) => floats(s, { spread: true })).map((t): Bound => ({ kind: 'tensor', t })),
  );

const table: Record<string, GradEntry> = {
  // ------------------------------------------------ unary primitives
  neg: unary(neg),
  exp: unary(exp),
  log: unary(log, { min: 0.15, max: 3 }),
  sqrt: unary(sqrt, { min: 0.15, max: 3 }),
  abs: unary(abs, { minAbs: 0.01 }),
  sin: unary(sin, { min: -4, max: 4 }),
  cos: unary(cos, { min: -4, max: 4 }),
  tanh: unary(tanh, { min: -3, max: 3 }),
  sigmoid: unary(sigmoid, { min: -5, max: 5 }),
  softplus: unary(softplus, { min: -5, max: 5 }),
  erf: unary(erf, { min: -3, max: 3 }),
  erfc: unary(erfc, { min: -3, max: 3 }),
  relu: unary(relu, { minAbs: 0.01 }),
  square: unary(square),
  leakyRelu: {
    order: 2,
    arb: fc
      .tuple(floats(shape(SMALL), { minAbs: 0.01 }), fc.option(fc.integer({ min: -100, max: 200 }), { nil: undefined }))
      .map(([x, s]) => {
        const slope = s === undefined ? undefined : s / 100;
        return { f: (t: Tensor) => (slope === undefined ? leakyRelu(t) : leakyRelu(t, slope)), xs: [x], attrs: { slope } };
      }),
  },
  // ------------------------------------------------ binary primitives (broadcasting)
  add: binary(add),
  sub: binary(sub),
  mul: binary(mul),
  div: binary(div, {}, { minAbs: 0.25 }),
  pow: binary(pow, { min: 0.15, max: 2 }, { min: -2, max: 2 }),
  maximum: noTieBinary(maximum),
  minimum: noTieBinary(minimum),
  where: {
    order: 2,
    arb: shape(SMALL)
      .chain((out) => fc.tuple(sideOf(out), sideOf(out), sideOf(out)))
      .chain(([sc, sa, sb]) => fc.tuple(tensorOf(sc, { dtype: 'bool' }), floats(sa), floats(sb)))
      .map(([c, a, b]) => ({ f: (x: Tensor, y: Tensor) => where(c, x, y), xs: [a, b], attrs: { cond: c.toArray() } })),
  },
  // ------------------------------------------------ shape primitives
  reshape: {
    order: 2,
    arb: shape({ maxRank: 3, minDim: 0, maxDim: 4 }).chain((s) =>
      fc
        .tuple(
          floats(s),
          fc.shuffledSubarray(s, { minLength: s.length, maxLength: s.length }),
          fc.array(fc.integer({ min: 0, max: s.length }), { maxLength: 2 }),
          fc.boolean(),
        )
        .map(([x, dims, onesAt, infer]) => {
          const target = [...dims];
          for (const at of onesAt) target.splice(Math.min(at, target.length), 0, 1);
          if (infer && target.length > 0 && x.size > 0) target[0] = -1;
          return { f: (t: Tensor) => reshape(t, target), xs: [x], attrs: { target } };
        }),
    ),
  },
  transpose: {
    order: 2,
    arb: shape({ maxRank: 4, minDim: 0, maxDim: 3 }).chain((s) =>
      fc
        .tuple(
          floats(s),
          fc.option(
            fc
              .shuffledSubarray(range(s.length), { minLength: s.length, maxLength: s.length })
              .chain((p) => fc.tuple(...p.map((a) => fc.boolean().map((n) => (n ? a - s.length : a)))))
              .map((p): number[] => [...p]),
            { nil: undefined },
          ),
        )
        .map(([x, perm]) => ({ f: (t: Tensor) => transpose(t, perm), xs: [x], attrs: { perm } })),
    ),
  },
  broadcastTo: {
    order: 2,
    arb: broadcastablePair({ ...SMALL, minDim: 0 })
      .chain(([sa, , res]) => fc.tuple(floats(sa), fc.constant(res), fc.array(fc.integer({ min: 1, max: 2 }), { maxLength: 1 })))
      .map(([x, res, lead]) => {
        const target = [...lead, ...res];
        return { f: (t: Tensor) => broadcastTo(t, target), xs: [x], attrs: { target } };
      }),
  },
  concat: {
    order: 2,
    arb: shape({ minRank: 1, maxRank: 3, maxDim: 3 })
      .chain((s) =>
        fc.tuple(
          fc.constant(s),
          fc.integer({ min: -s.length, max: s.length - 1 }),
          fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }),
        ),
      )
      .chain(([s, axis, lens]) => {
        const a = axis < 0 ? axis + s.length : axis;
        return fc
          .tuple(...lens.map((len) => floats(s.map((d, i) => (i === a ? len : d)))))
          .map((xs) => ({ f: (...ts: Tensor[]) => concat(ts, axis), xs, attrs: { axis } }));
      }),
  },
  slice: {
    order: 2,
    arb: shape({ maxRank: 3, minDim: 0, maxDim: 4 })
      .chain((s) => fc.tuple(floats(s), sliceArgs(s)))
      .map(([x, [st, sp, stp]]) => ({ f: (t: Tensor) => slice(t, st, sp, stp), xs: [x], attrs: { st, sp, stp } })),
  },
  // unslice (slice's transpose) has no public caller but slice's backward: check it as the
  // pullback of slice, a function of the cotangent; its own backward is slice again.
  unslice: {
    order: 2,
    arb: shape({ minRank: 1, maxRank: 3, maxDim: 4 })
      .chain((s) => fc.tuple(fc.constant(s), sliceArgs(s)))
      .chain(([s, [st, sp, stp]]) => {
        const { outShape, pb } = pullbackOf((t) => slice(t, st, sp, stp), s);
        return floats([...outShape]).map((g) => ({ f: pb, xs: [g], attrs: { s, st, sp, stp } }));
      }),
  },
  take: {
    order: 2,
    arb: takeArgs.chain(([s, axis, idx]) =>
      floats(s).map((x) => ({ f: (t: Tensor) => take(t, idx, axis), xs: [x], attrs: { axis, idx: idx.toArray() } })),
    ),
  },
  // scatterAdd (take's transpose, repeated indices accumulate): the pullback of take.
  scatterAdd: {
    order: 2,
    arb: takeArgs.chain(([s, axis, idx]) => {
      const { outShape, pb } = pullbackOf((t) => take(t, idx, axis), s);
      return floats([...outShape]).map((g) => ({ f: pb, xs: [g], attrs: { s, axis, idx: idx.toArray() } }));
    }),
  },
  // leakyReluGrad (the backward of relu and leakyRelu): the pullback at a fixed x away from the
  // kink, as a function of the cotangent; its own backward is itself.
  leakyReluGrad: {
    order: 2,
    arb: fc
      .tuple(shape(SMALL), fc.constantFrom<number | 'relu'>('relu', 0.2, -0.5, 1.5))
      .chain(([s, slope]) => fc.tuple(floats(s, { minAbs: 0.01 }), floats(s), fc.constant(slope)))
      .map(([x, g, slope]) => {
        const fwd = (t: Tensor) => (slope === 'relu' ? relu(t) : leakyRelu(t, slope));
        return { f: (c: Tensor) => vjp(fwd, x)[1](c)[0], xs: [g], attrs: { slope } };
      }),
  },
  // ------------------------------------------------ fused losses
  meanSquaredError: {
    order: 2,
    arb: shape(SMALL)
      .chain((s) => fc.tuple(floats(s), floats(s)))
      .map(([x, t]) => ({ f: meanSquaredError, xs: [x, t] })),
  },
  // Its backward as a function of x, t and the scalar cotangent: d = 2c(x − t)/n.
  meanSquaredErrorGrad: {
    order: 2,
    arb: shape(SMALL)
      .chain((s) => fc.tuple(floats(s), floats(s), floats([])))
      .map(([x, t, c]) => ({
        f: (u: Tensor, v: Tensor, w: Tensor) => vjp(meanSquaredError, u, v)[1](w)[0],
        xs: [x, t, c],
      })),
  },
  // float64 → float32 → float64: float32 rounding needs a larger step and looser tolerances.
  astype: {
    order: 2,
    rtol: 2e-3,
    atol: 1e-4,
    eps: 1e-2,
    arb: floats(shape(SMALL)).map((x) => ({
      f: (t: Tensor) => astype(mul(sin(astype(t, 'float32')), astype(t, 'float32')), 'float64'),
      xs: [x],
    })),
  },
  // ------------------------------------------------ reductions
  sum: reduction(sum),
  max: reduction(max, {}, true),
  min: reduction(min, {}, true),
  // ------------------------------------------------ matmul
  matmul: {
    order: 2,
    arb: fc
      .tuple(shape({ maxRank: 2, maxDim: 2 }), mkn)
      .chain(([batch, [m, k, n]]) => matmulCase([...batch, m, k], [...batch, k, n])),
  },
  'matmul (batch broadcasting)': {
    order: 2,
    arb: fc
      .tuple(broadcastablePair({ maxRank: 2, maxDim: 3 }), mkn)
      .chain(([[ba, bb], [m, k, n]]) => matmulCase([...ba, m, k], [...bb, k, n])),
  },
  'matmul (transposed operands)': {
    order: 2,
    arb: fc
      .tuple(broadcastablePair({ maxRank: 2, maxDim: 2 }), mkn, fc.boolean(), fc.boolean())
      .chain(([[ba, bb], [m, k, n], ta, tb]) =>
        fc
          .tuple(floats([...ba, ...(ta ? [k, m] : [m, k])]), floats([...bb, ...(tb ? [n, k] : [k, n])]))
          .map(([a, b]): Case => ({
            f: (x: Tensor, y: Tensor) => matmul(x, y, { transposeA: ta, transposeB: tb }),
            xs: [a, b],
            attrs: { ta, tb },
          })),
      ),
  },
  'matmul (fused bias)': {
    order: 2,
    arb: fc
      .tuple(shape({ maxRank: 1, maxDim: 2 }), mkn, fc.boolean())
      .chain(([batch, [m, k, n], tb]) =>
        fc.tuple(floats([...batch, m, k]), floats(tb ? [n, k] : [k, n]), floats([n])).map(
          ([a, b, c]): Case => ({ f: (x: Tensor, y: Tensor, z: Tensor) => matmul(x, y, { transposeB: tb, bias: z }), xs: [a, b, c], attrs: { tb } }),
        ),
      ),
  },
  'matmul (1-D operands)': {
    order: 2,
    arb: fc
      .tuple(fc.constantFrom('vv', 'vm', 'mv'), shape({ maxRank: 2, maxDim: 2 }), mkn)
      .chain(([kind, batch, [m, k, n]]) =>
        kind === 'vv'
          ? matmulCase([k], [k])
          : kind === 'vm'
            ? matmulCase([k], [...batch, k, n])
            : matmulCase([...batch, m, k], [k]),
      ),
  },
  // ------------------------------------------------ derived ops
  mean: reduction(mean),
  logsumexp: reduction(logsumexp, { min: -3, max: 3 }),
  softmax: {
    order: 2,
    arb: shape({ minRank: 1, maxRank: 3, maxDim: 3 })
      .chain((s) => fc.tuple(floats(s, { min: -3, max: 3 }), fc.option(fc.integer({ min: -s.length, max: s.length - 1 }), { nil: undefined })))
      .map(([x, axis]) => ({ f: (t: Tensor) => softmax(t, axis), xs: [x], attrs: { axis } })),
  },
  logSoftmax: {
    order: 2,
    arb: shape({ minRank: 1, maxRank: 3, maxDim: 3 })
      .chain((s) => fc.tuple(floats(s, { min: -3, max: 3 }), fc.option(fc.integer({ min: -s.length, max: s.length - 1 }), { nil: undefined })))
      .map(([x, axis]) => ({ f: (t: Tensor) => logSoftmax(t, axis), xs: [x], attrs: { axis } })),
  },
  clip: {
    order: 2,
    arb: shape(SMALL)
      .chain((s) => fc.tuple(floats(s, { spread: true }), boundArb(s), boundArb(s)))
      .filter(([x, lo, hi]) => {
        const asT = (b: Bound): Tensor | null =>
          b.kind === 'none' ? null : b.kind === 'number' ? tensor(b.v, { dtype: 'float64' }) : b.t;
        const [l, h] = [asT(lo), asT(hi)];
        // Away from every kink: x from both bounds, and the bounds from each other.
        return [l, h].every((b) => b === null || minGap(x, b) > 0.01) && (l === null || h === null || minGap(l, h) > 0.01);
      })
      .map(([x, lo, hi]) => {
        const xs = [x];
        const ref = (b: Bound): ((ts: Tensor[]) => Tensor | number | undefined) => {
          if (b.kind === 'none') return () => undefined;
          if (b.kind === 'number') return () => b.v;
          const at = xs.push(b.t) - 1;
          return (ts) => ts[at]!;
        };
        const lf = ref(lo);
        const hf = ref(hi);
        return { f: (...ts: Tensor[]) => clip(ts[0]!, lf(ts), hf(ts)), xs, attrs: { lo: lo.kind, hi: hi.kind } };
      }),
  },
  dot: {
    order: 2,
    arb: fc.tuple(fc.constantFrom('vv', 'mv', 'vm', 'mm'), mkn).chain(([kind, [m, k, n]]) => {
      const sa = kind[0] === 'v' ? [k] : [m, k];
      const sb = kind[1] === 'v' ? [k] : [k, n];
      return fc.tuple(floats(sa), floats(sb)).map(([a, b]) => ({ f: dot, xs: [a, b] }));
    }),
  },
  outer: {
    order: 2,
    arb: fc.tuple(floats(shape({ maxRank: 2, maxDim: 3 })), floats(shape({ maxRank: 2, maxDim: 3 }))).map(([a, b]) => ({ f: outer, xs: [a, b] })),
  },
  stack: {
    order: 2,
    arb: shape({ maxRank: 2, maxDim: 3 })
      .chain((s) =>
        fc.tuple(fc.array(floats(s), { minLength: 1, maxLength: 3 }), fc.integer({ min: -(s.length + 1), max: s.length })),
      )
      .map(([xs, axis]) => ({ f: (...ts: Tensor[]) => stack(ts, axis), xs, attrs: { axis } })),
  },
  expandDims: {
    order: 2,
    arb: shape(SMALL)
      .chain((s) => fc.tuple(floats(s), fc.integer({ min: -(s.length + 1), max: s.length })))
      .map(([x, axis]) => ({ f: (t: Tensor) => expandDims(t, axis), xs: [x], attrs: { axis } })),
  },
  squeeze: {
    order: 2,
    arb: shape({ maxRank: 4, minDim: 1, maxDim: 2 })
      .chain((s) => {
        const unit = range(s.length).filter((i) => s[i] === 1);
        return fc.tuple(
          floats(s),
          fc.option(
            fc.shuffledSubarray(unit).chain((ax) => fc.tuple(...ax.map((a) => fc.boolean().map((n) => (n ? a - s.length : a))))),
            { nil: undefined },
          ),
        );
      })
      .map(([x, axes]) => {
        const axis = axes === undefined ? undefined : [...axes];
        return { f: (t: Tensor) => squeeze(t, axis), xs: [x], attrs: { axis } };
      }),
  },
};

describe('gradients match finite differences', () => {
  for (const [name, e] of Object.entries(table)) {
    it(`${name} (order ${e.order})`, () => {
      fc.assert(
        fc.property(e.arb, fc.nat(10_000), (c, seed) => {
          checkGrad(c.f, c.xs, {
            order: e.order,
            seed,
            ...(e.rtol !== undefined ? { rtol: e.rtol } : {}),
            ...(e.atol !== undefined ? { atol: e.atol } : {}),
            ...(e.eps !== undefined ? { eps: e.eps } : {}),
          });
        }),
        { numRuns: e.numRuns ?? 30 },
      );
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Where finite differences cannot check: kinks and ties follow the documented conventions.

describe('gradients at kinks and ties', () => {
  /** Small integers as float64: ties are common. */
  const tied = (s: fc.Arbitrary<number[]>): fc.Arbitrary<Tensor> =>
    tensorOf(s, { dtype: 'int32', min: -2, max: 2 }).map((t) => astype(t, 'float64'));

  it('max and min share the gradient equally among tied elements', () => {
    fc.assert(
      fc.property(
        shape({ maxRank: 3, maxDim: 3 }).chain((s) => fc.tuple(tied(fc.constant(s)), axisArb(s.length), fc.boolean())),
        fc.constantFrom('max', 'min'),
        ([x, axis, keepdims], which) => {
          const op = which === 'max' ? max : min;
          const g = grad((t: Tensor) => sum(op(t, axis, keepdims)))(x);
          const d = x.data;
          const expected = new Float64Array(x.size);
          for (const grp of groups(x, normAxes(axis, x.ndim))) {
            const best = grp.reduce((m, i) => (which === 'max' ? Math.max(m, d[i]!) : Math.min(m, d[i]!)), which === 'max' ? -Infinity : Infinity);
            const winners = grp.filter((i) => d[i] === best);
            for (const i of winners) expected[i] = 1 / winners.length;
          }
          expect(g).toBeAllclose(tensor(expected, { shape: x.shape }), { rtol: 1e-15, atol: 0 });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('maximum and minimum split the gradient in half on ties', () => {
    fc.assert(
      fc.property(
        shape(SMALL).chain((s) => fc.tuple(tied(fc.constant(s)), tied(fc.constant(s)))),
        fc.constantFrom('maximum', 'minimum'),
        ([a, b], which) => {
          const op = which === 'maximum' ? maximum : minimum;
          const [ga, gb] = grad((x: Tensor, y: Tensor) => sum(op(x, y)), { argnums: [0, 1] })(a, b);
          const wins = which === 'maximum' ? greater : less;
          const share = (p: Tensor, q: Tensor): Tensor => where(wins(p, q), 1, where(equal(p, q), 0.5, 0));
          expect(ga).toBeAllclose(share(a, b), { rtol: 0, atol: 0 });
          expect(gb).toBeAllclose(share(b, a), { rtol: 0, atol: 0 });
          // d/dx maximum(x, x) = 1.
          expect(grad((x: Tensor) => sum(op(x, x)))(a)).toBeAllclose(onesLike(a), { rtol: 0, atol: 0 });
        },
      ),
      { numRuns: 30 },
    );
  });

  it('relu and abs have gradient 0 at 0, leakyRelu 1; pow has a finite exponent gradient at base 0', () => {
    fc.assert(
      fc.property(tied(shape(SMALL)), fc.integer({ min: 1, max: 3 }), (x, e) => {
        const d = x.data;
        const pick = (f: (v: number) => number): Tensor => tensor(Float64Array.from(d, f), { shape: x.shape });
        expect(grad((t: Tensor) => sum(relu(t)))(x)).toBeAllclose(pick((v) => (v > 0 ? 1 : 0)), { rtol: 0, atol: 0 });
        expect(grad((t: Tensor) => sum(abs(t)))(x)).toBeAllclose(pick((v) => Math.sign(v)), { rtol: 0, atol: 0 });
        expect(grad((t: Tensor) => sum(leakyRelu(t, 0.25)))(x)).toBeAllclose(pick((v) => (v >= 0 ? 1 : 0.25)), { rtol: 0, atol: 0 });
        // d/db aᵇ at a = 0 is taken as 0 (JAX's convention), not 0 · log 0 = NaN.
        const a = abs(x);
        const b = full(x.shape, e, 'float64');
        const gb = grad((t: Tensor) => sum(pow(a, t)))(b);
        expect(gb).toBeAllclose(pick((v) => (v === 0 ? 0 : Math.abs(v) ** e * Math.log(Math.abs(v)))), { rtol: 1e-12, atol: 0 });
      }),
      { numRuns: 30 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Non-differentiable primitives: no gradient flows through them.

const cmpProp = (cmp: (a: Tensor, b: Tensor) => Tensor): NonDiffCheck => (numRuns) =>
  fc.assert(fc.property(
    broadcastablePair(SMALL).chain(([sa, sb]) => fc.tuple(floats(sa), floats(sb))),
    ([x, c]) => {
      // The mask is a constant: d/dx Σ mask(x, c)·x = mask, broadcast back to x's shape.
      const [gx, gc] = grad((a: Tensor, b: Tensor) => sum(mul(astype(cmp(a, b), 'float64'), a)), { argnums: [0, 1] })(x, c);
      const mask = astype(cmp(x, c), 'float64');
      const lead = mask.ndim - x.ndim;
      const axes = range(mask.ndim).filter((i) => i < lead || (x.shape[i - lead] === 1 && mask.shape[i] !== 1));
      expect(gx).toBeAllclose(reshape(sum(mask, axes), x.shape), { rtol: 0, atol: 0 });
      expect(gc).toBeAllclose(zeros(c.shape, 'float64'), { rtol: 0, atol: 0 });
      // Nothing at all flows through a comparison alone.
      expect(grad((a: Tensor) => sum(astype(cmp(a, c), 'float64')))(x)).toBeAllclose(zeros(x.shape, 'float64'), { rtol: 0, atol: 0 });
    },
  ), { numRuns });

const argProp = (arg: (x: Tensor, axis?: number) => Tensor): NonDiffCheck => (numRuns) =>
  fc.assert(fc.property(
    shape({ minRank: 1, maxRank: 3, maxDim: 3 }).chain((s) =>
      fc.tuple(floats(s), fc.option(fc.integer({ min: -s.length, max: s.length - 1 }), { nil: undefined })),
    ),
    ([x, axis]) => {
      const g = grad((t: Tensor) => add(sum(mul(astype(arg(t, axis), 'float64'), 3)), sum(t)))(x);
      expect(g).toBeAllclose(ones(x.shape, 'float64'), { rtol: 0, atol: 0 });
    },
  ), { numRuns });

/** Runs a property with `numRuns` runs. */
type NonDiffCheck = (numRuns: number) => void;

const nonDifferentiable: Record<string, NonDiffCheck> = {
  sign: (numRuns) => fc.assert(fc.property(floats(shape(SMALL)), (x) => {
    expect(grad((t: Tensor) => sum(mul(sign(t), t)))(x)).toBeAllclose(sign(x), { rtol: 0, atol: 0 });
    expect(grad((t: Tensor) => sum(sign(t)))(x)).toBeAllclose(zeros(x.shape, 'float64'), { rtol: 0, atol: 0 });
  }), { numRuns }),
  greater: cmpProp(greater),
  greaterEqual: cmpProp(greaterEqual),
  less: cmpProp(less),
  lessEqual: cmpProp(lessEqual),
  equal: cmpProp(equal),
  notEqual: cmpProp(notEqual),
  argmax: argProp(argmax),
  argmin: argProp(argmin),
  stopGradient: (numRuns) => fc.assert(fc.property(floats(shape(SMALL)), floats(shape(SMALL)), (x, v0) => {
    expect(grad((t: Tensor) => sum(mul(stopGradient(t), t)))(x)).toBeAllclose(x, { rtol: 0, atol: 0 });
    // The gradient above is stopGradient(x): a constant, so the Hessian-vector product is 0.
    const v = broadcastTo(sum(v0), x.shape);
    expect(hvp((t: Tensor) => sum(mul(stopGradient(t), t)), x, v)).toBeAllclose(zeros(x.shape, 'float64'), { rtol: 0, atol: 0 });
    // ... while without the stop it is 2v.
    expect(hvp((t: Tensor) => sum(mul(t, t)), x, v)).toBeAllclose(mul(v, 2), { rtol: 0, atol: 1e-12 });
  }), { numRuns }),
};

describe('registry coverage', () => {
  it('the gradient table names every primitive that has a vjp', () => {
    const missing = primitives()
      .filter((p) => p.vjp !== undefined && !(p.name in table))
      .map((p) => p.name);
    expect(missing, `primitives with a vjp but no gradient check: ${missing.join(', ')}`).toEqual([]);
  });

  it('every primitive without a vjp is checked to pass no gradient, and only those are', () => {
    const prims = new Map(primitives().map((p) => [p.name, p]));
    const missing = [...prims.values()].filter((p) => p.vjp === undefined && !(p.name in nonDifferentiable)).map((p) => p.name);
    expect(missing, `primitives without a vjp and no zero-gradient check: ${missing.join(', ')}`).toEqual([]);
    const wrong = Object.keys(nonDifferentiable).filter((n) => prims.get(n)?.vjp !== undefined);
    expect(wrong, `not (or no longer) non-differentiable primitives: ${wrong.join(', ')}`).toEqual([]);
  });

  for (const [name, check] of Object.entries(nonDifferentiable)) {
    it(`${name} passes no gradient`, () => check(25));
  }

  it('astype through int32 or bool passes no gradient (float-to-float casts do)', () => {
    fc.assert(
      fc.property(floats(shape(SMALL), { min: -3, max: 3 }), fc.constantFrom<'int32' | 'bool'>('int32', 'bool'), (x, dtype) => {
        const through = (t: Tensor): Tensor => astype(astype(t, dtype), 'float64');
        expect(grad((t: Tensor) => sum(mul(through(t), t)))(x)).toBeAllclose(through(x), { rtol: 0, atol: 0 });
        expect(grad((t: Tensor) => sum(astype(astype(t, 'float32'), 'float64')))(x)).toBeAllclose(onesLike(x), { rtol: 0, atol: 0 });
      }),
      { numRuns: 25 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Autodiff behaviour

const scalarArb = (opts: FloatOpts = {}): fc.Arbitrary<Tensor> => floats([], opts);
const vecPair = fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(floats([n]), floats([n])));

describe('nested differentiation', () => {
  it('has no perturbation confusion: d/dx [x · d/dy (x + y)] = 1', () => {
    fc.assert(
      fc.property(scalarArb({ min: -5, max: 5 }), scalarArb({ min: -5, max: 5 }), (x, y) => {
        const inner = (xv: Tensor): Tensor => grad((yv: Tensor) => add(xv, yv))(y);
        expect(grad((xv: Tensor) => mul(xv, inner(xv)))(x)).toBeAllclose(1, { rtol: 0, atol: 0 });
        // And d/dx [x · d/dy (x · y)] = d/dx x² = 2x.
        const inner2 = (xv: Tensor): Tensor => grad((yv: Tensor) => mul(xv, yv))(y);
        expect(grad((xv: Tensor) => mul(xv, inner2(xv)))(x)).toBeAllclose(mul(x, 2), { rtol: 1e-12, atol: 0 });
      }),
      { numRuns: 50 },
    );
  });

  it('grad(grad(x³)) = 6x and grad(grad(grad(x³))) = 6', () => {
    fc.assert(
      fc.property(scalarArb({ min: -5, max: 5 }), (x) => {
        const cube = (t: Tensor): Tensor => mul(t, square(t));
        const d2 = grad(grad(cube));
        expect(d2(x)).toBeAllclose(mul(x, 6), { rtol: 1e-12, atol: 1e-12 });
        expect(grad(d2)(x)).toBeAllclose(6, { rtol: 1e-12, atol: 0 });
        // (x² is subnormal or 0 for the tiny x fast-check likes: an absolute tolerance too.)
        expect(grad(cube)(x)).toBeAllclose(mul(square(x), 3), { rtol: 1e-12, atol: 1e-12 });
      }),
      { numRuns: 50 },
    );
  });

  it('hvp matches hand-derived Hessian-vector products', () => {
    fc.assert(
      fc.property(vecPair, ([x, v]) => {
        // f = Σ x³: H = diag(6x).
        expect(hvp((t: Tensor) => sum(mul(t, square(t))), x, v)).toBeAllclose(mul(mul(x, v), 6), { rtol: 1e-10, atol: 1e-12 });
        // f = (Σ x²)²: ∇f = 4 s x with s = Σ x², H v = 8 x (x·v) + 4 s v.
        const s = sum(square(x));
        const expected = add(mul(x, mul(sum(mul(x, v)), 8)), mul(v, mul(s, 4)));
        expect(hvp((t: Tensor) => square(sum(square(t))), x, v)).toBeAllclose(expected, { rtol: 1e-10, atol: 1e-12 });
        // f = Σ sin(x): H v = −sin(x) v.
        expect(hvp((t: Tensor) => sum(sin(t)), x, v)).toBeAllclose(neg(mul(sin(x), v)), { rtol: 1e-10, atol: 1e-12 });
      }),
      { numRuns: 40 },
    );
  });

  it('hvp of a quadratic form xᵀAx is (A + Aᵀ)v, and works over trees', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(floats([n, n]), floats([n]), floats([n]), floats([n]), floats([n]))),
        ([A, x, v, y, w]) => {
          const hv = hvp((t: Tensor) => dot(t, matmul(A, t)), x, v);
          expect(hv).toBeAllclose(matmul(add(A, transpose(A)), v), { rtol: 1e-10, atol: 1e-12 });
          // f(a, b) = Σ a·b + Σ exp(a): H [va, vb] = [exp(a)·va + vb, va].
          const h = hvp((p: { a: Tensor; b: Tensor }) => add(sum(mul(p.a, p.b)), sum(exp(p.a))), { a: x, b: y }, { a: v, b: w });
          expect(Object.keys(h).sort()).toEqual(['a', 'b']);
          expect(h.a).toBeAllclose(add(mul(exp(x), v), w), { rtol: 1e-10, atol: 1e-12 });
          expect(h.b).toBeAllclose(v, { rtol: 1e-10, atol: 1e-12 });
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('hvp and vjp contracts', () => {
  it('hvp rejects a v whose structure differs from x (TreeStructureError) or whose leaves differ in shape (ShapeError)', () => {
    fc.assert(
      fc.property(
        shape({ minRank: 1, maxRank: 2, maxDim: 3 }).chain((s) => fc.tuple(floats(s), floats(s), floats([...s, 2]), floats([s.reduce((a, b) => a * b, 1) + 1]))),
        ([a, b, wide, long]) => {
          const f = (p: { a: Tensor; b: Tensor }): Tensor => sum(mul(square(p.a), p.b));
          expect(() => hvp(f, { a, b }, { a } as unknown as { a: Tensor; b: Tensor })).toThrow(TreeStructureError);
          expect(() => hvp(f, { a, b }, [a, b] as unknown as { a: Tensor; b: Tensor })).toThrow(TreeStructureError);
          // v's leaves broadcast against x's: without a check the product would be silently wrong.
          for (const bad of [wide, long, expandDims(b, 0), astype(b, 'float32')]) {
            let err: unknown;
            try {
              hvp(f, { a, b }, { a, b: bad });
            } catch (e) {
              err = e;
            }
            expect(err).toBeInstanceOf(ShapeError);
            expect((err as Error).message).toContain(`[${bad.shape.join(', ')}]`);
          }
        },
      ),
      { numRuns: 20 },
    );
  });

  it('a pullback is linear in the cotangent and can be called many times; tree outputs take tree cotangents', () => {
    fc.assert(
      fc.property(
        shape(SMALL).chain((s) => fc.tuple(floats(s), floats(s), floats(s), floats(s))),
        ([x, u, w, c]) => {
          const [y, pb] = vjp((t: Tensor) => ({ s: sin(t), m: [mul(t, c)] }), x);
          expect(y.s).toBeAllclose(sin(x), { rtol: 0, atol: 0 });
          const [g1] = pb({ s: u, m: [w] });
          expect(g1).toBeAllclose(add(mul(u, cos(x)), mul(w, c)), { rtol: 1e-12, atol: 1e-12 });
          const [g2] = pb({ s: mul(u, 2), m: [mul(w, 2)] });
          expect(g2).toBeAllclose(mul(g1, 2), { rtol: 1e-12, atol: 1e-12 });
          const [g3] = pb({ s: u, m: [zeros(x.shape, 'float64')] });
          const [g4] = pb({ s: zeros(x.shape, 'float64'), m: [w] });
          expect(add(g3, g4)).toBeAllclose(g1, { rtol: 1e-12, atol: 1e-12 });
          // A cotangent of the wrong shape or dtype is refused.
          expect(() => pb({ s: expandDims(u, 0), m: [w] })).toThrow(ShapeError);
          expect(() => pb({ s: astype(u, 'float32'), m: [w] })).toThrow(ShapeError);
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('grad contract', () => {
  it('grad of a non-scalar output throws a ShapeError naming the shape and suggesting sum', () => {
    fc.assert(
      fc.property(floats(shape({ minRank: 1, maxRank: 3, maxDim: 3 })), (x) => {
        const shp = `[${x.shape.join(', ')}]`;
        for (const g of [grad((t: Tensor) => mul(t, 2)), valueAndGrad((t: Tensor) => mul(t, 2))]) {
          let err: unknown;
          try {
            g(x);
          } catch (e) {
            err = e;
          }
          expect(err).toBeInstanceOf(ShapeError);
          const msg = (err as Error).message;
          expect(msg).toContain(shp);
          expect(msg).toContain('sum');
        }
      }),
      { numRuns: 25 },
    );
  });

  it('an input that does not influence the output gets zeros of its shape and dtype', () => {
    fc.assert(
      fc.property(floats(shape(SMALL)), floats(shape(SMALL)), (x, y) => {
        const [gx, gy] = grad((a: Tensor, _b: Tensor) => sum(square(a)), { argnums: [0, 1] })(x, y);
        expect(gx).toBeAllclose(mul(x, 2), { rtol: 0, atol: 0 });
        expect(gy.dtype).toBe('float64');
        expect(gy).toBeAllclose(zeros(y.shape, 'float64'), { rtol: 0, atol: 0 });
        // Inside a tree, and when the output is a constant.
        const g = grad((p: { used: Tensor; unused: Tensor }) => sum(p.used))({ used: x, unused: y });
        expect(g.unused).toBeAllclose(zeros(y.shape, 'float64'), { rtol: 0, atol: 0 });
        expect(grad((_t: Tensor) => tensor(3, { dtype: 'float64' }))(x)).toBeAllclose(zeros(x.shape, 'float64'), { rtol: 0, atol: 0 });
      }),
      { numRuns: 25 },
    );
  });

  it('grad over a nested parameter tree returns the same structure with hand-derived gradients', () => {
    const dims = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }));
    fc.assert(
      fc.property(
        dims.chain(([nb, din, dh, dout]) =>
          fc.record({
            params: fc.record({
              l1: fc.record({ W: floats([din, dh]), b: floats([dh]) }),
              l2: fc.record({ W: floats([dh, dout]), b: floats([dout]) }),
            }),
            X: floats([nb, din]),
            T: floats([nb, dout]),
          }),
        ),
        ({ params, X, T }) => {
          // A two-layer linear model, loss ½ Σ (y − T)².
          type P = typeof params;
          const forward = (p: P): { h: Tensor; y: Tensor } => {
            const h = add(matmul(X, p.l1.W), p.l1.b);
            return { h, y: add(matmul(h, p.l2.W), p.l2.b) };
          };
          const loss = (p: P): Tensor => mul(sum(square(sub(forward(p).y, T))), 0.5);
          const g = grad(loss)(params);
          expect(tree.structureEqual(g, params)).toBe(true);
          expect(Object.keys(g).sort()).toEqual(['l1', 'l2']);
          expect(Object.keys(g.l1).sort()).toEqual(['W', 'b']);
          // Hand-derived: r = y − T; ∂W2 = hᵀr, ∂b2 = Σ_rows r, dh = r W2ᵀ, ∂W1 = Xᵀ dh, ∂b1 = Σ_rows dh.
          const { h, y } = forward(params);
          const r = sub(y, T);
          const dh = matmul(r, transpose(params.l2.W));
          const tol = { rtol: 1e-10, atol: 1e-12 };
          expect(g.l2.W).toBeAllclose(matmul(transpose(h), r), tol);
          expect(g.l2.b).toBeAllclose(sum(r, 0), tol);
          expect(g.l1.W).toBeAllclose(matmul(transpose(X), dh), tol);
          expect(g.l1.b).toBeAllclose(sum(dh, 0), tol);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('argnums picks arguments by number or list, in the list order', () => {
    fc.assert(
      fc.property(
        broadcastablePair(SMALL).chain(([sa, sb]) => fc.tuple(floats(sa), floats(sb), floats([]))),
        ([x, y, z]) => {
          // f = Σ x·y²·z (broadcast), with hand-derived partials reduced to each shape.
          const f = (a: Tensor, b: Tensor, c: Tensor): Tensor => sum(mul(mul(a, square(b)), c));
          const full = broadcastTo(mul(x, square(y)), broadcastShapes('test', x.shape, y.shape));
          const reduceTo = (t: Tensor, s: readonly number[]): Tensor => {
            const lead = t.ndim - s.length;
            const axes = range(t.ndim).filter((i) => i < lead || (s[i - lead] === 1 && t.shape[i] !== 1));
            return reshape(sum(t, axes), s);
          };
          const ex = reduceTo(mul(broadcastTo(square(y), full.shape), z), x.shape);
          const ey = reduceTo(mul(mul(broadcastTo(x, full.shape), mul(y, 2)), z), y.shape);
          const ez = sum(full);
          const tol = { rtol: 1e-12, atol: 1e-12 };
          expect(grad(f)(x, y, z)).toBeAllclose(ex, tol);
          expect(grad(f, { argnums: 1 })(x, y, z)).toBeAllclose(ey, tol);
          expect(grad(f, { argnums: 2 })(x, y, z)).toBeAllclose(ez, tol);
          const [gz, gx] = grad(f, { argnums: [2, 0] })(x, y, z);
          expect(gz).toBeAllclose(ez, tol);
          expect(gx).toBeAllclose(ex, tol);
          const [g1] = grad(f, { argnums: [1] })(x, y, z);
          expect(g1).toBeAllclose(ey, tol);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('argnums out of range throws a ValueError', () => {
    const x = tensor([1, 2], { dtype: 'float64' });
    const f = (a: Tensor, b: Tensor): Tensor => sum(mul(a, b));
    for (const argnums of [2, -1, [0, 5], 0.5]) {
      expect(() => grad(f, { argnums })(x, x)).toThrow(ValueError);
    }
  });

  it('hasAux passes aux through; valueAndGrad returns the value from the same pass', () => {
    fc.assert(
      fc.property(floats(shape(SMALL)), (x) => {
        const aux = { note: 'aux', n: 3 };
        const [g, a] = grad((t: Tensor) => [sum(square(t)), { ...aux, t: mul(t, 2) }] as const, { hasAux: true })(x);
        expect(g).toBeAllclose(mul(x, 2), { rtol: 0, atol: 0 });
        expect(a.note).toBe('aux');
        expect(a.n).toBe(3);
        expect(a.t).toBeAllclose(mul(x, 2), { rtol: 0, atol: 0 });
        const [v, g2] = valueAndGrad((t: Tensor) => sum(sin(t)))(x);
        expect(v.shape).toEqual([]);
        expect(v).toBeAllclose(sum(sin(x)), { rtol: 0, atol: 0 });
        expect(g2).toBeAllclose(cos(x), { rtol: 0, atol: 0 });
        const [[v3, a3], g3] = valueAndGrad((t: Tensor) => [sum(exp(t)), 'tag'] as const, { hasAux: true })(x);
        expect(v3).toBeAllclose(sum(exp(x)), { rtol: 0, atol: 0 });
        expect(a3).toBe('tag');
        expect(g3).toBeAllclose(exp(x), { rtol: 0, atol: 0 });
      }),
      { numRuns: 25 },
    );
  });

  it('hasAux with a function that does not return [loss, aux] throws a ValueError', () => {
    const x = tensor([1, 2], { dtype: 'float64' });
    expect(() => grad((t: Tensor) => sum(t) as unknown as readonly [Tensor, unknown], { hasAux: true })(x)).toThrow(ValueError);
  });

  it('float32 gradients work, to float32 precision', () => {
    fc.assert(
      fc.property(floats(shape(SMALL), { min: -3, max: 3 }), (x64) => {
        const x = astype(x64, 'float32');
        const f = (t: Tensor): Tensor => sum(mul(sin(t), t));
        const g = grad(f)(x);
        expect(g.dtype).toBe('float32');
        expect(g.shape).toEqual(x.shape);
        // d/dx x sin x = sin x + x cos x; second derivative 2 cos x − x sin x.
        const xr = astype(x, 'float64');
        expect(astype(g, 'float64')).toBeAllclose(add(sin(xr), mul(xr, cos(xr))), { rtol: 1e-5, atol: 1e-5 });
        const h = hvp(f, x, onesLike(x));
        expect(h.dtype).toBe('float32');
        expect(astype(h, 'float64')).toBeAllclose(sub(mul(cos(xr), 2), mul(xr, sin(xr))), { rtol: 1e-5, atol: 1e-5 });
      }),
      { numRuns: 25 },
    );
  });

  it('integer or bool leaves being differentiated throw a DTypeError naming the path', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('int32' as const, 'bool' as const),
        fc.constantFrom('W', 'bias', 'k0'),
        fc.constantFrom('layer', 'enc'),
        (dtype, leaf, node) => {
          const params = { [node]: { [leaf]: zeros([2], dtype), other: zeros([2], 'float64') } };
          let err: unknown;
          try {
            grad((p: typeof params) => sum(astype(p[node]![leaf]!, 'float64')))(params);
          } catch (e) {
            err = e;
          }
          expect(err).toBeInstanceOf(DTypeError);
          expect((err as Error).message).toContain(`${node}/${leaf}`);
          expect((err as Error).message).toContain(dtype);
        },
      ),
      { numRuns: 12 },
    );
    expect(() => grad((t: Tensor) => sum(astype(t, 'float64')))(zeros([3], 'int32'))).toThrow(DTypeError);
    expect(() => vjp((t: Tensor) => t, zeros([3], 'bool'))).toThrow(/bool/);
  });
});

describe('customVjp', () => {
  it('uses the custom rule: a gradient-clipping identity', () => {
    const clipGrad = customVjp((x: Tensor) => x, (g) => [clip(g, -1, 1)]);
    fc.assert(
      fc.property(
        shape(SMALL).chain((s) => fc.tuple(floats(s), floats(s, { min: -3, max: 3 }))),
        ([x, c]) => {
          expect(clipGrad(x)).toBeAllclose(x, { rtol: 0, atol: 0 });
          const g = grad((t: Tensor) => sum(mul(clipGrad(t), c)))(x);
          expect(g).toBeAllclose(clip(c, -1, 1), { rtol: 0, atol: 0 });
          // Outside differentiation it is just the function.
          expect(grad((t: Tensor) => sum(mul(t, c)))(x)).toBeAllclose(c, { rtol: 0, atol: 0 });
        },
      ),
      { numRuns: 25 },
    );
  });

  it('a custom rule equal to the true gradient checks out to second order', () => {
    const mySin = customVjp((x: Tensor) => sin(x), (g, { inputs: [x] }) => [mul(g, cos(x))]);
    // The rule reads the output: exp′ = exp, and its own derivative goes through the rule again.
    const myExp = customVjp((x: Tensor) => exp(x), (g, { output }) => [mul(g, output)]);
    // Two inputs with broadcasting: the rule's cotangents are summed back to each input's shape.
    const myMul = customVjp((a: Tensor, b: Tensor) => mul(a, b), (g, { inputs: [a, b] }) => [mul(g, b), mul(g, a)]);
    fc.assert(
      fc.property(
        broadcastablePair(SMALL).chain(([sa, sb]) => fc.tuple(floats(sa), floats(sb))),
        fc.nat(1000),
        ([a, b], seed) => {
          checkGrad(mySin, [a], { order: 2, seed });
          checkGrad(myExp, [a], { order: 2, seed });
          checkGrad(myMul, [a, b], { order: 2, seed });
          expect(grad((t: Tensor) => sum(mySin(t)))(a)).toBeAllclose(cos(a), { rtol: 0, atol: 0 });
        },
      ),
      { numRuns: 25 },
    );
  });

  it('a null cotangent means no gradient for that input', () => {
    const half = customVjp((a: Tensor, b: Tensor) => mul(a, b), (g, { inputs: [, b] }) => [mul(g, b), null]);
    fc.assert(
      fc.property(shape(SMALL).chain((s) => fc.tuple(floats(s), floats(s))), ([a, b]) => {
        const [ga, gb] = grad((x: Tensor, y: Tensor) => sum(half(x, y)), { argnums: [0, 1] })(a, b);
        expect(ga).toBeAllclose(b, { rtol: 0, atol: 0 });
        expect(gb).toBeAllclose(zeros(b.shape, 'float64'), { rtol: 0, atol: 0 });
      }),
      { numRuns: 25 },
    );
  });

  it('a backward rule returning a cotangent that does not fit its input throws', () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 2, max: 4 })).filter(([m, n]) => m !== n).chain(([m, n]) => floats([m, n])),
        (x) => {
          // Same number of elements, other shape: must not be silently reshaped into a gradient.
          const bads: ((g: Tensor) => (Tensor | null)[])[] = [
            (g) => [transpose(g)],
            (g) => [reshape(g, [-1])],
            (g) => [sum(g, 0)],
            (g) => [astype(g, 'float32')],
            (g) => [g, g],
            () => [],
          ];
          for (const backward of bads) {
            const f = customVjp((t: Tensor) => mul(t, 2), backward);
            expect(f(x)).toBeAllclose(mul(x, 2), { rtol: 0, atol: 0 });
            expect(() => grad((t: Tensor) => sum(f(t)))(x)).toThrow(FluxionError);
            expect(() => grad((t: Tensor) => sum(f(t)))(x)).toThrow(/customVjp/);
          }
          // A cotangent with extra leading axes or stretched 1-axes is summed back (x broadcast to it).
          const lead = customVjp((t: Tensor) => mul(t, 2), (g) => [broadcastTo(g, [2, ...g.shape])]);
          expect(grad((t: Tensor) => sum(lead(t)))(x)).toBeAllclose(full(x.shape, 2, 'float64'), { rtol: 0, atol: 0 });
        },
      ),
      { numRuns: 20 },
    );
  });
});
