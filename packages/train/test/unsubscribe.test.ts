/**
 * Unsubscribing stops the run before its next update: the loss function is never called again.
 * Checked by counting loss calls, in both modes, from operators, from inside handlers, between
 * chunks, and for Observable sources (synchronous and endless ones too).
 */
import { describe, expect, it } from 'vitest';
import { Observable, Subscription, from, take, takeWhile } from 'rxjs';
import { sgd } from '@fluxion/optim';
import { train } from '../src/index.js';
import { collect, counted, scalarLoss, scalarParams } from './fixtures.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function run(mode: 'sync' | 'sliced', extra: { checkpointEvery?: number; evalEvery?: number; sliceSteps?: number } = {}) {
  const loss = counted(scalarLoss);
  const evaluate = extra.evalEvery === undefined ? {} : { evaluate: () => ({ m: 1 }) };
  const run$ = train({ params: scalarParams, loss: loss.f, optimizer: sgd(), batches: () => 1, steps: 1000, mode, sliceMs: Infinity, ...extra, ...evaluate });
  return { run$, calls: loss.calls };
}

describe('unsubscribe stops the run', () => {
  it.each(['sync', 'sliced'] as const)('take(5) computes exactly 5 steps (%s)', async (mode) => {
    const { run$, calls } = run(mode, { sliceSteps: 3 });
    const events = await collect(run$.pipe(take(5)));
    expect(events.map((e) => e.step)).toEqual([1, 2, 3, 4, 5]);
    expect(calls.n).toBe(5);
    await sleep(20);
    expect(calls.n).toBe(5);
  });

  it.each(['sync', 'sliced'] as const)('takeWhile ending on a checkpoint event: no step after it (%s)', async (mode) => {
    const { run$, calls } = run(mode, { checkpointEvery: 4, evalEvery: 2 });
    const events = await collect(run$.pipe(takeWhile((e) => e.type !== 'checkpoint', true)));
    expect(events.map((e) => `${e.type[0]}${e.step}`)).toEqual(['s1', 's2', 'e2', 's3', 's4', 'e4', 'c4']);
    expect(calls.n).toBe(4);
    await sleep(20);
    expect(calls.n).toBe(4);
  });

  it('unsubscribing from inside a step handler, mid-chunk, stops at once', async () => {
    const { run$, calls } = run('sliced', { checkpointEvery: 1 });
    const seen: string[] = [];
    const sub: Subscription = run$.subscribe((e) => {
      seen.push(`${e.type[0]}${e.step}`);
      if (e.type === 'step' && e.step === 3) sub.unsubscribe();
    });
    await sleep(30);
    expect(seen).toEqual(['s1', 'c1', 's2', 'c2', 's3']);
    expect(calls.n).toBe(3);
    expect(sub.closed).toBe(true);
  });

  it('unsubscribing from inside an eval handler: no checkpoint of that update, no next step', async () => {
    const { run$, calls } = run('sliced', { evalEvery: 2, checkpointEvery: 2 });
    const seen: string[] = [];
    const sub: Subscription = run$.subscribe((e) => {
      seen.push(`${e.type[0]}${e.step}`);
      if (e.type === 'eval' && e.step === 4) sub.unsubscribe();
    });
    await sleep(30);
    expect(seen).toEqual(['s1', 's2', 'e2', 'c2', 's3', 's4', 'e4']);
    expect(calls.n).toBe(4);
  });

  it('unsubscribing between chunks (from a timer) cancels the pending chunk', async () => {
    const { run$, calls } = run('sliced', { sliceSteps: 2 });
    const sub = run$.subscribe();
    expect(calls.n).toBe(0); // sliced mode computes nothing inside subscribe()
    // The default scheduler posts each chunk with setImmediate: the first chunk was posted before
    // this callback, the second chunk after it.
    await new Promise<void>((r) => setImmediate(r));
    expect(calls.n).toBe(2);
    sub.unsubscribe();
    await sleep(30);
    expect(calls.n).toBe(2);
  });

  it('a synchronous Observable source stops being pulled at take(3)', () => {
    const loss = counted(scalarLoss);
    let pulled = 0;
    // An endless synchronous source that emits while its subscriber is open (as rxjs sources do).
    const endless = new Observable<number>((s) => {
      while (!s.closed && pulled < 10_000) s.next(++pulled);
    });
    const steps: number[] = [];
    train({ params: scalarParams, loss: loss.f, optimizer: sgd(), batches: endless })
      .pipe(take(3))
      .subscribe((e) => steps.push(e.step));
    expect(steps).toEqual([1, 2, 3]);
    expect(loss.calls.n).toBe(3);
    expect(pulled).toBe(3);
  });

  it('an endless synchronous Observable source with `steps` ends the run and stops being pulled', () => {
    const loss = counted(scalarLoss);
    let pulled = 0;
    const endless = new Observable<number>((s) => {
      while (!s.closed && pulled < 10_000) s.next(++pulled);
    });
    const types: string[] = [];
    let completed = false;
    train({ params: scalarParams, loss: loss.f, optimizer: sgd(), batches: endless, steps: 4 }).subscribe({
      next: (e) => types.push(e.type),
      complete: () => (completed = true),
    });
    expect(types).toEqual(['step', 'step', 'step', 'step', 'done']);
    expect(completed).toBe(true);
    expect(loss.calls.n).toBe(4);
    expect(pulled).toBe(4);
  });

  it('an array source in sync mode stops at take(2)', () => {
    const loss = counted(scalarLoss);
    const got: number[] = [];
    train({ params: scalarParams, loss: loss.f, optimizer: sgd(), batches: [1, 2, 3, 4, 5, 6], epochs: 3, mode: 'sync' })
      .pipe(take(2))
      .subscribe((e) => got.push(e.step));
    expect(got).toEqual([1, 2]);
    expect(loss.calls.n).toBe(2);
  });

  it('an asynchronous Observable source is unsubscribed when the run is', async () => {
    const loss = counted(scalarLoss);
    let subscribed = 0;
    let unsubscribed = 0;
    const source = new Observable<number>((s) => {
      subscribed++;
      const id = setInterval(() => s.next(1), 1);
      return () => {
        unsubscribed++;
        clearInterval(id);
      };
    });
    await collect(train({ params: scalarParams, loss: loss.f, optimizer: sgd(), batches: source }).pipe(take(3)));
    expect([subscribed, unsubscribed, loss.calls.n]).toEqual([1, 1, 3]);
    await sleep(20);
    expect(loss.calls.n).toBe(3);
  });

  it('each subscription is its own run (cold)', () => {
    const loss = counted(scalarLoss);
    const run$ = train({ params: scalarParams, loss: loss.f, optimizer: sgd(), batches: from([1, 2, 3]) });
    const a: number[] = [];
    const b: number[] = [];
    run$.subscribe((e) => a.push(e.step));
    run$.pipe(take(2)).subscribe((e) => b.push(e.step));
    expect(a).toEqual([1, 2, 3, 3]);
    expect(b).toEqual([1, 2]);
    expect(loss.calls.n).toBe(5);
  });
});
