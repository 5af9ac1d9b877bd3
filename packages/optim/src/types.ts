/**
 * The types every optimizer and transform shares.
 *
 * A transform is a pair of pure functions, as in optax: `init(params) → state` and
 * `update(updates, state, params) → [updates, state]`. Its state is a plain record of numbers and
 * tensors (a tree), so it can be checkpointed, compared and inspected like params.
 *
 * Transforms work for any params tree, and their state's type depends on it (Adam's state holds two
 * trees shaped like the params). TypeScript has no type-level functions, so each transform names a
 * *state family* `F`, an interface whose `S` member is written in terms of `this['P']`; `StateOf<F, P>`
 * applies it to a params type `P`. That keeps every type exact without annotations:
 *
 * @example
 * const opt = adam();                     // Transform<AdamFamily>
 * let state = opt.init(params);           // AdamState<typeof params>
 * const [updates, s] = opt.update(grads, state, params);   // [typeof params, AdamState<typeof params>]
 */

/**
 * A type-level function from a params type to a state type. Extend it and write `S` with
 * `this['P']`: `interface AdamFamily extends StateFamily { readonly S: AdamState<this['P']> }`.
 */
export interface StateFamily {
  readonly P: unknown;
  readonly S: unknown;
}

/** The state type that family `F` gives for params of type `P`. */
export type StateOf<F extends StateFamily, P> = (F & { readonly P: P })['S'];

/**
 * A gradient transformation for one params type `P` with state `S`: what a training loop needs.
 * Every `Transform<F>` is a `GradientTransformation<P, StateOf<F, P>>` for every `P`, so
 * `const opt: GradientTransformation<Params, AdamState<Params>> = adam()` type-checks.
 */
export interface GradientTransformation<P, S> {
  /** The state before the first update. Pure. */
  readonly init: (params: P) => S;
  /**
   * Transforms `updates` (the gradients, for the first transform of a chain) with `state`; returns
   * the new updates and the next state. Pure: its inputs are left as they were.
   */
  readonly update: (updates: P, state: S, params?: P) => readonly [updates: P, state: S];
  /** Optional fused `update` + `applyUpdates`: the new params and the next state in one pass. */
  readonly step?: (params: P, grads: P, state: S) => readonly [params: P, state: S];
}

/**
 * A gradient transformation that works for every params tree: `init`, `update` (and the fused
 * `step`) are generic in the params type `P`, and the state for `P` is `StateOf<F, P>`.
 * Optimizers (`adam()`), transforms (`clipByGlobalNorm(1)`) and `chain(...)` all return one.
 */
export interface Transform<F extends StateFamily> {
  /** Phantom field carrying the state family for type inference; never set. */
  readonly _family?: F;
  /** A short name used in error messages: `'adam'`, `'clipByGlobalNorm'`, `'chain'`. */
  readonly name: string;
  /** The state before the first update. Pure. */
  init<P>(params: P): StateOf<F, P>;
  /**
   * `[newUpdates, newState]` from `updates` (the gradients, for an optimizer), the state and, when
   * the transform needs them (weight decay), the params. Pure: its inputs are left as they were.
   */
  update<P>(updates: P, state: StateOf<F, P>, params?: P): readonly [updates: P, state: StateOf<F, P>];
  /**
   * Fused `update` then `applyUpdates`: the new params and the next state, computed in one pass over
   * each parameter's data. Present on the built-in optimizers and on chains; `step()` falls back to
   * `update` + `applyUpdates` when absent.
   */
  step?<P>(params: P, grads: P, state: StateOf<F, P>): readonly [params: P, state: StateOf<F, P>];
}

/** A learning-rate (or any hyperparameter) schedule: a pure function of the step count, from 0. */
export type Schedule = (step: number) => number;

/** A number, or a schedule read at the transform's own step count. */
export type ScalarOrSchedule = number | Schedule;

// ----------------------------------------------------------------------------------------------
// States and their families

/** The state of a stateless transform (`clipByGlobalNorm`, `clipByValue`, `addDecayedWeights`). */
export type EmptyState = { readonly [key: string]: never };

/** State family of stateless transforms. */
export interface EmptyFamily extends StateFamily {
  readonly S: EmptyState;
}

/** A step count: the number of updates done so far (Chainer's `t`). */
export interface CountState {
  readonly t: number;
}

/** State family of transforms that only count steps (`sgd`, `scaleByLearningRate`). */
export interface CountFamily extends StateFamily {
  readonly S: CountState;
}

/** `momentum` and `nesterov` (Chainer MomentumSGD, NesterovAG): the velocity `v`. */
export interface MomentumState<P> {
  readonly t: number;
  readonly v: P;
}

export interface MomentumFamily extends StateFamily {
  readonly S: MomentumState<this['P']>;
}

/**
 * `adam` and `adamw`: first and second moment estimates `m`, `v`, and with `amsgrad` the running
 * maximum `vhat` of `v`. The same names as Chainer's state keys (`l1/W/m`).
 */
export interface AdamState<P> {
  readonly t: number;
  readonly m: P;
  readonly v: P;
  readonly vhat?: P;
}

export interface AdamFamily extends StateFamily {
  readonly S: AdamState<this['P']>;
}

/** `rmsprop`: the running mean of squared gradients `ms`. */
export interface RmspropState<P> {
  readonly t: number;
  readonly ms: P;
}

export interface RmspropFamily extends StateFamily {
  readonly S: RmspropState<this['P']>;
}

/** `adagrad`: the sum of squared gradients `h`. */
export interface AdagradState<P> {
  readonly t: number;
  readonly h: P;
}

export interface AdagradFamily extends StateFamily {
  readonly S: AdagradState<this['P']>;
}

/** A `chain`'s state: the tuple of its transforms' states, in order. */
export interface ChainFamily<Fs extends readonly StateFamily[]> extends StateFamily {
  readonly S: { -readonly [I in keyof Fs]: StateOf<Fs[I], this['P']> };
}
