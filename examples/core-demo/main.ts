/**
 * A first taste of @fluxion/core: a model as a pure function of a parameter tree, its gradient
 * checked against the hand-derived formula, and one gradient-descent step.
 * Run with `pnpm demo`.
 */
import { grad, matmul, mean, random, square, sub, tree, add, mul, tensor, type Tensor } from '@fluxion/core';

type Params = { readonly W: Tensor; readonly b: Tensor };

// y = x Wᵀ + b, and the mean squared error against t.
const predict = (p: Params, x: Tensor): Tensor => add(matmul(x, p.W), p.b);
const loss = (p: Params, x: Tensor, t: Tensor): Tensor => mean(square(sub(predict(p, x), t)));

const [kx] = random.split(random.key(0), 1);
const x = random.uniform(kx!, [100, 1]);
const t = add(mul(x, 2), 1); // the line the model should find: W = 2, b = 1
let params: Params = { W: tensor([[0]]), b: tensor([0]) };

const g = grad(loss)(params, x, t);
// Hand-derived: dL/dW = mean(2(y − t)x), dL/db = mean(2(y − t)) at W = b = 0.
const r = sub(predict(params, x), t);
console.log('dL/dW fluxion:', g.W.item().toFixed(6), ' by hand:', mean(mul(mul(r, x), 2)).item().toFixed(6));
console.log('dL/db fluxion:', g.b.item().toFixed(6), ' by hand:', mean(mul(r, 2)).item().toFixed(6));

for (let step = 0; step < 500; step++) {
  const gs = grad(loss)(params, x, t);
  params = tree.zipWith(params, gs, (p: Tensor, d: Tensor) => sub(p, mul(d, 0.5)));
}
console.log('after 500 steps of gradient descent: W =', params.W.item().toFixed(4), ' b =', params.b.item().toFixed(4));
console.log('loss:', loss(params, x, t).item().toExponential(3));
