/** Timing helpers shared by the systems. */
import type { W4Run, W4Spec } from './types.js';

const flops = (n: number) => 2 * n * n * n;

/**
 * W4's loop for a synchronous product: untimed warm-up calls (at least one, and for a quarter of
 * `minMs`, so the JIT has compiled the kernel before the clock starts), then calls until both
 * `minMs` and `minIters` are reached. GFLOP/s = 2n³·iters / time.
 */
export async function timeLoop(spec: W4Spec, once: () => void): Promise<W4Run> {
  const w0 = performance.now();
  do once();
  while (performance.now() - w0 < spec.minMs / 4);
  let iters = 0;
  const t0 = performance.now();
  let t = t0;
  while (iters < spec.minIters || t - t0 < spec.minMs) {
    once();
    iters++;
    t = performance.now();
  }
  const ms = t - t0;
  return { gflops: (flops(spec.n) * iters) / (ms * 1e6), iters, ms };
}

/** The same for a product that completes asynchronously (jax-js: `await blockUntilReady`). */
export async function timeLoopAsync(spec: W4Spec, once: () => Promise<void>): Promise<W4Run> {
  const w0 = performance.now();
  do await once();
  while (performance.now() - w0 < spec.minMs / 4);
  let iters = 0;
  const t0 = performance.now();
  let t = t0;
  while (iters < spec.minIters || t - t0 < spec.minMs) {
    await once();
    iters++;
    t = performance.now();
  }
  const ms = t - t0;
  return { gflops: (flops(spec.n) * iters) / (ms * 1e6), iters, ms };
}
