/**
 * Precision: float32 params give float32 state and results, computed in double and rounded once
 * when stored; the fused step agrees with update + applyUpdates.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { astype, tree, type Tensor } from '@fluxion/core';
import { shape, tensorOf } from '@fluxion/core/testing';
import {
  adagrad,
  adam,
  adamw,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  momentum,
  nesterov,
  rmsprop,
  sgd,
  step,
  type StateFamily,
  type Transform,
} from '../src/index.js';

const optimizers: readonly [string, () => Transform<StateFamily>][] = [
  ['sgd', () => sgd()],
  ['momentum', () => momentum()],
  ['nesterov', () => nesterov()],
  ['adam', () => adam()],
  ['adam amsgrad', () => adam({ amsgrad: true })],
  ['adamw', () => adamw({ alpha: 0.01, weightDecayRate: 0.1 })],
  ['rmsprop', () => rmsprop()],
  ['adagrad', () => adagrad()],
];

type Pair = { W: Tensor; b: Tensor };
const pairArb = (dtype: 'float32' | 'float64'): fc.Arbitrary<[Pair, Pair]> =>
  fc.tuple(shape({ minRank: 1, maxRank: 2 }), shape({ maxRank: 1 })).chain(([sw, sb]) => {
    const t = fc.record({ W: tensorOf(sw, { dtype }), b: tensorOf(sb, { dtype }) });
    return fc.tuple(t, t);
  });

const f64 = (t: Pair): Pair => tree.map(t, (x: Tensor) => astype(x, 'float64'));

describe('float32: computed in double, stored once', () => {
  it.each(optimizers)('%s: the first step equals the float64 step rounded to float32', (_name, make) => {
    const opt = make();
    fc.assert(
      fc.property(pairArb('float32'), ([p, g]) => {
        const r32 = step(opt, p, g, opt.init(p));
        const r64 = step(opt, f64(p), f64(g), opt.init(f64(p)));
        const [u32, s32] = opt.update(g, opt.init(p), p);
        const [u64, s64] = opt.update(f64(g), opt.init(f64(p)), f64(p));
        for (const [a, b] of [
          [r32.params, r64.params],
          [r32.state, r64.state],
          [u32, u64],
          [s32, s64],
        ] as const) {
          const la = tree.leaves(a) as (Tensor | number)[];
          const lb = tree.leaves(b) as (Tensor | number)[];
          la.forEach((x, i) => {
            if (typeof x === 'number') return expect(x).toBe(lb[i]);
            expect(x.dtype).toBe('float32');
            expect(Array.from(x.data)).toEqual(Array.from((lb[i] as Tensor).data, Math.fround));
          });
        }
      }),
      { numRuns: 25 },
    );
  });
});

describe('the fused step agrees with update + applyUpdates', () => {
  it.each([...optimizers, ['chain(clip, adam)', () => chain(clipByGlobalNorm(0.5), adam())] as const])('%s', (_name, make) => {
    const opt = make();
    fc.assert(
      fc.property(pairArb('float64'), fc.integer({ min: 1, max: 4 }), ([p, g], n) => {
        let pa = p;
        let pb = p;
        let sa = opt.init(p);
        let sb = opt.init(p);
        for (let i = 0; i < n; i++) {
          ({ params: pa, state: sa } = step(opt, pa, g, sa));
          const [u, s] = opt.update(g, sb, pb);
          pb = applyUpdates(pb, u);
          sb = s;
        }
        expect(pa.W).toBeAllclose(pb.W, { rtol: 1e-13, atol: 1e-15 });
        expect(pa.b).toBeAllclose(pb.b, { rtol: 1e-13, atol: 1e-15 });
      }),
      { numRuns: 25 },
    );
  });
});

describe('amsgrad', () => {
  /** A param and a few gradients of its shape. */
  const seqArb = shape({ minRank: 1, maxRank: 2 }).chain((s) =>
    fc.tuple(tensorOf(s), fc.array(tensorOf(s), { minLength: 2, maxLength: 5 })),
  );

  it('vhat is the running maximum of v', () => {
    const opt = adam({ amsgrad: true });
    fc.assert(
      fc.property(seqArb, ([w, gs]) => {
        const p = { w };
        let s = opt.init(p);
        for (const g of gs) {
          const prev = s.vhat!.w.data;
          s = opt.update({ w: g }, s, p)[1];
          const vh = s.vhat!.w.data;
          const v = s.v.w.data;
          for (let j = 0; j < vh.length; j++) {
            expect(vh[j]).toBe(Math.max(prev[j]!, v[j]!));
          }
        }
      }),
      { numRuns: 20 },
    );
  });
});
