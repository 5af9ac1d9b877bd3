/**
 * The workload definitions and their sizes (full and quick), and the shared inputs: initial
 * parameters drawn once (LeCun normal, via @fluxion/nn's Chainer-compatible initializer) and fixed
 * data drawn from a small seeded PRNG, so every system starts from the same numbers.
 */
import { random } from '@fluxion/core';
import { mlp } from '@fluxion/nn';
import type { AdamSpec, MlpInit, W1Spec, W3Spec, W4Spec } from './types.js';

/** Sizes of one benchmark run. */
export interface Sizes {
  readonly mode: 'full' | 'quick' | 'custom';
  readonly reps: number;
  readonly w1: { readonly warmup: number; readonly steps: number };
  readonly w3: { readonly warmup: number; readonly steps: number };
  readonly w4: { readonly ns: readonly number[]; readonly minMs: number; readonly minIters: number };
}

/** The definition: W1 10,000 steps after 50, W3 200 after 10, W4 n = 64, 256, 1024; 5 repetitions. */
export const FULL: Sizes = {
  mode: 'full',
  reps: 5,
  w1: { warmup: 50, steps: 10_000 },
  w3: { warmup: 10, steps: 200 },
  w4: { ns: [64, 256, 1024], minMs: 500, minIters: 3 },
};

/** A smoke run: the same code paths at tiny sizes, well under a minute. Its numbers mean nothing. */
export const QUICK: Sizes = {
  mode: 'quick',
  reps: 2,
  w1: { warmup: 50, steps: 200 },
  w3: { warmup: 1, steps: 5 },
  w4: { ns: [64], minMs: 30, minIters: 3 },
};

export const ADAM: AdamSpec = { lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

export const W1_SIZES = [1, 16, 32, 1] as const;
export const W3_SIZES = [784, 512, 512, 10] as const;

/** LeCun-normal initial parameters from Fluxion's `mlp.init` (Chainer's defaults: W ~ N(0, 1/in), b = 0). */
export function mlpInit(seed: number, sizes: readonly number[]): MlpInit {
  const params = mlp.init(random.key(seed), sizes) as Record<string, { W: { toTypedArray(): unknown }; b: { toTypedArray(): unknown } }>;
  const out = [];
  for (let i = 1; i < sizes.length; i++) {
    const l = params[`l${i}`]!;
    out.push({
      inSize: sizes[i - 1]!,
      outSize: sizes[i]!,
      W: l.W.toTypedArray() as Float32Array,
      b: l.b.toTypedArray() as Float32Array,
    });
  }
  return out;
}

/** mulberry32: a tiny seeded PRNG for fixed data every system shares (not anyone's training RNG). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function w1Spec(sizes: Sizes, seed = 0): W1Spec {
  return {
    sizes: W1_SIZES,
    slope: 0.2,
    batch: 100,
    warmup: sizes.w1.warmup,
    steps: sizes.w1.steps,
    adam: ADAM,
    init: mlpInit(seed, W1_SIZES),
    seed: seed + 1,
  };
}

export function w3Spec(sizes: Sizes, seed = 0): W3Spec {
  const batch = 128;
  const classes = 10;
  const rand = prng(seed + 1000);
  const x = new Float32Array(batch * W3_SIZES[0]);
  for (let i = 0; i < x.length; i++) x[i] = rand();
  const labels = new Int32Array(batch);
  for (let i = 0; i < batch; i++) labels[i] = Math.floor(rand() * classes);
  return {
    sizes: W3_SIZES,
    batch,
    classes,
    warmup: sizes.w3.warmup,
    steps: sizes.w3.steps,
    adam: ADAM,
    init: mlpInit(seed + 2, W3_SIZES),
    x,
    labels,
  };
}

export function w4Spec(sizes: Sizes, n: number, seed = 0): W4Spec {
  const rand = prng(seed + 2000 + n);
  const a = new Float32Array(n * n);
  const b = new Float32Array(n * n);
  for (let i = 0; i < a.length; i++) a[i] = rand() * 2 - 1;
  for (let i = 0; i < b.length; i++) b[i] = rand() * 2 - 1;
  return { n, a, b, minMs: sizes.w4.minMs, minIters: sizes.w4.minIters };
}

/** W[out, in] → W[in, out], for systems whose dense layer is x·W. */
export function transposed(W: Float32Array, outSize: number, inSize: number): Float32Array {
  const t = new Float32Array(W.length);
  for (let o = 0; o < outSize; o++) for (let i = 0; i < inSize; i++) t[i * outSize + o] = W[o * inSize + i]!;
  return t;
}
