/**
 * Scheduling on the real event loop: sliced mode runs in chunks and lets timers and I/O callbacks
 * run between them; sync mode runs the whole run inside subscribe().
 */
import { describe, expect, it } from 'vitest';
import { asapScheduler, queueScheduler } from 'rxjs';
import { sgd } from '@fluxion/optim';
import { train } from '../src/index.js';
import { busyWait, collect, counted, labels, scalarLoss, scalarParams } from './fixtures.js';

const config = { params: scalarParams, optimizer: sgd(), batches: () => 1, steps: 12 };

/** Steps done when each of a setTimeout and a setImmediate scheduled right after subscribe() ran. */
async function probe(extra: object): Promise<{ atSubscribe: number; atTimeout: number; atImmediate: number; total: number }> {
  const loss = counted(scalarLoss);
  let atTimeout = -1;
  let atImmediate = -1;
  const done = collect(train({ ...config, loss: loss.f, ...extra }));
  const atSubscribe = loss.calls.n;
  setTimeout(() => (atTimeout = loss.calls.n), 0);
  setImmediate(() => (atImmediate = loss.calls.n));
  await done;
  await new Promise((r) => setTimeout(r, 5));
  return { atSubscribe, atTimeout, atImmediate, total: loss.calls.n };
}

describe('scheduling', () => {
  it('sliced mode yields to the event loop between chunks (sliceSteps)', async () => {
    const r = await probe({ sliceSteps: 3, sliceMs: Infinity });
    expect(r.atSubscribe).toBe(0);
    expect(r.total).toBe(12);
    // Chunks are macrotasks (setImmediate in Node): the first was posted inside subscribe(), before
    // this probe's setImmediate, which therefore runs after exactly one chunk. A timer fires
    // before, between or after chunks, but never inside one: always at a chunk boundary.
    expect(r.atImmediate).toBe(3);
    expect(r.atTimeout % 3).toBe(0);
  });

  it('sliced mode yields after sliceMs of work, whatever the machine speed', async () => {
    // Each loss call busy-waits 4 ms and a slice ends once 10 ms have passed: at most 3 updates per
    // chunk (fewer on a slow machine), so 12 updates take at least 4 chunks.
    const chunks: number[][] = [];
    let current: number[] = [];
    let yielded = false;
    const slow = (p: typeof scalarParams, b: number) => {
      busyWait(4);
      return scalarLoss(p, b);
    };
    const sub = train({ ...config, loss: slow, sliceMs: 10 }).subscribe((e) => {
      if (e.type !== 'step') return;
      if (yielded) {
        chunks.push(current);
        current = [];
        yielded = false;
      }
      current.push(e.step);
    });
    // Marks every turn of the event loop; the run's chunks happen between marks.
    const tick = setInterval(() => (yielded = true), 0);
    while (!sub.closed) await new Promise((r) => setTimeout(r, 1));
    clearInterval(tick);
    chunks.push(current);
    expect(chunks.flat()).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(chunks.length).toBeGreaterThanOrEqual(4);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(3);
  });

  it('sliceMs 0 yields after every update', async () => {
    const r = await probe({ sliceMs: 0 });
    expect(r.atSubscribe).toBe(0);
    // Chunks are macrotasks (setImmediate in Node): the first chunk was posted inside subscribe(),
    // before this probe's setImmediate, which therefore runs after exactly one update. A timer
    // may fire before, between or after the one-update chunks, so it says nothing here.
    expect(r.atImmediate).toBe(1);
  });

  it('sync mode runs everything inside subscribe(): no callback runs before the end', async () => {
    const r = await probe({ mode: 'sync', sliceSteps: 1 });
    expect([r.atSubscribe, r.atTimeout, r.atImmediate, r.total]).toEqual([12, 12, 12, 12]);
  });

  it('other schedulers: asap (microtasks) and queue run the same events', async () => {
    for (const scheduler of [asapScheduler, queueScheduler]) {
      const loss = counted(scalarLoss);
      const events = await collect(train({ ...config, loss: loss.f, sliceSteps: 5, scheduler, checkpointEvery: 6 }));
      expect(labels(events)).toEqual(['s1', 's2', 's3', 's4', 's5', 's6', 'c6', 's7', 's8', 's9', 's10', 's11', 's12', 'c12', 'd12']);
      expect(loss.calls.n).toBe(12);
    }
  });

  it('step events carry elapsed time; done carries a summary', async () => {
    const events = await collect(train({ ...config, loss: scalarLoss, sliceSteps: 4 }));
    const times = events.flatMap((e) => (e.type === 'step' ? [e.elapsedMs] : []));
    expect(times.every((t, i) => t >= 0 && (i === 0 || t >= times[i - 1]!))).toBe(true);
    const done = events.at(-1)!;
    if (done.type !== 'done') throw new Error('no done');
    expect(done.summary.steps).toBe(12);
    expect(done.summary.finalLoss).toBe(1);
    expect(done.summary.elapsedMs).toBeGreaterThanOrEqual(times.at(-1)!);
    expect(done.summary.stepsPerSecond).toBeGreaterThan(0);
  });
});
