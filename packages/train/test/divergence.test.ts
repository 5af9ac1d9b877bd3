/**
 * Divergence: a non-finite loss, gradient or updated param ends the stream with a typed
 * NonFiniteError naming the step and where; no event follows it; its lastCheckpoint is the last
 * checkpoint the run emitted, finite, and a valid place to resume from.
 */
import { describe, expect, it } from 'vitest';
import { FluxionError, mul, random, scalar, sqrt, sum, tensor, type Tensor } from '@fluxion/core';
import { adam, sgd } from '@fluxion/optim';
import { NonFiniteError, train, type TrainEvent } from '../src/index.js';
import { allFinite, collect, counted, expectBitwiseEqual, labels, runSync, seedBatches, seedLoss, seedParams, type SeedParams } from './fixtures.js';

describe('divergence', () => {
  it('SGD with lr 1e3 on the seed: NonFiniteError at the step, nothing after it, the last checkpoint valid', () => {
    const loss = counted(seedLoss);
    const config = { params: seedParams, loss: loss.f, optimizer: sgd({ lr: 1e3 }), batches: seedBatches, steps: 50, checkpointEvery: 1, mode: 'sync' as const };
    const { events, error, completed } = runSync(train(config));
    expect(completed).toBe(false);
    expect(error).toBeInstanceOf(NonFiniteError);
    expect(error).toBeInstanceOf(FluxionError);
    const e = error as NonFiniteError<SeedParams>;
    // Known for this seed and key: the loss explodes at the second update and overflows at the third.
    expect([e.step, e.where]).toEqual([3, 'loss']);
    expect(e.message).toMatch(/non-finite loss at step 3; the last checkpoint \(step 2\) is still valid/);
    expect(loss.calls.n).toBe(3);
    expect(labels(events)).toEqual(['s1', 'c1', 's2', 'c2']);
    const lastCp = events.at(-1)!;
    if (lastCp.type !== 'checkpoint') throw new Error('expected a checkpoint last');
    expect(e.lastCheckpoint).toBe(lastCp.checkpoint);
    expect(e.lastCheckpoint.step).toBe(e.step - 1);
    expect(allFinite(e.lastCheckpoint.params)).toBe(true);
    expect(allFinite(e.lastCheckpoint.state)).toBe(true);
  });

  it('without checkpoints, lastCheckpoint is the starting state', async () => {
    const config = { params: seedParams, loss: seedLoss, optimizer: sgd({ lr: 1e3 }), batches: seedBatches, steps: 50 };
    const err = await collect(train(config)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteError);
    const e = err as NonFiniteError<SeedParams>;
    expect(e.step).toBe(3);
    expect(e.lastCheckpoint.step).toBe(0);
    expect(e.lastCheckpoint.params).toBe(seedParams);
  });

  it('the last checkpoint is a valid resume point: resuming reproduces the same run from it, to the same error', () => {
    // Same run, checkpoints every 2 updates: it errors at 3 and keeps the checkpoint of step 2.
    const config = { params: seedParams, loss: seedLoss, optimizer: sgd({ lr: 1e3 }), batches: seedBatches, steps: 50, checkpointEvery: 2, mode: 'sync' as const };
    const { error } = runSync(train(config));
    const cp = (error as NonFiniteError<SeedParams, { t: number }>).lastCheckpoint;
    expect(cp.step).toBe(2);
    // Resuming the same config reproduces the same error at the same step, from the same state.
    const again = runSync(train({ ...config, resumeFrom: cp }));
    expect(again.events).toEqual([]);
    const e2 = again.error as NonFiniteError<SeedParams>;
    expect([e2.step, e2.where]).toEqual([3, 'loss']);
    expectBitwiseEqual(e2.lastCheckpoint, cp);
  });

  it('a finite loss with an infinite gradient names the gradient leaf', () => {
    // d/dw sqrt(w) at w = 0 is +inf while the loss, 0, is finite.
    const params = { a: { w: tensor([1, 0]) }, b: scalar(1) };
    const loss = (p: typeof params): Tensor => mul(sum(sqrt(p.a.w)), p.b);
    const { events, error } = runSync(train({ params, loss, optimizer: sgd(), batches: [0, 0], mode: 'sync' }));
    expect(events).toEqual([]);
    expect(error).toBeInstanceOf(NonFiniteError);
    expect([(error as NonFiniteError).step, (error as NonFiniteError).where]).toEqual([1, "gradient at 'a/w'"]);
  });

  it('checkGradients: false skips the gradient (and params) checks; the loss is still checked', () => {
    const params = { w: tensor([1, 0]) };
    const loss = (p: typeof params): Tensor => sum(sqrt(p.w));
    const { events, error } = runSync(train({ params, loss, optimizer: sgd(), batches: [0, 0, 0], mode: 'sync', checkGradients: false }));
    // Step 1 applies the infinite gradient (w becomes -inf); the loss of step 2 is NaN.
    expect(labels(events)).toEqual(['s1']);
    expect([(error as NonFiniteError).step, (error as NonFiniteError).where]).toEqual([2, 'loss']);
  });

  it('finite gradients that overflow the params stop the run at that update, before any checkpoint holds them', () => {
    // grad 1e30 × lr 1e10 = 1e40: beyond float32. The loss (1e30) and the gradient are finite.
    const params = { w: tensor([1]) };
    const loss = (p: typeof params): Tensor => sum(mul(p.w, 1e30));
    const { events, error } = runSync(train({ params, loss, optimizer: sgd({ lr: 1e10 }), batches: [0, 0], checkpointEvery: 1, mode: 'sync' }));
    expect(events).toEqual([]);
    const e = error as NonFiniteError<typeof params>;
    expect([e.step, e.where]).toEqual([1, "params at 'w'"]);
    expect(e.lastCheckpoint.params).toBe(params);
  });

  it('in sliced mode, and with Adam: the error arrives after the events of earlier chunks, and nothing after it', async () => {
    const events: TrainEvent<unknown, unknown>[] = [];
    const batches = (_k: random.Key, i: number): number => (i === 4 ? Infinity : 1);
    const params = { w: scalar(2) };
    const err = await new Promise((resolve) =>
      train({ params, loss: (p: typeof params, b: number) => mul(sum(p.w), b), optimizer: adam(), batches, steps: 10, sliceSteps: 2, checkpointEvery: 2 }).subscribe({
        next: (e) => events.push(e),
        error: resolve,
        complete: () => resolve('completed'),
      }),
    );
    expect(labels(events)).toEqual(['s1', 's2', 'c2', 's3', 's4', 'c4']);
    expect(err).toBeInstanceOf(NonFiniteError);
    expect((err as NonFiniteError).step).toBe(5);
    expect((err as NonFiniteError).lastCheckpoint).toBe((events.at(-1) as Extract<TrainEvent<unknown, unknown>, { type: 'checkpoint' }>).checkpoint);
  });
});
