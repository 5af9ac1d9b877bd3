/**
 * @fluxion/train/node: the Node sinks of a training stream. Each is an rxjs operator that passes
 * every event through unchanged and does its side effect, so they compose in `pipe`:
 *
 * @example
 * train(config).pipe(
 *   saveCheckpoints('out/ckpt', { keep: 3 }),
 *   logJsonLines('out/log.jsonl'),
 *   progress({ total: 10_000 }),
 * ).subscribe();
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Observable, defer, tap, type MonoTypeOperatorFunction } from 'rxjs';
import cliProgress from 'cli-progress';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { ValueError, type Key } from '@fluxion/core';
import { IoError, loadCheckpoint, saveCheckpoint } from '@fluxion/io';
import { writeFileAtomicSync } from '@fluxion/io/node';
import { fromChainerState, toChainerState, type CountState } from '@fluxion/optim';
import type { Checkpoint, TrainEvent } from './events.js';
import type { GradientTransformation, StateFamily, StateOf, Transform } from '@fluxion/optim';

type AnyEvent = TrainEvent<unknown, unknown, unknown>;

/** Passes events through, calling `onEvent` for each and `onEnd` once however the stream ends. */
function sink<E>(onEvent: (e: E) => void, onEnd: () => void): MonoTypeOperatorFunction<E> {
  // tap keeps the downstream subscriber linked to the source, so a downstream take() still stops
  // a synchronous run; an exception in onEvent errors the stream.
  return (source) => source.pipe(tap({ next: onEvent, finalize: onEnd }));
}

// ------------------------------------------------------------------------------------ checkpoints

/** Built-in optimizer states ({ t, slot trees }) are saved in Chainer's layout (`l1/W/m`). */
function isCountState(s: unknown): s is CountState {
  return typeof s === 'object' && s !== null && !Array.isArray(s) && typeof (s as { t?: unknown }).t === 'number';
}

function stateToFile(state: unknown, params: unknown): unknown {
  return isCountState(state) ? toChainerState(state, { params }) : state;
}

const FILE = /^checkpoint-(\d+)\.npz$/;

/** The file name of the checkpoint after `step` updates: `checkpoint-00000100.npz`. */
export function checkpointName(step: number): string {
  return `checkpoint-${String(step).padStart(8, '0')}.npz`;
}

/** Options of `saveCheckpoints`. */
export interface SaveCheckpointsOptions {
  /** Keep the newest this many files and delete older ones (default 3; 0 keeps all). */
  readonly keep?: number;
  /** Deflate the npz entries (default false). */
  readonly compress?: boolean;
  /** Also write the final checkpoint of a finished run (default true). */
  readonly final?: boolean;
}

/**
 * Writes every checkpoint event (and the final one) to `dir/checkpoint-<step>.npz` with
 * @fluxion/io's atomic write (temporary file, fsync, rename): a crash leaves the previous files
 * complete. Optimizer states of the built-in optimizers use Chainer's key layout
 * (`optimizer/l1/W/m`). Older files beyond `keep` are deleted after each write. Writes are
 * synchronous, so a checkpoint is on disk before the next update runs.
 * @throws ValueError for a negative keep; the stream errors when a write fails.
 */
export function saveCheckpoints<E extends AnyEvent>(dir: string, opts: SaveCheckpointsOptions = {}): MonoTypeOperatorFunction<E> {
  const { keep = 3, compress = false, final = true } = opts;
  if (!Number.isInteger(keep) || keep < 0) throw new ValueError('saveCheckpoints', `keep must be a non-negative integer, got ${keep}`);
  let lastWritten = -1;
  const write = (c: Checkpoint<unknown, unknown>): void => {
    if (c.step === lastWritten) return;
    mkdirSync(dir, { recursive: true });
    const bytes = saveCheckpoint(
      { params: c.params, optState: stateToFile(c.state, c.params), step: c.step, key: c.key },
      { compress },
    );
    writeFileAtomicSync(join(dir, checkpointName(c.step)), bytes);
    lastWritten = c.step;
    if (keep > 0) {
      const files = listCheckpoints(dir);
      for (const f of files.slice(0, Math.max(0, files.length - keep))) unlinkSync(join(dir, f.file));
    }
  };
  return sink<E>(
    (e) => {
      if (e.type === 'checkpoint') write(e.checkpoint);
      else if (e.type === 'done' && final) write(e.checkpoint);
    },
    () => {},
  );
}

/** Checkpoint files in `dir`, oldest first. */
export function listCheckpoints(dir: string): { file: string; step: number }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((file) => {
      const m = FILE.exec(file);
      return m ? [{ file, step: Number(m[1]) }] : [];
    })
    .sort((a, b) => a.step - b.step);
}

/** The newest checkpoint file in `dir`, or null when there is none. */
export function latestCheckpoint(dir: string): string | null {
  const files = listCheckpoints(dir);
  const last = files[files.length - 1];
  return last ? join(dir, last.file) : null;
}

/**
 * Reads a checkpoint that `saveCheckpoints` wrote, for `train({ ...config, resumeFrom })`.
 * `params` is a template tree (shapes and dtypes) and `optimizer` the run's optimizer, whose
 * `init(params)` fixes the state's layout. Returns an error value (never throws) for a missing,
 * damaged or mismatched file, listing every problem.
 */
export function loadTrainCheckpoint<P, F extends StateFamily>(
  path: string,
  template: { readonly params: P; readonly optimizer: Transform<F> },
): Either<IoError, Checkpoint<P, StateOf<F, P>>>;
export function loadTrainCheckpoint<P, S>(
  path: string,
  template: { readonly params: P; readonly optimizer: Pick<GradientTransformation<P, S>, 'init'> },
): Either<IoError, Checkpoint<P, S>>;
export function loadTrainCheckpoint<P, S>(
  path: string,
  template: { readonly params: P; readonly optimizer: Pick<GradientTransformation<P, S>, 'init'> },
): Either<IoError, Checkpoint<P, S>> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    return left(new IoError([{ kind: 'file', message: `loadTrainCheckpoint: cannot read ${path}: ${String(e)}` }]));
  }
  const stateTemplate = template.optimizer.init(template.params);
  const fileTemplate = stateToFile(stateTemplate, template.params);
  const loaded = loadCheckpoint(bytes, { params: template.params, optState: fileTemplate });
  if (isLeft(loaded)) return loaded;
  const c = loaded.right;
  const state = isCountState(stateTemplate)
    ? (fromChainerState(c.optState as Record<string, never>, stateTemplate) as S)
    : (c.optState as S);
  return right({ step: c.step, params: c.params as P, state, key: c.key as Key });
}

// ------------------------------------------------------------------------------------ JSON lines

/**
 * Appends one JSON object per event to `path` (like Chainer's LogReport, one line each):
 * `{"type":"step","step":1,"loss":0.52,"elapsedMs":3.1}`, eval metrics, checkpoint steps and the
 * final summary (tensors are not logged). Lines are buffered and flushed at least every
 * `flushMs` (default 250), on every eval/checkpoint/done event, and when the stream ends, errors
 * or is unsubscribed, so a crash loses at most a quarter second of lines.
 */
export function logJsonLines<E extends AnyEvent>(path: string, opts: { readonly flushMs?: number } = {}): MonoTypeOperatorFunction<E> {
  const flushMs = opts.flushMs ?? 250;
  return (source) =>
    new Observable<E>((subscriber) => {
      const fd = openSync(path, 'a');
      let buf: string[] = [];
      let lastFlush = Date.now();
      let closed = false;
      const flush = (): void => {
        if (buf.length > 0) writeSync(fd, buf.join(''));
        buf = [];
        lastFlush = Date.now();
      };
      const end = (): void => {
        if (closed) return;
        closed = true;
        flush();
        closeSync(fd);
      };
      const inner = source.pipe(
        sink<E>((e) => {
          let line: object;
          if (e.type === 'step') line = { type: 'step', step: e.step, loss: e.loss, elapsedMs: e.elapsedMs, ...(e.aux !== undefined ? { aux: e.aux } : {}) };
          else if (e.type === 'eval') line = { type: 'eval', step: e.step, elapsedMs: e.elapsedMs, ...e.metrics };
          else if (e.type === 'checkpoint') line = { type: 'checkpoint', step: e.step };
          else line = { type: 'done', step: e.step, ...e.summary };
          buf.push(JSON.stringify(line) + '\n');
          if (e.type !== 'step' || Date.now() - lastFlush >= flushMs) flush();
        }, end),
      );
      const sub = inner.subscribe(subscriber);
      return () => {
        sub.unsubscribe();
        end();
      };
    });
}

// ------------------------------------------------------------------------------------ progress

/** Options of `progress`. */
export interface ProgressOptions {
  /** Total number of updates, for the bar and the ETA (default: grows with the run, no ETA). */
  readonly total?: number;
  /** Where to draw (default process.stderr). */
  readonly stream?: NodeJS.WriteStream;
  /** Draw nothing (default: quiet when `stream` is not a TTY). */
  readonly quiet?: boolean;
  /** Bar redraws per second (default 10). */
  readonly fps?: number;
  /**
   * An extra field after the loss, from the losses so far (e.g. a sparkline from @fluxion/viz).
   * Called at most `fps` times a second and once at the end; given, the bar keeps the loss history.
   */
  readonly detail?: (losses: readonly number[]) => string;
}

/**
 * A terminal progress bar (cli-progress): step/total, loss, an optional detail field, steps/s
 * and ETA, redrawn at most `fps` times a second. Quiet when the stream is not a TTY, so logs and
 * CI output stay clean. Each subscription draws its own bar.
 */
export function progress<E extends AnyEvent>(opts: ProgressOptions = {}): MonoTypeOperatorFunction<E> {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet ?? !stream.isTTY) return (source) => source;
  const fps = opts.fps ?? 10;
  const detail = opts.detail;
  return (source) =>
    defer(() => {
      const bar = new cliProgress.SingleBar(
        {
          stream,
          fps,
          format: ` {bar} {value}/{total} | loss {loss}${detail ? ' {detail}' : ''} | {rate} steps/s | ETA {eta_formatted}`,
          barsize: detail ? 20 : 24,
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      const losses: number[] = [];
      let started = false;
      let stopped = false;
      // Rate over this subscription only: a resumed run starts at a later step.
      let firstStep = 0;
      let text = '';
      let textAt = -Infinity;
      const stop = (): void => {
        if (started && !stopped) bar.stop();
        stopped = true;
      };
      return source.pipe(
        tap({
          next: (e) => {
            if (e.type === 'step') {
              if (!started) {
                firstStep = e.step - 1;
                bar.start(opts.total ?? e.step, 0, { loss: '', detail: '', rate: '' });
                started = true;
              }
              if (opts.total === undefined && e.step > bar.getTotal()) bar.setTotal(e.step);
              if (detail) {
                losses.push(e.loss);
                // The detail may cost O(steps so far): recompute it at the frame rate only.
                if (e.elapsedMs - textAt >= 1000 / fps) {
                  text = detail(losses);
                  textAt = e.elapsedMs;
                }
              }
              const rate = e.elapsedMs > 0 ? (((e.step - firstStep) * 1000) / e.elapsedMs).toFixed(0) : '';
              bar.update(e.step, { loss: e.loss.toExponential(3), detail: text, rate });
            } else if (e.type === 'done' && started) {
              if (detail) text = detail(losses);
              bar.update(e.step, { loss: e.summary.finalLoss.toExponential(3), detail: text, rate: e.summary.stepsPerSecond.toFixed(0) });
            }
          },
          finalize: stop,
        }),
      );
    });
}
