/**
 * The seed workload through train() follows the same loss curve as a hand-written loop with the
 * same key, bit for bit: the loop derives keys as train()'s doc says (the root key splits once
 * into a data key and a loss key; update i draws its batch from foldIn(dataKey, i) and its loss
 * key from foldIn(lossKey, i)) and updates with optim's fused `step`.
 */
import { describe, expect, it } from 'vitest';
import { random, valueAndGrad } from '@fluxion/core';
import { adam, step } from '@fluxion/optim';
import { tap } from 'rxjs';
import { sampleEvery, train } from '../src/index.js';
import { collect, expectBitwiseEqual, lossesOf, runSync, seedBatches, seedLoss, seedParams } from './fixtures.js';

const STEPS = 200;

/** The seed's loop, by hand. */
function handLoop(key: random.Key, n: number) {
  const [dataKey, lossKey] = random.split(key);
  const opt = adam();
  let params = seedParams;
  let state = opt.init(params);
  const vg = valueAndGrad(seedLoss);
  const losses: number[] = [];
  for (let i = 0; i < n; i++) {
    random.foldIn(lossKey, i); // the loss key (the seed's loss does not use it)
    const [loss, grads] = vg(params, seedBatches(random.foldIn(dataKey, i)));
    losses.push(loss.item());
    ({ params, state } = step(opt, params, grads, state));
  }
  return { losses, params, state };
}

describe('the seed workload', () => {
  const key = random.key(0);
  const hand = handLoop(key, STEPS);

  it('sync mode: the same loss curve, final params and Adam state as the hand-written loop, bit for bit', () => {
    const { events, completed } = runSync(
      train({ params: seedParams, loss: seedLoss, optimizer: adam(), batches: seedBatches, steps: STEPS, key, checkpointEvery: 100, mode: 'sync' }),
    );
    expect(completed).toBe(true);
    const losses = lossesOf(events);
    expect(losses.length).toBe(STEPS);
    losses.forEach((l, i) => expect(Object.is(l, hand.losses[i]), `step ${i + 1}: ${l} vs ${hand.losses[i]}`).toBe(true));
    const done = events.at(-1)!;
    if (done.type !== 'done') throw new Error('no done');
    expectBitwiseEqual(done.checkpoint.params, hand.params);
    expectBitwiseEqual(done.checkpoint.state, hand.state);
    expect(done.checkpoint.state.t).toBe(STEPS);
    // It learns: the loss falls by more than 10× over 200 steps.
    expect(losses.slice(-10).reduce((a, b) => a + b) / 10).toBeLessThan(losses[0]! / 10);
  });

  it('sliced mode, with the README\'s live printout (every 10th step) and checkpoints every 100: the same curve', async () => {
    const printed: string[] = [];
    const checkpoints: number[] = [];
    const losses: number[] = [];
    const run$ = train({ params: seedParams, loss: seedLoss, optimizer: adam(), batches: seedBatches, steps: STEPS, checkpointEvery: 100 });
    const all = await collect(
      run$.pipe(
        tap((e) => (e.type === 'checkpoint' && checkpoints.push(e.step), e.type === 'step' && losses.push(e.loss))),
        sampleEvery(10),
      ),
    );
    for (const e of all) if (e.type === 'step') printed.push(`step ${e.step} loss ${e.loss.toFixed(5)}`);
    expect(checkpoints).toEqual([100, 200]);
    expect(printed.length).toBe(STEPS / 10);
    expect(lossesOf(all)).toEqual(hand.losses.filter((_, i) => (i + 1) % 10 === 0));
    expect(losses.length).toBe(STEPS);
    losses.forEach((l, i) => expect(Object.is(l, hand.losses[i])).toBe(true));
  });
});
