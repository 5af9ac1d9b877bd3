/** Models to export, and comparing exported code with Fluxion in float32 ulps. */
import {
  abs,
  add,
  astype,
  broadcastTo,
  cos,
  div,
  equal,
  exp,
  greater,
  greaterEqual,
  leakyRelu,
  less,
  lessEqual,
  log,
  logSoftmax,
  matmul,
  max,
  maximum,
  mean,
  min,
  minimum,
  mul,
  neg,
  notEqual,
  pow,
  random,
  relu,
  reshape,
  sigmoid,
  sign,
  sin,
  softmax,
  softplus,
  sqrt,
  square,
  stopGradient,
  sum,
  tanh,
  transpose,
  tensor,
  tree,
  where,
  type Key,
  type Tensor,
} from '@fluxion/core';
import { linear, mlp, type LinearParams, type MlpParams } from '@fluxion/nn';

const view = new DataView(new ArrayBuffer(4));

/** A float32 mapped to an integer so that neighbouring floats differ by 1 (±0 both map to 0). */
function ordered(v: number): number {
  view.setFloat32(0, v);
  const b = view.getUint32(0);
  return b >>> 31 ? -(b & 0x7fffffff) : b;
}

/** Distance in float32 ulps; 0 for two NaNs, Infinity for a NaN against a number. */
export function ulps(a: number, b: number): number {
  if (a !== a || b !== b) return a !== a && b !== b ? 0 : Infinity;
  return Math.abs(ordered(a) - ordered(b));
}

/** The largest ulp distance between two arrays of the same length. */
export function maxUlps(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, ulps(a[i]!, b[i]!));
  return m;
}

/** A float32 tensor from a Float32Array and a shape. */
export const f32 = (data: Float32Array, shape: readonly number[]): Tensor => tensor(data, { shape });

/** Records the worst distance per name, printed once at the end of a file (for the report). */
export const observed = new Map<string, number>();
export function note(name: string, d: number): void {
  observed.set(name, Math.max(observed.get(name) ?? 0, d));
}

// ------------------------------------------------------------------------------------ models



/** The seed model, written as the issue reads it. */
export type SeedParams = { l1: LinearParams; l2: LinearParams; l3: LinearParams };
export const seed = (p: SeedParams, x: Tensor): Tensor =>
  leakyRelu(linear(p.l3, leakyRelu(linear(p.l2, leakyRelu(linear(p.l1, x))))));

/** Random params with non-zero biases (init gives zeros), so that every weight matters. */
export function withBiases<P>(p: P, key: Key): P {
  let i = 0;
  return tree.map(p, (t: Tensor, path) => (path.endsWith('b') ? random.normal(random.foldIn(key, i++), t.shape) : t)) as P;
}

export const seedParams = (key: number): SeedParams =>
  withBiases(mlp.init(random.key(key), [1, 16, 32, 1]) as SeedParams, random.key(key + 1000));

/** Softmax and log-softmax classifiers over an MLP with the other activations. */
export const classifierParams = (key: number): MlpParams => withBiases(mlp.init(random.key(key), [4, 16, 16, 3]), random.key(key + 1));
export const softmaxClassifier = (p: MlpParams, x: Tensor): Tensor => softmax(mlp(p, x, { activation: tanh, finalActivation: null }));
export const logSoftmaxClassifier = (p: MlpParams, x: Tensor): Tensor =>
  logSoftmax(mlp(p, x, { activation: (h) => softplus(sigmoid(relu(h))), finalActivation: null }));

/** Every supported op on per-example values, x of shape [N, 2, 3]; result [N, 4]. */
export interface SinkParams {
  W: Tensor; // [6, 4]
  b: Tensor; // [4]
  M: Tensor; // [2, 2]
  P: Tensor; // [3, 4]
  row: Tensor; // [4]
}
export const sinkParams = (key: number): SinkParams => {
  const k = random.split(random.key(key), 5);
  return {
    W: random.normal(k[0]!, [6, 4]),
    b: random.normal(k[1]!, [4]),
    M: random.normal(k[2]!, [2, 2]),
    P: random.normal(k[3]!, [3, 4]),
    row: random.normal(k[4]!, [4]),
  };
};
const f = (b: Tensor): Tensor => astype(b, 'float32');
export const sink = (p: SinkParams, x: Tensor): Tensor => {
  const n = x.shape[0]!;
  const a = add(matmul(reshape(x, [-1, 6]), p.W), p.b);
  const u1 = add(add(neg(a), exp(minimum(a, 3))), log(add(abs(a), 1)));
  const u2 = add(add(sqrt(abs(a)), sign(a)), add(sin(a), cos(a)));
  const u3 = add(add(tanh(a), sigmoid(a)), add(softplus(a), relu(a)));
  const u4 = add(add(square(a), leakyRelu(a, 0.1)), pow(add(abs(a), 0.5), 1.5));
  const u5 = add(maximum(a, 0.3), div(a, add(square(a), 1)));
  const m = add(where(greater(a, 0), a, mul(a, 0.5)), where(astype(a, 'bool'), a, 2));
  const masks = add(add(f(greaterEqual(a, p.row)), f(less(a, 0))), add(f(lessEqual(a, -0.5)), f(equal(sign(a), 1))));
  const nan = f(notEqual(a, a));
  const t = transpose(reshape(x, [n, 2, 3]), [0, 2, 1]); // [N, 3, 2]
  const tm = matmul(t, p.M); // [N, 3, 2]
  const tt = matmul(t, t, { transposeB: true }); // [N, 3, 3]
  const r = add(add(sum(tm, 2), max(tt, 1)), sub3(sum(tt, 1), reshape(min(tt, [1, 2], true), [n, 1])));
  const s = add(matmul(r, p.P), broadcastTo(p.row, [n, 4]));
  const head = add(logSoftmax(a), stopGradient(mean(softmax(a), -1, true)));
  const all = add(add(add(u1, u2), add(u3, u4)), add(add(u5, m), add(masks, nan)));
  return add(add(all, s), head);
};
const sub3 = (a: Tensor, b: Tensor): Tensor => add(a, neg(b));

/** A model whose result has one value per example: shape [N]. */
export const perExampleScore = (p: SinkParams, x: Tensor): Tensor => sum(sink(p, x), -1);

/** Inputs with every special float. */
export const SPECIALS = [NaN, Infinity, -Infinity, -0, 0, 1e30, -1e30, 1e-40, -1e-40, 3.4e38, 1, -1, 0.5, -2];

/** A model to export and compare, with how to draw its inputs. */
export interface Case {
  readonly name: string;
  readonly predict: (p: never, x: Tensor) => Tensor;
  readonly params: unknown;
  /** Shape of one example. */
  readonly example: readonly number[];
  /** Inputs are uniform in [-range, range]. */
  readonly range: number;
}

export const CASES: readonly Case[] = [
  { name: 'seed MLP 1→16→32→1', predict: seed as Case['predict'], params: seedParams(0), example: [1], range: 2 },
  { name: 'softmax classifier', predict: softmaxClassifier as Case['predict'], params: classifierParams(1), example: [4], range: 3 },
  { name: 'log-softmax classifier', predict: logSoftmaxClassifier as Case['predict'], params: classifierParams(2), example: [4], range: 3 },
  { name: 'every supported op', predict: sink as Case['predict'], params: sinkParams(3), example: [2, 3], range: 2 },
  { name: 'per-example score [N]', predict: perExampleScore as Case['predict'], params: sinkParams(4), example: [2, 3], range: 2 },
];

/** x of shape [batch, ...example], uniform in [-range, range], as a Float32Array. */
export function inputs(c: Case, batch: number, seedNo: number): Float32Array {
  const n = batch * c.example.reduce((a, b) => a * b, 1);
  return random.uniform(random.key(seedNo), [n], { min: -c.range, max: c.range }).toTypedArray() as Float32Array;
}

/** What Fluxion predicts for x (flat), as a Float32Array. */
export function fluxion(c: Case, x: Float32Array, batch: number): Float32Array {
  return (c.predict as (p: unknown, x: Tensor) => Tensor)(c.params, tensor(x, { shape: [batch, ...c.example] })).toTypedArray() as Float32Array;
}
