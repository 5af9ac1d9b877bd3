/**
 * Ordering, intervals, completion and errors of train()'s stream, in virtual time: rxjs's
 * TestScheduler drives the chunks of a sliced run (sliceSteps decides the slicing; sliceMs is
 * turned off so the machine's speed cannot), and marble diagrams state what arrives when.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { catchError, map, tap, throwError, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { sgd, type CountState } from '@fluxion/optim';
import { NonFiniteError, train, type TrainEvent } from '../src/index.js';
import { counted, everyFrames, labels, scalarLoss, scalarParams, type ScalarParams } from './fixtures.js';

const newScheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** Event types as single letters for marbles: s(tep), e(val), c(heckpoint), d(one). */
const TYPES = { s: 'step', e: 'eval', c: 'checkpoint', d: 'done' } as const;
const types = <P, S, A>(obs: Observable<TrainEvent<P, S, A>>): Observable<string> => obs.pipe(map((e) => e.type));

describe('train() in virtual time', () => {
  it('runs chunk by chunk: step, eval, checkpoint within an update; done last; then complete', () => {
    const ts = newScheduler();
    const seen: string[] = [];
    ts.run(({ expectObservable }) => {
      const run$ = train({
        params: scalarParams,
        loss: scalarLoss,
        optimizer: sgd(),
        batches: (_k, i) => 10 - i,
        steps: 5,
        evalEvery: 2,
        evaluate: (_p, step) => ({ step }),
        checkpointEvery: 2,
        sliceSteps: 2,
        sliceMs: Infinity,
        scheduler: everyFrames(ts, 10),
      }).pipe(tap((e) => seen.push(`${e.type[0]}${e.step}`)));
      expectObservable(types(run$)).toBe('10ms (ssec) 4ms (ssec) 4ms (sd|)', TYPES);
    });
    expect(seen).toEqual(['s1', 's2', 'e2', 'c2', 's3', 's4', 'e4', 'c4', 's5', 'd5']);
  });

  it('never computes inside subscribe in sliced mode; with the TestScheduler itself all chunks run at frame 0', () => {
    const ts = newScheduler();
    const loss = counted(scalarLoss);
    ts.run(({ expectObservable, flush }) => {
      const run$ = train({ params: scalarParams, loss: loss.f, optimizer: sgd(), batches: () => 1, steps: 3, sliceSteps: 1, sliceMs: Infinity, scheduler: ts });
      const sub = run$.subscribe();
      expect(loss.calls.n).toBe(0);
      flush();
      expect(loss.calls.n).toBe(3);
      sub.unsubscribe();
      expectObservable(types(run$)).toBe('(sssd|)', TYPES);
    });
  });

  it("the README's example: the TestScheduler as the scheduler", () => {
    const ts = newScheduler();
    ts.run(({ expectObservable }) => {
      const config = { params: scalarParams, loss: scalarLoss, optimizer: sgd(), batches: () => 1 };
      const run$ = train({ ...config, steps: 5, checkpointEvery: 2, sliceSteps: 2, sliceMs: Infinity, scheduler: ts });
      expectObservable(run$.pipe(map((e) => e.type[0]))).toBe('(sscsscsd|)');
    });
  });

  it('unsubscribing between chunks stops the run: the next chunk never computes', () => {
    const ts = newScheduler();
    const loss = counted(scalarLoss);
    ts.run(({ expectObservable }) => {
      const run$ = train({
        params: scalarParams,
        loss: loss.f,
        optimizer: sgd(),
        batches: () => 1,
        steps: 10,
        sliceSteps: 2,
        sliceMs: Infinity,
        scheduler: everyFrames(ts, 10),
      });
      expectObservable(types(run$), '^ 14ms !').toBe('10ms (ss)', TYPES);
    });
    expect(loss.calls.n).toBe(2);
  });

  it('a non-finite loss ends the stream with NonFiniteError at that step, nothing after it', () => {
    const ts = newScheduler();
    const loss = counted(scalarLoss);
    ts.run(({ expectObservable }) => {
      const run$ = train({
        params: scalarParams,
        loss: loss.f,
        optimizer: sgd(),
        batches: (_k, i) => (i === 2 ? NaN : 1),
        steps: 10,
        checkpointEvery: 1,
        sliceSteps: 2,
        sliceMs: Infinity,
        scheduler: everyFrames(ts, 10),
      }).pipe(
        map((e) => e.type),
        catchError((e: unknown) =>
          throwError(() => (e instanceof NonFiniteError ? { step: e.step, where: e.where, last: e.lastCheckpoint.step } : e)),
        ),
      );
      expectObservable(run$).toBe('10ms (scsc) 4ms #', TYPES, { step: 3, where: 'loss', last: 2 });
    });
    expect(loss.calls.n).toBe(3);
  });

  it('an error thrown by the batch function, the loss or evaluate errors the stream (not the scheduler)', () => {
    const boom = new Error('boom');
    const fail = (): never => {
      throw boom;
    };
    const cases = [
      { name: 'batches', marble: '10ms (ss) 6ms #', config: { batches: (_k: unknown, i: number) => (i === 2 ? fail() : 1) } },
      { name: 'loss', marble: '10ms (ss) 6ms #', config: { loss: (p: ScalarParams, b: number) => (++lossCalls === 3 ? fail() : scalarLoss(p, b)) } },
      {
        name: 'evaluate',
        marble: '10ms (sese) 4ms (s#)',
        config: { evalEvery: 1, evaluate: (_p: unknown, step: number) => (step === 3 ? fail() : { step }) },
      },
    ];
    let lossCalls = 0;
    for (const c of cases) {
      lossCalls = 0;
      const ts = newScheduler();
      ts.run(({ expectObservable }) => {
        const run$ = train({
          params: scalarParams,
          loss: scalarLoss,
          optimizer: sgd(),
          batches: () => 1,
          steps: 10,
          sliceSteps: 2,
          sliceMs: Infinity,
          scheduler: everyFrames(ts, 10),
          ...c.config,
        });
        expectObservable(types(run$)).toBe(c.marble, TYPES, boom);
      });
    }
  });

  it('an Observable source: one update per batch, in the source\'s time; done when it completes or at `steps`', () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('-a-b-c|', { a: 3, b: 2, c: 1 });
      const all$ = train({ params: scalarParams, loss: scalarLoss, optimizer: sgd(), batches: src });
      expectObservable(all$.pipe(map((e) => (e.type === 'step' ? e.loss : e.type)))).toBe('-a-b-c(d|)', { a: 3, b: 2, c: 1, d: 'done' });

      const src2 = cold('-a-b-c|', { a: 3, b: 2, c: 1 });
      const two$ = train({ params: scalarParams, loss: scalarLoss, optimizer: sgd(), batches: src2, steps: 2 });
      expectObservable(types(two$)).toBe('-s-(sd|)', TYPES);
      expectSubscriptions(src2.subscriptions).toBe('^--!');

      const src3 = cold('-a-#', { a: 1 }, new Error('source failed'));
      expectObservable(types(train({ params: scalarParams, loss: scalarLoss, optimizer: sgd(), batches: src3 }))).toBe(
        '-s-#',
        TYPES,
        new Error('source failed'),
      );
    });
  });

  it('a run resumed at its last step emits only done', () => {
    const ts = newScheduler();
    ts.run(({ expectObservable }) => {
      const config = { params: scalarParams, loss: scalarLoss, optimizer: sgd(), batches: () => 1, steps: 3, sliceMs: Infinity, scheduler: ts };
      let last: TrainEvent<ScalarParams, CountState> | undefined;
      train({ ...config, mode: 'sync' }).subscribe((e) => (last = e));
      if (last?.type !== 'done') throw new Error('no done event');
      expectObservable(types(train({ ...config, resumeFrom: last.checkpoint }))).toBe('(d|)', TYPES);
    });
  });

  it('intervals: every update gives a step, evals and checkpoints at multiples of their intervals, done last (property)', () => {
    const opt = fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 25 }), opt, opt, opt, (steps, evalEvery, checkpointEvery, sliceSteps) => {
        const ts = newScheduler();
        const events: TrainEvent<ScalarParams, unknown>[] = [];
        let completed = 0;
        const evaluated: number[] = [];
        train({
          params: scalarParams,
          loss: scalarLoss,
          optimizer: sgd(),
          batches: (_k, i) => i,
          steps,
          evalEvery,
          evaluate: (_p, step) => (evaluated.push(step), { step }),
          checkpointEvery,
          sliceSteps,
          sliceMs: Infinity,
          scheduler: ts,
        }).subscribe({ next: (e) => events.push(e), complete: () => completed++ });
        expect(events).toEqual([]);
        ts.flush();
        const expected: string[] = [];
        for (let i = 1; i <= steps; i++) {
          expected.push(`s${i}`);
          if (evalEvery !== undefined && i % evalEvery === 0) expected.push(`e${i}`);
          if (checkpointEvery !== undefined && i % checkpointEvery === 0) expected.push(`c${i}`);
        }
        expected.push(`d${steps}`);
        expect(labels(events)).toEqual(expected);
        expect(completed).toBe(1);
        expect(evaluated).toEqual(expected.filter((l) => l.startsWith('e')).map((l) => Number(l.slice(1))));
        // Step events carry the loss of their update; done's checkpoint is the last one emitted
        // when the run ended on a checkpoint step.
        expect(events.flatMap((e) => (e.type === 'step' ? [e.loss] : []))).toEqual(Array.from({ length: steps }, (_, i) => i));
        const done = events.at(-1)!;
        const lastCp = events.filter((e) => e.type === 'checkpoint').at(-1);
        if (done.type !== 'done') throw new Error('done is not last');
        expect(done.checkpoint.step).toBe(steps);
        if (lastCp?.type === 'checkpoint' && lastCp.step === steps) expect(done.checkpoint).toBe(lastCp.checkpoint);
        expect(done.summary.steps).toBe(steps);
        expect(done.summary.finalLoss).toBe(steps - 1);
      }),
      { numRuns: 60 },
    );
  });
});
