import { Observable, asyncScheduler, isObservable, type SchedulerLike, type Subscription } from 'rxjs';
import { Tensor, ValueError, random, tree, valueAndGrad, type Key } from '@fluxion/core';
import { step as optStep, type GradientTransformation, type StateFamily, type StateOf, type Transform } from '@fluxion/optim';
import { NonFiniteError, type Checkpoint, type TrainEvent } from './events.js';

declare const performance: { now(): number };

/**
 * Where batches come from:
 * - a pure function of a key and the 0-based update index: the run derives the key from its
 *   root key, so batches (and resume) are reproducible;
 * - an iterable (an array, or any re-iterable collection for several `epochs`);
 * - an Observable: one update per emitted batch.
 */
export type BatchSource<B> = ((key: Key, index: number) => B) | Iterable<B> | Observable<B>;

/** The optimizer's state type for params P: works for `Transform`s and plain `GradientTransformation`s. */
export type OptState<O, P> = O extends Transform<infer F extends StateFamily>
  ? StateOf<F, P>
  : O extends GradientTransformation<P, infer S>
    ? S
    : never;

/** What `train()` needs. */
export interface TrainConfig<P, B, O, Aux = undefined> {
  /** Initial params (ignored when `resumeFrom` is given). */
  readonly params: P;
  /**
   * The loss at `params` for one batch: a 0-d tensor, or `[loss, aux]` with `hasAux`. `key` is a
   * fresh per-update key for dropout and other noise.
   */
  readonly loss: (params: P, batch: B, key: Key) => Tensor | readonly [Tensor, Aux];
  readonly hasAux?: boolean;
  /** From @fluxion/optim, e.g. `adam()`. */
  readonly optimizer: O;
  readonly batches: BatchSource<B>;
  /** Number of updates. Required for a function source; for others the run ends with the data. */
  readonly steps?: number;
  /** Passes over an iterable source (default 1). */
  readonly epochs?: number;
  /** Root key of the run (default `random.key(0)`). */
  readonly key?: Key;
  /** Emit a checkpoint every this many updates (default: never, only at the end). */
  readonly checkpointEvery?: number;
  /** Run `evaluate` every this many updates. */
  readonly evalEvery?: number;
  readonly evaluate?: (params: P, step: number) => Readonly<Record<string, number>>;
  /** Continue from a checkpoint: the run then equals the uninterrupted one, bit for bit. */
  readonly resumeFrom?: Checkpoint<P, OptState<O, P>>;
  /**
   * 'sliced' (default) runs updates in chunks and yields to the event loop between them, so a
   * page stays responsive and charts redraw; 'sync' runs everything at subscription (benchmarks).
   */
  readonly mode?: 'sliced' | 'sync';
  /** In sliced mode, yield after this many milliseconds of work (default 16)… */
  readonly sliceMs?: number;
  /** …or after this many updates, whichever comes first (default: no limit). */
  readonly sliceSteps?: number;
  /** Scheduler for the chunks (default rxjs `asyncScheduler`; tests pass a TestScheduler). */
  readonly scheduler?: SchedulerLike;
  /** Check every gradient for NaN/inf, not only the loss (default true). */
  readonly checkGradients?: boolean;
}

function checkPositiveInt(name: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 1)) {
    throw new ValueError('train', `${name} must be a positive integer, got ${v}`);
  }
}

/** The first non-finite gradient leaf's path, or null. */
function firstNonFinite(grads: unknown): string | null {
  const leaves = tree.leaves(grads);
  for (let i = 0; i < leaves.length; i++) {
    const g = leaves[i];
    if (!(g instanceof Tensor)) continue;
    const d = g.data;
    for (let j = 0; j < d.length; j++) {
      const v = d[j]!;
      if (v - v !== 0) return tree.paths(grads)[i] ?? '';
    }
  }
  return null;
}

/**
 * Training as a cold Observable: subscribing starts a run, unsubscribing stops it before the next
 * update. Each update takes the gradient of `loss` at the current params for one batch and
 * applies the optimizer; the stream emits a `step` event per update, `eval` and `checkpoint`
 * events at their intervals, then `done` with the final checkpoint, and completes.
 *
 * Keys: the root key splits once into a data key and a loss key; update i (0-based) uses
 * `foldIn(dataKey, i)` for its batch and `foldIn(lossKey, i)` for the loss. So a run resumed from a
 * checkpoint equals the uninterrupted run bit for bit.
 *
 * @example
 * train({ params, loss, optimizer: adam(), batches: (k) => batchOf(k), steps: 10_000, checkpointEvery: 100 })
 *   .subscribe((e) => e.type === 'step' && losses.push(e.loss));
 * @throws ValueError (synchronously) for a bad config; the stream errors with NonFiniteError when the
 *   loss or a gradient becomes NaN/inf, and with whatever the loss function or batch source throws.
 */
export function train<P, B, F extends StateFamily, Aux = undefined>(
  config: TrainConfig<P, B, Transform<F>, Aux>,
): Observable<TrainEvent<P, StateOf<F, P>, Aux>>;
export function train<P, B, S, Aux = undefined>(
  config: TrainConfig<P, B, GradientTransformation<P, S>, Aux>,
): Observable<TrainEvent<P, S, Aux>>;
export function train(config: TrainConfig<unknown, unknown, GradientTransformation<unknown, unknown>, unknown>): Observable<TrainEvent<unknown, unknown, unknown>> {
  const { batches, steps, epochs = 1, checkpointEvery, evalEvery, evaluate, mode = 'sliced', sliceMs = 16, sliceSteps } = config;
  const checkGradients = config.checkGradients ?? true;
  checkPositiveInt('steps', steps);
  checkPositiveInt('epochs', epochs);
  checkPositiveInt('checkpointEvery', checkpointEvery);
  checkPositiveInt('evalEvery', evalEvery);
  checkPositiveInt('sliceSteps', sliceSteps);
  if (evalEvery !== undefined && evaluate === undefined) throw new ValueError('train', 'evalEvery needs an evaluate function');
  if (typeof batches === 'function' && steps === undefined) {
    throw new ValueError('train', 'a batch function needs `steps` (the number of updates)');
  }
  const resume = config.resumeFrom;
  if (resume !== undefined && steps !== undefined && resume.step > steps) {
    throw new ValueError('train', `resumeFrom is at step ${resume.step}, beyond steps (${steps})`);
  }
  const scheduler = config.scheduler ?? asyncScheduler;
  const opt = config.optimizer;
  const lossGrad = config.hasAux
    ? valueAndGrad(config.loss as (p: unknown, b: unknown, k: Key) => readonly [Tensor, unknown], { hasAux: true })
    : valueAndGrad(config.loss as (p: unknown, b: unknown, k: Key) => Tensor);

  return new Observable<TrainEvent<unknown, unknown, unknown>>((subscriber) => {
    const rootKey = resume?.key ?? config.key ?? random.key(0);
    const [dataKey, lossKey] = random.split(rootKey);
    let params = resume ? resume.params : config.params;
    let state = resume ? resume.state : opt.init(config.params);
    let done = resume?.step ?? 0;
    let last: Checkpoint<unknown, unknown> = { step: done, params, state, key: rootKey };
    let finalLoss = NaN;
    let stopped = false;
    const startDone = done;
    const t0 = performance.now();
    const elapsed = (): number => performance.now() - t0;

    /** One update on `batch`; false when the stream has ended (error or stop). */
    const update = (batch: unknown): boolean => {
      const i = done;
      let loss: Tensor;
      let aux: unknown;
      let grads: unknown;
      try {
        const [value, g] = lossGrad(params, batch, random.foldIn(lossKey, i));
        if (config.hasAux) [loss, aux] = value as [Tensor, unknown];
        else loss = value as Tensor;
        grads = g;
      } catch (e) {
        subscriber.error(e);
        return false;
      }
      const lossValue = loss.item();
      const bad = !Number.isFinite(lossValue) ? 'loss' : checkGradients ? firstNonFinite(grads) : null;
      if (bad !== null) {
        subscriber.error(new NonFiniteError(i + 1, bad === 'loss' ? 'loss' : `gradient at '${bad}'`, last));
        return false;
      }
      const next = optStep(opt, params, grads, state);
      params = next.params;
      state = next.state;
      done = i + 1;
      finalLoss = lossValue;
      subscriber.next({ type: 'step', step: done, loss: lossValue, aux, elapsedMs: elapsed() });
      if (stopped) return false;
      if (evalEvery !== undefined && done % evalEvery === 0) {
        subscriber.next({ type: 'eval', step: done, metrics: evaluate!(params, done), elapsedMs: elapsed() });
      }
      if (checkpointEvery !== undefined && done % checkpointEvery === 0) {
        last = { step: done, params, state, key: rootKey };
        subscriber.next({ type: 'checkpoint', step: done, checkpoint: last });
      }
      return !stopped;
    };

    const finish = (): void => {
      if (last.step !== done) last = { step: done, params, state, key: rootKey };
      const ms = elapsed();
      const n = done - startDone;
      subscriber.next({
        type: 'done',
        step: done,
        checkpoint: last,
        summary: { steps: n, elapsedMs: ms, stepsPerSecond: ms > 0 ? (n * 1000) / ms : Infinity, finalLoss },
      });
      subscriber.complete();
    };

    // ---- Observable source: one update per batch, skipping those before a resume.
    if (isObservable(batches)) {
      let seen = 0;
      let ended = false;
      let sub: Subscription | undefined;
      const end = (): void => {
        ended = true;
        sub?.unsubscribe();
      };
      sub = batches.subscribe({
        next: (b) => {
          if (ended || stopped || seen++ < startDone) return;
          if (!update(b)) return end();
          if (steps !== undefined && done >= steps) {
            finish();
            end();
          }
        },
        error: (e) => subscriber.error(e),
        complete: () => {
          if (!subscriber.closed) finish();
        },
      });
      // A synchronous source may have ended the run inside subscribe().
      if (ended) sub.unsubscribe();
      return () => {
        stopped = true;
        sub?.unsubscribe();
      };
    }

    // ---- Function or iterable source, run in time slices.
    let nextBatch: () => { batch: unknown } | null;
    if (typeof batches === 'function') {
      const fn = batches as (k: Key, i: number) => unknown;
      nextBatch = () => (done < steps! ? { batch: fn(random.foldIn(dataKey, done), done) } : null);
    } else {
      const iterable = batches as Iterable<unknown>;
      let epoch = 0;
      let it = iterable[Symbol.iterator]();
      const reiterable = it !== (iterable as unknown);
      let skip = startDone;
      nextBatch = () => {
        if (steps !== undefined && done >= steps) return null;
        for (;;) {
          const r = it.next();
          if (!r.done) {
            if (skip > 0) {
              skip--;
              continue;
            }
            return { batch: r.value };
          }
          if (++epoch >= epochs || !reiterable) return null;
          it = iterable[Symbol.iterator]();
        }
      };
    }

    const runChunk = (): void => {
      const deadline = performance.now() + sliceMs;
      let n = 0;
      for (;;) {
        if (stopped) return;
        let nb: { batch: unknown } | null;
        try {
          nb = nextBatch();
        } catch (e) {
          subscriber.error(e);
          return;
        }
        if (nb === null) return finish();
        if (!update(nb.batch)) return;
        n++;
        if (mode === 'sliced' && (performance.now() >= deadline || (sliceSteps !== undefined && n >= sliceSteps))) {
          subscriber.add(scheduler.schedule(runChunk));
          return;
        }
      }
    };

    if (mode === 'sync') runChunk();
    else subscriber.add(scheduler.schedule(runChunk));
    return () => {
      stopped = true;
    };
  });
}
