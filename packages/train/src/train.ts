import { Observable, Subject, isObservable, skip, take, takeUntil, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { Tensor, ValueError, random, tree, valueAndGrad, type Key } from '@fluxion/core';
import { step as optStep, type GradientTransformation, type StateFamily, type StateOf, type Transform } from '@fluxion/optim';
import { yieldScheduler } from './yield.js';
import { NonFiniteError, type Checkpoint, type EvalEvent, type StepEvent, type TrainEvent } from './events.js';

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
  /**
   * In sliced mode, yield after this many milliseconds of work (default 16; `Infinity` turns the
   * time limit off, e.g. under a TestScheduler, where only `sliceSteps` should decide)…
   */
  readonly sliceMs?: number;
  /** …or after this many updates, whichever comes first (default: no limit). */
  readonly sliceSteps?: number;
  /**
   * Scheduler for the chunks (default `yieldScheduler`: a macrotask per chunk, setImmediate in Node and
   * a MessageChannel in browsers; tests pass a TestScheduler).
   */
  readonly scheduler?: SchedulerLike;
  /**
   * Ends the run normally (a `done` event with the final checkpoint) after the update whose step or
   * eval event makes the rule return true. A factory, called once per run, so a stateful rule
   * (e.g. `noImprovement({ patience: 10 })`) starts fresh on every subscription.
   */
  readonly stopWhen?: () => (event: StepEvent<Aux> | EvalEvent) => boolean;
  /**
   * Check every gradient, and the params after each update, for NaN/inf, not only the loss
   * (default true). The params check keeps every checkpoint finite: finite gradients can still
   * overflow the params (a huge learning rate).
   */
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
 * In 'sliced' mode (the default) the first chunk runs on `scheduler`, never inside `subscribe()`;
 * in 'sync' mode the whole run happens inside `subscribe()`. An Observable source is followed as
 * it emits (neither mode applies).
 *
 * @example
 * train({ params, loss, optimizer: adam(), batches: (k) => batchOf(k), steps: 10_000, checkpointEvery: 100 })
 *   .subscribe((e) => e.type === 'step' && losses.push(e.loss));
 * @throws ValueError (synchronously) for a bad config; the stream errors with NonFiniteError when the
 *   loss, a gradient or the updated params become NaN/inf, and with whatever the loss function, the
 *   optimizer, `evaluate` or the batch source throws.
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
  if (!(sliceMs >= 0)) throw new ValueError('train', `sliceMs must be a non-negative number of milliseconds, got ${sliceMs}`);
  if (mode !== 'sliced' && mode !== 'sync') throw new ValueError('train', `mode must be 'sliced' or 'sync', got ${String(mode)}`);
  if (evalEvery !== undefined && evaluate === undefined) throw new ValueError('train', 'evalEvery needs an evaluate function');
  if (typeof batches === 'function' && steps === undefined) {
    throw new ValueError('train', 'a batch function needs `steps` (the number of updates)');
  }
  const resume = config.resumeFrom;
  if (resume !== undefined && steps !== undefined && resume.step > steps) {
    throw new ValueError('train', `resumeFrom is at step ${resume.step}, beyond steps (${steps})`);
  }
  const scheduler = config.scheduler ?? yieldScheduler;
  const opt = config.optimizer;
  const lossGrad = config.hasAux
    ? valueAndGrad(config.loss as (p: unknown, b: unknown, k: Key) => readonly [Tensor, unknown], { hasAux: true })
    : valueAndGrad(config.loss as (p: unknown, b: unknown, k: Key) => Tensor);

  return new Observable<TrainEvent<unknown, unknown, unknown>>((subscriber) => {
    // The run stops as soon as the subscriber is closed (unsubscribed, or ended by an error). We
    // read `subscriber.closed` rather than a flag set by the teardown: while this function runs
    // (sync mode, a synchronous Observable source) the teardown is not registered yet, but a
    // downstream `take(n)` or an unsubscribe from a handler already closes the subscriber.
    const rootKey = resume?.key ?? config.key ?? random.key(0);
    const [dataKey, lossKey] = random.split(rootKey);
    let params = resume ? resume.params : config.params;
    let state = resume ? resume.state : opt.init(config.params);
    let done = resume?.step ?? 0;
    let last: Checkpoint<unknown, unknown> = resume ?? Object.freeze({ step: done, params, state, key: rootKey });
    let finalLoss = NaN;
    // A fresh stop rule per run, so a re-subscription does not inherit the last run's patience.
    const shouldStop = config.stopWhen?.();
    let stopRequested = false;
    const startDone = done;
    const t0 = performance.now();
    const elapsed = (): number => performance.now() - t0;

    /** One update on `batch`; false when the stream has ended (error or unsubscription). */
    const update = (batch: unknown): boolean => {
      const i = done;
      try {
        const [value, grads] = lossGrad(params, batch, random.foldIn(lossKey, i));
        let loss: Tensor;
        let aux: unknown;
        if (config.hasAux) [loss, aux] = value as [Tensor, unknown];
        else loss = value as Tensor;
        const lossValue = loss.item();
        let bad: string | null = null;
        if (!Number.isFinite(lossValue)) bad = 'loss';
        else if (checkGradients) {
          const at = firstNonFinite(grads);
          if (at !== null) bad = `gradient at '${at}'`;
        }
        if (bad !== null) {
          subscriber.error(new NonFiniteError(i + 1, bad, last));
          return false;
        }
        const next = optStep(opt, params, grads, state);
        if (checkGradients) {
          // Finite gradients can still overflow the params (a huge learning rate): stop here, so
          // that no checkpoint ever holds non-finite params.
          const at = firstNonFinite(next.params);
          if (at !== null) {
            subscriber.error(new NonFiniteError(i + 1, `params at '${at}'`, last));
            return false;
          }
        }
        params = next.params;
        state = next.state;
        done = i + 1;
        finalLoss = lossValue;
        const stepEvent = { type: 'step', step: done, loss: lossValue, aux, elapsedMs: elapsed() } as const;
        subscriber.next(stepEvent);
        if (subscriber.closed) return false;
        if (shouldStop?.(stepEvent)) stopRequested = true;
        if (evalEvery !== undefined && done % evalEvery === 0) {
          const evalEvent = { type: 'eval', step: done, metrics: evaluate!(params, done), elapsedMs: elapsed() } as const;
          subscriber.next(evalEvent);
          if (subscriber.closed) return false;
          if (shouldStop?.(evalEvent)) stopRequested = true;
        }
        if (checkpointEvery !== undefined && done % checkpointEvery === 0) {
          last = Object.freeze({ step: done, params, state, key: rootKey });
          subscriber.next({ type: 'checkpoint', step: done, checkpoint: last });
        }
      } catch (e) {
        // The loss, the optimizer or `evaluate` threw: end the stream with it (in sliced mode it
        // would otherwise escape into the scheduler).
        subscriber.error(e);
        return false;
      }
      return !subscriber.closed;
    };

    const finish = (): void => {
      if (subscriber.closed) return;
      if (last.step !== done) last = Object.freeze({ step: done, params, state, key: rootKey });
      const ms = elapsed();
      const n = done - startDone;
      subscriber.next({
        type: 'done',
        step: done,
        checkpoint: last,
        summary: { steps: n, elapsedMs: ms, stepsPerSecond: ms > 0 ? (n * 1000) / ms : Infinity, finalLoss, stoppedEarly: stopRequested },
      });
      subscriber.complete();
    };

    // ---- Observable source: one update per batch, skipping those before a resume. `halt` ends the
    // subscription to the source from inside its own emission, so a synchronous (even endless)
    // source stops at once when the run ends.
    if (isObservable(batches)) {
      const halt = new Subject<void>();
      let source = batches.pipe(skip(startDone), takeUntil(halt));
      if (steps !== undefined) source = source.pipe(take(steps - startDone));
      subscriber.add(
        source.subscribe({
          next: (b) => {
            if (!update(b)) halt.next();
            else if (stopRequested) {
              finish();
              halt.next();
            }
          },
          error: (e) => subscriber.error(e),
          complete: finish,
        }),
      );
      return;
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
      let skipped = startDone;
      nextBatch = () => {
        if (steps !== undefined && done >= steps) return null;
        for (;;) {
          const r = it.next();
          if (!r.done) {
            if (skipped > 0) {
              skipped--;
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
        if (subscriber.closed) return;
        let nb: { batch: unknown } | null;
        try {
          nb = nextBatch();
        } catch (e) {
          subscriber.error(e);
          return;
        }
        if (nb === null) return finish();
        if (!update(nb.batch)) return;
        if (stopRequested) return finish();
        n++;
        if (mode === 'sliced' && ((sliceSteps !== undefined && n >= sliceSteps) || performance.now() >= deadline)) {
          scheduleChunk();
          return;
        }
      }
    };
    // Each scheduled chunk takes itself off the subscriber when it starts, so a long run does not
    // pile up one finished action per chunk there; unsubscribing cancels the pending one.
    function chunk(this: SchedulerAction<undefined>): void {
      subscriber.remove(this);
      runChunk();
    }
    const scheduleChunk = (): void => {
      subscriber.add(scheduler.schedule(chunk));
    };

    if (mode === 'sync') runChunk();
    else scheduleChunk();
  });
}
