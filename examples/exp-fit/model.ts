/** The seed tutorial's model and data, shared by the demo and its tests. */
import { exp, leakyRelu, random, type Key, type Tensor } from '@fluxion/core';
import { linear, meanSquaredError, mlp } from '@fluxion/nn';

/** Chainer's MyChain: Linear 1→16→32→1 with leaky_relu (slope 0.2) after every layer. */
export const initParams = (key: Key) => mlp.init(key, [1, 16, 32, 1]);
export type Params = ReturnType<typeof initParams>;

export const predict = (p: Params, x: Tensor): Tensor =>
  leakyRelu(linear(p.l3, leakyRelu(linear(p.l2, leakyRelu(linear(p.l1, x))))));

export interface Batch {
  readonly x: Tensor;
  readonly t: Tensor;
}

/** F.mean_squared_error(predict(x), t). */
export const loss = (p: Params, b: Batch): Tensor => meanSquaredError(predict(p, b.x), b.t);

/** get_batch(n): x ~ U[0, 1) of shape [n, 1], t = exp(x). */
export const batchOf =
  (n: number) =>
  (key: Key): Batch => {
    const x = random.uniform(key, [n, 1]);
    return { x, t: exp(x) };
  };
