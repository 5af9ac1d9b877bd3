/**
 * Helpers shared by the transforms: hyperparameter checks, tree and leaf validation with paths in
 * the messages, and typed-array plumbing for the fused kernels. Not part of the public API.
 */
import {
  DTypeError,
  ShapeError,
  Tensor,
  TreeStructureError,
  ValueError,
  isFloat,
  tensor,
  tree,
  type DType,
  type ReadonlyTypedArray,
} from '@fluxion/core';
import type { ScalarOrSchedule } from './types.js';

/** The storage a float tensor's kernel writes: the dtype's own array, so stores round as it does. */
export type FloatArray = Float32Array | Float64Array;

/** Values a kernel reads. */
export type ReadArray = ReadonlyTypedArray;

// ----------------------------------------------------------------------------------------------
// Hyperparameters

/** Throws a ValueError unless `v` is a finite number ≥ 0. */
export function checkNonNegative(op: string, name: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new ValueError(op, `${name} must be a finite number ≥ 0, got ${String(v)}`);
  }
}

/** Throws a ValueError unless `v` is a finite number > 0. */
export function checkPositive(op: string, name: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new ValueError(op, `${name} must be a finite number > 0, got ${String(v)}`);
  }
}

/** Throws a ValueError unless 0 ≤ v < 1 (decay rates: betas, momentum, RMSprop's alpha). */
export function checkUnitInterval(op: string, name: string, v: number): void {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) {
    throw new ValueError(op, `${name} must be in [0, 1), got ${String(v)}`);
  }
}

/** Throws a ValueError unless `v` is a finite number (schedules' values, clip bounds). */
export function checkFinite(op: string, name: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ValueError(op, `${name} must be a finite number, got ${String(v)}`);
  }
}

/** Throws a ValueError unless `v` is an integer ≥ `min`. */
export function checkInteger(op: string, name: string, v: number, min: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new ValueError(op, `${name} must be an integer ≥ ${min}, got ${String(v)}`);
  }
}

/** Checks a learning rate given as a number (now) or a schedule (a function; checked when read). */
export function checkRate(op: string, name: string, v: ScalarOrSchedule): void {
  if (typeof v === 'function') return;
  checkNonNegative(op, name, v);
}

/**
 * The value of a number-or-schedule at `step`; a schedule's value must be a finite number ≥ 0.
 * @throws ValueError naming the step when a schedule gives a negative or non-finite value.
 */
export function rateAt(op: string, name: string, v: ScalarOrSchedule, step: number): number {
  if (typeof v !== 'function') return v;
  const r = v(step);
  if (typeof r !== 'number' || !Number.isFinite(r) || r < 0) {
    throw new ValueError(op, `the ${name} schedule gave ${String(r)} at step ${step}; it must be a finite number ≥ 0`);
  }
  return r;
}

/** Reads and checks a state's step count `t`: a non-negative integer. */
export function countOf(op: string, state: unknown): number {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) {
    throw new TreeStructureError(op, `the state must be a record with a step count 't' (from init), got ${describeValue(state)}`, '');
  }
  const t = (state as { t?: unknown }).t;
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 0) {
    throw new ValueError(op, `the state's step count 't' must be an integer ≥ 0, got ${String(t)}`);
  }
  return t;
}

// ----------------------------------------------------------------------------------------------
// Trees and leaves

function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (x instanceof Tensor) return `a Tensor ${x.dtype}[${x.shape.join(', ')}]`;
  return typeof x;
}

function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function at(path: string): string {
  return path === '' ? 'the root' : `'${path}'`;
}

/**
 * Throws unless trees `a` and `b` have the same structure. The TreeStructureError names `op`, which
 * tree is which, and the first differing path (core's message, and its `path`).
 */
export function assertSame(op: string, aName: string, a: unknown, bName: string, b: unknown): void {
  try {
    tree.assertSameStructure(a, b, op);
  } catch (e) {
    if (e instanceof TreeStructureError) {
      const detail = e.message.startsWith(`${op}: `) ? e.message.slice(op.length + 2) : e.message;
      throw new TreeStructureError(op, `${aName} (first) vs ${bName} (second): ${detail}`, e.path);
    }
    throw e;
  }
}

/** The path of leaf `i` of `t` (computed only for error messages). */
function pathOf(t: unknown, i: number): string {
  return tree.paths(t)[i] ?? '';
}

/**
 * Checks that leaf `i` of the tree named `what` is a float tensor; returns it.
 * @throws DTypeError naming the path.
 */
export function floatLeaf(op: string, what: string, whole: unknown, leaf: unknown, i: number): Tensor {
  if (!(leaf instanceof Tensor)) {
    throw new DTypeError(op, `${what} at ${at(pathOf(whole, i))} must be a Tensor, got ${describeValue(leaf)}`);
  }
  if (!isFloat(leaf.dtype)) {
    throw new DTypeError(op, `${what} at ${at(pathOf(whole, i))} must be float32 or float64, got ${leaf.dtype}`);
  }
  return leaf;
}

/**
 * Checks that `leaf` (leaf `i` of the tree named `what`) is a tensor with the shape and dtype of
 * `ref` (the same leaf of the tree named `refName`); returns it.
 * @throws ShapeError or DTypeError naming the path and both shapes or dtypes.
 */
export function matchingLeaf(
  op: string,
  what: string,
  whole: unknown,
  leaf: unknown,
  i: number,
  refName: string,
  ref: Tensor,
): Tensor {
  if (!(leaf instanceof Tensor)) {
    throw new DTypeError(op, `${what} at ${at(pathOf(whole, i))} must be a Tensor, got ${describeValue(leaf)}`);
  }
  const a = leaf.shape;
  const b = ref.shape;
  let same = a.length === b.length;
  for (let d = 0; same && d < a.length; d++) same = a[d] === b[d];
  if (!same) {
    throw new ShapeError(op, `${what} at ${at(pathOf(whole, i))} has shape ${fmtShape(a)}, ${refName} has ${fmtShape(b)}`);
  }
  if (leaf.dtype !== ref.dtype) {
    throw new DTypeError(op, `${what} at ${at(pathOf(whole, i))} is ${leaf.dtype}, ${refName} is ${ref.dtype}`);
  }
  return leaf;
}

/** The tree stored under `key` in a state record, or a TreeStructureError naming the key. */
export function slotOf(op: string, state: unknown, key: string, hint = ''): unknown {
  if (typeof state !== 'object' || state === null || !Object.prototype.hasOwnProperty.call(state, key)) {
    throw new TreeStructureError(op, `the state has no '${key}'${hint}`, key);
  }
  return (state as Record<string, unknown>)[key];
}

// ----------------------------------------------------------------------------------------------
// Typed arrays

/** A zero-filled array for a float dtype. */
export function alloc(dtype: DType, n: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

/**
 * A tensor with `like`'s shape and dtype holding `data` (freshly computed by a kernel, so it is
 * handed over without a copy).
 */
export function wrap(data: FloatArray, like: Tensor): Tensor {
  return tensor(data, { dtype: like.dtype, shape: like.shape, copy: false });
}
