import type { DType, ReadonlyTypedArray, TypedArray } from './dtype.js';
import { FluxionError } from './errors.js';
import { sizeOf } from './shape.js';
import { formatTensor } from './format.js';

/**
 * One level of reverse-mode bookkeeping: how a tensor was computed at autodiff level `level`.
 * A leaf node (no `inputs`) marks a variable that a `vjp` at that level differentiates against.
 * @internal
 */
export interface AdNode {
  readonly level: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Inputs of the op that produced the tensor; null for a leaf. */
  readonly inputs: readonly Tensor[] | null;
  /** Maps the output cotangent to one cotangent per input (null: no gradient to that input). */
  readonly backward: ((g: Tensor, needs: readonly boolean[]) => readonly (Tensor | null)[]) | null;
}

/** Thrown when code reads the values of a tensor that has none: an abstract tensor inside `trace`. */
export class TracerError extends FluxionError {}

/**
 * An immutable n-dimensional array: `shape`, `dtype` and row-major data that no one mutates.
 *
 * Create tensors with `tensor`, `zeros`, `arange` and friends, not with `new`. Ops are free
 * functions (`add(a, b)`), so a Tensor only carries its value and, while a `vjp` is recording,
 * how it was computed.
 */
export class Tensor {
  /** Dimensions, outermost first. `[]` for a scalar. */
  readonly shape: readonly number[];
  /** Element type. */
  readonly dtype: DType;
  /** Number of elements, the product of `shape`. */
  readonly size: number;
  /** @internal Values in row-major order; null for an abstract (traced) tensor. */
  readonly _data: TypedArray | null;
  /** @internal Autodiff nodes, one per active level this tensor depends on. */
  readonly _nodes: readonly AdNode[] | null;

  /** @internal Use `tensor()` and the other constructors; this one neither copies nor checks. */
  constructor(shape: readonly number[], dtype: DType, data: TypedArray | null, nodes: readonly AdNode[] | null = null) {
    // Shapes are shared between tensors (every elementwise output reuses its input's).
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze(shape.slice());
    this.dtype = dtype;
    this.size = sizeOf(shape);
    this._data = data;
    this._nodes = nodes;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /**
   * The values in row-major order, typed read-only. It is the tensor's own storage (no copy):
   * never write to it. Use `toTypedArray()` for a copy you may change.
   * @throws TracerError for an abstract tensor inside `trace`.
   */
  get data(): ReadonlyTypedArray {
    return this.values('data');
  }

  /** @internal The backing array, or a TracerError naming `op` when the tensor is abstract. */
  values(op: string): TypedArray {
    if (this._data === null) {
      throw new TracerError(
        op,
        `cannot read the values of an abstract tensor ${describe(this)} while tracing; trace() records ops on ` +
          'shapes and dtypes only, so the traced function must not read tensor values (.data, item(), toArray()) ' +
          'or branch on them',
      );
    }
    return this._data;
  }

  /** A fresh, writable copy of the data. */
  toTypedArray(): TypedArray {
    return this.values('toTypedArray').slice();
  }

  /** The values as nested JS arrays (numbers, or booleans for `bool`); a scalar gives a number. */
  toArray(): NestedArray {
    const data = this.values('toArray');
    const bool = this.dtype === 'bool';
    const shape = this.shape;
    let pos = 0;
    const build = (d: number): NestedArray => {
      if (d === shape.length) {
        const v = data[pos++]!;
        return bool ? v !== 0 : v;
      }
      const n = shape[d]!;
      const out: NestedArray[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = build(d + 1);
      return out;
    };
    return build(0);
  }

  /**
   * The single value of a one-element tensor, as a JS number (booleans give 0 or 1).
   * @throws ValueError-like FluxionError when the tensor has more than one element.
   */
  item(): number {
    const data = this.values('item');
    if (this.size !== 1) {
      throw new FluxionError('item', `needs a tensor with exactly one element, got shape [${this.shape.join(', ')}]`);
    }
    return data[0]!;
  }

  /** Prints like NumPy's repr: `array([[ 0.31513408], ...], dtype=float32)`. */
  toString(): string {
    return formatTensor(this);
  }
}

/** Nested JS arrays as `toArray` returns them. */
export type NestedArray = number | boolean | NestedArray[];

/** A short description of a tensor for error messages: `float32[3, 4]`. */
export function describe(t: Tensor): string {
  return `${t.dtype}[${t.shape.join(', ')}]`;
}
