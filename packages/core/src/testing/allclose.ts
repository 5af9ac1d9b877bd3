import { tensor } from '../creation.js';
import { Tensor, type NestedArray } from '../tensor.js';
import { shapesEqual } from '../shape.js';

/** Tolerances for `allclose`: |a − e| ≤ atol + rtol·|e| elementwise. */
export interface AllcloseOptions {
  readonly rtol?: number;
  readonly atol?: number;
  /** Treat NaN as equal to NaN (default false). */
  readonly equalNan?: boolean;
}

type Comparable = Tensor | NestedArray | readonly NestedArray[];

function asTensor(x: Comparable): Tensor {
  return x instanceof Tensor ? x : tensor(x as NestedArray, { dtype: 'float64' });
}

/**
 * Compares values elementwise with NumPy's `allclose` rule; shapes must be equal (no
 * broadcasting, so a shape slip is not hidden). Returns null when close, else a message that
 * names the first offending index and the largest error.
 */
export function allclose(actual: Comparable, expected: Comparable, opts: AllcloseOptions = {}): string | null {
  const { rtol = 1e-5, atol = 1e-8, equalNan = false } = opts;
  const a = asTensor(actual);
  const e = asTensor(expected);
  if (!shapesEqual(a.shape, e.shape)) return `shapes differ: [${a.shape.join(', ')}] vs expected [${e.shape.join(', ')}]`;
  const ad = a.data;
  const ed = e.data;
  let first = -1;
  let worst = 0;
  for (let i = 0; i < a.size; i++) {
    const x = ad[i]!;
    const y = ed[i]!;
    const bothNan = x !== x && y !== y;
    const ok = bothNan ? equalNan : x === y || Math.abs(x - y) <= atol + rtol * Math.abs(y);
    if (!ok) {
      if (first < 0) first = i;
      worst = Math.max(worst, Math.abs(x - y));
    }
  }
  if (first < 0) return null;
  return `not close (rtol ${rtol}, atol ${atol}): first at flat index ${first}: ${ad[first]} vs expected ${ed[first]}; largest |diff| ${worst}`;
}

/** A vitest/jest matcher: `expect(t).toBeAllclose(expected, { rtol, atol })`. */
export function toBeAllclose(
  this: unknown,
  received: Comparable,
  expected: Comparable,
  opts: AllcloseOptions = {},
): { pass: boolean; message: () => string } {
  const msg = allclose(received, expected, opts);
  return { pass: msg === null, message: () => msg ?? 'expected values not to be close, but they are' };
}

/** Matchers for `expect.extend(fluxionMatchers)` in a test setup file. */
export const fluxionMatchers = { toBeAllclose };
