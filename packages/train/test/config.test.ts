/**
 * The config: validation (ValueError at train(), before any subscription), aux metrics from the
 * loss, evaluate/evalEvery, sources (function, iterable with epochs, generator, Observable), keys,
 * and the types train() infers.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { of, type Observable } from 'rxjs';
import { ValueError, abs, mean, mul, random, sub, sum, type Key, type Tensor } from '@fluxion/core';
import { adam, chain, clipByGlobalNorm, sgd, type AdamState, type EmptyState } from '@fluxion/optim';
import { meanSquaredError, mlp } from '@fluxion/nn';
import { train, type Checkpoint, type TrainEvent } from '../src/index.js';
import { counted, expectBitwiseEqual, labels, lossesOf, runSync, scalarLoss, scalarParams, tinyBatches, tinyLoss, tinyParams, type Batch, type TinyParams } from './fixtures.js';

describe('config validation', () => {
  const ok = { params: scalarParams, loss: scalarLoss, optimizer: sgd(), batches: () => 1, steps: 3 };
  const bad: [string, object, RegExp][] = [
    ['steps 0', { steps: 0 }, /steps must be a positive integer, got 0/],
    ['steps -1', { steps: -1 }, /steps must be a positive integer/],
    ['steps 1.5', { steps: 1.5 }, /steps must be a positive integer/],
    ['steps NaN', { steps: NaN }, /steps must be a positive integer/],
    ['epochs 0', { epochs: 0 }, /epochs must be a positive integer/],
    ['checkpointEvery 0', { checkpointEvery: 0 }, /checkpointEvery must be a positive integer/],
    ['checkpointEvery 2.5', { checkpointEvery: 2.5 }, /checkpointEvery must be a positive integer/],
    ['evalEvery -2', { evalEvery: -2, evaluate: () => ({}) }, /evalEvery must be a positive integer/],
    ['evalEvery without evaluate', { evalEvery: 2 }, /evalEvery needs an evaluate function/],
    ['sliceSteps 0', { sliceSteps: 0 }, /sliceSteps must be a positive integer/],
    ['sliceMs -1', { sliceMs: -1 }, /sliceMs must be a non-negative number/],
    ['sliceMs NaN', { sliceMs: NaN }, /sliceMs must be a non-negative number/],
    ['mode', { mode: 'fast' }, /mode must be 'sliced' or 'sync'/],
    ['a function source without steps', { steps: undefined }, /a batch function needs `steps`/],
  ];
  it.each(bad)('%s is a ValueError thrown by train() itself', (_name, change, message) => {
    const loss = counted(scalarLoss);
    const make = () => train({ ...ok, loss: loss.f, ...change } as typeof ok);
    expect(make).toThrow(ValueError);
    expect(make).toThrow(message);
    expect(loss.calls.n).toBe(0);
  });

  it('an iterable or Observable source needs no steps', () => {
    expect(labels(runSync(train({ ...ok, steps: undefined, batches: [1, 2] , mode: 'sync' })).events)).toEqual(['s1', 's2', 'd2']);
    expect(labels(runSync(train({ ...ok, steps: undefined, batches: of(1, 2) })).events)).toEqual(['s1', 's2', 'd2']);
  });
});

describe('sources', () => {
  const base = { params: scalarParams, loss: scalarLoss, optimizer: sgd(), mode: 'sync' as const };

  it('an array runs `epochs` passes in order; `steps` cuts it short', () => {
    expect(lossesOf(runSync(train({ ...base, batches: [1, 2, 3], epochs: 3 })).events)).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3]);
    expect(lossesOf(runSync(train({ ...base, batches: [1, 2, 3], epochs: 3, steps: 4 })).events)).toEqual([1, 2, 3, 1]);
    expect(lossesOf(runSync(train({ ...base, batches: [1, 2, 3], steps: 10 })).events)).toEqual([1, 2, 3]);
  });

  it('an empty iterable ends at once with done (no step, finalLoss NaN)', () => {
    const { events, completed } = runSync(train({ ...base, batches: [], epochs: 5 }));
    expect(completed).toBe(true);
    expect(labels(events)).toEqual(['d0']);
    const d = events[0]!;
    expect(d.type === 'done' && Number.isNaN(d.summary.finalLoss)).toBe(true);
  });

  it('a generator is one pass, whatever `epochs` says', () => {
    function* gen() {
      yield 5;
      yield 6;
    }
    expect(lossesOf(runSync(train({ ...base, batches: gen(), epochs: 3 })).events)).toEqual([5, 6]);
  });

  it('a batch function gets the per-update data key foldIn(dataKey, i) and the 0-based index', () => {
    const seen: [number, number][] = [];
    const key = random.key(5);
    const [dataKey] = random.split(key);
    runSync(
      train({
        ...base,
        key,
        steps: 3,
        batches: (k: Key, i: number) => {
          const expected = random.keyData(random.foldIn(dataKey, i));
          seen.push([i, Number(random.keyData(k).every((w, j) => w === expected[j]))]);
          return 1;
        },
      }),
    );
    expect(seen).toEqual([[0, 1], [1, 1], [2, 1]]);
  });

  it('the loss gets the per-update loss key foldIn(lossKey, i); the default root key is random.key(0)', () => {
    const [, lossKey] = random.split(random.key(0));
    const keys: number[][] = [];
    runSync(
      train({
        ...base,
        steps: 3,
        batches: () => 1,
        loss: (p: typeof scalarParams, b: number, k: Key) => (keys.push(Array.from(random.keyData(k))), scalarLoss(p, b)),
      }),
    );
    expect(keys).toEqual([0, 1, 2].map((i) => Array.from(random.keyData(random.foldIn(lossKey, i)))));
  });

  it('a different root key gives a different run', () => {
    const run = (key: Key) => lossesOf(runSync(train({ params: tinyParams, loss: tinyLoss, optimizer: adam(), batches: tinyBatches, steps: 3, key, mode: 'sync' })).events);
    expect(run(random.key(1))).not.toEqual(run(random.key(2)));
    expect(run(random.key(1))).toEqual(run(random.key(1)));
  });
});

describe('hasAux and evaluate', () => {
  it('hasAux passes what the loss returns beside the loss into step events', () => {
    const { events } = runSync(
      train({
        params: scalarParams,
        loss: (p: typeof scalarParams, b: number) => [scalarLoss(p, b), { twice: 2 * b }] as const,
        hasAux: true,
        optimizer: sgd(),
        batches: [1, 2, 3],
        mode: 'sync',
      }),
    );
    expect(events.flatMap((e) => (e.type === 'step' ? [e.aux] : []))).toEqual([{ twice: 2 }, { twice: 4 }, { twice: 6 }]);
  });

  it('hasAux with a model: a metric computed beside the loss, and the gradient of the loss alone', () => {
    const loss = (p: TinyParams, b: Batch): readonly [Tensor, { mae: number }] => {
      const y = mlp(p, b.x);
      return [meanSquaredError(y, b.t), { mae: mean(abs(sub(y, b.t))).item() }];
    };
    const plain = (p: TinyParams, b: Batch): Tensor => loss(p, b)[0];
    const config = { params: tinyParams, optimizer: adam(), batches: tinyBatches, steps: 3, checkpointEvery: 3, mode: 'sync' as const };
    const withAux = runSync(train({ ...config, loss, hasAux: true })).events;
    const without = runSync(train({ ...config, loss: plain })).events;
    expect(lossesOf(withAux)).toEqual(lossesOf(without));
    for (const e of withAux) if (e.type === 'step') expect(e.aux?.mae).toBeGreaterThan(0);
    const final = (events: readonly TrainEvent<TinyParams, unknown, unknown>[]) => events.flatMap((e) => (e.type === 'done' ? [e.checkpoint] : []))[0];
    expectBitwiseEqual(final(withAux), final(without));
  });

  it('without hasAux, aux is undefined', () => {
    const { events } = runSync(train({ params: scalarParams, loss: scalarLoss, optimizer: sgd(), batches: [1], mode: 'sync' }));
    expect(events[0]!.type === 'step' && events[0]!.aux).toBeUndefined();
  });

  it('evaluate runs every evalEvery updates on the params after that update; metrics land in eval events', () => {
    const params = { w: mul(scalarParams.w, 3) };
    const loss = (p: typeof params, b: number) => mul(sum(p.w), b);
    const seen: [number, number][] = [];
    const { events } = runSync(
      train({
        params,
        loss,
        optimizer: sgd({ lr: 0.5 }),
        batches: () => 1,
        steps: 6,
        evalEvery: 3,
        checkpointEvery: 3,
        evaluate: (p, step) => (seen.push([step, p.w.item()]), { w: p.w.item() }),
        mode: 'sync',
      }),
    );
    // d/dw (w·1) = 1, so each update takes 0.5 off w: 3 → 1.5 after 3 updates, 0 after 6.
    expect(seen).toEqual([[3, 1.5], [6, 0]]);
    const evals = events.filter((e) => e.type === 'eval');
    expect(evals.map((e) => e.type === 'eval' && [e.step, e.metrics])).toEqual([[3, { w: 1.5 }], [6, { w: 0 }]]);
    const cps = events.flatMap((e) => (e.type === 'checkpoint' ? [e.checkpoint] : []));
    expect(cps.map((c) => c.params.w.item())).toEqual([1.5, 0]);
  });
});

describe('types', () => {
  it('events are typed from the params, the optimizer and the aux', () => {
    const run$ = train({ params: tinyParams, loss: tinyLoss, optimizer: adam(), batches: tinyBatches, steps: 1 });
    expectTypeOf(run$).toEqualTypeOf<Observable<TrainEvent<typeof tinyParams, AdamState<typeof tinyParams>, undefined>>>();
    const chained$ = train({ params: tinyParams, loss: tinyLoss, optimizer: chain(clipByGlobalNorm(1), adam()), batches: tinyBatches, steps: 1 });
    chained$.subscribe((e) => {
      if (e.type === 'checkpoint') expectTypeOf(e.checkpoint.state).toEqualTypeOf<[EmptyState, AdamState<typeof tinyParams>]>();
      if (e.type === 'done') expectTypeOf(e.checkpoint).toEqualTypeOf<Checkpoint<typeof tinyParams, [EmptyState, AdamState<typeof tinyParams>]>>();
    });
    const aux$ = train({
      params: scalarParams,
      loss: (p: typeof scalarParams, b: number) => [scalarLoss(p, b), { acc: 1 }] as const,
      hasAux: true,
      optimizer: sgd(),
      batches: [1],
    });
    aux$.subscribe((e) => {
      if (e.type === 'step') expectTypeOf(e.aux).toEqualTypeOf<{ readonly acc: 1 } | undefined>();
      if (e.type === 'eval') expectTypeOf(e.metrics).toEqualTypeOf<Readonly<Record<string, number>>>();
    });
    // resumeFrom must be a checkpoint of the same params and optimizer state.
    const cp = {} as Checkpoint<typeof tinyParams, AdamState<typeof tinyParams>>;
    train({ params: tinyParams, loss: tinyLoss, optimizer: adam(), batches: tinyBatches, steps: 1, resumeFrom: cp });
    // @ts-expect-error: an SGD state does not resume an Adam run
    train({ params: tinyParams, loss: tinyLoss, optimizer: adam(), batches: tinyBatches, steps: 1, resumeFrom: {} as Checkpoint<typeof tinyParams, { t: number }> });
  });
});
