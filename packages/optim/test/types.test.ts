/**
 * The types keep the params tree: states, updates and step results are typed from the params
 * without annotations (checked by tsc; the runtime part only runs the code).
 */
import { describe, expectTypeOf, it } from 'vitest';
import { zeros, type Tensor } from '@fluxion/core';
import {
  adam,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  scaleByLearningRate,
  sgd,
  step,
  type AdamState,
  type CountState,
  type EmptyState,
  type GradientTransformation,
} from '../src/index.js';

const params = { l1: { W: zeros([16, 1]), b: zeros([16]) }, l2: { W: zeros([1, 16]), b: zeros([1]) } };
type Params = typeof params;

describe('types', () => {
  it('an optimizer keeps the params type through init, update, applyUpdates and step', () => {
    const opt = adam();
    let p = params;
    let state = opt.init(p);
    expectTypeOf(state).toEqualTypeOf<AdamState<Params>>();
    expectTypeOf(state.m.l1.W).toEqualTypeOf<Tensor>();
    const [updates, s] = opt.update(p, state, p);
    expectTypeOf(updates).toEqualTypeOf<Params>();
    p = applyUpdates(p, updates);
    state = s;
    const r = step(opt, p, p, state);
    expectTypeOf(r.params).toEqualTypeOf<Params>();
    expectTypeOf(r.state).toEqualTypeOf<AdamState<Params>>();
  });

  it('a chain state is the tuple of its states', () => {
    const opt = chain(clipByGlobalNorm(1), scaleByLearningRate(0.1), adam());
    const s = opt.init(params);
    expectTypeOf(s).toEqualTypeOf<[EmptyState, CountState, AdamState<Params>]>();
    expectTypeOf(step(opt, params, params, s).state).toEqualTypeOf<[EmptyState, CountState, AdamState<Params>]>();
  });

  it('a Transform is a GradientTransformation for any params type', () => {
    const g: GradientTransformation<Params, AdamState<Params>> = adam();
    const c: GradientTransformation<Params, [EmptyState, CountState]> = chain(clipByGlobalNorm(1), sgd());
    expectTypeOf(step(g, params, params, g.init(params)).state).toEqualTypeOf<AdamState<Params>>();
    expectTypeOf(c.init(params)).toEqualTypeOf<[EmptyState, CountState]>();
  });

  it('mixing up states or trees is a type error', () => {
    const opt = adam();
    const state = opt.init(params);
    // Type-checked, never run (it would throw).
    const misuse = (): void => {
      // @ts-expect-error: an sgd state is not an Adam state
      opt.update(params, sgd().init(params), params);
      // @ts-expect-error: updates must have the params' type
      applyUpdates(params, { l1: params.l1 });
    };
    expectTypeOf(misuse).toBeFunction();
    expectTypeOf(state.v).toEqualTypeOf<Params>();
  });
});
