/**
 * Layers. The convention, the same for every layer:
 *
 * - the layer **is** its apply function, pure and data-first: `linear(params, x)`,
 *   `embedding(params, ids)`, `mlp(params, x, options)`;
 * - its initializer hangs off it as `.init(key, ...sizes, options)` and returns the parameter
 *   record: `linear.init(key, 1, 16)` → `{ W, b }`.
 *
 * Params are plain readonly records of tensors, so they are trees: `grad`, optimizers and
 * checkpoints take them as they are, and `tree.paths` gives Chainer's npz keys (`'l1/W'`).
 * (There is deliberately no `.apply` property: it would shadow `Function.prototype.apply`, which
 * generic wrappers such as memoizers and spies call.)
 */
import {
  DTypeError,
  ShapeError,
  ValueError,
  add,
  equal,
  expandDims,
  leakyRelu,
  matmul,
  mul,
  astype,
  random,
  take,
  where,
  type Key,
  type Tensor,
} from '@fluxion/core';
import type { Activation } from './activations.js';
import { constant, lecunNormal, normal as normalInit, zeros, type Initializer } from './initializers.js';
import { checkFloat, checkInt, checkSize, concreteValues, floatDType, fmt, type FloatDType } from './util.js';

/**
 * A layer: its apply function `(params, ...args) => Tensor` with its initializer attached as
 * `init(key, ...sizes, options) => params`.
 */
export type Layer<Params, Args extends unknown[], InitArgs extends unknown[]> = ((params: Params, ...args: Args) => Tensor) & {
  /** Returns fresh parameters drawn with `key`: same key, same parameters. */
  readonly init: (key: Key, ...args: InitArgs) => Params;
};

/** Attaches `init` to the apply function and freezes the pair. */
function layer<F extends (params: never, ...args: never[]) => Tensor, I extends (key: Key, ...args: never[]) => unknown>(
  apply: F,
  init: I,
): F & { readonly init: I } {
  return Object.freeze(Object.assign(apply, { init }));
}

/** An initializer, or a number for a constant fill (Chainer's `initialW=0.0`). */
export type InitializerLike = Initializer | number;

function asInitializer(op: string, what: string, x: InitializerLike | undefined, dflt: Initializer): Initializer {
  if (x === undefined) return dflt;
  if (typeof x === 'number') return constant(x);
  if (typeof x !== 'function') throw new ValueError(op, `${what} must be an initializer function or a number, got ${typeof x}`);
  return x;
}

// ---------------------------------------------------------------------------------------------
// linear

/** Parameters of {@link linear}: W is [out, in] and b is [out], exactly Chainer's `L.Linear`. */
export interface LinearParams {
  readonly W: Tensor;
  readonly b: Tensor;
}

/** Parameters of a bias-free {@link linear} (`noBias: true`). */
export interface LinearNoBiasParams {
  readonly W: Tensor;
}

/** Options of `linear.init`. Names follow Chainer's `L.Linear(initialW=, initial_bias=, nobias=)`. */
export interface LinearInitOptions {
  /** W's initializer (default `initializers.lecunNormal`, Chainer's default); a number fills. */
  readonly initialW?: InitializerLike;
  /** b's initializer (default zeros); a number fills. */
  readonly initialBias?: InitializerLike;
  /** Leave out b: the params are `{ W }` only (default false). */
  readonly noBias?: boolean;
  /** dtype of W and b (default `'float32'`). */
  readonly dtype?: FloatDType;
}

function initLinear(key: Key, inSize: number, outSize: number, options?: LinearInitOptions & { readonly noBias?: false }): LinearParams;
function initLinear(key: Key, inSize: number, outSize: number, options: LinearInitOptions & { readonly noBias: true }): LinearNoBiasParams;
function initLinear(key: Key, inSize: number, outSize: number, options?: LinearInitOptions): LinearParams | LinearNoBiasParams;
function initLinear(key: Key, inSize: number, outSize: number, options: LinearInitOptions = {}): LinearParams | LinearNoBiasParams {
  const op = 'linear.init';
  checkSize(op, inSize, 'inSize');
  checkSize(op, outSize, 'outSize');
  const dtype = floatDType(op, options.dtype);
  const [kW, kb] = random.split(key);
  const W = asInitializer(op, 'initialW', options.initialW, lecunNormal)(kW, [outSize, inSize], { dtype });
  if (options.noBias) return { W };
  const b = asInitializer(op, 'initialBias', options.initialBias, zeros)(kb, [outSize], { dtype });
  return { W, b };
}

/** The apply of {@link linear}: checks everything, then x·Wᵀ (+ b). */
function applyLinear(params: LinearParams | LinearNoBiasParams, x: Tensor): Tensor {
  const op = 'linear';
  if (params === null || typeof params !== 'object') throw new ValueError(op, `params must be a { W, b } record, got ${String(params)}`);
  const { W } = params;
  const b = (params as Partial<LinearParams>).b;
  checkFloat(op, W, 'W');
  checkFloat(op, x, 'x');
  if (W.ndim !== 2) throw new ShapeError(op, `W must be 2-D [out, in], got ${fmt(W.shape)}`);
  const [outSize, inSize] = W.shape as [number, number];
  if (x.ndim === 0) throw new ShapeError(op, `x must have at least 1 axis [..., in], got a scalar; W is ${fmt(W.shape)}`);
  if (x.shape[x.ndim - 1] !== inSize) {
    throw new ShapeError(
      op,
      `x's last axis must be the in-size ${inSize} of W [out, in] = ${fmt(W.shape)}, got x ${fmt(x.shape)}`,
    );
  }
  if (x.dtype !== W.dtype) throw new DTypeError(op, `x and W dtypes differ: ${x.dtype} and ${W.dtype}`);
  if (b !== undefined) {
    checkFloat(op, b, 'b');
    if (b.ndim !== 1 || b.shape[0] !== outSize) {
      throw new ShapeError(op, `b must have shape [${outSize}] to match W ${fmt(W.shape)}, got ${fmt(b.shape)}`);
    }
    if (b.dtype !== W.dtype) throw new DTypeError(op, `b and W dtypes differ: ${b.dtype} and ${W.dtype}`);
  }
  // x·Wᵀ + b in one kernel pass, W read transposed in place: no copy of W, no separate bias add.
  if (x.ndim >= 2) return matmul(x, W, b === undefined ? { transposeB: true } : { transposeB: true, bias: b });
  const y = matmul(x, W, { transposeB: true });
  return b === undefined ? y : add(y, b);
}

/**
 * A fully connected layer, y = x·Wᵀ + b, exactly Chainer's `L.Linear` / `F.linear`: W has shape
 * [out, in] and b [out], so weights move between the two unchanged.
 *
 * x may carry any batch axes: [..., in] gives [..., out] (a 1-D x of shape [in] gives [out]).
 * This is PyTorch's and JAX's rule; Chainer instead flattens every axis after the first
 * (n_batch_axes = 1), which agrees with it for the usual [batch, in] input.
 *
 * `linear.init(key, inSize, outSize, options?)` returns `{ W, b }` with Chainer's defaults:
 * W LeCun normal (N(0, 1/inSize)), b zeros; `{ noBias: true }` gives `{ W }` alone.
 *
 * @throws ShapeError naming 'linear' and both shapes when x's last axis differs from W's in-size,
 *   when W is not 2-D, when b is not [out] or x is 0-d; DTypeError when x, W and b are not one
 *   float dtype. `linear.init` throws ValueError for sizes that are not positive integers.
 * @example
 * const p = linear.init(random.key(0), 3, 2);          // { W: [2, 3], b: [2] }
 * linear(p, zeros([5, 3])).shape                       // [5, 2]
 * linear({ W: tensor([[1, 2]]), b: tensor([0.5]) }, tensor([[3, 4]]))   // [[11.5]]
 */
export const linear: ((params: LinearParams | LinearNoBiasParams, x: Tensor) => Tensor) & {
  /**
   * `{ W: [outSize, inSize], b: [outSize] }` drawn with `key` (split in two: W, b). Defaults as
   * Chainer's `L.Linear`: W LeCun normal, b zeros, float32. `noBias: true` gives `{ W }`.
   * @throws ValueError for sizes that are not positive integers or a bad initializer;
   *   DTypeError for a non-float dtype.
   */
  readonly init: typeof initLinear;
} = layer(applyLinear, initLinear);

// ---------------------------------------------------------------------------------------------
// embedding

/** Parameters of {@link embedding}: W is [vocabSize, dim], as Chainer's `L.EmbedID`. */
export interface EmbeddingParams {
  readonly W: Tensor;
}

/** Options of `embedding.init`. */
export interface EmbeddingInitOptions {
  /** W's initializer (default N(0, 1): `initializers.normal` with scale 1, as Chainer's EmbedID). */
  readonly initialW?: InitializerLike;
  /** dtype of W (default `'float32'`). */
  readonly dtype?: FloatDType;
}

/** Options of the `embedding` apply. */
export interface EmbeddingOptions {
  /** An id that maps to a zero vector with no gradient (Chainer's `ignore_label`; default none). */
  readonly ignoreLabel?: number;
}

function initEmbedding(key: Key, vocabSize: number, dim: number, options: EmbeddingInitOptions = {}): EmbeddingParams {
  const op = 'embedding.init';
  checkSize(op, vocabSize, 'vocabSize');
  checkSize(op, dim, 'dim');
  const dtype = floatDType(op, options.dtype);
  const init = asInitializer(op, 'initialW', options.initialW, (k, s, o) => normalInit(k, s, { ...o, scale: 1 }));
  return { W: init(key, [vocabSize, dim], { dtype }) };
}

function applyEmbedding(params: EmbeddingParams, ids: Tensor, options: EmbeddingOptions = {}): Tensor {
  const op = 'embedding';
  if (params === null || typeof params !== 'object') throw new ValueError(op, `params must be a { W } record, got ${String(params)}`);
  const { W } = params;
  checkFloat(op, W, 'W');
  if (W.ndim !== 2) throw new ShapeError(op, `W must be 2-D [vocabSize, dim], got ${fmt(W.shape)}`);
  checkInt(op, ids, 'ids');
  const vocab = W.shape[0]!;
  const ignore = options.ignoreLabel;
  if (ignore !== undefined && !Number.isInteger(ignore)) throw new ValueError(op, `ignoreLabel must be an integer, got ${String(ignore)}`);
  const v = concreteValues(ids);
  if (v !== null) {
    for (let i = 0; i < v.length; i++) {
      const id = v[i]!;
      if ((id < 0 || id >= vocab) && id !== ignore) {
        throw new ValueError(op, `id ${id} is out of range for a vocabulary of ${vocab} (W ${fmt(W.shape)})`);
      }
    }
  }
  if (ignore === undefined) return take(W, ids, 0);
  const ignored = equal(ids, ignore);
  const rows = take(W, where(ignored, 0, ids), 0);
  return mul(rows, expandDims(astype(where(ignored, 0, 1), W.dtype), -1));
}

/**
 * A lookup table (Chainer's `L.EmbedID`): int32 `ids` of any shape give
 * `take(W, ids, 0)`, of shape [...ids.shape, dim]. Gradients flow to the rows that were looked
 * up (repeated ids add up), never to ids.
 *
 * `embedding.init(key, vocabSize, dim, options?)` returns `{ W: [vocabSize, dim] }`, N(0, 1)
 * by default as in Chainer.
 *
 * @throws DTypeError for non-int32 ids or non-float W; ShapeError for a W that is not 2-D;
 *   ValueError for an id outside [0, vocabSize) other than `ignoreLabel`.
 * @example
 * const p = embedding.init(random.key(0), 100, 8);
 * embedding(p, tensor([[1, 2, 3]], { dtype: 'int32' })).shape   // [1, 3, 8]
 */
export const embedding: ((params: EmbeddingParams, ids: Tensor, options?: EmbeddingOptions) => Tensor) & {
  /** `{ W: [vocabSize, dim] }` drawn with `key`, N(0, 1) by default. @throws ValueError for bad sizes. */
  readonly init: typeof initEmbedding;
} = layer(applyEmbedding, initEmbedding);

// ---------------------------------------------------------------------------------------------
// dropout

/**
 * Inverted dropout (Chainer's `F.dropout`): each element is kept with probability 1 − rate and
 * scaled by 1/(1 − rate), or set to 0, so the expectation is unchanged. The mask comes from
 * `random.bernoulli(key, 1 − rate, x.shape)`: same key, same mask. `rate` 0 returns x itself.
 * Dropout has no train/test switch: at test time simply do not call it. Gradients flow through
 * the kept elements, scaled the same way.
 *
 * @param rate probability of dropping an element, in [0, 1) (default 0.5, as Chainer)
 * @throws ValueError for a rate outside [0, 1) or a bad key; DTypeError for non-float x.
 * @example const [k1, k2] = random.split(key); const h = dropout(k1, leakyRelu(linear(p.l1, x)), 0.1);
 */
export function dropout(key: Key, x: Tensor, rate = 0.5): Tensor {
  const op = 'dropout';
  if (!random.isKey(key)) throw new ValueError(op, 'the first argument must be a random key (random.key(seed))');
  checkFloat(op, x, 'x');
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
    throw new ValueError(op, `rate must be in [0, 1), got ${String(rate)}`);
  }
  if (rate === 0) return x;
  const keep = random.bernoulli(key, 1 - rate, x.shape);
  return where(keep, mul(x, 1 / (1 - rate)), 0);
}

// ---------------------------------------------------------------------------------------------
// mlp

/** `'l1' | 'l2' | ...`, one name per consecutive pair of sizes. */
type LayerNames<S extends readonly number[], Acc extends readonly unknown[] = [unknown]> = S extends readonly [
  number,
  infer B extends number,
  ...infer R extends number[],
]
  ? `l${Acc['length']}` | LayerNames<[B, ...R], [...Acc, unknown]>
  : never;

/**
 * Parameters of {@link mlp}: `{ l1: { W, b }, l2: { W, b }, ... }`. For sizes known at compile
 * time (`mlp.init(key, [1, 16, 32, 1])`) the keys are exact (`l1 | l2 | l3`); otherwise a record.
 */
export type MlpParams<S extends readonly number[] = readonly number[]> = number extends S['length']
  ? { readonly [name: string]: LinearParams }
  : { readonly [K in LayerNames<S>]: LinearParams };

/**
 * Options of `mlp.init` and of the `mlp` apply. One object may serve both calls: `init` reads the
 * initializer fields, the apply reads the activation fields.
 */
export interface MlpOptions extends Omit<LinearInitOptions, 'noBias'> {
  /** Applied after every hidden layer (default `leakyRelu`, slope 0.2, as in the seed). */
  readonly activation?: Activation;
  /**
   * Applied after the last layer. Default: the same as `activation`, i.e. after EVERY layer as in
   * the seed model; `null` for a linear output.
   */
  readonly finalActivation?: Activation | null;
}

function initMlp<const S extends readonly number[]>(key: Key, sizes: S, options: MlpOptions = {}): MlpParams<S> {
  const op = 'mlp.init';
  if (!Array.isArray(sizes) || sizes.length < 2) {
    throw new ValueError(op, `sizes must list at least an input and an output size, got ${JSON.stringify(sizes)}`);
  }
  sizes.forEach((s, i) => checkSize(op, s, `sizes[${i}]`));
  const n = sizes.length - 1;
  const keys = random.split(key, n);
  const { initialW, initialBias, dtype } = options;
  const lin = { ...(initialW !== undefined ? { initialW } : {}), ...(initialBias !== undefined ? { initialBias } : {}), ...(dtype ? { dtype } : {}) };
  const params: Record<string, LinearParams> = {};
  for (let i = 0; i < n; i++) params[`l${i + 1}`] = initLinear(keys[i]!, sizes[i]!, sizes[i + 1]!, lin);
  return params as MlpParams<S>;
}

function checkActivation(op: string, what: string, f: unknown): asserts f is Activation {
  if (typeof f !== 'function') throw new ValueError(op, `${what} must be a function Tensor => Tensor, got ${String(f)}`);
}

function applyMlp(params: MlpParams, x: Tensor, options: MlpOptions = {}): Tensor {
  const op = 'mlp';
  if (params === null || typeof params !== 'object') throw new ValueError(op, `params must be a { l1, l2, ... } record, got ${String(params)}`);
  const names = Object.keys(params);
  const n = names.length;
  for (let i = 1; i <= n; i++) {
    if (!(`l${i}` in params)) {
      throw new ValueError(op, `params must hold exactly the layers l1..l${n}; missing 'l${i}' (got ${names.sort().join(', ')})`);
    }
  }
  if (n === 0) throw new ValueError(op, 'params hold no layers');
  const activation = options.activation ?? leakyRelu;
  checkActivation(op, 'activation', activation);
  const last = options.finalActivation === undefined ? activation : options.finalActivation;
  if (last !== null) checkActivation(op, 'finalActivation', last);
  let h = x;
  for (let i = 1; i <= n; i++) {
    h = applyLinear(params[`l${i}`]!, h);
    const f = i < n ? activation : last;
    if (f !== null) h = f(h);
  }
  return h;
}

/**
 * A multi-layer perceptron built from {@link linear}: layer li maps sizes[i−1] → sizes[i], and
 * `activation` follows every layer, the last included unless `finalActivation` says otherwise.
 * With the defaults it is exactly the seed model:
 *
 * ```ts
 * const params = mlp.init(random.key(0), [1, 16, 32, 1]);   // { l1, l2, l3 }
 * mlp(params, x)   // = leakyRelu(linear(p.l3, leakyRelu(linear(p.l2, leakyRelu(linear(p.l1, x))))))
 * ```
 *
 * `mlp.init(key, sizes, options?)` splits `key` into one key per layer and calls `linear.init`;
 * the keys are l1..lN, so `tree.paths(params)` gives Chainer's npz keys `'l1/W'`, `'l1/b'`, ....
 *
 * @throws ValueError when params are not exactly l1..lN or an activation is not a function;
 *   `mlp.init` throws ValueError for fewer than 2 sizes or a size that is not a positive integer;
 *   shape and dtype errors come from `linear`.
 */
export const mlp: ((params: MlpParams, x: Tensor, options?: MlpOptions) => Tensor) & {
  /**
   * `{ l1: { W, b }, ..., lN: { W, b } }` for N = sizes.length − 1, one `linear.init` per layer
   * with its own key. Reads `initialW`, `initialBias` and `dtype` from the options.
   */
  readonly init: typeof initMlp;
} = layer(applyMlp, initMlp);
