/**
 * Schedules: pure functions from the step count (0 for the first update) to a number, for
 * `scaleByLearningRate` and for the optimizers' `lr`/`alpha`. Each checks its arguments when it is
 * made, so a bad schedule fails at construction, not in the middle of training.
 */
import { ValueError } from '@fluxion/core';
import { checkFinite, checkInteger, checkPositive } from './internal.js';
import type { ScalarOrSchedule, Schedule } from './types.js';

/**
 * The same value at every step.
 *
 * @example constant(0.1)(1000)   // 0.1
 * @throws ValueError for a non-finite value.
 */
export function constant(value: number): Schedule {
  checkFinite('constant', 'value', value);
  return () => value;
}

/** Options of `exponentialDecay`. */
export interface ExponentialDecayOptions {
  /** Steps over which the value is multiplied by `decayRate` once (default 1). */
  readonly transitionSteps?: number;
  /** Steps to hold `initValue` before decaying (default 0). */
  readonly transitionBegin?: number;
  /** Decay in whole transitions only (a staircase) rather than smoothly (default false). */
  readonly staircase?: boolean;
  /** A bound the value never passes: a floor when decaying, a ceiling when growing. */
  readonly endValue?: number;
}

/**
 * `initValue · decayRate^((step − transitionBegin) / transitionSteps)`, as optax's
 * `exponential_decay`; `initValue` until `transitionBegin`.
 *
 * @example exponentialDecay(1, 0.5, { transitionSteps: 10 })(20)   // 0.25
 * @example exponentialDecay(1, 0.5, { transitionSteps: 10, staircase: true })(19)   // 0.5
 * @throws ValueError for a non-finite `initValue`, a `decayRate` ≤ 0, `transitionSteps` ≤ 0 or a
 *   negative `transitionBegin`.
 */
export function exponentialDecay(initValue: number, decayRate: number, options: ExponentialDecayOptions = {}): Schedule {
  const op = 'exponentialDecay';
  const { transitionSteps = 1, transitionBegin = 0, staircase = false, endValue } = options;
  checkFinite(op, 'initValue', initValue);
  checkPositive(op, 'decayRate', decayRate);
  checkPositive(op, 'transitionSteps', transitionSteps);
  checkInteger(op, 'transitionBegin', transitionBegin, 0);
  if (endValue !== undefined) checkFinite(op, 'endValue', endValue);
  return (step) => {
    const count = step - transitionBegin;
    if (count <= 0) return initValue;
    const p = count / transitionSteps;
    const v = initValue * Math.pow(decayRate, staircase ? Math.floor(p) : p);
    if (endValue === undefined) return v;
    return decayRate < 1 ? Math.max(v, endValue) : Math.min(v, endValue);
  };
}

/** Options of `cosineDecay`. */
export interface CosineDecayOptions {
  /** The final value as a fraction of `initValue` (default 0). */
  readonly alpha?: number;
}

/**
 * Half a cosine from `initValue` at step 0 down to `alpha · initValue` at `decaySteps`, constant
 * after, as optax's `cosine_decay_schedule`:
 * `initValue · ((1 − alpha) · ½(1 + cos(π · min(step, decaySteps)/decaySteps)) + alpha)`.
 *
 * @example
 * const s = cosineDecay(0.1, 100);
 * s(0); s(50); s(100);   // 0.1, 0.05, 0
 * @throws ValueError for a non-finite `initValue`, `decaySteps` ≤ 0 or a non-finite `alpha`.
 */
export function cosineDecay(initValue: number, decaySteps: number, options: CosineDecayOptions = {}): Schedule {
  const op = 'cosineDecay';
  const { alpha = 0 } = options;
  checkFinite(op, 'initValue', initValue);
  checkPositive(op, 'decaySteps', decaySteps);
  checkFinite(op, 'alpha', alpha);
  return (step) => {
    const count = Math.min(Math.max(step, 0), decaySteps);
    const cosine = 0.5 * (1 + Math.cos((Math.PI * count) / decaySteps));
    return initValue * ((1 - alpha) * cosine + alpha);
  };
}

/** Options of `linearWarmup`. */
export interface LinearWarmupOptions {
  /** The value at step 0 (default 0). */
  readonly initValue?: number;
}

/**
 * A linear ramp from `initValue` (default 0) at step 0 to `after`'s first value at `warmupSteps`,
 * then `after` (a number or a schedule, which sees the steps counted from the end of the warm-up).
 *
 * @example
 * const s = linearWarmup(10, cosineDecay(0.1, 100));
 * s(0); s(5); s(10); s(60);   // 0, 0.05, 0.1, 0.05
 * @throws ValueError for a negative or fractional `warmupSteps` or a non-finite `initValue`.
 */
export function linearWarmup(warmupSteps: number, after: ScalarOrSchedule, options: LinearWarmupOptions = {}): Schedule {
  const op = 'linearWarmup';
  const { initValue = 0 } = options;
  checkInteger(op, 'warmupSteps', warmupSteps, 0);
  checkFinite(op, 'initValue', initValue);
  if (typeof after === 'number') checkFinite(op, 'after', after);
  else if (typeof after !== 'function') throw new ValueError(op, `after must be a number or a schedule, got ${typeof after}`);
  const then: Schedule = typeof after === 'number' ? () => after : after;
  const peak = then(0);
  return (step) => (step < warmupSteps ? initValue + ((peak - initValue) * Math.max(step, 0)) / warmupSteps : then(step - warmupSteps));
}

/**
 * `values[0]` before `boundaries[0]`, `values[i]` from `boundaries[i − 1]` up to (not including)
 * `boundaries[i]`, and the last value from the last boundary on.
 *
 * @example
 * const s = piecewiseConstant([100, 200], [0.1, 0.01, 0.001]);
 * s(99); s(100); s(250);   // 0.1, 0.01, 0.001
 * @throws ValueError unless there is one value more than boundaries, the boundaries are strictly
 *   increasing integers ≥ 0 and the values finite.
 */
export function piecewiseConstant(boundaries: readonly number[], values: readonly number[]): Schedule {
  const op = 'piecewiseConstant';
  if (!Array.isArray(boundaries) || !Array.isArray(values) || values.length !== boundaries.length + 1) {
    throw new ValueError(
      op,
      `needs one value more than boundaries, got ${Array.isArray(boundaries) ? boundaries.length : typeof boundaries} boundaries and ${Array.isArray(values) ? values.length : typeof values} values`,
    );
  }
  for (let i = 0; i < boundaries.length; i++) {
    checkInteger(op, `boundaries[${i}]`, boundaries[i]!, 0);
    if (i > 0 && !(boundaries[i]! > boundaries[i - 1]!)) {
      throw new ValueError(op, `boundaries must increase strictly, got ${boundaries[i - 1]} then ${boundaries[i]}`);
    }
  }
  values.forEach((v, i) => checkFinite(op, `values[${i}]`, v));
  const bs = boundaries.slice();
  const vs = values.slice();
  return (step) => {
    let i = 0;
    while (i < bs.length && step >= bs[i]!) i++;
    return vs[i]!;
  };
}
