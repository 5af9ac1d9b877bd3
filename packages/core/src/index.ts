/**
 * @fluxion/core: immutable tensors, ops as free functions, reverse-mode autodiff via closures,
 * parameter trees and splittable random keys. No Node APIs: it runs in browsers as well.
 */
export { Tensor, TracerError, describe, type NestedArray } from './tensor.js';
export { type DType, type TypedArray, type ReadonlyTypedArray, DTYPES, isFloat } from './dtype.js';
export { FluxionError, ShapeError, DTypeError, ValueError } from './errors.js';
export {
  tensor,
  scalar,
  zeros,
  ones,
  full,
  zerosLike,
  onesLike,
  arange,
  linspace,
  eye,
  type TensorOptions,
  type TensorInput,
} from './creation.js';
export { broadcastShapes, sizeOf, stridesOf } from './shape.js';
export type { TensorLike } from './ops/util.js';
export {
  neg,
  exp,
  log,
  sqrt,
  sign,
  abs,
  sin,
  cos,
  tanh,
  sigmoid,
  softplus,
  erf,
  erfc,
  relu,
  leakyRelu,
  square,
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
  where,
  clip,
} from './ops/elementwise.js';
export { sum, mean, max, min, logsumexp, argmax, argmin, type Axis } from './ops/reduce.js';
export { matmul, dot, outer } from './ops/linalg.js';
export { meanSquaredError } from './ops/loss.js';
export { reshape, transpose, broadcastTo, expandDims, squeeze, concat, stack, slice, take } from './ops/shape.js';
export { softmax, logSoftmax, oneHot } from './ops/activation.js';
export { astype, stopGradient } from './ops/misc.js';
export {
  vjp,
  grad,
  valueAndGrad,
  hvp,
  customVjp,
  type Pullback,
  type GradOptions,
  type CustomVjpContext,
} from './autodiff.js';
export { bind, primitives, type Primitive, type Aval, type VjpRule } from './dispatch.js';
export { trace, evaluate, type Graph, type GraphValue, type GraphInput, type GraphConstant, type GraphNode } from './trace.js';
export * as tree from './tree.js';
export type { Tree, MapLeaves, TreeDef } from './tree.js';
export { TreeStructureError } from './tree.js';
export * as random from './random.js';
export type { Key } from './random.js';
