/**
 * The training behind the page, without the DOM: the seed's model and data, and a session that
 * starts, pauses and resets a `train()` run and keeps what the charts need.
 *
 * Pause is unsubscribing (which stops `train()` before its next update); start after a pause
 * resubscribes with `resumeFrom` the last checkpoint, so the run continues exactly. A checkpoint
 * is emitted after every update (a frozen record of references, no copy), so a pause never
 * loses a step. Changing the learning rate while running does the same with a new `adam()`.
 */
import type { Subscription } from 'rxjs';
import { exp, linspace, random, reshape, type Key, type Tensor } from '@fluxion/core';
import { meanSquaredError, mlp, type MlpParams } from '@fluxion/nn';
import { adam, type AdamState } from '@fluxion/optim';
import { NonFiniteError, train, type Checkpoint } from '@fluxion/train';

export type Params = MlpParams;
export type State = AdamState<Params>;

export interface Batch {
  readonly x: Tensor;
  readonly t: Tensor;
}

/** leaky_relu (slope 0.2) after every layer, as the seed's MyChain. */
export const predict = (p: Params, x: Tensor): Tensor => mlp(p, x);
export const loss = (p: Params, b: Batch): Tensor => meanSquaredError(predict(p, b.x), b.t);
export const batchOf =
  (n: number) =>
  (key: Key): Batch => {
    const x = random.uniform(key, [n, 1]);
    return { x, t: exp(x) };
  };

export interface Settings {
  /** Adam's alpha. */
  readonly lr: number;
  /** Hidden layer sizes (the seed: 16, 32). */
  readonly hidden: readonly number[];
  readonly batch: number;
  readonly seed: number;
}

export const defaultSettings: Settings = { lr: 0.001, hidden: [16, 32], batch: 100, seed: 0 };

/** "16, 32" → [16, 32]; null unless 1 to 6 integers in 1…512. */
export function parseHidden(text: string): number[] | null {
  const parts = text
    .split(/[\s,;x×→]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (parts.length < 1 || parts.length > 6) return null;
  const sizes = parts.map(Number);
  return sizes.every((n) => Number.isInteger(n) && n >= 1 && n <= 512) ? sizes : null;
}

/** The run never ends by itself; pause it. */
const MAX_STEPS = 100_000_000;

export type Status = { readonly kind: 'ready' | 'running' | 'paused' } | { readonly kind: 'error'; readonly message: string };

/** 100 points of [0, 1], as [100, 1]. */
export const fitGrid: Tensor = reshape(linspace(0, 1, 100), [100, 1]);

export class Session {
  settings: Settings;
  /** Current params: the last checkpoint's, or the initial ones. */
  params: Params;
  /** Last checkpoint (after every update), from which a paused run resumes. */
  checkpoint: Checkpoint<Params, State> | null = null;
  /** Step numbers and their losses (plain arrays: pushed to at every update). */
  readonly steps: number[] = [];
  readonly losses: number[] = [];
  status: Status = { kind: 'ready' };
  /** Bumped on every change, so a view can tell whether to redraw. */
  version = 0;
  private sub: Subscription | null = null;
  private readonly onChange: () => void;

  constructor(settings: Settings = defaultSettings, onChange: () => void = () => {}) {
    this.settings = settings;
    this.onChange = onChange;
    this.params = this.init();
  }

  private init(): Params {
    const [initKey] = random.split(random.key(this.settings.seed));
    return mlp.init(initKey!, [1, ...this.settings.hidden, 1]);
  }

  get step(): number {
    return this.checkpoint?.step ?? 0;
  }

  get running(): boolean {
    return this.sub !== null;
  }

  /** Starts, or continues from the last checkpoint. */
  start(): void {
    if (this.sub) return;
    const [, runKey] = random.split(random.key(this.settings.seed));
    const run = train({
      params: this.params,
      loss,
      optimizer: adam({ alpha: this.settings.lr }),
      batches: batchOf(this.settings.batch),
      steps: MAX_STEPS,
      key: runKey!,
      checkpointEvery: 1,
      ...(this.checkpoint ? { resumeFrom: this.checkpoint } : {}),
    });
    this.status = { kind: 'running' };
    this.sub = run.subscribe({
      next: (e) => {
        if (e.type === 'step') {
          this.steps.push(e.step);
          this.losses.push(e.loss);
        } else if (e.type === 'checkpoint' || e.type === 'done') {
          this.checkpoint = e.checkpoint;
          this.params = e.checkpoint.params;
          this.version++;
        }
      },
      error: (err: unknown) => {
        this.sub = null;
        if (err instanceof NonFiniteError) {
          const last = err.lastCheckpoint as Checkpoint<Params, State>;
          this.checkpoint = last;
          this.params = last.params;
          this.steps.length = this.losses.length = last.step;
          this.status = { kind: 'error', message: `stopped: ${err.message}. Lower the learning rate, or reset.` };
        } else {
          this.status = { kind: 'error', message: `stopped: ${err instanceof Error ? err.message : String(err)}` };
        }
        this.version++;
        this.onChange();
      },
      complete: () => {
        this.sub = null;
        this.status = { kind: 'paused' };
        this.onChange();
      },
    });
    this.version++;
    this.onChange();
  }

  pause(): void {
    if (!this.sub) return;
    this.sub.unsubscribe();
    this.sub = null;
    this.status = { kind: 'paused' };
    this.version++;
    this.onChange();
  }

  /** New learning rate or batch size: a running session continues with it from the last checkpoint. */
  update(settings: Partial<Pick<Settings, 'lr' | 'batch'>>): void {
    const wasRunning = this.running;
    if (wasRunning) this.pause();
    this.settings = { ...this.settings, ...settings };
    if (wasRunning) this.start();
  }

  /** Back to step 0 with fresh params (and, if given, new settings: hidden sizes apply here). */
  reset(settings: Partial<Settings> = {}): void {
    this.pause();
    this.settings = { ...this.settings, ...settings };
    this.params = this.init();
    this.checkpoint = null;
    this.steps.length = 0;
    this.losses.length = 0;
    this.status = { kind: 'ready' };
    this.version++;
    this.onChange();
  }

  /** The model's predictions on `fitGrid`. */
  predictGrid(): Float32Array {
    return Float32Array.from(predict(this.params, fitGrid).data);
  }

  /** Geometric mean of the last `n` losses (NaN before the first step). */
  recentLoss(n = 100): number {
    const k = Math.min(n, this.losses.length);
    if (k === 0) return NaN;
    let s = 0;
    for (let i = this.losses.length - k; i < this.losses.length; i++) s += Math.log(this.losses[i]!);
    return Math.exp(s / k);
  }
}
