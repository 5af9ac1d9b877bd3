/** Base class of every error Fluxion throws on programmer mistakes. `op` names where it happened. */
export class FluxionError extends Error {
  constructor(
    readonly op: string,
    message: string,
  ) {
    super(`${op}: ${message}`);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit the op (broadcasting, matmul dims, reshape sizes, axes out of range). */
export class ShapeError extends FluxionError {}

/** A dtype the op cannot take, or two dtypes that do not match. */
export class DTypeError extends FluxionError {}

/** A bad argument value that is not a shape or dtype: an index out of range, a bad option. */
export class ValueError extends FluxionError {}

/** Formats a shape the way error messages show it: `[3, 4]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
