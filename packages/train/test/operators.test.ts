/**
 * The operators: earlyStopping (patience, minDelta, monitor on an eval metric) ends the stream and
 * with it the run (counted in loss calls); sampleEvery thins step events; steps() keeps step
 * events, typed.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import fc from 'fast-check';
import { Observable, map } from 'rxjs';
import { ValueError } from '@fluxion/core';
import { sgd } from '@fluxion/optim';
import { earlyStopping, noImprovement, sampleEvery, steps, train, type StepEvent } from '../src/index.js';
import { collect, counted, labels, lossesOf, runSync, scalarLoss, scalarParams } from './fixtures.js';

/** A run whose step losses are `curve` (then 100s), with an eval every `evalEvery` updates. */
function runOf(curve: readonly number[], more: { evalEvery?: number; evals?: readonly number[]; mode?: 'sync' | 'sliced' } = {}) {
  const loss = counted(scalarLoss);
  const { evalEvery, evals = [], mode = 'sync' } = more;
  const run$ = train({
    params: scalarParams,
    loss: loss.f,
    optimizer: sgd(),
    batches: (_k, i) => curve[i] ?? 100,
    steps: 1000,
    mode,
    ...(evalEvery === undefined
      ? {}
      : { evalEvery, evaluate: (_p: unknown, step: number) => ({ val: evals[step / evalEvery - 1] ?? 100, loss: -step }) }),
  });
  return { run$, calls: loss.calls };
}

describe('earlyStopping', () => {
  it('stops at the patience-th step in a row without improvement; that event is the last', () => {
    const { run$, calls } = runOf([5, 4, 3, 3.5, 3, 3.25, 2, 2, 2, 2]);
    const { events, completed } = runSync(run$.pipe(earlyStopping({ patience: 3 })));
    // Best 3 at step 3; steps 4, 5, 6 do not improve on it (3 is not < 3): stop at 6.
    expect(lossesOf(events)).toEqual([5, 4, 3, 3.5, 3, 3.25]);
    expect(completed).toBe(true);
    expect(calls.n).toBe(6);
  });

  it('an improvement resets the count', () => {
    const { run$, calls } = runOf([5, 6, 6, 4, 6, 6, 6]);
    const { events } = runSync(run$.pipe(earlyStopping({ patience: 3 })));
    expect(lossesOf(events)).toEqual([5, 6, 6, 4, 6, 6, 6]);
    expect(calls.n).toBe(7);
  });

  it('minDelta: improvements smaller than it do not count', () => {
    const { run$, calls } = runOf([10, 9.75, 9.5, 9.25, 9, 8]);
    runSync(run$.pipe(earlyStopping({ patience: 2, minDelta: 0.5 })));
    // 9.75 and 9.5 are within 0.5 of 10: two in a row without improvement.
    expect(calls.n).toBe(3);
    const again = runOf([10, 9.75, 9.25, 9, 8.5, 8.25, 8.25]);
    runSync(again.run$.pipe(earlyStopping({ patience: 2, minDelta: 0.5 })));
    // 9.25 improves on 10 by 0.75 (best 9.25); 9 does not, 8.5 does (best 8.5); 8.25, 8.25 do not.
    expect(again.calls.n).toBe(7);
  });

  it('patience 0 and 1 both stop at the first observation without improvement', () => {
    for (const patience of [0, 1]) {
      const { run$, calls } = runOf([3, 2, 2.5, 1]);
      runSync(run$.pipe(earlyStopping({ patience })));
      expect(calls.n).toBe(3);
    }
  });

  it('monitor: an eval metric; step losses are then ignored; no update after the stopping eval', () => {
    const { run$, calls } = runOf([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], { evalEvery: 2, evals: [0.9, 0.8, 0.85, 0.8] });
    const { events } = runSync(run$.pipe(earlyStopping({ monitor: 'val', patience: 2 })));
    // Evals at steps 2, 4, 6, 8: best 0.8 at 4; 0.85 (6) and 0.8 (8) do not improve: stop at the eval of step 8.
    expect(labels(events).at(-1)).toBe('e8');
    expect(calls.n).toBe(8);
  });

  it("monitor 'loss' watches step losses only, not an eval metric that happens to be named 'loss'", () => {
    // The eval's 'loss' falls forever (-step); the step losses stall after step 2.
    const { run$, calls } = runOf([3, 2, 2, 2, 2, 2], { evalEvery: 1 });
    runSync(run$.pipe(earlyStopping({ patience: 2 })));
    expect(calls.n).toBe(4);
  });

  it('stops a sliced run, too (no further chunk runs)', async () => {
    const { run$, calls } = runOf([3, 3, 3, 3, 3, 3], { mode: 'sliced' });
    const events = await collect(run$.pipe(earlyStopping({ patience: 2 })));
    expect(events.length).toBe(3);
    await new Promise((r) => setTimeout(r, 20));
    expect(calls.n).toBe(3);
  });

  it('without a stall the run ends normally with done', () => {
    const { events } = runSync(
      train({ params: scalarParams, loss: scalarLoss, optimizer: sgd(), batches: [5, 4, 3, 2], mode: 'sync' }).pipe(earlyStopping({ patience: 1 })),
    );
    expect(labels(events)).toEqual(['s1', 's2', 's3', 's4', 'd4']);
  });

  it('one operator instance serves several runs (state per subscription)', () => {
    const op = earlyStopping({ patience: 1 });
    for (let i = 0; i < 2; i++) {
      const { run$, calls } = runOf([3, 2, 2]);
      runSync(run$.pipe(op));
      expect(calls.n).toBe(3);
    }
  });

  it('rejects a negative or fractional patience and a negative minDelta', () => {
    expect(() => earlyStopping({ patience: -1 })).toThrow(ValueError);
    expect(() => earlyStopping({ patience: 1.5 })).toThrow(ValueError);
    expect(() => earlyStopping({ minDelta: -0.1 })).toThrow(ValueError);
    expect(() => earlyStopping({ minDelta: NaN })).toThrow(ValueError);
  });

  it('property: stops exactly where a reference loop over the curve stops', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 4 }),
        fc.constantFrom(0, 0.5, 2),
        (curve, patience, minDelta) => {
          // The reference: Chainer's EarlyStoppingTrigger (count >= patience), as a loop.
          let best = Infinity;
          let count = 0;
          let stopAt = curve.length + 1;
          for (let i = 0; i < curve.length; i++) {
            if (curve[i]! < best - minDelta) {
              best = curve[i]!;
              count = 0;
            } else if (++count >= patience) {
              stopAt = i + 1;
              break;
            }
          }
          const { run$, calls } = runOf(curve);
          const { events } = runSync(run$.pipe(earlyStopping({ patience, minDelta })));
          if (stopAt <= curve.length) {
            expect(calls.n).toBe(stopAt);
            expect(events.length).toBe(stopAt);
          } else {
            // The curve continues with 100s, which never improve: it stops within patience of the end.
            expect(calls.n).toBe(curve.length + Math.max(1, patience) - count);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('sampleEvery', () => {
  it('keeps every n-th step event and every other event', () => {
    const { events } = runSync(
      train({
        params: scalarParams,
        loss: scalarLoss,
        optimizer: sgd(),
        batches: () => 1,
        steps: 10,
        evalEvery: 4,
        evaluate: () => ({}),
        checkpointEvery: 5,
        mode: 'sync',
      }).pipe(sampleEvery(3)),
    );
    expect(labels(events)).toEqual(['s3', 'e4', 'c5', 's6', 'e8', 's9', 'c10', 'd10']);
  });

  it('sampleEvery(1) keeps everything; n must be a positive integer', () => {
    const run$ = train({ params: scalarParams, loss: scalarLoss, optimizer: sgd(), batches: [1, 2, 3], mode: 'sync' });
    expect(runSync(run$.pipe(sampleEvery(1))).events).toEqual(runSync(run$).events.map((e) => expect.objectContaining({ type: e.type, step: e.step })));
    for (const n of [0, -1, 1.5, NaN]) expect(() => sampleEvery(n)).toThrow(ValueError);
  });

  it('counts absolute steps, so a resumed run samples the same steps', () => {
    const config = { params: scalarParams, loss: scalarLoss, optimizer: sgd(), batches: () => 1, steps: 10, checkpointEvery: 4, mode: 'sync' as const };
    const cp = runSync(train(config)).events.flatMap((e) => (e.type === 'checkpoint' ? [e.checkpoint] : []))[0]!;
    expect(labels(runSync(train({ ...config, resumeFrom: cp }).pipe(sampleEvery(3))).events)).toEqual(['s6', 'c8', 's9', 'd10']);
  });
});

describe('steps()', () => {
  it('keeps only step events, typed as StepEvent<Aux>', async () => {
    const run$ = train({
      params: scalarParams,
      loss: (p: typeof scalarParams, b: number) => [scalarLoss(p, b), { b }] as const,
      hasAux: true,
      optimizer: sgd(),
      batches: () => 2,
      steps: 4,
      checkpointEvery: 2,
    });
    const s$ = run$.pipe(steps());
    expectTypeOf(s$).toEqualTypeOf<Observable<StepEvent<{ readonly b: number }>>>();
    const got = await collect(s$.pipe(map((e) => [e.step, e.loss, e.aux?.b])));
    expect(got).toEqual([[1, 2, 2], [2, 2, 2], [3, 2, 2], [4, 2, 2]]);
  });
});

describe('stopWhen and noImprovement: ending a run normally', () => {
  const runWith = (curve: readonly number[], stopWhen: NonNullable<Parameters<typeof train>[0]['stopWhen']>, more: object = {}) => {
    const loss = counted(scalarLoss);
    const run$ = train({
      params: scalarParams,
      loss: loss.f,
      optimizer: sgd(),
      batches: (_k: unknown, i: number) => curve[i] ?? 100,
      steps: 50,
      mode: 'sync',
      checkpointEvery: 5,
      stopWhen,
      ...more,
    });
    return { run$, calls: loss.calls };
  };

  it('ends with done and the final checkpoint after the update that satisfies the rule', () => {
    const { run$, calls } = runWith([], () => (e) => e.type === 'step' && e.step === 7);
    const { events, completed } = runSync(run$);
    expect(labels(events)).toEqual(['s1', 's2', 's3', 's4', 's5', 'c5', 's6', 's7', 'd7']);
    expect(completed).toBe(true);
    expect(calls.n).toBe(7);
    const done = events[events.length - 1]!;
    if (done.type !== 'done') throw new Error('the run must end with done');
    expect(done.checkpoint.step).toBe(7);
    expect(done.summary.stoppedEarly).toBe(true);
  });

  it('noImprovement stops at the patience-th step in a row without improvement, like earlyStopping', () => {
    const { run$, calls } = runWith([5, 4, 3, 3.5, 3, 3.25, 2, 2, 2, 2], noImprovement({ patience: 3 }));
    const { events } = runSync(run$);
    expect(lossesOf(events)).toEqual([5, 4, 3, 3.5, 3, 3.25]);
    expect(calls.n).toBe(6);
    expect(events[events.length - 1]).toMatchObject({ type: 'done', step: 6 });
  });

  it('watches an eval metric and starts fresh on every subscription', () => {
    const evals = [5, 4, 4, 4, 1, 1];
    const { run$ } = runWith([], noImprovement({ patience: 2, monitor: 'val' }), {
      evalEvery: 2,
      evaluate: (_p: unknown, step: number) => ({ val: evals[step / 2 - 1] ?? 100 }),
    });
    // val: 5 (step 2), 4 (step 4, best), 4 (step 6), 4 (step 8): the second eval without
    // improvement ends the run at step 8; a second subscription does the same.
    for (let k = 0; k < 2; k++) {
      const { events } = runSync(run$);
      expect(events[events.length - 1]).toMatchObject({ type: 'done', step: 8, summary: { stoppedEarly: true } });
    }
  });

  it('ends an Observable source normally too, and stops pulling it', () => {
    const loss = counted(scalarLoss);
    let pulled = 0;
    const source = new Observable<number>((s) => {
      while (!s.closed && pulled < 1000) s.next(++pulled);
      s.complete();
    });
    const { events, completed } = runSync(
      train({ params: scalarParams, loss: loss.f, optimizer: sgd(), batches: source, stopWhen: () => (e) => e.step === 4 }),
    );
    expect(labels(events)).toEqual(['s1', 's2', 's3', 's4', 'd4']);
    expect(completed).toBe(true);
    expect(pulled).toBe(4);
  });

  it('a run that reaches its steps reports stoppedEarly false', () => {
    const { events } = runSync(runWith([], () => () => false).run$);
    expect(events[events.length - 1]).toMatchObject({ type: 'done', step: 50, summary: { stoppedEarly: false } });
  });
});
