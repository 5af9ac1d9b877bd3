import { defer, filter, takeWhile, type MonoTypeOperatorFunction, type OperatorFunction } from 'rxjs';
import { ValueError } from '@fluxion/core';
import type { EvalEvent, StepEvent, TrainEvent } from './events.js';

/**
 * Thins step events to every n-th update (for plots and logs); other events pass through.
 * @throws ValueError for n that is not a positive integer.
 */
export function sampleEvery<E extends { type: string; step: number }>(n: number): MonoTypeOperatorFunction<E> {
  if (!Number.isInteger(n) || n < 1) throw new ValueError('sampleEvery', `n must be a positive integer, got ${n}`);
  return filter((e) => e.type !== 'step' || e.step % n === 0);
}

/** Keeps only step events, typed as such. */
export function steps<P, S, Aux>(): OperatorFunction<TrainEvent<P, S, Aux>, StepEvent<Aux>> {
  return filter((e): e is StepEvent<Aux> => e.type === 'step');
}

/** Options of `earlyStopping`. */
export interface EarlyStoppingOptions {
  /**
   * How many observations in a row without improvement end the run (default 10): the run stops at
   * the patience-th one, as Chainer's `EarlyStoppingTrigger` and Keras do. 0 acts as 1.
   */
  readonly patience?: number;
  /** Smallest decrease that counts as an improvement (default 0). */
  readonly minDelta?: number;
  /**
   * Which value to watch: 'loss' for the step events' losses (default), or the name of a metric
   * of the eval events. Lower is better. ('loss' always means step losses, even when `evaluate`
   * returns a metric named 'loss'.)
   */
  readonly monitor?: string;
}

/** A `stopWhen` rule factory for `train()`: one fresh rule per run. */
export type StopRule = () => (event: StepEvent<unknown> | EvalEvent) => boolean;

/**
 * A `stopWhen` rule for `train()`: true once the monitored value has not improved by more than
 * `minDelta` on the best so far for `patience` observations in a row. Unlike the `earlyStopping`
 * operator, the run then ends normally, with a `done` event and the final checkpoint.
 *
 * @example train({ ...config, evalEvery: 100, evaluate, stopWhen: noImprovement({ patience: 5, monitor: 'val' }) })
 * @throws ValueError for a negative patience or minDelta.
 */
export function noImprovement(opts: EarlyStoppingOptions = {}): StopRule {
  return stopRule('noImprovement', opts);
}

function stopRule(op: string, opts: EarlyStoppingOptions): StopRule {
  const { patience = 10, minDelta = 0, monitor = 'loss' } = opts;
  if (!Number.isInteger(patience) || patience < 0) throw new ValueError(op, `patience must be a non-negative integer, got ${patience}`);
  if (!(minDelta >= 0)) throw new ValueError(op, `minDelta must be >= 0, got ${minDelta}`);
  return () => {
    let best = Infinity;
    let bad = 0;
    return (e) => {
      let v: number | undefined;
      if (monitor === 'loss') {
        if (e.type === 'step') v = e.loss;
      } else if (e.type === 'eval') v = e.metrics[monitor];
      if (v === undefined) return false;
      if (v < best - minDelta) {
        best = v;
        bad = 0;
        return false;
      }
      return ++bad >= patience;
    };
  };
}

/**
 * Ends the stream (which stops training, since unsubscribing stops the run) once the monitored
 * value has not improved by more than `minDelta` on the best so far for `patience` observations in
 * a row. The event that exhausts the patience is still emitted; nothing after it is computed, and
 * no `done` event follows: use `train({ stopWhen: noImprovement(...) })` to end with the final
 * checkpoint instead.
 * @throws ValueError for a negative patience or minDelta.
 */
export function earlyStopping<P, S, Aux>(opts: EarlyStoppingOptions = {}): MonoTypeOperatorFunction<TrainEvent<P, S, Aux>> {
  const rule = stopRule('earlyStopping', opts);
  // Per subscription state, so one operator instance can serve several runs.
  return (source) =>
    defer(() => {
      const stop = rule();
      return source.pipe(takeWhile((e) => e.type === 'checkpoint' || e.type === 'done' || !stop(e), true));
    });
}
