/**
 * `applyUpdates`, `chain` and the fused `step`: what every training loop uses.
 */
import { TreeStructureError, ValueError, type Tensor } from '@fluxion/core';
import { alloc, floatLeaf, matchingLeaf, wrap } from './internal.js';
import { build, flattenTogether } from './walk.js';
import type { ChainFamily, GradientTransformation, StateFamily, StateOf, Transform } from './types.js';

/**
 * `params + updates`, leaf by leaf: the new params. Each leaf is one pass over its data, computed in
 * double and stored in the param's dtype. Pure: a fresh tree; `params` and `updates` are unchanged.
 *
 * @example
 * const [updates, s] = opt.update(g, state, params);
 * params = applyUpdates(params, updates);
 * @throws TreeStructureError naming the first path where the trees differ; ShapeError or
 *   DTypeError naming the path of a leaf whose shape or dtype differs from the param's.
 */
export function applyUpdates<P>(params: P, updates: NoInfer<P>): P {
  const op = 'applyUpdates';
  const { leaves, skeleton } = flattenTogether(op, ['params', 'updates'], [params, updates]);
  const pl = leaves[0]!;
  const ul = leaves[1]!;
  const out = new Array<Tensor>(pl.length);
  for (let i = 0; i < pl.length; i++) {
    const p = floatLeaf(op, 'params', params, pl[i], i);
    const u = matchingLeaf(op, 'updates', updates, ul[i], i, 'params', p);
    const pd = p.data;
    const ud = u.data;
    const n = pd.length;
    const o = alloc(p.dtype, n);
    for (let j = 0; j < n; j++) o[j] = pd[j]! + ud[j]!;
    out[i] = wrap(o, p);
  }
  return build<P>(skeleton, out);
}

/**
 * One training step with the fused path: `opt.step` when the optimizer has one (every built-in
 * optimizer and every chain does), else `opt.update` then `applyUpdates`. Returns the new params
 * and state; the inputs are unchanged.
 *
 * The fused path writes the new params directly (one rounding), so in float32 it can differ from
 * `applyUpdates(params, updates)` (two roundings) in the last bit.
 *
 * @example
 * ({ params, state } = step(opt, params, grads, state));
 */
export function step<P, F extends StateFamily>(
  opt: Transform<F>,
  params: P,
  grads: NoInfer<P>,
  state: NoInfer<StateOf<F, P>>,
): { params: P; state: StateOf<F, P> };
export function step<P, S>(opt: GradientTransformation<P, S>, params: P, grads: NoInfer<P>, state: NoInfer<S>): { params: P; state: S };
export function step(
  opt: { step?: unknown; update: unknown },
  params: unknown,
  grads: unknown,
  state: unknown,
): { params: unknown; state: unknown } {
  const [p, s] = stepAny(opt as AnyTransform, params, grads, state);
  return { params: p, state: s };
}

/** The untyped view of a transform the combinators use inside. */
export interface AnyTransform {
  readonly name?: string;
  init(params: unknown): unknown;
  update(updates: unknown, state: unknown, params?: unknown): readonly [unknown, unknown];
  step?(params: unknown, grads: unknown, state: unknown): readonly [unknown, unknown];
}

function stepAny(opt: AnyTransform, params: unknown, grads: unknown, state: unknown): readonly [unknown, unknown] {
  if (opt.step) return opt.step(params, grads, state);
  const [u, s] = opt.update(grads, state, params);
  return [applyUpdates(params, u), s];
}

/**
 * Composes transforms left to right, as optax's `chain`: the gradients go through the first, its
 * output through the second, and so on. The state is the tuple of the transforms' states.
 *
 * @example
 * const opt = chain(clipByGlobalNorm(1), addDecayedWeights(1e-4), scaleByLearningRate(cosineDecay(0.1, 1000)));
 * const state = opt.init(params);   // [EmptyState, EmptyState, CountState]
 * @throws (from `update`) TreeStructureError when the state is not a tuple of one state per transform.
 */
export function chain<Fs extends StateFamily[]>(...transforms: { [I in keyof Fs]: Transform<Fs[I]> }): Transform<ChainFamily<Fs>> {
  const ts = transforms as unknown as readonly AnyTransform[];
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i];
    if (typeof t !== 'object' || t === null || typeof t.init !== 'function' || typeof t.update !== 'function') {
      throw new ValueError('chain', `argument ${i} is not a transform (an object with init and update)`);
    }
  }
  const name = `chain(${ts.map((t) => t.name ?? '?').join(', ')})`;
  const checkState = (state: unknown): readonly unknown[] => {
    if (!Array.isArray(state) || state.length !== ts.length) {
      const got = Array.isArray(state) ? `an array of length ${state.length}` : state === null ? 'null' : typeof state;
      throw new TreeStructureError(
        'chain',
        `the state of ${name} must be an array of ${ts.length} states (from its init), got ${got}`,
        Array.isArray(state) ? String(Math.min(state.length, ts.length)) : '',
      );
    }
    return state;
  };
  const impl: AnyTransform & { name: string } = {
    name,
    init: (params) => ts.map((t) => t.init(params)),
    update: (updates, state, params) => {
      const ss = checkState(state);
      const next = new Array<unknown>(ts.length);
      let u = updates;
      for (let i = 0; i < ts.length; i++) {
        const [u2, s2] = ts[i]!.update(u, ss[i], params);
        u = u2;
        next[i] = s2;
      }
      return [u, next];
    },
    step: (params, grads, state) => {
      const ss = checkState(state);
      if (ts.length === 0) return [params, []];
      const next = new Array<unknown>(ts.length);
      let u = grads;
      const last = ts.length - 1;
      for (let i = 0; i < last; i++) {
        const [u2, s2] = ts[i]!.update(u, ss[i], params);
        u = u2;
        next[i] = s2;
      }
      const [p, s] = stepAny(ts[last]!, params, u, ss[last]);
      next[last] = s;
      return [p, next];
    },
  };
  return Object.freeze(impl) as unknown as Transform<ChainFamily<Fs>>;
}
