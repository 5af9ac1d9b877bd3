/**
 * Loops over typed arrays. Kernels take plain arrays and shapes, never Tensors, so each stays a
 * tight loop that the JIT can specialise; broadcasting is done with strides, never copies.
 */
import { allocate, type DType, type TypedArray } from './dtype.js';
import { sizeOf, stridesOf } from './shape.js';

/** Strides of `shape` seen from a broadcast `outShape`: 0 on broadcast (size-1 or missing) axes. */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const rank = outShape.length;
  const own = stridesOf(shape);
  const out = new Array<number>(rank).fill(0);
  const off = rank - shape.length;
  for (let i = 0; i < shape.length; i++) out[off + i] = shape[i] === 1 ? 0 : own[i]!;
  return out;
}

/** out[i] = f(x[i]). */
export function mapUnary(x: TypedArray, dtype: DType, f: (v: number) => number): TypedArray {
  const n = x.length;
  const out = allocate(dtype, n);
  for (let i = 0; i < n; i++) out[i] = f(x[i]!);
  return out;
}

/** out = f(a, b) with NumPy broadcasting; fast paths for equal shapes and scalar operands. */
export function mapBinary(
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  outShape: readonly number[],
  dtype: DType,
  f: (x: number, y: number) => number,
): TypedArray {
  const n = sizeOf(outShape);
  const out = allocate(dtype, n);
  if (a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = f(a[i]!, b[i]!);
    return out;
  }
  if (b.length === 1 && a.length === n) {
    const y = b[0]!;
    for (let i = 0; i < n; i++) out[i] = f(a[i]!, y);
    return out;
  }
  if (a.length === 1 && b.length === n) {
    const x = a[0]!;
    for (let i = 0; i < n; i++) out[i] = f(x, b[i]!);
    return out;
  }
  if (n === 0) return out;
  const rank = outShape.length;
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const inner = outShape[rank - 1]!;
  const ia1 = sa[rank - 1]!;
  const ib1 = sb[rank - 1]!;
  const idx = new Array<number>(rank).fill(0);
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < n; o += inner) {
    for (let j = 0, pa = ia, pb = ib; j < inner; j++, pa += ia1, pb += ib1) out[o + j] = f(a[pa]!, b[pb]!);
    for (let d = rank - 2; d >= 0; d--) {
      ia += sa[d]!;
      ib += sb[d]!;
      if (++idx[d]! < outShape[d]!) break;
      ia -= sa[d]! * outShape[d]!;
      ib -= sb[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** out = cond ? a : b, all three broadcast to `outShape`. */
export function select(
  c: TypedArray,
  cShape: readonly number[],
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  outShape: readonly number[],
  dtype: DType,
): TypedArray {
  const n = sizeOf(outShape);
  const out = allocate(dtype, n);
  if (n === 0) return out;
  const rank = outShape.length;
  const sc = broadcastStrides(cShape, outShape);
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const idx = new Array<number>(rank).fill(0);
  let ic = 0;
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < n; o++) {
    out[o] = c[ic] ? a[ia]! : b[ib]!;
    for (let d = rank - 1; d >= 0; d--) {
      ic += sc[d]!;
      ia += sa[d]!;
      ib += sb[d]!;
      if (++idx[d]! < outShape[d]!) break;
      ic -= sc[d]! * outShape[d]!;
      ia -= sa[d]! * outShape[d]!;
      ib -= sb[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** Reduction kinds shared by `reduce`. */
export type ReduceKind = 'sum' | 'max' | 'min';

/**
 * Reduces `x` of `shape` over sorted `axes`, giving the kept axes in order. Sums accumulate in
 * float64 so float32 results are correctly rounded sums, not running float32 roundings.
 */
export function reduce(
  x: TypedArray,
  shape: readonly number[],
  axes: readonly number[],
  kind: ReduceKind,
  dtype: DType,
): TypedArray {
  const rank = shape.length;
  const reduced = new Array<boolean>(rank).fill(false);
  for (const a of axes) reduced[a] = true;
  const keptShape = shape.filter((_, i) => !reduced[i]);
  const outN = sizeOf(keptShape);
  const outStrides = stridesOf(keptShape);
  const so = new Array<number>(rank).fill(0);
  for (let i = 0, k = 0; i < rank; i++) if (!reduced[i]) so[i] = outStrides[k++]!;
  const init = kind === 'sum' ? 0 : kind === 'max' ? -Infinity : Infinity;
  const acc = new Float64Array(outN).fill(init);
  const n = x.length;
  if (n > 0) {
    if (rank === 0) {
      acc[0] = x[0]!;
    } else {
      const inner = shape[rank - 1]!;
      const s1 = so[rank - 1]!;
      const idx = new Array<number>(rank).fill(0);
      let oi = 0;
      for (let i = 0; i < n; i += inner) {
        if (kind === 'sum') {
          if (s1 === 0) {
            let s = 0;
            for (let j = 0; j < inner; j++) s += x[i + j]!;
            acc[oi] = acc[oi]! + s;
          } else for (let j = 0; j < inner; j++) acc[oi + j] = acc[oi + j]! + x[i + j]!;
        } else if (kind === 'max') {
          for (let j = 0, p = oi; j < inner; j++, p += s1) {
            const v = x[i + j]!;
            if (v > acc[p]! || v !== v) acc[p] = v;
          }
        } else {
          for (let j = 0, p = oi; j < inner; j++, p += s1) {
            const v = x[i + j]!;
            if (v < acc[p]! || v !== v) acc[p] = v;
          }
        }
        for (let d = rank - 2; d >= 0; d--) {
          oi += so[d]!;
          if (++idx[d]! < shape[d]!) break;
          oi -= so[d]! * shape[d]!;
          idx[d] = 0;
        }
      }
    }
  }
  const out = allocate(dtype, outN);
  out.set(acc);
  return out;
}

/** Index of the largest (or smallest) element along `axis`; the first one on ties, NaN wins. */
export function argReduce(x: TypedArray, shape: readonly number[], axis: number, max: boolean): Int32Array {
  const outer = sizeOf(shape.slice(0, axis));
  const n = shape[axis]!;
  const inner = sizeOf(shape.slice(axis + 1));
  const out = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let best = x[base]!;
      let bi = 0;
      for (let k = 1; k < n && best === best; k++) {
        const v = x[base + k * inner]!;
        if (v !== v || (max ? v > best : v < best)) {
          best = v;
          bi = k;
        }
      }
      out[o * inner + i] = bi;
    }
  }
  return out;
}

/** Copies `x` into the axis order `perm` (out axis i is input axis perm[i]). */
export function transposeKernel(x: TypedArray, shape: readonly number[], perm: readonly number[], dtype: DType): TypedArray {
  const rank = shape.length;
  const n = x.length;
  const out = allocate(dtype, n);
  if (n === 0) return out;
  const inStrides = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]!);
  const st = perm.map((p) => inStrides[p]!);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < n; o++) {
    out[o] = x[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      src += st[d]!;
      if (++idx[d]! < outShape[d]!) break;
      src -= st[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * Batched matrix product: a [...batchA, m, k] times b [...batchB, k, n], batch axes broadcast to
 * `batch`. Row-major i-k-j loops keep the inner loop contiguous in b and out.
 */
export function matmulKernel(
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  batch: readonly number[],
  dtype: DType,
): TypedArray {
  const ar = aShape.length;
  const br = bShape.length;
  const m = aShape[ar - 2]!;
  const k = aShape[ar - 1]!;
  const n = bShape[br - 1]!;
  const nb = sizeOf(batch);
  const out = allocate(dtype, nb * m * n);
  const sa = broadcastStrides(aShape.slice(0, ar - 2), batch);
  const sb = broadcastStrides(bShape.slice(0, br - 2), batch);
  const idx = new Array<number>(batch.length).fill(0);
  let aOff = 0;
  let bOff = 0;
  const acc = new Float64Array(n);
  for (let bi = 0; bi < nb; bi++) {
    const oOff = bi * m * n;
    for (let i = 0; i < m; i++) {
      acc.fill(0);
      const aRow = aOff + i * k;
      for (let p = 0; p < k; p++) {
        const av = a[aRow + p]!;
        const bRow = bOff + p * n;
        for (let j = 0; j < n; j++) acc[j] = acc[j]! + av * b[bRow + j]!;
      }
      for (let j = 0; j < n; j++) out[oOff + i * n + j] = acc[j]!;
    }
    for (let d = batch.length - 1; d >= 0; d--) {
      aOff += sa[d]! * m * k;
      bOff += sb[d]! * k * n;
      if (++idx[d]! < batch[d]!) break;
      aOff -= sa[d]! * m * k * batch[d]!;
      bOff -= sb[d]! * k * n * batch[d]!;
      idx[d] = 0;
    }
  }
  return out;
}
