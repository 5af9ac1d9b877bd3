/**
 * Transforms and their composition against hand-worked values.
 */
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '@fluxion/core';
import {
  adam,
  addDecayedWeights,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  clipByValue,
  constant,
  globalNorm,
  identity,
  piecewiseConstant,
  scale,
  scaleByLearningRate,
  sgd,
  step,
} from '../src/index.js';

const f64 = (xs: number[]): Tensor => tensor(new Float64Array(xs), { dtype: 'float64' });
const values = (t: Tensor): number[] => Array.from(t.data);

describe('clipByGlobalNorm', () => {
  // ‖(3, 4, 12)‖ = 13 across two leaves.
  const u = { a: f64([3, 4]), b: f64([12]) };

  it('computes the global norm of a tree', () => {
    expect(globalNorm(u)).toBe(13);
    expect(globalNorm({})).toBe(0);
  });

  it('scales every leaf by maxNorm / norm when the norm is larger', () => {
    const [out, s] = clipByGlobalNorm(6.5).update(u, {});
    expect(values(out.a)).toEqual([1.5, 2]);
    expect(values(out.b)).toEqual([6]);
    expect(globalNorm(out)).toBeCloseTo(6.5, 14);
    expect(s).toEqual({});
  });

  it('passes the updates through untouched at or under maxNorm', () => {
    expect(clipByGlobalNorm(13).update(u, {})[0]).toBe(u);
    expect(clipByGlobalNorm(100).update(u, {})[0]).toBe(u);
  });

  it('never hides a NaN', () => {
    const [out] = clipByGlobalNorm(1).update({ a: f64([NaN, 1]) }, {});
    expect(Number.isNaN(out.a.data[0])).toBe(true);
  });

  it('keeps float32 as float32', () => {
    const [out] = clipByGlobalNorm(1).update({ a: tensor([3, 4]) }, {});
    expect(out.a.dtype).toBe('float32');
    expect(out.a).toBeAllclose([0.6, 0.8], { rtol: 1e-7 });
  });
});

describe('clipByValue', () => {
  it('clips every element to [lower, upper]; NaN stays NaN', () => {
    const [out] = clipByValue(-1, 2).update({ g: f64([-3, 0.5, 5, -1, 2]) }, {});
    expect(values(out.g)).toEqual([-1, 0.5, 2, -1, 2]);
    const [nan] = clipByValue(-1, 1).update({ g: f64([NaN]) }, {});
    expect(Number.isNaN(nan.g.data[0])).toBe(true);
  });
});

describe('addDecayedWeights', () => {
  it('adds rate · params to the updates', () => {
    const [out] = addDecayedWeights(0.1).update({ w: f64([1, 2]) }, {}, { w: f64([10, 20]) });
    expect(values(out.w)).toEqual([2, 4]);
  });

  it('before sgd it is Chainer\'s WeightDecay hook: p − lr·(g + rate·p)', () => {
    const opt = chain(addDecayedWeights(0.5), sgd({ lr: 0.1 }));
    const p = { w: f64([2, -4]) };
    const g = { w: f64([1, 1]) };
    const { params } = step(opt, p, g, opt.init(p));
    expect(params.w).toBeAllclose([2 - 0.1 * (1 + 1), -4 - 0.1 * (1 - 2)], { rtol: 1e-15 });
  });
});

describe('scale and scaleByLearningRate', () => {
  const u = { w: f64([1, -2]) };

  it('scale multiplies by a constant', () => {
    expect(values(scale(3).update(u, {})[0].w)).toEqual([3, -6]);
  });

  it('multiplies by −lr, or by lr with flipSign: false, and counts its steps', () => {
    const [down, s1] = scaleByLearningRate(0.5).update(u, { t: 0 });
    expect(values(down.w)).toEqual([-0.5, 1]);
    expect(s1).toEqual({ t: 1 });
    expect(values(scaleByLearningRate(0.5, { flipSign: false }).update(u, { t: 7 })[0].w)).toEqual([0.5, -1]);
  });

  it('reads a schedule at its own step count', () => {
    const t = scaleByLearningRate(piecewiseConstant([2], [1, 0.25]));
    let s = t.init(u);
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [out, s2] = t.update(u, s);
      seen.push(out.w.data[0]!);
      s = s2;
    }
    expect(seen).toEqual([-1, -1, -0.25, -0.25]);
    expect(s.t).toBe(4);
  });

  it('a schedule that turns negative is an error naming the step', () => {
    const t = scaleByLearningRate((step) => 1 - step);
    expect(() => t.update(u, { t: 2 })).toThrow(/schedule gave -1 at step 2/);
  });
});

describe('chain', () => {
  it('applies the transforms left to right', () => {
    const u = { w: f64([0.75]) };
    expect(values(chain(scale(2), clipByValue(-1, 1)).update(u, [{}, {}])[0].w)).toEqual([1]);
    expect(values(chain(clipByValue(-0.5, 0.5), scale(2)).update(u, [{}, {}])[0].w)).toEqual([1]);
    expect(values(chain(clipByValue(-1, 1), scale(2)).update(u, [{}, {}])[0].w)).toEqual([1.5]);
  });

  it('keeps one state per transform, in order', () => {
    const p = { w: f64([1, 2]) };
    const opt = chain(identity(), clipByGlobalNorm(1), scaleByLearningRate(0.1), adam());
    const s0 = opt.init(p);
    expect(s0.length).toBe(4);
    expect(s0[2]).toEqual({ t: 0 });
    expect(s0[3].t).toBe(0);
    const [, s1] = opt.update(p, s0, p);
    expect(s1[2]).toEqual({ t: 1 });
    expect(s1[3].t).toBe(1);
  });

  it('chain(sgd) steps as sgd does; a chain of nothing is the identity', () => {
    const p = { w: f64([1, 2]) };
    const g = { w: f64([0.5, -0.5]) };
    const a = step(chain(sgd({ lr: 0.1 })), p, g, [{ t: 0 }]).params;
    const b = step(sgd({ lr: 0.1 }), p, g, { t: 0 }).params;
    expect(values(a.w)).toEqual(values(b.w));
    const [u, s] = chain().update(g, [], p);
    expect(u).toBe(g);
    expect(s).toEqual([]);
  });

  it('clip then a scheduled lr: the fused step equals update + applyUpdates', () => {
    const p = { w: f64([3, 4]) };
    const g = { w: f64([30, 40]) };
    const opt = chain(clipByGlobalNorm(5), scaleByLearningRate(constant(0.1)));
    const [u, s] = opt.update(g, opt.init(p), p);
    expect(values(u.w)).toEqual([-0.30000000000000004, -0.4]);
    const fused = step(opt, p, g, opt.init(p));
    expect(values(fused.params.w)).toEqual(values(applyUpdates(p, u).w));
    expect(fused.state).toEqual(s);
  });
});

describe('optimizers read lr schedules at their own step count', () => {
  it('adam with a constant schedule is adam', () => {
    const p = { w: f64([1, -2, 3]) };
    const g = { w: f64([0.1, 0.2, -0.3]) };
    const a = adam({ alpha: constant(0.001) });
    const b = adam();
    let sa = a.init(p);
    let sb = b.init(p);
    let pa = p;
    let pb = p;
    for (let i = 0; i < 3; i++) {
      ({ params: pa, state: sa } = step(a, pa, g, sa));
      ({ params: pb, state: sb } = step(b, pb, g, sb));
    }
    expect(values(pa.w)).toEqual(values(pb.w));
  });

  it('sgd with a schedule uses lr(t) for update t + 1', () => {
    const opt = sgd({ lr: piecewiseConstant([1], [0.1, 0.01]) });
    const p = { w: f64([0]) };
    const g = { w: f64([1]) };
    const first = step(opt, p, g, opt.init(p));
    const second = step(opt, first.params, g, first.state);
    expect(values(first.params.w)).toEqual([-0.1]);
    expect(values(second.params.w)).toEqual([-0.1 - 0.01]);
  });
});
