/**
 * @fluxion/train: training as a cold rxjs Observable. Subscribe to start, unsubscribe to stop;
 * events say each step's loss, evaluations and checkpoints; a checkpoint resumes a run exactly.
 */
export { train, type TrainConfig, type BatchSource, type OptState } from './train.js';
export {
  NonFiniteError,
  type Checkpoint,
  type TrainEvent,
  type StepEvent,
  type EvalEvent,
  type CheckpointEvent,
  type DoneEvent,
  type TrainSummary,
} from './events.js';
export { yieldScheduler } from './yield.js';
export { sampleEvery, earlyStopping, noImprovement, steps, type EarlyStoppingOptions, type StopRule } from './operators.js';
