/**
 * Losses and metrics with Chainer's semantics (`chainer.functions`): what is averaged over what,
 * how ignored labels count, and the default reductions are Chainer's, so losses and therefore
 * training curves agree with a Chainer run. Every function checks its inputs and throws
 * ShapeError / DTypeError / ValueError naming itself.
 */
import {
  ShapeError,
  ValueError,
  abs,
  argmax,
  astype,
  div,
  equal,
  greater,
  logSoftmax,
  maximum,
  mean,
  meanSquaredError as fusedMse,
  mul,
  neg,
  notEqual,
  oneHot,
  softplus,
  square,
  stopGradient,
  sub,
  sum,
  transpose,
  where,
  type Tensor,
} from '@fluxion/core';
import { checkFloat, checkInt, checkSameDType, checkSameShape, concreteValues, fmt } from './util.js';

function checkPair(op: string, x: unknown, t: unknown): asserts x is Tensor {
  checkFloat(op, x, 'x');
  checkFloat(op, t, 't');
  checkSameDType(op, x, t, 'x and t');
  checkSameShape(op, x, t, 'x and t');
}

/**
 * Mean squared error, mean((x − t)²) over ALL elements (Chainer's `F.mean_squared_error`),
 * a scalar of x's dtype. Differentiable in both arguments. One fused kernel forward and one
 * backward (core's `meanSquaredError`), as Chainer's is one function node.
 * @throws ShapeError when x and t differ in shape (no broadcasting, as Chainer); DTypeError when
 *   they are not one float dtype.
 * @example meanSquaredError(predict(params, x), t)   // the seed's loss
 */
export function meanSquaredError(x: Tensor, t: Tensor): Tensor {
  checkPair('meanSquaredError', x, t);
  return fusedMse(x, t);
}

/**
 * Mean absolute error, mean(|x − t|) over all elements (Chainer's `F.mean_absolute_error`), a
 * scalar. The gradient at x = t is 0.
 * @throws ShapeError when x and t differ in shape; DTypeError when they are not one float dtype.
 */
export function meanAbsoluteError(x: Tensor, t: Tensor): Tensor {
  checkPair('meanAbsoluteError', x, t);
  return mean(abs(sub(x, t)));
}

/** Options of {@link huberLoss}. */
export interface HuberLossOptions {
  /**
   * `'sum_along_second_axis'` (Chainer's default): sum over axis 1, giving shape
   * [x.shape[0], ...x.shape[2:]]; `'no'`: the elementwise loss, shaped like x.
   */
  readonly reduce?: 'sum_along_second_axis' | 'no';
}

/**
 * Huber loss (Chainer's `F.huber_loss`): with d = x − t, elementwise
 * ½d² where |d| ≤ delta and delta·(|d| − ½delta) elsewhere; gradient clip(d, −delta, delta).
 *
 * Like Chainer, the default reduction is NOT a mean: `'sum_along_second_axis'` sums over axis 1
 * only, so for x of shape [N, K] the result has shape [N] (reduce it yourself, e.g. with
 * `mean`, to train on it). Chainer's `delta` has no default; here it is 1.
 *
 * @throws ShapeError when x and t differ in shape, or when reducing over axis 1 of an input with
 *   fewer than 2 axes; DTypeError when they are not one float dtype; ValueError for a delta that
 *   is not a positive finite number or an unknown `reduce`.
 */
export function huberLoss(x: Tensor, t: Tensor, delta = 1, options: HuberLossOptions = {}): Tensor {
  const op = 'huberLoss';
  checkPair(op, x, t);
  if (typeof delta !== 'number' || !(delta > 0) || !Number.isFinite(delta)) {
    throw new ValueError(op, `delta must be a positive finite number, got ${String(delta)}`);
  }
  const reduce = options.reduce ?? 'sum_along_second_axis';
  if (reduce !== 'sum_along_second_axis' && reduce !== 'no') {
    throw new ValueError(op, `reduce must be 'sum_along_second_axis' or 'no', got '${String(reduce)}'`);
  }
  if (reduce === 'sum_along_second_axis' && x.ndim < 2) {
    throw new ShapeError(op, `reduce 'sum_along_second_axis' needs inputs with at least 2 axes, got ${fmt(x.shape)}`);
  }
  const d = sub(x, t);
  const a = abs(d);
  const quadratic = mul(square(d), 0.5);
  const linearPart = mul(sub(a, 0.5 * delta), delta);
  // Chainer's mask is d² > delta², i.e. the quadratic branch includes |d| = delta.
  const loss = where(greater(a, delta), linearPart, quadratic);
  return reduce === 'no' ? loss : sum(loss, 1);
}

/** Options of {@link softmaxCrossEntropy}. */
export interface SoftmaxCrossEntropyOptions {
  /** Labels equal to this are ignored: they add no loss and do not count (default −1). */
  readonly ignoreLabel?: number;
  /**
   * true (default): divide by the number of non-ignored labels (Chainer's normalize=True);
   * false: divide by the batch size N = logits.shape[0]. Either way at least 1.
   */
  readonly normalize?: boolean;
  /** `'mean'` (default): a scalar; `'no'`: the per-label loss, shaped like labels, 0 where ignored. */
  readonly reduce?: 'mean' | 'no';
}

/**
 * Softmax cross entropy (Chainer's `F.softmax_cross_entropy`) of `logits` [N, C, ...] against
 * int32 `labels` [N, ...]: −log softmax(logits)[label] along axis 1, computed with logSoftmax
 * (no overflow), averaged over the non-ignored labels. If every label is ignored the loss is 0.
 * Differentiable in logits; its gradient is (softmax − onehot) / count.
 *
 * @throws DTypeError for non-float logits or non-int32 labels; ShapeError unless
 *   labels.shape = [logits.shape[0], ...logits.shape[2:]]; ValueError for a label outside
 *   [0, C) that is not `ignoreLabel`, or an unknown `reduce`.
 * @example softmaxCrossEntropy(logits, tensor([1, 0, 3], { dtype: 'int32' }))
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor, options: SoftmaxCrossEntropyOptions = {}): Tensor {
  const op = 'softmaxCrossEntropy';
  checkFloat(op, logits, 'logits');
  checkInt(op, labels, 'labels');
  const { ignoreLabel = -1, normalize = true, reduce = 'mean' } = options;
  if (!Number.isInteger(ignoreLabel)) throw new ValueError(op, `ignoreLabel must be an integer, got ${String(ignoreLabel)}`);
  if (reduce !== 'mean' && reduce !== 'no') throw new ValueError(op, `reduce must be 'mean' or 'no', got '${String(reduce)}'`);
  const classes = checkClassShapes(op, logits, labels);
  checkLabels(op, labels, classes, ignoreLabel, `a class in [0, ${classes})`);
  // Move the class axis last: [N, d..., C], to line up with oneHot(labels): [N, d..., C].
  const logp = moveClassAxisLast(logSoftmax(logits, 1));
  const keep = notEqual(labels, ignoreLabel);
  // Ignored labels become −1, whose one-hot row is all zeros.
  const target = oneHot(where(keep, labels, -1), classes, logits.dtype);
  const perLabel = neg(sum(mul(target, logp), -1));
  if (reduce === 'no') return perLabel;
  const count = normalize ? maximum(sum(astype(keep, logits.dtype)), 1) : Math.max(1, logits.shape[0]!);
  return div(sum(perLabel), count);
}

/** Checks [N, C, ...] against [N, ...] and returns C. */
function checkClassShapes(op: string, x: Tensor, t: Tensor): number {
  const ok = x.ndim >= 2 && t.ndim === x.ndim - 1 && t.shape[0] === x.shape[0] && t.shape.every((d, i) => i === 0 || d === x.shape[i + 1]);
  if (!ok) {
    const want = x.ndim >= 2 ? fmt([x.shape[0]!, ...x.shape.slice(2)]) : '(logits need at least 2 axes [N, C, ...])';
    throw new ShapeError(op, `logits ${fmt(x.shape)} are [N, C, ...] so labels must be ${want}, got ${fmt(t.shape)}`);
  }
  return x.shape[1]!;
}

/**
 * Throws unless every label is in [0, n) or equal to `ignore`; `what` describes the valid range
 * in the message. Skipped on abstract tensors (inside `trace`), which have no values to read.
 */
function checkLabels(op: string, t: Tensor, n: number, ignore: number, what: string): void {
  const v = concreteValues(t);
  if (v === null) return;
  for (let i = 0; i < v.length; i++) {
    const l = v[i]!;
    if ((l < 0 || l >= n) && l !== ignore) {
      throw new ValueError(op, `label ${l} at flat index ${i} must be ${what} or the ignore label ${ignore}`);
    }
  }
}

/** [N, C, d...] → [N, d..., C]. */
function moveClassAxisLast(x: Tensor): Tensor {
  if (x.ndim === 2) return x;
  const perm = [0, ...x.shape.map((_, i) => i).slice(2), 1];
  return transpose(x, perm);
}

/** Options of {@link sigmoidCrossEntropy}. */
export interface SigmoidCrossEntropyOptions {
  /**
   * true (default): divide the summed loss by the number of non-ignored elements; false: by the
   * batch size x.shape[0]. Either way at least 1 (Chainer's `normalize`).
   */
  readonly normalize?: boolean;
  /** `'mean'` (default): a scalar; `'no'`: the elementwise loss, shaped like x, 0 where ignored. */
  readonly reduce?: 'mean' | 'no';
}

/**
 * Sigmoid cross entropy (Chainer's `F.sigmoid_cross_entropy`) of logits x against int32 targets
 * t of the same shape, each 0 or 1, with −1 meaning "ignore" (as in Chainer). Elementwise
 * −(t·log σ(x) + (1 − t)·log(1 − σ(x))) = softplus(x) − t·x, which is stable for any x; then
 * summed and divided per `normalize`. If every target is ignored the loss is 0. Differentiable in
 * x, with gradient (σ(x) − t) / count.
 *
 * @throws DTypeError for non-float x or non-int32 t; ShapeError when shapes differ; ValueError
 *   for a target other than 0, 1 and −1, or an unknown `reduce`.
 * @example
 * sigmoidCrossEntropy(tensor([[-2, 3, 0.5], [5, 2, -0.5]]), tensor([[0, 1, 0], [1, 1, -1]], { dtype: 'int32' }))
 * // 0.25664714, as Chainer's docstring
 */
export function sigmoidCrossEntropy(x: Tensor, t: Tensor, options: SigmoidCrossEntropyOptions = {}): Tensor {
  const op = 'sigmoidCrossEntropy';
  checkFloat(op, x, 'x');
  checkInt(op, t, 't');
  checkSameShape(op, x, t, 'x and t');
  const { normalize = true, reduce = 'mean' } = options;
  if (reduce !== 'mean' && reduce !== 'no') throw new ValueError(op, `reduce must be 'mean' or 'no', got '${String(reduce)}'`);
  checkLabels(op, t, 2, -1, '0 or 1');
  const keep = notEqual(t, -1);
  const loss = where(keep, sub(softplus(x), mul(x, astype(t, x.dtype))), 0);
  if (reduce === 'no') return loss;
  const count = normalize ? maximum(sum(astype(keep, x.dtype)), 1) : Math.max(1, x.shape[0] ?? 1);
  return div(sum(loss), count);
}

/** Options of {@link accuracy}. */
export interface AccuracyOptions {
  /** Labels equal to this are left out of both counts (default: none, as Chainer). */
  readonly ignoreLabel?: number;
}

/**
 * Classification accuracy (Chainer's `F.accuracy`): the fraction of labels equal to
 * argmax(logits, axis 1), as a scalar of the logits' dtype. Ties pick the first maximal class.
 * Ignored labels count neither as right nor as total; with nothing left the accuracy is 0.
 * A metric, not a loss: it has no gradient (zero if differentiated).
 *
 * @throws DTypeError for non-float logits or non-int32 labels; ShapeError unless
 *   labels.shape = [logits.shape[0], ...logits.shape[2:]].
 * @example accuracy(tensor([[0.1, 0.9], [0.8, 0.2]]), tensor([1, 1], { dtype: 'int32' }))   // 0.5
 */
export function accuracy(logits: Tensor, labels: Tensor, options: AccuracyOptions = {}): Tensor {
  const op = 'accuracy';
  checkFloat(op, logits, 'logits');
  checkInt(op, labels, 'labels');
  checkClassShapes(op, logits, labels);
  const { ignoreLabel } = options;
  if (ignoreLabel !== undefined && !Number.isInteger(ignoreLabel)) {
    throw new ValueError(op, `ignoreLabel must be an integer, got ${String(ignoreLabel)}`);
  }
  const pred = argmax(stopGradient(logits), 1);
  const right = astype(equal(pred, labels), logits.dtype);
  if (ignoreLabel === undefined) return mean(right);
  const keep = astype(notEqual(labels, ignoreLabel), logits.dtype);
  const total = sum(keep);
  return div(sum(mul(right, keep)), maximum(total, 1));
}
