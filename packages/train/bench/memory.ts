/**
 * Memory of a long seed run (10^5 updates by default) with a deliberately slow subscriber: does
 * the heap stay flat, or does something buffer? Prints live heap (after a GC when `--expose-gc`
 * is available; the parent passes it to every child) and RSS at intervals, and a summary.
 *
 * Variants, each in its own child process so that one's garbage does not weigh on the next:
 *
 * - sliced-slow:       default sliced mode; the subscriber busy-waits SLOW_MS per step event.
 *                      Synchronous delivery: the run simply waits for the subscriber, nothing queues.
 * - sync-slow:         the same in sync mode.
 * - sliced-observeOn:  `observeOn(asyncScheduler)` between the run and the slow subscriber: each
 *                      event becomes a scheduled task. The run yields after each slice, the queued
 *                      events of that slice run before the next slice, so the queue is bounded by
 *                      one slice's events.
 * - sync-observeOn:    the same in sync mode: the whole run happens inside subscribe() before any
 *                      queued event is delivered, so every event (and every checkpoint's params) is
 *                      held at once: this is where buffering can grow without bound. Expect the
 *                      heap to grow linearly with the steps here (and only here).
 *
 *     node --conditions=@fluxion/source --import tsx packages/train/bench/memory.ts [steps] [variant|all]
 *     STEPS=100000 SLOW_MS=0.25 node --conditions=@fluxion/source --import tsx packages/train/bench/memory.ts
 *
 * Checkpoints every 100 updates, as the README's example. With ~1 ms per update and SLOW_MS 0.25,
 * each variant takes a few minutes at 10^5 steps. Try it with `… memory.ts 500` first.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { asyncScheduler, observeOn, tap, type Observable } from 'rxjs';
import { exp, leakyRelu, random, type Key, type Tensor } from '@fluxion/core';
import { linear, meanSquaredError, mlp } from '@fluxion/nn';
import { adam } from '@fluxion/optim';
import { train, type TrainEvent } from '../src/index.js';

const VARIANTS = ['sliced-slow', 'sync-slow', 'sliced-observeOn', 'sync-observeOn'] as const;
type Variant = (typeof VARIANTS)[number];

const STEPS = Number(process.argv[2] ?? process.env['STEPS'] ?? 100_000);
const WHICH = process.argv[3] ?? process.env['VARIANT'] ?? 'all';
const SLOW_MS = Number(process.env['SLOW_MS'] ?? 0.25);
const SAMPLES = 20;
if (!(Number.isInteger(STEPS) && STEPS > 0)) throw new Error('usage: memory.ts [steps > 0] [variant|all]');
if (WHICH !== 'all' && !(VARIANTS as readonly string[]).includes(WHICH)) throw new Error(`variant must be one of ${VARIANTS.join(', ')} or all`);

const MB = (b: number): string => (b / 2 ** 20).toFixed(1).padStart(7);

function parent(): void {
  console.log(`node ${process.version}; ${STEPS} steps per variant, subscriber busy ${SLOW_MS} ms per step event, checkpoints every 100`);
  const script = fileURLToPath(import.meta.url);
  for (const v of WHICH === 'all' ? VARIANTS : [WHICH as Variant]) {
    const r = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, script, String(STEPS), v], {
      stdio: 'inherit',
      env: { ...process.env, FLUXION_MEMORY_CHILD: '1' },
    });
    if (r.status !== 0) process.exitCode = 1;
  }
}

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* spin */
  }
}

async function child(variant: Variant): Promise<void> {
  const params = mlp.init(random.key(0), [1, 16, 32, 1]);
  type P = typeof params;
  type Batch = { readonly x: Tensor; readonly t: Tensor };
  const predict = (p: P, x: Tensor): Tensor => leakyRelu(linear(p.l3, leakyRelu(linear(p.l2, leakyRelu(linear(p.l1, x))))));
  const gc = (globalThis as { gc?: () => void }).gc;
  const mode = variant.startsWith('sync') ? 'sync' : 'sliced';
  const run$ = train({
    params,
    loss: (p: P, b: Batch) => meanSquaredError(predict(p, b.x), b.t),
    optimizer: adam(),
    batches: (k: Key) => {
      const x = random.uniform(k, [100, 1]);
      return { x, t: exp(x) };
    },
    steps: STEPS,
    checkpointEvery: 100,
    mode,
  });

  let produced = 0;
  let consumed = 0;
  let maxQueued = 0;
  const every = Math.max(1, Math.floor(STEPS / SAMPLES));
  const rows: { side: string; step: number; heap: number; rss: number }[] = [];
  const sample = (side: string, step: number): void => {
    gc?.();
    const m = process.memoryUsage();
    rows.push({ side, step, heap: m.heapUsed, rss: m.rss });
    console.log(`${variant.padEnd(17)} ${side.padEnd(8)} step ${String(step).padStart(7)}  heap ${MB(m.heapUsed)} MB  rss ${MB(m.rss)} MB  queued ${String(produced - consumed).padStart(7)}`);
  };

  // The producer side: right after the run, before any scheduler hop.
  const produced$: Observable<TrainEvent<P, unknown>> = run$.pipe(
    tap((e) => {
      produced++;
      maxQueued = Math.max(maxQueued, produced - consumed);
      if (e.type === 'step' && e.step % every === 0 && variant.endsWith('observeOn')) sample('producer', e.step);
    }),
  );
  const delivered$ = variant.endsWith('observeOn') ? produced$.pipe(observeOn(asyncScheduler)) : produced$;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) =>
    delivered$.subscribe({
      next: (e) => {
        consumed++;
        if (e.type !== 'step') return;
        busyWait(SLOW_MS);
        if (e.step % every === 0) sample('consumer', e.step);
      },
      error: reject,
      complete: resolve,
    }),
  );
  const s = (performance.now() - t0) / 1000;
  const consumerRows = rows.filter((r) => r.side === 'consumer');
  const early = consumerRows[Math.min(1, consumerRows.length - 1)]!;
  const last = consumerRows.at(-1)!;
  const maxHeap = Math.max(...rows.map((r) => r.heap));
  const maxRss = Math.max(...rows.map((r) => r.rss));
  console.log(
    `${variant}: ${STEPS} steps in ${s.toFixed(1)} s; live heap ${MB(early.heap).trim()} MB at step ${early.step} → ${MB(last.heap).trim()} MB at step ${last.step} ` +
      `(max ${MB(maxHeap).trim()} MB, max rss ${MB(maxRss).trim()} MB); most events queued at once: ${maxQueued}${gc ? '' : ' (no --expose-gc: heap figures include garbage)'}\n`,
  );
}

if (process.env['FLUXION_MEMORY_CHILD'] === '1') await child(WHICH as Variant);
else parent();
