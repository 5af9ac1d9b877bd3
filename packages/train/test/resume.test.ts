/**
 * Resume: a run interrupted anywhere and resumed from its last checkpoint equals the
 * uninterrupted run bit for bit: the losses after the checkpoint, the final params, the optimizer
 * state. Property-tested over the interruption step and checkpointEvery, for function sources
 * (with a loss that draws dropout from its per-update key), iterables over several epochs, and
 * Observable sources.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { asyncScheduler, from, observeOn, repeat, takeWhile, type Observable } from 'rxjs';
import { random } from '@fluxion/core';
import { adam, type AdamState } from '@fluxion/optim';
import { train, type BatchSource, type Checkpoint, type TrainEvent } from '../src/index.js';
import {
  collect,
  expectBitwiseEqual,
  lossesOf,
  runSync,
  tinyBatchList,
  tinyBatches,
  tinyLoss,
  tinyParams,
  type Batch,
  type TinyParams,
} from './fixtures.js';

type Event = TrainEvent<TinyParams, AdamState<TinyParams>>;
type Cp = Checkpoint<TinyParams, AdamState<TinyParams>>;

const base = { params: tinyParams, loss: tinyLoss, optimizer: adam({ alpha: 0.01 }), key: random.key(3), mode: 'sync' as const };

/** The run's events, synchronously (every source here is synchronous in sync mode). */
function events(obs: Observable<Event>): Event[] {
  const r = runSync(obs);
  if (r.error !== undefined) throw r.error;
  expect(r.completed).toBe(true);
  return r.events;
}

/**
 * Runs `config` uninterrupted, and again interrupted after step `stopAt` (the subscriber leaves),
 * then resumes from the last checkpoint it saw; asserts bitwise equality of everything after it.
 */
function checkResume(batches: BatchSource<Batch>, more: { steps?: number; epochs?: number }, checkpointEvery: number, stopAt: number): void {
  const config = { ...base, batches, ...more, checkpointEvery };
  const full = events(train(config));
  const fullDone = full.at(-1)!;
  if (fullDone.type !== 'done') throw new Error('the full run did not end with done');

  const partial = runSync(train(config).pipe(takeWhile((e) => e.step <= stopAt))).events;
  const cps = partial.filter((e): e is Extract<Event, { type: 'checkpoint' }> => e.type === 'checkpoint');
  const cp: Cp = cps.at(-1)!.checkpoint;
  expect(cp.step).toBe(Math.floor(stopAt / checkpointEvery) * checkpointEvery);

  const resumed = events(train({ ...config, resumeFrom: cp }));
  const done = resumed.at(-1)!;
  if (done.type !== 'done') throw new Error('the resumed run did not end with done');
  // The same events after the checkpoint, at the same steps.
  expect(resumed.map((e) => `${e.type}${e.step}`)).toEqual(full.filter((e) => e.step > cp.step || e.type === 'done').map((e) => `${e.type}${e.step}`));
  // Losses bit for bit (Object.is per number: -0, NaN and every bit of the double).
  const want = lossesOf(full.filter((e) => e.step > cp.step));
  const got = lossesOf(resumed);
  expect(got.length).toBe(want.length);
  got.forEach((l, i) => expect(Object.is(l, want[i]), `loss ${i}: ${l} vs ${want[i]}`).toBe(true));
  // Final params, optimizer state (moments and count) and key, bit for bit.
  expect(done.step).toBe(fullDone.step);
  expectBitwiseEqual(done.checkpoint, fullDone.checkpoint);
  expect(done.summary.steps).toBe(fullDone.step - cp.step);
  // The checkpoint itself was not touched by either run.
  expect(Object.isFrozen(cp)).toBe(true);
}

const N = 10;
/** checkpointEvery in [1, N] and an interruption step at or after the first checkpoint. */
const interruption = (n: number) =>
  fc.integer({ min: 1, max: n }).chain((every) => fc.tuple(fc.constant(every), fc.integer({ min: every, max: n })));

describe('resume equals the uninterrupted run, bit for bit', () => {
  it('function source (per-update data and loss keys)', () => {
    fc.assert(
      fc.property(interruption(N), ([every, stopAt]) => checkResume(tinyBatches, { steps: N }, every, stopAt)),
      { numRuns: 15 },
    );
  });

  it('array source over several epochs (resume mid-epoch and at epoch boundaries)', () => {
    const list = tinyBatchList(4);
    // 4 batches × 3 epochs = 12 updates.
    fc.assert(
      fc.property(interruption(12), ([every, stopAt]) => checkResume(list, { epochs: 3 }, every, stopAt)),
      { numRuns: 15, examples: [[[4, 4]], [[4, 9]], [[1, 12]]] },
    );
  });

  it('array source cut by `steps` inside an epoch', () => {
    const list = tinyBatchList(3);
    fc.assert(
      fc.property(interruption(7), ([every, stopAt]) => checkResume(list, { epochs: 5, steps: 7 }, every, stopAt)),
      { numRuns: 10 },
    );
  });

  it('Observable source (cold: the resumed run skips the batches before the checkpoint)', () => {
    const list = tinyBatchList(5);
    const source = from(list).pipe(repeat(2));
    fc.assert(
      fc.property(interruption(10), ([every, stopAt]) => checkResume(source, {}, every, stopAt)),
      { numRuns: 15 },
    );
  });

  it('an asynchronous Observable source, resumed twice in a row', async () => {
    const source = from(tinyBatchList(9)).pipe(observeOn(asyncScheduler));
    const config = { ...base, mode: 'sliced' as const, batches: source, checkpointEvery: 3 };
    const full = await collect(train(config));
    const first = await collect(train(config).pipe(takeWhile((e) => e.step <= 4)));
    const cp1 = first.flatMap((e) => (e.type === 'checkpoint' ? [e.checkpoint] : [])).at(-1)!;
    const second = await collect(train({ ...config, resumeFrom: cp1 }).pipe(takeWhile((e) => e.step <= 7)));
    const cp2 = second.flatMap((e) => (e.type === 'checkpoint' ? [e.checkpoint] : [])).at(-1)!;
    expect([cp1.step, cp2.step]).toEqual([3, 6]);
    const last = await collect(train({ ...config, resumeFrom: cp2 }));
    const stitched = [...lossesOf(first.filter((e) => e.step <= 3)), ...lossesOf(second.filter((e) => e.step <= 6)), ...lossesOf(last)];
    const want = lossesOf(full);
    expect(stitched.length).toBe(9);
    stitched.forEach((l, i) => expect(Object.is(l, want[i])).toBe(true));
    expectBitwiseEqual((last.at(-1) as Extract<Event, { type: 'done' }>).checkpoint, (full.at(-1) as Extract<Event, { type: 'done' }>).checkpoint);
  });

  it('sliced and sync modes give the same run; the key in the checkpoint is the root key', async () => {
    const config = { ...base, batches: tinyBatches, steps: 6, checkpointEvery: 2 };
    const sync = events(train(config));
    const sliced = await collect(train({ ...config, mode: 'sliced', sliceSteps: 1 }));
    expect(lossesOf(sliced)).toEqual(lossesOf(sync));
    expectBitwiseEqual((sliced.at(-1) as Extract<Event, { type: 'done' }>).checkpoint, (sync.at(-1) as Extract<Event, { type: 'done' }>).checkpoint);
    for (const e of sync) if (e.type === 'checkpoint') expect(random.keyData(e.checkpoint.key)).toEqual(random.keyData(random.key(3)));
  });

  it('resumeFrom beyond `steps` is a ValueError; the config key is ignored on resume (the checkpoint has the key)', () => {
    const config = { ...base, batches: tinyBatches, steps: 4, checkpointEvery: 2 };
    const full = events(train(config));
    const cp = full.flatMap((e) => (e.type === 'checkpoint' ? [e.checkpoint] : []))[0]!;
    expect(() => train({ ...config, steps: 1, resumeFrom: cp })).toThrow(/resumeFrom is at step 2, beyond steps \(1\)/);
    const other = events(train({ ...config, key: random.key(99), resumeFrom: cp }));
    expect(lossesOf(other)).toEqual(lossesOf(full.filter((e) => e.step > 2)));
  });
});
