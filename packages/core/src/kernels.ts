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

/**
 * Op codes of the elementwise ops with their own loops. A shared loop calling a per-op closure
 * is a megamorphic call per element; a switch outside the loop keeps each loop monomorphic.
 */
export enum Un {
  Other,
  Neg,
  Exp,
  Log,
  Sqrt,
  Abs,
  Tanh,
  Sigmoid,
  Relu,
  Square,
  LeakyRelu,
}

/** out[i] = op(x[i]); `f` computes ops without their own loop (`Un.Other`). */
export function mapUnary(x: TypedArray, dtype: DType, code: Un, f: (v: number) => number, slope = 0): TypedArray {
  const n = x.length;
  const out = allocate(dtype, n);
  switch (code) {
    case Un.Neg:
      for (let i = 0; i < n; i++) out[i] = -x[i]!;
      break;
    case Un.Exp:
      for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]!);
      break;
    case Un.Log:
      for (let i = 0; i < n; i++) out[i] = Math.log(x[i]!);
      break;
    case Un.Sqrt:
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]!);
      break;
    case Un.Abs:
      for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]!);
      break;
    case Un.Tanh:
      for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]!);
      break;
    case Un.Sigmoid:
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        out[i] = v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
      }
      break;
    case Un.Relu:
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        out[i] = v > 0 ? v : v !== v ? v : 0;
      }
      break;
    case Un.Square:
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        out[i] = v * v;
      }
      break;
    case Un.LeakyRelu: {
      // Unrolled by 4: V8 re-checks bounds on every typed-array access, and the loop overhead
      // per element is as large as the work (measured 1.6 -> 1.1 ns/element).
      const n4 = n - (n % 4);
      let i = 0;
      for (; i < n4; i += 4) {
        const v0 = x[i]!, v1 = x[i + 1]!, v2 = x[i + 2]!, v3 = x[i + 3]!;
        out[i] = v0 >= 0 ? v0 : v0 * slope;
        out[i + 1] = v1 >= 0 ? v1 : v1 * slope;
        out[i + 2] = v2 >= 0 ? v2 : v2 * slope;
        out[i + 3] = v3 >= 0 ? v3 : v3 * slope;
      }
      for (; i < n; i++) {
        const v = x[i]!;
        out[i] = v >= 0 ? v : v * slope;
      }
      break;
    }
    default:
      for (let i = 0; i < n; i++) out[i] = f(x[i]!);
  }
  return out;
}

/**
 * The backward of relu / leakyRelu for equal shapes: r = g where x ≥ 0 (x > 0 when `strict`),
 * g·slope elsewhere; unrolled by 4 like mapUnary's LeakyRelu.
 */
export function leakyReluGradKernel(x: TypedArray, g: TypedArray, r: TypedArray, slope: number, strict: boolean): TypedArray {
  const n = r.length;
  const n4 = n - (n % 4);
  let i = 0;
  if (strict) {
    for (; i < n4; i += 4) {
      const x0 = x[i]!, x1 = x[i + 1]!, x2 = x[i + 2]!, x3 = x[i + 3]!;
      const g0 = g[i]!, g1 = g[i + 1]!, g2 = g[i + 2]!, g3 = g[i + 3]!;
      r[i] = x0 > 0 ? g0 : g0 * slope;
      r[i + 1] = x1 > 0 ? g1 : g1 * slope;
      r[i + 2] = x2 > 0 ? g2 : g2 * slope;
      r[i + 3] = x3 > 0 ? g3 : g3 * slope;
    }
    for (; i < n; i++) r[i] = x[i]! > 0 ? g[i]! : g[i]! * slope;
  } else {
    for (; i < n4; i += 4) {
      const x0 = x[i]!, x1 = x[i + 1]!, x2 = x[i + 2]!, x3 = x[i + 3]!;
      const g0 = g[i]!, g1 = g[i + 1]!, g2 = g[i + 2]!, g3 = g[i + 3]!;
      r[i] = x0 >= 0 ? g0 : g0 * slope;
      r[i + 1] = x1 >= 0 ? g1 : g1 * slope;
      r[i + 2] = x2 >= 0 ? g2 : g2 * slope;
      r[i + 3] = x3 >= 0 ? g3 : g3 * slope;
    }
    for (; i < n; i++) r[i] = x[i]! >= 0 ? g[i]! : g[i]! * slope;
  }
  return r;
}

/** Op codes of the binary ops with their own loops (see `Un`). */
export enum Bin {
  Other,
  Add,
  Sub,
  Mul,
  Div,
}

/**
 * out[o] = op(a[o], b[bi]) for o in [0, n), where bi runs over b's `period` elements again and
 * again (period 1: scalar b; period n: same shape; else: b is a row repeated over leading axes).
 * Swapped: out[o] = op(b[bi], a[o]), for a scalar or row on the left.
 */
function periodic(code: Bin, f: (x: number, y: number) => number, a: TypedArray, b: TypedArray, out: TypedArray, period: number, swapped: boolean): void {
  const n = out.length;
  for (let o = 0; o < n; o += period) {
    const len = Math.min(period, n - o);
    if (!swapped) {
      switch (code) {
        case Bin.Add:
          for (let j = 0; j < len; j++) out[o + j] = a[o + j]! + b[j]!;
          break;
        case Bin.Sub:
          for (let j = 0; j < len; j++) out[o + j] = a[o + j]! - b[j]!;
          break;
        case Bin.Mul:
          for (let j = 0; j < len; j++) out[o + j] = a[o + j]! * b[j]!;
          break;
        case Bin.Div:
          for (let j = 0; j < len; j++) out[o + j] = a[o + j]! / b[j]!;
          break;
        default:
          for (let j = 0; j < len; j++) out[o + j] = f(a[o + j]!, b[j]!);
      }
    } else {
      switch (code) {
        case Bin.Add:
          for (let j = 0; j < len; j++) out[o + j] = b[j]! + a[o + j]!;
          break;
        case Bin.Sub:
          for (let j = 0; j < len; j++) out[o + j] = b[j]! - a[o + j]!;
          break;
        case Bin.Mul:
          for (let j = 0; j < len; j++) out[o + j] = b[j]! * a[o + j]!;
          break;
        case Bin.Div:
          for (let j = 0; j < len; j++) out[o + j] = b[j]! / a[o + j]!;
          break;
        default:
          for (let j = 0; j < len; j++) out[o + j] = f(b[j]!, a[o + j]!);
      }
    }
  }
}

/** out = op(a, b) for equal shapes, unrolled by 4 (see Un.LeakyRelu in mapUnary). */
function sameShape(code: Bin, a: TypedArray, b: TypedArray, out: TypedArray): void {
  const n = out.length;
  const n4 = n - (n % 4);
  let i = 0;
  switch (code) {
    case Bin.Add:
      for (; i < n4; i += 4) {
        out[i] = a[i]! + b[i]!;
        out[i + 1] = a[i + 1]! + b[i + 1]!;
        out[i + 2] = a[i + 2]! + b[i + 2]!;
        out[i + 3] = a[i + 3]! + b[i + 3]!;
      }
      for (; i < n; i++) out[i] = a[i]! + b[i]!;
      break;
    case Bin.Sub:
      for (; i < n4; i += 4) {
        out[i] = a[i]! - b[i]!;
        out[i + 1] = a[i + 1]! - b[i + 1]!;
        out[i + 2] = a[i + 2]! - b[i + 2]!;
        out[i + 3] = a[i + 3]! - b[i + 3]!;
      }
      for (; i < n; i++) out[i] = a[i]! - b[i]!;
      break;
    case Bin.Mul:
      for (; i < n4; i += 4) {
        out[i] = a[i]! * b[i]!;
        out[i + 1] = a[i + 1]! * b[i + 1]!;
        out[i + 2] = a[i + 2]! * b[i + 2]!;
        out[i + 3] = a[i + 3]! * b[i + 3]!;
      }
      for (; i < n; i++) out[i] = a[i]! * b[i]!;
      break;
    default:
      for (; i < n4; i += 4) {
        out[i] = a[i]! / b[i]!;
        out[i + 1] = a[i + 1]! / b[i + 1]!;
        out[i + 2] = a[i + 2]! / b[i + 2]!;
        out[i + 3] = a[i + 3]! / b[i + 3]!;
      }
      for (; i < n; i++) out[i] = a[i]! / b[i]!;
  }
}

/** The length of `small` as a row repeated over `outShape`'s leading axes, or 0 if it is not one. */
function rowPeriod(small: readonly number[], outShape: readonly number[]): number {
  let i = 0;
  while (i < small.length && small[i] === 1) i++;
  const tail = small.slice(i);
  const off = outShape.length - tail.length;
  if (off < 0) return 0;
  let len = 1;
  for (let d = 0; d < tail.length; d++) {
    if (tail[d] !== outShape[off + d]) return 0;
    len *= tail[d]!;
  }
  return len;
}

/**
 * out = op(a, b) with NumPy broadcasting. Equal shapes, a scalar operand and a row repeated over
 * leading axes (the bias of a linear layer) run contiguous loops; other broadcasts go through strides.
 */
export function mapBinary(
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  outShape: readonly number[],
  dtype: DType,
  code: Bin,
  f: (x: number, y: number) => number,
): TypedArray {
  const n = sizeOf(outShape);
  const out = allocate(dtype, n);
  if (n === 0) return out;
  if (a.length === n) {
    if (b.length === n && code !== Bin.Other) {
      sameShape(code, a, b, out);
      return out;
    }
    const period = b.length === n ? n : b.length === 1 ? 1 : rowPeriod(bShape, outShape);
    if (period > 0) {
      periodic(code, f, a, b, out, period, false);
      return out;
    }
  } else if (b.length === n) {
    const period = a.length === 1 ? 1 : rowPeriod(aShape, outShape);
    if (period > 0) {
      periodic(code, f, b, a, out, period, true);
      return out;
    }
  }
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

let scratchBuffer = new Float64Array(1024);

/**
 * A float64 work array of at least `n` elements, reused across calls: kernels run to completion
 * one at a time, so one buffer serves them all, and a fresh allocation (about 0.5 µs each, mostly
 * fixed cost) is saved per call. Callers must not keep it.
 */
function scratch(n: number): Float64Array {
  if (scratchBuffer.length < n) scratchBuffer = new Float64Array(Math.max(n, 2 * scratchBuffer.length));
  return scratchBuffer.subarray(0, n);
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
  const acc = scratch(outN).fill(init);
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
          } else {
            const inner4 = inner - (inner % 4);
            let j = 0;
            for (; j < inner4; j += 4) {
              acc[oi + j] = acc[oi + j]! + x[i + j]!;
              acc[oi + j + 1] = acc[oi + j + 1]! + x[i + j + 1]!;
              acc[oi + j + 2] = acc[oi + j + 2]! + x[i + j + 2]!;
              acc[oi + j + 3] = acc[oi + j + 3]! + x[i + j + 3]!;
            }
            for (; j < inner; j++) acc[oi + j] = acc[oi + j]! + x[i + j]!;
          }
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
 * One matrix product C = op(A)·op(B) into `out` at `oOff` (row-major m×n), where op(A)(i, p) is
 * `a[aOff + i*ai + p*ap]` and op(B)(p, j) is `b[bOff + p*bp + j*bj]`: strides express the
 * transposes, so backward never materialises one. 4×4 register tiles (16 accumulators, 8 loads
 * per 16 multiply-adds), float64 accumulation, float rounding only on the final store. A `bias`
 * row [n] is added to every row before that single rounding (fused linear layer).
 */
function gemm(
  a: TypedArray,
  aOff: number,
  ai: number,
  ap: number,
  b: TypedArray,
  bOff: number,
  bp: number,
  bj: number,
  out: TypedArray,
  oOff: number,
  m: number,
  k: number,
  n: number,
  bias: TypedArray | null,
): void {
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const r0 = aOff + i * ai;
    const r1 = r0 + ai;
    const r2 = r1 + ai;
    const r3 = r2 + ai;
    for (let j = 0; j < n4; j += 4) {
      const c0 = bOff + j * bj;
      const c1 = c0 + bj;
      const c2 = c1 + bj;
      const c3 = c2 + bj;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
      let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0;
      let s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let p = 0, pa = 0, pb = 0; p < k; p++, pa += ap, pb += bp) {
        const a0 = a[r0 + pa]!;
        const a1 = a[r1 + pa]!;
        const a2 = a[r2 + pa]!;
        const a3 = a[r3 + pa]!;
        const b0 = b[c0 + pb]!;
        const b1 = b[c1 + pb]!;
        const b2 = b[c2 + pb]!;
        const b3 = b[c3 + pb]!;
        s00 += a0 * b0; s01 += a0 * b1; s02 += a0 * b2; s03 += a0 * b3;
        s10 += a1 * b0; s11 += a1 * b1; s12 += a1 * b2; s13 += a1 * b3;
        s20 += a2 * b0; s21 += a2 * b1; s22 += a2 * b2; s23 += a2 * b3;
        s30 += a3 * b0; s31 += a3 * b1; s32 += a3 * b2; s33 += a3 * b3;
      }
      if (bias !== null) {
        const q0 = bias[j]!, q1 = bias[j + 1]!, q2 = bias[j + 2]!, q3 = bias[j + 3]!;
        s00 += q0; s01 += q1; s02 += q2; s03 += q3;
        s10 += q0; s11 += q1; s12 += q2; s13 += q3;
        s20 += q0; s21 += q1; s22 += q2; s23 += q3;
        s30 += q0; s31 += q1; s32 += q2; s33 += q3;
      }
      let o = oOff + i * n + j;
      out[o] = s00; out[o + 1] = s01; out[o + 2] = s02; out[o + 3] = s03;
      o += n;
      out[o] = s10; out[o + 1] = s11; out[o + 2] = s12; out[o + 3] = s13;
      o += n;
      out[o] = s20; out[o + 1] = s21; out[o + 2] = s22; out[o + 3] = s23;
      o += n;
      out[o] = s30; out[o + 1] = s31; out[o + 2] = s32; out[o + 3] = s33;
    }
  }
  // Edges, still one accumulator per output summed in p order (so results do not depend on the
  // tiling): 4×1 tiles for the last n % 4 columns, 1×4 tiles for the last m % 4 rows, then the
  // corner. Independent accumulators keep the adds from waiting on each other (an n = 1 layer
  // would otherwise be one long dependency chain).
  for (let i = 0; i < m4; i += 4) {
    const r0 = aOff + i * ai;
    const r1 = r0 + ai;
    const r2 = r1 + ai;
    const r3 = r2 + ai;
    for (let j = n4; j < n; j++) {
      const c = bOff + j * bj;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0, pa = 0, pb = c; p < k; p++, pa += ap, pb += bp) {
        const bv = b[pb]!;
        s0 += a[r0 + pa]! * bv;
        s1 += a[r1 + pa]! * bv;
        s2 += a[r2 + pa]! * bv;
        s3 += a[r3 + pa]! * bv;
      }
      const q = bias === null ? 0 : bias[j]!;
      const o = oOff + i * n + j;
      out[o] = s0 + q;
      out[o + n] = s1 + q;
      out[o + 2 * n] = s2 + q;
      out[o + 3 * n] = s3 + q;
    }
  }
  for (let i = m4; i < m; i++) {
    const r = aOff + i * ai;
    for (let j = 0; j < n4; j += 4) {
      const c0 = bOff + j * bj;
      const c1 = c0 + bj;
      const c2 = c1 + bj;
      const c3 = c2 + bj;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0, pa = r, pb = 0; p < k; p++, pa += ap, pb += bp) {
        const av = a[pa]!;
        s0 += av * b[c0 + pb]!;
        s1 += av * b[c1 + pb]!;
        s2 += av * b[c2 + pb]!;
        s3 += av * b[c3 + pb]!;
      }
      const o = oOff + i * n + j;
      if (bias === null) {
        out[o] = s0; out[o + 1] = s1; out[o + 2] = s2; out[o + 3] = s3;
      } else {
        out[o] = s0 + bias[j]!; out[o + 1] = s1 + bias[j + 1]!; out[o + 2] = s2 + bias[j + 2]!; out[o + 3] = s3 + bias[j + 3]!;
      }
    }
    for (let j = n4; j < n; j++) {
      const c = bOff + j * bj;
      let s = 0;
      for (let p = 0, pa = r, pb = c; p < k; p++, pa += ap, pb += bp) s += a[pa]! * b[pb]!;
      out[oOff + i * n + j] = bias === null ? s : s + bias[j]!;
    }
  }
}

/**
 * Batched matrix product op(a) [..., m, k] times op(b) [..., k, n], batch axes broadcast to
 * `batch`; `ta`/`tb` read a or b transposed in their last two axes (no copy); `bias` [n] is
 * added to every output row.
 */
export function matmulKernel(
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  batch: readonly number[],
  dtype: DType,
  ta = false,
  tb = false,
  bias: TypedArray | null = null,
): TypedArray {
  const ar = aShape.length;
  const br = bShape.length;
  const aRows = aShape[ar - 2]!;
  const aCols = aShape[ar - 1]!;
  const bRows = bShape[br - 2]!;
  const bCols = bShape[br - 1]!;
  const m = ta ? aCols : aRows;
  const k = ta ? aRows : aCols;
  const n = tb ? bRows : bCols;
  const nb = sizeOf(batch);
  const out = allocate(dtype, nb * m * n);
  const ai = ta ? 1 : aCols;
  const ap = ta ? aCols : 1;
  const bp = tb ? 1 : bCols;
  const bj = tb ? bCols : 1;
  const aSize = aRows * aCols;
  const bSize = bRows * bCols;
  if (nb === 1) {
    gemm(a, 0, ai, ap, b, 0, bp, bj, out, 0, m, k, n, bias);
    return out;
  }
  const sa = broadcastStrides(aShape.slice(0, ar - 2), batch);
  const sb = broadcastStrides(bShape.slice(0, br - 2), batch);
  const idx = new Array<number>(batch.length).fill(0);
  let aOff = 0;
  let bOff = 0;
  for (let bi = 0; bi < nb; bi++) {
    gemm(a, aOff, ai, ap, b, bOff, bp, bj, out, bi * m * n, m, k, n, bias);
    for (let d = batch.length - 1; d >= 0; d--) {
      aOff += sa[d]! * aSize;
      bOff += sb[d]! * bSize;
      if (++idx[d]! < batch[d]!) break;
      aOff -= sa[d]! * aSize * batch[d]!;
      bOff -= sb[d]! * bSize * batch[d]!;
      idx[d] = 0;
    }
  }
  return out;
}
