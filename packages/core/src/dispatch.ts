/**
 * The one door every op goes through. `bind(prim, inputs, attrs)` checks shapes and dtypes
 * (abstract evaluation), then hands the op to the interpreters: it records the op into a graph
 * when `trace` is running on abstract inputs, otherwise runs the kernel, and attaches a
 * backward node for every active autodiff level that one of the inputs belongs to.
 */
import type { DType, TypedArray } from './dtype.js';
import { FluxionError } from './errors.js';
import { Tensor, type AdNode } from './tensor.js';

/** Shape and dtype of a value, without its data. */
export interface Aval {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** Backward rule: output cotangent to one cotangent per input (null: no gradient there). */
export type VjpRule<A> = (
  g: Tensor,
  inputs: readonly Tensor[],
  out: Tensor,
  attrs: A,
  needs: readonly boolean[],
) => readonly (Tensor | null)[];

/**
 * A primitive op: its shape rule, its kernel and its backward rule, side by side.
 * Derived ops are compositions of primitives and need no rules of their own.
 */
export interface Primitive<A = unknown> {
  readonly name: string;
  /** Output shape and dtype from the inputs' shapes and dtypes; throws typed errors. */
  readonly abstractEval: (inputs: readonly Tensor[], attrs: A) => Aval;
  /** Computes the output values; may return an input's own array when the op is a view. */
  readonly impl: (inputs: readonly Tensor[], attrs: A, out: Aval) => TypedArray;
  /** Backward rule written with differentiable ops; absent for ops with no gradient. */
  readonly vjp?: VjpRule<A>;
}

const registry = new Map<string, Primitive<never>>();

/** Registers a primitive (names are unique) and returns it. */
export function definePrimitive<A>(p: Primitive<A>): Primitive<A> {
  if (registry.has(p.name)) throw new FluxionError('definePrimitive', `primitive '${p.name}' is already defined`);
  registry.set(p.name, p as Primitive<never>);
  return p;
}

/** Every registered primitive, in definition order. */
export function primitives(): readonly Primitive<never>[] {
  return [...registry.values()];
}

/** An interpreter that records ops on abstract tensors (installed by `trace`). */
export interface TraceRecorder {
  record<A>(prim: Primitive<A>, inputs: readonly Tensor[], attrs: A, aval: Aval): Tensor;
  /** `to` is the same abstract value as `from` in a new wrapper (autodiff re-wraps its variables). */
  alias?(from: Tensor, to: Tensor): void;
}

/** Autodiff levels currently recording, innermost last. */
const activeLevels: number[] = [];
let nextLevel = 1;
let recorder: TraceRecorder | null = null;

/** @internal Opens a new autodiff level and returns its number. */
export function pushLevel(): number {
  const level = nextLevel++;
  activeLevels.push(level);
  return level;
}

/** @internal Closes the innermost level, which must be `level`. */
export function popLevel(level: number): void {
  const top = activeLevels.pop();
  if (top !== level) throw new FluxionError('autodiff', `level ${level} closed out of order (innermost was ${top})`);
}

/** @internal Runs `f` with no autodiff level recording (for custom rules and stopGradient-like code). */
export function withoutRecording<T>(f: () => T): T {
  const saved = activeLevels.splice(0, activeLevels.length);
  try {
    return f();
  } finally {
    activeLevels.push(...saved);
  }
}

/** @internal Installs a trace recorder for the duration of `f`. */
export function withRecorder<T>(r: TraceRecorder, f: () => T): T {
  const saved = recorder;
  recorder = r;
  try {
    return f();
  } finally {
    recorder = saved;
  }
}

/**
 * @internal Autodiff re-wraps tensors (a variable gets a leaf node, a result loses its node): for
 * an abstract tensor this tells the trace recorder that `to` stands for the same value as `from`.
 */
export function rewrapped(from: Tensor, to: Tensor): Tensor {
  if (from._data === null && recorder !== null && recorder.alias !== undefined) recorder.alias(from, to);
  return to;
}

/** @internal The node of `t` at `level`, if it has one. */
export function nodeAt(t: Tensor, level: number): AdNode | undefined {
  const nodes = t._nodes;
  if (nodes === null) return undefined;
  for (let i = 0; i < nodes.length; i++) if (nodes[i]!.level === level) return nodes[i];
  return undefined;
}

/**
 * @internal The autodiff nodes an op's output gets: one per active level that some input belongs
 * to, all sharing `backward`. Null when nothing is recording (the common, fast case).
 */
export function nodesFor(
  inputs: readonly Tensor[],
  shape: readonly number[],
  dtype: DType,
  backward: AdNode['backward'],
): AdNode[] | null {
  if (activeLevels.length === 0 || (dtype !== 'float32' && dtype !== 'float64')) return null;
  let nodes: AdNode[] | null = null;
  for (let li = 0; li < activeLevels.length; li++) {
    const level = activeLevels[li]!;
    for (let i = 0; i < inputs.length; i++) {
      if (nodeAt(inputs[i]!, level) !== undefined) {
        (nodes ??= []).push({ level, shape, dtype, inputs, backward });
        break;
      }
    }
  }
  return nodes;
}

/** Applies `prim` to `inputs`: the single dispatch point of every op. */
export function bind<A>(prim: Primitive<A>, inputs: readonly Tensor[], attrs: A): Tensor {
  const aval = prim.abstractEval(inputs, attrs);
  let abstract = false;
  for (let i = 0; i < inputs.length; i++) if (inputs[i]!._data === null) abstract = true;
  if (abstract) {
    if (recorder === null) {
      throw new FluxionError(prim.name, 'got an abstract tensor outside of trace()');
    }
    return recorder.record(prim, inputs, attrs, aval);
  }
  const data = prim.impl(inputs, attrs, aval);
  const vjp = prim.vjp;
  if (vjp === undefined || activeLevels.length === 0) return new Tensor(aval.shape, aval.dtype, data);
  // The closure sees `out` once it exists; nodes only run it after this function returns.
  let out: Tensor;
  const nodes = nodesFor(inputs, aval.shape, aval.dtype, (g, needs) => vjp(g, inputs, out, attrs, needs));
  out = new Tensor(aval.shape, aval.dtype, data, nodes);
  return out;
}
