/**
 * Overhead of train()'s stream against a bare hand-written loop on the seed workload (MLP
 * 1→16→32→1, leakyRelu, MSE on y = exp(x), batches of 100, Adam), in µs per update:
 *
 * - bare:   the loop by hand, with the same key derivation and optim's fused `step`;
 * - sync:   train({ mode: 'sync' }), a subscriber that keeps the step losses;
 * - sliced: train() in its default mode (16 ms slices, a macrotask between them), wall time from
 *           subscribe to completion, yields between slices included.
 *
 * Runs are interleaved (bare, sync, sliced, then the next repetition, the order rotating) so that
 * drift of the machine hits every variant alike; medians over the repetitions. All variants
 * compute the same losses bit for bit, which the script checks.
 *
 *     node --conditions=@fluxion/source --import tsx packages/train/bench/overhead.ts [steps] [reps]
 *     STEPS=2000 REPS=7 node --expose-gc --conditions=@fluxion/source --import tsx packages/train/bench/overhead.ts
 *
 * Defaults: 2000 steps per run, 7 repetitions (about a minute at ~1 ms per step). `--expose-gc`
 * (optional) collects garbage before every run.
 */
import { cpus } from 'node:os';
import { exp, leakyRelu, random, valueAndGrad, type Key, type Tensor } from '@fluxion/core';
import { linear, meanSquaredError, mlp } from '@fluxion/nn';
import { adam, step } from '@fluxion/optim';
import { train } from '../src/index.js';

const STEPS = Number(process.argv[2] ?? process.env['STEPS'] ?? 2000);
const REPS = Number(process.argv[3] ?? process.env['REPS'] ?? 7);
if (!(Number.isInteger(STEPS) && STEPS > 0 && Number.isInteger(REPS) && REPS > 0)) throw new Error('usage: overhead.ts [steps > 0] [reps > 0]');

// ---- The seed.
const params0 = mlp.init(random.key(0), [1, 16, 32, 1]);
type P = typeof params0;
interface Batch {
  readonly x: Tensor;
  readonly t: Tensor;
}
const predict = (p: P, x: Tensor): Tensor => leakyRelu(linear(p.l3, leakyRelu(linear(p.l2, leakyRelu(linear(p.l1, x))))));
const loss = (p: P, b: Batch): Tensor => meanSquaredError(predict(p, b.x), b.t);
const batches = (k: Key): Batch => {
  const x = random.uniform(k, [100, 1]);
  return { x, t: exp(x) };
};
const KEY = random.key(0);

/** The bare loop: what one writes by hand, keys derived as train() derives them. */
function bare(n: number): { ms: number; losses: Float64Array } {
  const losses = new Float64Array(n);
  const t0 = performance.now();
  const [dataKey, lossKey] = random.split(KEY);
  const opt = adam();
  const vg = valueAndGrad((p: P, b: Batch, _k: Key) => loss(p, b));
  let params = params0;
  let state = opt.init(params);
  for (let i = 0; i < n; i++) {
    const b = batches(random.foldIn(dataKey, i));
    const [l, g] = vg(params, b, random.foldIn(lossKey, i));
    losses[i] = l.item();
    ({ params, state } = step(opt, params, g, state));
  }
  return { ms: performance.now() - t0, losses };
}

function viaTrain(n: number, mode: 'sync' | 'sliced'): Promise<{ ms: number; losses: Float64Array }> {
  return new Promise((resolve, reject) => {
    const losses = new Float64Array(n);
    const t0 = performance.now();
    train({ params: params0, loss, optimizer: adam(), batches, steps: n, key: KEY, mode }).subscribe({
      next: (e) => {
        if (e.type === 'step') losses[e.step - 1] = e.loss;
      },
      error: reject,
      complete: () => resolve({ ms: performance.now() - t0, losses }),
    });
  });
}

type Variant = 'bare' | 'sync' | 'sliced';
const VARIANTS: Variant[] = ['bare', 'sync', 'sliced'];
const run = (v: Variant, n: number) => (v === 'bare' ? Promise.resolve(bare(n)) : viaTrain(n, v));
const gc = (globalThis as { gc?: () => void }).gc;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'} ×${cpus().length}; ${STEPS} steps per run, ${REPS} repetitions${gc ? ', gc before each run' : ''}`);
  // Warm-up: JIT every path once.
  for (const v of VARIANTS) await run(v, Math.min(STEPS, 200));
  const us: Record<Variant, number[]> = { bare: [], sync: [], sliced: [] };
  let reference: Float64Array | undefined;
  for (let r = 0; r < REPS; r++) {
    const order = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length]!);
    const row: string[] = [];
    for (const v of order) {
      gc?.();
      const { ms, losses } = await run(v, STEPS);
      reference ??= losses;
      if (!losses.every((l, i) => Object.is(l, reference![i]))) throw new Error(`${v}: losses differ from the other variants`);
      us[v].push((ms * 1000) / STEPS);
      row.push(`${v} ${((ms * 1000) / STEPS).toFixed(1)}`);
    }
    console.log(`rep ${r + 1}: ${row.join(', ')} µs/step`);
  }
  const base = median(us.bare);
  console.log('\nmedian µs/step   overhead vs bare');
  for (const v of VARIANTS) {
    const m = median(us[v]);
    console.log(`${v.padEnd(8)} ${m.toFixed(1).padStart(8)}   ${v === 'bare' ? '' : `${(((m - base) / base) * 100).toFixed(2)} %`}`);
  }
}

await main();
