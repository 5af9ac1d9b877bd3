/**
 * optax-style: every optimizer minimises a parabola and the Rosenbrock function from a fixed start
 * within a stated number of steps. One table; hyperparameters per optimizer. Gradients are written
 * by hand (float64) so the test measures the optimizers, not autodiff.
 */
import { describe, expect, it } from 'vitest';
import { scalar, tensor, type Tensor } from '@fluxion/core';
import {
  adagrad,
  adam,
  adamw,
  chain,
  clipByGlobalNorm,
  exponentialDecay,
  momentum,
  nesterov,
  rmsprop,
  sgd,
  step,
  type StateFamily,
  type Transform,
} from '../src/index.js';

/** Any optimizer or chain: every Transform<F> is a Transform<StateFamily>. */
type AnyTransformFor = Transform<StateFamily>;

/** A problem: a fixed start, the loss and its gradient, the minimiser. */
interface Problem<P> {
  readonly start: P;
  readonly optimum: readonly number[];
  lossAndGrad(p: P): { loss: number; grad: P };
  values(p: P): number[];
}

const f64 = (xs: number[]): Tensor => tensor(new Float64Array(xs), { dtype: 'float64' });

/** f(w) = Σ (w − c)², c = [1, −1, 1], from w = [−1, 10, 1] (optax's parabola). */
const parabola: Problem<{ w: Tensor }> = {
  start: { w: f64([-1, 10, 1]) },
  optimum: [1, -1, 1],
  lossAndGrad(p) {
    const w = p.w.data;
    const d = [w[0]! - 1, w[1]! + 1, w[2]! - 1];
    return { loss: d[0]! ** 2 + d[1]! ** 2 + d[2]! ** 2, grad: { w: f64(d.map((x) => 2 * x)) } };
  },
  values: (p) => Array.from(p.w.data),
};

/** f(x, y) = (1 − x)² + 100 (y − x²)², from (−1.2, 1); two scalar leaves. */
const rosenbrock: Problem<{ x: Tensor; y: Tensor }> = {
  start: { x: scalar(-1.2, 'float64'), y: scalar(1, 'float64') },
  optimum: [1, 1],
  lossAndGrad(p) {
    const x = p.x.item();
    const y = p.y.item();
    const r = y - x * x;
    return {
      loss: (1 - x) ** 2 + 100 * r * r,
      grad: { x: scalar(-2 * (1 - x) - 400 * x * r, 'float64'), y: scalar(200 * r, 'float64') },
    };
  },
  values: (p) => [p.x.item(), p.y.item()],
};

const LOSS_TOL = 1e-6;

/** optimizer, its hyperparameters, and the step budgets for the parabola and Rosenbrock. */
const table: readonly { name: string; make: () => AnyTransformFor; parabola: number; rosenbrock: number }[] = [
  { name: 'sgd (lr 2e-3)', make: () => sgd({ lr: 2e-3 }), parabola: 3000, rosenbrock: 10000 },
  { name: 'momentum (lr 1e-3, 0.9)', make: () => momentum({ lr: 1e-3, momentum: 0.9 }), parabola: 500, rosenbrock: 2000 },
  { name: 'nesterov (lr 5e-4, 0.9)', make: () => nesterov({ lr: 5e-4, momentum: 0.9 }), parabola: 1200, rosenbrock: 4000 },
  { name: 'adam (alpha 0.05)', make: () => adam({ alpha: 0.05 }), parabola: 1000, rosenbrock: 2500 },
  { name: 'adam amsgrad (alpha 0.05)', make: () => adam({ alpha: 0.05, amsgrad: true }), parabola: 1200, rosenbrock: 3500 },
  { name: 'adamw (alpha 0.05, decay 1e-6)', make: () => adamw({ alpha: 0.05, weightDecayRate: 1e-6 }), parabola: 1000, rosenbrock: 2500 },
  {
    name: 'rmsprop (lr 0.05 halving every 500 steps)',
    make: () => rmsprop({ lr: exponentialDecay(0.05, 0.5, { transitionSteps: 500 }) }),
    parabola: 800,
    rosenbrock: 7000,
  },
  { name: 'adagrad (lr 0.5)', make: () => adagrad({ lr: 0.5 }), parabola: 1600, rosenbrock: 10000 },
  { name: 'chain(clipByGlobalNorm(10), adam)', make: () => chain(clipByGlobalNorm(10), adam({ alpha: 0.05 })), parabola: 800, rosenbrock: 800 },
];

/** Runs until the loss is below LOSS_TOL; returns the step count and the final params. */
function minimise<P>(problem: Problem<P>, opt: AnyTransformFor, budget: number): { steps: number; loss: number; values: number[] } {
  let params: P = problem.start;
  let state = opt.init(params);
  for (let i = 0; i <= budget; i++) {
    const { loss, grad } = problem.lossAndGrad(params);
    if (loss < LOSS_TOL) return { steps: i, loss, values: problem.values(params) };
    ({ params, state } = step(opt, params, grad, state));
  }
  return { steps: -1, loss: problem.lossAndGrad(params).loss, values: problem.values(params) };
}

describe('every optimizer minimises a parabola and Rosenbrock', () => {
  it.each(table)('$name', ({ make, parabola: pb, rosenbrock: rb }) => {
    for (const [problem, budget] of [
      [parabola, pb],
      [rosenbrock, rb],
    ] as const) {
      const r = minimise(problem as Problem<unknown>, make(), budget);
      expect(r.steps, `loss ${r.loss} after ${budget} steps`).toBeGreaterThanOrEqual(0);
      r.values.forEach((v, i) => expect(Math.abs(v - problem.optimum[i]!)).toBeLessThan(1e-2));
    }
  });
});
