import fc from 'fast-check';
import type { DType } from '../dtype.js';
import { tensor } from '../creation.js';
import type { Tensor } from '../tensor.js';

/** Bounds for generated shapes. */
export interface ShapeOptions {
  readonly minRank?: number;
  readonly maxRank?: number;
  readonly minDim?: number;
  readonly maxDim?: number;
}

/** Shapes with rank in [minRank, maxRank] (default 0..3) and dims in [minDim, maxDim] (default 1..4). */
export function shape(opts: ShapeOptions = {}): fc.Arbitrary<number[]> {
  const { minRank = 0, maxRank = 3, minDim = 1, maxDim = 4 } = opts;
  return fc.array(fc.integer({ min: minDim, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

/**
 * Two shapes that broadcast together (NumPy rules): a common shape from which each side may
 * drop leading axes and turn any axis into 1. Returns [a, b, broadcastResult].
 */
export function broadcastablePair(opts: ShapeOptions = {}): fc.Arbitrary<[number[], number[], number[]]> {
  return shape(opts).chain((out) => {
    const side = fc
      .tuple(
        fc.integer({ min: 0, max: out.length }),
        fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
      )
      .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
    return fc.tuple(side, side).map(([a, b]): [number[], number[], number[]] => {
      // The broadcast result is `out` only where some side kept the full dimension.
      const rank = Math.max(a.length, b.length);
      const res: number[] = [];
      for (let i = 0; i < rank; i++) {
        const da = a[i - (rank - a.length)] ?? 1;
        const db = b[i - (rank - b.length)] ?? 1;
        // Each side is `out`'s dimension or 1, so the result is the side that is not 1 (0 included).
        res.push(da === 1 ? db : da);
      }
      return [a, b, res];
    });
  });
}

/** Value bounds and dtype of generated tensors. */
export interface TensorArbOptions {
  readonly dtype?: DType;
  /** Inclusive bounds of the values (default −2..2). */
  readonly min?: number;
  readonly max?: number;
  /** Keep |x| at least this far from 0 (avoids kinks and poles, e.g. for abs, log, div). */
  readonly minAbs?: number;
}

/**
 * Tensors of a given shape (or shapes from an arbitrary) with bounded values. Floats are drawn
 * as doubles (never NaN or ±inf); int32 as integers in [min, max]; bool as booleans.
 */
export function tensorOf(shp: readonly number[] | fc.Arbitrary<number[]>, opts: TensorArbOptions = {}): fc.Arbitrary<Tensor> {
  const { dtype = 'float64', min = -2, max = 2, minAbs = 0 } = opts;
  const shapes = Array.isArray(shp) ? fc.constant([...(shp as readonly number[])]) : (shp as fc.Arbitrary<number[]>);
  return shapes.chain((s) => {
    const n = s.reduce((a, b) => a * b, 1);
    const value: fc.Arbitrary<number> =
      dtype === 'int32'
        ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) })
        : dtype === 'bool'
          ? fc.boolean().map((b) => (b ? 1 : 0))
          : // fc.double clusters near 0 (most draws below 1e-6); spread values evenly instead,
            // so gradient checks see the whole range and ties stay rare.
            fc
              .integer({ min: 0, max: 0x7fffffff })
              .map((i) => min + ((max - min) * i) / 0x7fffffff)
              .map((v) => (minAbs > 0 && Math.abs(v) < minAbs ? (v < 0 ? -minAbs : minAbs) : v));
    return fc.array(value, { minLength: n, maxLength: n }).map((vals) => {
      const arr = dtype === 'float32' ? new Float32Array(vals) : dtype === 'int32' ? new Int32Array(vals) : dtype === 'bool' ? new Uint8Array(vals) : new Float64Array(vals);
      return tensor(arr, { dtype, shape: s });
    });
  });
}
