/**
 * Shared models and helpers of the train tests: the seed workload, a tiny MLP (fast enough for
 * property tests), a scalar model whose loss is whatever the batch says, loss-call counting and a
 * bit-for-bit comparison of trees.
 */
import { expect } from 'vitest';
import { Observable, type SchedulerLike } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { Tensor, add, exp, leakyRelu, mul, random, scalar, sum, tree, type Key } from '@fluxion/core';
import { dropout, linear, meanSquaredError, mlp } from '@fluxion/nn';
import type { TrainEvent } from '../src/index.js';

// ---- The seed: MLP 1→16→32→1, leakyRelu after every layer, MSE on y = exp(x), Adam.
export const seedParams = mlp.init(random.key(0), [1, 16, 32, 1]);
export type SeedParams = typeof seedParams;
export interface Batch {
  readonly x: Tensor;
  readonly t: Tensor;
}
export const predict = (p: SeedParams, x: Tensor): Tensor =>
  leakyRelu(linear(p.l3, leakyRelu(linear(p.l2, leakyRelu(linear(p.l1, x))))));
export const seedLoss = (p: SeedParams, b: Batch): Tensor => meanSquaredError(predict(p, b.x), b.t);
export const seedBatches = (k: Key): Batch => {
  const x = random.uniform(k, [100, 1]);
  return { x, t: exp(x) };
};

// ---- A tiny MLP 1→4→1 on batches of 8, with dropout on the hidden layer so that the per-update
// loss key matters too (resume must reproduce it).
export const tinyParams = mlp.init(random.key(1), [1, 4, 1]);
export type TinyParams = typeof tinyParams;
export const tinyLoss = (p: TinyParams, b: Batch, key: Key): Tensor =>
  meanSquaredError(leakyRelu(linear(p.l2, dropout(key, leakyRelu(linear(p.l1, b.x)), 0.25))), b.t);
export const tinyBatches = (k: Key): Batch => {
  const x = random.uniform(k, [8, 1]);
  return { x, t: exp(x) };
};
/** `n` fixed batches, for iterable and Observable sources. */
export const tinyBatchList = (n: number, seed = 7): Batch[] =>
  random.split(random.key(seed), n).map((k) => tinyBatches(k));

// ---- A scalar model whose loss is the batch's value (zero gradient: w never moves), so a test
// decides the loss curve exactly. Numbers that float32 holds exactly come back unchanged.
export const scalarParams = { w: scalar(1) };
export type ScalarParams = typeof scalarParams;
export const scalarLoss = (p: ScalarParams, b: number): Tensor => add(mul(sum(p.w), 0), b);

/** Wraps `f` so that `calls.n` counts its calls. */
export function counted<A extends unknown[], R>(f: (...args: A) => R): { f: (...args: A) => R; calls: { n: number } } {
  const calls = { n: 0 };
  return {
    calls,
    f: (...args: A) => {
      calls.n++;
      return f(...args);
    },
  };
}

/** Runs `obs` to its end synchronously (sync mode or a synchronous source) and returns what it did. */
export function runSync<T>(obs: Observable<T>): { events: T[]; error: unknown; completed: boolean } {
  const events: T[] = [];
  let error: unknown;
  let completed = false;
  obs.subscribe({ next: (e) => events.push(e), error: (e) => (error = e), complete: () => (completed = true) });
  return { events, error, completed };
}

/** Collects every event until the stream ends (any mode); resolves with them, rejects on error. */
export function collect<T>(obs: Observable<T>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const events: T[] = [];
    obs.subscribe({ next: (e) => events.push(e), error: reject, complete: () => resolve(events) });
  });
}

/** The losses of the step events. */
export const lossesOf = <P, S, A>(events: readonly TrainEvent<P, S, A>[]): number[] =>
  events.flatMap((e) => (e.type === 'step' ? [e.loss] : []));

/** `type+step` of every event: 's3', 'e4', 'c4', 'd5'. */
export const labels = <P, S, A>(events: readonly TrainEvent<P, S, A>[]): string[] => events.map((e) => `${e.type[0]}${e.step}`);

/** The bytes of a typed array (a view, no copy). */
export const bytesOf = (t: Tensor): Uint8Array => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

/**
 * Asserts that two trees are equal bit for bit: the same paths, and per leaf the same dtype,
 * shape and bytes (tensors), the same words (keys), or `Object.is` (numbers and other leaves).
 */
export function expectBitwiseEqual(actual: unknown, expected: unknown): void {
  expect(tree.paths(actual)).toEqual(tree.paths(expected));
  const a = tree.leaves(actual);
  const b = tree.leaves(expected);
  const paths = tree.paths(expected);
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => {
    const y = b[i];
    const where = paths[i] ?? String(i);
    if (y instanceof Tensor) {
      expect(x, where).toBeInstanceOf(Tensor);
      const xt = x as Tensor;
      expect([xt.dtype, xt.shape], where).toEqual([y.dtype, y.shape]);
      expect(Buffer.from(bytesOf(xt)).equals(Buffer.from(bytesOf(y))), `bytes at '${where}'`).toBe(true);
    } else if (random.isKey(y)) {
      expect(random.isKey(x), where).toBe(true);
      expect(Array.from(random.keyData(x as Key)), where).toEqual(Array.from(random.keyData(y)));
    } else {
      expect(Object.is(x, y), `leaf at '${where}': ${String(x)} vs ${String(y)}`).toBe(true);
    }
  });
}

/** Every float leaf of a tree is finite. */
export const allFinite = (t: unknown): boolean =>
  tree.leaves(t).every((l) => !(l instanceof Tensor) || Array.from(l.data as ArrayLike<number>).every(Number.isFinite));

/**
 * A scheduler for marble tests: every chunk runs `frames` virtual frames after it was scheduled,
 * so each chunk of a sliced run shows as its own group in a marble diagram.
 */
export function everyFrames(ts: TestScheduler, frames: number): SchedulerLike {
  return {
    now: () => ts.now(),
    schedule: (work: never, _delay?: number, state?: unknown) => ts.schedule(work, frames, state),
  } as SchedulerLike;
}

/** Busy-waits `ms` milliseconds. */
export function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* spin */
  }
}
