import { FluxionError, type Key } from '@fluxion/core';

/**
 * Everything needed to continue a run exactly: the params and optimizer state after `step`
 * updates, and the run's root key (per-step keys are derived from it and the step number).
 * An immutable value: emitting or keeping it copies nothing.
 */
export interface Checkpoint<P, S> {
  /** Number of updates applied to reach `params`. */
  readonly step: number;
  readonly params: P;
  /** Optimizer state, a tree of tensors and numbers. */
  readonly state: S;
  /** The run's root key. */
  readonly key: Key;
}

/** Loss and timing of one update. `step` counts updates done, from 1. */
export interface StepEvent<Aux> {
  readonly type: 'step';
  readonly step: number;
  /** The loss at the params before this update (the value the gradient was taken at). */
  readonly loss: number;
  /** What the loss function returned beside the loss, with `hasAux`. */
  readonly aux: Aux | undefined;
  /** Milliseconds since the run (or the resumed run) started. */
  readonly elapsedMs: number;
}

/** Metrics from the `evaluate` function, after `step` updates. */
export interface EvalEvent {
  readonly type: 'eval';
  readonly step: number;
  readonly metrics: Readonly<Record<string, number>>;
  readonly elapsedMs: number;
}

/** A checkpoint, every `checkpointEvery` updates. */
export interface CheckpointEvent<P, S> {
  readonly type: 'checkpoint';
  readonly step: number;
  readonly checkpoint: Checkpoint<P, S>;
}

/** What a finished run did. */
export interface TrainSummary {
  /** Updates done in this subscription (excluding those before a resume). */
  readonly steps: number;
  readonly elapsedMs: number;
  readonly stepsPerSecond: number;
  /** Loss of the last step, or NaN when no step ran. */
  readonly finalLoss: number;
  /** True when `stopWhen` ended the run before its steps or data ran out. */
  readonly stoppedEarly: boolean;
}

/** The last event of a run that ended normally: the final checkpoint and a summary. */
export interface DoneEvent<P, S> {
  readonly type: 'done';
  readonly step: number;
  readonly checkpoint: Checkpoint<P, S>;
  readonly summary: TrainSummary;
}

/** The events `train()` emits, discriminated by `type`. */
export type TrainEvent<P, S, Aux = undefined> = StepEvent<Aux> | EvalEvent | CheckpointEvent<P, S> | DoneEvent<P, S>;

/**
 * A run ended because the loss, a gradient or the params after an update were NaN or infinite.
 * `step` is the update that produced it (1-based, as in step events), `where` says what was
 * non-finite first ('loss', "gradient at 'l1/W'" or "params at 'l1/W'"), and `lastCheckpoint` is
 * the last checkpoint the run emitted (the starting state, or `resumeFrom`, when it emitted none):
 * still valid, its params are finite.
 */
export class NonFiniteError<P = unknown, S = unknown> extends FluxionError {
  constructor(
    readonly step: number,
    readonly where: string,
    readonly lastCheckpoint: Checkpoint<P, S>,
  ) {
    super('train', `non-finite ${where} at step ${step}; the last checkpoint (step ${lastCheckpoint.step}) is still valid`);
  }
}
