/**
 * The workloads as data: every system receives the same specs (sizes, hyper-parameters, initial
 * parameters, fixed data) and returns plain numbers. Nothing here depends on a library.
 */

/** One dense layer's initial parameters, Chainer's layout: W is [out, in] row-major, b is [out]. */
export interface DenseInit {
  readonly inSize: number;
  readonly outSize: number;
  readonly W: Float32Array;
  readonly b: Float32Array;
}

/** Initial parameters of an MLP, layer by layer (l1, l2, …). */
export type MlpInit = readonly DenseInit[];

/** Adam's hyper-parameters, the same for every system. */
export interface AdamSpec {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
}

/**
 * W1, the seed: MLP 1→16→32→1 with leakyRelu (slope 0.2) after every layer, MSE against
 * t = exp(x) for a fresh batch x ~ U[0, 1) each step (drawn by the system's own RNG, inside the
 * timed loop), Adam, float32, the loss read back to JS every step.
 */
export interface W1Spec {
  readonly sizes: readonly number[];
  readonly slope: number;
  readonly batch: number;
  readonly warmup: number;
  readonly steps: number;
  readonly adam: AdamSpec;
  /** LeCun-normal initial parameters, identical for every system. */
  readonly init: MlpInit;
  /** Seed of the system's own data RNG. */
  readonly seed: number;
}

/** W3: MLP 784→512→512→10, relu after the hidden layers, softmax cross-entropy, Adam, one fixed batch. */
export interface W3Spec {
  readonly sizes: readonly number[];
  readonly batch: number;
  readonly classes: number;
  readonly warmup: number;
  readonly steps: number;
  readonly adam: AdamSpec;
  readonly init: MlpInit;
  /** [batch, sizes[0]] row-major, U[0, 1). */
  readonly x: Float32Array;
  /** [batch] class ids in [0, classes). */
  readonly labels: Int32Array;
}

/** W4: C = A·B for n×n float32 matrices; the result must be complete (computed) when timed. */
export interface W4Spec {
  readonly n: number;
  readonly a: Float32Array;
  readonly b: Float32Array;
  /** Time at least this long… */
  readonly minMs: number;
  /** …and at least this many products. */
  readonly minIters: number;
}

export interface W1Run {
  readonly usPerStep: number;
  /** Mean loss of the last min(100, steps) timed steps. */
  readonly finalLoss: number;
  /** Mean loss of the first min(10, warmup + steps) steps, for sanity checks. */
  readonly firstLoss: number;
}

export interface W3Run {
  readonly msPerStep: number;
  /** The loss of the last step. */
  readonly finalLoss: number;
  /** The loss of the first (warm-up) step. */
  readonly firstLoss: number;
}

export interface W4Run {
  readonly gflops: number;
  readonly iters: number;
  readonly ms: number;
}

/** A system under test: a library driven in its own documented way. Each method runs one repetition. */
export interface System {
  /** Short id used in JSON and on the command line: 'fluxion', 'tfjs-cpu', … */
  readonly id: string;
  /** Row label in the table. */
  readonly label: string;
  /** Library version(s), exact. */
  readonly version: string;
  /** How it is driven, and anything found while setting it up (SIMD, threads, …). */
  readonly notes: readonly string[];
  readonly w1?: (spec: W1Spec) => Promise<W1Run>;
  readonly w3?: (spec: W3Spec) => Promise<W3Run>;
  readonly w4?: (spec: W4Spec) => Promise<W4Run>;
}

/** A system that could not be set up, and exactly why. */
export interface Unavailable {
  readonly id: string;
  readonly label: string;
  readonly reason: string;
}

export type Setup = System | Unavailable;

export const isAvailable = (s: Setup): s is System => !('reason' in s);

/** Mean of a slice of numbers. */
export function meanOf(xs: ArrayLike<number>, from = 0, to = xs.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += xs[i]!;
  return s / (to - from);
}

/** The loss summaries every W1 implementation reports, from the losses of all its steps. */
export function w1Losses(losses: Float64Array, warmup: number): { finalLoss: number; firstLoss: number } {
  const n = losses.length;
  const timed = n - warmup;
  return {
    finalLoss: meanOf(losses, n - Math.min(100, timed), n),
    firstLoss: meanOf(losses, 0, Math.min(10, n)),
  };
}

/** Calls `globalThis.gc` when node runs with --expose-gc, so one system's garbage is not billed to the next. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === 'function') gc();
}
