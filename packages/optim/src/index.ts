/**
 * @fluxion/optim: optimizers as pairs of pure functions (`init`, `update`), as in optax, with
 * Chainer's formulations and defaults; transforms that compose with `chain`; schedules; and the
 * mapping of optimizer state to Chainer's `save_npz(optimizer)` keys.
 *
 * @example
 * const opt = adam();
 * let state = opt.init(params);
 * for (...) {
 *   const g = grad(loss)(params, x, t);
 *   const [updates, s] = opt.update(g, state, params);
 *   params = applyUpdates(params, updates);
 *   state = s;
 * }
 */
export type {
  StateFamily,
  StateOf,
  GradientTransformation,
  Transform,
  Schedule,
  ScalarOrSchedule,
  EmptyState,
  EmptyFamily,
  CountState,
  CountFamily,
  MomentumState,
  MomentumFamily,
  AdamState,
  AdamFamily,
  RmspropState,
  RmspropFamily,
  AdagradState,
  AdagradFamily,
  ChainFamily,
} from './types.js';
export { applyUpdates, chain, step } from './base.js';
export {
  sgd,
  momentum,
  nesterov,
  adam,
  adamw,
  rmsprop,
  adagrad,
  type SgdOptions,
  type MomentumOptions,
  type AdamOptions,
  type AdamWOptions,
  type RmspropOptions,
  type AdagradOptions,
} from './optimizers.js';
export {
  identity,
  scale,
  scaleByLearningRate,
  clipByGlobalNorm,
  clipByValue,
  addDecayedWeights,
  globalNorm,
  type ScaleByLearningRateOptions,
} from './transforms.js';
export {
  constant,
  exponentialDecay,
  cosineDecay,
  linearWarmup,
  piecewiseConstant,
  type ExponentialDecayOptions,
  type CosineDecayOptions,
  type LinearWarmupOptions,
} from './schedules.js';
export { toChainerState, fromChainerState, type ToChainerStateOptions } from './chainer.js';
