/** Shape primitives: views and copies that move data without arithmetic. */
import { allocate, type DType, type TypedArray } from '../dtype.js';
import { definePrimitive, bind, type Primitive } from '../dispatch.js';
import { DTypeError, ShapeError, ValueError, fmtShape } from '../errors.js';
import { transposeKernel } from '../kernels.js';
import { broadcastShapes, checkShape, normalizeAxis, shapesEqual, sizeOf, stridesOf } from '../shape.js';
import { tensor } from '../creation.js';
import { Tensor } from '../tensor.js';
import { checkTensor } from './util.js';
import { sum } from './reduce.js';

// ---------------------------------------------------------------- reshape

const reshapeP = definePrimitive<{ shape: readonly number[] }>({
  name: 'reshape',
  abstractEval: ([x], { shape }) => ({ shape, dtype: x!.dtype }),
  // Tensors are immutable, so a reshape shares its input's storage.
  impl: ([x]) => x!.values('reshape'),
  vjp: (g, [x]) => [reshape(g, x!.shape)],
});

/**
 * The same data in a new shape with the same number of elements; one dimension may be -1 and
 * is then inferred. No copy is made.
 * @throws ShapeError when the sizes differ or more than one dimension is -1.
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('reshape', x);
  const inferAt = shape.indexOf(-1);
  let target = shape;
  if (inferAt >= 0) {
    if (shape.indexOf(-1, inferAt + 1) >= 0) throw new ShapeError('reshape', `only one dimension may be -1, got ${fmtShape(shape)}`);
    const known = sizeOf(shape.filter((_, i) => i !== inferAt));
    if (known === 0 || x.size % known !== 0) {
      throw new ShapeError('reshape', `cannot reshape ${fmtShape(x.shape)} (${x.size} elements) into ${fmtShape(shape)}`);
    }
    target = shape.map((d, i) => (i === inferAt ? x.size / known : d));
  }
  checkShape('reshape', target);
  if (sizeOf(target) !== x.size) {
    throw new ShapeError('reshape', `cannot reshape ${fmtShape(x.shape)} (${x.size} elements) into ${fmtShape(shape)}`);
  }
  if (shapesEqual(target, x.shape)) return x;
  // A copy: the caller's array must not become the output's (and its autodiff node's) shape.
  return bind(reshapeP, [x], { shape: [...target] });
}

// ---------------------------------------------------------------- transpose

const transposeP = definePrimitive<{ perm: readonly number[] }>({
  name: 'transpose',
  abstractEval: ([x], { perm }) => ({ shape: perm.map((p) => x!.shape[p]!), dtype: x!.dtype }),
  impl: ([x], { perm }, out) => transposeKernel(x!.values('transpose'), x!.shape, perm, out.dtype),
  vjp: (g, _i, _y, { perm }) => {
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return [transpose(g, inv)];
  },
});

/**
 * Permutes axes: output axis i is input axis perm[i]. Default reverses the axes (like numpy).
 * @throws ShapeError when perm is not a permutation of 0..ndim-1 (negative axes allowed).
 */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  checkTensor('transpose', x);
  const rank = x.ndim;
  const p = perm ? perm.map((a) => normalizeAxis('transpose', a, rank)) : Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (p.length !== rank || new Set(p).size !== rank) {
    throw new ShapeError('transpose', `perm ${JSON.stringify(perm)} is not a permutation of the ${rank} axes of ${fmtShape(x.shape)}`);
  }
  if (p.every((a, i) => a === i)) return x;
  return bind(transposeP, [x], { perm: p });
}

// ---------------------------------------------------------------- broadcastTo

const broadcastToP = definePrimitive<{ shape: readonly number[] }>({
  name: 'broadcastTo',
  abstractEval: ([x], { shape }) => {
    const b = broadcastShapes('broadcastTo', x!.shape, shape);
    if (!shapesEqual(b, shape)) {
      throw new ShapeError('broadcastTo', `cannot broadcast ${fmtShape(x!.shape)} to ${fmtShape(shape)}`);
    }
    return { shape, dtype: x!.dtype };
  },
  impl: ([x], { shape }, out) => {
    const src = x!.values('broadcastTo');
    const n = sizeOf(shape);
    const data = allocate(out.dtype, n);
    if (n === 0) return data;
    const rank = shape.length;
    const own = stridesOf(x!.shape);
    const off = rank - x!.ndim;
    const st = shape.map((_, i) => (i < off || x!.shape[i - off] === 1 ? 0 : own[i - off]!));
    const idx = new Array<number>(rank).fill(0);
    let p = 0;
    for (let o = 0; o < n; o++) {
      data[o] = src[p]!;
      for (let d = rank - 1; d >= 0; d--) {
        p += st[d]!;
        if (++idx[d]! < shape[d]!) break;
        p -= st[d]! * shape[d]!;
        idx[d] = 0;
      }
    }
    return data;
  },
  // The backward walk sums the cotangent back down to the input's shape.
  vjp: (g) => [g],
});

/**
 * Repeats x along broadcast axes to `shape` (NumPy rules: trailing axes align, 1s stretch).
 * @throws ShapeError when x cannot broadcast to `shape`.
 */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('broadcastTo', x);
  checkShape('broadcastTo', shape);
  if (shapesEqual(x.shape, shape)) return x;
  return bind(broadcastToP, [x], { shape: [...shape] });
}

/** x with a new axis of length 1 at `axis` (negative counts from the end of the result). */
export function expandDims(x: Tensor, axis: number): Tensor {
  checkTensor('expandDims', x);
  const a = normalizeAxis('expandDims', axis, x.ndim + 1);
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

/**
 * Removes length-1 axes: the given ones, or all of them.
 * @throws ShapeError when a given axis does not have length 1.
 */
export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
  checkTensor('squeeze', x);
  const axes =
    axis === undefined
      ? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))
      : (typeof axis === 'number' ? [axis] : axis).map((a) => normalizeAxis('squeeze', a, x.ndim));
  for (const a of axes) {
    if (x.shape[a] !== 1) throw new ShapeError('squeeze', `axis ${a} of ${fmtShape(x.shape)} has length ${x.shape[a]}, not 1`);
  }
  return reshape(x, x.shape.filter((_, i) => !axes.includes(i)));
}

// ---------------------------------------------------------------- concat

const concatP = definePrimitive<{ axis: number }>({
  name: 'concat',
  abstractEval: (xs, { axis }) => {
    const first = xs[0]!;
    let total = 0;
    for (const x of xs) {
      if (x.dtype !== first.dtype) throw new DTypeError('concat', `dtypes differ: ${first.dtype} and ${x.dtype}`);
      if (x.ndim !== first.ndim || x.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
        throw new ShapeError(
          'concat',
          `shapes ${xs.map((t) => fmtShape(t.shape)).join(', ')} must match except on axis ${axis}`,
        );
      }
      total += x.shape[axis]!;
    }
    const shape = [...first.shape];
    shape[axis] = total;
    return { shape, dtype: first.dtype };
  },
  impl: (xs, { axis }, out) => {
    const data = allocate(out.dtype, sizeOf(out.shape));
    const outer = sizeOf(out.shape.slice(0, axis));
    const inner = sizeOf(out.shape.slice(axis + 1));
    const rowOut = out.shape[axis]! * inner;
    let off = 0;
    for (const x of xs) {
      const src = x.values('concat');
      const chunk = x.shape[axis]! * inner;
      for (let o = 0; o < outer; o++) data.set(src.subarray(o * chunk, (o + 1) * chunk), o * rowOut + off);
      off += chunk;
    }
    return data;
  },
  vjp: (g, xs, _y, { axis }) => {
    let start = 0;
    return xs.map((x) => {
      const len = x.shape[axis]!;
      const starts = g.shape.map((_, i) => (i === axis ? start : 0));
      const stops = g.shape.map((d, i) => (i === axis ? start + len : d));
      start += len;
      return slice(g, starts, stops);
    });
  },
});

/**
 * Joins tensors along an existing axis. All must share dtype, rank and every other dimension.
 * @throws ShapeError, DTypeError; ValueError for an empty list.
 */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) throw new ValueError('concat', 'needs a non-empty array of tensors');
  xs.forEach((x, i) => checkTensor('concat', x, `element ${i}`));
  const a = normalizeAxis('concat', axis, xs[0]!.ndim);
  if (xs.length === 1) return xs[0]!;
  // A copy: the backward rule keeps its inputs, and the caller may reuse its array.
  return bind(concatP, [...xs], { axis: a });
}

/**
 * Joins same-shaped tensors along a new axis.
 * @throws ShapeError when shapes differ; ValueError for an empty list.
 */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) throw new ValueError('stack', 'needs a non-empty array of tensors');
  xs.forEach((x, i) => checkTensor('stack', x, `element ${i}`));
  const first = xs[0]!;
  for (const x of xs) {
    if (x.dtype !== first.dtype) throw new DTypeError('stack', `dtypes differ: ${first.dtype} and ${x.dtype}`);
    if (!shapesEqual(x.shape, first.shape)) {
      throw new ShapeError('stack', `all shapes must be equal, got ${xs.map((t) => fmtShape(t.shape)).join(', ')}`);
    }
  }
  const a = normalizeAxis('stack', axis, first.ndim + 1);
  return concat(xs.map((x) => expandDims(x, a)), a);
}

// ---------------------------------------------------------------- slice

/** A normalised slice: per axis, first index, step and output length. */
interface SliceAttrs {
  readonly start: readonly number[];
  readonly step: readonly number[];
  readonly shape: readonly number[];
  readonly inShape: readonly number[];
}

function sliceCopy(src: TypedArray, a: SliceAttrs, dtype: DType, scatter: TypedArray | null): TypedArray {
  // Gather (scatter === null) copies the slice out; otherwise src is the slice and goes back in.
  const rank = a.shape.length;
  const n = sizeOf(a.shape);
  const inStrides = stridesOf(a.inShape);
  const out = scatter ?? allocate(dtype, n);
  if (n === 0) return out;
  let p = 0;
  for (let d = 0; d < rank; d++) p += a.start[d]! * inStrides[d]!;
  const st = a.step.map((s, d) => s * inStrides[d]!);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < n; o++) {
    if (scatter === null) out[o] = src[p]!;
    else out[p] = src[o]!;
    for (let d = rank - 1; d >= 0; d--) {
      p += st[d]!;
      if (++idx[d]! < a.shape[d]!) break;
      p -= st[d]! * a.shape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

const sliceP: Primitive<SliceAttrs> = definePrimitive<SliceAttrs>({
  name: 'slice',
  abstractEval: ([x], a) => ({ shape: a.shape, dtype: x!.dtype }),
  impl: ([x], a, out) => sliceCopy(x!.values('slice'), a, out.dtype, null),
  vjp: (g, _x, _y, a) => [bind(unsliceP, [g], a)],
});

// The transpose of slice: puts a slice's values back into zeros of the input's shape.
const unsliceP: Primitive<SliceAttrs> = definePrimitive<SliceAttrs>({
  name: 'unslice',
  abstractEval: ([g], a) => ({ shape: a.inShape, dtype: g!.dtype }),
  impl: ([g], a, out) => sliceCopy(g!.values('unslice'), a, out.dtype, allocate(out.dtype, sizeOf(a.inShape))),
  vjp: (g, _x, _y, a) => [bind(sliceP, [g], a)],
});

/**
 * Python-style slicing per axis: `starts[i]:stops[i]:steps[i]`, negative indices count from the
 * end, out-of-range bounds clamp, `null`/missing entries mean the whole axis. Steps may be
 * negative, never 0.
 * @example slice(x, [1, 0], [3, 5], [1, 2])   // x[1:3, 0:5:2]
 * @throws ShapeError when more entries than axes are given; ValueError for a zero step.
 */
export function slice(
  x: Tensor,
  starts: readonly (number | null)[],
  stops: readonly (number | null)[] = [],
  steps: readonly (number | null)[] = [],
): Tensor {
  checkTensor('slice', x);
  const rank = x.ndim;
  if (starts.length > rank || stops.length > rank || steps.length > rank) {
    throw new ShapeError('slice', `got more slice entries than the ${rank} axes of ${fmtShape(x.shape)}`);
  }
  const start: number[] = [];
  const step: number[] = [];
  const shape: number[] = [];
  for (let d = 0; d < rank; d++) {
    const n = x.shape[d]!;
    const s = steps[d] ?? 1;
    if (!Number.isInteger(s) || s === 0) throw new ValueError('slice', `step on axis ${d} must be a non-zero integer, got ${s}`);
    const norm = (v: number | null | undefined, dflt: number, lo: number, hi: number): number => {
      if (v === null || v === undefined) return dflt;
      if (!Number.isInteger(v)) throw new ValueError('slice', `index ${v} on axis ${d} is not an integer`);
      const w = v < 0 ? v + n : v;
      return Math.min(Math.max(w, lo), hi);
    };
    const b = s > 0 ? norm(starts[d], 0, 0, n) : norm(starts[d], n - 1, -1, n - 1);
    const e = s > 0 ? norm(stops[d], n, 0, n) : norm(stops[d], -1, -1, n - 1);
    const len = Math.max(0, Math.ceil((e - b) / s));
    start.push(len > 0 ? b : 0);
    step.push(s);
    shape.push(len);
  }
  if (shapesEqual(shape, x.shape) && step.every((s) => s === 1)) return x;
  return bind(sliceP, [x], { start, step, shape, inShape: x.shape });
}

// ---------------------------------------------------------------- take

interface TakeAttrs {
  readonly axis: number;
}

/** scatterAdd also needs the length of the axis it scatters into (take's input axis). */
interface ScatterAttrs extends TakeAttrs {
  readonly size: number;
}

function takeOffsets(op: string, idx: TypedArray, n: number): Int32Array {
  const out = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i]!;
    if (v < -n || v >= n) throw new ValueError(op, `index ${v} is out of range for an axis of length ${n}`);
    out[i] = v < 0 ? v + n : v;
  }
  return out;
}

const takeP: Primitive<TakeAttrs> = definePrimitive<TakeAttrs>({
  name: 'take',
  abstractEval: ([x, idx], { axis }) => {
    if (idx!.dtype !== 'int32') throw new DTypeError('take', `indices must be int32, got ${idx!.dtype}`);
    return { shape: [...x!.shape.slice(0, axis), ...idx!.shape, ...x!.shape.slice(axis + 1)], dtype: x!.dtype };
  },
  impl: ([x, idx], { axis }, out) => {
    const src = x!.values('take');
    const n = x!.shape[axis]!;
    const ix = takeOffsets('take', idx!.values('take'), n);
    const outer = sizeOf(x!.shape.slice(0, axis));
    const inner = sizeOf(x!.shape.slice(axis + 1));
    const data = allocate(out.dtype, sizeOf(out.shape));
    const m = ix.length;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < m; j++) {
        const from = (o * n + ix[j]!) * inner;
        data.set(src.subarray(from, from + inner), (o * m + j) * inner);
      }
    }
    return data;
  },
  vjp: (g, [x, idx], _y, { axis }) => [bind(scatterAddP, [g, idx!], { axis, size: x!.shape[axis]! }), null],
});

// The transpose of take: adds each gathered slice back at its index (repeats accumulate).
const scatterAddP: Primitive<ScatterAttrs> = definePrimitive<ScatterAttrs>({
  name: 'scatterAdd',
  abstractEval: ([g, idx], { axis, size }) => {
    const k = idx!.ndim;
    return { shape: [...g!.shape.slice(0, axis), size, ...g!.shape.slice(axis + k)], dtype: g!.dtype };
  },
  impl: ([g, idx], { axis, size }, out) => {
    const src = g!.values('scatterAdd');
    const ix = takeOffsets('scatterAdd', idx!.values('scatterAdd'), size);
    const outer = sizeOf(out.shape.slice(0, axis));
    const inner = sizeOf(out.shape.slice(axis + 1));
    const data = allocate(out.dtype, sizeOf(out.shape));
    const m = ix.length;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < m; j++) {
        const to = (o * size + ix[j]!) * inner;
        const from = (o * m + j) * inner;
        for (let i = 0; i < inner; i++) data[to + i] = data[to + i]! + src[from + i]!;
      }
    }
    return data;
  },
  vjp: (g, [, idx], _y, { axis }) => [bind(takeP, [g, idx!], { axis }), null],
});

/**
 * Gathers entries of x along `axis` at `indices` (int32 tensor or array of integers; negative
 * indices count from the end). Result shape: x.shape[:axis] + indices.shape + x.shape[axis+1:].
 * Repeated indices are allowed; their gradients add up.
 * @throws ValueError for an index out of range; DTypeError for non-int32 indices.
 */
export function take(x: Tensor, indices: Tensor | readonly number[], axis = 0): Tensor {
  checkTensor('take', x);
  const idx = indices instanceof Tensor ? indices : tensor(indices as number[], { dtype: 'int32' });
  const a = normalizeAxis('take', axis, x.ndim);
  return bind(takeP, [x, idx], { axis: a });
}

/** @internal The gradient helper sums a cotangent back to a broadcast input's shape. */
export function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const s = axes.length ? sum(g, axes) : g;
  return reshape(s, shape);
}
