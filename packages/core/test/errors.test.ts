/**
 * Bad input, property-tested per op family: every generated mistake throws the right error class
 * with a message that names the op (as the user called it) and the offending shapes, dtypes,
 * axes or indices.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DTypeError,
  FluxionError,
  ShapeError,
  Tensor,
  ValueError,
  abs,
  add,
  argmax,
  argmin,
  astype,
  broadcastTo,
  clip,
  concat,
  cos,
  div,
  dot,
  equal,
  exp,
  expandDims,
  greater,
  greaterEqual,
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
  sub,
  sum,
  take,
  tanh,
  tensor,
  transpose,
  where,
  zeros,
  type DType,
  type NestedArray,
} from '@fluxion/core';
import { broadcastablePair, shape, tensorOf } from '@fluxion/core/testing';

// ---------------------------------------------------------------------------------------------
// Helpers

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;
const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Runs `f`, expecting it to throw an instance of `cls`; returns the message. */
function thrown(f: () => unknown, cls: new (...args: never[]) => Error): string {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a throw').toBeInstanceOf(cls);
  return (err as Error).message;
}

/** Expects `f` to throw `cls` whose message starts with `op:` and contains every part. */
function expectError(f: () => unknown, cls: new (...args: never[]) => Error, op: string, ...parts: string[]): void {
  const msg = thrown(f, cls);
  expect(msg.startsWith(`${op}: `), `message should name '${op}': ${msg}`).toBe(true);
  for (const p of parts) expect(msg).toContain(p);
}

/**
 * Two shapes that cannot broadcast: at one axis both sides are > 1 and differ. Other axes may be
 * 1 on either side, and leading axes before the clash may be dropped, so the rest would broadcast.
 */
const nonBroadcastable: fc.Arbitrary<[number[], number[]]> = shape({ minRank: 1, maxRank: 4, maxDim: 3 }).chain((base) =>
  fc
    .tuple(
      fc.integer({ min: 0, max: base.length - 1 }),
      fc.integer({ min: 2, max: 5 }),
      fc.integer({ min: 2, max: 5 }),
      fc.array(fc.constantFrom('keep', 'oneA', 'oneB'), { minLength: base.length, maxLength: base.length }),
      fc.nat(),
      fc.nat(),
      fc.boolean(),
    )
    .filter(([, da, db]) => da !== db)
    .map(([at, da, db, ones, dropA, dropB, swap]) => {
      const a = base.map((d, i) => (i === at ? da : ones[i] === 'oneA' ? 1 : d));
      const b = base.map((d, i) => (i === at ? db : ones[i] === 'oneB' ? 1 : d));
      const ra = a.slice(dropA % (at + 1));
      const rb = b.slice(dropB % (at + 1));
      return swap ? [rb, ra] : [ra, rb];
    }),
);

const floatDType = fc.constantFrom<DType>('float32', 'float64');
const otherFloat = (d: DType): DType => (d === 'float32' ? 'float64' : 'float32');

const binaryOps: Record<string, (a: Tensor, b: Tensor) => Tensor> = {
  add,
  sub,
  mul,
  div,
  pow,
  maximum,
  minimum,
  greater,
  greaterEqual,
  less,
  lessEqual,
  equal,
  notEqual,
};

// ---------------------------------------------------------------------------------------------

describe('meanSquaredError', () => {
  it('x and t of different shapes (broadcastable or not) or float dtypes, or a non-tensor, throw naming it', () => {
    fc.assert(
      fc.property(shape({ minRank: 1, maxRank: 3 }), fc.integer({ min: 0, max: 2 }), floatDType, (s, k, dtype) => {
        const x = zeros(s, dtype);
        const other = s.map((d, i) => (i === k % s.length ? d + 1 : d));
        expectError(() => meanSquaredError(x, zeros(other, dtype)), ShapeError, 'meanSquaredError', fmt(s), fmt(other));
        expectError(() => meanSquaredError(x, zeros([], dtype)), ShapeError, 'meanSquaredError', fmt(s), '[]');
        expectError(() => meanSquaredError(x, zeros(s, otherFloat(dtype))), DTypeError, 'meanSquaredError', dtype, otherFloat(dtype));
        expectError(() => meanSquaredError(x, [0] as unknown as Tensor), DTypeError, 'meanSquaredError', 't');
      }),
      { numRuns: 25 },
    );
  });
});

describe('elementwise binary ops', () => {
  it('non-broadcastable shapes throw a ShapeError naming the op and both shapes', () => {
    fc.assert(
      fc.property(nonBroadcastable, floatDType, ([sa, sb], dtype) => {
        const a = zeros(sa, dtype);
        const b = zeros(sb, dtype);
        for (const [name, op] of Object.entries(binaryOps)) {
          expectError(() => op(a, b), ShapeError, name, fmt(sa), fmt(sb));
        }
        // where: any two of cond, a, b clashing.
        const c = zeros(sa, 'bool');
        expectError(() => where(c, b, b), ShapeError, 'where', fmt(sa), fmt(sb));
        expectError(() => where(zeros([], 'bool'), a, b), ShapeError, 'where', fmt(sa), fmt(sb));
      }),
      { numRuns: 50 },
    );
  });

  it('the broadcastable shapes from broadcastablePair do not throw (the generator above is the complement)', () => {
    fc.assert(
      fc.property(broadcastablePair({ minDim: 0 }), ([sa, sb, out]) => {
        for (const op of Object.values(binaryOps)) expect(op(zeros(sa), zeros(sb)).shape).toEqual(out);
      }),
      { numRuns: 25 },
    );
  });

  it('float32 against float64 (or int32) throws a DTypeError naming the op and both dtypes', () => {
    fc.assert(
      fc.property(broadcastablePair(), fc.constantFrom<DType>('float32', 'float64', 'int32'), fc.boolean(), ([sa, sb], da, swap) => {
        const db: DType = da === 'int32' ? 'float32' : otherFloat(da);
        const [a, b] = swap ? [zeros(sb, db), zeros(sa, da)] : [zeros(sa, da), zeros(sb, db)];
        for (const [name, op] of Object.entries(binaryOps)) {
          expectError(() => op(a, b), DTypeError, name, da, db);
        }
        expectError(() => where(zeros([], 'bool'), a, b), DTypeError, 'where', da, db);
      }),
      { numRuns: 40 },
    );
  });

  it('a fractional number cannot combine with an int32 tensor', () => {
    fc.assert(
      fc.property(shape(), fc.double({ min: -10, max: 10, noNaN: true }).filter((v) => !Number.isInteger(v)), (s, v) => {
        for (const name of ['add', 'sub', 'mul', 'maximum', 'minimum', 'greater', 'less'] as const) {
          expectError(() => binaryOps[name]!(zeros(s, 'int32'), v as unknown as Tensor), DTypeError, name, String(v));
        }
      }),
      { numRuns: 25 },
    );
  });
});

describe('dtype classes', () => {
  const floatOnlyUnary: Record<string, (x: Tensor) => Tensor> = {
    exp,
    log,
    sqrt,
    sin,
    cos,
    tanh,
    sigmoid,
    softplus,
    leakyRelu: (x) => leakyRelu(x),
    mean: (x) => mean(x),
    logsumexp: (x) => logsumexp(x),
    softmax: (x) => softmax(x),
    logSoftmax: (x) => logSoftmax(x),
  };
  const floatOnlyBinary: Record<string, (a: Tensor, b: Tensor) => Tensor> = { div, pow, matmul, meanSquaredError };
  const numericOnly: Record<string, (x: Tensor) => Tensor> = {
    neg,
    abs,
    sign,
    relu,
    square,
    max: (x) => max(x),
    min: (x) => min(x),
    argmax: (x) => argmax(x),
    argmin: (x) => argmin(x),
  };

  it('int32 or bool input to a float-only op throws a DTypeError naming the op and dtype', () => {
    fc.assert(
      fc.property(shape({ minRank: 1, maxRank: 3 }), fc.constantFrom<DType>('int32', 'bool'), (s, dtype) => {
        const x = zeros(s, dtype);
        for (const [name, op] of Object.entries(floatOnlyUnary)) expectError(() => op(x), DTypeError, name, dtype);
        const m = zeros([...s, s[s.length - 1]!], dtype);
        for (const [name, op] of Object.entries(floatOnlyBinary)) expectError(() => op(m, m), DTypeError, name, dtype);
      }),
      { numRuns: 25 },
    );
  });

  it('bool input to a numeric op throws a DTypeError naming the op', () => {
    fc.assert(
      fc.property(shape({ minRank: 1 }), (s) => {
        const x = zeros(s, 'bool');
        for (const [name, op] of Object.entries(numericOnly)) expectError(() => op(x), DTypeError, name, 'bool');
        for (const name of ['add', 'sub', 'mul', 'maximum', 'minimum', 'greater', 'lessEqual'] as const) {
          expectError(() => binaryOps[name]!(x, x), DTypeError, name, 'bool');
        }
        // Comparisons for equality and sums take bools.
        expect(equal(x, x).dtype).toBe('bool');
        expect(sum(x).dtype).toBe('int32');
      }),
      { numRuns: 20 },
    );
  });

  it('mixed float dtypes in matmul, dot, outer, concat, stack and clip name the op called', () => {
    fc.assert(
      fc.property(floatDType, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), (da, m, n) => {
        const db = otherFloat(da);
        expectError(() => matmul(zeros([m, n], da), zeros([n, m], db)), DTypeError, 'matmul', da, db);
        expectError(() => dot(zeros([n], da), zeros([n], db)), DTypeError, 'dot', da, db);
        expectError(() => dot(zeros([m, n], da), zeros([n], db)), DTypeError, 'dot', da, db);
        expectError(() => outer(zeros([m], da), zeros([n], db)), DTypeError, 'outer', da, db);
        expectError(() => concat([zeros([m, n], da), zeros([m, n], db)], 1), DTypeError, 'concat', da, db);
        expectError(() => stack([zeros([m, n], da), zeros([m, n], db)]), DTypeError, 'stack', da, db);
        expectError(() => clip(zeros([m, n], da), zeros([n], db)), DTypeError, 'clip', da, db);
        expectError(() => clip(zeros([m, n], da), undefined, zeros([], db)), DTypeError, 'clip', da, db);
      }),
      { numRuns: 20 },
    );
  });

  it('take needs int32 indices; astype rejects unknown dtypes', () => {
    fc.assert(
      fc.property(shape({ minRank: 1 }), fc.constantFrom<DType>('float32', 'float64', 'bool'), (s, dtype) => {
        expectError(() => take(zeros(s), zeros([2], dtype)), DTypeError, 'take', dtype);
      }),
      { numRuns: 15 },
    );
    expectError(() => astype(zeros([2]), 'float16' as DType), DTypeError, 'astype', 'float16');
  });

  it('a non-tensor where a tensor is required throws a DTypeError naming the op', () => {
    const bads: unknown[] = [null, undefined, 'x', [1, 2], { shape: [2] }];
    for (const bad of bads) {
      const b = bad as Tensor;
      expectError(() => sum(b), DTypeError, 'sum');
      expectError(() => reshape(b, [2]), DTypeError, 'reshape');
      expectError(() => matmul(zeros([2, 2]), b), DTypeError, 'matmul');
      expectError(() => add(zeros([2]), b), DTypeError, 'add');
      expectError(() => exp(b), DTypeError, 'exp');
      expectError(() => where(b, zeros([2]), zeros([2])), DTypeError, 'where');
    }
  });
});

describe('axes', () => {
  /** A rank and an axis outside [−rank, rank). */
  const badAxis = shape({ maxRank: 3 }).chain((s) =>
    fc.tuple(
      fc.constant(s),
      fc.oneof(fc.integer({ min: s.length, max: s.length + 3 }), fc.integer({ min: -s.length - 3, max: -s.length - 1 })),
    ),
  );

  it('reductions and axis-taking ops throw a ShapeError for an out-of-range axis', () => {
    fc.assert(
      fc.property(badAxis, ([s, axis]) => {
        const x = zeros(s, 'float64');
        const ops: Record<string, () => unknown> = {
          sum: () => sum(x, axis),
          max: () => max(x, axis),
          min: () => min(x, axis),
          mean: () => mean(x, axis),
          logsumexp: () => logsumexp(x, axis),
          argmax: () => argmax(x, axis),
          argmin: () => argmin(x, axis),
          softmax: () => softmax(x, axis),
          logSoftmax: () => logSoftmax(x, axis),
          squeeze: () => squeeze(x, axis),
          take: () => take(x, [0], axis),
          concat: () => concat([x, x], axis),
        };
        for (const [name, f] of Object.entries(ops)) expectError(f, ShapeError, name, `axis ${axis}`, `rank ${s.length}`);
        // In a list of axes too.
        for (const [name, f] of Object.entries({ sum, max, min, mean, logsumexp })) {
          expectError(() => f(x, s.length > 0 ? [0, axis] : [axis]), ShapeError, name, `axis ${axis}`);
        }
        // expandDims and stack insert an axis: rank + 1 positions.
        const out = axis >= 0 ? axis + 1 : axis - 1;
        expectError(() => expandDims(x, out), ShapeError, 'expandDims', `axis ${out}`);
        expectError(() => stack([x, x], out), ShapeError, 'stack', `axis ${out}`);
      }),
      { numRuns: 40 },
    );
  });

  it('repeated or fractional axes throw a ShapeError', () => {
    fc.assert(
      fc.property(
        shape({ minRank: 1, maxRank: 3 }).chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: 0, max: s.length - 1 }), fc.boolean())),
        ([s, a, negative]) => {
          const x = zeros(s, 'float64');
          const twice = [a, negative ? a - s.length : a];
          for (const [name, f] of Object.entries({ sum, max, min, mean, logsumexp })) {
            expectError(() => f(x, twice), ShapeError, name, 'repeated');
            expectError(() => f(x, a + 0.5), ShapeError, name);
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('squeeze of an axis whose length is not 1 throws a ShapeError naming it', () => {
    fc.assert(
      fc.property(
        shape({ minRank: 1, maxRank: 3, minDim: 2 }).chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: 0, max: s.length - 1 }))),
        ([s, a]) => expectError(() => squeeze(zeros(s), a), ShapeError, 'squeeze', `axis ${a}`, fmt(s)),
      ),
      { numRuns: 20 },
    );
  });
});

describe('matmul and dot', () => {
  it('mismatched inner dimensions throw a ShapeError naming both shapes as given, for any operand ranks', () => {
    const dims = fc.integer({ min: 1, max: 4 });
    fc.assert(
      fc.property(
        broadcastablePair({ maxRank: 2, maxDim: 3 }),
        fc.tuple(dims, dims, dims, dims).filter(([, k1, k2]) => k1 !== k2),
        fc.constantFrom('mm', 'vm', 'mv', 'vv'),
        ([ba, bb], [m, k1, k2, n], kind) => {
          const sa = kind[0] === 'v' ? [k1] : [...ba, m, k1];
          const sb = kind[1] === 'v' ? [k2] : [...bb, k2, n];
          expectError(() => matmul(zeros(sa), zeros(sb)), ShapeError, 'matmul', fmt(sa), fmt(sb), `${k1} vs ${k2}`);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('batch axes that cannot broadcast, and 0-d operands, throw a ShapeError', () => {
    fc.assert(
      fc.property(nonBroadcastable, fc.integer({ min: 1, max: 3 }), ([ba, bb], k) => {
        expectError(() => matmul(zeros([...ba, 2, k]), zeros([...bb, k, 2])), ShapeError, 'matmul', fmt(ba), fmt(bb));
        expectError(() => matmul(zeros([]), zeros([k, 2])), ShapeError, 'matmul', '[]');
        expectError(() => matmul(zeros([2, k]), zeros([])), ShapeError, 'matmul', '[]');
      }),
      { numRuns: 25 },
    );
  });

  it('dot: vector lengths that differ and operands above 2-D throw a ShapeError naming the shapes', () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })).filter(([a, b]) => a !== b),
        shape({ minRank: 3, maxRank: 4, maxDim: 2 }),
        ([n1, n2], big) => {
          expectError(() => dot(zeros([n1]), zeros([n2])), ShapeError, 'dot', fmt([n1]), fmt([n2]));
          expectError(() => dot(zeros(big), zeros([n1])), ShapeError, 'dot', fmt(big));
          expectError(() => dot(zeros([n1]), zeros(big)), ShapeError, 'dot', fmt(big));
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('shape ops', () => {
  it('reshape to a different number of elements throws a ShapeError naming both shapes', () => {
    fc.assert(
      fc.property(shape({ maxRank: 3 }), shape({ maxRank: 3 }), (s, t) => {
        fc.pre(size(s) !== size(t));
        expectError(() => reshape(zeros(s), t), ShapeError, 'reshape', fmt(s), fmt(t));
      }),
      { numRuns: 40 },
    );
  });

  it('reshape with two -1s, an impossible -1, or a bad dimension throws a ShapeError', () => {
    fc.assert(
      fc.property(
        shape({ minRank: 1, maxRank: 3, minDim: 2 }),
        fc.integer({ min: 2, max: 7 }),
        fc.constantFrom(-2, 1.5, Number.NaN),
        (s, k, bad) => {
          const x = zeros(s);
          expectError(() => reshape(x, [-1, -1]), ShapeError, 'reshape', '[-1, -1]');
          if (size(s) % k !== 0) expectError(() => reshape(x, [k, -1]), ShapeError, 'reshape', fmt(s), `[${k}, -1]`);
          expectError(() => reshape(x, [bad, ...s]), ShapeError, 'reshape');
        },
      ),
      { numRuns: 30 },
    );
  });

  it('transpose with a perm that is not a permutation of the axes throws a ShapeError', () => {
    const badPerm = shape({ minRank: 1, maxRank: 4 }).chain((s) => {
      const r = s.length;
      const axes = Array.from({ length: r }, (_, i) => i);
      return fc.tuple(
        fc.constant(s),
        fc.oneof(
          // Too short or too long.
          fc.shuffledSubarray(axes, { maxLength: r - 1 }),
          fc.shuffledSubarray(axes, { minLength: r, maxLength: r }).map((p) => [...p, 0]),
          // A repeated axis (maybe as its negative twin) in place of another.
          fc
            .tuple(fc.shuffledSubarray(axes, { minLength: r, maxLength: r }), fc.nat(), fc.nat(), fc.boolean())
            .map(([p, i, j, neg]) => {
              if (r === 1) return [0, 0];
              const a = i % r;
              const b = (a + 1 + (j % (r - 1))) % r;
              const q = [...p];
              q[b] = neg ? q[a]! - r : q[a]!;
              return q;
            }),
          // Out of range.
          fc.shuffledSubarray(axes, { minLength: r, maxLength: r }).map((p) => [...p.slice(1), r + 1]),
        ),
      );
    });
    fc.assert(
      fc.property(badPerm, ([s, perm]) => {
        expectError(() => transpose(zeros(s), perm), ShapeError, 'transpose');
      }),
      { numRuns: 50 },
    );
  });

  it('broadcastTo a shape the input cannot broadcast to throws a ShapeError naming both', () => {
    fc.assert(
      fc.property(nonBroadcastable, ([sa, sb]) => {
        expectError(() => broadcastTo(zeros(sa), sb), ShapeError, 'broadcastTo', fmt(sa), fmt(sb));
      }),
      { numRuns: 25 },
    );
    // Broadcasting never drops axes.
    expectError(() => broadcastTo(zeros([2, 3]), [3]), ShapeError, 'broadcastTo', '[2, 3]', '[3]');
  });

  it('concat of mismatched ranks or off-axis dimensions throws a ShapeError naming the shapes', () => {
    fc.assert(
      fc.property(
        shape({ minRank: 1, maxRank: 3 }).chain((s) =>
          fc.tuple(
            fc.constant(s),
            fc.integer({ min: 0, max: s.length - 1 }),
            fc.integer({ min: 0, max: s.length - 1 }),
            fc.integer({ min: 1, max: 3 }),
          ),
        ),
        ([s, axis, other, bump]) => {
          const a = zeros(s);
          if (other !== axis) {
            const t = s.map((d, i) => (i === other ? d + bump : d));
            expectError(() => concat([a, zeros(t)], axis), ShapeError, 'concat', fmt(s), fmt(t));
            expectError(() => stack([a, zeros(t)]), ShapeError, 'stack', fmt(s), fmt(t));
          }
          const r = [...s, 1];
          expectError(() => concat([a, a, zeros(r)], axis), ShapeError, 'concat', fmt(s), fmt(r));
        },
      ),
      { numRuns: 30 },
    );
    expectError(() => concat([]), ValueError, 'concat');
    expectError(() => stack([]), ValueError, 'stack');
  });

  it('take with an index out of range throws a ValueError naming the index and the axis length', () => {
    fc.assert(
      fc.property(
        shape({ minRank: 1, maxRank: 3, minDim: 0 }).chain((s) =>
          fc.integer({ min: 0, max: s.length - 1 }).chain((axis) => {
            const n = s[axis]!;
            return fc.tuple(
              fc.constant(s),
              fc.constant(axis),
              fc.oneof(fc.integer({ min: n, max: n + 5 }), fc.integer({ min: -n - 5, max: -n - 1 })),
              n === 0 ? fc.constant([]) : fc.array(fc.integer({ min: -n, max: n - 1 }), { maxLength: 3 }),
            );
          }),
        ),
        ([s, axis, bad, good]) => {
          const n = s[axis]!;
          const idx = [...good, bad];
          expectError(() => take(zeros(s), idx, axis), ValueError, 'take', `index ${bad}`, `length ${n}`);
          expectError(() => take(zeros(s), tensor([idx], { dtype: 'int32' }), axis), ValueError, 'take', `index ${bad}`);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('slice with a zero or fractional step, a fractional index, or too many entries throws', () => {
    fc.assert(
      fc.property(
        shape({ minRank: 1, maxRank: 3 }).chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: 0, max: s.length - 1 }))),
        ([s, d]) => {
          const x = zeros(s);
          const steps = s.map((_, i) => (i === d ? 0 : 1));
          expectError(() => slice(x, [], [], steps), ValueError, 'slice', `axis ${d}`);
          expectError(() => slice(x, [], [], s.map((_, i) => (i === d ? 0.5 : null))), ValueError, 'slice', `axis ${d}`);
          expectError(() => slice(x, s.map((_, i) => (i === d ? 0.5 : 0))), ValueError, 'slice', `axis ${d}`);
          expectError(() => slice(x, [...s.map(() => 0), 0]), ShapeError, 'slice', fmt(s));
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('tensor()', () => {
  /** The shape of rectangular nested arrays, or null when they are ragged (the oracle). */
  const rectShape = (x: NestedArray): number[] | null => {
    if (!Array.isArray(x)) return [];
    const kids = x.map(rectShape);
    if (kids.length === 0) return [0];
    const first = kids[0];
    if (first === null || first === undefined) return null;
    for (const k of kids) if (k === null || fmt(k) !== fmt(first)) return null;
    return [x.length, ...first];
  };

  /** Nested arrays of a shape with one sub-array broken: shortened, lengthened, or an element swapped for a value/array. */
  const broken = shape({ minRank: 1, maxRank: 3, minDim: 1, maxDim: 3 }).chain((s) =>
    fc
      .tuple(
        fc.array(fc.nat(), { minLength: s.length, maxLength: s.length }),
        fc.integer({ min: 0, max: s.length - 1 }),
        fc.constantFrom('shorter', 'longer', 'value', 'array'),
      )
      .map(([picks, depth, how]) => {
        const build = (d: number): NestedArray => (d === s.length ? 1 : Array.from({ length: s[d]! }, () => build(d + 1)));
        const root = build(0) as NestedArray[];
        let parent = root;
        for (let d = 0; d < depth; d++) parent = parent[picks[d]! % parent.length] as NestedArray[];
        const i = picks[depth]! % parent.length;
        if (how === 'shorter') parent.pop();
        else if (how === 'longer') parent.push(parent[0]!);
        else if (how === 'value') parent[i] = depth === s.length - 1 ? [1] : 1;
        else parent[i] = depth === s.length - 1 ? [1, 2] : [];
        return root;
      }),
  );

  it('ragged nesting throws a ShapeError saying so; rectangular nesting gives its shape', () => {
    let raggedCount = 0;
    fc.assert(
      fc.property(broken, (root) => {
        const expected = rectShape(root);
        if (expected === null) {
          raggedCount++;
          expectError(() => tensor(root), ShapeError, 'tensor', 'ragged');
        } else {
          expect(tensor(root).shape).toEqual(expected);
        }
      }),
      { numRuns: 60 },
    );
    // The generator is meant to break the nesting often (about half the time); 10 of 60 keeps the
    // check meaningful without depending on the luck of one draw.
    expect(raggedCount).toBeGreaterThan(10);
  });

  it('a shape option whose size differs from the data, values of the wrong kind, and fractions in int32 throw', () => {
    fc.assert(
      fc.property(shape({ maxRank: 3 }), shape({ maxRank: 3 }), (s, t) => {
        fc.pre(size(s) !== size(t));
        const flat = new Float32Array(size(s));
        expectError(() => tensor(flat, { shape: t }), ShapeError, 'tensor', fmt(t));
        expectError(() => tensor(Array.from(flat), { shape: t }), ShapeError, 'tensor', fmt(t));
      }),
      { numRuns: 25 },
    );
    expectError(() => tensor([1, 'a' as unknown as number]), DTypeError, 'tensor', 'string');
    expectError(() => tensor([1.5, 2], { dtype: 'int32' }), DTypeError, 'tensor', '1.5');
  });
});

describe('other bad arguments', () => {
  it('leakyRelu with a non-finite slope throws a ValueError', () => {
    for (const slope of [Number.NaN, Infinity, -Infinity]) expectError(() => leakyRelu(zeros([2]), slope), ValueError, 'leakyRelu', String(slope));
  });

  it('item() of a tensor with other than one element throws naming the shape', () => {
    fc.assert(
      fc.property(tensorOf(shape({ minRank: 1, minDim: 0 })), (x) => {
        fc.pre(x.size !== 1);
        const msg = thrown(() => x.item(), FluxionError);
        expect(msg).toContain(fmt(x.shape));
      }),
      { numRuns: 20 },
    );
  });
});
