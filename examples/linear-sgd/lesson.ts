/**
 * The seed's second half as functions the demo and its tests share: the linear model y = Wx + b
 * (Chainer's `L.Linear(1, 1, initialW=0.0)`), one SGD step with the gradients derived by hand
 * beside Fluxion's, a longer SGD run that records its path, the loss surface over (W, b), and
 * the least-squares line that SGD approaches.
 */
import { lastValueFrom, toArray } from 'rxjs';
import { exp, random, tensor, valueAndGrad, type Key, type Tensor } from '@fluxion/core';
import { linear, meanSquaredError, type LinearParams } from '@fluxion/nn';
import { sgd, step } from '@fluxion/optim';
import { train } from '@fluxion/train';

/** `{ l1: { W: [1, 1], b: [1] } }`, Chainer's LinearChain. */
export interface LinearModel {
  readonly l1: LinearParams;
}

/** W = b = 0 (the seed starts there "for clarity"; Chainer's default W would be random). */
export const initLinear = (): LinearModel => ({ l1: linear.init(random.key(0), 1, 1, { initialW: 0 }) });

/** A model with given W and b. */
export const linearModel = (W: number, b: number): LinearModel => ({ l1: { W: tensor([[W]]), b: tensor([b]) } });

export const predict = (p: LinearModel, x: Tensor): Tensor => linear(p.l1, x);

export interface Batch {
  readonly x: Tensor;
  readonly t: Tensor;
}

/** F.mean_squared_error(predict(x), t): for one sample, E = (y − t)². */
export const loss = (p: LinearModel, b: Batch): Tensor => meanSquaredError(predict(p, b.x), b.t);

/** get_batch(n): x ~ U[0, 1) of shape [n, 1], t = exp(x). */
export const batchOf =
  (n: number) =>
  (key: Key): Batch => {
    const x = random.uniform(key, [n, 1]);
    return { x, t: exp(x) };
  };

const W = (p: LinearModel): number => p.l1.W.item();
const B = (p: LinearModel): number => p.l1.b.item();

/** One row of the seed's table: the state before an SGD step on one sample, and the step. */
export interface TableRow {
  readonly step: number;
  readonly x: number;
  readonly t: number;
  readonly W: number;
  readonly b: number;
  /** y = Wx + b. */
  readonly y: number;
  /** 2(y − t)x and 2(y − t), in float32 arithmetic, as the model computes. */
  readonly handW: number;
  readonly handB: number;
  /** ∂E/∂W and ∂E/∂b from Fluxion's `grad`. */
  readonly gradW: number;
  readonly gradB: number;
  /** W − α∂W and b − α∂b … */
  readonly expectW: number;
  readonly expectB: number;
  /** … and what `sgd({ lr: α })` made of W and b. */
  readonly nextW: number;
  readonly nextB: number;
}

/**
 * The seed's first experiment: SGD (lr α) on batches of one sample from W = b = 0, printing per
 * step W, b, the hand-derived ∂E/∂W = 2(y − t)x and ∂E/∂b = 2(y − t), Fluxion's gradients, and
 * W − α∂W, b − α∂b. Sample i is drawn with `foldIn(key, i)`.
 */
export function sgdTable(opts: { steps?: number; lr?: number; key?: Key } = {}): TableRow[] {
  const { steps = 5, lr = 0.01, key = random.key(0) } = opts;
  const opt = sgd({ lr });
  const lossGrad = valueAndGrad(loss);
  let params = initLinear();
  let state = opt.init(params);
  const f = Math.fround;
  const rows: TableRow[] = [];
  for (let i = 0; i < steps; i++) {
    const batch = batchOf(1)(random.foldIn(key, i));
    const [, grads] = lossGrad(params, batch);
    const x = batch.x.item();
    const t = batch.t.item();
    const y = predict(params, batch.x).item();
    const handB = f(2 * f(y - t));
    const handW = f(handB * x);
    const gradW = grads.l1.W.item();
    const gradB = grads.l1.b.item();
    const next = step(opt, params, grads, state);
    rows.push({
      step: i,
      x,
      t,
      W: W(params),
      b: B(params),
      y,
      handW,
      handB,
      gradW,
      gradB,
      expectW: f(W(params) - f(lr * gradW)),
      expectB: f(B(params) - f(lr * gradB)),
      nextW: W(next.params),
      nextB: B(next.params),
    });
    params = next.params;
    state = next.state;
  }
  return rows;
}

/** The (W, b) path of an SGD run: the start and every `every` steps. */
export interface SgdPath {
  readonly steps: readonly number[];
  readonly W: readonly number[];
  readonly b: readonly number[];
  readonly losses: readonly number[];
  readonly final: LinearModel;
}

/**
 * The seed's second experiment, through `train()`: SGD (lr 0.01 by default) on batches of 20 for
 * 1000 steps from W = b = 0, recording (W, b) every 10 steps (the checkpoints).
 */
export async function sgdPath(opts: { steps?: number; batch?: number; lr?: number; every?: number; key?: Key } = {}): Promise<SgdPath> {
  const { steps = 1000, batch = 20, lr = 0.01, every = 10, key = random.key(1) } = opts;
  const params = initLinear();
  const events = await lastValueFrom(
    train({ params, loss, optimizer: sgd({ lr }), batches: batchOf(batch), steps, key, checkpointEvery: every, mode: 'sync' }).pipe(toArray()),
  );
  const path = { steps: [0], W: [W(params)], b: [B(params)] };
  const losses: number[] = [];
  let final = params;
  for (const e of events) {
    if (e.type === 'step') losses.push(e.loss);
    else if (e.type === 'checkpoint') {
      path.steps.push(e.step);
      path.W.push(W(e.checkpoint.params));
      path.b.push(B(e.checkpoint.params));
    } else if (e.type === 'done') final = e.checkpoint.params;
  }
  return { ...path, losses, final };
}

/**
 * The least-squares line of exp on [0, 1] (x uniform, as the batches): minimises
 * ∫₀¹ (Wx + b − eˣ)² dx. The normal equations W/3 + b/2 = ∫x·eˣ = 1 and W/2 + b = ∫eˣ = e − 1
 * give W = 6(3 − e), b = 4e − 10.
 */
export const leastSquares = { W: 6 * (3 - Math.E), b: 4 * Math.E - 10 } as const;

/** ∫₀¹ (Wx + b − eˣ)² dx in closed form: the loss SGD minimises in expectation. */
export function expectedLoss(W: number, b: number): number {
  const e = Math.E;
  // ∫(Wx + b)² = W²/3 + Wb + b²;  ∫(Wx + b)eˣ = W + b(e − 1);  ∫e²ˣ = (e² − 1)/2
  return (W * W) / 3 + W * b + b * b - 2 * (W + b * (e - 1)) + (e * e - 1) / 2;
}

/**
 * The seed's contour data: the mean squared error of y = Wx + b against exp(x) over `n` points
 * of [0, 1] (the seed sums over 10 points; a mean over 100 is the same surface, scaled).
 */
export function surface(W: number, b: number, n = 100): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const x = i / (n - 1);
    const d = W * x + b - Math.exp(x);
    s += d * d;
  }
  return s / n;
}
