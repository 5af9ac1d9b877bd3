/**
 * @fluxion/nn: layers, activations, losses and initializers as pure functions over parameter
 * trees. A layer is its apply function `(params, x) => y` with `.init(key, ...sizes, options)`
 * attached; a model is plain function composition; its parameters are a readonly record tree
 * laid out as Chainer lays out its links (`Linear`'s W is [out, in]), so `tree.paths` gives
 * Chainer's npz keys. See README.md for the seed model.
 */
export {
  linear,
  embedding,
  dropout,
  mlp,
  type Layer,
  type InitializerLike,
  type LinearParams,
  type LinearNoBiasParams,
  type LinearInitOptions,
  type EmbeddingParams,
  type EmbeddingInitOptions,
  type EmbeddingOptions,
  type MlpParams,
  type MlpOptions,
} from './layers.js';
export {
  relu,
  leakyRelu,
  sigmoid,
  tanh,
  softplus,
  softmax,
  logSoftmax,
  elu,
  gelu,
  type Activation,
  type GeluOptions,
} from './activations.js';
export {
  meanSquaredError,
  meanAbsoluteError,
  huberLoss,
  softmaxCrossEntropy,
  sigmoidCrossEntropy,
  accuracy,
  type HuberLossOptions,
  type SoftmaxCrossEntropyOptions,
  type SigmoidCrossEntropyOptions,
  type AccuracyOptions,
} from './losses.js';
export * as initializers from './initializers.js';
export type { Initializer, InitializerOptions, Fans } from './initializers.js';
export type { FloatDType } from './util.js';
