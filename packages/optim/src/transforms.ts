/**
 * Gradient transforms that compose with `chain`: clipping, weight decay, scaling by a (scheduled)
 * learning rate. Each is a `Transform`; stateless ones have the state `{}`, and
 * `scaleByLearningRate` counts its steps in `{ t }` to read its schedule.
 */
import { ValueError, tree, type Tensor } from '@fluxion/core';
import type { AnyTransform } from './base.js';
import {
  alloc,
  checkFinite,
  checkNonNegative,
  checkPositive,
  checkRate,
  countOf,
  floatLeaf,
  matchingLeaf,
  rateAt,
  wrap,
  type FloatArray,
  type ReadArray,
} from './internal.js';
import { build, flattenTogether } from './walk.js';
import type { CountFamily, EmptyFamily, EmptyState, ScalarOrSchedule, Transform } from './types.js';

const EMPTY: EmptyState = Object.freeze({});

/** Applies `kernel(src, out)` to every leaf of `updates` (float tensors) into fresh arrays. */
function mapUpdates(op: string, updates: unknown, kernel: (src: ReadArray, out: FloatArray) => void): unknown {
  const { leaves, skeleton } = flattenTogether(op, ['updates'], [updates]);
  const ul = leaves[0]!;
  const out = new Array<Tensor>(ul.length);
  for (let i = 0; i < ul.length; i++) {
    const u = floatLeaf(op, 'updates', updates, ul[i], i);
    const o = alloc(u.dtype, u.size);
    kernel(u.data, o);
    out[i] = wrap(o, u);
  }
  return build(skeleton, out);
}

function checkEmptyState(op: string, state: unknown): void {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) {
    throw new ValueError(op, `the state must be the {} that init returns, got ${state === null ? 'null' : Array.isArray(state) ? 'an array' : typeof state}`);
  }
}

function stateless(name: string, f: (updates: unknown, params: unknown) => unknown): Transform<EmptyFamily> {
  const impl: AnyTransform & { name: string } = {
    name,
    init: () => EMPTY,
    update: (updates, state, params) => {
      checkEmptyState(name, state);
      return [f(updates, params), EMPTY];
    },
  };
  return Object.freeze(impl) as unknown as Transform<EmptyFamily>;
}

/**
 * Leaves the updates as they are. State `{}`.
 *
 * @example chain(identity(), sgd())   // the same as sgd()
 */
export function identity(): Transform<EmptyFamily> {
  return stateless('identity', (u) => u);
}

/**
 * Multiplies the updates by a constant. State `{}`.
 *
 * @example chain(scale(-0.01))   // plain SGD with lr 0.01
 * @throws ValueError for a non-finite factor.
 */
export function scale(factor: number): Transform<EmptyFamily> {
  checkFinite('scale', 'factor', factor);
  return stateless('scale', (updates) =>
    mapUpdates('scale', updates, (src, out) => {
      for (let i = 0; i < src.length; i++) out[i] = factor * src[i]!;
    }),
  );
}

/** Options of `scaleByLearningRate`. */
export interface ScaleByLearningRateOptions {
  /** Multiply by −lr (descent, the default) rather than lr. */
  readonly flipSign?: boolean;
}

/**
 * Multiplies the updates by `−lr` (by `lr` with `flipSign: false`), where `lr` is a number or a
 * schedule read at this transform's own step count. State `{ t }`: the updates done so far.
 *
 * @example
 * const opt = chain(clipByGlobalNorm(1), scaleByLearningRate(cosineDecay(0.1, 1000)));
 * @throws ValueError for a negative or non-finite lr (a schedule's value is checked at each step).
 */
export function scaleByLearningRate(lr: ScalarOrSchedule, options: ScaleByLearningRateOptions = {}): Transform<CountFamily> {
  const op = 'scaleByLearningRate';
  const { flipSign = true } = options;
  checkRate(op, 'lr', lr);
  const impl: AnyTransform & { name: string } = {
    name: op,
    init: () => ({ t: 0 }),
    update: (updates, state) => {
      const t = countOf(op, state);
      const r = rateAt(op, 'lr', lr, t);
      const f = flipSign ? -r : r;
      const out = mapUpdates(op, updates, (src, o) => {
        for (let i = 0; i < src.length; i++) o[i] = f * src[i]!;
      });
      return [out, { t: t + 1 }];
    },
  };
  return Object.freeze(impl) as unknown as Transform<CountFamily>;
}

/**
 * The L2 norm of all the leaves of a tree together, √(Σ x²), accumulated in double.
 *
 * @example globalNorm({ a: tensor([3, 4]), b: tensor([12]) })   // 13
 */
export function globalNorm(t: unknown): number {
  const leaves = tree.leaves(t);
  let ss = 0;
  for (let i = 0; i < leaves.length; i++) {
    const d = floatLeaf('globalNorm', 'tree', t, leaves[i], i).data;
    for (let j = 0; j < d.length; j++) ss += d[j]! * d[j]!;
  }
  return Math.sqrt(ss);
}

/**
 * Scales all the updates together so that their global L2 norm is at most `maxNorm`, as Chainer's
 * `GradientClipping` hook: when the norm exceeds `maxNorm` every leaf is multiplied by
 * `maxNorm / norm`; otherwise the updates pass through untouched (the same tree). A NaN norm passes
 * through too, so a NaN is never hidden. State `{}`.
 *
 * @example chain(clipByGlobalNorm(1), adam())
 * @throws ValueError for a `maxNorm` that is not a finite number > 0.
 */
export function clipByGlobalNorm(maxNorm: number): Transform<EmptyFamily> {
  const op = 'clipByGlobalNorm';
  checkPositive(op, 'maxNorm', maxNorm);
  return stateless(op, (updates) => {
    const norm = globalNorm(updates);
    if (!(norm > maxNorm)) return updates;
    const f = maxNorm / norm;
    return mapUpdates(op, updates, (src, out) => {
      for (let i = 0; i < src.length; i++) out[i] = src[i]! * f;
    });
  });
}

/**
 * Clips every element of the updates to [lower, upper], as Chainer's `GradientHardClipping`.
 * NaN stays NaN. State `{}`.
 *
 * @example chain(clipByValue(-1, 1), sgd())
 * @throws ValueError unless lower ≤ upper (both may be infinite, not NaN).
 */
export function clipByValue(lower: number, upper: number): Transform<EmptyFamily> {
  const op = 'clipByValue';
  if (typeof lower !== 'number' || typeof upper !== 'number' || Number.isNaN(lower) || Number.isNaN(upper) || !(lower <= upper)) {
    throw new ValueError(op, `needs numbers lower ≤ upper, got ${String(lower)} and ${String(upper)}`);
  }
  return stateless(op, (updates) =>
    mapUpdates(op, updates, (src, out) => {
      for (let i = 0; i < src.length; i++) {
        const x = src[i]!;
        out[i] = x < lower ? lower : x > upper ? upper : x;
      }
    }),
  );
}

/**
 * Adds `rate · params` to the updates: L2 weight decay coupled to the gradient, as Chainer's
 * `WeightDecay` hook (put it before the optimizer in a chain). Needs the params. State `{}`.
 * For the decoupled kind (AdamW) use `adamw`.
 *
 * @example chain(addDecayedWeights(1e-4), momentum())
 * @throws ValueError for a negative rate; from `update`, ValueError without params and
 *   TreeStructureError/ShapeError/DTypeError naming the path where params and updates differ.
 */
export function addDecayedWeights(rate: number): Transform<EmptyFamily> {
  const op = 'addDecayedWeights';
  checkNonNegative(op, 'rate', rate);
  return stateless(op, (updates, params) => {
    if (params === undefined) throw new ValueError(op, 'needs the params: call update(updates, state, params)');
    const { leaves, skeleton } = flattenTogether(op, ['updates', 'params'], [updates, params]);
    const ul = leaves[0]!;
    const pl = leaves[1]!;
    const out = new Array<Tensor>(ul.length);
    for (let i = 0; i < ul.length; i++) {
      const p = floatLeaf(op, 'params', params, pl[i], i);
      const u = matchingLeaf(op, 'updates', updates, ul[i], i, 'params', p);
      const ud = u.data;
      const pd = p.data;
      const o = alloc(p.dtype, p.size);
      for (let j = 0; j < o.length; j++) o[j] = ud[j]! + rate * pd[j]!;
      out[i] = wrap(o, p);
    }
    return build(skeleton, out);
  });
}
