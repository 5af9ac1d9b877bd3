/**
 * The demo's progress display: @fluxion/train/node's bar (step/total, loss, steps/s, ETA) with a
 * live sparkline of the loss so far (log scale) from @fluxion/viz.
 *
 * It is train/node's `progress()` plus one field. (When `progress()` takes extra payload fields,
 * this file can go.)
 */
import { defer, tap, type MonoTypeOperatorFunction } from 'rxjs';
import cliProgress from 'cli-progress';
import type { TrainEvent } from '@fluxion/train';
import { sparkline } from '@fluxion/viz';

export interface SparkProgressOptions {
  readonly total: number;
  /** Draw nothing (default: quiet when stderr is not a TTY). */
  readonly quiet?: boolean;
  /** Characters of sparkline (default 16). */
  readonly width?: number;
  readonly stream?: NodeJS.WriteStream;
}

export function progressWithSparkline<E extends TrainEvent<unknown, unknown, unknown>>(opts: SparkProgressOptions): MonoTypeOperatorFunction<E> {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet ?? !stream.isTTY) return (source) => source;
  const width = opts.width ?? 16;
  // defer: each subscription gets its own bar and history.
  return (source) =>
    defer(() => {
      const bar = new cliProgress.SingleBar(
        {
          stream,
          fps: 10,
          format: ' {bar} {value}/{total} | loss {loss} {spark} | {rate} steps/s | ETA {eta_formatted}',
          barsize: 20,
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      const losses: number[] = [];
      let started = false;
      let stopped = false;
      let firstStep = 0;
      let spark = '';
      let sparkAt = -Infinity;
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
                bar.start(opts.total, 0, { loss: '', spark: '', rate: '' });
                started = true;
              }
              losses.push(e.loss);
              // The sparkline costs O(steps so far): recompute it at the bar's frame rate only.
              if (e.elapsedMs - sparkAt >= 100) {
                spark = sparkline(losses, { width, log: true });
                sparkAt = e.elapsedMs;
              }
              const rate = e.elapsedMs > 0 ? (((e.step - firstStep) * 1000) / e.elapsedMs).toFixed(0) : '';
              bar.update(e.step, { loss: e.loss.toExponential(3), spark, rate });
            } else if (e.type === 'done' && started) {
              spark = sparkline(losses, { width, log: true });
              bar.update(e.step, { loss: e.summary.finalLoss.toExponential(3), spark, rate: e.summary.stepsPerSecond.toFixed(0) });
            }
          },
          finalize: stop,
        }),
      );
    });
}
