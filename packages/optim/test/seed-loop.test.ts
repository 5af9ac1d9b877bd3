/**
 * The README's first example, run: the seed's model (Linear 1→16→32→1, leaky_relu after every
 * layer, Chainer's W layout [out, in]) fitting y = exp(x) with MSE and Adam's defaults, through
 * core's autodiff. A few hundred steps must bring the loss well down.
 */
import { describe, expect, it } from 'vitest';
import { add, exp, grad, leakyRelu, matmul, mean, mul, random, square, sub, transpose, zeros, type Tensor } from '@fluxion/core';
import { adam, applyUpdates, step } from '../src/index.js';

type Linear = { W: Tensor; b: Tensor };
type MLP = { l1: Linear; l2: Linear; l3: Linear };

const linear = (p: Linear, x: Tensor): Tensor => add(matmul(x, transpose(p.W)), p.b);
const predict = (p: MLP, x: Tensor): Tensor => leakyRelu(linear(p.l3, leakyRelu(linear(p.l2, leakyRelu(linear(p.l1, x))))));
const loss = (p: MLP, x: Tensor, t: Tensor): Tensor => mean(square(sub(predict(p, x), t)));

/** LeCun normal weights, zero biases, as Chainer's L.Linear. */
function init(key: random.Key): MLP {
  const [k1, k2, k3] = random.split(key, 3);
  const layer = (k: random.Key, nIn: number, nOut: number): Linear => ({
    W: mul(random.normal(k, [nOut, nIn]), Math.sqrt(1 / nIn)),
    b: zeros([nOut]),
  });
  return { l1: layer(k1, 1, 16), l2: layer(k2, 16, 32), l3: layer(k3, 32, 1) };
}

function batch(key: random.Key, n: number): [Tensor, Tensor] {
  const x = random.uniform(key, [n, 1]);
  return [x, exp(x)];
}

describe("the seed's training loop", () => {
  it('Adam with defaults fits exp(x): the loss falls by more than 10×', () => {
    let params = init(random.key(0));
    const opt = adam();
    let state = opt.init(params);
    const [x0, t0] = batch(random.key(1), 100);
    const before = loss(params, x0, t0).item();
    let key = random.key(2);
    for (let i = 0; i < 400; i++) {
      const [k, kb] = random.split(key);
      key = k;
      const [x, t] = batch(kb, 100);
      const g = grad(loss)(params, x, t);
      const [updates, s] = opt.update(g, state, params);
      params = applyUpdates(params, updates);
      state = s;
    }
    const after = loss(params, x0, t0).item();
    expect(state.t).toBe(400);
    expect(params.l2.W.dtype).toBe('float32');
    expect(after).toBeLessThan(before / 10);
    // The fused step continues the same run.
    const next = step(opt, params, grad(loss)(params, x0, t0), state);
    expect(next.state.t).toBe(401);
  });
});
